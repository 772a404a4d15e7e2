"""Reader for SPICE raw files as written by ngspice (binary and ASCII, real and complex, multi-plot).

Layout (ngspice manual, "write" command and the ``-r`` option): a text header per plot (Title, Date,
Plotname, Flags, No. Variables, No. Points, Variables) followed by ``Binary:`` (little-endian float64
per variable per point, two per complex value) or ``Values:`` (ASCII, ``re,im`` for complex); plots
are concatenated in one file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

from ..errors import RawFileError

#: SPICE raw variable types and their SI units.
UNITS = {"time": "s", "voltage": "V", "current": "A", "frequency": "Hz", "temp-sweep": "degC",
         "res-sweep": "Ohm", "impedance": "Ohm", "notype": "", "decibel": "dB"}


@dataclass(frozen=True)
class RawPlot:
    """One plot of a raw file: ``names`` in file order, ``types`` (SPICE types) and the data."""
    title: str
    plotname: str
    complex: bool
    names: Tuple[str, ...]
    types: Tuple[str, ...]
    data: Dict[str, np.ndarray]


def _header(buf: bytes, pos: int, path: Path):
    fields: Dict[str, str] = {}
    variables: List[Tuple[str, str]] = []
    while True:
        end = buf.find(b"\n", pos)
        if end < 0:
            raise RawFileError(f"{path}: header ends without 'Binary:' or 'Values:'; the file is truncated")
        line = buf[pos:end].decode("latin-1").rstrip("\r")
        pos = end + 1
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "variables":
            try:
                n = int(fields["no. variables"])
            except (KeyError, ValueError):
                raise RawFileError(f"{path}: 'No. Variables' missing or malformed before 'Variables:'")
            first = value.split()
            rows = [first] if first else []
            while len(rows) < n:
                end = buf.find(b"\n", pos)
                if end < 0:
                    raise RawFileError(f"{path}: variable list is truncated")
                parts = buf[pos:end].decode("latin-1").split()
                pos = end + 1
                if parts:
                    rows.append(parts)
            for parts in rows:
                if len(parts) < 3:
                    raise RawFileError(f"{path}: malformed variable line {' '.join(parts)!r}")
                variables.append((parts[1].lower(), parts[2].lower()))
        elif key in ("binary", "values"):
            return fields, variables, key, pos
        elif key:
            fields[key] = value.strip()


def read_raw(path) -> List[RawPlot]:
    """Read every plot of a raw file. Raises :class:`RawFileError` for a truncated or foreign file."""
    path = Path(path)
    try:
        buf = path.read_bytes()
    except OSError as exc:
        raise RawFileError(f"{path}: cannot read raw file ({exc}); check that the simulation wrote it")
    plots, pos = [], 0
    while pos < len(buf):
        if not buf[pos:].strip():
            break
        while buf[pos:pos + 1] in (b" ", b"\t", b"\r", b"\n"):  # blank lines between plots (ASCII)
            pos += 1
        if not buf[pos:pos + 6].lower().startswith(b"title:"):
            raise RawFileError(f"{path}: expected 'Title:' at byte {pos}; not a SPICE raw file or corrupt")
        fields, variables, kind, pos = _header(buf, pos, path)
        try:
            npoints = int(fields["no. points"])
        except (KeyError, ValueError):
            raise RawFileError(f"{path}: 'No. Points' missing or malformed")
        is_complex = "complex" in fields.get("flags", "").lower()
        nvars = len(variables)
        if kind == "binary":
            width = 2 if is_complex else 1
            nbytes = 8 * width * nvars * npoints
            if pos + nbytes > len(buf):
                raise RawFileError(f"{path}: binary data ends after {len(buf) - pos} of {nbytes} bytes; "
                                   f"the raw file is truncated (was the run killed?)")
            arr = np.frombuffer(buf, dtype="<f8", count=width * nvars * npoints, offset=pos)
            pos += nbytes
            arr = arr.reshape(npoints, nvars, width)
            cols = arr[..., 0] + 1j * arr[..., 1] if is_complex else arr[..., 0]
            data = {name: np.array(cols[:, i]) for i, (name, _) in enumerate(variables)}
        else:
            data, pos = _ascii_values(buf, pos, variables, npoints, is_complex, path)
        plots.append(RawPlot(fields.get("title", ""), fields.get("plotname", ""), is_complex,
                             tuple(n for n, _ in variables), tuple(t for _, t in variables), data))
    return plots


def _ascii_values(buf, pos, variables, npoints, is_complex, path):
    nvars = len(variables)
    tokens, needed = [], nvars * npoints
    lines = buf[pos:].split(b"\n")
    consumed = 0
    for line in lines:
        consumed += len(line) + 1
        parts = line.split()
        if not parts:
            if len(tokens) >= needed:
                break
            continue
        if parts[0].lower().startswith(b"title:"):
            consumed -= len(line) + 1
            break
        # each point starts with its index, then the first value on the same line
        if len(tokens) % nvars == 0 and len(parts) == 2:
            parts = parts[1:]
        tokens.extend(parts)
        if len(tokens) >= needed and len(tokens) % nvars == 0:
            break
    if len(tokens) < needed:
        raise RawFileError(f"{path}: ASCII values end after {len(tokens)} of {needed}; the file is truncated")
    if is_complex:
        pairs = [t.split(b",") for t in tokens[:needed]]
        vals = np.array([complex(float(p[0]), float(p[1]) if len(p) > 1 else 0.0) for p in pairs])
    else:
        vals = np.array([float(t.split(b",")[0]) for t in tokens[:needed]])
    vals = vals.reshape(npoints, nvars)
    return {name: np.array(vals[:, i]) for i, (name, _) in enumerate(variables)}, pos + consumed
