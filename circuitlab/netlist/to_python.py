"""A circuit as the Python code that builds it (``circuitlab netlist import DECK --python``).

Every IR object is a frozen dataclass: the code calls its constructor with the fields that differ from
their defaults, as keywords, so executing it gives a circuit equal (``==``) to the one written.
"""
from __future__ import annotations

import dataclasses
from typing import List

_INDENT = "    "


def _literal(value, depth: int) -> str:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _call(value, depth)
    if isinstance(value, (list, tuple)):
        if not value:
            return "()"
        items = [_literal(v, depth + 1) for v in value]
        one = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if len(one) + depth * 4 < 100 and "\n" not in one:
            return one
        pad = _INDENT * (depth + 1)
        return "(\n" + "".join(f"{pad}{i},\n" for i in items) + _INDENT * depth + ")"
    if isinstance(value, frozenset):
        return "frozenset(" + repr(sorted(value)) + ")" if value else "frozenset()"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_literal(v, depth + 1)}" for k, v in value.items()) + "}"
    return repr(value)


def _call(obj, depth: int) -> str:
    """``Cls(required..., key=value...)``: required fields by position; optional ones by keyword, left
    out where they equal an empty or zero default (a non-zero numeric default, like a resistor's 1 kOhm,
    is always written, so the code shows every value)."""
    args: List[str] = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            args.append(_literal(value, depth + 1))
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        numeric = isinstance(default, (int, float)) and not isinstance(default, bool) and default != 0
        if value == default and type(value) is type(default) and not numeric:
            continue
        if isinstance(value, (tuple, frozenset, dict)) and not value and not default:
            continue
        args.append(f"{f.name}={_literal(value, depth + 1)}")
    one = f"{type(obj).__name__}(" + ", ".join(args) + ")"
    if len(one) + depth * 4 < 110 and "\n" not in one:
        return one
    pad = _INDENT * (depth + 1)
    return f"{type(obj).__name__}(\n" + "".join(f"{pad}{a},\n" for a in args) + _INDENT * depth + ")"


def circuit_to_python(circuit, name: str = "circuit") -> str:
    """Python source that rebuilds ``circuit`` (imports included), ending with ``name = Circuit(...)``."""
    from . import __all__ as exported
    used = sorted({type(o).__name__ for o in _objects(circuit)} & set(exported))
    head = "from circuitlab.netlist import " + ", ".join(used)
    return f"{head}\n\n{name} = {_call(circuit, 0)}\n"


def _objects(obj):
    yield obj
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from _objects(getattr(obj, f.name))
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _objects(v)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _objects(v)
