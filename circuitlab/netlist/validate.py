"""Validation of the netlist IR, run whenever a :class:`~circuitlab.netlist.circuit.Circuit` is built.

Checks (each failure is a typed :class:`~circuitlab.errors.CircuitError` naming the element and the
fix): element values, duplicate names per scope, references to unknown models, subcircuits or
controlling sources, a missing ground, subcircuit port counts and nodes touched by one terminal.
All checks are linear in the number of elements.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Tuple

from ..errors import (DanglingNodeError, DuplicateNameError, InvalidValueError, MissingGroundError,
                      UnknownReferenceError)
from .elements import Element
from .values import check_name, check_node

GROUND_NAMES = frozenset({"0", "gnd"})
_NO_REFERENCES = Element.references  # elements that need nothing defined elsewhere
_DEFINITION = re.compile(r"^\s*\.(subckt|model)\s+(\S+)", re.IGNORECASE | re.MULTILINE)


@lru_cache(maxsize=64)
def _names_in_include(path: str, mtime: float) -> Tuple[frozenset, frozenset]:
    text = Path(path).read_text(errors="replace")
    subckts, models = set(), set()
    for kind, name in _DEFINITION.findall(text):
        (subckts if kind.lower() == "subckt" else models).add(name.lower())
    return frozenset(subckts), frozenset(models)


def included_definitions(includes: Iterable[str]) -> Tuple[set, set]:
    """Subcircuit and model names defined in the included files (which must exist)."""
    subckts, models = set(), set()
    for inc in includes:
        p = Path(inc)
        if not p.is_file():
            raise UnknownReferenceError(
                f".include {inc!r}: file not found; give an existing path (absolute, or relative to the run)")
        s, m = _names_in_include(str(p.resolve()), p.stat().st_mtime)
        subckts |= s
        models |= m
    return subckts, models


def _check_unique(scope: str, names: Iterable[str], what: str) -> None:
    seen = {}
    for name in names:
        key = name.lower()
        if key in seen:
            same = f"{seen[key]!r}" if seen[key] == name else f"{seen[key]!r} and {name!r}"
            raise DuplicateNameError(
                f"{scope}: two {what} are named {same} (SPICE names are case-insensitive); rename one")
        seen[key] = name


def _check_scope(scope, elements, models, subckts, ports, allow_dangling, port_counts):
    terminals = {}  # node -> number of terminals on it, in order of first use
    for e in elements:
        e.check()
        for node in e.nodes():
            terminals[node] = terminals.get(node, 0) + 1
    names = [e.spice_name for e in elements]
    _check_unique(scope, names, "elements")
    sources = None  # lower-case names of the voltage sources, made when a reference needs them
    for e in elements:
        if type(e).references is _NO_REFERENCES:
            continue  # the base class's {}: nothing to look up
        for kind, name in e.references().items():
            key = name.lower()
            if kind == "model" and key not in models:
                raise UnknownReferenceError(
                    f"{scope}: {e.spice_name} uses model {name!r}, which is not defined; add a Model "
                    f"card or an .include that defines it")
            if kind == "subckt":
                if key not in subckts:
                    raise UnknownReferenceError(
                        f"{scope}: {e.spice_name} instantiates subcircuit {name!r}, which is not defined; "
                        f"add it to Circuit.subcircuits or .include the file that defines it")
                expected = port_counts.get(key)
                if expected is not None and expected != len(e.nodes()):
                    raise InvalidValueError(
                        f"{scope}: {e.spice_name} connects {len(e.nodes())} nodes but subcircuit {name!r} "
                        f"has {expected} ports; connect every port in order")
            if kind.startswith("inductor"):
                inductors = {n.lower() for v, n in zip(elements, names) if v.PREFIX == "L"}
                if key not in inductors:
                    raise UnknownReferenceError(
                        f"{scope}: {e.spice_name} couples {name!r}, which is not an inductor in the same "
                        f"scope; name an existing Inductor")
            if kind == "source":
                if sources is None:
                    sources = {n.lower() for v, n in zip(elements, names) if v.PREFIX == "V"}
                if key not in sources:
                    raise UnknownReferenceError(
                        f"{scope}: {e.spice_name} is controlled by {name!r}, which is not a voltage source "
                        f"in the same scope; add a (0 V) VoltageSource named {name!r} in the controlling "
                        f"branch")
    for port in ports:
        terminals[port] = terminals.get(port, 0) + 1
    for node, count in terminals.items():
        if count == 1 and node not in GROUND_NAMES and node not in allow_dangling:
            owner = next(e.spice_name for e in elements if node in e.nodes()) if node not in ports else "port"
            raise DanglingNodeError(
                f"{scope}: node {node!r} is touched only by {owner}; connect it, or list it in "
                f"allow_dangling if that is intended")
    return terminals


def validate_circuit(circuit) -> None:
    """Raise a :class:`~circuitlab.errors.CircuitError` subclass if the circuit is not valid."""
    # the empty-collection guards below only skip work that would find nothing to check
    files = circuit.includes + tuple(p for p, _ in circuit.libs) if circuit.libs else circuit.includes
    inc_subckts, inc_models = included_definitions(files) if files else ((), ())
    models, subckts, port_counts = set(inc_models), set(inc_subckts), {}
    if circuit.subcircuits:
        _check_unique("circuit", (s.name for s in circuit.subcircuits), "subcircuits")
    if circuit.models:
        _check_unique("circuit", (m.name for m in circuit.models), "models")
        for m in circuit.models:
            m.check()
        models |= {m.name.lower() for m in circuit.models}
    if circuit.subcircuits:
        subckts |= {s.name.lower() for s in circuit.subcircuits}
        port_counts = {s.name.lower(): len(s.ports) for s in circuit.subcircuits}
    for sub in circuit.subcircuits:
        check_name(".subckt", sub.name)
        for port in sub.ports:
            check_node(f"subckt {sub.name}", port)
        _check_unique(f"subckt {sub.name}", sub.ports, "ports")
        for m in sub.models:
            m.check()
        local_models = models | {m.name.lower() for m in sub.models}
        _check_scope(f"subckt {sub.name}", sub.elements, local_models, subckts, sub.ports,
                     sub.allow_dangling, port_counts)
    terminals = _check_scope("circuit", circuit.elements, models, subckts, (), circuit.allow_dangling,
                             port_counts)
    if circuit.elements and "0" not in terminals and "gnd" not in terminals:  # i.e. none of GROUND_NAMES
        raise MissingGroundError(
            "circuit: no element connects to ground (node '0'); connect the reference node to '0'")
    for k in circuit.params:
        check_name(".param", k)
    if circuit.functions:
        _check_unique("circuit", (f.name for f in circuit.functions), ".func definitions")
        for f in circuit.functions:
            f.check()
    for node in circuit.initial_conditions:
        if node not in terminals:
            raise UnknownReferenceError(f".ic: node {node!r} is not in the circuit; use an existing node")
    for a in circuit.analyses:
        a.check()
    # repeated .meas names are legal: simulate() keys them name, name#2, ...
    for node in circuit.nodesets:
        if node not in terminals:
            raise UnknownReferenceError(f".nodeset: node {node!r} is not in the circuit; use an existing node")
    for path, _section in circuit.libs:
        if not Path(path).is_file():
            raise UnknownReferenceError(f".lib {path!r}: file not found; give an existing path")
    for vector in circuit.saves:
        if not isinstance(vector, str) or not vector.strip() or any(c.isspace() for c in vector.strip()):
            raise InvalidValueError(f".save: {vector!r} must be one vector name without spaces (v(out), all)")
    for line in circuit.control:
        if not isinstance(line, str) or "\n" in line or line.strip().lower().startswith((".endc", ".end")):
            raise InvalidValueError(f"control block: line {line!r} must be one control command (no .endc/.end)")
    for m in circuit.measures:
        m.check()
