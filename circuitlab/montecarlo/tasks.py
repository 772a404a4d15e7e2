"""What the coordinator hands a worker (a :class:`Task`: a contiguous range of samples) and what it
gets back (a :class:`TaskResult`: plain numpy arrays)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional

import numpy as np


@dataclass(frozen=True)
class Task:
    """Samples ``start..stop-1`` to keep; ``pad_stop`` completes the last stacked group (run, dropped).
    ``library``: stacked groups may run in the worker's ngspice library (False: ``ngspice -b`` only).
    ``overlap``: prepare the next stack group while ngspice runs the current one. That pays where a core
    is spare (fewer workers than cores); with every core running a worker's ngspice the worker's Python
    then only competes with it (measured: 2 workers on 2 cores, 0.33-0.36 ms per sample without overlap,
    0.38-0.40 with it; 1 worker, 0.67 with, 0.74 without). Results are bit-identical either way.
    ``tmp_root``: the coordinator's temporary folder (removed when the campaign ends, even after a
    failure); a worker's run folders go there when it exists on the worker's machine."""
    spec_text: str
    spec_base: Optional[str]
    start: int
    stop: int
    pad_stop: int
    mode: str
    library: bool = True
    overlap: bool = True
    tmp_root: Optional[str] = None

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
