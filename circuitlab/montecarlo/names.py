"""Names from a campaign spec that end up in netlist text, checked when the spec is parsed.

A spec's ``[record] vectors`` are written into the ``.save`` line of stacked netlists and looked up in
ngspice's results, so a name holding a newline would add cards of its own (a ``.control`` block with
``shell`` runs a command). Every such name must therefore match one of the forms below exactly, in
ASCII, with no whitespace: anything else is a :class:`~circuitlab.errors.ConfigError` at spec load.

Vector names: ``v(node)``, ``v(node1,node2)``, ``i(source)``, a plain node or vector name (``out``,
``v1#branch``, starting with a letter, digit or ``_``) or a device parameter ``@device[param]``; node,
source and device names use the characters a circuitlab netlist allows (letters, digits and
``_ . # + - [ ] < > : ! $``).
Identifiers (parameter, sweep, jitter, measure and derived names): letters, digits and ``_``, not
starting with a digit. The campaign ``name`` is one line of printable text.
"""
from __future__ import annotations

import re

from ..errors import ConfigError

_CHAR = r"[A-Za-z0-9_.#+\-\[\]<>:!$]"  # a character of a circuitlab.netlist node or element name
_NODE = _CHAR + "+"
_VECTOR = re.compile(rf"(?:[vV]\({_NODE}(?:,{_NODE})?\)|[iI]\({_NODE}\)|@?[A-Za-z0-9_]{_CHAR}*)", re.ASCII)
VECTOR_FORMS = ("v(node), v(node1,node2), i(source), a plain node name or @device[param], made of letters, "
                "digits and _ . # + - [ ] < > : ! $ (no spaces, newlines or other cards)")


def check_vector(name: object, where: str) -> str:
    """``name`` if it is a vector name of an allowed form, else ConfigError naming it and the forms."""
    if not isinstance(name, str) or _VECTOR.fullmatch(name) is None:
        raise ConfigError(f"{where}: vectors entry {name!r} is not a vector name; give {VECTOR_FORMS}")
    return name


def check_line(text: str, key: str, where: str) -> str:
    """``text`` if it is one line of printable characters (no newline or other control character)."""
    bad = next((ch for ch in text if not ch.isprintable()), None)
    if bad is not None:
        raise ConfigError(f"{where}: {key}={text!r} holds the control character {bad!r}; give one line of "
                          f"printable text")
    return text
