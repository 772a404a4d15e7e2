"""Validation of the netlist IR, run whenever a :class:`~circuitlab.netlist.circuit.Circuit` is built.

Checks (each failure is a typed :class:`~circuitlab.errors.CircuitError` naming the element and the
fix): element values, duplicate names per scope, references to unknown models, subcircuits or
controlling sources, a missing ground, subcircuit port counts and nodes touched by one terminal.
All checks are linear in the number of elements.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Tuple

from ..errors import (DanglingNodeError, DuplicateNameError, InvalidValueError, MissingGroundError,
                      UnknownReferenceError)
from .values import check_name, check_node

GROUND_NAMES = frozenset({"0", "gnd"})
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
    for e in elements:
        e.check()
    _check_unique(scope, (e.spice_name for e in elements), "elements")
    sources = {e.spice_name.lower() for e in elements if e.PREFIX == "V"}
    terminals = Counter()
    for e in elements:
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
            if kind == "source" and key not in sources:
                raise UnknownReferenceError(
                    f"{scope}: {e.spice_name} is controlled by {name!r}, which is not a voltage source in "
                    f"the same scope; add a (0 V) VoltageSource named {name!r} in the controlling branch")
        terminals.update(e.nodes())
    for port in ports:
        terminals[port] += 1
    allowed = set(allow_dangling) | GROUND_NAMES
    for node, count in terminals.items():
        if count == 1 and node not in allowed:
            owner = next(e.spice_name for e in elements if node in e.nodes()) if node not in ports else "port"
            raise DanglingNodeError(
                f"{scope}: node {node!r} is touched only by {owner}; connect it, or list it in "
                f"allow_dangling if that is intended")
    return terminals


def validate_circuit(circuit) -> None:
    """Raise a :class:`~circuitlab.errors.CircuitError` subclass if the circuit is not valid."""
    inc_subckts, inc_models = included_definitions(circuit.includes)
    _check_unique("circuit", (s.name for s in circuit.subcircuits), "subcircuits")
    _check_unique("circuit", (m.name for m in circuit.models), "models")
    for m in circuit.models:
        m.check()
    models = {m.name.lower() for m in circuit.models} | inc_models
    subckts = {s.name.lower() for s in circuit.subcircuits} | inc_subckts
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
    if circuit.elements and not any(g in terminals for g in GROUND_NAMES):
        raise MissingGroundError(
            "circuit: no element connects to ground (node '0'); connect the reference node to '0'")
    for k in circuit.params:
        check_name(".param", k)
    for node in circuit.initial_conditions:
        if node not in terminals:
            raise UnknownReferenceError(f".ic: node {node!r} is not in the circuit; use an existing node")
    for a in circuit.analyses:
        a.check()
    _check_unique("circuit", (m.name for m in circuit.measures), ".meas statements")
    for m in circuit.measures:
        m.check()
