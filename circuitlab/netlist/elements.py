"""Circuit elements of the netlist IR: plain frozen dataclasses, one SPICE card each.

Names are given without or with the SPICE prefix letter (``Resistor("load", ...)`` and
``Resistor("Rload", ...)`` both write ``Rload``). Values are SI floats or parameter expressions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Dict, Optional, Tuple

from ..errors import InvalidValueError
from .values import Value, check_name, check_nodes, check_number, format_params, format_value
from .waveforms import Waveform


class _SpiceName:
    """``Element.spice_name``: the name with the prefix letter, computed on first use and then kept.

    A non-data descriptor: the value is stored as an instance attribute, which later lookups find first
    (elements are immutable, so it cannot go stale; validation and the card use it several times).
    """

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        name = obj.name
        value = name if name[:1].upper() == obj.PREFIX else obj.PREFIX + name
        object.__setattr__(obj, "spice_name", value)
        return value


@dataclass(frozen=True)
class Element:
    """Base class: subclasses define ``PREFIX``, ``nodes()`` and ``_body()``."""
    PREFIX: ClassVar[str] = ""

    spice_name = _SpiceName()  # str: ``name`` with the ``PREFIX`` letter added once
    _card = None  # the card once card() wrote it (an instance attribute then)

    def nodes(self) -> Tuple[str, ...]:
        raise NotImplementedError

    def references(self) -> Dict[str, str]:
        """Names this element needs defined elsewhere: {'model'|'subckt'|'source': name}."""
        return {}

    def check(self) -> None:
        check_name(type(self).__name__, self.name)  # type: ignore[attr-defined]
        check_nodes(self.spice_name, self.nodes())
        self._check_values()

    def _check_values(self) -> None:
        pass

    def card(self) -> str:
        """The SPICE card (computed once per element: elements are immutable)."""
        cached = self._card
        if cached is None:
            cached = f"{self.spice_name} {self._body()}"
            object.__setattr__(self, "_card", cached)
        return cached

    def _body(self) -> str:
        raise NotImplementedError


def check_params(owner: str, params, positive=()) -> None:
    """Validate an instance-parameter dict: SPICE names, finite numbers (``positive``: names, lower case,
    that must be > 0)."""
    for k, v in params.items():
        check_name(owner, k)
        check_number(owner, k, v, positive=k.lower() in positive)


def params_suffix(params) -> str:
    text = format_params(params) if params else ""
    return f" {text}" if text else ""


@dataclass(frozen=True)
class _TwoTerminal(Element):
    name: str
    plus: str
    minus: str

    def nodes(self):
        return (self.plus, self.minus)


@dataclass(frozen=True)
class Resistor(_TwoTerminal):
    """Linear resistor; ``value`` in ohm (> 0)."""
    value: Value = 1e3
    PREFIX: ClassVar[str] = "R"

    def _check_values(self):
        check_number(self.spice_name, "resistance", self.value, positive=True)

    def _body(self):
        return f"{self.plus} {self.minus} {format_value(self.value)}"


@dataclass(frozen=True)
class Capacitor(_TwoTerminal):
    """Linear capacitor; ``value`` in farad (>= 0); optional initial voltage ``ic`` in volt."""
    value: Value = 1e-12
    ic: Optional[Value] = None
    PREFIX: ClassVar[str] = "C"

    def _check_values(self):
        check_number(self.spice_name, "capacitance", self.value, nonnegative=True)
        if self.ic is not None:
            check_number(self.spice_name, "ic", self.ic)

    def _body(self):
        ic = f" IC={format_value(self.ic)}" if self.ic is not None else ""
        return f"{self.plus} {self.minus} {format_value(self.value)}{ic}"


@dataclass(frozen=True)
class Inductor(_TwoTerminal):
    """Linear inductor; ``value`` in henry (> 0); optional initial current ``ic`` in ampere."""
    value: Value = 1e-9
    ic: Optional[Value] = None
    PREFIX: ClassVar[str] = "L"

    def _check_values(self):
        check_number(self.spice_name, "inductance", self.value, positive=True)
        if self.ic is not None:
            check_number(self.spice_name, "ic", self.ic)

    def _body(self):
        ic = f" IC={format_value(self.ic)}" if self.ic is not None else ""
        return f"{self.plus} {self.minus} {format_value(self.value)}{ic}"


@dataclass(frozen=True)
class _IndependentSource(_TwoTerminal):
    dc: Optional[Value] = None
    ac: Optional[Value] = None
    ac_phase: Value = 0.0
    waveform: Optional[Waveform] = None

    def _check_values(self):
        if self.dc is not None:
            check_number(self.spice_name, "dc", self.dc)
        if self.ac is not None:
            check_number(self.spice_name, "ac magnitude", self.ac, nonnegative=True)
            check_number(self.spice_name, "ac phase", self.ac_phase)
        if self.waveform is not None:
            self.waveform.check(self.spice_name)

    def _body(self):
        parts = [self.plus, self.minus]
        if self.dc is not None:
            parts.append(f"DC {format_value(self.dc)}")
        if self.ac is not None:
            parts.append(f"AC {format_value(self.ac)} {format_value(self.ac_phase)}")
        if self.waveform is not None:
            parts.append(self.waveform.text())
        if self.dc is None and self.ac is None and self.waveform is None:
            parts.append("DC 0")
        return " ".join(parts)


@dataclass(frozen=True)
class VoltageSource(_IndependentSource):
    """Independent voltage source; values in volt. Its current is the vector ``i(<name>)``."""
    PREFIX: ClassVar[str] = "V"


@dataclass(frozen=True)
class CurrentSource(_IndependentSource):
    """Independent current source; values in ampere, flowing from ``plus`` through the source to ``minus``."""
    PREFIX: ClassVar[str] = "I"


@dataclass(frozen=True)
class BSource(_TwoTerminal):
    """Behavioural source: exactly one of ``voltage`` (V=expr, volt) or ``current`` (I=expr, ampere)."""
    voltage: Optional[str] = None
    current: Optional[str] = None
    PREFIX: ClassVar[str] = "B"

    def _check_values(self):
        given = [e for e in (self.voltage, self.current) if e is not None]
        if len(given) != 1:
            raise InvalidValueError(f"{self.spice_name}: give exactly one of voltage= or current= expressions")
        if not isinstance(given[0], str) or not given[0].strip() or "\n" in given[0]:
            raise InvalidValueError(f"{self.spice_name}: the expression must be a non-empty one-line string")

    def _body(self):
        kind, expr = ("V", self.voltage) if self.voltage is not None else ("I", self.current)
        return f"{self.plus} {self.minus} {kind}={expr.strip()}"


@dataclass(frozen=True)
class _VoltageControlled(_TwoTerminal):
    ctrl_plus: str = "0"
    ctrl_minus: str = "0"
    gain: Value = 1.0

    def nodes(self):
        return (self.plus, self.minus, self.ctrl_plus, self.ctrl_minus)

    def _check_values(self):
        check_number(self.spice_name, "gain", self.gain)

    def _body(self):
        return f"{self.plus} {self.minus} {self.ctrl_plus} {self.ctrl_minus} {format_value(self.gain)}"


@dataclass(frozen=True)
class VCVS(_VoltageControlled):
    """E element: V(plus, minus) = gain * V(ctrl_plus, ctrl_minus); gain in V/V."""
    PREFIX: ClassVar[str] = "E"


@dataclass(frozen=True)
class VCCS(_VoltageControlled):
    """G element: I(plus -> minus through the element) = gain * V(ctrl_plus, ctrl_minus); gain in A/V."""
    PREFIX: ClassVar[str] = "G"


@dataclass(frozen=True)
class _CurrentControlled(_TwoTerminal):
    control: str = ""
    gain: Value = 1.0

    def references(self):
        control = self.control if self.control[:1].upper() == "V" else "V" + self.control
        return {"source": control}

    def _check_values(self):
        check_name(self.spice_name, self.control)
        check_number(self.spice_name, "gain", self.gain)

    def _body(self):
        return f"{self.plus} {self.minus} {self.references()['source']} {format_value(self.gain)}"


@dataclass(frozen=True)
class CCCS(_CurrentControlled):
    """F element: I = gain * I(control voltage source); gain in A/A."""
    PREFIX: ClassVar[str] = "F"


@dataclass(frozen=True)
class CCVS(_CurrentControlled):
    """H element: V = gain * I(control voltage source); gain (transresistance) in ohm."""
    PREFIX: ClassVar[str] = "H"


@dataclass(frozen=True)
class Diode(_TwoTerminal):
    """Junction diode with a ``.model NAME d(...)`` card; ``params`` e.g. {'area': 2}."""
    model: str = ""
    params: Dict[str, Value] = field(default_factory=dict)
    PREFIX: ClassVar[str] = "D"

    def references(self):
        return {"model": self.model}

    def _check_values(self):
        check_name(self.spice_name, self.model)
        check_params(self.spice_name, self.params)

    def _body(self):
        return f"{self.plus} {self.minus} {self.model}{params_suffix(self.params)}"


@dataclass(frozen=True)
class Mosfet(Element):
    """MOSFET with a ``.model`` card; ``params`` in SI units, e.g. {'W': 1e-6, 'L': 22e-9}."""
    name: str
    drain: str
    gate: str
    source: str
    bulk: str
    model: str
    params: Dict[str, Value] = field(default_factory=dict)
    PREFIX: ClassVar[str] = "M"

    def nodes(self):
        return (self.drain, self.gate, self.source, self.bulk)

    def references(self):
        return {"model": self.model}

    def _check_values(self):
        check_name(self.spice_name, self.model)
        check_params(self.spice_name, self.params, positive=("w", "l", "m", "nf"))

    def _body(self):
        return f"{self.drain} {self.gate} {self.source} {self.bulk} {self.model}{params_suffix(self.params)}"


@dataclass(frozen=True)
class Instance(Element):
    """Subcircuit instance (X element); ``nodes`` in the order of the subcircuit's ports."""
    name: str
    subckt: str
    connections: Tuple[str, ...] = ()
    params: Dict[str, Value] = field(default_factory=dict)
    PREFIX: ClassVar[str] = "X"

    def __post_init__(self):
        object.__setattr__(self, "connections", tuple(self.connections))

    def nodes(self):
        return self.connections

    def references(self):
        return {"subckt": self.subckt}

    def _check_values(self):
        check_name(self.spice_name, self.subckt)
        check_params(self.spice_name, self.params)

    def _body(self):
        return f"{' '.join(self.connections)} {self.subckt}{params_suffix(self.params)}"
