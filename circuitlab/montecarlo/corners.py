"""``mc corners``: the nominal point and the +-k sigma corners of a campaign spec, against its Monte Carlo.

Corners live in the space of the design factors (:func:`.design.factor_names`: one standard normal z per
process variation, one per parameter of a mismatch variation); a corner sets each chosen factor to +k or
-k and leaves the others at 0 (nominal). A factor maps to its parameter values through its variation's
law (a uniform variation's u = 2 Phi(z) - 1, so its +-3 sigma corner is u = +-0.997; a truncnormal's z is
clipped to its clip). Jitter edges stay random draws, as in every design.

- Few factors (<= ``full_max``, 8 by default: 256 corners): the full two-level factorial.
- More: the linear-model worst corner per scalar. The 2F one-at-a-time points (+-k on one factor) give
  each scalar's slope per factor by central differences; the corner with every factor at k sign(slope)
  (and its mirror) is then simulated for every scalar: 2F + 2M simulations for M scalars instead of 2^F.

Each scalar's worst corner (its largest and smallest value, with the corner's signs) is compared with
the Monte Carlo extremes of the same spec and with its mean +- k sigma.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..errors import ConfigError
from .design import factor_names
from .results import CampaignResults, load_results
from .tail import design_table, with_design
from .tail_run import run_or_reuse


@dataclass(frozen=True)
class CornerResult:
    scalar: str
    nominal: float
    low: float
    low_corner: Dict[str, int]         # factor -> -1 / 0 / +1
    high: float
    high_corner: Dict[str, int]
    mc_min: float
    mc_max: float
    mc_mean: float
    mc_std: float
    mc_samples: int


def _signs(row, names: Sequence[str], k: float) -> Dict[str, int]:
    return {n: int(np.sign(v)) for n, v in zip(names, row) if v != 0}


def select_factors(names: Sequence[str], params: Optional[Sequence[str]]) -> List[int]:
    """Indices of the factors to corner: all, or those naming one of ``params`` (a parameter or a factor)."""
    if not params:
        return list(range(len(names)))
    chosen = [i for i, n in enumerate(names) if n in params or any(p in n.split(" ", 1)[1].split("+") for p in params)]
    if not chosen:
        raise ConfigError(f"--params {', '.join(params)} names none of the spec's factors: {', '.join(names)}")
    return chosen


def run_corners(spec, out_dir, *, k: float = 3.0, params: Optional[Sequence[str]] = None, full_max: int = 8,
                mc: Optional[str] = None, mc_samples: int = 500, spec_base: Optional[str] = None,
                **run_kw) -> List[CornerResult]:
    """Simulate the corners (see the module doc) and compare with Monte Carlo (the file ``mc`` or a new
    ``mc_samples`` run of the spec); writes corners.json in ``out_dir``."""
    if not k > 0:
        raise ConfigError(f"--k {k} must be > 0 (sigmas)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = factor_names(spec)
    if not names:
        raise ConfigError("the spec has no enabled [[variation]]: there are no corners")
    chosen = select_factors(names, params)
    nf = len(names)

    def rows(signs_list):
        out = []
        for signs in signs_list:
            z = np.zeros(nf)
            z[chosen] = k * np.asarray(signs, float)
            out.append(z)
        return out

    def run(points, name) -> CampaignResults:
        return run_or_reuse(with_design(spec.text, design_table("points", points=points)), out_dir / name,
                         len(points) + 1, spec_base, run_kw)
    if len(chosen) <= full_max:
        method = "full factorial"
        points = rows(itertools.product((-1.0, 1.0), repeat=len(chosen)))
        res = run(points, "corners.h5")
        values, corner_rows = res.scalars(), points
    else:
        method = "linear worst corner"
        oat = []
        for j in range(len(chosen)):
            for sgn in (-1.0, 1.0):
                signs = np.zeros(len(chosen))
                signs[j] = sgn
                oat.append(signs)
        first = run(rows(oat), "corners_oat.h5")
        vals = first.scalars()
        worst = []
        for name, v in vals.items():
            slope = v[2::2][: len(chosen)] - v[1::2][: len(chosen)]     # (+k) - (-k) per factor
            sign = np.where(np.isfinite(slope), np.sign(slope), 0.0)
            worst += [sign, -sign]
        res = run(rows(worst), "corners.h5")
        values, corner_rows = res.scalars(), rows(worst)
    mc_res = load_results(mc) if mc else run_or_reuse(spec.text, out_dir / "mc.h5", mc_samples, spec_base, run_kw)
    mc_vals = mc_res.scalars()
    keep_mc = mc_res.ok() & (np.arange(len(mc_res)) > 0)
    out = []
    ok = res.ok()
    for name, v in values.items():
        cand = np.where(ok[1:] & np.isfinite(v[1:]))[0]
        if not len(cand):
            raise ConfigError(f"no corner of {name!r} simulated; see 'circuitlab mc inspect {out_dir / 'corners.h5'}'")
        lo, hi = cand[np.argmin(v[1:][cand])], cand[np.argmax(v[1:][cand])]
        m = mc_vals[name][keep_mc]
        m = m[np.isfinite(m)]
        out.append(CornerResult(name, float(v[0]), float(v[1 + lo]), _signs(corner_rows[lo], names, k),
                                float(v[1 + hi]), _signs(corner_rows[hi], names, k),
                                float(m.min()) if len(m) else float("nan"), float(m.max()) if len(m) else float("nan"),
                                float(m.mean()) if len(m) else float("nan"),
                                float(m.std(ddof=1)) if len(m) > 1 else float("nan"), int(len(m))))
    summary = {"spec": spec.name, "k": k, "method": method, "factors": [names[i] for i in chosen],
               "simulations": int(len(res) - 1 + (2 * len(chosen) if method != "full factorial" else 0)),
               "mc_file": str(mc_res.path),
               "scalars": {c.scalar: c.__dict__ for c in out}}
    (out_dir / "corners.json").write_text(json.dumps(summary, indent=2, default=float))
    return out


def corner_lines(results: Sequence[CornerResult], k: float) -> List[str]:
    lines = [f"{'scalar':<16} {'nominal':>12} {'corner min':>12} {'corner max':>12} {'MC min':>12} {'MC max':>12} "
             f"{f'MC mean-{k:g}sd':>13} {f'MC mean+{k:g}sd':>13}"]
    for c in results:
        lines.append(f"{c.scalar:<16} {c.nominal:>12.6g} {c.low:>12.6g} {c.high:>12.6g} {c.mc_min:>12.6g} "
                     f"{c.mc_max:>12.6g} {c.mc_mean - k * c.mc_std:>13.6g} {c.mc_mean + k * c.mc_std:>13.6g}")
    for c in results:
        fmt = ", ".join(f"{n} {'+' if s > 0 else '-'}" for n, s in c.high_corner.items())
        lines.append(f"  {c.scalar} max at: {fmt or 'nominal'}")
    return lines
