"""Chi-square goodness of fit of eps samples to a discrete law, with pooled bins."""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError


def pooled_chi_square(samples, values, pmf, *, min_expected: float = 5.0) -> dict:
    """Pearson chi-square of ``samples`` against the discrete law (``values``, ``pmf``).

    Adjacent support points (in increasing value) are pooled until each bin expects at least
    ``min_expected`` samples (the last partial bin joins its left neighbour). Samples are matched to
    the nearest support point (values are dyadic: exact up to round-off). Returns the statistic,
    degrees of freedom (bins - 1), the p-value (upper tail of chi^2) and the bins' counts.
    """
    from scipy.stats import chi2
    x = np.asarray(samples, dtype=float)
    v = np.asarray(values, dtype=float)
    p = np.asarray(pmf, dtype=float)
    order = np.argsort(v)
    v, p = v[order], p[order]
    idx = np.clip(np.searchsorted(v, x), 1, len(v) - 1)
    idx = np.where(np.abs(x - v[idx - 1]) <= np.abs(x - v[idx]), idx - 1, idx)
    if np.any(np.abs(x - v[idx]) > 1e-9):
        raise ConfigError("some samples are not on the support of the law (check weights and states)")
    counts = np.bincount(idx, minlength=len(v)).astype(float)
    n = x.size
    obs, exp, acc_o, acc_e = [], [], 0.0, 0.0
    for c, q in zip(counts, p):
        acc_o += c
        acc_e += q * n
        if acc_e >= min_expected:
            obs.append(acc_o)
            exp.append(acc_e)
            acc_o = acc_e = 0.0
    if acc_e > 0 or acc_o > 0:
        if not obs:
            raise ConfigError(f"{n} samples are too few for one bin of {min_expected} expected samples")
        obs[-1] += acc_o
        exp[-1] += acc_e
    obs, exp = np.array(obs), np.array(exp)
    if len(obs) < 2:
        raise ConfigError(f"{n} samples give fewer than two pooled bins; take more samples")
    stat = float(np.sum((obs - exp) ** 2 / exp))
    dof = len(obs) - 1
    return {"statistic": stat, "dof": dof, "p_value": float(chi2.sf(stat, dof)), "observed": obs,
            "expected": exp, "samples": n}
