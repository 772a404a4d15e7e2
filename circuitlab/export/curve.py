"""The ``curve`` model file of ``circuitlab fit``: a :class:`~circuitlab.fit.campaign.CurveFit` tabulated."""
from __future__ import annotations

import json

import numpy as np

from .modelfile import Axis, ModelFile, Parameter, Table


def curve_model(cf, kind: str = "curve", units=("", ""), points: int = 101, provenance=None) -> ModelFile:
    """The fit as a model file: mean/sigma/lower/upper tabulated on ``points`` x values, fit metrics."""
    res = cf.result
    grid = np.linspace(res.x.min(), res.x.max(), points)
    lo, hi = cf.bounds(grid)
    ax = (Axis("x", grid, units[0]),)
    tables = {"mean": Table(res(grid), units[1], ax), "sigma": Table(cf.noise.sigma(grid), units[1], ax),
              "lower": Table(lo, units[1], ax), "upper": Table(hi, units[1], ax)}
    params = {"worst_case_variation": Parameter(cf.worst_case, "1")}
    params.update({f"coef_{k}": Parameter(v, "", e) for (k, v), e in zip(res.values.items(), res.stderr)})
    prov = {"x": cf.x_name, "y": cf.y_name, "family": json.dumps(res.family.describe()),
            "coverage": str(cf.coverage), **(provenance or {})}
    return ModelFile(kind, params, tables, {k: float(v) for k, v in res.metrics.items()}, prov)
