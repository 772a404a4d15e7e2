"""The 22 nm-class transistor card of the P2M cell and its threshold-voltage mismatch (Pelgrom).

The card ships as package data in ``circuitlab/circuits/cards/ptm22hp.mod`` (BSIM4, ngspice level 54; every number
from the published PTM 22 nm HP card, deviations listed in its header and README). :func:`load_card`
parses it into :class:`~circuitlab.netlist.Model` objects, which builders write inline into each
netlist, so Monte Carlo workers need no include path.

Mismatch: Pelgrom's law (M. J. M. Pelgrom, A. C. J. Duinmaijer, A. P. G. Welbers, "Matching
properties of MOS transistors", IEEE J. Solid-State Circuits 24(5), 1433-1439, 1989):

    sigma(delta V_T) = A_VT / sqrt(W L)

with A_VT = 1.2 mV um, a circuitlab choice inside the 1-1.5 mV um reported for high-k/metal-gate
and FD-SOI nodes of 28-20 nm (review: K. J. Kuhn et al., "Process technology variation", IEEE
Trans. Electron Devices 58(8), 2197-2208, 2011). The offset enters each transistor as the BSIM4
instance parameter ``delvto`` (V, added to vth0).
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, Tuple

from ..devices.p2m_encoding import L_MIN, W_MIN  # noqa: F401 (m: gate length, smallest width; re-exported)
from ..errors import ConfigError, InvalidValueError
from ..netlist import Model
from ..resources import card_path

CARD_PATH = card_path("ptm22hp.mod")
NMOS, PMOS = "nmos22", "pmos22"
A_VT = 1.2e-3 * 1e-6     # V m (1.2 mV um)
VDD = 0.8                # V, nominal supply of PTM 22 nm HP

_MODEL = re.compile(r"^\.model\s+(\S+)\s+(\S+)\s*(.*)$", re.IGNORECASE)
_PAIR = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([-+0-9.eE]+)")


def parse_card(text: str) -> Tuple[Model, ...]:
    """``.model`` cards (with ``+`` continuation lines, ``*`` comments) as Model objects."""
    models, current = [], None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("*"):
            continue
        head = _MODEL.match(line)
        if head:
            current = (head.group(1), head.group(2).lower(), {})
            models.append(current)
            body = head.group(3)
        elif line.startswith("+") and current is not None:
            body = line[1:]
        else:
            raise ConfigError(f"model card: cannot read line {raw!r}; expected '.model', '+' or '*' lines")
        for key, value in _PAIR.findall(body):
            current[2][key.lower()] = float(value) if any(c in value for c in ".eE") else int(value)
    return tuple(Model(name, kind, params) for name, kind, params in models)


@lru_cache(maxsize=4)
def load_card(path: str = str(CARD_PATH)) -> Tuple[Model, ...]:
    """The transistor models of ``path`` (default: the committed PTM 22 nm HP card)."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read the transistor card {path!r}: {exc}") from None
    return parse_card(text)


def card_params(name: str) -> Dict[str, float]:
    """The parameters of model ``name`` of the default card."""
    for m in load_card():
        if m.name == name:
            return dict(m.params)
    raise ConfigError(f"no model {name!r} in {CARD_PATH}; known: {', '.join(m.name for m in load_card())}")


def pelgrom_sigma(width: float, length: float, avt: float = A_VT) -> float:
    """sigma of the threshold-voltage mismatch (V) of a W x L (m) transistor, A_VT in V m."""
    if not (width > 0 and length > 0 and avt >= 0) or not all(map(math.isfinite, (width, length, avt))):
        raise InvalidValueError(f"pelgrom_sigma needs width > 0, length > 0 (m) and avt >= 0 (V m); "
                                f"got {width!r}, {length!r}, {avt!r}")
    return avt / math.sqrt(width * length)


def delvto(z: float, width: float, length: float, avt: float = A_VT, global_shift: float = 0.0) -> float:
    """The ``delvto`` (V) of one transistor: ``z`` standard deviations of its Pelgrom sigma plus a
    process-wide shift (V)."""
    return float(z) * pelgrom_sigma(width, length, avt) + float(global_shift)
