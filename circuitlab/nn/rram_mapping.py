"""Weights -> RRAM conductances, and the device statistics of an ``rram_cim`` model file.

Seed (neurram_cim_slides.txt) and the public NeuRRAM software (devices.md section 3): each weight is a
differential conductance pair in [G_min, G_max] = [1, 40] uS, programmed by write-verify to within
1 uS; the pair sits on two rows driven with opposite inputs, so a column computes sum x (G+ - G-).
Mapping (nn.md): w_max = 95th percentile of |W| per layer; weights beyond +-w_max are clipped;

    G+ = G_min + (G_max - G_min) max(W, 0) / w_max,   G- = G_min + (G_max - G_min) max(-W, 0) / w_max,

so W = (G+ - G-) w_max / (G_max - G_min).

Device statistics come from the model file: ``sigma_g`` [S] over (time [s], conductance [S]) is the
conductance spread after relaxation for a time t (interpolated linearly in G and in log10 t, held
constant outside the tabulated range), ``read_noise_rel`` the relative read noise per read,
``ir_drop_rms`` [1] over (size, r_wire [ohm]) the RMS voltage-mode MVM error / V_read, measured on random
MVMs (X ~ U[-1, 1], G ~ U[1, 40] uS, 1 kOhm drivers); the layers use it relative to that campaign's RMS
signal (closed form in :func:`table_signal_rms`), since the error of a loaded line scales with its
current: about 11 % of the signal at 16 rows, 33 % at 128 (driver-dominated; wires 0.1-5 ohm add < 10 %).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import ConfigError

__all__ = ["RRAMDevice", "pair_conductances", "effective_weight", "w_max_of", "interp_sigma", "interp_ir_rms",
           "table_signal_rms", "ir_relative_error"]

US = 1e-6


@dataclass(frozen=True)
class RRAMDevice:
    """Device numbers used by the layers (SI units). Build with :meth:`from_model`."""
    g_min: float = 1 * US              # S (NeuRRAM)
    g_max: float = 40 * US             # S
    verify_tol: float = 1 * US         # S, write-verify acceptance window (+-)
    read_noise_rel: float = 0.01       # 1, per read, relative to G
    v_read: float = 0.1                # V
    sigma_t: tuple = (1.0,)            # s, time axis of sigma_g
    sigma_g_axis: tuple = (1 * US, 40 * US)   # S, conductance axis of sigma_g
    sigma_g: tuple = ((0.0, 0.0),)     # S, (time, conductance)
    ir_size: tuple = (256.0,)          # 1, array rows of the IR-drop table
    ir_r_wire: tuple = (1.0,)          # ohm
    ir_rms: tuple = ((0.0,),)          # 1, (size, r_wire)
    name: str = "custom"

    def __post_init__(self):
        if not 0 < self.g_min < self.g_max:
            raise ConfigError(f"need 0 < g_min < g_max, got {self.g_min} and {self.g_max} S")

    @classmethod
    def from_model(cls, name_or_path="rram_cim", **over) -> "RRAMDevice":
        """The device of an ``rram_cim`` model file (built-in name or path); ``over`` replaces fields."""
        from ..export.modelfile import load_model

        m = load_model(name_or_path, kind="rram_cim")
        sg, ir = m.tables["sigma_g"], m.tables["ir_drop_rms"]
        kw = dict(read_noise_rel=float(m.parameters["read_noise_rel"].value),
                  v_read=float(m.parameters["v_read"].value),
                  sigma_t=tuple(float(v) for v in sg.axes[0].values),
                  sigma_g_axis=tuple(float(v) for v in sg.axes[1].values),
                  sigma_g=tuple(tuple(float(v) for v in row) for row in np.asarray(sg.values)),
                  ir_size=tuple(float(v) for v in ir.axes[0].values),
                  ir_r_wire=tuple(float(v) for v in ir.axes[1].values),
                  ir_rms=tuple(tuple(float(v) for v in row) for row in np.asarray(ir.values)),
                  name=str(name_or_path))
        kw.update(over)
        return cls(**kw)

    def sigma_relax(self, g: torch.Tensor, t: float) -> torch.Tensor:
        """Conductance spread (S) after relaxation for ``t`` seconds at conductance ``g`` (S)."""
        return interp_sigma(self, g, t)

    def ir_drop_rms(self, size: int, r_wire: float) -> float:
        """RMS voltage-mode MVM error / V_read of a ``size``-row array with ``r_wire`` ohm segments."""
        return interp_ir_rms(self, size, r_wire)

    def ir_drop_relative(self, size: int, r_wire: float) -> float:
        """The same error relative to the RMS signal of the campaign's random MVMs (see ir_relative_error)."""
        return ir_relative_error(self, size, r_wire)


def _log_time_weights(axis: np.ndarray, t: float):
    """Indices and weight for linear interpolation in log10 t, clamped to the axis."""
    if t <= 0:
        raise ConfigError(f"time after programming t={t!r} s must be > 0 (use 1.0 for one second)")
    lt, la = np.log10(t), np.log10(axis)
    if len(la) == 1 or lt <= la[0]:
        return 0, 0, 0.0
    if lt >= la[-1]:
        return len(la) - 1, len(la) - 1, 0.0
    k = int(np.searchsorted(la, lt) - 1)
    return k, k + 1, float((lt - la[k]) / (la[k + 1] - la[k]))


def interp_sigma(dev: RRAMDevice, g: torch.Tensor, t: float) -> torch.Tensor:
    """sigma_g(G, t): linear in G (clamped to the table) and in log10 t; same shape as ``g``."""
    a, b, w = _log_time_weights(np.asarray(dev.sigma_t), float(t))
    table = np.asarray(dev.sigma_g, float)
    row = (1 - w) * table[a] + w * table[b]
    xs = torch.as_tensor(np.asarray(dev.sigma_g_axis), dtype=g.dtype, device=g.device)
    ys = torch.as_tensor(row, dtype=g.dtype, device=g.device)
    gc = g.clamp(xs[0], xs[-1])
    k = torch.searchsorted(xs, gc.contiguous()).clamp(1, len(xs) - 1)
    x0, x1, y0, y1 = xs[k - 1], xs[k], ys[k - 1], ys[k]
    return y0 + (y1 - y0) * (gc - x0) / (x1 - x0)


def interp_ir_rms(dev: RRAMDevice, size: int, r_wire: float) -> float:
    """Bilinear interpolation of ``ir_drop_rms`` in (size, r_wire), held constant outside the table (below
    its smallest r_wire the drivers still load the lines)."""
    if r_wire < 0:
        raise ConfigError(f"r_wire={r_wire!r} ohm must be >= 0")
    s_ax, r_ax = np.asarray(dev.ir_size, float), np.asarray(dev.ir_r_wire, float)
    tab = np.asarray(dev.ir_rms, float)
    per_size = np.array([np.interp(r_wire, r_ax, row) for row in tab])
    return float(np.interp(float(size), s_ax, per_size))


def table_signal_rms(size: int, dev: RRAMDevice) -> float:
    """RMS of the ideal normalised SL voltage y = sum X G / sum G under the conditions of the model's IR-drop
    campaign (circuitlab/circuits/rram_campaigns.py: X ~ U[-1, 1], G ~ U[G_min, G_max], ``size`` rows):
    y_rms = sqrt(E[X^2] E[G^2] / size) / E[G] (independent rows), E[X^2] = 1/3."""
    a, b = dev.g_min, dev.g_max
    eg, eg2 = (a + b) / 2, (b ** 3 - a ** 3) / (3 * (b - a))
    return float(np.sqrt(eg2 / (3 * size)) / eg)


def ir_relative_error(dev: RRAMDevice, size: int, r_wire: float) -> float:
    """IR-drop error relative to the signal: table RMS error / table signal RMS at (size, r_wire)."""
    return interp_ir_rms(dev, size, r_wire) / table_signal_rms(size, dev)


def w_max_of(weight: torch.Tensor, percentile: float = 95.0) -> float:
    """w_max = the ``percentile`` of |W| (nn.md: 95th; the k-th smallest, k = ceil(p N / 100)); falls back
    to max|W| when that is 0."""
    a = weight.detach().abs().flatten()
    k = max(1, min(a.numel(), math.ceil(percentile / 100.0 * a.numel()))) if a.numel() else 0
    w = float(torch.kthvalue(a, k).values) if a.numel() else 0.0
    if w <= 0:
        w = float(a.max()) if a.numel() else 0.0
    return w if w > 0 else 1.0


def pair_conductances(weight: torch.Tensor, w_max: float, dev: RRAMDevice):
    """(G+, G-) in S for ``weight`` (any shape), clipped to +-w_max."""
    span = dev.g_max - dev.g_min
    wn = (weight / w_max).clamp(-1.0, 1.0)
    return dev.g_min + span * wn.clamp(min=0), dev.g_min + span * (-wn).clamp(min=0)


def effective_weight(g_pos: torch.Tensor, g_neg: torch.Tensor, w_max: float, dev: RRAMDevice) -> torch.Tensor:
    """The weight a conductance pair stores: (G+ - G-) w_max / (G_max - G_min)."""
    return (g_pos - g_neg) * (w_max / (dev.g_max - dev.g_min))
