"""More elements of the netlist IR: BJTs (Q), JFETs (J), coupled inductors (K), voltage- and
current-controlled switches (S, W) and lossless transmission lines (T). Card syntax: ngspice 39 manual,
chapters 3.2.12 (K), 4.2 (S/W), 6.1 (T), 8.1 (Q), 9.1 (J)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Dict, Optional

from ..errors import InvalidValueError
from .elements import Element, check_params, params_suffix
from .values import Value, check_name, check_number, format_value


@dataclass(frozen=True)
class Bjt(Element):
    """Bipolar transistor ``Qname c b e [s] model [params]`` with a ``.model NAME npn|pnp(...)`` card
    (Gummel-Poon, or VBIC with ``level=4``); ``params`` e.g. {'area': 2}."""
    name: str
    collector: str
    base: str
    emitter: str
    model: str
    substrate: Optional[str] = None
    params: Dict[str, Value] = field(default_factory=dict)
    PREFIX: ClassVar[str] = "Q"

    def nodes(self):
        sub = (self.substrate,) if self.substrate is not None else ()
        return (self.collector, self.base, self.emitter, *sub)

    def references(self):
        return {"model": self.model}

    def _check_values(self):
        check_name(self.spice_name, self.model)
        check_params(self.spice_name, self.params)

    def _body(self):
        return f"{' '.join(self.nodes())} {self.model}{params_suffix(self.params)}"


@dataclass(frozen=True)
class Jfet(Element):
    """Junction FET ``Jname d g s model [params]`` with a ``.model NAME njf|pjf(...)`` card."""
    name: str
    drain: str
    gate: str
    source: str
    model: str
    params: Dict[str, Value] = field(default_factory=dict)
    PREFIX: ClassVar[str] = "J"

    def nodes(self):
        return (self.drain, self.gate, self.source)

    def references(self):
        return {"model": self.model}

    def _check_values(self):
        check_name(self.spice_name, self.model)
        check_params(self.spice_name, self.params)

    def _body(self):
        return f"{self.drain} {self.gate} {self.source} {self.model}{params_suffix(self.params)}"


@dataclass(frozen=True)
class Coupling(Element):
    """Mutual inductance ``Kname L1 L2 k`` between two inductors of the same scope; |k| <= 1."""
    name: str
    inductor1: str
    inductor2: str
    coupling: Value = 1.0
    PREFIX: ClassVar[str] = "K"

    def nodes(self):
        return ()

    def inductors(self):
        return tuple(n if n[:1].upper() == "L" else "L" + n for n in (self.inductor1, self.inductor2))

    def references(self):
        first, second = self.inductors()
        return {"inductor": first, "inductor2": second}

    def _check_values(self):
        check_name(self.spice_name, self.inductor1)
        check_name(self.spice_name, self.inductor2)
        check_number(self.spice_name, "coupling", self.coupling)
        if not isinstance(self.coupling, str) and not -1 <= self.coupling <= 1:
            raise InvalidValueError(f"{self.spice_name}: coupling={self.coupling!r} must lie in [-1, 1]")

    def _body(self):
        return f"{' '.join(self.inductors())} {format_value(self.coupling)}"


def _initial(owner: str, state: Optional[str]) -> None:
    if state is not None and state.lower() not in ("on", "off"):
        raise InvalidValueError(f"{owner}: initial={state!r} must be 'on', 'off' or None")


@dataclass(frozen=True)
class VSwitch(Element):
    """Voltage-controlled switch ``Sname n+ n- nc+ nc- model [on|off]`` (``.model NAME sw(vt= vh= ron=
    roff=)``)."""
    name: str
    plus: str
    minus: str
    ctrl_plus: str
    ctrl_minus: str
    model: str
    initial: Optional[str] = None
    PREFIX: ClassVar[str] = "S"

    def nodes(self):
        return (self.plus, self.minus, self.ctrl_plus, self.ctrl_minus)

    def references(self):
        return {"model": self.model}

    def _check_values(self):
        check_name(self.spice_name, self.model)
        _initial(self.spice_name, self.initial)

    def _body(self):
        state = f" {self.initial.lower()}" if self.initial else ""
        return f"{' '.join(self.nodes())} {self.model}{state}"


@dataclass(frozen=True)
class CSwitch(Element):
    """Current-controlled switch ``Wname n+ n- vcontrol model [on|off]`` (``.model NAME csw(it= ih= ron=
    roff=)``), controlled by the current of a voltage source."""
    name: str
    plus: str
    minus: str
    control: str
    model: str
    initial: Optional[str] = None
    PREFIX: ClassVar[str] = "W"

    def nodes(self):
        return (self.plus, self.minus)

    def source(self) -> str:
        return self.control if self.control[:1].upper() == "V" else "V" + self.control

    def references(self):
        return {"model": self.model, "source": self.source()}

    def _check_values(self):
        check_name(self.spice_name, self.model)
        check_name(self.spice_name, self.control)
        _initial(self.spice_name, self.initial)

    def _body(self):
        state = f" {self.initial.lower()}" if self.initial else ""
        return f"{self.plus} {self.minus} {self.source()} {self.model}{state}"


@dataclass(frozen=True)
class TransmissionLine(Element):
    """Lossless line ``Tname p1+ p1- p2+ p2- Z0=ohm TD=s`` (or ``F=Hz NL=`` instead of ``TD``)."""
    name: str
    port1_plus: str
    port1_minus: str
    port2_plus: str
    port2_minus: str
    z0: Value = 50.0
    td: Optional[Value] = None
    f: Optional[Value] = None
    nl: Optional[Value] = None
    PREFIX: ClassVar[str] = "T"

    def nodes(self):
        return (self.port1_plus, self.port1_minus, self.port2_plus, self.port2_minus)

    def _check_values(self):
        check_number(self.spice_name, "z0", self.z0, positive=True)
        if (self.td is None) == (self.f is None):
            raise InvalidValueError(f"{self.spice_name}: give exactly one of td= (delay, s) or f= (Hz, with nl=)")
        for what in ("td", "f", "nl"):
            if getattr(self, what) is not None:
                check_number(self.spice_name, what, getattr(self, what), positive=True)

    def _body(self):
        text = f"{' '.join(self.nodes())} Z0={format_value(self.z0)}"
        for key, value in (("TD", self.td), ("F", self.f), ("NL", self.nl)):
            if value is not None:
                text += f" {key}={format_value(value)}"
        return text
