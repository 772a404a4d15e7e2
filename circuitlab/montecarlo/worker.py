"""Running one task (a contiguous range of samples) in a worker process: the only dispatcher.

The worker draws the samples' parameters itself (see :mod:`.sampling`), writes their netlists, runs
ngspice (stacked, batch or single) and returns plain numpy arrays. Stacked groups run in the worker's
ngspice library (:mod:`.stacked`); batch and single runs are ``ngspice -b`` processes. A stacked or
batch run that fails as a whole is retried sample by sample in single mode, so one bad sample costs one
sample. Evaluator specs (mode 'python') call their function per run instead (:mod:`.evaluate`). A
builder, evaluator or derived expression that raises for a sample makes that sample a sim_error naming
it and the exception (:func:`.outcomes.code_error`); the task goes on. The coordinator never runs ngspice.

Which runs share a stacked netlist is fixed by the spec alone (groups of ``stack_size`` consecutive
samples), so results never depend on batch size, worker count or executor.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..errors import ConfigError
from ..sim.api import keep_runs
from ..sim.backend_subprocess import plots_from_raw, run_subprocess
from ..sim.diagnostics import classify_failure
from . import netlists
from .errors import CampaignError
from .evaluate import run_draws
from .extract import derive, extract_run, measure_values, time_grid
from .launch import run_text
from .outcomes import OK, SIM_ERROR, RunOutcome, code_error, status_of
from .sampling import SampleDraw, draw_sample, draw_samples, sweep_points
from .spec import CampaignSpec, parse_spec
from .stacked import run_stacked
from .tasks import Task, TaskResult

__all__ = ["Task", "TaskResult", "run_task", "single_netlists", "cached_spec"]


@lru_cache(maxsize=8)
def cached_spec(text: str, base: Optional[str]) -> CampaignSpec:
    return parse_spec(text, base=Path(base) if base else None)


def _single(spec: CampaignSpec, texts: Sequence[str], workdir: Path, units) -> List[RunOutcome]:
    runs = []
    for text in texts:
        out, error = run_text(text, spec.timeout, workdir)
        if error is not None:
            runs.append(RunOutcome(status_of(error, out.timed_out), str(error)))
            continue
        runs.append(extract_run(spec, out.plots, measure_values(out.stdout), units))
    return runs


def _batch(spec: CampaignSpec, texts: Sequence[str], workdir: Path, units) -> Optional[List[RunOutcome]]:
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
            runs.append(extract_run(spec, plots_from_raw(raw), measure_values(segments[i]), units))
        return runs
    finally:
        if not keep_runs():
            shutil.rmtree(run_dir, ignore_errors=True)


def run_task(task: Task) -> TaskResult:
    """Run one task and return its arrays (executed in a worker process)."""
    t0 = time.perf_counter()
    spec = cached_spec(task.spec_text, task.spec_base)
    if spec.evaluator is not None:  # mode 'python': a function per run, no netlist (see .evaluate)
        kept = draw_samples(spec, range(task.start, task.stop))
        texts, runs = run_draws(spec, kept)
        return _assemble(spec, task, kept, texts, runs, {}, time.perf_counter() - t0)
    draws: Dict[int, SampleDraw] = {}
    built: Dict[int, list] = {}
    texts: Dict[int, List[str]] = {}
    failed: Dict[int, str] = {}
    keep = range(task.start, task.stop)
    units: Dict[str, str] = {}
    root = task.tmp_root if task.tmp_root and os.path.isdir(task.tmp_root) else None
    workdir = Path(tempfile.mkdtemp(prefix="circuitlab-mc-", dir=root))
    runs: Dict[int, List[RunOutcome]] = {}
    derived: Dict[int, np.ndarray] = {}
    try:
        if task.mode == "stacked":  # draws and netlists are made group by group, while ngspice runs
            runs.update(run_stacked(spec, task, draws, built, texts, workdir, units, derived, failed))
        kept = netlists.prepare_samples(spec, keep, draws, built, texts, failed)
        for d in kept:
            if d.index in failed:
                runs[d.index] = [RunOutcome(SIM_ERROR, failed[d.index]) for _ in d.points]
        if task.mode == "batch":
            good = [d for d in kept if d.index not in failed]
            got = _batch(spec, [t for d in good for t in texts[d.index]], workdir, units) if good else None
            if got is not None:
                npts = len(good[0].points)
                for i, d in enumerate(good):
                    runs[d.index] = got[i * npts:(i + 1) * npts]
        for d in kept:
            if d.index not in runs:
                runs[d.index] = _single(spec, texts[d.index], workdir, units)
    finally:
        if not keep_runs():
            shutil.rmtree(workdir, ignore_errors=True)
    return _assemble(spec, task, kept, texts, runs, units, time.perf_counter() - t0, derived)


def _assemble(spec, task, draws, texts, runs, units, seconds, derived=None) -> TaskResult:
    n, npts = len(draws), len(sweep_points(spec))
    done = dict(derived or {})
    done.update(derive(spec, [d for d in draws if d.index not in done], runs))  # may mark runs as failed
    grid = time_grid(spec)
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
    rows = [done[d.index] for d in draws]
    stacked = np.stack(rows) if n else np.zeros((0, npts, 0))
    return TaskResult(task.start, task.stop, np.stack([d.row for d in draws]), status, errors, hashes, vec, meas,
                      stacked.reshape(n, npts, len(spec.record.derived)), units, seconds)


def single_netlists(spec: CampaignSpec, k: int) -> List[str]:
    """The netlist text of every sweep point of sample ``k`` (what single mode runs); CampaignError
    with the sample's error text if its builder raises."""
    points = draw_sample(spec, k).points
    try:
        return [netlists.run_netlist(spec, v) for v in points]
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - the builder's failure, named like a sample's sim_error
        raise CampaignError(code_error("builder", spec.builder, k, exc)) from None
