"""The P2M cell's normalised curves (seed dwmtj_p2m_snn_paper.txt, Fig. 6) with their Monte Carlo spread.

Both curves fit the raw data with a polynomial (degree 1-5 chosen by 5-fold cross-validation, seed 0),
then normalise data and fit by an affine map y -> (y - offset) / scale fixed by the fit itself:

- f1 (Fig. 6a-c): x = normalised input x weight, y = accumulated wall displacement (m); scale = the
  fitted displacement at x = 1 (the full scale), offset 0;
- f2 (Fig. 6d): x = (q_P - q_N) / L, y = pre-activation voltage (V); offset and span = the fitted
  voltages at x = -1 and x = +1.

Around the normalised mean, :class:`~circuitlab.fit.noise.ConditionalNoise` models sigma(x) and the
worst-case variation is normalised to the full range (:func:`~circuitlab.fit.noise.worst_case_variation`).
The functions take plain arrays; which campaign columns make x and y is the caller's business
(:mod:`circuitlab.devices.p2m_encoding`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import numpy as np

from .curve_fit import FitResult, select_polynomial
from .noise import ConditionalNoise, worst_case_variation


@dataclass(frozen=True)
class NormalisedCurve:
    """Data (x, normalised y), the raw polynomial fit, its normalisation and the spread around it."""
    x: np.ndarray
    y: np.ndarray
    raw: FitResult
    offset: float
    scale: float
    noise: ConditionalNoise
    worst_case: float

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


def f1_curve(x, q) -> NormalisedCurve:
    """f1: displacement ``q`` (m) against normalised input x weight ``x``, normalised to its fitted
    value at x = 1 (``scale``, m)."""
    x, q = np.asarray(x, float), np.asarray(q, float)
    raw = mean_fit(x, q)
    full = float(raw(np.array([1.0]))[0])
    return _normalised(x, q, raw, 0.0, full)


def f2_curve(x, v) -> NormalisedCurve:
    """f2: pre-activation voltage ``v`` (V) against (q_P - q_N) / L ``x``, normalised so that the fitted
    curve runs from 0 at x = -1 to 1 at x = +1 (``offset`` and ``offset + scale`` in V)."""
    x, v = np.asarray(x, float), np.asarray(v, float)
    raw = mean_fit(x, v)
    lo_v, hi_v = (float(t) for t in raw(np.array([-1.0, 1.0])))
    return _normalised(x, v, raw, lo_v, hi_v - lo_v)
