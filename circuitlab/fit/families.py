"""Curve families: pure functions with parameter names, bounds and a data-driven ``guess()``.

Each family maps ``x`` (and, for P_sw, a second variable) to ``y``. Linear-in-parameter families
(polynomials, monotone piecewise-linear splines) are solved exactly by (bounded) linear least squares;
the others by trust-region least squares from ``guess()`` within ``bounds``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Tuple

import numpy as np

from ..errors import ConfigError


class Family:
    """Base class: ``names``, ``__call__(x, params)``, ``guess(x, y)``, ``bounds``, ``linear``."""
    name = "family"
    linear = False

    @property
    def names(self) -> Tuple[str, ...]:
        raise NotImplementedError

    def __call__(self, x, params) -> np.ndarray:
        raise NotImplementedError

    def guess(self, x, y) -> np.ndarray:
        raise NotImplementedError

    def bounds(self, x, y) -> Tuple[np.ndarray, np.ndarray]:
        n = len(self.names)
        return np.full(n, -np.inf), np.full(n, np.inf)

    def design(self, x) -> np.ndarray:
        """Design matrix of a linear family (columns = parameters)."""
        raise NotImplementedError

    def describe(self) -> dict:
        return {"family": self.name}


@dataclass(frozen=True)
class Polynomial(Family):
    """y = sum_k c_k u^k with u = (x - shift) / scale, k = 0..degree (coefficients c0 ... c<degree>).

    ``shift``/``scale`` keep the design matrix well conditioned for x far from [-1, 1] (an RC in
    ohm, a delay in s); :func:`scaled_polynomial` picks them from the data range.
    """
    degree: int = 2
    shift: float = 0.0
    scale: float = 1.0
    name = "polynomial"
    linear = True

    def __post_init__(self):
        if not isinstance(self.degree, int) or not 0 <= self.degree <= 15:
            raise ConfigError(f"polynomial degree={self.degree!r} must be an integer in 0..15")
        if not (np.isfinite(self.scale) and self.scale > 0 and np.isfinite(self.shift)):
            raise ConfigError(f"polynomial scale={self.scale!r} must be finite and > 0, shift finite")

    @property
    def names(self):
        return tuple(f"c{k}" for k in range(self.degree + 1))

    def design(self, x):
        u = (np.asarray(x, float) - self.shift) / self.scale
        return np.vander(u, self.degree + 1, increasing=True)

    def __call__(self, x, params):
        return self.design(x) @ np.asarray(params, float)

    def guess(self, x, y):
        return np.linalg.lstsq(self.design(x), y, rcond=None)[0]

    def describe(self):
        return {"family": self.name, "degree": self.degree, "shift": self.shift, "scale": self.scale}


def scaled_polynomial(degree: int, x) -> Polynomial:
    """A polynomial in u = (x - mid) / half-range, so that u spans [-1, 1] over the data."""
    x = np.asarray(x, float)
    half = float(np.ptp(x)) / 2 or 1.0
    return Polynomial(degree, float(x.min()) + half, half)


@dataclass(frozen=True)
class MonotoneSpline(Family):
    """Monotone piecewise-linear spline on fixed knots: y = y0 + sum_j d_j ramp_j(x), d_j >= 0.

    ``ramp_j`` rises linearly from 0 at knot j to 1 at knot j+1; non-negative increments make the curve
    non-decreasing (``increasing=False`` mirrors it). Parameters: y0, d1 ... d<len(knots)-1>.
    """
    knots: Tuple[float, ...] = (0.0, 0.5, 1.0)
    increasing: bool = True
    name = "monotone_spline"
    linear = True

    def __post_init__(self):
        k = np.asarray(self.knots, float)
        object.__setattr__(self, "knots", tuple(float(v) for v in k))
        if len(k) < 2 or np.any(np.diff(k) <= 0) or not np.all(np.isfinite(k)):
            raise ConfigError(f"spline knots {self.knots!r} must be >= 2 finite, strictly increasing values")

    @property
    def names(self):
        return ("y0",) + tuple(f"d{j}" for j in range(1, len(self.knots)))

    def design(self, x):
        x = np.asarray(x, float)
        k = np.asarray(self.knots)
        ramps = np.clip((x[:, None] - k[None, :-1]) / np.diff(k)[None, :], 0.0, 1.0)
        sign = 1.0 if self.increasing else -1.0
        return np.hstack([np.ones((len(x), 1)), sign * ramps])

    def __call__(self, x, params):
        return self.design(x) @ np.asarray(params, float)

    def bounds(self, x, y):
        lo = np.zeros(len(self.names))
        lo[0] = -np.inf
        return lo, np.full(len(self.names), np.inf)

    def guess(self, x, y):
        from scipy.optimize import lsq_linear
        lo, hi = self.bounds(x, y)
        return lsq_linear(self.design(x), y, bounds=(lo, hi)).x

    def describe(self):
        return {"family": self.name, "knots": list(self.knots), "increasing": self.increasing}


@dataclass(frozen=True)
class Saturating(Family):
    """y = offset + amplitude * tanh((x - x0) / width): a sigmoidal, saturating transfer curve."""
    name = "saturating"

    @property
    def names(self):
        return ("offset", "amplitude", "x0", "width")

    def __call__(self, x, params):
        offset, amplitude, x0, width = params
        return offset + amplitude * np.tanh((np.asarray(x, float) - x0) / width)

    def guess(self, x, y):
        x, y = np.asarray(x, float), np.asarray(y, float)
        lo, hi = np.percentile(y, [2, 98])
        span = max(np.ptp(x), 1e-30)
        mid = x[np.argmin(np.abs(y - (lo + hi) / 2))]
        return np.array([(lo + hi) / 2, (hi - lo) / 2 if hi > lo else 1e-12, mid, span / 4])

    def bounds(self, x, y):
        span = max(np.ptp(np.asarray(x, float)), 1e-30)
        return (np.array([-np.inf, -np.inf, -np.inf, span * 1e-6]),
                np.array([np.inf, np.inf, np.inf, span * 1e3]))


@dataclass(frozen=True)
class DampedSwitching(Family):
    """Switching probability vs pulse width t (s) at one gate voltage (VC-MTJ precessional switching):

    P(t) = p_inf * (1 - exp(-t/tau) * cos(2 pi t / period)) clipped to [0, 1]: the precession
    (period, s) brings P near 2 p_inf after half a period, thermal dephasing (tau, s) damps it to p_inf
    (0.5 above the critical voltage, seed meram_diffusion_paper Fig. 2c).
    """
    name = "damped_switching"

    @property
    def names(self):
        return ("p_inf", "tau", "period")

    def __call__(self, t, params):
        p_inf, tau, period = params
        t = np.asarray(t, float)
        return np.clip(p_inf * (1 - np.exp(-t / tau) * np.cos(2 * np.pi * t / period)), 0.0, 1.0)

    def guess(self, t, y):
        t, y = np.asarray(t, float), np.asarray(y, float)
        tail = y[t >= np.percentile(t, 70)]
        p_inf = float(np.clip(np.mean(tail) if tail.size else 0.5, 1e-3, 1.0))
        t_peak = t[np.argmax(y)]
        return np.array([p_inf, max(np.ptp(t) / 3, 1e-15), max(2 * t_peak, np.ptp(t) / 10, 1e-15)])

    def bounds(self, t, y):
        span = max(np.ptp(np.asarray(t, float)), 1e-30)
        return np.array([0.0, span * 1e-3, span * 1e-3]), np.array([1.0, span * 1e3, span * 1e3])


def make_family(spec: str, **kw) -> Family:
    """A family by name: 'polynomial', 'monotone_spline', 'saturating', 'damped_switching'."""
    table = {"polynomial": Polynomial, "monotone_spline": MonotoneSpline, "saturating": Saturating,
             "damped_switching": DampedSwitching}
    if spec not in table:
        raise ConfigError(f"unknown curve family {spec!r}; use one of {', '.join(table)}")
    return table[spec](**kw)


def uniform_knots(x: Sequence[float], n: int) -> Tuple[float, ...]:
    """``n`` knots spanning the data range evenly."""
    x = np.asarray(x, float)
    return tuple(np.linspace(x.min(), x.max(), n))
