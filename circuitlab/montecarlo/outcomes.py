"""Run outcomes: the per-sample status codes stored in a results file and the outcome of one run.

A *run* is one sample at one sweep point. Status codes: ``OK`` (0), ``SIM_ERROR`` (1: ngspice, the
builder, the evaluator or a derived expression failed), ``TIMEOUT`` (2), ``NONCONVERGED`` (3);
``PENDING`` (-1) marks a row not written yet.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import ConvergenceError, SimulationTimeout

OK, SIM_ERROR, TIMEOUT, NONCONVERGED = 0, 1, 2, 3
PENDING = -1
STATUS_NAMES = {OK: "ok", SIM_ERROR: "sim_error", TIMEOUT: "timeout", NONCONVERGED: "nonconverged"}


@dataclass
class RunOutcome:
    """The outcome of one run: status code, error text ('' if none), recorded vectors (vectors,
    points) and measures (in ``[record]`` order), None where the run produced none."""
    status: int = OK
    error: str = ""
    vectors: Optional[np.ndarray] = None
    measures: Optional[np.ndarray] = None


def status_of(error: Exception, timed_out: bool = False) -> int:
    """The status code of a failed run: TIMEOUT, NONCONVERGED or SIM_ERROR."""
    if timed_out or isinstance(error, SimulationTimeout):
        return TIMEOUT
    return NONCONVERGED if isinstance(error, ConvergenceError) else SIM_ERROR


def code_error(role: str, path: str, sample: int, exc: BaseException) -> str:
    """The error text of a sample whose user code (``role`` = 'builder' or 'evaluator' at ``path``)
    raised: the same in every mode (stacked, batch, single, python; library or subprocess)."""
    return f"sample {sample}: {role} {path!r} raised {type(exc).__name__}: {exc}"
