"""Running one task (a contiguous range of samples) in a worker process.

The worker draws the samples' parameters itself (see :mod:`.sampling`), writes their netlists, runs
ngspice (stacked, batch or single) and returns plain numpy arrays. Stacked groups run in the worker's
ngspice library (:mod:`.stacked`); batch and single runs are ``ngspice -b`` processes. A stacked or
batch run that fails as a whole is retried sample by sample in single mode, so one bad sample costs one
sample. Evaluator specs (mode 'python')
call their function per run instead (:mod:`.evaluate`). The coordinator never runs ngspice.

Which runs share a stacked netlist is fixed by the spec alone (groups of ``stack_size`` consecutive
samples), so results never depend on batch size, worker count or executor.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import CircuitlabError, ConvergenceError
from ..sim.backend_subprocess import (RunOutput, finish_subprocess, plots_from_raw, run_subprocess,
                                      start_subprocess)
from ..sim.diagnostics import classify_failure
from . import netlists
from .expr import check_expression, evaluate, names_in
from .sampling import SampleDraw, draw_sample, draw_samples, sweep_points
from .spec import CampaignSpec, parse_spec

OK, SIM_ERROR, TIMEOUT, NONCONVERGED = 0, 1, 2, 3
PENDING = -1
_MEAS_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*=\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)", re.MULTILINE)
STATUS_NAMES = {OK: "ok", SIM_ERROR: "sim_error", TIMEOUT: "timeout", NONCONVERGED: "nonconverged"}


@dataclass(frozen=True)
class Task:
    """Samples ``start..stop-1`` to keep; ``pad_stop`` completes the last stacked group (run, dropped).
    ``library``: stacked groups may run in the worker's ngspice library (False: ``ngspice -b`` only).
    ``overlap``: prepare the next stack group while ngspice runs the current one. That pays where a core
    is spare (fewer workers than cores); with every core running a worker's ngspice the worker's Python
    then only competes with it (measured: 2 workers on 2 cores, 0.33-0.36 ms per sample without overlap,
    0.38-0.40 with it; 1 worker, 0.67 with, 0.74 without). Results are bit-identical either way."""
    spec_text: str
    spec_base: Optional[str]
    start: int
    stop: int
    pad_stop: int
    mode: str
    library: bool = True
    overlap: bool = True

    def isolated(self) -> "Task":
        """This task with every ngspice run in its own process: how a task is retried after its worker
        died (an ngspice crash inside the library takes the worker with it; in a subprocess it costs one
        group, which is then retried sample by sample). Results are bit-identical either way."""
        return replace(self, library=False)


@dataclass
class TaskResult:
    """Arrays for samples ``start..stop-1``; shapes (n, ...) with the sweep point as second axis."""
    start: int
    stop: int
    params: np.ndarray
    status: np.ndarray
    errors: List[str]
    hashes: List[str]
    vectors: np.ndarray
    measures: np.ndarray
    derived: np.ndarray
    units: Dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class _Run:
    """The outcome of one run (one sample at one sweep point)."""
    status: int = OK
    error: str = ""
    vectors: Optional[np.ndarray] = None
    measures: Optional[np.ndarray] = None


def use_library() -> bool:
    """Stacked groups run in the shared library unless ``CIRCUITLAB_MC_LIBRARY=0`` (then ``ngspice -b``)."""
    return os.environ.get("CIRCUITLAB_MC_LIBRARY", "1") != "0"


@lru_cache(maxsize=8)
def cached_spec(text: str, base: Optional[str]) -> CampaignSpec:
    return parse_spec(text, base=Path(base) if base else None)


def _status_of(error: Exception, timed_out: bool) -> int:
    if timed_out:
        return TIMEOUT
    return NONCONVERGED if isinstance(error, ConvergenceError) else SIM_ERROR


def _grid(spec: CampaignSpec) -> Optional[np.ndarray]:
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


def _extract(spec: CampaignSpec, plots, values: Dict[str, float], meas: Sequence[str], vecs: Sequence[str],
             units: Dict[str, str]) -> _Run:
    """Resample the recorded vectors of one run and pick its measures (NaN where a measure failed)."""
    return _extract_many(spec, plots, values, [(meas, vecs)], units)[0]


def _extract_many(spec: CampaignSpec, plots, values: Dict[str, float],
                  names: Sequence[Tuple[Sequence[str], Sequence[str]]], units: Dict[str, str]) -> List[_Run]:
    """:func:`_extract` for runs sharing one transient plot (a stacked run): ``names`` holds each run's
    (measure names, vector names). Each vector is interpolated by itself (``np.interp``), so a run's
    numbers do not depend on the others."""
    grid = _grid(spec)
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
        run = _Run(vectors=out[k], measures=meas[k])
        for i, name in enumerate(vecs):
            y = vectors.get(name)  # canonical lower-case names first, then ngspice's other spellings
            key = name if y is not None else (None if tran is None else tran.key(name))
            if key is None:
                run.status, run.error = SIM_ERROR, f"vector {name!r} is not in the transient results"
                continue
            y = vectors[key]
            out[k, i] = np.interp(grid, scale, y if y.dtype.kind == "f" else np.real(y))
            if spec.record.vectors[i] not in units:
                units[spec.record.vectors[i]] = tran.units.get(key, "")
        if missing[k] and run.status == OK:
            failed = [m for m in mnames if m.lower() not in values]
            if failed:
                run.error = f"measure failed: {', '.join(failed)}"
        runs.append(run)
    return runs


def _start_text(text: str, workdir: Path, lib=None):
    """Start one ngspice run of ``text``: in this process's shared library (``lib``, a stacked netlist
    without a control block) or as ``ngspice -b`` in a fresh directory (see :func:`_finish_text`)."""
    if lib is not None:
        return lib, lib.start(text, workdir / "stacked.cir"), text  # runs one at a time: one file
    return start_subprocess(text, Path(tempfile.mkdtemp(dir=workdir)), threads=1), None, text


def _finish_text(started, timeout: float, names: Optional[Sequence[str]] = None):
    """Collect a started run (from the library: only vectors ``names``, if given); return (RunOutput,
    error or None) and free what it used."""
    handle, start_code, text = started
    if start_code is not None:  # shared library
        got = handle.finish(timeout, start_code, names)
        out = RunOutput(start_code, got.stdout, got.stderr, got.plots, timed_out=got.timed_out)
    else:
        out = finish_subprocess(handle, timeout)
        shutil.rmtree(handle.run_dir, ignore_errors=True)
    if out.timed_out:
        return out, CircuitlabError(f"ngspice did not finish within {timeout:g} s and was stopped")
    return out, classify_failure(out.returncode, out.stdout, out.stderr, text,
                                 had_data=bool(out.plots) or not out.wrapped)


def _run_text(text: str, timeout: float, workdir: Path):
    """Run netlist text once in a fresh directory; return (RunOutput, error or None)."""
    return _finish_text(_start_text(text, workdir), timeout)


def _single(spec: CampaignSpec, texts: Sequence[str], workdir: Path, units) -> List[_Run]:
    runs = []
    for text in texts:
        out, error = _run_text(text, spec.timeout, workdir)
        if error is not None:
            runs.append(_Run(_status_of(error, out.timed_out), str(error)))
            continue
        runs.append(_extract(spec, out.plots, measure_values(out.stdout), spec.record.measures,
                             spec.record.vectors, units))
    return runs


def _prepare(spec: CampaignSpec, indices: Sequence[int], draws: Dict[int, SampleDraw], built: Dict[int, list],
             texts: Dict[int, List[str]]) -> List[SampleDraw]:
    """Draw samples ``indices`` and write their netlists (circuits in ``built``, texts in ``texts``)."""
    for d in draw_samples(spec, [k for k in indices if k not in draws]):  # seeded together, bit-identical
        draws[d.index] = d                                                 # to one draw_sample per k
        if spec.builder is not None:
            built[d.index] = [netlists.build_circuit(spec, v) for v in d.points]
            texts[d.index] = [c.to_text() for c in built[d.index]]
        else:
            texts[d.index] = [netlists.run_netlist(spec, v) for v in d.points]
    return [draws[k] for k in indices]


def _batch(spec: CampaignSpec, texts: Sequence[str], workdir: Path, units) -> Optional[List[_Run]]:
    """Several netlists in one ngspice process (a generated control script); None if any run failed."""
    run_dir = Path(tempfile.mkdtemp(dir=workdir))
    try:
        script = ["circuitlab batch", ".control", "set filetype=binary", "set num_threads=1"]
        for i, text in enumerate(texts):
            (run_dir / f"r{i}.cir").write_text(text)
            script += [f"source r{i}.cir", "run", f"write r{i}.raw", "destroy all", f"echo @@circuitlab-end {i}",
                       "remcirc"]
        script += ["quit", ".endc", ".end"]
        out = run_subprocess("\n".join(script) + "\n", run_dir, spec.timeout * len(texts), threads=1)
        if out.timed_out or out.returncode != 0 or "abort" in (out.stdout + out.stderr).lower():
            return None
        if classify_failure(out.returncode, out.stdout, out.stderr, "", had_data=True) is not None:
            return None
        segments = out.stdout.split("@@circuitlab-end")
        runs = []
        for i, text in enumerate(texts):
            raw = run_dir / f"r{i}.raw"
            if not raw.is_file() or i >= len(segments):
                return None
            runs.append(_extract(spec, plots_from_raw(raw), measure_values(segments[i]), spec.record.measures,
                                 spec.record.vectors, units))
        return runs
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


@lru_cache(maxsize=64)
def _trees(derived: tuple) -> list:
    return [check_expression(e, n) for n, e in derived]


def _derive(spec: CampaignSpec, draws: Sequence[SampleDraw],
            runs: Dict[int, List[_Run]]) -> Dict[int, np.ndarray]:
    """Derived scalars, shape (points, derived), of every sample in ``draws``, evaluated for all their
    runs at once (NaN for a run that failed). Names are the run's numeric values, then its measures."""
    trees = _trees(spec.record.derived)
    rows = [(d, p, r) for d in draws for p, r in enumerate(runs[d.index])]
    out = np.full((len(rows), len(trees)), np.nan)
    if trees and rows:
        meas_names = spec.record.measures
        nan_meas = np.full(len(meas_names), np.nan)
        meas = np.array([nan_meas if r.measures is None else r.measures for _, _, r in rows]).reshape(len(rows), -1)
        width = 0 if _grid(spec) is None else len(_grid(spec))
        nan_vec = np.full((len(spec.record.vectors), width), np.nan)
        vecs = np.array([nan_vec if r.vectors is None else r.vectors for _, _, r in rows])
        vectors = {v.lower(): vecs[:, i, :] for i, v in enumerate(spec.record.vectors)}
        scalars = {}
        for name in dict.fromkeys(n for t in trees for n in names_in(t)):
            if name in meas_names:
                scalars[name] = meas[:, meas_names.index(name)]
            else:
                scalars[name] = np.array([_number(d.points[p].get(name)) for d, p, _ in rows], dtype=np.float64)
        for j, tree in enumerate(trees):
            out[:, j] = evaluate(tree, scalars, vectors, len(rows))
        out[[r.status != OK for _, _, r in rows]] = np.nan
    result, i = {}, 0
    for d in draws:
        n = len(runs[d.index])
        result[d.index] = out[i:i + n]
        i += n
    return result


def _number(value) -> float:
    return float(value) if isinstance(value, (int, float)) else np.nan


def run_task(task: Task) -> TaskResult:
    """Run one task and return its arrays (executed in a worker process)."""
    t0 = time.perf_counter()
    spec = cached_spec(task.spec_text, task.spec_base)
    if spec.evaluator is not None:  # mode 'python': a function per run, no netlist (see .evaluate)
        from .evaluate import run_draws
        kept = draw_samples(spec, range(task.start, task.stop))
        texts, runs = run_draws(spec, kept)
        return _assemble(spec, task, kept, texts, runs, {}, time.perf_counter() - t0)
    draws: Dict[int, SampleDraw] = {}
    built: Dict[int, list] = {}
    texts: Dict[int, List[str]] = {}
    keep = range(task.start, task.stop)
    units: Dict[str, str] = {}
    workdir = Path(tempfile.mkdtemp(prefix="circuitlab-mc-"))
    runs: Dict[int, List[_Run]] = {}
    derived: Dict[int, np.ndarray] = {}
    try:
        if task.mode == "stacked":  # draws and netlists are made group by group, while ngspice runs
            from .stacked import run_stacked
            runs.update(run_stacked(spec, task, draws, built, texts, workdir, units, derived))
        kept = _prepare(spec, keep, draws, built, texts)
        if task.mode == "batch":
            got = _batch(spec, [t for d in kept for t in texts[d.index]], workdir, units)
            if got is not None:
                npts = len(kept[0].points)
                for i, d in enumerate(kept):
                    runs[d.index] = got[i * npts:(i + 1) * npts]
        for d in kept:
            if d.index not in runs:
                runs[d.index] = _single(spec, texts[d.index], workdir, units)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return _assemble(spec, task, kept, texts, runs, units, time.perf_counter() - t0, derived)


def _assemble(spec, task, draws, texts, runs, units, seconds, derived=None) -> TaskResult:
    n, npts = len(draws), len(sweep_points(spec))
    grid = _grid(spec)
    vec = np.full((n, npts, len(spec.record.vectors), 0 if grid is None else len(grid)), np.nan)
    meas = np.full((n, npts, len(spec.record.measures)), np.nan)
    status = np.zeros(n, dtype=np.int8)
    errors, hashes = [], []
    for i, d in enumerate(draws):
        sample_runs = runs[d.index]
        bad = [r for r in sample_runs if r.status != OK]
        status[i] = bad[0].status if bad else OK
        errors.append("; ".join(dict.fromkeys(r.error for r in sample_runs if r.error)))
        hashes.append(netlists.netlist_hash(texts[d.index]))
        for p, r in enumerate(sample_runs):
            if r.vectors is not None:
                vec[i, p] = r.vectors
                meas[i, p] = r.measures
    done = dict(derived or {})
    done.update(_derive(spec, [d for d in draws if d.index not in done], runs))
    rows = [done[d.index] for d in draws]
    stacked = np.stack(rows) if n else np.zeros((0, npts, 0))
    return TaskResult(task.start, task.stop, np.stack([d.row for d in draws]), status, errors, hashes, vec, meas,
                      stacked.reshape(n, npts, len(spec.record.derived)), units, seconds)


def single_netlists(spec: CampaignSpec, k: int) -> List[str]:
    """The netlist text of every sweep point of sample ``k`` (what single mode runs)."""
    return [netlists.run_netlist(spec, v) for v in draw_sample(spec, k).points]

