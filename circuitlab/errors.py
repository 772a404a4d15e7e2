"""The rooted exception hierarchy of circuitlab.

Every error a user can trigger derives from :class:`CircuitlabError` and says what was wrong and how
to fix it. Simulation errors carry the run directory, the netlist path and the simulator's stdout and
stderr so that a failed run can be inspected after the fact.
"""
from __future__ import annotations

from pathlib import Path


class CircuitlabError(Exception):
    """Base class of every circuitlab error."""


# --- building circuits ------------------------------------------------------------------------
class CircuitError(CircuitlabError, ValueError):
    """A circuit (netlist IR) is invalid; raised when it is built or written."""


class DuplicateNameError(CircuitError):
    """Two elements, models or subcircuits share a name in one scope."""


class UnknownReferenceError(CircuitError):
    """An element refers to a subcircuit, model or source that is not defined."""


class MissingGroundError(CircuitError):
    """No element touches the ground node 0."""


class InvalidValueError(CircuitError):
    """A value is non-finite, negative where that is impossible, or of the wrong type."""


class DanglingNodeError(CircuitError):
    """A node is touched by a single terminal."""


class NetlistParseError(CircuitError):
    """SPICE text could not be turned into the netlist IR; ``line_number`` (1-based, in the file) and
    ``line`` name the card."""

    def __init__(self, message: str, *, line_number: int | None = None, line: str | None = None):
        where = f"line {line_number}: " if line_number is not None else ""
        super().__init__(f"{where}{message}")
        self.line_number = line_number
        self.line = line


class UnsupportedConstructError(NetlistParseError):
    """The SPICE text uses a construct the netlist IR cannot hold (it is never dropped silently)."""


# --- running the simulator --------------------------------------------------------------------
class SimulatorNotFoundError(CircuitlabError):
    """ngspice (the executable or its shared library) is not installed."""


class SimulationError(CircuitlabError):
    """ngspice failed; carries everything needed to look at the failed run."""

    def __init__(self, message: str, *, run_dir: Path | None = None, netlist_path: Path | None = None,
                 stdout: str = "", stderr: str = ""):
        super().__init__(message)
        self.message = message
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.netlist_path = Path(netlist_path) if netlist_path is not None else None
        self.stdout = stdout
        self.stderr = stderr

    def __str__(self) -> str:
        where = f" (run directory: {self.run_dir})" if self.run_dir is not None else ""
        return f"{self.message}{where}"


class NetlistError(SimulationError):
    """ngspice could not parse the netlist; ``line_number``/``line`` point at the offending card."""

    def __init__(self, message: str, *, line_number: int | None = None, line: str | None = None, **kw):
        super().__init__(message, **kw)
        self.line_number = line_number
        self.line = line


class ConvergenceError(SimulationError):
    """The Newton iteration or the time step control failed (timestep too small, singular matrix)."""


class SimulatorCrashError(SimulationError):
    """ngspice died from a signal (a segmentation fault or an abort), whatever the deck said."""


class EmptyResultError(SimulationError):
    """The deck asked for analyses (cards or control commands) but ngspice produced no plot."""


class SimulationTimeout(SimulationError):
    """The run exceeded its time limit; the ngspice process was killed."""


class MeasureError(SimulationError):
    """A ``.meas`` statement failed although ngspice finished; ``result`` holds what did succeed."""

    def __init__(self, message: str, *, failed: tuple[str, ...] = (), result=None, **kw):
        super().__init__(message, **kw)
        self.failed = failed
        self.result = result


class RawFileError(CircuitlabError):
    """A SPICE raw file is truncated, corrupt or of an unknown format."""


# --- configuration and files ------------------------------------------------------------------
class ConfigError(CircuitlabError, ValueError):
    """A configuration file or argument is malformed (unknown key, wrong type, out of range)."""


class NumericalError(CircuitlabError):
    """A numerical procedure (a fit, a solve) cannot give an answer from the data it was given (too few
    or non-finite points, no convergence); the input was well formed, the data do not suffice."""


class SchemaError(CircuitlabError):
    """A circuitlab HDF5 file is foreign, corrupt or of a newer schema than this version reads."""


class UntrustedSpecError(ConfigError):
    """Safe mode refused a campaign: its spec would run code circuitlab does not ship (a builder or
    evaluator from another module, a template with ngspice commands or an outside ``.include``).
    ``refused`` says what was refused and why, without the advice on how to opt in; ``module`` names
    the refused builder's or evaluator's module ('' for a template)."""
    refused: str = ""
    module: str = ""


# --- warnings ---------------------------------------------------------------------------------
class CircuitlabWarning(UserWarning):
    """Base class of circuitlab's warnings: something legal that probably does not do what was meant."""


class ZeroNominalWarning(CircuitlabWarning):
    """A relative variation (a fraction of the nominal value) meets a nominal value of 0: it does nothing."""
