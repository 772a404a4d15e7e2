"""The platform a model file was made on, recorded in every model file's provenance.

Built-in models are bit-identical when rebuilt on the same machine and software stack, and agree
within a stated tolerance across machines (BLAS kernels, CPU instruction sets and libm differ in the
last bits; see ``tests/test_builtin_models.py``). These fields say which machine and stack made a
file, so that a difference can be traced to its cause. They are descriptive only: loading never
checks them and the reproducibility test does not compare them.

Versions come from the installed distributions' metadata, so recording torch's version never
imports torch; ngspice is probed once per process (``"not installed"`` where it is missing).
"""
from __future__ import annotations

import os
import platform
from functools import lru_cache
from typing import Dict

PREFIX = "platform_"
PACKAGES = ("numpy", "scipy", "h5py", "torch", "sympy")
BLAS_ENV = ("OPENBLAS_CORETYPE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else :func:`platform.processor`)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "cpu model", "Processor"):
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _blas() -> str:
    """numpy's BLAS as built (name and version; the kernel chosen at run time also depends on the CPU)."""
    try:
        import numpy
        blas = numpy.__config__.CONFIG["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '?')}"
    except (AttributeError, KeyError, TypeError):  # numpy < 1.25 has no CONFIG dict
        return "unknown"


def _ngspice() -> str:
    from ..errors import CircuitlabError
    from ..sim.ngspice import ngspice_version
    try:
        return ngspice_version()
    except (CircuitlabError, OSError):
        return "not installed"


@lru_cache(maxsize=1)
def platform_info() -> Dict[str, str]:
    """Machine and software stack, as string attributes named ``platform_*``."""
    info = {"cpu": cpu_model(), "machine": platform.machine(), "os": platform.platform(),
            "python": platform.python_version(), "blas": _blas(), "ngspice": _ngspice()}
    info.update({name: _dist_version(name) for name in PACKAGES})
    env = ";".join(f"{k}={os.environ[k]}" for k in BLAS_ENV if k in os.environ)
    info["blas_env"] = env or "default"
    return {PREFIX + k: str(v) for k, v in info.items()}


def with_platform(provenance: Dict) -> Dict:
    """``provenance`` with the platform fields added (an exporter's own fields win on a clash)."""
    return {**platform_info(), **dict(provenance)}
