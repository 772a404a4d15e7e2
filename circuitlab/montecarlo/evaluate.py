"""Evaluator campaigns: a Python function per run instead of a netlist.

For analyses ngspice cannot do at size (ngspice 39 has Sparse 1.3 only: a 256 x 256 crossbar with wire
segments takes minutes to reach its operating point) or that need more than ``.meas`` and derived
expressions can say. The spec names ``evaluator = "package.module:function"``; the function gets one
run's values (a dict: ``[parameters]`` after variation, the sweep point, ``mc_sample``, ``mc_seed`` and
``mc_timeout`` = the spec's ``timeout`` in s, which the engine cannot enforce on Python code, so an
evaluator that starts ngspice hands it to ``simulate``) and returns ``{measure: float}`` for exactly
``[record] measures``. Vectors are not supported (return the scalars you need).

Runs go through the same workers, executors, HDF5 layout, resume and ``mc rerun`` as netlist runs
(mode 'python'). An exception becomes the run's status: SimulationTimeout -> timeout,
ConvergenceError -> nonconverged, anything else -> sim_error, with the error text; a result that is
not such a dict is a sim_error naming the function and what is missing or extra.

Provenance: where a netlist run stores the sha256 of its netlist text, an evaluator run stores the
sha256 of its :func:`run_text` (the function's path, the sha256 of its module's source file and every
value it was called with); ``mc rerun`` writes that text as ``sample_<k>_point_<p>.toml``.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import math
import numbers
from functools import lru_cache
from typing import Dict, List, Mapping, Sequence, Tuple

import numpy as np

from ..errors import ConvergenceError, SimulationTimeout
from .functions import import_function
from .outcomes import NONCONVERGED, OK, SIM_ERROR, TIMEOUT, RunOutcome, code_error
from .spec import CampaignSpec


def load_evaluator(path: str):
    """The spec's evaluator function; ConfigError if it cannot be imported or is not callable."""
    return import_function(path, "evaluator", "{measure: float} from the run's values")


@lru_cache(maxsize=16)
def module_sha256(path: str) -> str:
    """sha256 of the source file of the evaluator's module ('' when it has none, e.g. a C extension)."""
    module = importlib.import_module(path.partition(":")[0])
    try:
        source = inspect.getsourcefile(module)
    except TypeError:
        source = None
    if not source:
        return ""
    with open(source, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def call_values(spec: CampaignSpec, values: Mapping[str, object]) -> Dict[str, object]:
    """The dict the evaluator is called with: the run's values plus ``mc_timeout`` (s)."""
    return {**values, "mc_timeout": float(spec.timeout)}


def _literal(v) -> str:
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return str(int(v))
    if isinstance(v, numbers.Real) and not isinstance(v, bool):
        x = float(v)
        return repr(x) if math.isfinite(x) else ("nan" if x != x else ("inf" if x > 0 else "-inf"))
    return repr(str(v))


def run_text(spec: CampaignSpec, values: Mapping[str, object]) -> str:
    """The provenance text of one evaluator run (TOML): function, module hash, every value it gets.
    Raises ConfigError if the function cannot be imported (the coordinator checks this before it
    creates the results file)."""
    load_evaluator(spec.evaluator)
    lines = ["# circuitlab evaluator run: the function, its module's source hash and the values it is called with",
             f'evaluator = "{spec.evaluator}"', f'module_sha256 = "{module_sha256(spec.evaluator)}"', "",
             "[values]"]
    lines += [f"{k} = {_literal(v)}" for k, v in call_values(spec, values).items()]
    return "\n".join(lines) + "\n"


def evaluate_run(spec: CampaignSpec, values: Mapping[str, object]) -> Tuple[int, str, np.ndarray]:
    """Call the evaluator for one run: (status, error text, measures in ``[record]`` order)."""
    names = spec.record.measures
    nan = np.full(len(names), np.nan)
    func = load_evaluator(spec.evaluator)
    try:
        out = func(call_values(spec, values))
    except SimulationTimeout as exc:
        return TIMEOUT, f"evaluator {spec.evaluator!r}: {exc}", nan
    except ConvergenceError as exc:
        return NONCONVERGED, f"evaluator {spec.evaluator!r}: {exc}", nan
    except Exception as exc:  # noqa: BLE001 - any failure of user code is the run's failure
        return SIM_ERROR, code_error("evaluator", spec.evaluator, int(values.get("mc_sample", -1)), exc), nan
    if not isinstance(out, Mapping):
        return SIM_ERROR, (f"evaluator {spec.evaluator!r} returned {type(out).__name__}, not a dict "
                           f"{{measure: float}} of {', '.join(names)}"), nan
    missing = [m for m in names if m not in out]
    extra = [k for k in out if k not in names]
    if missing or extra:
        return SIM_ERROR, (f"evaluator {spec.evaluator!r} must return exactly the [record] measures "
                           f"({', '.join(names)}): missing {missing}, not recorded {extra}"), nan
    result = np.empty(len(names))
    for i, m in enumerate(names):
        v = out[m]
        if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.floating, np.integer)):
            return SIM_ERROR, (f"evaluator {spec.evaluator!r} returned {m}={v!r}; measures must be "
                               f"numbers"), nan
        result[i] = float(v)
    return OK, "", result


def run_draws(spec: CampaignSpec, draws: Sequence) -> Tuple[Dict[int, List[str]], Dict[int, List[RunOutcome]]]:
    """Every run of the given samples: ({k: run texts}, {k: runs}) in the worker's form."""
    texts: Dict[int, List[str]] = {}
    runs: Dict[int, list] = {}
    for d in draws:
        texts[d.index] = [run_text(spec, v) for v in d.points]
        runs[d.index] = []
        for v in d.points:
            status, error, measures = evaluate_run(spec, v)
            ok = not error
            runs[d.index].append(RunOutcome(status, error, np.zeros((0, 0)) if ok else None, measures if ok else None))
    return texts, runs
