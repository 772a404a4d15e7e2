"""The seed's spiking CNN for event data (dwmtj_p2m_snn_paper.txt, Sec. 4; reference/nn.md "SNN").

Input: event-count frames (T, B, 2, H, W) (ON/OFF channels, one frame per integration window).

- First layer, 32 channels, 3x3, stride 2: either the in-pixel :class:`~circuitlab.nn.p2m.P2MConv2d`
  (which thresholds and spikes by itself) or the digital baseline Conv2d + BatchNorm + LIF.
- Four conv blocks, each Conv 3x3 + BatchNorm + LIF + 2x2 max-pool.
- FC 512 + BatchNorm + LIF, then FC 10 (classes); the class scores are the FC outputs averaged over the T
  windows. The seed names no normalisation for FC 512; without it the LIF (threshold 1, charge
  (x - v) / tau) starts silent on small or sparse inputs and the read-out gets no gradient.

LIF neurons: SpikingJelly's ``LIFNode`` defaults (tau = 2, V_th = 1, hard reset to 0), the seed's
simulator. :meth:`SpikingCNN.forward` also returns the first layer's spikes, for the bit-level l1
regulariser (their mean, added to the loss with a weight) and the normalised bandwidth
(output spikes / input events, the seed's Fig. 7).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import torch
from torch import nn

from ..errors import ConfigError
from .lif import LIF

__all__ = ["SpikingCNN", "SNNOutput", "bandwidth"]


def _per_step(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply a single-step module to (T, B, ...) by folding T into the batch."""
    T, B = x.shape[:2]
    y = module(x.reshape(T * B, *x.shape[2:]))
    return y.reshape(T, B, *y.shape[1:])


class _ConvBlock(nn.Module):
    def __init__(self, cin: int, cout: int, pool: bool, lif_kw: dict):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.lif = LIF(**lif_kw)
        self.pool = nn.MaxPool2d(2) if pool else nn.Identity()

    def forward(self, x):
        s = self.lif(_per_step(lambda z: self.bn(self.conv(z)), x))
        return _per_step(self.pool, s)


class _DigitalFirstLayer(nn.Module):
    """Baseline: Conv2d(2, 32, 3, stride 2) + BatchNorm + LIF on a digital backend."""

    def __init__(self, cin: int, cout: int, lif_kw: dict):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.lif = LIF(**lif_kw)

    def forward(self, x, generator=None):
        return self.lif(_per_step(lambda z: self.bn(self.conv(z)), x))


@dataclass
class SNNOutput:
    """Class scores (B, classes), the first layer's spikes (T, B, C, H', W') and the input event count."""
    logits: torch.Tensor
    first_spikes: torch.Tensor
    input_events: torch.Tensor


def bandwidth(out: SNNOutput) -> float:
    """Normalised bandwidth: first-layer output spikes / input events (the seed's Fig. 7 metric)."""
    return float(out.first_spikes.detach().sum() / out.input_events.detach().sum().clamp_min(1))


class SpikingCNN(nn.Module):
    """The seed's network. ``first``: "digital" or a P2MConv2d instance (its out_channels set the width).

    ``channels``: widths of the four conv blocks; ``input_size``: (H, W) of the event frames.
    """

    def __init__(self, first="digital", in_channels: int = 2, first_channels: int = 32,
                 channels: Sequence[int] = (64, 128, 128, 256), hidden: int = 512, classes: int = 10,
                 input_size: Sequence[int] = (34, 34), tau: float = 2.0):
        super().__init__()
        if len(channels) != 4:
            raise ConfigError(f"SpikingCNN needs 4 conv-block widths (the seed's 4 conv layers), got {channels}")
        lif_kw = dict(tau=tau, v_th=1.0, v_reset=0.0, reset="hard", decay_input=True)
        if isinstance(first, str):
            if first != "digital":
                raise ConfigError(f"first layer {first!r}: 'digital' or a P2MConv2d instance")
            self.first = _DigitalFirstLayer(in_channels, first_channels, lif_kw)
        else:
            self.first = first
            first_channels = first.weight.shape[0]
        h, w = ((s + 2 - 3) // 2 + 1 for s in input_size)
        blocks, cin = [], first_channels
        for cout in channels:
            pool = h >= 2 and w >= 2
            blocks.append(_ConvBlock(cin, cout, pool, lif_kw))
            if pool:
                h, w = h // 2, w // 2
            cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.fc1 = nn.Linear(cin * h * w, hidden, bias=False)
        self.bn_fc = nn.BatchNorm1d(hidden)
        self.lif_fc = LIF(**lif_kw)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, frames: torch.Tensor, generator: Optional[torch.Generator] = None) -> SNNOutput:
        if frames.ndim != 5:
            raise ConfigError(f"SpikingCNN input must be event frames (T, B, C, H, W), got {tuple(frames.shape)}")
        s = self.first(frames, generator=generator)
        first = s
        for block in self.blocks:
            s = block(s)
        s = s.flatten(2)
        s = self.lif_fc(_per_step(lambda z: self.bn_fc(self.fc1(z)), s))
        logits = _per_step(self.fc2, s).mean(0)
        return SNNOutput(logits, first, frames.sum())
