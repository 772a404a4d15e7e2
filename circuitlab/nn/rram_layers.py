"""RRAM compute-in-memory layers: :class:`RRAMLinear` and :class:`RRAMConv2d`.

Seed (neurram_cim_slides.txt), voltage-mode sensing: "V_SL = V_read sum_i X_i G_i / sum_i G_i + V_ref ...
total conductance along a SL, pre-computed once and multiplied back after ADC". With differential pairs
on two rows (inputs +-X), the normalised SL voltage of column j in tile t is

    y_tj = (V_SL - V_ref) / V_read = sum_{i in t} x_i (G+_ij - G-_ij) / sum_{i in t} (G+_ij + G-_ij),

with x_i = X_i / r_in the DAC output over its range. The ADC digitises y_tj (one ADC per column of each
tile), the digital side multiplies by sum(G) and r_in again and adds the tiles' partial sums.

Effects (:class:`RRAMConfig`, each on or off alone): write-verify programming error (uniform within
+-``verify_tol``), relaxation sigma(G, t) from the model's ``sigma_g`` table (Gaussian, frozen at
``program()``), read noise (relative, Gaussian, drawn per forward pass per cell), DAC and ADC
quantisation (straight-through gradients), tiling to ``array_rows`` x ``array_cols`` (a tile holds
array_rows / 2 inputs as pairs), and IR drop: an attenuation of every tile column,
y_tj -> (1 - rho) y_tj, with rho the model's ``ir_drop_rms`` at (tile rows, ``r_wire``) relative to that
campaign's RMS signal (:func:`..rram_mapping.ir_relative_error`): the campaign's error is driver loading,
which scales every row's drive by about the same factor (the table holds the RMS only, not a per-column
pattern), set at ``program()``. ``clip_weights``: the unprogrammed (training, simulation) path clips the
weights to +-w_max as programming does. Without ADC and IR drop the tiled,
normalised product equals W x exactly (the tests check it).

Before ``program()`` a layer computes with its float weights (plus training noise sigma = noise max|W|,
as the public NeuRRAM code; drawn per forward pass in training and in evaluation, so that the same noise
model also serves as the "simulation" of a trained network: set it to 0 for the noise-free software
model); after it, with the programmed conductances until ``unprogram()``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import ConfigError
from .rram_mapping import RRAMDevice, effective_weight, pair_conductances, w_max_of
from .rram_quant import adc_centre, adc_quantise, adc_tile_sum, dac_quantise

__all__ = ["RRAMConfig", "RRAMLinear", "RRAMConv2d", "RRAMLayer", "IDEAL", "ALL_EFFECTS"]


@dataclass(frozen=True)
class RRAMConfig:
    """Switches and numbers of the non-idealities (SI units). ``None`` bits switch a converter off."""
    program_error: bool = True
    relaxation: bool = True
    clip_weights: bool = True              # unprogrammed path: weights clipped to +-w_max as when mapped
    read_noise: bool = True
    dac_bits: Optional[int] = 3            # the seed's ideal model: 3-bit inputs
    adc_bits: Optional[int] = 6            # 1-8 bit neuron ADC
    tiling: bool = True
    ir_drop: bool = True
    array_rows: int = 256
    array_cols: int = 256
    r_wire: float = 1.0                    # ohm per wire segment
    t: float = 1800.0                      # s after programming (seed: "30 mins after programming")
    dac_percentile: float = 99.9           # DAC range from calibration inputs
    adc_percentile: float = 99.9           # ADC clip from calibration column voltages
    w_percentile: float = 95.0             # w_max (nn.md)

    def __post_init__(self):
        if self.dac_bits is not None and not 2 <= self.dac_bits <= 16:
            raise ConfigError(f"dac_bits={self.dac_bits!r}: use 2-16 bits, or None to switch the DAC off")
        if self.adc_bits is not None and not 1 <= self.adc_bits <= 16:
            raise ConfigError(f"adc_bits={self.adc_bits!r}: the seed's ADC has 1-8 bits; None switches it off")
        if self.array_rows < 2 or self.array_rows % 2 or self.array_cols < 1:
            raise ConfigError(f"array {self.array_rows}x{self.array_cols}: rows must be even (pairs) and >= 2")
        if self.t <= 0 or self.r_wire < 0:
            raise ConfigError(f"t={self.t!r} s must be > 0 and r_wire={self.r_wire!r} ohm >= 0")

    def only(self, **on) -> "RRAMConfig":
        """Every effect off except those given (e.g. ``cfg.only(adc_bits=4, tiling=True)``)."""
        keep = {k: v for k, v in vars(self).items() if k not in _SWITCHES}
        keep.update(on)
        return replace(IDEAL, **keep)


_SWITCHES = ("program_error", "relaxation", "clip_weights", "read_noise", "dac_bits", "adc_bits", "tiling", "ir_drop")
IDEAL = RRAMConfig(program_error=False, relaxation=False, clip_weights=False, read_noise=False, dac_bits=None,
                   adc_bits=None, tiling=False, ir_drop=False)
ALL_EFFECTS = RRAMConfig()


def _sum_tiles(p: torch.Tensor) -> torch.Tensor:
    """Sum over the tile axis (-2) as slice additions (several times faster than ``sum(-2)`` on CPU here)."""
    out = p[..., 0, :]
    for t in range(1, p.shape[-2]):
        out = out + p[..., t, :]
    return out


class _TiledConvADC(torch.autograd.Function):
    """Training path of a tiled convolution with ADC: the forward is the tiled, quantised product; the backward
    is the straight-through gradient, i.e. that of the dense convolution times the analog gain (averaged over
    the tiles, which share one tile height and so one IR-drop factor). One dense
    ``convolution_backward`` instead of a grouped one: about 2x cheaper on CPU here."""

    @staticmethod
    def forward(ctx, x, w, layer, scale, gain):
        with torch.no_grad():
            out = layer._finish(adc_tile_sum(layer._tile_product(x, w), scale, float(layer.adc_clip),
                                             layer.cfg.adc_bits, gain))
        ctx.save_for_backward(x, w)
        ctx.layer = layer
        ctx.g = None if gain is None else gain.mean(0)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        lay = ctx.layer
        # the gain is per output channel: applied to the (small) weight and weight gradient, not to the grad map
        gain = None if ctx.g is None else ctx.g.view(-1, 1, 1, 1)
        # one convolution_backward on the saved input (its channels-last layout kept), as autograd does for
        # a dense convolution: torch.nn.grad.conv2d_input/_weight are two passes and return NCHW gradients
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        gx, gw, _ = torch.ops.aten.convolution_backward(
            grad, x, w if gain is None else w * gain, None, list(lay.stride), list(lay.padding), list(lay.dilation),
            False, [0, 0], 1, [need_x, need_w, False])
        if gw is not None and gain is not None:
            gw = gw * gain                                # conv_w(x, grad) does not depend on the weight passed
        return gx, gw, None, None, None


class RRAMLayer(nn.Module):
    """Shared machinery; subclasses give the product (:meth:`_tile_product`) and the tile layout."""

    def _init_rram(self, device: RRAMDevice, cfg: RRAMConfig):
        self.device_model, self.cfg = device, cfg
        self.train_noise = 0.0
        self.generator: Optional[torch.Generator] = None      # read noise
        self.programmed = False
        self.register_buffer("g_pos", None)
        self.register_buffer("g_neg", None)
        self.register_buffer("ir_offset", None)     # IR drop: -rho per tile column (T, out)
        self.register_buffer("in_range", torch.tensor(1.0))
        self.register_buffer("adc_clip", torch.tensor(1.0))
        self.in_signed = False
        self.w_max = None
        self._record = None
        self.chip = None      # RRAMLinear only: a circuit computing the column voltages (crossbar_chip)

    # ---- layout -------------------------------------------------------------------------------------------
    def rows_per_input(self) -> int:
        return 1

    def inputs_per_tile(self) -> int:
        """Weights per column per tile (pairs on two rows each); all of them when tiling is off. The
        inputs are spread evenly over the fewest tiles that hold them (whole channels for a conv)."""
        n_in = self.weight[0].numel()
        if not self.cfg.tiling:
            return n_in
        unit = self.rows_per_input()
        units, per = n_in // unit, max(1, (self.cfg.array_rows // 2) // unit)
        tiles = math.ceil(units / per)
        return math.ceil(units / tiles) * unit

    def n_tiles(self) -> int:
        return math.ceil(self.weight[0].numel() / self.inputs_per_tile())

    def tile_rows(self) -> int:
        """Physical rows (2 per weight) of a full tile."""
        return 2 * min(self.inputs_per_tile(), self.weight[0].numel())

    # ---- programming ---------------------------------------------------------------------------------------
    def _wmax(self) -> float:
        if self.w_max is None:
            self.w_max = w_max_of(self.weight, self.cfg.w_percentile)
        return self.w_max

    @torch.no_grad()
    def program(self, t: Optional[float] = None, generator: Optional[torch.Generator] = None) -> None:
        """Map the weights to pairs, program them (write-verify error) and let them relax for ``t`` s
        (default ``cfg.t``); set the IR-drop attenuation. Read noise stays per forward pass."""
        dev, cfg = self.device_model, self.cfg
        t = cfg.t if t is None else float(t)
        self.w_max = w_max_of(self.weight, cfg.w_percentile)
        gp, gn = pair_conductances(self.weight.detach().double(), self.w_max, dev)
        out = []
        for g in (gp, gn):
            target = g
            if cfg.program_error:
                u = torch.rand(g.shape, generator=generator, dtype=g.dtype, device=g.device)
                g = g + (2 * u - 1) * dev.verify_tol
            if cfg.relaxation:
                z = torch.randn(g.shape, generator=generator, dtype=g.dtype, device=g.device)
                g = g + z * dev.sigma_relax(target, t)
            out.append(g.clamp(min=1e-9).to(self.weight.dtype))
        self.g_pos, self.g_neg = out
        if cfg.ir_drop:
            rho = dev.ir_drop_relative(self.tile_rows(), cfg.r_wire)
            self.ir_offset = torch.full(self._offset_shape(), -rho, dtype=self.weight.dtype, device=self.weight.device)
        else:
            self.ir_offset = None
        self.programmed = True

    def unprogram(self) -> None:
        """Back to the float weights (e.g. to fine-tune them)."""
        self.g_pos = self.g_neg = self.ir_offset = None
        self.programmed = False

    # ---- the product ------------------------------------------------------------------------------------------
    @torch.no_grad()
    def normaliser(self) -> torch.Tensor:
        """sum(G+ + G-) per tile column (T, out) in weight units (x w_max / (G_max - G_min)): programmed
        conductances after ``program()``, the mapped float weights before."""
        dev = self.device_model
        span, wmax = dev.g_max - dev.g_min, self._wmax()
        if self.programmed:
            g = self.g_pos + self.g_neg
        else:
            g = (self.weight.abs() / wmax).clamp(max=1.0) * span + 2 * dev.g_min
        return self._tile_sum(g) * (wmax / span)

    def _weights(self):
        """(effective weight, per-tile normaliser or None) for this forward pass."""
        dev, cfg = self.device_model, self.cfg
        if not self.programmed and cfg.clip_weights:
            self.w_max = w_max_of(self.weight, cfg.w_percentile)
        norm = self.normaliser() if self._needs_norm() else None
        if self.programmed:
            gp, gn = self.g_pos, self.g_neg
            if cfg.read_noise:
                rel = dev.read_noise_rel
                gp = gp * (1 + rel * torch.randn(gp.shape, generator=self.generator, dtype=gp.dtype, device=gp.device))
                gn = gn * (1 + rel * torch.randn(gn.shape, generator=self.generator, dtype=gn.dtype, device=gn.device))
            return effective_weight(gp, gn, self._wmax(), dev), norm
        w = self.weight
        if cfg.clip_weights:
            w = w.clamp(-self.w_max, self.w_max)
        if self.train_noise > 0:        # weight-noise injection, in training and in noise simulations
            sigma = self.train_noise * float(w.detach().abs().max())
            w = w + sigma * torch.randn(w.shape, generator=self.generator, dtype=w.dtype, device=w.device)
        return w, norm

    def _ir_gain(self):
        """IR-drop gain (1 - rho) of each tile column: frozen at program(); before it (training and the
        simulation) the same attenuation from the model's table, so noise-aware training sees it too."""
        if self.programmed:
            return None if self.ir_offset is None else 1 + self.ir_offset
        if not self.cfg.ir_drop:
            return None
        rho = self.device_model.ir_drop_relative(self.tile_rows(), self.cfg.r_wire)
        return torch.full(self._offset_shape(), 1 - rho, dtype=self.weight.dtype, device=self.weight.device)

    def _needs_norm(self) -> bool:
        return self.cfg.adc_bits is not None or self.cfg.ir_drop or self._record is not None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        if self._record is not None:
            self._record["x"].append(x.detach().abs().flatten()[:: max(1, x.numel() // 20000)])
            self._record["signed"] |= bool((x.detach() < 0).any())
        r_in = float(self.in_range)
        calibrating = self._record is not None
        if cfg.dac_bits is not None and not calibrating:
            x = dac_quantise(x, r_in, cfg.dac_bits, self.in_signed)
        if self.chip is not None and self.programmed:
            return self._chip_forward(x, r_in)
        w, norm = self._weights()
        if norm is None:
            return self._full_product(x, w)
        scale = norm * r_in                                # (T, out) broadcasts over (..., T, out)
        gain = self._ir_gain()
        if (torch.is_grad_enabled() and self._record is None and isinstance(self, nn.Conv2d) and self.n_tiles() > 1
                and cfg.adc_bits is not None):
            return _TiledConvADC.apply(x, w, self, scale, gain)
        p = self._tile_product(x, w)                       # (..., T, out), tiles and outputs last
        if self._record is not None:
            y = (p.detach() / scale).abs().flatten()
            y = y[:: max(1, y.numel() // 20000)]
            self._record["y"].append(y if gain is None else y * float(gain.min()))
        if cfg.adc_bits is not None and not calibrating:
            clip = float(self.adc_clip)
            if not p.requires_grad:                        # inference: the fused quantise-and-sum
                return self._finish(adc_tile_sum(p, scale, clip, cfg.adc_bits, gain))
            p = adc_quantise(p, scale, clip, cfg.adc_bits, gain, centre=False)
            return self._finish(_sum_tiles(p) + adc_centre(scale, clip, cfg.adc_bits).sum(0))
        if gain is not None:
            p = p * gain
        return self._finish(_sum_tiles(p))

    # ---- calibration -------------------------------------------------------------------------------------------
    def start_calibration(self):
        self._record = {"x": [], "y": [], "signed": False}

    @torch.no_grad()
    def end_calibration(self):
        """Set the DAC range and the ADC clip from the recorded inputs and column voltages."""
        rec, self._record = self._record, None
        if rec is None or not rec["x"]:
            raise ConfigError("calibration saw no inputs: run at least one batch between start and end")
        xs = torch.cat(rec["x"]).float()
        self.in_signed = rec["signed"]
        r = float(torch.quantile(xs, self.cfg.dac_percentile / 100)) if xs.numel() else 1.0
        self.in_range.fill_(r if r > 0 else max(float(xs.max()), 1e-6))
        if rec["y"]:
            ys = torch.cat(rec["y"]).float()
            c = float(torch.quantile(ys, self.cfg.adc_percentile / 100))
            self.adc_clip.fill_(min(max(c, 1e-6), 1.0))

    def extra_repr(self) -> str:
        return (super().extra_repr() + f", tiles={self.n_tiles()}, programmed={self.programmed}, "
                f"train_noise={self.train_noise:g}")


class RRAMLinear(nn.Linear, RRAMLayer):
    """nn.Linear on an RRAM crossbar (inputs on rows as differential pairs, outputs on columns)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 device_model: Optional[RRAMDevice] = None, cfg: RRAMConfig = ALL_EFFECTS):
        nn.Linear.__init__(self, in_features, out_features, bias=bias)
        self._init_rram(device_model or RRAMDevice(), cfg)

    @classmethod
    def from_linear(cls, m: nn.Linear, device_model: RRAMDevice, cfg: RRAMConfig) -> "RRAMLinear":
        new = cls(m.in_features, m.out_features, m.bias is not None, device_model=device_model, cfg=cfg)
        new.load_state_dict(m.state_dict(), strict=False)
        return new.to(m.weight.device)

    def _offset_shape(self):
        return (self.n_tiles(), self.out_features)

    def _tile_sum(self, a):                               # (out, in) -> (T, out)
        n, k = self.inputs_per_tile(), self.in_features
        t = self.n_tiles()
        a = F.pad(a, (0, t * n - k)) if t * n != k else a
        return a.view(self.out_features, t, n).sum(-1).t()

    def _tile_product(self, x, w):                        # -> (B, T, out)
        n, k, t = self.inputs_per_tile(), self.in_features, self.n_tiles()
        if t == 1:
            return F.linear(x, w).unsqueeze(-2)
        lead = x.shape[:-1]
        xp = F.pad(x.reshape(-1, k), (0, t * n - k)).view(-1, t, n).transpose(0, 1)    # (T, B, n)
        wp = F.pad(w, (0, t * n - k)).view(self.out_features, t, n).permute(1, 2, 0)  # (T, n, out)
        return torch.bmm(xp, wp).transpose(0, 1).reshape(*lead, t, self.out_features)

    def _full_product(self, x, w):
        return F.linear(x, w, self.bias)

    def _finish(self, y):
        return y if self.bias is None else y + self.bias

    def forward(self, x):
        return RRAMLayer.forward(self, x)

    @torch.no_grad()
    def _chip_forward(self, x, r_in):
        """The programmed conductances read by ``self.chip`` (the circuit gives IR drop itself; no read
        noise), then the same ADC and digital multiply-back as the behavioural path."""
        if self.n_tiles() != 1:
            raise ConfigError(f"the circuit chip computes one tile; this layer needs {self.n_tiles()} "
                              f"(in_features {self.in_features} > {self.inputs_per_tile()})")
        lead = x.shape[:-1]
        xn = (x.reshape(-1, self.in_features) / r_in).clamp(-1, 1)
        y = self.chip(self.g_pos.double().cpu().numpy(), self.g_neg.double().cpu().numpy(),
                      xn.double().cpu().numpy())
        scale = (self.normaliser() * r_in).view(1, 1, -1)
        y = torch.as_tensor(y, dtype=x.dtype, device=x.device).view(-1, 1, self.out_features)   # (B, T=1, out)
        p = y * scale
        if self.cfg.adc_bits is not None:
            p = adc_quantise(p, scale, float(self.adc_clip), self.cfg.adc_bits)
        return self._finish(_sum_tiles(p)).reshape(*lead, self.out_features)

    def column_voltages(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised SL voltages y_tj = (V_SL - V_ref) / V_read, shape (B, T, out), for inputs ``x`` (already
        on the DAC's levels, in input units): before the IR drop and the ADC; read noise as configured."""
        w, _ = self._weights()
        p = self._tile_product(x, w)
        return p / (self.normaliser() * float(self.in_range))


class RRAMConv2d(nn.Conv2d, RRAMLayer):
    """nn.Conv2d on RRAM crossbars: a tile holds whole input channels (k x k rows each)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", *, device_model: Optional[RRAMDevice] = None,
                 cfg: RRAMConfig = ALL_EFFECTS):
        if groups != 1 or padding_mode != "zeros":
            raise ConfigError(f"RRAMConv2d maps ordinary convolutions only (groups=1, zero padding); got "
                              f"groups={groups}, padding_mode={padding_mode!r}: exclude this layer from convert()")
        nn.Conv2d.__init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias)
        self._init_rram(device_model or RRAMDevice(), cfg)

    @classmethod
    def from_conv(cls, m: nn.Conv2d, device_model: RRAMDevice, cfg: RRAMConfig) -> "RRAMConv2d":
        new = cls(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups,
                  m.bias is not None, m.padding_mode, device_model=device_model, cfg=cfg)
        new.load_state_dict(m.state_dict(), strict=False)
        return new.to(m.weight.device)

    def rows_per_input(self) -> int:
        return self.kernel_size[0] * self.kernel_size[1]

    def _chan_per_tile(self):
        return self.inputs_per_tile() // self.rows_per_input()

    def _offset_shape(self):
        return (self.n_tiles(), self.out_channels)

    def _tile_sum(self, a):                               # (out, in, kh, kw) -> (T, out)
        c, t = self._chan_per_tile(), self.n_tiles()
        s = a.sum(dim=(2, 3))
        s = F.pad(s, (0, t * c - self.in_channels)) if t * c != self.in_channels else s
        return s.view(self.out_channels, t, c).sum(-1).t()

    def _tile_product(self, x, w):                        # -> (B, H, W, T, out)
        """Per-tile partial sums as one grouped convolution (one group per tile) on a channels-last input:
        oneDNN's grouped kernel is then about as fast as the dense one (2-5x faster than the default layout
        here), and the NHWC output viewed as (B, H, W, T, out) is contiguous for the ADC's elementwise work."""
        c, t = self._chan_per_tile(), self.n_tiles()
        x = x.contiguous(memory_format=torch.channels_last)
        if t == 1:
            y = self._conv_forward(x, w, None)
        else:
            pad_c = t * c - self.in_channels
            if pad_c:
                x = F.pad(x, (0, 0, 0, 0, 0, pad_c))
                w = F.pad(w, (0, 0, 0, 0, 0, pad_c))
            kh, kw = self.kernel_size
            wg = w.view(self.out_channels, t, c, kh, kw).transpose(0, 1).reshape(t * self.out_channels, c, kh, kw)
            y = F.conv2d(x, wg, None, self.stride, self.padding, self.dilation, t)
        b, _, h, wd = y.shape
        return y.permute(0, 2, 3, 1).reshape(b, h, wd, t, self.out_channels)

    def _full_product(self, x, w):
        return self._conv_forward(x, w, self.bias)

    def _finish(self, y):                                 # (B, H, W, out) -> (B, out, H, W), channels last
        y = y.permute(0, 3, 1, 2)
        return y if self.bias is None else y + self.bias.view(1, -1, 1, 1)

    def forward(self, x):
        return RRAMLayer.forward(self, x)
