"""Parsing of engineering-notation numbers and lists for the command line ("0.1n", "2.4", "0.1n:4n:40")."""
from __future__ import annotations

import math
import re

import numpy as np

from ..errors import ConfigError

_SUFFIX = {"f": 1e-15, "p": 1e-12, "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "meg": 1e6, "g": 1e9}
_NUMBER = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(meg|[fpnumkg]?)\s*(?:s|v|hz)?\s*$",
                     re.IGNORECASE)


def parse_eng(text: str, what: str = "value") -> float:
    """'0.1n' -> 1e-10; SPICE suffixes f p n u m k meg g (case-insensitive), optional unit s/V/Hz."""
    m = _NUMBER.match(str(text))
    if not m:
        raise ConfigError(f"{what} {text!r} is not a number; write e.g. 2.4, 0.1n, 400p or 1.5e-9")
    value = float(m.group(1)) * _SUFFIX[m.group(2).lower()]
    if not math.isfinite(value):
        raise ConfigError(f"{what} {text!r} is not finite")
    return value


def parse_grid(text: str, what: str = "value") -> np.ndarray:
    """A comma list ('2.1,2.4,2.7') or an inclusive linear range 'START:STOP:COUNT' ('0.1n:4n:40')."""
    text = str(text).strip()
    if not text:
        raise ConfigError(f"empty {what} list; write e.g. 2.1,2.4,2.7 or 0.1n:4n:40")
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ConfigError(f"{what} range {text!r} must be START:STOP:COUNT, e.g. 0.1n:4n:40")
        start, stop = parse_eng(parts[0], what), parse_eng(parts[1], what)
        try:
            count = int(parts[2])
        except ValueError:
            raise ConfigError(f"{what} range {text!r}: COUNT {parts[2]!r} must be an integer >= 1") from None
        if count < 1:
            raise ConfigError(f"{what} range {text!r}: COUNT must be >= 1")
        if count > 1 and stop <= start:
            raise ConfigError(f"{what} range {text!r}: STOP must be larger than START")
        # 12 significant digits: 0.1n:4n:40 gives 1e-10, 2e-10, ... rather than 2.0000000000000003e-10
        return np.array([float(f"{x:.12g}") for x in np.linspace(start, stop, count)])
    return np.array([parse_eng(p, what) for p in text.split(",")])


def check_h5_out(path) -> None:
    """An output path must name an HDF5 file (.h5/.hdf5) in an existing folder (ConfigError otherwise)."""
    if path.suffix.lower() not in (".h5", ".hdf5"):
        raise ConfigError(f"--out {str(path)!r} must end in .h5 or .hdf5")
    if not path.parent.exists():
        raise ConfigError(f"output folder {str(path.parent)!r} does not exist; create it first")
