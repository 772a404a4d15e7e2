"""Back-end energy of the spiking CNN from operation counts (the seed's Fig. 7: "45.3% reduction in
backend-processor energy" with the P2M first layer).

Counted on a forward pass (hooks on each digital layer):
- the digital first layer of the baseline: its inputs are event counts per window, multi-bit numbers, so it
  multiplies (the seed, Sec. 1: "accumulating input spikes within each period to generate multi-bit inputs for
  the initial layer ... the first layer involves digital multi-bit Multiply-Accumulate (MAC) operations"): one
  MAC (multiply, add, weight read) per synapse reached by every non-zero input pixel of a window (zero inputs
  skipped, the cheaper reading for the baseline); ``macs_dense`` / ``energy_dense``: the same layer as a
  dense convolution of every frame (a MAC array that does not skip zeros);
- synaptic operations: every input spike of a layer triggers one accumulate per synapse it reaches
  (conv: out_channels x k^2 / stride^2 per spike in the interior; counted exactly as a convolution of
  the spike map with a ones kernel; linear: out_features), each with one weight read from SRAM;
- neuron updates: every neuron of the layer, every window: read and write of its membrane potential
  and one add.

Energies per operation (45 nm, Horowitz, "Computing's energy problem", ISSCC 2014, Fig. 1.1.9):
32-bit integer add 0.1 pJ; 32-bit integer multiply 3.1 pJ; 32-bit read from an 8 KB SRAM 5 pJ (10 pJ per 64 bits). Ratios, not
absolute joules, are what the comparison uses: both networks are costed with the same numbers.
With the P2M first layer the back end starts at the second layer (the first computes in the pixel
array; its own energy comes from the p2m_f1/f2 model files, :meth:`P2MConv2d.energy`).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..nn.p2m import P2MConv2d
from ..nn.spiking_cnn import SpikingCNN

__all__ = ["E_ADD", "E_MULT", "E_SRAM", "BackendEnergy", "backend_energy"]

E_ADD = 0.1e-12    # J, 32-bit integer add (Horowitz 2014, 45 nm)
E_MULT = 3.1e-12   # J, 32-bit integer multiply (Horowitz 2014, 45 nm)
E_SRAM = 5e-12     # J, 32-bit read of an 8 KB SRAM (Horowitz 2014, 45 nm)


@dataclass
class BackendEnergy:
    """Per sample: spike-driven synaptic ops (accumulates), the digital first layer's multi-bit MACs, neuron
    updates and energy (J) of the digital back end."""
    synaptic_ops: float
    neuron_updates: float
    energy: float
    macs: float = 0.0
    macs_dense: float = 0.0

    @property
    def energy_dense(self) -> float:
        """Energy (J) with the digital first layer computed densely (every input pixel, every window)."""
        return self.energy + (self.macs_dense - self.macs) * (E_MULT + E_ADD + E_SRAM)


def _conv_fanout(spikes: torch.Tensor, conv: torch.nn.Conv2d) -> float:
    ones = torch.ones((conv.out_channels, conv.in_channels, *conv.kernel_size), dtype=spikes.dtype,
                      device=spikes.device)
    return float(F.conv2d(spikes, ones, stride=conv.stride, padding=conv.padding).sum())


def backend_energy(net: SpikingCNN, frames: torch.Tensor) -> BackendEnergy:
    """Count the back end's operations on ``frames`` (T, B, C, H, W); per-sample averages."""
    T, B = frames.shape[:2]
    sops, macs, dense, updates = 0.0, 0.0, 0.0, 0.0
    records = []

    def conv_hook(module, inputs, output):
        records.append((module, inputs[0].detach(), output.shape))

    handles = []
    digital_first = not isinstance(net.first, P2MConv2d)
    convs = [b.conv for b in net.blocks]
    if digital_first:
        convs = [net.first.conv] + convs
    for m in convs + [net.fc1, net.fc2]:
        handles.append(m.register_forward_hook(conv_hook))
    try:
        with torch.no_grad():
            net.eval()
            net(frames)
    finally:
        for h in handles:
            h.remove()
    first = net.first.conv if digital_first else None
    for module, x, out_shape in records:
        if module is first:
            macs += _conv_fanout((x != 0).to(x.dtype), module)
            dense += float(torch.tensor(out_shape).prod()) * x.shape[1] * module.kernel_size[0] * module.kernel_size[1]
        elif isinstance(module, torch.nn.Conv2d):
            sops += _conv_fanout(x, module)
        else:
            sops += float(x.sum()) * module.out_features
        updates += float(torch.tensor(out_shape).prod())   # neurons x (T B) folded in the batch
    sops, macs, dense, updates = sops / B, macs / B, dense / B, updates / B
    energy = sops * (E_ADD + E_SRAM) + macs * (E_MULT + E_ADD + E_SRAM) + updates * (2 * E_SRAM + E_ADD)
    return BackendEnergy(sops, updates, energy, macs, dense)
