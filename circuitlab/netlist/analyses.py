"""Analyses (``.op``, ``.dc``, ``.tran``, ``.ac``, ``.noise``, ``.tf``, ``.sens``, ``.pz``) and ``.meas``
statements of the netlist IR (ngspice 39 manual, chapter 15.3)."""
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


def _check_output(owner: str, output: str) -> None:
    """An output variable: ``v(node)``, ``v(a,b)`` or ``i(vsource)``."""
    low = output.strip().lower() if isinstance(output, str) else ""
    if not (low.startswith(("v(", "i(")) and low.endswith(")")) or "\n" in low:
        raise InvalidValueError(f"{owner}: output={output!r} must be v(node), v(node1,node2) or i(vsource)")


def _check_sweep(owner: str, variation: str, points: int, fstart, fstop) -> None:
    AC(variation, points, fstart, fstop).check()


@dataclass(frozen=True)
class Noise:
    """Noise analysis ``.noise v(out) SRC dec|oct|lin points fstart fstop [pts_per_summary]``: output
    and input noise spectra (plot ``noise1``) and their integrals (``noise2``)."""
    output: str
    source: str
    variation: str
    points: int
    fstart: Value
    fstop: Value
    points_per_summary: Optional[int] = None

    def check(self) -> None:
        _check_output(".noise", self.output)
        check_name(".noise", self.source)
        _check_sweep(".noise", self.variation, self.points, self.fstart, self.fstop)
        if self.points_per_summary is not None and (not isinstance(self.points_per_summary, int)
                                                    or self.points_per_summary < 1):
            raise InvalidValueError(f".noise: points_per_summary={self.points_per_summary!r} must be a positive int")

    def card(self) -> str:
        text = (f".noise {self.output} {self.source} {self.variation} {self.points} {format_value(self.fstart)} "
                f"{format_value(self.fstop)}")
        return text + (f" {self.points_per_summary}" if self.points_per_summary is not None else "")


@dataclass(frozen=True)
class TF:
    """Small-signal DC transfer function ``.tf OUTPUT SOURCE``: gain, input and output resistance."""
    output: str
    source: str

    def check(self) -> None:
        _check_output(".tf", self.output)
        check_name(".tf", self.source)

    def card(self) -> str:
        return f".tf {self.output} {self.source}"


@dataclass(frozen=True)
class Sens:
    """Sensitivity ``.sens OUTPUT`` (DC), or with ``ac=AC(...)`` ``.sens OUTPUT ac dec 10 1 1meg``."""
    output: str
    ac: Optional[AC] = None

    def check(self) -> None:
        _check_output(".sens", self.output)
        if self.ac is not None:
            self.ac.check()

    def card(self) -> str:
        return f".sens {self.output}" + (" " + self.ac.card()[1:] if self.ac is not None else "")


@dataclass(frozen=True)
class PoleZero:
    """Pole-zero analysis ``.pz in+ in- out+ out- vol|cur pz|pol|zer`` (voltage or current transfer)."""
    in_plus: str
    in_minus: str
    out_plus: str
    out_minus: str
    transfer: str = "vol"
    find: str = "pz"

    def check(self) -> None:
        for node in (self.in_plus, self.in_minus, self.out_plus, self.out_minus):
            check_name(".pz", node)
        if self.transfer not in ("vol", "cur"):
            raise InvalidValueError(f".pz: transfer={self.transfer!r} must be 'vol' or 'cur'")
        if self.find not in ("pz", "pol", "zer"):
            raise InvalidValueError(f".pz: find={self.find!r} must be 'pz', 'pol' or 'zer'")

    def card(self) -> str:
        return f".pz {self.in_plus} {self.in_minus} {self.out_plus} {self.out_minus} {self.transfer} {self.find}"


ANALYSIS_KINDS = ("op", "dc", "tran", "ac", "noise", "tf", "sens", "pz")


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
