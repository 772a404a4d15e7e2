"""The campaign coordinator: plans tasks, hands them to an executor and writes every row it gets back.

The coordinator never runs ngspice; it owns the results file and is its only writer. Work is cut
into tasks of whole stack groups, so the rows of a sample depend on the spec and the seed only.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import numpy as np

from .. import __version__
from ..errors import ConfigError
from ..sim.api import keep_runs
from . import store
from .checks import check_campaign
from .executors import make_executor
from .progress import Progress
from .sampling import columns, sweep_points
from .spec import MODES, CampaignSpec, parse_spec
from .trust import Trust, check_file, check_spec, provenance
from .worker import Task, run_task, single_netlists
from .netlists import netlist_hash


def resolve_mode(spec: CampaignSpec, override: Optional[str] = None) -> str:
    """stacked for builders (batch when jittered stacks are large), batch for templates, python for
    evaluators; or the override."""
    mode = override or spec.mode
    if mode not in MODES:
        raise ConfigError(f"mode={mode!r} must be one of {', '.join(MODES)}")
    if spec.evaluator is not None:
        if mode not in ("auto", "python"):
            raise ConfigError(f"mode {mode!r} runs netlists; an evaluator spec runs in mode 'python' (or 'auto')")
        return "python"
    if mode == "python":
        raise ConfigError("mode 'python' needs an evaluator = 'module:function' spec; use 'auto'")
    if mode == "stacked" and spec.builder is None:
        raise ConfigError("mode 'stacked' needs a builder (a template cannot be stacked); use 'batch'")
    if mode != "auto":
        return mode
    if spec.builder is None:
        return "batch"
    if spec.jitters and spec.stack_size > 100:
        return "batch"  # every jittered edge is a breakpoint of the whole stacked netlist
    return "stacked"


def spare_core(workers: int, scheduler: Optional[str] = None) -> bool:
    """Whether this machine has a core beyond the ``workers`` ones (then each worker prepares its next
    stack group while ngspice runs). A remote Dask cluster's machines are unknown here: assume so."""
    if scheduler:
        return True
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return workers < cores


def plan(spec: CampaignSpec, mode: str, samples: int, full: int, pending: np.ndarray,
         base: Optional[str] = None, workers: int = 1, overlap: bool = True,
         tmp_root: Optional[str] = None) -> List[Task]:
    """Tasks covering every stack group that holds a pending sample, in order.

    A task holds at most ``batch_size`` samples (whole stack groups). With several workers the last
    tasks shrink (guided self-scheduling: a task takes at most 1/(2 x workers) of the groups still
    unplanned) so that the workers finish together; which samples share a task never changes a result.
    ``overlap`` and ``tmp_root`` are handed to every task (see :class:`.tasks.Task`).
    """
    unit = spec.stack_size if mode == "stacked" else 1
    per_task = max(1, math.ceil(spec.batch_size / unit))  # in groups
    groups = sorted({int(k) // unit for k in np.flatnonzero(pending)})
    tasks, run = [], []

    def flush():
        if run:
            a = run[0] * unit
            end = (run[-1] + 1) * unit
            pad = min(end, full) if unit > 1 else min(end, samples)
            tasks.append(Task(spec.text, base, a, min(end, samples), pad, mode, overlap=overlap, tmp_root=tmp_root))
            run.clear()
    for i, g in enumerate(groups):
        size = per_task if workers <= 1 else min(per_task, max(1, math.ceil((len(groups) - i + len(run))
                                                                            / (2 * workers))))
        if run and (g != run[-1] + 1 or len(run) + 1 > size):
            flush()
        run.append(g)
    flush()
    return tasks


def _layout(spec: CampaignSpec, mode: str, full: int, base: Optional[str]) -> store.Layout:
    from ..errors import SimulatorNotFoundError
    from ..sim import ngspice_version
    try:
        ngspice = ngspice_version()
    except SimulatorNotFoundError:
        if spec.evaluator is None:
            raise
        ngspice = ""  # an evaluator that needs no simulator runs without one
    npts = len(sweep_points(spec))
    time = np.linspace(*spec.record.time[:2], spec.record.time[2]) if spec.record.time else np.zeros(0)
    sweep = np.array([[p[a] for a, _ in spec.sweep] for p in sweep_points(spec)], dtype=float).reshape(npts, -1)
    attrs = {
        "format": store.FORMAT, "schema_version": store.SCHEMA_VERSION, "spec": spec.text,
        "spec_base": base or "", "spec_name": spec.name, "seed": spec.seed, "samples": spec.samples,
        "full_samples": full, "mode": mode, "circuitlab_version": __version__,
        "ngspice_version": ngspice,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), **provenance(),
        "nominal_netlist_sha256": netlist_hash(single_netlists(spec, 0)),
        "columns": json.dumps(columns(spec)), "vector_names": json.dumps(spec.record.vectors),
        "measure_names": json.dumps(spec.record.measures),
        "derived_names": json.dumps([n for n, _ in spec.record.derived]),
        "sweep_names": json.dumps([a for a, _ in spec.sweep]), "vector_units": json.dumps(_units(spec)),
    }
    return store.Layout(attrs, len(columns(spec)), npts, len(spec.record.vectors), len(time),
                        len(spec.record.measures), len(spec.record.derived), time, sweep)


def _execute(f, spec: CampaignSpec, tasks: List[Task], ex, *, progress: Optional[bool], done: int) -> None:
    bar = Progress(spec.samples, done, enabled=progress, name=spec.name)
    try:
        results: Iterator = ex.run_unordered(tasks, run_task)
        for _task, result in results:
            store.write_rows(f, result)
            bar.update(result.stop - result.start, int((result.status != 0).sum()))
    finally:
        bar.close()


def run_campaign(spec: CampaignSpec, out, *, samples: Optional[int] = None, workers: int = 1,
                 executor: str = "local", scheduler: Optional[str] = None, mode: Optional[str] = None,
                 progress: Optional[bool] = None, spec_base: Optional[str] = None,
                 trust: Optional[Trust] = None) -> Dict[str, object]:
    """Run a campaign into a new results file ``out``; returns :func:`store.summary`. ``trust``:
    ``Trust(safe=True)`` refuses a spec that runs code from outside circuitlab (see :mod:`.trust`)."""
    check_spec(spec, trust, spec_base)
    out = Path(out)
    if out.exists():
        raise ConfigError(f"{str(out)!r} exists; finish it with 'circuitlab mc resume {out}' or choose another --out")
    full = spec.samples
    if samples is not None:
        spec = spec.with_samples(samples)
        full = max(full, spec.samples)  # more samples than the spec's: the campaign grows, groups stay
    resolved = resolve_mode(spec, mode)
    check_campaign(spec)  # a broken nominal circuit or [record] stops here, before any worker starts
    ex = make_executor(executor, workers, scheduler)
    tmp = _tmp_root()
    try:
        ex.start()  # workers start while the results file is made
        f = store.create(out, _layout(spec, resolved, full, spec_base))
        try:
            tasks = plan(spec, resolved, spec.samples, full, np.ones(spec.samples, dtype=bool), spec_base,
                         workers, spare_core(workers, scheduler), tmp)
            _execute(f, spec, tasks, ex, progress=progress, done=0)
        finally:
            store.close_quietly(f)
    finally:
        try:
            ex.close()
        finally:
            _remove(tmp)
    return store.summary(out)


def _tmp_root() -> str:
    """The campaign's temporary folder (``circuitlab-mc-*``): workers make their run folders in it."""
    return tempfile.mkdtemp(prefix="circuitlab-mc-")


def _remove(tmp: str) -> None:
    """Remove the campaign's temporary folder, also after a failure, unless ``CIRCUITLAB_KEEP_RUNS=1``."""
    if not keep_runs():
        shutil.rmtree(tmp, ignore_errors=True)


def resume_campaign(path, *, workers: int = 1, executor: str = "local", scheduler: Optional[str] = None,
                    progress: Optional[bool] = None, trust: Optional[Trust] = None) -> Dict[str, object]:
    """Finish an interrupted campaign: every pending sample is run, every finished one kept as it is.
    ``trust`` None runs a file made elsewhere (another host or user) in safe mode (see :mod:`.trust`)."""
    path = Path(path)
    check_file(path, trust)
    layout, done = store.rewrite_for_resume(path)
    attrs = layout.attrs
    base = store.maybe_str(attrs["spec_base"]) or None
    spec = parse_spec(store.maybe_str(attrs["spec"]), base=Path(base) if base else None)
    spec = spec.with_samples(int(attrs["samples"]))
    mode = store.maybe_str(attrs["mode"])
    if (~done).any():
        check_campaign(spec)
        tmp = _tmp_root()
        tasks = plan(spec, mode, spec.samples, int(attrs["full_samples"]), ~done, base, workers,
                     spare_core(workers, scheduler), tmp)
        ex = make_executor(executor, workers, scheduler)
        try:
            ex.start()
            f = store.open_append(path)
            try:
                _execute(f, spec, tasks, ex, progress=progress, done=int(done.sum()))
            finally:
                f.close()
        finally:
            try:
                ex.close()
            finally:
                _remove(tmp)
    return store.summary(path)


def _units(spec: CampaignSpec) -> Dict[str, str]:
    """Units of recorded vectors from their probe kind (v -> V, i -> A)."""
    out = {}
    for v in spec.record.vectors:
        kind = v.strip().lower()[:2]
        out[v] = {"v(": "V", "i(": "A"}.get(kind, "")
    return out
