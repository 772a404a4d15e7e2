"""Device cards in campaign specs: ``card = "PATH.toml"`` (or a shipped card's name, e.g. ``"vcmtj"``).

A device card is a TOML file of one table per parameter, each with a numeric ``value`` in SI units: the
shipped VC-MTJ card (``circuitlab/circuits/cards/vcmtj.toml``), a card written by ``circuitlab devices
calibrate vcmtj|rram``, or one a user writes. When a spec is parsed, its ``card`` line is replaced by a
comment and the card's values are appended to the spec text as a ``[device_card]`` table (with the
card's path and SHA-256 in a comment), so the stored spec is self-contained: workers, ``mc resume`` and
``mc rerun`` read the values the campaign ran with, not whatever the file holds later.

Precedence: ``[device_card]`` values replace ``[parameters]`` entries of the same name (the spec's
``[parameters]`` are the defaults a spec runs with when no card is given; a card replaces the device),
and ``[sweep]`` axes replace both at their grid points. ``[[variation]]`` may name card parameters
(e.g. a 2 % process spread of a calibrated ``ki``). ``circuitlab mc run SPEC --card PATH`` puts a card
into a spec without editing it (:func:`with_card`).
"""
from __future__ import annotations

import hashlib
import math
import re
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

from ..errors import ConfigError

TABLE = "device_card"
_CARD_LINE = re.compile(r"^card\s*=.*$", re.MULTILINE)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")


def shipped_card(name: str) -> Optional[Path]:
    """The shipped card ``circuitlab/circuits/cards/<name>.toml`` (a data file, not an import), or None."""
    if not _IDENT.match(name):
        return None
    node = files("circuitlab") / "circuits" / "cards" / f"{name}.toml"
    return node if isinstance(node, Path) and node.is_file() else None


def resolve(card: str, base: Optional[Path]) -> Path:
    """The card file ``card`` names: a shipped card's name, or a path (relative to the spec's folder)."""
    shipped = shipped_card(card)      # None for anything but a bare name
    if shipped is not None:
        return shipped
    path = Path(card).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    if not path.is_file():
        raise ConfigError(f"campaign spec: card {card!r}: no such file ({str(path)!r}) and no shipped card of that "
                          f"name; give a card TOML (e.g. from 'circuitlab devices calibrate vcmtj --out CARD.toml') "
                          f"or 'vcmtj'")
    return path


def read_values(path: Path, raw: Optional[bytes] = None) -> Dict[str, float]:
    """name -> value of a card file (``raw``: its bytes, if already read): every top-level table needs a
    finite numeric ``value``."""
    raw = path.read_bytes() if raw is None else raw
    try:
        tables = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"card {str(path)!r} is not a TOML text file ({exc}); give a device card (one table per "
                          f"parameter with a value)") from None
    values = {}
    for name, entry in tables.items():
        if not isinstance(entry, Mapping) or "value" not in entry:
            raise ConfigError(f"card {str(path)!r}: [{name}] needs a value (one table per parameter, value in SI "
                              f"units, as 'devices calibrate' writes)")
        v = entry["value"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ConfigError(f"card {str(path)!r}: [{name}] value={v!r} must be a finite number")
        if not _IDENT.match(name) or name.startswith("mc_"):
            raise ConfigError(f"card {str(path)!r}: [{name}] is not usable as a campaign parameter name "
                              f"(letters, digits and _, not starting with mc_)")
        values[name] = float(v)
    if not values:
        raise ConfigError(f"card {str(path)!r} holds no parameter tables")
    return values


def inline(text: str, data: Mapping, base: Optional[Path]) -> Tuple[str, dict]:
    """The spec text with its ``card = ...`` line replaced by a ``[device_card]`` table of the card's values,
    and the re-parsed data. ConfigError if the spec also has a ``[device_card]`` table."""
    card = data["card"]
    if not isinstance(card, str) or not card:
        raise ConfigError(f"campaign spec: card={card!r} must be a file path or a shipped card's name (string)")
    if TABLE in data:
        raise ConfigError(f"campaign spec: give card = ... or a [{TABLE}] table, not both")
    path = resolve(card, base)
    raw = path.read_bytes()
    values = read_values(path, raw)
    digest = hashlib.sha256(raw).hexdigest()
    head = _CARD_LINE.sub(lambda m: f"# {m.group(0)}  (inlined below as [{TABLE}])", text, count=1)
    lines = ["", f"[{TABLE}]   # from {path.name} (sha256 {digest[:16]}), inlined when the spec was loaded"]
    lines += [f"{k} = {v!r}" for k, v in values.items()]
    new = head.rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    try:
        parsed = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"campaign spec: could not inline card {card!r} ({exc}); put `card = ...` on one line "
                          f"before the first table") from None
    if "card" in parsed:
        raise ConfigError("campaign spec: put `card = ...` on a line of its own before the first table")
    return new, parsed


def with_card(text: str, card: Path) -> str:
    """The spec text with ``card`` set to ``card`` (absolute path): replaces a top-level ``card = ...``
    line or adds one at the top (``mc run --card``)."""
    if not Path(card).is_file():
        raise ConfigError(f"--card {str(card)!r}: no such file; give a device card TOML (e.g. from "
                          f"'circuitlab devices calibrate vcmtj --out CARD.toml')")
    data = tomllib.loads(text)
    if TABLE in data:
        raise ConfigError(f"--card: the spec already holds a [{TABLE}] table (a stored, inlined card); run its "
                          f"source spec with --card instead")
    line = f"card = {_quote(str(Path(card).resolve()))}"
    if "card" in data:
        return _CARD_LINE.sub(lambda m: line, text, count=1)
    return line + "\n" + text


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def card_parameters(data: Mapping) -> Dict[str, float]:
    """The ``[device_card]`` table of parsed spec data (name -> float), checked."""
    table = data.get(TABLE, {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"campaign spec: [{TABLE}] must be a table of name = number")
    out = {}
    for k, v in table.items():
        if not _IDENT.match(k) or isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ConfigError(f"[{TABLE}]: {k} = {v!r} must be an identifier = a finite number")
        out[k] = float(v)
    return out
