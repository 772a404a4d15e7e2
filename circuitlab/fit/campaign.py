"""Fitting a curve with its Monte Carlo spread to a campaign file (the model file is export's job:
:func:`circuitlab.export.curve.curve_model`).

A campaign row is one (sample, sweep point); its columns are the sample's parameters, the sweep
axes, and the recorded ``.meas`` results and derived scalars. ``fit_campaign`` fits ``y`` against ``x``
over the rows whose sample finished ``ok``, models the spread around the mean curve
(:class:`~circuitlab.fit.noise.ConditionalNoise`) and reports the normalised worst-case variation.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

import numpy as np

from .curve_fit import FitError, FitResult, fit, select_polynomial, select_spline
from .families import MonotoneSpline, Saturating, scaled_polynomial, uniform_knots
from .noise import ConditionalNoise, worst_case_variation


def campaign_columns(path) -> Tuple[Dict[str, np.ndarray], np.ndarray]:
    """Every column of a campaign's rows (samples x sweep points, flattened) and the ok mask."""
    from ..montecarlo.results import load_results
    results = load_results(path)
    return results.rows(), np.repeat(results.ok(), results.points)


@dataclass(frozen=True)
class CurveFit:
    """A fitted mean curve with its conditional noise model and the data it came from."""
    x_name: str
    y_name: str
    result: FitResult
    noise: ConditionalNoise
    coverage: Union[float, str]
    worst_case: float

    def bounds(self, x):
        return self.noise.bounds(x, self.result, self.coverage)


def fit_curve(x, y, family: str = "polynomial", *, degree: Optional[int] = None, knots: Optional[int] = None,
              coverage: Union[float, str] = 3.0, bins: int = 20, x_name: str = "x", y_name: str = "y") -> CurveFit:
    """Fit ``y(x)`` with ``family`` (degree / knot count cross-validated unless given) and its spread."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if family == "polynomial":
        res = fit(scaled_polynomial(degree, x), x, y) if degree is not None else select_polynomial(x, y)
    elif family == "monotone_spline":
        increasing = bool(np.corrcoef(x, y)[0, 1] >= 0) if np.ptp(x) > 0 else True
        res = (fit(MonotoneSpline(uniform_knots(x, knots), increasing), x, y) if knots is not None
               else select_spline(x, y, increasing=increasing))
    elif family == "saturating":
        res = fit(Saturating(), x, y)
    else:
        raise FitError(f"family {family!r} cannot be fitted to campaign data; use polynomial, monotone_spline "
                       f"or saturating")
    noise = ConditionalNoise.from_samples(x, y, res, bins=min(bins, max(1, x.size // 10)))
    return CurveFit(x_name, y_name, res, noise, coverage, worst_case_variation(x, y, res))


def fit_campaign(path, x: str, y: str, **kw) -> CurveFit:
    """Fit column ``y`` against column ``x`` of a campaign file over its ok rows."""
    cols, ok = campaign_columns(path)
    for name in (x, y):
        if name not in cols:
            raise FitError(f"campaign {Path(path).name} has no column {name!r}; columns: {', '.join(cols)}")
    if ok.sum() < 20:
        raise FitError(f"campaign {Path(path).name} has only {int(ok.sum())} ok rows; at least 20 are needed")
    return fit_curve(cols[x][ok], cols[y][ok], x_name=x, y_name=y, **kw)


def plot_curve(cf: CurveFit, path, title: str = "", xlabel: str = None, ylabel: str = None) -> Path:
    """The Monte Carlo cloud, the fitted mean and the worst-case bounds, written to ``path`` (PNG)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    res = cf.result
    grid = np.linspace(res.x.min(), res.x.max(), 300)
    lo, hi = cf.bounds(grid)
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.plot(res.x, res.y, ".", ms=2, alpha=0.35, color="0.4", label=f"Monte Carlo ({res.x.size} points)")
    ax.plot(grid, res(grid), "-", lw=2, label=f"{res.family.name} fit (RMSE {res.metrics['rmse']:.3g})")
    cov = "0.135/99.865 % quantiles" if cf.coverage == "quantile" else f"+-{cf.coverage} sigma"
    ax.fill_between(grid, lo, hi, alpha=0.25, label=f"worst-case bounds ({cov})")
    ax.set(xlabel=xlabel or cf.x_name, ylabel=ylabel or cf.y_name,
           title=title or f"{cf.y_name} vs {cf.x_name}: worst-case variation {cf.worst_case:.2%}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
