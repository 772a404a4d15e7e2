"""Tabulated curves of model files as differentiable torch functions (linear interpolation).

A behavioural curve (the P2M f1/f2 means, their sigma(x) and bounds) is a table of y on a uniform or
non-uniform x grid. :class:`TableCurve` evaluates it at any tensor of x by piecewise-linear
interpolation, with linear extrapolation from the end segments (``extrapolate=True``) or clamping
to the end values; the gradient with respect to x is the local slope.
"""
from __future__ import annotations

import numpy as np
import torch

from ..errors import SchemaError

__all__ = ["TableCurve", "blend"]


class TableCurve(torch.nn.Module):
    """y(x) from tabulated points ``x`` (strictly increasing, >= 2) and ``y`` (same length).

    Each segment j is stored as y = intercept_j + slope_j x (float64 tables, cast to the query's dtype), so
    an evaluation is one segment index and two gathers. On a uniform grid (spacing constant to 1e-9 of the
    span, as the model files write them) the index is floor((x - x_0) / dx), elementwise; on any other grid
    a binary search (``torch.searchsorted``). At a knot both neighbouring segments give the same value up
    to rounding, so the two paths agree to the query dtype's precision.
    """

    def __init__(self, x, y, *, extrapolate: bool = False, name: str = "curve"):
        super().__init__()
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if x.ndim != 1 or x.shape != y.shape or len(x) < 2:
            raise SchemaError(f"{name}: a curve needs 1-D x and y of the same length >= 2, got {x.shape} and "
                              f"{y.shape}")
        if not np.all(np.diff(x) > 0) or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise SchemaError(f"{name}: x must be strictly increasing and x, y finite")
        slope = np.diff(y) / np.diff(x)
        self.register_buffer("x", torch.from_numpy(x))
        self.register_buffer("y", torch.from_numpy(y))
        self.register_buffer("slope", torch.from_numpy(slope))
        self.register_buffer("intercept", torch.from_numpy(y[:-1] - slope * x[:-1]))
        dx = (x[-1] - x[0]) / (len(x) - 1)
        self.uniform = bool(np.max(np.abs(np.diff(x) - dx)) <= 1e-9 * (x[-1] - x[0]))
        self.x0, self.x1, self.dx = float(x[0]), float(x[-1]), float(dx)
        self.extrapolate = bool(extrapolate)
        self.name = name

    def segment(self, q: torch.Tensor) -> torch.Tensor:
        """Index (int64, 0 .. len(x) - 2) of the segment that evaluates each element of ``q``."""
        last = len(self.x) - 2
        if self.uniform:
            return ((q.detach() - self.x0) / self.dx).floor_().clamp_(0, last).to(torch.int64)
        return torch.searchsorted(self.x.to(q.dtype), q.detach().contiguous(), right=True).sub_(1).clamp_(0, last)

    def forward(self, q: torch.Tensor) -> torch.Tensor:
        qq = q if self.extrapolate else q.clamp(self.x0, self.x1)
        j = self.segment(qq)
        return self.intercept.to(q.dtype)[j] + self.slope.to(q.dtype)[j] * qq

    def extra_repr(self) -> str:
        return f"{self.name}: {len(self.x)} points on [{self.x[0].item():g}, {self.x[-1].item():g}]"


def blend(curves, weights, *, name: str = "blend") -> TableCurve:
    """The curve sum_i w_i curve_i of curves on one x grid (linear interpolation is linear in y, so it equals
    the weighted sum of the curves' values at every x, at the cost of one evaluation)."""
    first = curves[0]
    for c in curves[1:]:
        if c.x.shape != first.x.shape or not torch.equal(c.x, first.x) or c.extrapolate != first.extrapolate:
            raise SchemaError(f"{name}: blended curves must share one x grid and extrapolation setting")
    y = sum(float(w) * c.y for c, w in zip(curves, weights))
    return TableCurve(first.x.cpu().numpy(), y.cpu().numpy(), extrapolate=first.extrapolate,
                      name=name).to(first.x.device)
