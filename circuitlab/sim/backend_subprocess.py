"""Subprocess backend: ``ngspice -b`` in a run directory, killed (with its process group) on timeout.

The deck's own control commands (or ``run``) are followed by a loop that writes every plot to its own
binary raw file (see :mod:`circuitlab.sim.deck`); ``.meas`` results are read from stdout.
"""
from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import List

from .deck import marked_plots, split_deck, strip_marks, writer_commands
from .ngspice import ngspice_executable
from .rawfile import read_raw
from .result import Plot, make_plot, plot_kind

RAW_NAME = "circuitlab.raw"


def control_block(raw_name: str = RAW_NAME, threads: int = 1) -> List[str]:
    """The ``.control`` section that runs the analyses and writes every plot to ``raw_name``."""
    return [".control", "set filetype=binary", "set appendwrite", f"set num_threads={int(threads)}", "run",
            "foreach circuitlab_plot $plots", "  setplot $circuitlab_plot", f"  write {raw_name}", "end",
            "quit", ".endc"]


@dataclass
class RunOutput:
    """Raw outcome of one run, before it is judged."""
    returncode: int
    stdout: str
    stderr: str
    plots: List[Plot]
    timed_out: bool = False
    wrapped: bool = True  # the deck had no control block of its own
    crashed: bool = False  # ngspice died from a signal (segfault, abort)
    asks_for_data: bool = True  # the deck has an analysis card or an analysis command


def plots_from_raw(path: Path) -> List[Plot]:
    if not path.is_file():
        return []
    return [make_plot(p.plotname, p.names, p.types, p.data) for p in read_raw(path)
            if p.plotname.lower() != "constants"]


def marked_raw_plots(run_dir: Path, stdout: str) -> List[Plot]:
    """The plots the writer loop wrote (one raw file per plot), in ngspice's creation order."""
    plots = []
    for name in marked_plots(stdout):
        path = run_dir / f"circuitlab_{name}.raw"
        if path.is_file():  # a plot without vectors writes no file
            plots += [make_plot(p.plotname, p.names, p.types, p.data, plot_kind(name)) for p in read_raw(path)
                      if p.plotname.lower() != "constants"]
    return plots


@dataclass
class StartedRun:
    """An ngspice process started by :func:`start_subprocess`, to be collected by :func:`finish_subprocess`."""
    proc: subprocess.Popen
    run_dir: Path
    wrapped: bool
    asks_for_data: bool = True


def start_subprocess(text: str, run_dir: Path, threads: int = 1) -> StartedRun:
    """Start ``ngspice -b`` on ``text`` (ending in ``.end``) inside ``run_dir`` and return at once, so the
    caller can prepare the next netlist while this one runs."""
    exe = ngspice_executable()
    deck = split_deck(text)
    text = deck.text([f"set num_threads={int(threads)}", *writer_commands()]) if deck.own_control else \
        "\n".join([*deck.circuit, *control_block(RAW_NAME, threads), ".end"]) + "\n"
    path = run_dir / "run.cir"
    path.write_text(text)
    proc = subprocess.Popen([exe, "-b", path.name], cwd=run_dir, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    return StartedRun(proc, run_dir, not deck.own_control, deck.asks_for_data)


def finish_subprocess(started: StartedRun, timeout: float) -> RunOutput:
    """Wait for a started run (killing its process group after ``timeout`` s) and read its results."""
    proc = started.proc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        return RunOutput(-9, out.decode(errors="replace"), err.decode(errors="replace"), [], timed_out=True,
                         wrapped=started.wrapped, asks_for_data=started.asks_for_data)
    stdout = out.decode(errors="replace")
    if started.wrapped:
        plots = plots_from_raw(started.run_dir / RAW_NAME)
    else:
        plots, stdout = marked_raw_plots(started.run_dir, stdout), strip_marks(stdout)
    return RunOutput(proc.returncode, stdout, err.decode(errors="replace"), plots, wrapped=started.wrapped,
                     crashed=proc.returncode < 0, asks_for_data=started.asks_for_data)


def run_subprocess(text: str, run_dir: Path, timeout: float, threads: int = 1) -> RunOutput:
    """Run ``text`` (ending in ``.end``) with ngspice in batch mode inside ``run_dir``."""
    return finish_subprocess(start_subprocess(text, run_dir, threads), timeout)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()
