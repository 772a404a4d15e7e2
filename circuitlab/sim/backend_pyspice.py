"""PySpice backend: ngspice's shared library (through PySpice) inside a persistent worker process.

The library never runs in the caller's process: an ngspice fatal error or a hang costs the worker,
which is killed and replaced, never the caller. After any failed run the worker is replaced too,
because ngspice's shared library is not reliably reusable after an internal error.
"""
from __future__ import annotations

import atexit
import os
import re
import signal
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import SimulationError
from .backend_subprocess import RunOutput
from .deck import split_deck
from .result import make_plot, plot_kind

_lock = threading.Lock()
_worker: Optional["_Worker"] = None


def _vector_type(vec) -> str:
    t = getattr(vec, "_type", None)
    return str(getattr(t, "name", t) or "notype").lower()


def _run_in_library(ng, text: str, run_dir: str, threads: int):
    """Executed in the worker: load the deck with its control commands (which run it), collect output,
    plots (creation order) and vectors."""
    from PySpice.Spice.NgSpice.Shared import NgSpiceCircuitError, NgSpiceCommandError
    os.chdir(run_dir)
    stdout, stderr = [], []

    def collect():
        stdout.extend(ng._stdout)
        stderr.extend(ng._stderr)

    ok = True
    try:
        ng.exec_command(f"set num_threads={int(threads)}")
    except NgSpiceCommandError:
        pass
    collect()
    try:
        ng.load_circuit(split_deck(text).text())
    except (NgSpiceCircuitError, NameError):
        ok = False
    collect()
    plots = []
    for name in reversed(ng.plot_names):
        if name == "const":
            continue
        try:
            ng.exec_command(f"setplot {name}")
            title = str(ng.exec_command("echo $curplotname"))
        except (NgSpiceCommandError, NameError):
            title = name
        pyplot = ng.plot(None, name)
        names = list(pyplot.keys())
        types = [_vector_type(pyplot[n]) for n in names]
        data = {n: np.asarray(pyplot[n]._data) for n in names}
        # a raw file holds every vector at the plot's length: ngspice's `write` pads shorter vectors (a
        # `meas` command's result, a `let` scalar) with zeros; do the same, so both backends agree
        length = max((len(a) for a in data.values()), default=0)
        data = {n: a if len(a) == length else np.concatenate([a, np.zeros(length - len(a), a.dtype)])
                for n, a in data.items()}
        # the scale (time/frequency/sweep) comes first, as in a raw file
        order = sorted(range(len(names)), key=lambda i: types[i] not in ("time", "frequency") and
                       not names[i].endswith("-sweep"))
        plots.append((title.strip() or name, [names[i] for i in order], [types[i] for i in order], data,
                      plot_kind(name)))
    for cmd in ("destroy all", "remcirc"):
        try:
            ng.exec_command(cmd)
        except (NgSpiceCommandError, NameError):
            pass
    return ok, "\n".join(stdout), "\n".join(stderr), plots


def _worker_main(conn) -> None:
    import logging
    logging.disable(logging.CRITICAL)  # PySpice logs every ngspice line as an error
    from PySpice.Spice.NgSpice.Shared import NgSpiceShared
    from .ngspice import ngspice_library
    NgSpiceShared.LIBRARY_PATH = ngspice_library()
    ng = NgSpiceShared.new_instance()
    conn.send(("ready", None))
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        try:
            conn.send(("done", _run_in_library(ng, *msg)))
        except Exception as exc:  # report, then let the parent replace this worker
            conn.send(("crash", f"{type(exc).__name__}: {exc}"))
            return


class _Worker:
    """A ``python -m circuitlab.sim.backend_pyspice`` child talking over two private pipes."""

    def __init__(self):
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        self.proc = subprocess.Popen([sys.executable, "-m", "circuitlab.sim.backend_pyspice", str(down_r), str(up_w)],
                                     pass_fds=(down_r, up_w), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(down_r)
        os.close(up_w)
        self.send_conn = Connection(down_w, readable=False)
        self.conn = Connection(up_r, writable=False)
        if not self.conn.poll(120):
            self.kill()
            raise SimulationError("the PySpice worker did not start within 120 s")
        try:
            self.conn.recv()
        except EOFError:
            self.kill()
            raise SimulationError("the PySpice worker failed to load libngspice; check that libngspice0-dev "
                                  "is installed (apt-get install -y libngspice0-dev)")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        self.proc.wait()
        self.send_conn.close()
        self.conn.close()


def shutdown() -> None:
    """Stop the worker process (also done at interpreter exit)."""
    global _worker
    with _lock:
        if _worker is not None:
            try:
                _worker.send_conn.send(None)
                _worker.proc.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
            _worker.kill()
            _worker = None


atexit.register(shutdown)


def run_pyspice(text: str, run_dir: Path, timeout: float, threads: int = 1) -> RunOutput:
    """Run ``text`` in the shared-library worker; a timeout kills the worker (no orphan left)."""
    global _worker
    (run_dir / "run.cir").write_text(text)
    with _lock:
        if _worker is None or not _worker.alive():
            _worker = _Worker()
        worker = _worker
        try:
            worker.send_conn.send((text, str(run_dir), threads))
            ready = worker.conn.poll(timeout)
            reply = worker.conn.recv() if ready else None
        except (EOFError, OSError, BrokenPipeError):
            reply = ("died", "")
        if reply is None:
            worker.kill()
            _worker = None
            return RunOutput(-9, "", "", [], timed_out=True)
        tag, payload = reply
        deck = split_deck(text)
        if tag != "done":
            try:
                code = worker.proc.wait(5)
            except subprocess.TimeoutExpired:
                code = None
            worker.kill()
            _worker = None
            if tag == "died":
                signum = -code if code is not None and code < 0 else None
                how = f"killed by signal {signum} ({signal.Signals(signum).name})" if signum else \
                    f"exited with code {code}"
                return RunOutput(code if code is not None else 1, "", f"ngspice's shared library {how}", [],
                                 crashed=signum is not None, wrapped=not deck.own_control,
                                 asks_for_data=deck.asks_for_data)
            return RunOutput(1, "", str(payload), [], wrapped=not deck.own_control,
                             asks_for_data=deck.asks_for_data)
        clean, out, err, raw_plots = payload
        if not clean:  # ngspice reported an error: do not trust this library instance again
            worker.kill()
            _worker = None
    plots = [make_plot(*p) for p in raw_plots]
    # failures are judged from the text (as for the subprocess backend), not from PySpice's exceptions,
    # which fire on any line containing "error" (a failed .meas included)
    return RunOutput(0, out, err, plots, wrapped=not deck.own_control, asks_for_data=deck.asks_for_data)


if __name__ == "__main__":
    _worker_main_fds = (int(sys.argv[1]), int(sys.argv[2]))
    conn_in = Connection(_worker_main_fds[0], writable=False)
    conn_out = Connection(_worker_main_fds[1], readable=False)

    class _Duplex:
        recv = staticmethod(conn_in.recv)
        send = staticmethod(conn_out.send)

    _worker_main(_Duplex())
