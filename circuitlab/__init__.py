"""circuitlab: device-circuit-algorithm co-design with emerging memories (MeRAM, DW-MTJ, RRAM).

Importing the package is light: numpy-free at import time; torch, h5py and matplotlib are imported
only by the stages that need them.
"""
from __future__ import annotations

from .errors import (CircuitError, CircuitlabError, ConvergenceError, MeasureError, NetlistError,
                     SimulationError, SimulationTimeout, SimulatorNotFoundError)

__version__ = "0.1.0"

__all__ = [
    "__version__", "simulate", "CircuitlabError", "CircuitError", "SimulationError", "NetlistError",
    "ConvergenceError", "SimulationTimeout", "MeasureError", "SimulatorNotFoundError",
]


def __getattr__(name):
    if name == "simulate":
        from .sim import simulate
        return simulate
    raise AttributeError(f"module 'circuitlab' has no attribute {name!r}")
