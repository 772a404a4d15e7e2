"""Circuits and subcircuits: immutable containers of elements, models, parameters and analyses.

A :class:`Circuit` is validated when it is built (see :mod:`circuitlab.netlist.validate`) and written
deterministically by :meth:`Circuit.to_text`: the same circuit always gives byte-identical text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, Mapping, Optional, Tuple, Union

from ..errors import InvalidValueError
from .analyses import AC, DC, TF, Measure, Noise, Op, PoleZero, Sens, Tran
from .elements import Element
from .validate import validate_circuit
from .values import Value, check_name, check_number, format_params, format_value

Analysis = Union[Op, DC, Tran, AC, Noise, TF, Sens, PoleZero]


@dataclass(frozen=True)
class Model:
    """A ``.model NAME KIND(params)`` card, e.g. ``Model('nch', 'nmos', {'level': 54, 'vth0': 0.4})``."""
    name: str
    kind: str
    params: Dict[str, Value] = field(default_factory=dict)

    def check(self) -> None:
        check_name(".model", self.name)
        check_name(f".model {self.name}", self.kind)
        for k, v in self.params.items():
            check_number(f".model {self.name}", k, v)

    def card(self) -> str:
        return f".model {self.name} {self.kind}({format_params(self.params)})"


@dataclass(frozen=True)
class Function:
    """A ``.func NAME(args) {body}`` card: a user function for expressions, e.g.
    ``Function('db', ('x',), '20*log10(abs(x))')``."""
    name: str
    args: Tuple[str, ...]
    body: str

    def __post_init__(self):
        object.__setattr__(self, "args", tuple(self.args))

    def check(self) -> None:
        check_name(".func", self.name)
        for a in self.args:
            check_name(f".func {self.name}", a)
        if not isinstance(self.body, str) or not self.body.strip() or "\n" in self.body:
            raise InvalidValueError(f".func {self.name}: body must be a non-empty one-line expression")

    def card(self) -> str:
        body = self.body.strip()
        body = body if body.startswith("{") and body.endswith("}") else "{" + body + "}"
        return f".func {self.name}({', '.join(self.args)}) {body}"


@dataclass(frozen=True)
class Subcircuit:
    """A ``.subckt``: ports, elements, default parameters and its own model cards."""
    name: str
    ports: Tuple[str, ...]
    elements: Tuple[Element, ...]
    params: Dict[str, Value] = field(default_factory=dict)
    models: Tuple[Model, ...] = ()
    allow_dangling: FrozenSet[str] = frozenset()

    def __post_init__(self):
        object.__setattr__(self, "ports", tuple(self.ports))
        object.__setattr__(self, "elements", tuple(self.elements))
        object.__setattr__(self, "models", tuple(self.models))
        object.__setattr__(self, "allow_dangling", frozenset(self.allow_dangling))

    def lines(self) -> list:
        params = f" params: {format_params(self.params)}" if self.params else ""
        out = [f".subckt {self.name} {' '.join(self.ports)}{params}"]
        out += [m.card() for m in self.models]
        out += [e.card() for e in self.elements]
        out.append(f".ends {self.name}")
        return out


@dataclass(frozen=True)
class Circuit:
    """A complete netlist: what :func:`circuitlab.simulate` runs and :meth:`to_text` writes.

    ``allow_dangling`` names nodes deliberately touched by a single terminal (e.g. a probe node).
    ``initial_conditions`` maps node names to ``.ic`` voltages in volt, ``nodesets`` to ``.nodeset``
    guesses. ``libs`` holds ``.lib PATH SECTION`` pairs. ``control`` is a ``.control`` block's commands,
    written verbatim (then ngspice runs them instead of the plain analyses; see :mod:`circuitlab.sim.deck`).
    ``saves`` lists ``.save`` vectors (``'all'``, ``'v(out)'``, ``'@m1[id]'``): only those are kept.
    """
    title: str
    elements: Tuple[Element, ...] = ()
    subcircuits: Tuple[Subcircuit, ...] = ()
    models: Tuple[Model, ...] = ()
    params: Dict[str, Value] = field(default_factory=dict)
    functions: Tuple[Function, ...] = ()
    includes: Tuple[str, ...] = ()
    options: Dict[str, Union[Value, bool]] = field(default_factory=dict)
    initial_conditions: Dict[str, Value] = field(default_factory=dict)
    analyses: Tuple[Analysis, ...] = ()
    measures: Tuple[Measure, ...] = ()
    allow_dangling: FrozenSet[str] = frozenset()
    nodesets: Dict[str, Value] = field(default_factory=dict)
    libs: Tuple[Tuple[str, str], ...] = ()
    control: Tuple[str, ...] = ()
    saves: Tuple[str, ...] = ()

    def __post_init__(self):
        # tuple() of a tuple and frozenset() of a frozenset return the argument itself: skip those calls
        if not (self.elements.__class__ is self.subcircuits.__class__ is self.models.__class__
                is self.includes.__class__ is self.analyses.__class__ is self.measures.__class__
                is self.functions.__class__ is tuple):
            for name in ("elements", "subcircuits", "models", "includes", "analyses", "measures", "functions"):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.includes:
            object.__setattr__(self, "includes", tuple(str(p) for p in self.includes))
        if self.libs.__class__ is not tuple or self.control.__class__ is not tuple \
                or self.saves.__class__ is not tuple:
            object.__setattr__(self, "libs", tuple((str(p), str(s)) for p, s in self.libs))
            object.__setattr__(self, "control", tuple(self.control))
            object.__setattr__(self, "saves", tuple(self.saves))
        if self.allow_dangling.__class__ is not frozenset:
            object.__setattr__(self, "allow_dangling", frozenset(self.allow_dangling))
        validate_circuit(self)

    def with_(self, **changes) -> "Circuit":
        """A copy with some fields replaced (validated again)."""
        from dataclasses import replace
        return replace(self, **changes)

    def lines(self) -> list:
        title = " ".join(self.title.split()) or "circuitlab circuit"
        out = [title]
        if self.includes:
            out += [f'.include "{p}"' for p in self.includes]
        if self.libs:
            out += [f'.lib "{p}" {s}'.rstrip() for p, s in self.libs]
        if self.params:
            out += [f".param {k}={format_value(v)}" for k, v in self.params.items()]
        out += [f.card() for f in self.functions]
        if self.options:
            # option values are numbers or keywords (method=gear): strings are written as they are
            opts = [k if v is True else f"{k}={v.strip() if isinstance(v, str) else format_value(v)}"
                    for k, v in self.options.items() if v is not False]
            out.append(".options " + " ".join(opts))
        if self.models:
            out += [m.card() for m in self.models]
        for sub in self.subcircuits:
            out += sub.lines()
        out += [e.card() for e in self.elements]
        if self.initial_conditions:
            out.append(".ic " + " ".join(f"v({n})={format_value(v)}" for n, v in self.initial_conditions.items()))
        if self.nodesets:
            out.append(".nodeset " + " ".join(f"v({n})={format_value(v)}" for n, v in self.nodesets.items()))
        if self.saves:
            out.append(".save " + " ".join(self.saves))
        out += [a.card() for a in self.analyses]
        out += [m.card() for m in self.measures]
        if self.control:
            out += [".control", *self.control, ".endc"]
        out.append(".end")
        return out

    def to_text(self) -> str:
        """The netlist as ngspice input text (deterministic, ends with a newline)."""
        return "\n".join(self.lines()) + "\n"

    def write(self, path: Union[str, Path]) -> Path:
        """Write the netlist to ``path`` and return the path."""
        path = Path(path)
        path.write_text(self.to_text())
        return path

    def element(self, name: str) -> Optional[Element]:
        """The top-level element with this SPICE name (case-insensitive), or None."""
        key = name.lower()
        for e in self.elements:
            if e.spice_name.lower() == key:
                return e
        return None


def subcircuit_index(circuit: Circuit) -> Mapping[str, Subcircuit]:
    return {s.name.lower(): s for s in circuit.subcircuits}
