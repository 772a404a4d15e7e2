"""Starting and collecting one ngspice run of netlist text, in the worker's shared library or as
``ngspice -b`` (a stacked group, a single run). Nothing here knows about samples or specs."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Optional, Sequence

from ..errors import CircuitlabError
from ..sim.api import keep_runs
from ..sim.backend_subprocess import RunOutput, finish_subprocess, start_subprocess
from ..sim.diagnostics import classify_failure


def use_library() -> bool:
    """Stacked groups run in the shared library unless ``CIRCUITLAB_MC_LIBRARY=0`` (then ``ngspice -b``)."""
    return os.environ.get("CIRCUITLAB_MC_LIBRARY", "1") != "0"


def start_text(text: str, workdir: Path, lib=None):
    """Start one ngspice run of ``text``: in this process's shared library (``lib``, a stacked netlist
    without a control block) or as ``ngspice -b`` in a fresh directory (see :func:`finish_text`)."""
    if lib is not None:
        return lib, lib.start(text, workdir / "stacked.cir"), text  # runs one at a time: one file
    return start_subprocess(text, Path(tempfile.mkdtemp(dir=workdir)), threads=1), None, text


def finish_text(started, timeout: float, names: Optional[Sequence[str]] = None):
    """Collect a started run (from the library: only vectors ``names``, if given); return (RunOutput,
    error or None) and free what it used. ``timeout`` in s."""
    handle, start_code, text = started
    if start_code is not None:  # shared library
        got = handle.finish(timeout, start_code, names)
        out = RunOutput(start_code, got.stdout, got.stderr, got.plots, timed_out=got.timed_out)
    else:
        out = finish_subprocess(handle, timeout)
        if not keep_runs():
            shutil.rmtree(handle.run_dir, ignore_errors=True)
    if out.timed_out:
        return out, CircuitlabError(f"ngspice did not finish within {timeout:g} s and was stopped")
    return out, classify_failure(out.returncode, out.stdout, out.stderr, text,
                                 had_data=bool(out.plots) or not out.wrapped)


def run_text(text: str, timeout: float, workdir: Path):
    """Run netlist text once in a fresh directory under ``workdir``; return (RunOutput, error or None)."""
    return finish_text(start_text(text, workdir), timeout)
