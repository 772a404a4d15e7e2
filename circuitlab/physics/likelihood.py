"""Fitting a deviance D(theta) = -2 ln L + const over a box, with profile-likelihood intervals.

Used by the device calibrations (:mod:`circuitlab.physics.calibrate` for the VC-MTJ,
:mod:`circuitlab.physics.calibrate_rram` for the RRAM). ``dev`` maps a dict name -> value to D;
``lo_hi`` gives each free parameter's box.

Estimate: one free parameter, a 31-point grid over its box (the LLG deviance is flat far from the answer)
then a bounded scalar refinement; several, Nelder-Mead in coordinates normalised to the box, restarted
from its result until a restart gains less than 0.1.

Intervals (95 %): the profile-likelihood set {x : P(x) - D_min <= 3.84} with P(x) = min over the OTHER
free parameters of D(f = x, others) (Wilks; chi-square with 1 degree of freedom; e.g. Pawitan, "In All
Likelihood", OUP 2001, ch. 3.4). Holding the others at their estimates instead (the conditional
profile) is too narrow whenever parameters are correlated: for a quadratic D with correlation rho it
is sqrt(1 - rho^2) times the true half-width. One free parameter: the profile is D itself, found by
expansion and bisection. Several: each side is walked outward from the estimate; at each trial x the
others are re-optimised by a few Nelder-Mead steps warm-started from the path so far (linear
extrapolation of the previous minimisers), and the next x comes from the signed root r(x) =
sqrt(P(x) - D_min), which is linear in x for a quadratic D (secant to r = 1.96, regula falsi once
bracketed). A lower D found on the walk replaces the estimate and the walk is redone once.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

CHI2_95_1DOF = 3.841458820694124
Dev = Callable[[Dict[str, float]], float]


@dataclass(frozen=True)
class Fit:
    estimate: Dict[str, float]
    deviance: float
    interval: Dict[str, Tuple[float, float]]
    evaluations: int


def binomial_deviance(k, n, p, trials: Optional[int] = None) -> float:
    """Binomial deviance of counts k of n against probabilities p (arrays). With ``trials`` T (p itself
    estimated from T simulated trials) each point is weighted by n_eff / n, n_eff = 1 / (1/n + 1/T), the
    deviance of the difference of two binomial estimates; p is clipped to [0.5/T, 1 - 0.5/T]."""
    k, n, p = (np.asarray(a, dtype=float) for a in (k, n, p))
    eps = 0.5 / trials if trials else 1e-12
    p = np.clip(p, eps, 1 - eps)
    w = (1.0 / (1.0 / n + 1.0 / trials)) / n if trials else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(k > 0, k * np.log(k / (n * p)), 0.0)
        b = np.where(n - k > 0, (n - k) * np.log((n - k) / (n * (1 - p))), 0.0)
    return float(np.sum(2 * (a + b) * w))


def fit(dev: Dev, start: Dict[str, float], lo_hi: Dict[str, Tuple[float, float]], *, level: float = CHI2_95_1DOF,
        inner_evals: Optional[int] = None) -> Fit:
    """Minimise ``dev`` over the free parameters of ``lo_hi`` from ``start`` and return the estimate, the
    minimum and the profile-likelihood interval of each (see the module doc)."""
    from scipy.optimize import minimize, minimize_scalar
    names = tuple(lo_hi)
    count = {"n": 0}

    def d(values):
        count["n"] += 1
        return dev(values)

    if len(names) == 1:
        f = names[0]
        grid = np.linspace(*lo_hi[f], 31)
        dg = [d({f: x}) for x in grid]
        i = int(np.argmin(dg))
        res = minimize_scalar(lambda x: d({f: x}), bounds=(grid[max(i - 1, 0)], grid[min(i + 1, 30)]),
                              method="bounded", options={"xatol": 1e-5 * (lo_hi[f][1] - lo_hi[f][0])})
        est = {f: float(res.x)}
        d_min = d(est)
        return Fit(est, d_min, {f: _profile_1d(d, est, f, d_min, lo_hi[f], level)}, count["n"])
    box = _Box(lo_hi)
    u, d_min = np.clip(box.unit(start), 0, 1), math.inf
    for _ in range(4):      # Nelder-Mead restarted from its result until it stops improving (narrow valleys)
        res = minimize(lambda x: d(box.values(x)), u, method="Nelder-Mead",
                       options={"xatol": 1e-4, "fatol": 0.05, "initial_simplex": _simplex(u, 0.02)})
        improved = d_min - float(res.fun)
        u, d_min = np.clip(res.x, 0, 1), min(d_min, float(res.fun))
        if improved < 0.1:
            break
    est = box.values(u)
    d_min = d(est)
    for attempt in range(2):
        interval, better = {}, None
        for f in names:
            lo, hi, best = profile_interval(d, est, f, d_min, lo_hi, level=level, inner_evals=inner_evals)
            interval[f] = (lo, hi)
            if best is not None and (better is None or best[1] < better[1]):
                better = best
        if better is None or better[1] > d_min - 0.1 or attempt == 1:
            break
        est, d_min = better               # the walk found a lower minimum: re-centre and walk again
    return Fit(est, d_min, interval, count["n"])


class _Box:
    """Coordinates normalised to the box: u in [0, 1] per parameter (clipped)."""

    def __init__(self, lo_hi):
        self.lo_hi = dict(lo_hi)
        self.names = tuple(lo_hi)

    def unit(self, values) -> np.ndarray:
        return np.array([(values[f] - lo) / (hi - lo) for f, (lo, hi) in self.lo_hi.items()])

    def values(self, u) -> Dict[str, float]:
        return {f: lo + float(np.clip(x, 0, 1)) * (hi - lo) for (f, (lo, hi)), x in zip(self.lo_hi.items(), u)}


def _simplex(x0: np.ndarray, step: float) -> np.ndarray:
    pts = [x0]
    for i in range(len(x0)):
        x = x0.copy()
        x[i] = x[i] + step if x[i] + step <= 1 else x[i] - step
        pts.append(x)
    return np.array(pts)


def _profile_1d(dev, est, f, d_min, lo_hi, level) -> Tuple[float, float]:
    """One free parameter: where D rises by ``level`` on each side (expansion, then 5 bisections; the box
    edge if it never does)."""
    out = []
    span = lo_hi[1] - lo_hi[0]
    for side, bound in ((-1, lo_hi[0]), (1, lo_hi[1])):
        inner, step, outer = est[f], 1e-4 * span, None
        while True:
            x = est[f] + side * step
            if (side < 0 and x <= bound) or (side > 0 and x >= bound):
                x = bound
            if dev({**est, f: x}) - d_min > level:
                outer = x
                break
            inner = x
            if x == bound:
                break
            step *= 3
        if outer is None:
            out.append(bound)
            continue
        for _ in range(5):
            mid = 0.5 * (inner + outer)
            if dev({**est, f: mid}) - d_min > level:
                outer = mid
            else:
                inner = mid
        out.append(0.5 * (inner + outer))
    return (min(out), max(out))


def profile_interval(dev: Dev, est: Dict[str, float], f: str, d_min: float, lo_hi: Dict[str, Tuple[float, float]],
                     *, level: float = CHI2_95_1DOF, max_points: int = 10, inner_evals: Optional[int] = None,
                     first_step: float = 0.01, rtol: float = 0.05):
    """(lo, hi, best) of the profile-likelihood interval of ``f``, the other parameters of ``lo_hi``
    re-optimised at each trial value (at most ``inner_evals`` deviances each, default 4 + 3 per other
    parameter). ``best`` is (values, D) if the walk found D < d_min, else None. A side that never rises
    by ``level`` within ``max_points`` trial values or before the box edge ends at the box edge."""
    from scipy.optimize import minimize
    others = {g: b for g, b in lo_hi.items() if g != f}
    box = _Box(others) if others else None
    budget = inner_evals or 4 + 3 * len(others)
    R = math.sqrt(level)
    best = [None]

    def profile(x: float, guess: Dict[str, float]) -> Tuple[float, Dict[str, float]]:
        if not others:
            val = dev({f: x})
            return val, {}
        u0 = np.clip(box.unit(guess), 0, 1)
        res = minimize(lambda u: dev({f: x, **box.values(u)}), u0, method="Nelder-Mead",
                       options={"maxfev": budget, "xatol": 1e-4, "fatol": 0.05,
                                "initial_simplex": _simplex(u0, 0.02)})
        g = box.values(res.x)
        return float(res.fun), g

    def predict(x, path) -> Dict[str, float]:
        """Linear extrapolation of the minimisers from the two path points nearest to x."""
        near = sorted(path, key=lambda p: abs(p[0] - x))[:2]
        if len(near) < 2 or near[0][0] == near[1][0]:
            return dict(near[0][1])
        (x1, g1), (x2, g2) = near[0][:2], near[1][:2]
        t = (x - x1) / (x2 - x1)
        return {g: g1[g] + t * (g2[g] - g1[g]) for g in others}

    ends = []
    span = lo_hi[f][1] - lo_hi[f][0]
    x_hat = est[f]
    for side, bound in ((-1, lo_hi[f][0]), (1, lo_hi[f][1])):
        path: List[Tuple[float, Dict[str, float]]] = [(x_hat, {g: est[g] for g in others})]
        inner, outer = (x_hat, 0.0), None
        x = x_hat + side * first_step * span
        end = None
        for _ in range(max_points):
            x = max(x, bound) if side < 0 else min(x, bound)
            val, g = profile(x, predict(x, path))
            path.append((x, g))
            if val < d_min and (best[0] is None or val < best[0][1]):
                best[0] = ({f: x, **g}, val)
            r = math.sqrt(max(val - d_min, 0.0))
            if abs(r - R) <= rtol * R:
                end = x
                break
            if r < R:
                inner = (x, r)
                if x == bound:
                    end = bound
                    break
            else:
                outer = (x, r)
            (xi, ri) = inner
            if outer is None:       # secant on r through the estimate (r = 0), a little beyond; x1.5 to x4
                grow = R / ri * 1.1 if ri > 0.1 * R else 4.0
                x = x_hat + (xi - x_hat) * min(max(grow, 1.5), 4.0)
            else:                   # regula falsi on r, kept inside the bracket
                xo, ro = outer
                t = min(max((R - ri) / (ro - ri), 0.1), 0.9)
                x = xi + t * (xo - xi)
        if end is None:
            if outer is None:
                end = bound
            else:
                (xi, ri), (xo, ro) = inner, outer
                end = xi + (R - ri) / (ro - ri) * (xo - xi)
        ends.append(end)
    return min(ends), max(ends), best[0]
