"""Conditional noise models: the Monte Carlo spread around a mean curve as a function of x.

``ConditionalNoise.from_samples`` bins the residuals y - mean(x), takes per-bin standard deviations
and empirical quantiles, and smooths sigma(x) by a low-degree polynomial fit over bin centres. Bounds
are either k-sigma (``coverage=3.0``) or the empirical 0.135 % / 99.865 % quantiles
(``coverage="quantile"``), the coverage of +-3 sigma for a Gaussian.

``worst_case_variation`` is the generic figure of ``circuitlab fit``: the largest absolute deviation of
any Monte Carlo sample from the mean curve over the full range of the mean curve (two-sided, full
scale). It depends on the sample count and on the fitted mean, so the seed's P2M figures
(dwmtj_p2m_snn_paper: worst-case variation "normalized to full DR") use :func:`random_part` instead:
3 sigma of the residual from each level's nominal over the dynamic-range span, and the sample maximum
with a bootstrap interval (:mod:`circuitlab.fit.p2m`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

import numpy as np

from .curve_fit import FitError

LOW_Q, HIGH_Q = 0.00135, 0.99865  # one-sided 3-sigma coverage of a Gaussian


@dataclass(frozen=True)
class ConditionalNoise:
    """sigma(x) and worst-case bounds of the residuals, tabulated on bin centres (same units as y)."""
    centres: np.ndarray
    sigma_binned: np.ndarray
    sigma_smooth: np.ndarray
    q_low: np.ndarray
    q_high: np.ndarray
    counts: np.ndarray

    @classmethod
    def from_samples(cls, x, y, mean: Callable[[np.ndarray], np.ndarray], *, bins: int = 20,
                     smooth_degree: int = 2) -> "ConditionalNoise":
        x, y = np.asarray(x, float), np.asarray(y, float)
        if x.shape != y.shape or x.size < 2 * bins:
            raise FitError(f"need at least {2 * bins} samples (2 per bin) of equal-length x and y; got {x.size}")
        edges = np.linspace(x.min(), x.max(), bins + 1)
        idx = np.clip(np.digitize(x, edges) - 1, 0, bins - 1)
        r = y - mean(x)
        centres, sig, lo, hi, cnt = [], [], [], [], []
        for b in range(bins):
            rb = r[idx == b]
            if rb.size < 2:
                continue
            centres.append(0.5 * (edges[b] + edges[b + 1]))
            sig.append(rb.std(ddof=1))
            lo.append(np.quantile(rb, LOW_Q))
            hi.append(np.quantile(rb, HIGH_Q))
            cnt.append(rb.size)
        c, s = np.array(centres), np.array(sig)
        deg = min(smooth_degree, max(len(c) - 1, 0))
        coef = np.polyfit(c, s, deg, w=np.sqrt(cnt))
        smooth = np.clip(np.polyval(coef, c), 0.0, None)
        return cls(c, s, smooth, np.array(lo), np.array(hi), np.array(cnt))

    def sigma(self, x) -> np.ndarray:
        """Smoothed sigma at x (linear interpolation between bin centres, constant outside)."""
        return np.interp(np.asarray(x, float), self.centres, self.sigma_smooth)

    def bounds(self, x, mean: Callable, coverage: Union[float, str] = 3.0):
        """(lower, upper) at x: mean -+ coverage*sigma, or the empirical quantiles for 'quantile'."""
        m = mean(np.asarray(x, float))
        if coverage == "quantile":
            return (m + np.interp(x, self.centres, self.q_low), m + np.interp(x, self.centres, self.q_high))
        k = float(coverage)
        return m - k * self.sigma(x), m + k * self.sigma(x)


def worst_case_variation(x, y, mean: Callable[[np.ndarray], np.ndarray]) -> float:
    """max |y - mean(x)| / (max - min of mean over the data range): a fraction (0.1 = 10 %)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    grid = np.linspace(x.min(), x.max(), 512)
    dr = float(np.ptp(mean(grid)))
    if dr <= 0:
        raise FitError("the mean curve is flat over the data: the dynamic range is zero")
    return float(np.max(np.abs(y - mean(x))) / dr)


@dataclass(frozen=True)
class RandomPart:
    """Worst-case variation of the random part (seed dwmtj_p2m_snn_paper, Fig. 6a-c), as fractions of a span.

    ``three_sigma``: 3 max_g sigma_g / span, sigma_g the standard deviation (ddof 1) of the residuals in
    group g (the P2M analysis groups by input event count: pooled over weights, which are continuous);
    ``stderr``: its standard error, 3 sigma / sqrt(2 (m - 1)) / span of the group that sets it (Gaussian);
    ``sample_max``: max |residual| / span with its bootstrap ``ci`` (percentile interval);
    ``three_sigma_pooled``: 3 sigma of all residuals together / span (for comparison: it averages the
    worst group with the others)."""
    three_sigma: float
    stderr: float
    sigma_by_group: dict
    sample_max: float
    ci: tuple
    three_sigma_pooled: float


def random_part(residual, groups, span: float, *, min_group: int = 3, resamples: int = 1000,
                level: float = 0.95, seed: int = 0) -> RandomPart:
    """:class:`RandomPart` of ``residual`` (a sample minus its own level's nominal value) over ``span``
    (same unit); groups with fewer than ``min_group`` samples are left out of the sigma."""
    r, g = np.asarray(residual, float), np.asarray(groups)
    if r.shape != g.shape or r.size < min_group:
        raise FitError(f"need at least {min_group} residuals with one group label each; got {r.size}")
    if not span > 0:
        raise FitError(f"the dynamic-range span must be positive; got {span!r}")
    sig, cnt = {}, {}
    for key in np.unique(g):
        rk = r[g == key]
        if rk.size >= min_group:
            sig[key.item()], cnt[key.item()] = float(rk.std(ddof=1)), rk.size
    if not sig:
        raise FitError(f"no group has {min_group} residuals; run more samples")
    worst = max(sig, key=sig.get)
    rng = np.random.default_rng(seed)
    boot = np.abs(r[rng.integers(0, r.size, (resamples, r.size))]).max(axis=1) / span
    a = (1 - level) / 2
    return RandomPart(3 * sig[worst] / span, 3 * sig[worst] / np.sqrt(2 * (cnt[worst] - 1)) / span,
                      {k: v / span for k, v in sig.items()}, float(np.abs(r).max() / span),
                      (float(np.quantile(boot, a)), float(np.quantile(boot, 1 - a))), 3 * float(r.std(ddof=1)) / span)
