"""The P2M cell's normalised curves (seed dwmtj_p2m_snn_paper.txt, Fig. 6) with their Monte Carlo spread.

Both curves fit the raw data with a polynomial (degree 1-5 chosen by 5-fold cross-validation, seed 0),
then normalise data and fit by an affine map y -> (y - offset) / scale (f1: the caller's full scale;
f2: fixed by the fit itself):

- f1 (Fig. 6a-c): x = realised nominal input x weight in [0, 1] (the variation-free displacement of the
  sample's level over the full scale), y = accumulated wall displacement (m); scale = the full scale
  (N_MAX events on the largest realisable weight, given by the caller), offset 0;
- f2 (Fig. 6d): x = (q_P - q_N) / L, y = pre-activation voltage (V); offset and span = the fitted
  voltages at x = -1 and x = +1.

Around the normalised mean, :class:`~circuitlab.fit.noise.ConditionalNoise` models sigma(x) (what the
layers draw from). The seed's worst-case figures are computed apart: :func:`f1_variation` (3 sigma of
the random part over the dynamic-range span, and the sample maximum with a bootstrap interval) and
:func:`f2_lower_bound` (Fig. 6d: 3 sigma of the lower side, and its sample maximum).
``NormalisedCurve.full_scale_two_sided`` keeps the earlier figure, max |y - mean| over the full range of
the fitted mean (not the seed's metric).
The functions take plain arrays; which campaign columns make x and y is the caller's business
(:mod:`circuitlab.devices.p2m_encoding`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import numpy as np

from .curve_fit import FitResult, select_polynomial
from .noise import ConditionalNoise, RandomPart, random_part, worst_case_variation


@dataclass(frozen=True)
class NormalisedCurve:
    """Data (x, normalised y), the raw polynomial fit, its normalisation and the spread around it."""
    x: np.ndarray
    y: np.ndarray
    raw: FitResult
    offset: float
    scale: float
    noise: ConditionalNoise
    full_scale_two_sided: float

    def mean(self, x) -> np.ndarray:
        """The normalised mean curve at ``x``."""
        return (self.raw(x) - self.offset) / self.scale

    __call__ = mean

    def bounds(self, x, coverage: Union[float, str] = "quantile"):
        """Worst-case (lower, upper) bounds at ``x`` (default: the 0.135 / 99.865 % quantiles)."""
        return self.noise.bounds(x, self.mean, coverage=coverage)


def mean_fit(x, y) -> FitResult:
    """The raw mean curve: a polynomial of degree 1-5, chosen by 5-fold cross-validation (seed 0)."""
    return select_polynomial(x, y, degrees=range(1, 6), folds=5, seed=0)


def _normalised(x, y_raw, raw: FitResult, offset: float, scale: float) -> NormalisedCurve:
    y = (y_raw - offset) / scale
    mean = lambda t: (raw(t) - offset) / scale  # noqa: E731
    noise = ConditionalNoise.from_samples(x, y, mean, bins=min(20, max(2, x.size // 10)))
    return NormalisedCurve(x, y, raw, offset, scale, noise, worst_case_variation(x, y, mean))


def f1_curve(x, q, full: float) -> NormalisedCurve:
    """f1: displacement ``q`` (m) against realised nominal input x weight ``x``, normalised by the
    full scale ``full`` (m)."""
    x, q = np.asarray(x, float), np.asarray(q, float)
    return _normalised(x, q, mean_fit(x, q), 0.0, float(full))


def f1_variation(q, q_nom, n, span: float, *, seed: int = 0) -> RandomPart:
    """The seed's worst-case weight variation (Fig. 6a-c: "worst-case variation ... normalized to full
    DR"): the residual of each sample from its own level's nominal displacement (``q - q_nom``, m; the
    random part only, no fit involved), grouped by input event count ``n`` (n = 0 left out), over the
    dynamic-range span ``span`` (m). ``three_sigma`` is the figure; ``sample_max`` the largest sample."""
    q, q_nom, n = (np.asarray(v, float) for v in (q, q_nom, n))
    m = n > 0
    return random_part(q[m] - q_nom[m], n[m].astype(int), span, seed=seed)


@dataclass(frozen=True)
class LowerSide:
    """Fig. 6d's worst case on the lower side of the fitted mean, as fractions of the normalised span (0..1).

    ``three_sigma``: 3 sigma_lower, sigma_lower^2 = 2 mean(max(mean - y, 0)^2) (the lower semi-variance,
    doubled: for a spread symmetric about the mean it is the variance; upward outliers do not count), with
    its standard error ``stderr`` (Gaussian, 3 sigma / sqrt(2 (m - 1)), m samples below the mean);
    ``sample_max``: the largest drop below the mean, with its bootstrap percentile interval ``ci`` (95 %).
    The first is the seed's figure as circuitlab reads it (stable as samples grow); a sample maximum grows
    with the sample count (measured convergence: docs/fitting.md)."""
    three_sigma: float
    stderr: float
    sample_max: float
    ci: tuple


def f2_lower_bound(curve: NormalisedCurve, *, resamples: int = 1000, seed: int = 0) -> LowerSide:
    """Fig. 6d, the seed's "worst-case scenario (lower bound) that exhibits a maximum of 11.38 %
    variations": the drop d = mean - y of the samples below the fitted mean (normalised, so over the full
    span 0..1 of the fitted mean between x = -1 and +1), as 3 sigma of the lower side and as the sample
    maximum with a bootstrap interval; see :class:`LowerSide`."""
    d = curve.mean(curve.x) - curve.y
    below = np.clip(d, 0.0, None)
    m = int((d > 0).sum())
    sigma = float(np.sqrt(2.0 * np.sum(below ** 2) / max(d.size - 1, 1)))
    rng = np.random.default_rng(seed)
    boot = d[rng.integers(0, d.size, (resamples, d.size))].max(axis=1)
    return LowerSide(3 * sigma, 3 * sigma / np.sqrt(2 * max(m - 1, 1)), float(d.max()),
                     (float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))))


def f2_curve(x, v) -> NormalisedCurve:
    """f2: pre-activation voltage ``v`` (V) against (q_P - q_N) / L ``x``, normalised so that the fitted
    curve runs from 0 at x = -1 to 1 at x = +1 (``offset`` and ``offset + scale`` in V)."""
    x, v = np.asarray(x, float), np.asarray(v, float)
    raw = mean_fit(x, v)
    lo_v, hi_v = (float(t) for t in raw(np.array([-1.0, 1.0])))
    return _normalised(x, v, raw, lo_v, hi_v - lo_v)


def programmable_range(w_level, p_level, q, n) -> dict:
    """CMOS+X tunability (seed: "a 30-40% normalized programmable range for most weights", "a
    programmability range 30-40% from its median value"): the per-event displacement q/n as a quadratic
    surface in the width level w and the programming (wall) level p, range(w) = (f(w, 1) - f(w, 0)) /
    f(w, 0.5), the total tunable span over the median programming level, on w = 0, 0.1, ..., 1.
    Returns {"min", "max", "median", "by_w_level"} (fractions); samples with n = 0 are left out."""
    w, p, q, n = (np.asarray(v, float) for v in (w_level, p_level, q, n))
    m = n > 0
    w, p, y = w[m], p[m], q[m] / n[m]

    def design(wv, pv):
        wv, pv = np.broadcast_arrays(np.asarray(wv, float), np.asarray(pv, float))
        return np.stack([np.ones_like(wv), wv, pv, wv * wv, pv * pv, wv * pv], axis=-1)
    coef, *_ = np.linalg.lstsq(design(w, p), y, rcond=None)
    grid = np.linspace(0.0, 1.0, 11)
    rng = (design(grid, 1.0) @ coef - design(grid, 0.0) @ coef) / (design(grid, 0.5) @ coef)
    return {"min": float(rng.min()), "max": float(rng.max()), "median": float(np.median(rng)),
            "by_w_level": [float(r) for r in rng]}
