"""Fitting a family to data: parameters, standard errors, covariance and residual statistics.

Linear families are solved exactly (bounded linear least squares where the family has bounds),
nonlinear ones by ``scipy.optimize.least_squares`` (trust region reflective) from the family's
``guess()``. The covariance is s^2 (J^T W J)^-1 with the Jacobian at the optimum and s^2 the reduced
chi-square (or 1 when absolute ``sigma`` is given), as in lmfit/curve_fit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Sequence

import numpy as np

from ..errors import NumericalError
from .families import Family, MonotoneSpline, scaled_polynomial, uniform_knots


class FitError(NumericalError, ValueError):
    """The data cannot be fitted as asked (too few points, non-finite values, no convergence, a family
    or column that does not apply). A :class:`~circuitlab.errors.NumericalError`, not a ConfigError."""


@dataclass(frozen=True)
class FitResult:
    """Outcome of :func:`fit`: the family, parameters with standard errors and the data used."""
    family: Family
    params: np.ndarray
    stderr: np.ndarray
    covariance: np.ndarray
    x: np.ndarray
    y: np.ndarray
    metrics: Dict[str, float] = field(default_factory=dict)

    @property
    def values(self) -> Dict[str, float]:
        return dict(zip(self.family.names, map(float, self.params)))

    @property
    def errors(self) -> Dict[str, float]:
        return dict(zip(self.family.names, map(float, self.stderr)))

    def __call__(self, x) -> np.ndarray:
        return self.family(x, self.params)

    @property
    def residuals(self) -> np.ndarray:
        return self.y - self(self.x)


def _metrics(y: np.ndarray, pred: np.ndarray, nparams: int) -> Dict[str, float]:
    r = y - pred
    ss_res = float(np.sum(r ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    span = float(np.ptp(y)) or 1.0
    return {"rmse": float(np.sqrt(np.mean(r ** 2))), "max_error": float(np.max(np.abs(r))),
            "r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0,
            "nrmse": float(np.sqrt(np.mean(r ** 2))) / span, "n": float(len(y)), "dof": float(len(y) - nparams)}


def _check(x, y, sigma, nparams):
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if x.shape != y.shape or x.ndim != 1:
        raise FitError(f"x and y must be 1-D arrays of equal length (got {x.shape} and {y.shape})")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise FitError("x or y contains NaN or infinite values; drop failed samples before fitting")
    if len(x) <= nparams:
        raise FitError(f"{len(x)} points cannot determine {nparams} parameters; add data or lower the degree")
    w = None
    if sigma is not None:
        sigma = np.broadcast_to(np.asarray(sigma, float), y.shape)
        if np.any(sigma <= 0) or not np.all(np.isfinite(sigma)):
            raise FitError("sigma must be positive and finite for every point")
        w = 1.0 / sigma
    return x, y, w


def fit(family: Family, x, y, *, sigma=None, absolute_sigma: bool = False) -> FitResult:
    """Least-squares fit of ``family`` to (x, y), optionally weighted by 1/sigma."""
    n = len(family.names)
    x, y, w = _check(x, y, sigma, n)
    ww = np.ones_like(y) if w is None else w
    lo, hi = family.bounds(x, y)
    if family.linear:
        a = family.design(x) * ww[:, None]
        if np.all(np.isinf(lo)) and np.all(np.isinf(hi)):
            params = np.linalg.lstsq(a, y * ww, rcond=None)[0]
        else:
            from scipy.optimize import lsq_linear
            params = lsq_linear(a, y * ww, bounds=(lo, hi), method="bvls").x
        jac = a
    else:
        from scipy.optimize import least_squares
        p0 = np.clip(family.guess(x, y), np.where(np.isfinite(lo), lo, -np.inf), np.where(np.isfinite(hi), hi, np.inf))
        sol = least_squares(lambda p: (family(x, p) - y) * ww, p0, bounds=(lo, hi), x_scale="jac",
                            max_nfev=2000 * n)
        if not sol.success:
            raise FitError(f"{family.name} fit did not converge: {sol.message}; fix the data or the bounds")
        params, jac = sol.x, sol.jac
    resid = (family(x, params) - y) * ww
    dof = max(len(y) - n, 1)
    s2 = 1.0 if (sigma is not None and absolute_sigma) else float(resid @ resid) / dof
    jtj = jac.T @ jac
    cov = np.linalg.pinv(jtj) * s2
    stderr = np.sqrt(np.clip(np.diag(cov), 0, None))
    return FitResult(family, np.asarray(params, float), stderr, cov, x, y, _metrics(y, family(x, params), n))


def cross_validate(family: Family, x, y, *, folds: int = 5, seed: int = 0) -> float:
    """Mean squared prediction error of ``family`` by k-fold cross-validation (seeded shuffling)."""
    x, y, _ = _check(x, y, None, len(family.names))
    if folds < 2 or folds > len(x):
        raise FitError(f"folds={folds} must be between 2 and the number of points ({len(x)})")
    order = np.random.default_rng(seed).permutation(len(x))
    errors = []
    for k in range(folds):
        test = order[k::folds]
        train = np.setdiff1d(order, test)
        res = fit(family, x[train], y[train])
        errors.append(np.mean((res(x[test]) - y[test]) ** 2))
    return float(np.mean(errors))


def select_polynomial(x, y, degrees: Sequence[int] = range(1, 8), *, folds: int = 5, seed: int = 0) -> FitResult:
    """Fit the polynomial (in the scaled variable) whose degree minimises the k-fold CV error; a higher
    degree must lower the CV error by more than 1 % to be chosen (parsimony)."""
    scores = {d: cross_validate(scaled_polynomial(d, x), x, y, folds=folds, seed=seed) for d in degrees
              if d + 1 < len(x) * (folds - 1) / folds}
    if not scores:
        raise FitError("too few points to cross-validate any polynomial degree")
    best = min(scores)
    for d in sorted(scores):
        if scores[d] < scores[best] * 0.99:
            best = d
    result = fit(scaled_polynomial(best, x), x, y)
    result.metrics["cv_mse"] = scores[best]
    return result


def select_spline(x, y, knot_counts: Sequence[int] = (3, 4, 5, 6, 8, 10), *, increasing: bool = True,
                  folds: int = 5, seed: int = 0) -> FitResult:
    """Fit the monotone spline whose (uniform) knot count minimises the k-fold CV error."""
    scores: Dict[int, float] = {}
    for n in knot_counts:
        if n < len(x) * (folds - 1) / folds:
            fam = MonotoneSpline(uniform_knots(x, n), increasing)
            scores[n] = cross_validate(fam, x, y, folds=folds, seed=seed)
    if not scores:
        raise FitError("too few points to cross-validate any knot count")
    best = min(scores, key=lambda n: (scores[n], n))
    result = fit(MonotoneSpline(uniform_knots(x, best), increasing), x, y)
    result.metrics["cv_mse"] = scores[best]
    return result

