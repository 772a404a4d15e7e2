"""From ngspice's output to a run's numbers: measures, recorded vectors on the common time grid and
derived scalars (evaluated for many runs at once; an expression that raises costs its runs only)."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .expr import check_expression, evaluate, names_in
from .outcomes import OK, SIM_ERROR, RunOutcome
from .sampling import SampleDraw
from .spec import CampaignSpec

_MEAS_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*=\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)", re.MULTILINE)


def time_grid(spec: CampaignSpec) -> Optional[np.ndarray]:
    """The common time grid (s) of recorded vectors (read-only, shared), or None."""
    return None if spec.record.time is None else _linspace(*spec.record.time)


@lru_cache(maxsize=8)
def _linspace(start: float, stop: float, n: int) -> np.ndarray:
    grid = np.linspace(start, stop, n)
    grid.flags.writeable = False
    return grid


def measure_values(stdout: str) -> Dict[str, float]:
    """Every ``name = value`` line of ngspice's output (first occurrence wins), names in lower case.

    One pass for a whole stacked run (``sim.diagnostics.parse_measures`` compiles one pattern per name).
    """
    values: Dict[str, float] = {}
    for name, value in _MEAS_LINE.findall(stdout):
        values.setdefault(name.lower(), float(value))
    return values


def extract_run(spec: CampaignSpec, plots, values: Dict[str, float], units: Dict[str, str]) -> RunOutcome:
    """Resample the recorded vectors of one run and pick its measures (NaN where a measure failed)."""
    return extract_runs(spec, plots, values, [(spec.record.measures, spec.record.vectors)], units)[0]


def extract_runs(spec: CampaignSpec, plots, values: Dict[str, float],
                 names: Sequence[Tuple[Sequence[str], Sequence[str]]], units: Dict[str, str]) -> List[RunOutcome]:
    """:func:`extract_run` for runs sharing one transient plot (a stacked run): ``names`` holds each
    run's (measure names, vector names) as ngspice knows them, in ``[record]`` order. Each vector is
    interpolated by itself (``np.interp``), so a run's numbers do not depend on the others. Error texts
    name the ``[record]`` names, so they are the same in every mode."""
    grid = time_grid(spec)
    tran = next((p for p in plots if p.kind == "tran"), None)
    vectors = {} if tran is None else tran.vectors
    scale = vectors.get(tran.scale) if tran is not None else None
    nvec = max((len(vecs) for _, vecs in names), default=0)
    out = np.full((len(names), nvec, 0 if grid is None else len(grid)), np.nan)
    meas = np.array([[values.get(m.lower(), np.nan) for m in mnames] for mnames, _ in names],
                    dtype=np.float64).reshape(len(names), -1)
    missing = np.isnan(meas).any(axis=1)
    runs = []
    for k, (mnames, vecs) in enumerate(names):
        run = RunOutcome(vectors=out[k], measures=meas[k])
        for i, name in enumerate(vecs):
            y = vectors.get(name)  # canonical lower-case names first, then ngspice's other spellings
            key = name if y is not None else (None if tran is None else tran.key(name))
            if key is None:
                run.status = SIM_ERROR
                run.error = f"vector {spec.record.vectors[i]!r} is not in the transient results"
                continue
            y = vectors[key]
            out[k, i] = np.interp(grid, scale, y if y.dtype.kind == "f" else np.real(y))
            if spec.record.vectors[i] not in units:
                units[spec.record.vectors[i]] = tran.units.get(key, "")
        if missing[k] and run.status == OK:
            failed = [spec.record.measures[i] for i, m in enumerate(mnames) if m.lower() not in values]
            if failed:
                run.error = f"measure failed: {', '.join(failed)}"
        runs.append(run)
    return runs


@lru_cache(maxsize=64)
def _trees(derived: tuple) -> list:
    return [check_expression(e, n) for n, e in derived]


def derive(spec: CampaignSpec, draws: Sequence[SampleDraw],
           runs: Dict[int, List[RunOutcome]]) -> Dict[int, np.ndarray]:
    """Derived scalars, shape (points, derived), of every sample in ``draws``, evaluated for all their
    runs at once (NaN for a run that failed). Names are the run's numeric values, then its measures.
    An expression that raises (e.g. OverflowError of a huge literal) makes each of these runs a
    sim_error naming the expression and the exception; the campaign goes on."""
    trees = _trees(spec.record.derived)
    rows = [(d, p, r) for d in draws for p, r in enumerate(runs[d.index])]
    out = np.full((len(rows), len(trees)), np.nan)
    if trees and rows:
        meas_names = spec.record.measures
        nan_meas = np.full(len(meas_names), np.nan)
        meas = np.array([nan_meas if r.measures is None else r.measures for _, _, r in rows]).reshape(len(rows), -1)
        grid = time_grid(spec)
        nan_vec = np.full((len(spec.record.vectors), 0 if grid is None else len(grid)), np.nan)
        vecs = np.array([nan_vec if r.vectors is None else r.vectors for _, _, r in rows])
        vectors = {v.lower(): vecs[:, i, :] for i, v in enumerate(spec.record.vectors)}
        scalars = {}
        for name in dict.fromkeys(n for t in trees for n in names_in(t)):
            if name in meas_names:
                scalars[name] = meas[:, meas_names.index(name)]
            else:
                scalars[name] = np.array([_number(d.points[p].get(name)) for d, p, _ in rows], dtype=np.float64)
        for j, tree in enumerate(trees):
            try:
                out[:, j] = evaluate(tree, scalars, vectors, len(rows))
            except Exception as exc:  # noqa: BLE001 - an expression's failure is its runs' failure
                name = spec.record.derived[j][0]
                for d, _, r in rows:
                    if r.status == OK:
                        r.status = SIM_ERROR
                        why = f"sample {d.index}: derived {name!r} raised {type(exc).__name__}: {exc}"
                        r.error = f"{r.error}; {why}" if r.error else why
        out[[r.status != OK for _, _, r in rows]] = np.nan
    result, i = {}, 0
    for d in draws:
        n = len(runs[d.index])
        result[d.index] = out[i:i + n]
        i += n
    return result


def _number(value) -> float:
    return float(value) if isinstance(value, (int, float)) else np.nan
