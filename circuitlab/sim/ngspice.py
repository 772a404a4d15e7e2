"""Finding ngspice and probing what it can do (once per process, by running it, not by its number)."""
from __future__ import annotations

import ctypes.util
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Tuple

from ..errors import SimulatorNotFoundError

INSTALL_HINT = "install it with: apt-get update && apt-get install -y ngspice libngspice0-dev"


def ngspice_executable() -> str:
    """Path of the ngspice executable (``$CIRCUITLAB_NGSPICE`` wins over ``PATH``)."""
    path = os.environ.get("CIRCUITLAB_NGSPICE") or shutil.which("ngspice")
    if not path or not Path(path).exists():
        raise SimulatorNotFoundError(f"ngspice executable not found on PATH; {INSTALL_HINT} "
                                     f"(or point CIRCUITLAB_NGSPICE at it)")
    return path


def ngspice_library() -> str:
    """Path or soname of libngspice for the shared-library (PySpice) backend."""
    explicit = os.environ.get("CIRCUITLAB_LIBNGSPICE")
    if explicit:
        return explicit
    found = ctypes.util.find_library("ngspice")
    if not found:
        raise SimulatorNotFoundError(f"the ngspice shared library (libngspice.so) was not found; {INSTALL_HINT}")
    return found


@dataclass(frozen=True)
class NgspiceInfo:
    """What the installed ngspice is and can do."""
    executable: str
    version: str
    features: Tuple[str, ...]
    osdi: bool
    binary_raw: bool

    def as_dict(self) -> dict:
        return {"executable": self.executable, "version": self.version, "features": list(self.features),
                "osdi": self.osdi, "binary_raw": self.binary_raw}


_PROBE = """circuitlab capability probe
V1 a 0 DC 1
R1 a 0 1k
.op
.control
set filetype=binary
run
write probe.raw
version -f
osdi
quit
.endc
.end
"""


@lru_cache(maxsize=1)
def probe() -> NgspiceInfo:
    """Run ngspice once on a tiny netlist: version, compiled features, OSDI and binary raw output."""
    exe = ngspice_executable()
    with tempfile.TemporaryDirectory(prefix="circuitlab-probe-") as tmp:
        (Path(tmp) / "probe.cir").write_text(_PROBE)
        try:
            proc = subprocess.run([exe, "-b", "probe.cir"], cwd=tmp, capture_output=True, text=True,
                                  timeout=60, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SimulatorNotFoundError(f"ngspice at {exe} could not be run ({exc}); {INSTALL_HINT}")
        binary_raw = (Path(tmp) / "probe.raw").is_file()
    text = proc.stdout + proc.stderr
    m = re.search(r"ngspice-(\d+(?:\.\d+)*)", text)
    version = m.group(1) if m else "unknown"
    features = tuple(name for key, name in (("xspice", "xspice"), ("cider", "cider"), ("openmp", "openmp"),
                                            ("klu", "klu")) if re.search(rf"\*\*.*{key}", text, re.IGNORECASE))
    osdi = "osdi: no such command" not in text.lower()
    return NgspiceInfo(exe, version, features, osdi, binary_raw)


def ngspice_version() -> str:
    """The probed ngspice version string, e.g. '39'."""
    return probe().version
