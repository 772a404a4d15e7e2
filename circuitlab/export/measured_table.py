"""Measured data in: a table (CSV, TSV or HDF5) read as text columns, mapped to named fields, converted
to SI units and checked, with one-line errors that name the file, the row and the column.

Units are a decimal prefix and a base unit: ``uS`` = 1e-6 S, ``ns`` = 1e-9 s, ``mV``, ``kOhm``, ``fJ``;
``%`` is 0.01 of a dimensionless field. A field's base unit is fixed by the model kind (a voltage is in
V); a unit of another dimension is an error, never a silent factor.
"""
from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

from ..errors import ConfigError

PREFIXES = {"f": 1e-15, "p": 1e-12, "n": 1e-9, "u": 1e-6, "\u00b5": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6,
            "G": 1e9}
BASES = {"V": "V", "A": "A", "s": "s", "S": "S", "Ohm": "Ohm", "ohm": "Ohm", "\u03a9": "Ohm", "J": "J", "W": "W",
         "F": "F", "m": "m", "1": "1"}
_DIMENSION = {"V": "a voltage", "A": "a current", "s": "a time", "S": "a conductance", "Ohm": "a resistance",
              "J": "an energy", "W": "a power", "F": "a capacitance", "m": "a length", "1": "dimensionless"}


class MeasuredDataError(ConfigError):
    """Measured data that cannot be used as given (the message names file, row, column and the fix)."""


def unit_factor(unit: str, base: str, where: str) -> float:
    """SI factor of ``unit`` for a field whose base unit is ``base`` ('uS' for 'S': 1e-6)."""
    u = (unit or "").strip()
    if base == "1":
        if u in ("", "1"):
            return 1.0
        if u == "%":
            return 0.01
        raise MeasuredDataError(f"{where}: unit {unit!r} for a dimensionless field; use 1 (or %)")
    for b, canon in BASES.items():      # 'ms' is milli-second, 'mS' milli-siemens, 'mm' milli-metre
        prefix = u[: len(u) - len(b)]
        if canon == base and u.endswith(b) and prefix in PREFIXES:
            return PREFIXES[prefix]
    raise MeasuredDataError(f"{where}: unit {unit!r} is not {_DIMENSION[base]}; give {base} with an optional prefix "
                            f"(f p n u m k M G), e.g. {'u' + base if base != 'Ohm' else 'kOhm'}")


@dataclass(frozen=True)
class RawTable:
    """A measured table as text columns, with the source's name, hash and the file line of each row."""
    path: Path
    sha256: str
    columns: Dict[str, List[str]]
    lines: List[int]

    def __len__(self) -> int:
        return len(self.lines)


def read_table(path) -> RawTable:
    """CSV (``,`` or ``;``), TSV or HDF5 (1-D datasets at the root as columns); ``#`` lines are comments."""
    path = Path(path)
    if not path.is_file():
        raise MeasuredDataError(f"{path}: no such file")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if data[:8] == b"\x89HDF\r\n\x1a\n":
        return _read_hdf5(path, digest)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MeasuredDataError(f"{path}: not UTF-8 text (a CSV/TSV) nor HDF5; export the data as CSV") from None
    rows = [(i + 1, line) for i, line in enumerate(text.splitlines()) if line.strip() and not line.lstrip().startswith("#")]
    if len(rows) < 2:
        raise MeasuredDataError(f"{path}: needs a header line and at least one data row")
    delim = "\t" if path.suffix.lower() in (".tsv", ".tab") or "\t" in rows[0][1] else (
        ";" if rows[0][1].count(";") > rows[0][1].count(",") else ",")
    parsed = list(csv.reader(io.StringIO("\n".join(r for _, r in rows)), delimiter=delim))
    header = [h.strip() for h in parsed[0]]
    if len(set(header)) != len(header) or not all(header):
        raise MeasuredDataError(f"{path} line {rows[0][0]}: the header needs unique, non-empty column names, got {header}")
    cols: Dict[str, List[str]] = {h: [] for h in header}
    for (line, _), fields in zip(rows[1:], parsed[1:]):
        if len(fields) != len(header):
            raise MeasuredDataError(f"{path} line {line}: {len(fields)} fields, the header has {len(header)}")
        for h, v in zip(header, fields):
            cols[h].append(v.strip())
    return RawTable(path, digest, cols, [line for line, _ in rows[1:]])


def _read_hdf5(path: Path, digest: str) -> RawTable:
    import h5py
    with h5py.File(path, "r") as f:
        cols = {k: f[k][()] for k in f if isinstance(f[k], h5py.Dataset) and f[k].ndim == 1}
    if not cols:
        raise MeasuredDataError(f"{path}: an HDF5 file of measurements needs 1-D datasets at its root (one per column)")
    n = {len(v) for v in cols.values()}
    if len(n) != 1:
        raise MeasuredDataError(f"{path}: the root datasets have different lengths {sorted(n)}; one length per table")
    text = {k: [x.decode() if isinstance(x, bytes) else str(x) for x in v.tolist()] for k, v in cols.items()}
    return RawTable(path, digest, text, list(range(1, n.pop() + 1)))


def parse_pairs(items, what: str, reverse: bool = False) -> Dict[str, str]:
    """``a=b`` pairs of a command line as {a: b} (``reverse``: {b: a}); ``what`` names the form."""
    out = {}
    for item in items or ():
        if "=" not in item or not item.split("=", 1)[0].strip() or not item.split("=", 1)[1].strip():
            raise MeasuredDataError(f"{item!r} must look like {what}")
        k, v = (x.strip() for x in item.split("=", 1))
        if reverse:
            k, v = v, k
        out[k] = v
    return out


def column(table: RawTable, field: str, base: str, mapping: Mapping[str, str], units: Mapping[str, str], *,
           low: Optional[float] = None, high: Optional[float] = None, what: str = "") -> np.ndarray:
    """Field ``field`` as SI floats: its column (``mapping`` or the field's own name), its unit (``units``,
    else the base unit), every row a finite number within [low, high]."""
    name = mapping.get(field, field)
    if name not in table.columns:
        raise MeasuredDataError(f"{table.path.name}: no column {name!r} for field {field!r} ({what or base}); columns: "
                                f"{', '.join(table.columns)}; map one with --map COLUMN={field}")
    factor = unit_factor(units.get(field, base if base != "1" else "1"), base, f"{table.path.name} column {name!r}")
    out = np.empty(len(table))
    for i, (text, line) in enumerate(zip(table.columns[name], table.lines)):
        try:
            v = float(text)
        except ValueError:
            raise MeasuredDataError(f"{table.path.name} line {line}, column {name!r}: {text!r} is not a number") from None
        if not math.isfinite(v):
            raise MeasuredDataError(f"{table.path.name} line {line}, column {name!r}: {text} (remove the row or give a "
                                    f"value)")
        v *= factor
        if low is not None and v < low:
            raise MeasuredDataError(f"{table.path.name} line {line}, column {name!r}: {v:g} {base} is below {low:g} "
                                    f"({what or field})")
        if high is not None and v > high:
            raise MeasuredDataError(f"{table.path.name} line {line}, column {name!r}: {v:g} {base} is above {high:g} "
                                    f"({what or field})")
        out[i] = v
    return out


def has_field(table: RawTable, field: str, mapping: Mapping[str, str]) -> bool:
    return mapping.get(field, field) in table.columns


def labels(table: RawTable, field: str, mapping: Mapping[str, str]) -> List[str]:
    """A text column (e.g. a configuration or an initial state), as given."""
    name = mapping.get(field, field)
    if name not in table.columns:
        raise MeasuredDataError(f"{table.path.name}: no column {name!r} for field {field!r}; map one with --map "
                                f"COLUMN={field}")
    return list(table.columns[name])


def check_unused(mapping: Mapping[str, str], units: Mapping[str, str], fields: Tuple[str, ...], kind: str) -> None:
    """A --map or --units entry for a field the kind does not have is an error (a typo, usually)."""
    for k in (*mapping, *units):
        if k not in fields:
            raise MeasuredDataError(f"kind {kind!r} has no field {k!r}; its fields: {', '.join(fields)}")


_SAFE = re.compile(r"[^\w.-]")


def provenance(table: RawTable, kind: str, mapping, units) -> Dict[str, str]:
    """What a model made from measurements records: source file name and hash, the mapping, the units."""
    import json
    return {"source": "measured", "source_file": _SAFE.sub("_", table.path.name), "source_sha256": table.sha256,
            "kind": kind, "rows": str(len(table)), "mapping": json.dumps(dict(mapping)), "units": json.dumps(dict(units))}
