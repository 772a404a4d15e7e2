"""Formatting and checking of SPICE values.

A *value* is a number (SI units, written losslessly) or a parameter expression (a string, written in
braces so that ngspice evaluates it). Numbers are written with Python's shortest round-trip repr, so
the same float always gives the same text and reads back to the same float.
"""
from __future__ import annotations

import math
import numbers
import re
from typing import Union

from ..errors import InvalidValueError

Value = Union[float, int, str]

_NODE_FORBIDDEN = re.compile(r"[\s(),={}]")
_NAME = re.compile(r"^[A-Za-z0-9_.#+\-\[\]<>:!$]+$")


class SpiceNumber(float):
    """A number read from SPICE text that remembers its spelling (``2.2u``, ``1.9``): written back as
    it was read, so ngspice parses the same double (ngspice's own reader can land one ulp away from
    Python's: ``1.9`` reads as 1.9000000000000001). Equal to, and usable as, the float."""
    __slots__ = ("spice_text",)

    def __new__(cls, value: float, text: str):
        obj = super().__new__(cls, value)
        obj.spice_text = text
        return obj

    def __repr__(self) -> str:
        return float.__repr__(self)

    def __reduce__(self):
        return (SpiceNumber, (float(self), self.spice_text))


def format_number(x: float | int) -> str:
    """Write a finite number without loss: ints as ints, floats by shortest round-trip repr."""
    if x.__class__ is float:  # the common case, without the numbers-ABC checks below
        return repr(x)
    if x.__class__ is SpiceNumber:
        return x.spice_text
    if isinstance(x, bool):
        raise InvalidValueError(f"boolean {x!r} is not a circuit value; pass a number")
    if isinstance(x, numbers.Integral):
        return str(int(x))
    return repr(float(x))


# repr() of a float costs as much as the rest of writing a card; circuits built per Monte Carlo sample
# repeat most of their numbers (times, levels), so the text of a float is remembered. Exact: two equal
# floats have the same repr, except 0.0 and -0.0, which are never stored.
_FLOAT_TEXT: dict = {}
_FLOAT_TEXT_LIMIT = 4096


def format_value(v: Value) -> str:
    """Write a value: a number as is, an expression wrapped in braces."""
    if v.__class__ is float:  # the common case: what format_number writes for a float
        text = _FLOAT_TEXT.get(v)
        if text is None:
            text = repr(v)
            if v:
                if len(_FLOAT_TEXT) >= _FLOAT_TEXT_LIMIT:
                    _FLOAT_TEXT.clear()
                _FLOAT_TEXT[v] = text
        return text
    if isinstance(v, str):
        text = v.strip()
        if not text:
            raise InvalidValueError("empty expression; pass a number or a parameter expression")
        return text if text.startswith("{") and text.endswith("}") else "{" + text + "}"
    return format_number(v)


def check_number(owner: str, what: str, v: Value, *, positive: bool = False, nonnegative: bool = False) -> None:
    """Raise :class:`InvalidValueError` for a non-finite number or a sign that is impossible.

    Expressions (strings) are checked by ngspice at run time, not here.
    """
    if v.__class__ is float and math.isfinite(v) and not (positive and v <= 0) and not (nonnegative and v < 0):
        return  # the common case, without the numbers-ABC checks below
    if isinstance(v, str):
        if not v.strip():
            raise InvalidValueError(f"{owner}: {what} is an empty expression; give a number or an expression")
        return
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise InvalidValueError(f"{owner}: {what}={v!r} is not a number; give a finite float in SI units")
    if not math.isfinite(float(v)):
        raise InvalidValueError(f"{owner}: {what}={v!r} is not finite; give a finite value in SI units")
    if positive and v <= 0:
        raise InvalidValueError(f"{owner}: {what}={v!r} must be > 0")
    if nonnegative and v < 0:
        raise InvalidValueError(f"{owner}: {what}={v!r} must be >= 0")


_SEEN_NODES: set = set()   # strings already accepted (Monte Carlo builds the same names many times)
_SEEN_NAMES: set = set()
_SEEN_LIMIT = 100_000


def _remember(seen: set, text: str) -> None:
    if len(seen) >= _SEEN_LIMIT:
        seen.clear()
    seen.add(text)


def check_node(owner: str, node: str) -> None:
    """Node names are non-empty and contain no whitespace, parentheses, commas, '=' or braces."""
    if node.__class__ is str and node in _SEEN_NODES:
        return
    if not isinstance(node, str) or not node or _NODE_FORBIDDEN.search(node):
        raise InvalidValueError(
            f"{owner}: node name {node!r} is not valid; use letters, digits and '_' (ground is '0')")
    _remember(_SEEN_NODES, node)


def check_nodes(owner: str, nodes) -> None:
    """:func:`check_node` for each node (the loop skips the call for the strings already accepted)."""
    for node in nodes:
        if node.__class__ is not str or node not in _SEEN_NODES:
            check_node(owner, node)


def check_name(owner: str, name: str) -> None:
    """Element, model, subcircuit and parameter names are single SPICE tokens."""
    if name.__class__ is str and name in _SEEN_NAMES:
        return
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidValueError(f"{owner}: name {name!r} is not a valid SPICE name; use letters, digits and '_'")
    _remember(_SEEN_NAMES, name)


def format_params(params) -> str:
    """Write ``k=v`` pairs in the caller's order (dicts keep insertion order)."""
    return " ".join(f"{k}={format_value(v)}" for k, v in dict(params).items())
