"""Device models written once as sympy equations and generated as Verilog-A, ngspice and numpy/torch.

``names()`` lists the registry, ``get(name)`` builds a :class:`~circuitlab.devices.core.DeviceModel`;
``emit(name, target)`` prints a target; ``subcircuit``, ``evaluator`` and ``emit_veriloga`` are the
three generators. Adding a model: write ``models/<family>.py`` with ``build()`` and add it to
``REGISTRY`` (the parametrised tests pick it up).
"""
from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Tuple

from .errors import DeviceParameterError, TargetError, UnknownDeviceError, UnknownParameterError

# name -> "module:function" returning a DeviceModel
REGISTRY = {
    "rram": "rram:build",
    "rram_cim": "rram_cim:build",
    "dwmtj": "dwmtj:build",
    "vcmtj": "vcmtj:build",
    "vcmtj_markov": "vcmtj_markov:build",
}

TARGETS = ("veriloga", "ngspice", "numpy")


def names() -> Tuple[str, ...]:
    return tuple(REGISTRY)


@lru_cache(maxsize=None)
def get(name: str):
    """The registered model ``name`` (built once, cached)."""
    if name not in REGISTRY:
        raise UnknownDeviceError(f"no device model {name!r}; registered: {', '.join(REGISTRY)}")
    module, func = REGISTRY[name].split(":")
    return getattr(importlib.import_module(f".models.{module}", __name__), func)()


def emit(name: str, target: str) -> str:
    """The generated code of model ``name`` for ``target`` ('veriloga', 'ngspice' or 'numpy')."""
    model = get(name)
    if target == "veriloga":
        from .veriloga import emit_veriloga
        return emit_veriloga(model)
    if target == "ngspice":
        from .ngspice import emit_ngspice
        return emit_ngspice(model)
    if target == "numpy":
        from .numeric import python_source
        return python_source(model)
    raise TargetError(f"unknown target {target!r}; use one of {', '.join(TARGETS)}")


__all__ = ["names", "get", "emit", "REGISTRY", "TARGETS", "DeviceParameterError", "UnknownParameterError",
           "UnknownDeviceError", "TargetError"]
