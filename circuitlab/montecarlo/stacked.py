"""Stacked groups of a task: many runs in one netlist, run one group at a time in the worker's ngspice.

Which runs share a stacked netlist is fixed by the spec (groups of ``stack_size`` consecutive samples),
so results never depend on batch size, worker count or executor. Groups run in this process's ngspice
library (:mod:`circuitlab.sim.libngspice`) where it loads, else as ``ngspice -b``; where a core is spare
the next group is drawn and built while ngspice runs the current one (:attr:`.worker.Task.overlap`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np

from ..sim.libngspice import library
from . import netlists
from .sampling import SampleDraw
from .spec import CampaignSpec
from .worker import (Task, _derive, _extract_many, _finish_text, _prepare, _Run, _start_text, measure_values,
                     use_library)


def _stack_text(spec: CampaignSpec, draws: Sequence[SampleDraw], built: Dict[int, list]):
    """(netlist text, run tags) of one stack group, or None if its circuits cannot be stacked."""
    circuits, tags = [], []
    for d in draws:
        for p in range(len(d.points)):
            circuits.append(built[d.index][p])
            tags.append(f"{d.index}p{p}")
    if netlists.stackable(circuits) is not None:
        return None
    save = list(dict.fromkeys([*(v.lower() for v in spec.record.vectors),
                               *netlists.probes_in([m.spec for m in circuits[0].measures])]))
    return netlists.stack(circuits, tags, save), tags


def _stacked_runs(spec: CampaignSpec, out, tags, units) -> List[_Run]:
    names = [([f"{m}_{tag}" for m in spec.record.measures],
              [netlists.rename_probes(v.lower(), tag) for v in spec.record.vectors]) for tag in tags]
    return _extract_many(spec, out.plots, measure_values(out.stdout), names, units)


def run_stacked(spec: CampaignSpec, task: Task, draws: Dict[int, SampleDraw], built: Dict[int, list],
                texts: Dict[int, List[str]], workdir: Path, units,
                derived: Dict[int, np.ndarray]) -> Dict[int, List[_Run]]:
    """Every stack group of a task, one ngspice run at a time, pipelined if ``task.overlap``: the next
    group is drawn and its netlist built while ngspice runs, and a finished group is read while the next
    one runs (otherwise each step waits for the one before).
    ngspice is this process's shared library (:mod:`circuitlab.sim.libngspice`) where it loads, else
    ``ngspice -b``. A group that fails as a whole is left out of the result (the caller retries its
    samples one by one, in subprocesses). Derived scalars of finished samples go to ``derived``."""
    size = spec.stack_size
    groups = [range(g, min(g + size, task.pad_stop)) for g in range(task.start, task.pad_stop, size)]
    lib = library() if use_library() and task.library else None
    if lib is not None and not lib.lock.acquire(blocking=False):
        lib = None  # another thread of this process holds the library: run ngspice -b meanwhile
    held = lib
    try:
        return _run_groups(spec, groups, draws, built, texts, workdir, units, derived, lib, task.overlap)
    finally:
        if held is not None:
            held.lock.release()


# The stack group a worker expects next: (spec text, first, stop) -> (draws, circuits, texts, stack text).
# Prepared while ngspice runs the last group of a task (only where a core is spare), because a
# one-worker campaign's next task starts right after this one; any other task simply misses it.
_NEXT: Dict[tuple, tuple] = {}


def _prepare_group(spec, indices, draws, built, texts):
    """(group draws, (stack text, tags) or None) of one stack group, from :data:`_NEXT` if prepared."""
    key = (spec.text, indices.start, indices.stop)
    ready = _NEXT.pop(key, None)
    _NEXT.clear()
    if ready is not None:
        d, b, t, prepared = ready
        draws.update(d)
        built.update(b)
        texts.update(t)
        return [d[k] for k in indices], prepared
    group = _prepare(spec, indices, draws, built, texts)
    return group, _stack_text(spec, group, built)


def _prefetch(spec, start: int) -> None:
    indices = range(start, start + spec.stack_size)
    d, b, t = {}, {}, {}
    group = _prepare(spec, indices, d, b, t)
    _NEXT[(spec.text, indices.start, indices.stop)] = (d, b, t, _stack_text(spec, group, b))


def _run_groups(spec, groups, draws, built, texts, workdir, units, derived, lib,
                overlap: bool = True) -> Dict[int, List[_Run]]:
    runs: Dict[int, List[_Run]] = {}

    def collect(running):
        g, tags, started = running
        names = ["time", *(netlists.rename_probes(v.lower(), t) for t in tags for v in spec.record.vectors)]
        return g, tags, _finish_text(started, spec.timeout * len(tags), names)

    def record(finished):
        g, tags, (out, error) = finished
        if error is None:
            got = _stacked_runs(spec, out, tags, units)
            npts = len(g[0].points)
            for i, d in enumerate(g):
                runs[d.index] = got[i * npts:(i + 1) * npts]
            derived.update(_derive(spec, g, runs))

    running = None  # (group, tags, started)
    last_is_full = bool(groups) and len(groups[-1]) == spec.stack_size  # else the campaign ends here
    for indices in [*groups, None]:
        if running is not None and not overlap:  # ngspice, then Python: never both at once
            record(collect(running))
            running = None
        group, prepared = (None, None) if indices is None else _prepare_group(spec, indices, draws, built, texts)
        if indices is None and running is not None and overlap and last_is_full:
            _prefetch(spec, groups[-1].stop)  # while the task's last group runs
        finished = collect(running) if running is not None else None
        if lib is not None and lib.broken:
            lib = None
        running = (group, prepared[1], _start_text(prepared[0], workdir, lib)) if prepared is not None else None
        if finished is not None:
            record(finished)  # while the next group runs
    return runs
