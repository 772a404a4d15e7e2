"""High-sigma failure probability: mean-shift importance sampling, with scaled-sigma sampling as a
cross-check, on the same campaign machinery (HDF5 files, seeds, resume, local pool or Dask).

A sample *fails* when a limited scalar leaves its spec window (:mod:`.limits`) at any sweep point.

Mean-shift importance sampling (e.g. Kanj, Joshi and Nassif, DAC 2006, "Mixture importance sampling"):
1. explore: a scaled-sigma campaign (z = 3 z0 by default) spreads samples into the tails;
2. most probable failure points: per limit side a linear model y = a + b.z fitted on the exploration
   samples gives the boundary point nearest the origin, z* = (L - a) b / |b|^2 (distance beta = |L - a| /
   |b|); every side with beta below ``max_beta`` becomes a component of the proposal;
3. sample z from the equal mixture of N(z*_j, I) and weight each sample by w = p(z) / q(z) (p the
   standard normal, q the mixture, see :func:`.design.Design.log_weight`); P_fail = mean(w 1_fail),
   with the standard error of that mean and a normal 95 % interval. The estimate is unbiased whatever
   the shifts; good shifts only make it efficient.

Scaled-sigma sampling (Sun, Li, et al., IEEE TCAD 34(12), 2015): plain Monte Carlo with every sigma
scaled by s > 1 at several s, then log P(s) = alpha + beta log s - gamma / s^2 fitted by weighted least
squares (weights from the binomial variance of each estimate) and extrapolated to s = 1:
log P(1) = alpha - gamma, with an interval from the fit's covariance (see :func:`sss_fit` for beta).
For a linear response with Gaussian factors P(s) = Q(t / s), whose asymptotic form is this model (bias
measured on exact Q(t / s) at t / s = 1.75-2.5: -3 % at 1e-4, -9 % at 1e-6, -17 % at 1e-8); its
intervals are decades wide at a few hundred samples per scale: a cross-check, not a precise method.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import ConfigError
from .design import Design, factor_names
from .limits import SpecLimit
from .results import CampaignResults, load_results

Z95 = 1.959963984540054


def design_z(results: CampaignResults) -> np.ndarray:
    """The factors' z of every sample of a design campaign (drawn again from the seeds, no simulation);
    row 0 (nominal) is zeros."""
    from .sampling import draw_samples
    spec = results.spec.with_samples(results.samples)
    if spec.design is None:
        raise ConfigError(f"{results.path.name} is a plain Monte Carlo campaign (no [design]); its z are not "
                          f"kept. Use a [design] campaign (mc tail makes them)")
    draws = draw_samples(spec, range(1, len(results)))
    return np.vstack([np.zeros(len(factor_names(spec)))] + [d.z for d in draws])


def failing(results: CampaignResults, limits: Sequence[SpecLimit]) -> np.ndarray:
    """(n,) bool: outside a spec window at some sweep point (a non-finite value counts as outside)."""
    out = np.zeros(len(results), bool)
    for lim in limits:
        if lim.name not in results:
            raise ConfigError(f"{results.path.name}: spec limit {lim.name!r} is not a recorded scalar")
        group = results.measures if lim.name in results.measures else results.derived
        v = group[lim.name]
        bad = ~np.isfinite(v)
        if lim.lower is not None:
            bad |= v < lim.lower
        if lim.upper is not None:
            bad |= v > lim.upper
        out |= bad.any(axis=1)
    return out


@dataclass(frozen=True)
class TailEstimate:
    method: str
    p_fail: float
    low: float
    high: float
    std_error: float
    samples: int                 # simulations spent, exploration included
    failures: int                # failing samples seen (in the estimating campaign)
    sim_failures: int = 0
    details: Dict[str, object] = field(default_factory=dict)

    @property
    def relative_error(self) -> float:
        return self.std_error / self.p_fail if self.p_fail > 0 else float("inf")

    @property
    def sigma_level(self) -> float:
        """The one-sided normal quantile of the yield: Phi^-1(1 - P_fail) (4.75 at 1e-6)."""
        from scipy.stats import norm
        return float(norm.isf(self.p_fail)) if 0 < self.p_fail < 1 else float("inf")

    def to_dict(self) -> Dict[str, object]:
        return {"method": self.method, "p_fail": self.p_fail, "ci95": [self.low, self.high],
                "std_error": self.std_error, "relative_error": self.relative_error, "sigma": self.sigma_level,
                "samples": self.samples, "failures": self.failures, "sim_failures": self.sim_failures,
                **self.details}


def weighted_estimate(fail: np.ndarray, log_w: np.ndarray) -> Tuple[float, float]:
    """Importance-sampling mean of the failure indicator and its standard error."""
    terms = np.where(fail, np.exp(log_w), 0.0)
    n = len(terms)
    if n < 2:
        return float("nan"), float("nan")
    return float(terms.mean()), float(terms.std(ddof=1) / math.sqrt(n))


def failure_points(z: np.ndarray, values: Dict[str, np.ndarray], limits: Sequence[SpecLimit],
                   max_beta: float = 12.0) -> List[Tuple[str, float, np.ndarray]]:
    """Most probable failure point per limit side from a linear fit of each limited scalar on z:
    [(label, beta, z*)], nearest first. ``values`` maps a scalar to its (n,) or (n, points) samples."""
    X = np.column_stack([np.ones(len(z)), z])
    out = []
    for lim in limits:
        v = np.asarray(values[lim.name], float)
        v = v[:, None] if v.ndim == 1 else v
        for p in range(v.shape[1]):
            ok = np.isfinite(v[:, p])
            if ok.sum() < z.shape[1] + 2:
                continue
            coef = np.linalg.lstsq(X[ok], v[ok, p], rcond=None)[0]
            a, b = coef[0], coef[1:]
            nb = float(b @ b)
            if nb == 0:
                continue
            for side, bound in (("lower", lim.lower), ("upper", lim.upper)):
                if bound is None:
                    continue
                zstar = (bound - a) * b / nb
                beta = abs(bound - a) / math.sqrt(nb)
                inside_nominal = (a >= bound) if side == "lower" else (a <= bound)
                if inside_nominal and beta <= max_beta:
                    label = f"{lim.name}{'' if v.shape[1] == 1 else f'[{p}]'} {side} {bound:g}"
                    out.append((label, beta, zstar))
    out.sort(key=lambda t: t[1])
    return out


def is_estimate(results: CampaignResults, limits: Sequence[SpecLimit], explored: int = 0) -> TailEstimate:
    """P_fail from a mean-shift or mixture design campaign (weights from its [design])."""
    spec = results.spec
    if spec.design is None or spec.design.kind not in ("mean_shift", "mixture", "scaled_sigma"):
        raise ConfigError(f"{results.path.name}: importance sampling needs a mean_shift, mixture or scaled_sigma "
                          f"[design] campaign")
    keep = (results.status >= 0) & (np.arange(len(results)) > 0)
    z = design_z(results)[keep]
    fail = failing(results, limits)[keep]
    sim_bad = int((results.status[keep] > 0).sum())
    p, se = weighted_estimate(fail, spec.design.log_weight(z))
    return TailEstimate("importance sampling", p, max(0.0, p - Z95 * se), p + Z95 * se, se,
                        int(keep.sum()) + explored, int(fail.sum()), sim_bad,
                        {"shifts": [list(map(float, s)) for s in spec.design.shifts]})


def sss_fit(scales: Sequence[float], fails: Sequence[int], counts: Sequence[int],
            beta: Optional[float] = 1.0) -> Tuple[float, float, float]:
    """Scaled-sigma extrapolation of log P(s) = alpha + beta log s - gamma / s^2 to s = 1 by weighted least
    squares (var log P_hat = (1 - P) / (n P)); returns P(1) and its 95 % interval.

    ``beta`` fixed (1 by default) is the value of a locally flat failure boundary: for y linear in
    Gaussian factors P(s) = Q(t / s) and log Q(t / s) = log s - t^2 / (2 s^2) - log(t sqrt(2 pi)) + O(s^2 / t^2).
    ``beta=None`` fits it too, as Sun et al. do; measured on binomial draws of Q(t / s) at 4 scales of
    300 samples, its interval then spans 10-20 decades at t = 4.75, against about 4 with beta fixed."""
    s = np.asarray(scales, float)
    k = np.asarray(fails, float)
    n = np.asarray(counts, float)
    use = k > 0
    free = 3 if beta is None else 2
    if use.sum() < free + 1:
        raise ConfigError(f"scaled-sigma sampling saw failures at {int(use.sum())} of {len(s)} scales; it needs at "
                          f"least {free + 1}: raise the scales or the samples per scale")
    s, k, n = s[use], k[use], n[use]
    p = k / n
    W = n * p / (1 - p)                                   # 1 / var(log P_hat)
    if beta is None:
        A, y, g = np.column_stack([np.ones_like(s), np.log(s), -1.0 / s ** 2]), np.log(p), np.array([1.0, 0.0, -1.0])
    else:
        A, y, g = np.column_stack([np.ones_like(s), -1.0 / s ** 2]), np.log(p) - beta * np.log(s), np.array([1.0, -1.0])
    cov = np.linalg.inv(A.T @ (A * W[:, None]))
    coef = cov @ (A.T @ (W * y))
    log_p1 = float(g @ coef)                              # log P(1) = alpha - gamma
    # residual scatter beyond the binomial variance widens the interval (model error)
    dof = len(s) - A.shape[1]
    inflate = max(1.0, float(((y - A @ coef) ** 2 * W).sum() / dof)) if dof > 0 else 1.0
    se = math.sqrt(float(g @ cov @ g) * inflate)
    return math.exp(log_p1), math.exp(log_p1 - Z95 * se), math.exp(log_p1 + Z95 * se)


def sss_estimate(runs: Sequence[CampaignResults], limits: Sequence[SpecLimit],
                 beta: Optional[float] = 1.0) -> TailEstimate:
    """P_fail from scaled-sigma campaigns (one per scale)."""
    scales, fails, counts, bad = [], [], [], 0
    for r in runs:
        d = r.spec.design
        if d is None or d.kind != "scaled_sigma":
            raise ConfigError(f"{r.path.name}: not a scaled_sigma [design] campaign")
        keep = (r.status >= 0) & (np.arange(len(r)) > 0)
        scales.append(d.scale)
        fails.append(int(failing(r, limits)[keep].sum()))
        counts.append(int(keep.sum()))
        bad += int((r.status[keep] > 0).sum())
    p, lo, hi = sss_fit(scales, fails, counts, beta)
    return TailEstimate("scaled-sigma sampling", p, lo, hi, (hi - lo) / (2 * Z95), int(sum(counts)), int(sum(fails)),
                        bad, {"scales": scales, "failures_per_scale": fails, "samples_per_scale": counts})


def plain_mc_samples(p_fail: float, relative_error: float = 0.1) -> float:
    """Samples plain Monte Carlo needs for a relative standard error ``relative_error`` at ``p_fail``:
    (1 - p) / (p r^2) (binomial)."""
    return (1 - p_fail) / (p_fail * relative_error ** 2)


def with_design(text: str, table: str) -> str:
    """Spec text with a [design] table appended (ConfigError if it has one already)."""
    import tomllib
    if "design" in tomllib.loads(text):
        raise ConfigError("the spec already has a [design] table; mc tail and mc corners write their own: remove it")
    return text.rstrip("\n") + "\n\n" + table.strip() + "\n"


def design_table(kind: str, *, scale: float = 1.0, shifts: Sequence[Sequence[float]] = (),
                 points: Sequence[Sequence[float]] = ()) -> str:
    def row(r):
        return "[" + ", ".join(repr(float(x)) for x in r) + "]"
    lines = ["[design]", f'kind = "{kind}"']
    if kind == "scaled_sigma":
        lines.append(f"scale = {float(scale)!r}")
    elif kind == "mean_shift":
        lines.append(f"shift = {row(shifts[0])}")
    elif kind == "mixture":
        lines.append("shifts = [" + ", ".join(row(r) for r in shifts) + "]")
    else:
        lines.append("points = [" + ", ".join(row(r) for r in points) + "]")
    return "\n".join(lines)
