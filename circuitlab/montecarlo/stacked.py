"""Stacked groups of a task: many runs in one netlist, run one group at a time in the worker's ngspice.

Which runs share a stacked netlist is fixed by the spec (groups of ``stack_size`` consecutive samples),
so results never depend on batch size, worker count or executor. Groups run in this process's ngspice
library (:mod:`circuitlab.sim.libngspice`) where it loads, else as ``ngspice -b``; where a core is spare
the next group is drawn and built while ngspice runs the current one (:attr:`.tasks.Task.overlap`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np

from ..sim.libngspice import library
from . import netlists
from .extract import derive, extract_runs, measure_values
from .launch import finish_text, start_text, use_library
from .outcomes import RunOutcome
from .sampling import SampleDraw
from .spec import CampaignSpec
from .tasks import Task


def _stack_text(spec: CampaignSpec, draws: Sequence[SampleDraw], built: Dict[int, list]):
    """(netlist text, run tags) of one stack group, or None if its circuits cannot be stacked (or
    none could be built: a sample whose builder failed has no circuits and is left out)."""
    circuits, tags = [], []
    for d in draws:
        for p in range(len(built[d.index])):
            circuits.append(built[d.index][p])
            tags.append(f"{d.index}p{p}")
    if not circuits or netlists.stackable(circuits) is not None:
        return None
    save = list(dict.fromkeys([*(v.lower() for v in spec.record.vectors),
                               *netlists.probes_in([m.spec for m in circuits[0].measures])]))
    return netlists.stack(circuits, tags, save), tags


def _stacked_runs(spec: CampaignSpec, out, tags, units) -> List[RunOutcome]:
    names = [([f"{m}_{tag}" for m in spec.record.measures],
              [netlists.rename_probes(v.lower(), tag) for v in spec.record.vectors]) for tag in tags]
    return extract_runs(spec, out.plots, measure_values(out.stdout), names, units)


def run_stacked(spec: CampaignSpec, task: Task, draws: Dict[int, SampleDraw], built: Dict[int, list],
                texts: Dict[int, List[str]], workdir: Path, units, derived: Dict[int, np.ndarray],
                failed: Dict[int, str]) -> Dict[int, List[RunOutcome]]:
    """Every stack group of a task, one ngspice run at a time, pipelined if ``task.overlap``: the next
    group is drawn and its netlist built while ngspice runs, and a finished group is read while the next
    one runs (otherwise each step waits for the one before).
    ngspice is this process's shared library (:mod:`circuitlab.sim.libngspice`) where it loads, else
    ``ngspice -b``. A group that fails as a whole is left out of the result (the caller retries its
    samples one by one, in subprocesses). Derived scalars of finished samples go to ``derived``. A sample
    whose builder failed is left out of its group's netlist; its error text goes to ``failed``."""
    size = spec.stack_size
    groups = [range(g, min(g + size, task.pad_stop)) for g in range(task.start, task.pad_stop, size)]
    lib = library() if use_library() and task.library else None
    if lib is not None and not lib.lock.acquire(blocking=False):
        lib = None  # another thread of this process holds the library: run ngspice -b meanwhile
    held = lib
    try:
        return _run_groups(spec, groups, draws, built, texts, workdir, units, derived, failed, lib, task.overlap)
    finally:
        if held is not None:
            held.lock.release()


# The stack group a worker expects next: (spec text, first, stop) -> (draws, circuits, texts, failures,
# stack text).
# Prepared while ngspice runs the last group of a task (only where a core is spare), because a
# one-worker campaign's next task starts right after this one; any other task simply misses it.
_NEXT: Dict[tuple, tuple] = {}


def _prepare_group(spec, indices, draws, built, texts, failed):
    """(group draws, (stack text, tags) or None) of one stack group, from :data:`_NEXT` if prepared."""
    key = (spec.text, indices.start, indices.stop)
    ready = _NEXT.pop(key, None)
    _NEXT.clear()
    if ready is not None:
        d, b, t, f, prepared = ready
        draws.update(d)
        built.update(b)
        texts.update(t)
        failed.update(f)
        return [d[k] for k in indices], prepared
    group = netlists.prepare_samples(spec, indices, draws, built, texts, failed)
    return group, _stack_text(spec, group, built)


def _prefetch(spec, start: int) -> None:
    indices = range(start, start + spec.stack_size)
    d, b, t, f = {}, {}, {}, {}
    group = netlists.prepare_samples(spec, indices, d, b, t, f)
    _NEXT[(spec.text, indices.start, indices.stop)] = (d, b, t, f, _stack_text(spec, group, b))


def _run_groups(spec, groups, draws, built, texts, workdir, units, derived, failed, lib,
                overlap: bool = True) -> Dict[int, List[RunOutcome]]:
    runs: Dict[int, List[RunOutcome]] = {}

    def collect(running):
        g, tags, started = running
        names = ["time", *(netlists.rename_probes(v.lower(), t) for t in tags for v in spec.record.vectors)]
        return g, tags, finish_text(started, spec.timeout * len(tags), names)

    def record(finished):
        g, tags, (out, error) = finished
        if error is None:
            got = _stacked_runs(spec, out, tags, units)
            npts = len(g[0].points)
            built_ok = [d for d in g if d.index not in failed]
            for i, d in enumerate(built_ok):
                runs[d.index] = got[i * npts:(i + 1) * npts]
            derived.update(derive(spec, built_ok, runs))

    running = None  # (group, tags, started)
    last_is_full = bool(groups) and len(groups[-1]) == spec.stack_size  # else the campaign ends here
    for indices in [*groups, None]:
        if running is not None and not overlap:  # ngspice, then Python: never both at once
            record(collect(running))
            running = None
        group, prepared = (None, None) if indices is None else _prepare_group(spec, indices, draws, built, texts, failed)
        if indices is None and running is not None and overlap and last_is_full:
            _prefetch(spec, groups[-1].stop)  # while the task's last group runs
        finished = collect(running) if running is not None else None
        if lib is not None and lib.broken:
            lib = None
        running = (group, prepared[1], start_text(prepared[0], workdir, lib)) if prepared is not None else None
        if finished is not None:
            record(finished)  # while the next group runs
    return runs
