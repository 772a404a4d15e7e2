"""The simulator adapter: run netlists with ngspice (subprocess or PySpice shared library)."""
from .api import BACKENDS, simulate
from .ngspice import NgspiceInfo, ngspice_version, probe
from .rawfile import read_raw
from .result import Plot, SimResult

__all__ = ["BACKENDS", "simulate", "NgspiceInfo", "ngspice_version", "probe", "read_raw", "Plot", "SimResult"]
