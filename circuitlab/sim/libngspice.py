"""ngspice's shared library driven directly through ctypes, for Monte Carlo workers.

One library instance per process (ngspice keeps global state), loaded on first use and used by one
thread at a time (:attr:`NgspiceLibrary.lock`). A run's netlist is written to a file with a control
block that runs it and sourced by a background command (``bg_source``), so parsing and simulation
both happen in ngspice's own thread while the calling Python thread keeps working (building the next
netlist, reducing the last results). Recorded vectors are copied straight from ngspice's memory
(``ngGet_Vec_Info``): no process start and no raw file written and parsed. Measured on a stacked
group of 100 RC + B-source samples: 0.49 ms of CPU per sample in the library, 0.52 ms for
``ngspice -b`` without output and 0.58-0.80 ms with the raw file written (min / median of 15-20 runs).

The library shares its process with the caller, so an ngspice fatal error (``ControlledExit``) marks
the instance unusable (:attr:`NgspiceLibrary.broken`) and callers fall back to the subprocess
backend. Only Monte Carlo workers use it: they are already separate processes, replaced by their
executor if they die (the task is then retried with ngspice out of process).
``simulate(..., backend='pyspice')`` keeps its isolated worker process.

API reference: ngspice manual, chapter "ngspice as shared library" (sharedspice.h, ngspice 39).
"""
from __future__ import annotations

import ctypes
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from .ngspice import ngspice_library
from .result import Plot, make_plot

_TYPES = {0: "notype", 1: "time", 2: "frequency", 3: "voltage", 4: "current"}  # enum simvectype
_PLOT_NAMES = {"tran": "Transient Analysis", "ac": "AC Analysis", "dc": "DC transfer characteristic",
               "op": "Operating Point"}
HALT_GRACE = 5.0  # s to wait for the background thread after bg_halt


class _VectorInfo(ctypes.Structure):
    _fields_ = [("v_name", ctypes.c_char_p), ("v_type", ctypes.c_int), ("v_flags", ctypes.c_short),
                ("v_realdata", ctypes.POINTER(ctypes.c_double)), ("v_compdata", ctypes.c_void_p),
                ("v_length", ctypes.c_int)]


_SendChar = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p)
_ControlledExit = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_bool, ctypes.c_bool, ctypes.c_int,
                                   ctypes.c_void_p)
_BGThreadRunning = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_bool, ctypes.c_int, ctypes.c_void_p)
_COMPLEX_FLAG = 2  # VF_COMPLEX in v_flags


@dataclass
class LibraryRun:
    """What one run left behind: ngspice's printed lines, its plots and whether it finished in time."""
    stdout: str
    stderr: str
    plots: List[Plot]
    timed_out: bool


class NgspiceLibrary:
    """The process's ngspice shared library. Use :func:`library` to get it."""

    def __init__(self, path: Optional[str] = None, threads: int = 1):
        self._lib = ctypes.CDLL(path or ngspice_library())
        self._stdout: List[str] = []
        self._stderr: List[str] = []
        self._finished = threading.Event()
        self.broken: Optional[str] = None
        self._loaded = False  # a circuit from the last run is still loaded
        # one user at a time: a Dask worker may run tasks in several threads of one process
        self.lock = threading.Lock()
        # the callbacks must stay referenced for the life of the library
        self._callbacks = (_SendChar(self._on_print), _ControlledExit(self._on_exit),
                           _BGThreadRunning(self._on_thread))
        lib = self._lib
        lib.ngSpice_Init.argtypes = [_SendChar, ctypes.c_void_p, _ControlledExit, ctypes.c_void_p,
                                     ctypes.c_void_p, _BGThreadRunning, ctypes.c_void_p]
        lib.ngSpice_Command.argtypes = [ctypes.c_char_p]
        lib.ngSpice_Circ.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
        lib.ngGet_Vec_Info.argtypes = [ctypes.c_char_p]
        lib.ngGet_Vec_Info.restype = ctypes.POINTER(_VectorInfo)
        lib.ngSpice_CurPlot.restype = ctypes.c_char_p
        lib.ngSpice_AllVecs.argtypes = [ctypes.c_char_p]
        lib.ngSpice_AllVecs.restype = ctypes.POINTER(ctypes.c_char_p)
        lib.ngSpice_running.restype = ctypes.c_bool
        # no status or per-point data callbacks: they would take the GIL at every time step; the print
        # callback still needs it, so let a waiting ngspice thread have it within 0.5 ms (default 5 ms)
        sys.setswitchinterval(min(sys.getswitchinterval(), 5e-4))
        lib.ngSpice_Init(self._callbacks[0], None, self._callbacks[1], None, None, self._callbacks[2], None)
        self.command(f"set num_threads={int(threads)}")

    # --- callbacks (called from ngspice's threads) ---------------------------------------------------
    def _on_print(self, text, _ident, _user) -> int:
        line = text.decode(errors="replace")
        stream, _, rest = line.partition(" ")
        (self._stderr if stream == "stderr" else self._stdout).append(rest)
        return 0

    def _on_exit(self, status, _unload, _quit, _ident, _user) -> int:
        self.broken = f"ngspice asked to exit (status {status})"
        self._finished.set()
        return 0

    def _on_thread(self, not_running, _ident, _user) -> int:
        if not_running:
            self._finished.set()
        return 0

    # --- commands ------------------------------------------------------------------------------------
    def command(self, text: str) -> int:
        return int(self._lib.ngSpice_Command(text.encode()))

    def start(self, netlist: str, path: Path) -> int:
        """Run ``netlist`` (text ending in ``.end``, no ``.control`` block) in ngspice's background thread.

        Frees the previous run (``destroy all``, ``remcirc``: a script doing that in the background
        thread leaks the circuit, 0.5 MB per 50 instances measured), writes the netlist to ``path`` with a
        control block that runs it and starts ``bg_source``: parsing and simulating happen in ngspice's
        thread, so this returns at once. Returns 0, or 1 if ngspice refused the command."""
        self.release()
        self._stdout.clear()
        self._stderr.clear()
        self._finished.clear()
        body = netlist.rstrip()
        if body.lower().endswith(".end"):
            body = body[:-4].rstrip()
        path.write_text(body + "\n.control\nrun\n.endc\n.end\n")
        self._loaded = True
        if self.command(f"bg_source {path}") != 0:
            self._finished.set()
            return 1
        return 0

    def finish(self, timeout: float, start_code: int = 0, names: Optional[Sequence[str]] = None) -> LibraryRun:
        """Wait up to ``timeout`` s for the background run (halting it after that) and copy the current
        plot's vectors: ``names`` (canonical: ``v(node)``, ``i(source)``, the scale first) or all of
        them. The run stays loaded until the next :meth:`start` (or :meth:`release`) frees it."""
        timed_out = not self._finished.wait(timeout)
        if timed_out:
            self.command("bg_halt")
            if not self._finished.wait(HALT_GRACE):
                self.broken = f"ngspice did not stop within {HALT_GRACE:g} s of bg_halt"
        stdout, stderr = "\n".join(self._stdout), "\n".join(self._stderr)
        plots = [] if (timed_out or start_code or self.broken) else self._current_plot(names)
        return LibraryRun(stdout, stderr, plots, timed_out)

    def release(self) -> None:
        """Free the last run's circuit and plots now (normally the next :meth:`start` does it)."""
        if self._loaded and not self.broken and self._finished.is_set():
            self.command("destroy all")
            self.command("remcirc")
            self._loaded = False

    def _vector(self, plot: str, name: str):
        info = self._lib.ngGet_Vec_Info(f"{plot}.{name}".encode())
        if not info:
            return None
        v = info.contents
        if v.v_flags & _COMPLEX_FLAG or not v.v_realdata or v.v_length <= 0:
            return None  # complex (AC) vectors are not needed by stacked groups
        return np.ctypeslib.as_array(v.v_realdata, (v.v_length,)).copy(), _TYPES.get(v.v_type, "notype")

    def _all_names(self, plot: str) -> List[str]:
        listed = self._lib.ngSpice_AllVecs(plot.encode())
        names = []
        while listed and listed[len(names)]:
            names.append(listed[len(names)].decode())
        return names

    def _current_plot(self, names: Optional[Sequence[str]]) -> List[Plot]:
        plot = (self._lib.ngSpice_CurPlot() or b"").decode()
        kind = plot.rstrip("0123456789")
        if kind not in _PLOT_NAMES:
            return []
        data: Dict[str, np.ndarray] = {}
        types: Dict[str, str] = {}
        if names is not None:  # ngspice's own spelling: i(v1) is v1#branch
            for name in names:
                low = name.strip().lower()
                raw = f"{low[2:-1]}#branch" if low.startswith("i(") and low.endswith(")") else low
                got = self._vector(plot, raw)
                if got is None:  # not there under that name: take every vector instead
                    data.clear()
                    break
                data[raw], types[raw] = got
        if not data:
            for name in self._all_names(plot):
                got = self._vector(plot, name)
                if got is not None:
                    data[name], types[name] = got
        order = sorted(data, key=lambda n: types[n] not in ("time", "frequency"))
        if not order:
            return []
        return [make_plot(_PLOT_NAMES[kind], order, [types[n] for n in order], data)]


_instance: Optional[NgspiceLibrary] = None
_unavailable: Optional[str] = None
_init_lock = threading.Lock()


def library() -> Optional[NgspiceLibrary]:
    """This process's library instance, or None if it cannot be loaded (tried once per process) or an
    earlier fatal error broke it."""
    global _instance, _unavailable
    with _init_lock:
        if _instance is None and _unavailable is None:
            try:
                _instance = NgspiceLibrary()
            except Exception as exc:  # OSError, SimulatorNotFoundError: callers use the subprocess backend
                _unavailable = f"{type(exc).__name__}: {exc}"
        if _instance is None or _instance.broken:
            return None
        return _instance
