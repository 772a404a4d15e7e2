"""Independent-source waveforms (ngspice manual, chapter 4.1): PULSE, PWL, SIN, TRNOISE, TRRANDOM.

Times are in seconds, amplitudes in volts (voltage sources) or amperes (current sources).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple, Union

from ..errors import InvalidValueError
from .values import Value, check_number, format_value


def _positional(name: str, args) -> str:
    """``NAME(a b c)`` up to the last given argument; an omitted argument before a given one is written
    as 0, which ngspice 39 reads as "use the default" for the arguments that take this path (PULSE rise,
    fall, width, period; SIN freq; checked against the spelled-out defaults in the tests)."""
    args = list(args)
    while args and args[-1] is None:
        args.pop()
    return f"{name}(" + " ".join("0" if a is None else format_value(a) for a in args) + ")"


@dataclass(frozen=True)
class Pulse:
    """Trapezoidal pulse train ``PULSE(v1 v2 delay rise fall width period [count])``; seconds, volts or
    amperes. Omitted arguments (None) take SPICE's defaults: delay 0, rise and fall the ``.tran`` step
    (TSTEP), width and period the ``.tran`` stop time (TSTOP), count unlimited. Prefer keywords:
    ``Pulse(0, 1, delay=1e-9, rise=1e-10, fall=1e-10, width=5e-9, period=1e-8)``."""
    v1: Value
    v2: Value
    delay: Optional[Value] = None
    rise: Optional[Value] = None
    fall: Optional[Value] = None
    width: Optional[Value] = None
    period: Optional[Value] = None
    count: Optional[int] = None

    def check(self, owner: str) -> None:
        check_number(owner, "v1", self.v1)
        check_number(owner, "v2", self.v2)
        if self.delay is not None:
            check_number(owner, "delay", self.delay, nonnegative=True)
        for what in ("rise", "fall", "period"):
            if getattr(self, what) is not None:
                check_number(owner, what, getattr(self, what), positive=True)
        if self.width is not None:
            check_number(owner, "width", self.width, nonnegative=True)
        if self.count is not None and (not isinstance(self.count, int) or self.count < 1):
            raise InvalidValueError(f"{owner}: pulse count={self.count!r} must be a positive integer or None")

    def text(self) -> str:
        return _positional("PULSE", (self.v1, self.v2, self.delay, self.rise, self.fall, self.width,
                                     self.period, self.count))


@dataclass(frozen=True)
class PWL:
    """Piece-wise linear waveform from ``(time, value)`` points with strictly increasing times;
    ``repeat`` (``r=``: the time the waveform repeats from; None: no repetition) and ``delay``
    (``td=``, s) as in SPICE."""
    points: Tuple[Tuple[float, float], ...]
    repeat: Optional[Value] = None
    delay: Optional[Value] = None

    def __post_init__(self):
        object.__setattr__(self, "points", tuple((t, v) for t, v in self.points))

    def check(self, owner: str) -> None:
        if not self.points:
            raise InvalidValueError(f"{owner}: PWL needs at least one (time, value) point")
        last = None
        for t, v in self.points:
            check_number(owner, "PWL time", t, nonnegative=True)
            check_number(owner, "PWL value", v)
            if last is not None and not isinstance(t, str) and not isinstance(last, str) and t <= last:
                raise InvalidValueError(
                    f"{owner}: PWL times must increase strictly ({last!r} then {t!r}); sort or merge the edges")
            last = t
        if self.repeat is not None:
            check_number(owner, "PWL repeat", self.repeat, nonnegative=True)
        if self.delay is not None:
            check_number(owner, "PWL delay", self.delay)

    def text(self) -> str:
        text = "PWL(" + " ".join(f"{format_value(t)} {format_value(v)}" for t, v in self.points) + ")"
        if self.repeat is not None:
            text += f" r={format_value(self.repeat)}"
        if self.delay is not None:
            text += f" td={format_value(self.delay)}"
        return text


@dataclass(frozen=True)
class Sin:
    """Damped sine ``SIN(offset amplitude freq delay damping phase_deg)``; freq in Hz, damping in 1/s.
    Omitted arguments (None) take SPICE's defaults: freq 1/TSTOP, delay, damping and phase 0."""
    offset: Value
    amplitude: Value
    freq: Optional[Value] = None
    delay: Optional[Value] = None
    damping: Optional[Value] = None
    phase: Optional[Value] = None

    def check(self, owner: str) -> None:
        for what in ("offset", "amplitude", "damping", "phase"):
            if getattr(self, what) is not None:
                check_number(owner, what, getattr(self, what))
        if self.freq is not None:
            check_number(owner, "freq", self.freq, positive=True)
        if self.delay is not None:
            check_number(owner, "delay", self.delay, nonnegative=True)

    def text(self) -> str:
        return _positional("SIN", (self.offset, self.amplitude, self.freq, self.delay, self.damping, self.phase))


@dataclass(frozen=True)
class TrNoise:
    """Transient noise ``TRNOISE(na nt nalpha namp)``: white Gaussian of rms ``na`` held for ``nt`` s.

    A new draw every ``nt`` seconds whatever the solver's step (keep the maximum step <= nt).
    Measured on ngspice 39: TRNOISE is NOT reproducible (neither ``setseed``, ``.options seed`` nor
    ``rndseed`` fixes its sequence); use :class:`TrRandom` (kind 2) or Python-drawn PWL values where a
    seed must reproduce the run.
    """
    rms: Value
    interval: Value
    alpha: Value = 0.0
    amplitude_1f: Value = 0.0

    def check(self, owner: str) -> None:
        check_number(owner, "rms", self.rms, nonnegative=True)
        check_number(owner, "interval", self.interval, positive=True)
        check_number(owner, "alpha", self.alpha, nonnegative=True)
        check_number(owner, "amplitude_1f", self.amplitude_1f, nonnegative=True)

    def text(self) -> str:
        args = (self.rms, self.interval, self.alpha, self.amplitude_1f)
        return "TRNOISE(" + " ".join(format_value(a) for a in args) + ")"


@dataclass(frozen=True)
class TrRandom:
    """Random sequence ``TRRANDOM(kind ts td p1 p2)``: kind 1 uniform, 2 Gaussian, 3 exponential, 4 Poisson.

    For kind 2, ``p1`` is the standard deviation and ``p2`` the mean; a new value every ``interval``
    seconds. Reproducible with ``simulate(..., seed=N)`` (``.options seed=N``; checked on ngspice 39).
    """
    kind: int
    interval: Value
    delay: Value = 0.0
    p1: Value = 1.0
    p2: Value = 0.0

    def check(self, owner: str) -> None:
        if self.kind not in (1, 2, 3, 4):
            raise InvalidValueError(f"{owner}: TRRANDOM kind={self.kind!r} must be 1, 2, 3 or 4")
        check_number(owner, "interval", self.interval, positive=True)
        check_number(owner, "delay", self.delay, nonnegative=True)
        check_number(owner, "p1", self.p1)
        check_number(owner, "p2", self.p2)

    def text(self) -> str:
        args = (self.kind, self.interval, self.delay, self.p1, self.p2)
        return "TRRANDOM(" + " ".join(format_value(a) for a in args) + ")"


Waveform = Union[Pulse, PWL, Sin, TrNoise, TrRandom]
