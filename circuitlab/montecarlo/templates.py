"""Netlist templates: ``{name}`` placeholders and the static check of their names at spec load.

A placeholder is filled from the run's values (``[parameters]`` after variation, ``[sweep]`` axes,
``[[jitter]]`` waveforms, ``mc_sample``, ``mc_seed``); other braces (``{r*2}``) are ngspice's own
expressions and stay as they are. ``{name}`` where ``name`` is none of those values is allowed only if
the template defines it for ngspice itself (``.param name=``, ``params: name=`` of a subcircuit, or
an instance's ``name=``); anything else is a :class:`~circuitlab.errors.ConfigError` at spec load.
"""
from __future__ import annotations

import re
from typing import Iterable, List

from ..errors import ConfigError

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ASSIGNED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=")
_DEFINING = re.compile(r"^\s*(\.param|\.subckt|\.func|x)", re.IGNORECASE)


def placeholders(template: str) -> List[str]:
    """Names of ``{name}`` placeholders, in order of first appearance."""
    return list(dict.fromkeys(PLACEHOLDER.findall(template)))


def defined_in(template: str) -> set:
    """Names the template defines for ngspice (``.param``, ``.subckt ... params:``, ``.func``, X lines)."""
    names = set()
    for line in template.splitlines():
        if _DEFINING.match(line):
            names.update(n.lower() for n in _ASSIGNED.findall(line))
            if line.lstrip().lower().startswith(".func"):
                names.update(n.lower() for n in re.findall(r"[A-Za-z_]\w*", line.split("=", 1)[0]))
    return names


def check_placeholders(template: str, names: Iterable[str]) -> None:
    """ConfigError naming every placeholder that neither the run's values (``names``) nor the template
    itself define."""
    known = set(names)
    own = defined_in(template)
    missing = [p for p in placeholders(template) if p not in known and p.lower() not in own]
    if missing:
        raise ConfigError(f"template: placeholder {', '.join('{' + m + '}' for m in missing)} names no entry of "
                          f"[parameters], [sweep] or [[jitter]] (have: {', '.join(sorted(known)) or 'none'}); "
                          f"add it to [parameters] or define it in the template with .param")
