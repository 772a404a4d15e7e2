"""SPICE netlist text as cards: continuation lines joined, comments removed, tokens, values with
SPICE's scale suffixes (ngspice 39 manual, chapter 2.1). Used by :mod:`circuitlab.netlist.spice_import`."""
from __future__ import annotations

import re
from typing import Dict, List, Tuple

from ..errors import NetlistParseError, UnsupportedConstructError
from .values import SpiceNumber

_SCALE = {"t": 12, "g": 9, "meg": 6, "k": 3, "mil": None, "m": -3, "u": -6, "n": -9, "p": -12, "f": -15,
          "a": -18}
_NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(meg|mil|[tgkmunpfa])?[a-z]*$", re.IGNORECASE)
_TOKEN = re.compile(r"\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|'[^']*'|[()=,]|[^\s(){}=,']+")
NODE_VALUE = re.compile(r"v\(\s*([^)\s]+)\s*\)\s*=\s*(\{[^}]*\}|'[^']*'|\S+)", re.IGNORECASE)
WAVES = {"pulse", "sin", "pwl", "trnoise", "trrandom", "exp", "sffm", "am"}


def parse_value(token: str):
    """A SPICE number (``2.2u`` -> 2.2e-06, ``1meg``, ``10uF``) as a float, an expression (``{a*2}``,
    ``'a*2'`` or a bare parameter name) as a string."""
    tok = token.strip()
    if tok[:1] in "{'":
        return tok[1:-1].strip()
    m = _NUMBER.match(tok)
    if not m:
        return tok
    mant, suffix = m.group(1), (m.group(2) or "").lower()
    if not suffix:
        value = float(mant)
    elif suffix == "mil":
        value = float(mant) * 25.4e-6
    elif "e" in mant.lower():
        value = float(mant) * 10.0 ** _SCALE[suffix]
    else:
        value = float(f"{mant}e{_SCALE[suffix]}")
    return SpiceNumber(value, tok)


def as_int(token: str, line: "Card") -> int:
    v = parse_value(token)
    if isinstance(v, str) or v != int(v):
        raise NetlistParseError(f"{token!r} must be an integer", line_number=line.number, line=line.text)
    return int(v)


class Card:
    """One logical card: continuation lines joined, comments removed, with its first line's number."""

    def __init__(self, number: int, text: str):
        self.number, self.text = number, text
        self.tokens = _TOKEN.findall(text)

    def error(self, message: str, unsupported: bool = False):
        cls = UnsupportedConstructError if unsupported else NetlistParseError
        return cls(message, line_number=self.number, line=self.text)


def strip_comment(line: str) -> str:
    line = re.sub(r"\s\$\s.*$|\s\$$|;.*$", "", line)  # ngspice: ' $ ' and ';' start end-of-line comments
    return line.rstrip()


def split_cards(text: str) -> Tuple[str, List[Card], List[str]]:
    """(title, cards, control commands). Control blocks are kept verbatim wherever they stand."""
    lines = text.splitlines()
    title = lines[0].strip() if lines else ""
    cards: List[Card] = []
    control: List[str] = []
    in_control = False
    for number, raw in enumerate(lines[1:], start=2):
        low = raw.strip().lower()
        if in_control:
            if low.startswith(".endc"):
                in_control = False
            else:
                control.append(raw.rstrip())
            continue
        if low.startswith(".control"):
            in_control = True
            continue
        if not low or low.startswith("*"):
            continue
        line = strip_comment(raw)
        if not line.strip():
            continue
        if line.lstrip().startswith("+"):
            if not cards:
                raise NetlistParseError("a continuation line '+' before any card", line_number=number, line=raw)
            cards[-1] = Card(cards[-1].number, cards[-1].text + " " + line.lstrip()[1:].strip())
            continue
        if re.match(r"^\s*\.end\s*$", line, re.IGNORECASE):
            in_control = False
            continue
        cards.append(Card(number, line.strip()))
    return title, cards, control


def pairs(tokens: List[str]) -> Tuple[List[str], Dict[str, str]]:
    """Split tokens into positional ones and ``key=value`` pairs (in order)."""
    pos, kv, i = [], {}, 0
    while i < len(tokens):
        if i + 2 < len(tokens) + 1 and i + 1 < len(tokens) and tokens[i + 1] == "=":
            if i + 2 >= len(tokens):
                raise ValueError(f"{tokens[i]}= has no value")
            kv[tokens[i]] = tokens[i + 2]
            i += 3
        else:
            pos.append(tokens[i])
            i += 1
    return pos, kv


def values_of(kv: Dict[str, str]) -> Dict[str, object]:
    return {k.lower(): parse_value(v) for k, v in kv.items()}


def analysis_words(card: Card) -> List[str]:
    """Tokens of an analysis card with output variables ``v(a,b)``/``i(v1)`` kept whole."""
    body = card.text.split(None, 1)[1] if len(card.text.split(None, 1)) > 1 else ""
    return re.findall(r"[vi]\([^)]*\)|[^\s,]+", body, re.IGNORECASE)
