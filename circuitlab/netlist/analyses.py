"""Analyses (``.op``, ``.dc``, ``.tran``, ``.ac``) and ``.meas`` statements of the netlist IR."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..errors import InvalidValueError
from .values import Value, check_name, check_number, format_value


@dataclass(frozen=True)
class Op:
    """DC operating point."""

    def check(self) -> None:
        pass

    def card(self) -> str:
        return ".op"


@dataclass(frozen=True)
class DC:
    """DC sweep of a source (or ``temp``) from ``start`` to ``stop`` in ``step``; optional nested sweep."""
    source: str
    start: Value
    stop: Value
    step: Value
    source2: Optional[str] = None
    start2: Value = 0.0
    stop2: Value = 0.0
    step2: Value = 1.0

    def check(self) -> None:
        check_name(".dc", self.source)
        for what in ("start", "stop"):
            check_number(".dc", what, getattr(self, what))
        check_number(".dc", "step", self.step)
        if not isinstance(self.step, str) and self.step == 0:
            raise InvalidValueError(".dc: step must be non-zero")

    def card(self) -> str:
        text = f".dc {self.source} {format_value(self.start)} {format_value(self.stop)} {format_value(self.step)}"
        if self.source2:
            text += f" {self.source2} {format_value(self.start2)} {format_value(self.stop2)} {format_value(self.step2)}"
        return text


@dataclass(frozen=True)
class Tran:
    """Transient analysis; times in seconds. ``max_step`` bounds the solver step (use it with TRNOISE)."""
    step: Value
    stop: Value
    start: Value = 0.0
    max_step: Optional[Value] = None
    uic: bool = False

    def check(self) -> None:
        check_number(".tran", "step", self.step, positive=True)
        check_number(".tran", "stop", self.stop, positive=True)
        check_number(".tran", "start", self.start, nonnegative=True)
        if self.max_step is not None:
            check_number(".tran", "max_step", self.max_step, positive=True)
        if not isinstance(self.start, str) and not isinstance(self.stop, str) and self.start >= self.stop:
            raise InvalidValueError(f".tran: start={self.start!r} must be < stop={self.stop!r}")

    def card(self) -> str:
        text = f".tran {format_value(self.step)} {format_value(self.stop)}"
        if self.start != 0 or self.max_step is not None:
            text += f" {format_value(self.start)}"
        if self.max_step is not None:
            text += f" {format_value(self.max_step)}"
        return text + (" uic" if self.uic else "")


@dataclass(frozen=True)
class AC:
    """Small-signal AC sweep: ``variation`` in {'dec', 'oct', 'lin'}; frequencies in Hz."""
    variation: str
    points: int
    fstart: Value
    fstop: Value

    def check(self) -> None:
        if self.variation not in ("dec", "oct", "lin"):
            raise InvalidValueError(f".ac: variation={self.variation!r} must be 'dec', 'oct' or 'lin'")
        if not isinstance(self.points, int) or self.points < 1:
            raise InvalidValueError(f".ac: points={self.points!r} must be a positive integer")
        check_number(".ac", "fstart", self.fstart, positive=True)
        check_number(".ac", "fstop", self.fstop, positive=True)

    def card(self) -> str:
        return f".ac {self.variation} {self.points} {format_value(self.fstart)} {format_value(self.fstop)}"


ANALYSIS_KINDS = ("op", "dc", "tran", "ac")


@dataclass(frozen=True)
class Measure:
    """A ``.meas`` statement: ``Measure('tran', 'tdelay', 'TRIG v(in) VAL=0.5 RISE=1 TARG ...')``.

    ngspice prints its result with 7 significant digits; a failed measure becomes a MeasureError.
    """
    analysis: str
    name: str
    spec: str

    def check(self) -> None:
        if self.analysis not in ("dc", "tran", "ac"):
            raise InvalidValueError(f".meas {self.name}: analysis={self.analysis!r} must be 'dc', 'tran' or 'ac'")
        check_name(".meas", self.name)
        if not self.spec.strip() or "\n" in self.spec:
            raise InvalidValueError(f".meas {self.name}: spec must be a non-empty one-line string")

    def card(self) -> str:
        return f".meas {self.analysis} {self.name} {self.spec.strip()}"
