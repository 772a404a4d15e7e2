"""Parametric yield of a campaign against spec limits: pass/fail per sample, the yield with its
Clopper-Pearson interval, and the process capability Cpk per limited scalar.

Which samples count: the random samples that finished ok. Sample 0 is the nominal run (no variation,
see :mod:`.sampling`), so it is not a draw from the distribution and is left out; samples that failed
in the simulator are reported separately (``sim_failures``), not as spec failures, because a failed
simulation says nothing about where the scalar would have been.

Clopper-Pearson (1934): for k passing of n, the two-sided 1 - alpha interval is
[B(alpha/2; k, n-k+1), B(1-alpha/2; k+1, n-k)] with B the beta quantile; it covers the true yield with
probability >= 1 - alpha for every yield and n (conservative). Cpk (Kane 1986) = min(USL - mu, mu - LSL)
/ (3 sigma) with mu and sigma the sample mean and standard deviation (one-sided: the side given); in a
swept campaign it is computed per sweep point and the smallest (worst) one is reported.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import ConfigError
from .limits import SpecLimit, check_limit_names
from .results import CampaignResults


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> Tuple[float, float]:
    """Exact (Clopper-Pearson) two-sided interval of a binomial proportion, k successes in n trials
    (montecarlo does not import physics, whose stats module has the element-wise version)."""
    from scipy.stats import beta
    if n <= 0:
        return (0.0, 1.0)
    if not 0 <= k <= n:
        raise ValueError(f"k={k} must lie in 0..n={n}")
    a = 1.0 - confidence
    lo = 0.0 if k == 0 else float(beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a / 2, k + 1, n - k))
    return lo, hi


def cpk(x: np.ndarray, limit: SpecLimit) -> float:
    """Process capability of the values ``x`` against ``limit`` (inf when their spread is 0 inside it)."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return float("nan")
    mu, sd = float(x.mean()), float(x.std(ddof=1))
    sides = []
    if limit.upper is not None:
        sides.append(limit.upper - mu)
    if limit.lower is not None:
        sides.append(mu - limit.lower)
    worst = min(sides)
    if sd == 0.0:
        return float("inf") if worst > 0 else float("-inf")
    return worst / (3.0 * sd)


@dataclass(frozen=True)
class LimitResult:
    """One limit over the counted samples: how many pass it, its own yield interval, Cpk, mean, std."""
    limit: SpecLimit
    passed: int
    counted: int
    interval: Tuple[float, float]
    cpk: float
    mean: float
    std: float


@dataclass(frozen=True)
class YieldReport:
    """The yield of the counted samples against all limits together, and each limit alone."""
    limits: Tuple[SpecLimit, ...]
    samples: Tuple[int, ...]          # indices of the counted samples
    passed: np.ndarray                # (len(samples),) bool: inside every limit at every sweep point
    sim_failures: int
    confidence: float
    interval: Tuple[float, float]
    per_limit: Tuple[LimitResult, ...]

    @property
    def counted(self) -> int:
        return len(self.samples)

    @property
    def yield_(self) -> float:
        return float(self.passed.mean()) if self.counted else float("nan")

    def to_dict(self) -> Dict[str, object]:
        return {"yield": self.yield_, "ci": list(self.interval), "confidence": self.confidence,
                "passed": int(self.passed.sum()), "counted": self.counted, "sim_failures": self.sim_failures,
                "failed_samples": [int(k) for k, ok in zip(self.samples, self.passed) if not ok][:1000],
                "limits": {r.limit.name: {"lower": r.limit.lower, "upper": r.limit.upper, "passed": r.passed,
                                          "counted": r.counted, "yield": r.passed / r.counted if r.counted else None,
                                          "ci": list(r.interval), "cpk": r.cpk, "mean": r.mean, "std": r.std}
                           for r in self.per_limit}}

    def lines(self) -> List[str]:
        lo, hi = self.interval
        out = [f"yield {self.yield_:.4%} ({int(self.passed.sum())}/{self.counted} random samples inside every limit; "
               f"{self.confidence:.0%} Clopper-Pearson {lo:.4%}..{hi:.4%}); {self.sim_failures} simulation failures "
               f"not counted"]
        out.append(f"{'limit':<34} {'pass':>12} {'yield':>9} {'Cpk':>8} {'mean':>12} {'std':>12}")
        for r in self.per_limit:
            y = r.passed / r.counted if r.counted else float("nan")
            out.append(f"{r.limit.describe():<34} {f'{r.passed}/{r.counted}':>12} {y:>9.4%} {r.cpk:>8.3f} "
                       f"{r.mean:>12.6g} {r.std:>12.6g}")
        return out


def _inside(values: np.ndarray, limit: SpecLimit) -> np.ndarray:
    ok = np.isfinite(values)
    if limit.lower is not None:
        ok &= values >= limit.lower
    if limit.upper is not None:
        ok &= values <= limit.upper
    return ok


def evaluate_limits(results: CampaignResults, limits: Sequence[SpecLimit],
                    confidence: float = 0.95) -> YieldReport:
    """Pass/fail of every counted sample (random, finished ok) against ``limits``; see the module doc."""
    limits = tuple(limits)
    if not limits:
        raise ConfigError(f"{results.path.name}: no spec limits; add a [spec_limits] table to the spec or give "
                          f"--limit NAME:LOWER:UPPER")
    scalars = [*results.measures, *results.derived]
    check_limit_names(limits, scalars, str(results.path.name))
    finished = results.status >= 0
    counted = results.ok() & (np.arange(len(results)) > 0)
    idx = np.nonzero(counted)[0]
    sim_failures = int((finished & ~results.ok() & (np.arange(len(results)) > 0)).sum())
    passed = np.ones(len(idx), bool)
    per = []
    for lim in limits:
        group = results.measures if lim.name in results.measures else results.derived
        vals = group[lim.name][idx]                         # (counted, points)
        inside = _inside(vals, lim).all(axis=1)
        passed &= inside
        caps = [cpk(vals[:, p], lim) for p in range(vals.shape[1])] if len(idx) else [float("nan")]
        per.append(LimitResult(lim, int(inside.sum()), len(idx), clopper_pearson(int(inside.sum()), len(idx),
                                                                                   confidence),
                               float(np.nanmin(caps)) if np.isfinite(caps).any() else float("nan"),
                               float(np.nanmean(vals)) if len(idx) else float("nan"),
                               float(np.nanstd(vals, ddof=1)) if len(idx) > 1 else float("nan")))
    return YieldReport(limits, tuple(int(k) for k in idx), passed, sim_failures, confidence,
                       clopper_pearson(int(passed.sum()), len(idx), confidence), tuple(per))
