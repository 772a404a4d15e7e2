"""Independent-source waveforms (ngspice manual, chapter 4.1): PULSE, PWL, SIN, TRNOISE, TRRANDOM.

Times are in seconds, amplitudes in volts (voltage sources) or amperes (current sources).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple, Union

from ..errors import InvalidValueError
from .values import Value, check_number, format_value


@dataclass(frozen=True)
class Pulse:
    """Trapezoidal pulse train: ``PULSE(v1 v2 delay rise fall width period [count])``."""
    v1: Value
    v2: Value
    delay: Value = 0.0
    rise: Value = 1e-12
    fall: Value = 1e-12
    width: Value = 1e-9
    period: Value = 1.0
    count: Optional[int] = None

    def check(self, owner: str) -> None:
        check_number(owner, "v1", self.v1)
        check_number(owner, "v2", self.v2)
        check_number(owner, "delay", self.delay, nonnegative=True)
        check_number(owner, "rise", self.rise, positive=True)
        check_number(owner, "fall", self.fall, positive=True)
        check_number(owner, "period", self.period, positive=True)
        check_number(owner, "width", self.width, nonnegative=True)
        if self.count is not None and (not isinstance(self.count, int) or self.count < 1):
            raise InvalidValueError(f"{owner}: pulse count={self.count!r} must be a positive integer or None")

    def text(self) -> str:
        args = [self.v1, self.v2, self.delay, self.rise, self.fall, self.width, self.period]
        if self.count is not None:
            args.append(self.count)
        return "PULSE(" + " ".join(map(format_value, args)) + ")"


@dataclass(frozen=True)
class PWL:
    """Piece-wise linear waveform from ``(time, value)`` points with strictly increasing times."""
    points: Tuple[Tuple[float, float], ...]

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

    def text(self) -> str:
        return "PWL(" + " ".join(f"{format_value(t)} {format_value(v)}" for t, v in self.points) + ")"


@dataclass(frozen=True)
class Sin:
    """Damped sine: ``SIN(offset amplitude freq delay damping phase_deg)``; freq in Hz, damping in 1/s."""
    offset: Value
    amplitude: Value
    freq: Value
    delay: Value = 0.0
    damping: Value = 0.0
    phase: Value = 0.0

    def check(self, owner: str) -> None:
        for what in ("offset", "amplitude", "damping", "phase"):
            check_number(owner, what, getattr(self, what))
        check_number(owner, "freq", self.freq, positive=True)
        check_number(owner, "delay", self.delay, nonnegative=True)

    def text(self) -> str:
        args = (self.offset, self.amplitude, self.freq, self.delay, self.damping, self.phase)
        return "SIN(" + " ".join(format_value(a) for a in args) + ")"


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
