"""The in-pixel first layer of the domain-wall P2M spiking CNN (seed: dwmtj_p2m_snn_paper.txt, Sec. 4).

Per integration window the layer does what the seed's hardware does:

1. Signed weights split onto a positive and a negative accumulator (ACC_POSW, ACC_NEGW). A weight's
   magnitude, normalised by the layer's largest |w|, is realised on the weight device: 0 (device off)
   or a level in [w_min, 1] (``weight_min_<config>`` of the p2m_f1 model: the configuration's dynamic
   range), rounded with a straight-through gradient.
2. Every input event moves each accumulator's wall by f1(u / N_MAX) (in units of the model's full scale,
   N_MAX events on the largest weight) with Gaussian variation sigma(u / N_MAX) from the fitted tables;
   the seed: "generates random Gaussian sample values based on mean and standard deviation results from
   HSpice simulations ... The accumulated DW position for each pixel's event spike is calculated using
   the f1 function ..., aggregated throughout the integration time". No leak (non-volatile); the wall
   stops at the track end (``capacity`` full scales).
3. The pre-activation is f2 of the wall difference (q_P - q_N) / L at its worst-case lower bound: "The
   worst-case scenario (lower bound) is used for pre-activation voltage calculation".
4. A per-kernel programmable threshold ("kernel-dependent adjustments to neuron thresholds"), a spike
   (arctangent surrogate gradient), and the accumulators reset after each window.

Event-count formulation (what forward computes): with n_k events of input k in the window,
mean = sum_k n_k f1(u_k / N_MAX) and variance = sum_k n_k sigma(u_k / N_MAX)^2, i.e. a convolution of the
counts with f1(u) plus count-scaled Gaussian noise. It is exact when each event's displacement is an
independent Gaussian that does not depend on the wall position (true for the linear velocity regime
and the seed's per-event model, until the wall reaches the track end, where the clamp is applied to
the window total instead of event by event; exact again when no window overfills the track).

Mismatch (``mismatch``): "event" draws each event's displacement independently (variance sum_k n_k sigma_k^2:
the relative noise of a tap falls as 1 / sqrt(n_k), the behaviour of pulse jitter); "device" gives all events on
one weight device in a window the same deviation (variance sum_k n_k^2 sigma_k^2, one independent draw per
weight device, i.e. per output position and tap, and window), the behaviour of process and resistance
mismatch, which is what the Fig. 6 Monte Carlo's sigma(x) mostly holds (its samples are process instances of
one device; the seed: "3-sigma variation for GF22FDX devices, 20% MDWMTJ resistance variation, and 10% clock
jitter"). Both are exact sums of independent Gaussians, so the conv formulation stays exact.

Read variation (``read_noise``): "lower" (default) is the seed's training rule, the deterministic worst-case lower
bound of f2; being a fixed monotone lowering, a trained per-kernel threshold can absorb it. "random" draws each
read (each output neuron, each window) from f2's fitted spread instead: f2_mean(x) + s2 sigma_2(x) z, z ~ N(0, 1),
the read circuit's variation as Table 1's caption puts it ("the noise denotes the variation in the custom
functions f1 and f2"); sigma_2(x) is the p2m_f2 model's ``sigma`` table (older files without it: (mean - lower) / 3).

Variation (Table 1's 0/10/20/40 %): ``variation=None`` uses the model's own sigma(x) and lower bound;
a number v rescales them so that the model's worst-case metric (3 sigma over the dynamic range,
``worst_case_<config>``; ``worst_case_variation`` for f2) equals v. v = 0 is the noiseless mapping:
mean f1, mean f2.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigError, SchemaError
from .curves import TableCurve, blend
from .lif import spike_atan

__all__ = ["P2MCurves", "P2MConv2d"]

CONFIGURATIONS = ("cmos", "dwmtj", "hybrid")
MISMATCH = ("event", "device")
READ_NOISE = ("lower", "random")


@dataclass(frozen=True)
class P2MCurves:
    """The numbers of one weight configuration read from the p2m_f1 and p2m_f2 model files."""

    configuration: str
    x1: np.ndarray           # f1 axis: (events / N_MAX) (u / u_max), dimensionless
    f1_mean: np.ndarray      # displacement / full scale
    f1_sigma: np.ndarray
    worst_case_f1: float     # 3 sigma / dynamic-range span (the seed's Fig. 6a-c metric)
    weight_min: float        # smallest realisable non-zero weight, fraction of the largest
    n_max: int               # events per input at full input activation (the f1 x-axis unit)
    capacity: float          # track length / full scale: where the wall stops
    programmable_range: Optional[float]   # total tunable span / median (the seed: 30-40 %), if known
    x2: np.ndarray           # f2 axis: (q_P - q_N) / L in [-1, 1]
    f2_mean: np.ndarray      # normalised pre-activation
    f2_lower: np.ndarray     # its worst-case lower bound
    f2_sigma: np.ndarray     # sigma of one read around the mean (normalised units)
    worst_case_f2: float
    energy_per_event: float  # J per input event on one weight device (f1 model)
    energy_per_read: float   # J per window per output neuron (divider + comparator, f2 model)

    @classmethod
    def from_models(cls, f1="p2m_f1", f2="p2m_f2", configuration: str = "hybrid", *, n_max: int = None,
                    track_length: float = None, programmable_range: float = None) -> "P2MCurves":
        """Read a configuration ("cmos", "dwmtj", "hybrid") from model files (built-in names or paths).
        ``n_max``, ``track_length`` (m) and ``programmable_range`` override or supply numbers that older
        model files lack."""
        from ..export import load_model

        if configuration not in CONFIGURATIONS:
            raise ConfigError(f"P2M configuration {configuration!r}: use one of {', '.join(CONFIGURATIONS)}")
        m1 = load_model(f1, kind="p2m_f1")
        m2 = load_model(f2, kind="p2m_f2")
        p1, p2 = m1.parameters, m2.parameters
        names = list(m1.tables["mean"].axes[0].values)
        row = names.index(configuration)

        def need(params, key, given, what):
            if given is not None:
                return float(given)
            if key not in params:
                raise SchemaError(f"the p2m model file lacks {key!r} ({what}); rebuild it with this circuitlab "
                                  f"('circuitlab export --builtin' or 'circuitlab export p2m') or pass it")
            return float(params[key].value)

        full_scale = need(p1, f"full_scale_{configuration}", None, "m per full scale")
        n = int(need(p1, "n_max", n_max, "events per input at full activation"))
        length = need(p2, "track_length", track_length, "accumulator track length, m")
        prog = programmable_range
        if prog is None and f"programmable_range_{configuration}" in p1:
            prog = float(p1[f"programmable_range_{configuration}"].value)
        return cls(configuration, np.asarray(m1.tables["mean"].axes[1].values, float),
                   np.asarray(m1.tables["mean"].values[row], float),
                   np.asarray(m1.tables["sigma"].values[row], float),
                   float(p1[f"worst_case_{configuration}"].value), float(p1[f"weight_min_{configuration}"].value),
                   n, length / full_scale, prog,
                   np.asarray(m2.tables["mean"].axes[0].values, float), np.asarray(m2.tables["mean"].values, float),
                   np.asarray(m2.tables["lower"].values, float),
                   np.asarray(m2.tables["sigma"].values if "sigma" in m2.tables else
                              (np.asarray(m2.tables["mean"].values) - np.asarray(m2.tables["lower"].values)) / 3, float),
                   float(p2["worst_case_variation"].value),
                   float(p1[f"energy_per_event_{configuration}"].value), float(p2["energy_per_read"].value))


class _RoundToLevels(torch.autograd.Function):
    """0 below w_min / 2, w_min between w_min / 2 and w_min, unchanged above; identity gradient."""

    @staticmethod
    def forward(ctx, u: torch.Tensor, w_min: float) -> torch.Tensor:
        return torch.where(u >= w_min, u, torch.where(u >= w_min / 2, torch.full_like(u, w_min),
                                                      torch.zeros_like(u)))

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class P2MConv2d(torch.nn.Module):
    """Event counts (T, B, C, H, W) -> spikes (T, B, out_channels, H', W'), window by window.

    Build with :meth:`from_models`. ``variation``: None (the model's own), or a fraction (0.1 = 10 %).
    ``threshold`` (per output channel, normalised pre-activation units) is trainable.
    """

    def __init__(self, curves: P2MCurves, in_channels: int = 2, out_channels: int = 32, kernel_size: int = 3,
                 stride: int = 2, padding: int = 1, variation: Optional[float] = None, alpha: float = 2.0,
                 mismatch: str = "event", read_noise: str = "lower"):
        super().__init__()
        if read_noise not in READ_NOISE:
            raise ConfigError(f"P2M read_noise={read_noise!r}: 'lower' (f2's worst-case lower bound, the seed's rule) "
                              "or 'random' (each read drawn from f2's fitted spread)")
        self.read_noise = read_noise
        if mismatch not in MISMATCH:
            raise ConfigError(f"P2M mismatch={mismatch!r}: 'event' (independent per event) or 'device' (shared by "
                              "all events on a weight device in a window)")
        self.mismatch = mismatch
        if variation is not None and not (0 <= variation <= 1):
            raise ConfigError(f"P2M variation={variation!r}: a fraction in [0, 1] (0.1 = 10 %) or None for "
                              f"the model's own")
        self.curves = curves
        self.stride, self.padding, self.alpha = stride, padding, alpha
        self.variation = variation
        self.weight = torch.nn.Parameter(torch.empty(out_channels, in_channels, kernel_size, kernel_size))
        torch.nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)
        self.f1_mean = TableCurve(curves.x1, curves.f1_mean, extrapolate=True, name="f1 mean")
        self.f1_sigma = TableCurve(curves.x1, curves.f1_sigma, name="f1 sigma")
        self.f2_mean = TableCurve(curves.x2, curves.f2_mean, name="f2 mean")
        self.f2_gap = TableCurve(curves.x2, np.asarray(curves.f2_mean) - np.asarray(curves.f2_lower),
                                 name="f2 mean - lower")
        self.f2_sigma = TableCurve(curves.x2, curves.f2_sigma, name="f2 sigma")
        level0 = float(self.f2_mean(torch.zeros((), dtype=torch.float64)))
        self.threshold = torch.nn.Parameter(torch.full((out_channels,), level0 + 0.05))
        self.register_buffer("reference", None)
        self.tunable = None

    @classmethod
    def from_models(cls, f1="p2m_f1", f2="p2m_f2", configuration: str = "hybrid", *, n_max: int = None,
                    track_length: float = None, programmable_range: float = None, **kw) -> "P2MConv2d":
        """The layer for one weight configuration of the model files (built-in names or paths)."""
        curves = P2MCurves.from_models(f1, f2, configuration, n_max=n_max, track_length=track_length,
                                       programmable_range=programmable_range)
        return cls(curves, **kw)

    # --- weights -----------------------------------------------------------------------------------
    def realised(self) -> torch.Tensor:
        """Signed realised weights in units of the largest: 0 or +-[w_min, 1]; restricted if asked."""
        w = self.weight
        scale = w.detach().abs().max().clamp_min(1e-12)
        u = _RoundToLevels.apply((w.abs() / scale).clamp(max=1.0), self.curves.weight_min)
        signed = torch.sign(w.detach()) * u
        if self.reference is not None:
            ref = self.reference
            lo = (ref.abs() * (1 - self.tunable / 2)).clamp(min=self.curves.weight_min)
            hi = (ref.abs() * (1 + self.tunable / 2)).clamp(max=1.0)
            mag = torch.minimum(torch.maximum(signed * torch.sign(ref), lo), hi)
            signed = torch.where(ref == 0, torch.zeros_like(mag), mag * torch.sign(ref))
        return signed

    def restrict(self, programmable_range: Optional[float] = None) -> None:
        """Freeze today's realised weights as the fabricated reference: from now on each weight keeps its
        sign (its accumulator) and moves only within median x (1 +- range / 2) (the seed: "programmability
        range 30-40% from its median value"); zero weights stay zero."""
        r = programmable_range if programmable_range is not None else self.curves.programmable_range
        if r is None or not (0 <= r <= 2):
            raise ConfigError(f"programmable range {r!r}: give a fraction such as 0.35 (the model file has none)")
        self.tunable = float(r)
        self.reference = None
        self.reference = self.realised().detach().clone()

    def unrestrict(self) -> None:
        self.reference, self.tunable = None, None

    # --- forward -----------------------------------------------------------------------------------
    def _scales(self):
        v = self.variation
        if v is None:
            return 1.0, 1.0
        return v / self.curves.worst_case_f1, v / max(self.curves.worst_case_f2, 1e-12)

    def accumulators(self, counts: torch.Tensor, generator: torch.Generator = None):
        """Wall positions (d_P, d_N), each (N, out, H', W') in full scales, after one window of event
        counts (N, C, H, W) from reset (0)."""
        s1, _ = self._scales()
        w = self.realised()
        n = self.curves.n_max
        d = []
        for part in (w.clamp(min=0), (-w).clamp(min=0)):
            inc = self.f1_mean(part / n) * (part > 0)
            d_mean = F.conv2d(counts, inc, stride=self.stride, padding=self.padding)
            if s1 > 0:
                reps = counts if self.mismatch == "event" else counts * counts
                var = F.conv2d(reps, (self.f1_sigma(part / n) * (part > 0)) ** 2, stride=self.stride,
                               padding=self.padding)
                noise = torch.randn(d_mean.shape, generator=generator, dtype=d_mean.dtype, device=d_mean.device)
                std = torch.where(var > 0, var.clamp_min(1e-30).sqrt(), torch.zeros_like(var))  # finite grad at 0
                d_mean = d_mean + s1 * std * noise
            d.append(d_mean.clamp(0, self.curves.capacity))
        return d[0], d[1]

    def preactivation(self, counts: torch.Tensor, generator: torch.Generator = None) -> torch.Tensor:
        """Normalised pre-activation (N, out, H', W') of event counts (N, C, H, W) over one window:
        f2 of (q_P - q_N) / L, lowered by the (scaled) worst-case gap ("lower") or with one Gaussian draw of
        the (scaled) read spread per output and window ("random")."""
        _, s2 = self._scales()
        d_pos, d_neg = self.accumulators(counts, generator)
        x2 = (d_pos - d_neg) / self.curves.capacity
        if self.read_noise == "lower":
            return self._f2_at(s2)(x2)
        v = self.f2_mean(x2)
        if s2 > 0:
            z = torch.randn(v.shape, generator=generator, dtype=v.dtype, device=v.device)
            v = v + s2 * self.f2_sigma(x2) * z
        return v

    def _f2_at(self, s2: float) -> TableCurve:
        """f2_mean - s2 * (f2_mean - f2_lower) as one curve (same grid), kept while s2 stays the same."""
        cached = getattr(self, "_f2_cache", None)
        if cached is None or cached[0] != s2 or cached[1].x.device != self.f2_mean.x.device:
            self._f2_cache = (s2, blend([self.f2_mean, self.f2_gap], [1.0, -s2], name="f2 lowered"))
        return self._f2_cache[1]

    def forward(self, counts: torch.Tensor, generator: torch.Generator = None) -> torch.Tensor:
        """Spikes for event counts (T, B, C, H, W) (or (B, C, H, W): one window, no T axis returned)."""
        one = counts.ndim == 4
        x = counts.unsqueeze(0) if one else counts
        if x.ndim != 5:
            raise ConfigError(f"P2MConv2d input must be event counts (T, B, C, H, W), got {tuple(counts.shape)}")
        T, B = x.shape[:2]
        v = self.preactivation(x.reshape(T * B, *x.shape[2:]), generator)
        s = spike_atan(v - self.threshold.view(1, -1, 1, 1), self.alpha)
        s = s.reshape(T, B, *s.shape[1:])
        return s[0] if one else s

    def energy(self, counts: torch.Tensor) -> float:
        """Device energy (J) of the layer on ``counts``: every input event drives each non-zero weight
        device it reaches (energy_per_event), and every output neuron is read once per window."""
        x = counts if counts.ndim == 5 else counts.unsqueeze(0)
        T, B = x.shape[:2]
        on = (self.realised().detach() != 0).to(x.dtype)
        drives = F.conv2d(x.reshape(T * B, *x.shape[2:]), on, stride=self.stride, padding=self.padding).sum()
        outputs = drives.new_tensor(T * B * on.shape[0]) * np.prod(
            F.conv2d(x[0, :1], on, stride=self.stride, padding=self.padding).shape[-2:])
        return float(drives * self.curves.energy_per_event + outputs * self.curves.energy_per_read)

    def extra_repr(self) -> str:
        o, c, k, _ = self.weight.shape
        return (f"{c}, {o}, kernel_size={k}, stride={self.stride}, configuration={self.curves.configuration}, "
                f"variation={self.variation}, mismatch={self.mismatch}, read_noise={self.read_noise}")
