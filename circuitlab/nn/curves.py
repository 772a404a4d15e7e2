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

__all__ = ["TableCurve"]


class TableCurve(torch.nn.Module):
    """y(x) from tabulated points ``x`` (strictly increasing, >= 2) and ``y`` (same length)."""

    def __init__(self, x, y, *, extrapolate: bool = False, name: str = "curve"):
        super().__init__()
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if x.ndim != 1 or x.shape != y.shape or len(x) < 2:
            raise SchemaError(f"{name}: a curve needs 1-D x and y of the same length >= 2, got {x.shape} and "
                              f"{y.shape}")
        if not np.all(np.diff(x) > 0) or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise SchemaError(f"{name}: x must be strictly increasing and x, y finite")
        self.register_buffer("x", torch.from_numpy(x))
        self.register_buffer("y", torch.from_numpy(y))
        self.extrapolate = bool(extrapolate)
        self.name = name

    def forward(self, q: torch.Tensor) -> torch.Tensor:
        x = self.x.to(q.dtype)
        y = self.y.to(q.dtype)
        qq = q if self.extrapolate else q.clamp(x[0], x[-1])
        i = torch.searchsorted(x, qq.detach().contiguous(), right=True).clamp(1, len(x) - 1)
        x0, x1 = x[i - 1], x[i]
        y0, y1 = y[i - 1], y[i]
        return y0 + (y1 - y0) * (qq - x0) / (x1 - x0)

    def extra_repr(self) -> str:
        return f"{self.name}: {len(self.x)} points on [{self.x[0].item():g}, {self.x[-1].item():g}]"
