"""``simulate()``: one entry point for both backends, returning a :class:`SimResult` or a typed error."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, List, Optional

from ..errors import CircuitlabError, MeasureError, SimulationError, SimulationTimeout
from .backend_subprocess import RunOutput, run_subprocess
from .diagnostics import classify_failure, measure_cards, measure_names, parse_measures
from .netlist_input import netlist_text
from .deck import split_deck
from .result import Plot, SimResult, named_plots

BACKENDS = ("subprocess", "pyspice")
KEEP_RUNS_ENV = "CIRCUITLAB_KEEP_RUNS"


def keep_runs() -> bool:
    """Whether the user asked to keep temporary run directories (``CIRCUITLAB_KEEP_RUNS=1``)."""
    return os.environ.get(KEEP_RUNS_ENV, "0") not in ("", "0")
_ANALYSIS_CARD = re.compile(r"^\s*\.(op|dc|tran|ac|noise|tf|sens|pz|disto)\b", re.IGNORECASE | re.MULTILINE)


def _ordered(plots: List[Plot], text: str, by_cards: bool = True) -> tuple:
    """Plots in the order of the netlist's analysis cards (``by_cards``; a deck with its own control
    block keeps the order its commands made them), named tran1, tran2, ...; vectors with the scale
    first, then by name."""
    order = {kind.lower(): i for i, kind in reversed(list(enumerate(_ANALYSIS_CARD.findall(text))))}
    out = []
    for p in (sorted(plots, key=lambda p: order.get(p.kind, len(order))) if by_cards else plots):
        if p.kind == "op":  # an operating point has no independent variable
            keys = sorted(p.vectors)
            p = Plot(p.kind, p.plotname, keys[0] if keys else "", p.vectors, p.units)
        else:
            keys = ([p.scale] if p.scale else []) + sorted(k for k in p.vectors if k != p.scale)
        out.append(Plot(p.kind, p.plotname, p.scale, {k: p.vectors[k] for k in keys},
                        {k: p.units[k] for k in keys}))
    return named_plots(out)


def simulate(netlist, *, timeout: float = 60.0, backend: str = "subprocess", extra_cards: Iterable[str] = (),
             keep_run_dir: bool = False, run_root: Optional[Path] = None, threads: int = 1,
             seed: Optional[int] = None) -> SimResult:
    """Run a netlist's own analyses with ngspice and return its vectors and measures.

    ``netlist``: a :class:`~circuitlab.netlist.Circuit`, netlist text, a path to a netlist file or a
    PySpice ``Circuit``. ``timeout`` in seconds (the ngspice process is killed when it expires).
    ``extra_cards`` (e.g. ``[".tran 1n 1u"]``) are added before ``.end``. The run directory
    (``circuitlab-run-*`` in the temporary folder or ``run_root``) is removed after the run, failed or
    not, unless ``keep_run_dir`` or the environment sets ``CIRCUITLAB_KEEP_RUNS=1``; a kept directory
    is named in the error (``run_dir``, ``netlist_path``); stdout and stderr are on the error either way.
    ``seed`` fixes ngspice's own random sources (``.options seed=N``: TRRANDOM, agauss; not TRNOISE).

    Raises NetlistError, ConvergenceError, SimulationTimeout, MeasureError or SimulationError (all with
    ``run_dir``, ``netlist_path``, ``stdout`` and ``stderr``), or SimulatorNotFoundError.
    """
    if backend not in BACKENDS:
        raise CircuitlabError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if not timeout or timeout <= 0:
        raise CircuitlabError(f"timeout={timeout!r} must be a positive number of seconds")
    if seed is not None:
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise CircuitlabError(f"seed={seed!r} must be a non-negative integer")
        extra_cards = [*extra_cards, f".options seed={seed}"]
    text, _source = netlist_text(netlist, extra_cards)
    run_dir = Path(tempfile.mkdtemp(prefix="circuitlab-run-", dir=run_root))
    keep = keep_run_dir or keep_runs()
    try:
        return _simulate_in(run_dir, text, timeout, backend, threads, keep)
    except BaseException as exc:
        if not keep:
            shutil.rmtree(run_dir, ignore_errors=True)
            if isinstance(exc, SimulationError):
                exc.run_dir = exc.netlist_path = None
        raise


def _simulate_in(run_dir: Path, text: str, timeout: float, backend: str, threads: int,
                 keep: bool) -> SimResult:
    """:func:`simulate` in its run directory (which the caller removes after a failure unless ``keep``)."""
    netlist_path = run_dir / "netlist.cir"
    netlist_path.write_text(text)
    context = dict(run_dir=run_dir, netlist_path=netlist_path)
    if backend == "subprocess":
        out: RunOutput = run_subprocess(text, run_dir, timeout, threads)
    else:
        from .backend_pyspice import run_pyspice
        out = run_pyspice(text, run_dir, timeout, threads)
    (run_dir / "stdout.txt").write_text(out.stdout)
    (run_dir / "stderr.txt").write_text(out.stderr)
    if out.timed_out:
        raise SimulationTimeout(f"ngspice did not finish within {timeout:g} s and was killed; raise timeout= "
                                f"or check for an endless loop or a too small time step",
                                stdout=out.stdout, stderr=out.stderr, **context)
    error = classify_failure(out.returncode, out.stdout, out.stderr, text, had_data=bool(out.plots),
                             crashed=out.crashed, asks_for_data=out.asks_for_data, **context)
    if error is not None:
        raise error
    names = measure_names(text) + split_deck(text).measure_commands()
    measures, failed = parse_measures(out.stdout + "\n" + out.stderr, names, measure_cards(text))
    result = SimResult(_ordered(out.plots, text, out.wrapped), measures, backend, out.stdout, out.stderr,
                       run_dir if keep else None)
    if failed:
        raise MeasureError(f".meas failed for {', '.join(failed)} (the vector never reached the condition or "
                           f"the point lies outside the analysis); fix the statement or extend the analysis; "
                           f"the other results are in .result", failed=tuple(failed), result=result,
                           stdout=out.stdout, stderr=out.stderr, **context)
    if not keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return result
