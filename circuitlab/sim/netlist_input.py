"""Turning whatever the user hands to :func:`simulate` into netlist text ngspice can run.

Accepted: a :class:`~circuitlab.netlist.Circuit`, netlist text, a path to a ``.cir``/``.sp`` file (or any
existing file, whatever its suffix), or a PySpice ``Circuit`` (its ``str()``). Relative ``.include``/``.lib`` paths are made absolute (relative to
the file, or to the working directory for text), because ngspice runs in its own run directory.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Optional, Tuple

from ..errors import CircuitlabError, NetlistError
from .deck import split_deck

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
    elif isinstance(netlist, os.PathLike) or (isinstance(netlist, str) and "\n" not in netlist and (
            netlist.strip().lower().endswith((".cir", ".sp", ".spi", ".net", ".spice")) or _is_file(netlist))):
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
    deck = split_deck(_absolute_includes(text, base))
    lines = [*deck.circuit, *extra_cards]
    if deck.own_control:  # every control block, wherever it stood, moves before .end in one block
        lines += [".control", *deck.commands, ".endc"]
    lines.append(".end")
    return "\n".join(lines) + "\n", source


def _is_file(text: str) -> bool:
    try:
        return Path(text.strip()).is_file()
    except (OSError, ValueError):
        return False


def has_control_block(text: str) -> bool:
    return re.search(r"^\s*\.control\b", text, re.IGNORECASE | re.MULTILINE) is not None
