"""Binomial confidence intervals for switching probabilities (Wilson score, Clopper-Pearson)."""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError


def _check(k, n, confidence):
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence = {confidence!r} must lie strictly between 0 and 1")
    if np.any(n <= 0) or np.any(k < 0) or np.any(k > n):
        raise ConfigError("binomial counts need 0 <= k <= n and n > 0")
    return k, n


def wilson_interval(k, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (lower, upper) for k successes in n trials (element-wise)."""
    from scipy.stats import norm
    k, n = _check(k, n, confidence)
    z = norm.ppf(0.5 + confidence / 2)
    p = k / n
    denom = 1 + z ** 2 / n
    centre = (p + z ** 2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def clopper_pearson_interval(k, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) interval (lower, upper) for k successes in n trials (element-wise)."""
    from scipy.stats import beta
    k, n = _check(k, n, confidence)
    a = 1 - confidence
    with np.errstate(invalid="ignore"):
        lo = np.where(k > 0, beta.ppf(a / 2, np.maximum(k, 1), n - k + 1), 0.0)
        hi = np.where(k < n, beta.ppf(1 - a / 2, k + 1, np.maximum(n - k, 1)), 1.0)
    return lo, hi
