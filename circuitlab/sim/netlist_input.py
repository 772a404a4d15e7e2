"""Turning whatever the user hands to :func:`simulate` into netlist text ngspice can run.

Accepted: a :class:`~circuitlab.netlist.Circuit`, netlist text, a path to a ``.cir``/``.sp`` file, or a
PySpice ``Circuit`` (its ``str()``). Relative ``.include``/``.lib`` paths are made absolute (relative to
the file, or to the working directory for text), because ngspice runs in its own run directory.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Optional, Tuple

from ..errors import CircuitlabError, NetlistError

_INCLUDE = re.compile(r'^(\s*\.(?:include|inc|lib)\s+)(["\']?)([^"\'\s]+)\2(.*)$', re.IGNORECASE)
_END = re.compile(r"^\s*\.end\s*$", re.IGNORECASE)


def _absolute_includes(text: str, base: Path) -> str:
    out = []
    for line in text.splitlines():
        m = _INCLUDE.match(line)
        if m and not os.path.isabs(m.group(3)):
            line = f'{m.group(1)}"{(base / m.group(3)).resolve()}"{m.group(4)}'
        out.append(line)
    return "\n".join(out) + "\n"


def netlist_text(netlist, extra_cards: Iterable[str] = ()) -> Tuple[str, Optional[Path]]:
    """Return (runnable text, source file path or None). ``extra_cards`` are inserted before ``.end``."""
    source: Optional[Path] = None
    from ..netlist import Circuit
    if isinstance(netlist, Circuit):
        text, base = netlist.to_text(), Path.cwd()
    elif isinstance(netlist, os.PathLike) or (isinstance(netlist, str) and "\n" not in netlist
                                             and netlist.strip().lower().endswith((".cir", ".sp", ".spi", ".net", ".spice"))):
        source = Path(netlist)
        if not source.is_file():
            raise CircuitlabError(f"netlist file {str(source)!r} does not exist; give the path of a .cir file")
        text, base = source.read_text(errors="replace"), source.resolve().parent
    elif isinstance(netlist, str):
        text, base = netlist, Path.cwd()
    elif type(netlist).__module__.startswith("PySpice"):
        text, base = str(netlist), Path.cwd()
    else:
        raise CircuitlabError(f"cannot simulate a {type(netlist).__name__}; pass a circuitlab Circuit, netlist "
                              f"text, a .cir path or a PySpice Circuit")
    if not text.strip():
        raise NetlistError("the netlist is empty; give at least a title line, elements and an analysis")
    lines = _absolute_includes(text, base).splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and _END.match(lines[-1]):
        lines.pop()
    lines += list(extra_cards)
    lines.append(".end")
    return "\n".join(lines) + "\n", source


def has_control_block(text: str) -> bool:
    return re.search(r"^\s*\.control\b", text, re.IGNORECASE | re.MULTILINE) is not None
