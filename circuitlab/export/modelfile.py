"""Versioned model files (HDF5): numbers and tables with units, a registered kind, fit metrics and
provenance; never pickled code. A JSON sidecar summarises each file for people and other tools.

Layout (schema version 1)::

    /                 attrs: format="circuitlab.model", schema_version, kind, circuitlab_version, created
    /parameters/NAME  scalar dataset; attrs: unit, stderr
    /tables/NAME      group; dataset "values" (attr unit); datasets "axis0", "axis1", ... (attrs name, unit)
    /metrics          attrs: name -> float
    /provenance       attrs: source_sha256, spec, seed, circuitlab_version, ngspice_version, ...,
                      platform_* (machine and software stack, see provenance.py)
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, Tuple, Union

import numpy as np

from ..errors import SchemaError
from ..resources import package_path
from .schema import FORMAT, KINDS, SCHEMA_VERSION


@dataclass(frozen=True)
class Parameter:
    value: float
    unit: str = ""
    stderr: float = float("nan")


@dataclass(frozen=True)
class Axis:
    name: str
    values: np.ndarray
    unit: str = ""


@dataclass(frozen=True)
class Table:
    values: np.ndarray
    unit: str = ""
    axes: Tuple[Axis, ...] = ()


@dataclass(frozen=True)
class ModelFile:
    """An in-memory model file."""
    kind: str
    parameters: Dict[str, Parameter] = field(default_factory=dict)
    tables: Dict[str, Table] = field(default_factory=dict)
    metrics: Dict[str, float] = field(default_factory=dict)
    provenance: Dict[str, Union[str, int, float]] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def summary(self) -> dict:
        """The JSON-able summary (also written as the sidecar and printed by ``circuitlab inspect``)."""
        return {"kind": self.kind, "schema_version": self.schema_version,
                "parameters": {k: {"value": p.value, "unit": p.unit, "stderr": p.stderr}
                               for k, p in self.parameters.items()},
                "tables": {k: {"unit": t.unit, "shape": list(np.shape(t.values)),
                               "axes": [{"name": a.name, "unit": a.unit, "points": int(len(a.values))} for a in t.axes]}
                           for k, t in self.tables.items()},
                "metrics": dict(self.metrics), "provenance": dict(self.provenance)}


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def validate(model: ModelFile, where: str = "model") -> None:
    """Check the model against its kind's schema; raise SchemaError naming what is wrong."""
    schema = KINDS.get(model.kind)
    if schema is None:
        raise SchemaError(f"{where}: unknown model kind {model.kind!r}; known kinds: {', '.join(sorted(KINDS))}")
    for name, unit in schema.tables.items():
        table = model.tables.get(name)
        if table is None:
            raise SchemaError(f"{where}: kind {model.kind!r} needs table {name!r}, which is missing; re-export it")
        if unit is not None and table.unit != unit:
            raise SchemaError(f"{where}: table {name!r} has unit {table.unit!r}, kind {model.kind!r} needs {unit!r}")
        wanted = schema.axes.get(name, ())
        got = tuple((a.name, a.unit) for a in table.axes)
        if wanted and got != wanted:
            raise SchemaError(f"{where}: table {name!r} has axes {got}, kind {model.kind!r} needs {wanted}")
        if np.ndim(table.values) != len(table.axes) or any(
                np.shape(table.values)[i] != len(a.values) for i, a in enumerate(table.axes)):
            raise SchemaError(f"{where}: table {name!r} of shape {np.shape(table.values)} does not match its axes")
    for name, unit in schema.params.items():
        p = model.parameters.get(name)
        if p is None:
            raise SchemaError(f"{where}: kind {model.kind!r} needs parameter {name!r}, which is missing")
        if p.unit != unit:
            raise SchemaError(f"{where}: parameter {name!r} has unit {p.unit!r}, kind {model.kind!r} needs {unit!r}")


def _axis_values(values) -> np.ndarray:
    arr = np.asarray(values)
    return arr.astype("S") if arr.dtype.kind in "UO" else arr


def save_model(model: ModelFile, path) -> Path:
    """Validate and write ``model`` to ``path`` (HDF5) plus ``path.json``; return the path."""
    import h5py

    from .. import __version__
    from .provenance import with_platform
    validate(model, str(path))
    model = replace(model, provenance=with_platform(model.provenance))  # CPU, OS, numpy/scipy/torch/ngspice
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    with h5py.File(tmp, "w") as f:
        f.attrs.update({"format": FORMAT, "schema_version": model.schema_version, "kind": model.kind,
                        "circuitlab_version": __version__,
                        "created": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        g = f.create_group("parameters")
        for name, p in model.parameters.items():
            d = g.create_dataset(name, data=float(p.value))
            d.attrs.update({"unit": p.unit, "stderr": float(p.stderr)})
        g = f.create_group("tables")
        for name, t in model.tables.items():
            tg = g.create_group(name)
            tg.create_dataset("values", data=np.asarray(t.values)).attrs["unit"] = t.unit
            for i, a in enumerate(t.axes):
                tg.create_dataset(f"axis{i}", data=_axis_values(a.values)).attrs.update({"name": a.name, "unit": a.unit})
        f.create_group("metrics").attrs.update({k: float(v) for k, v in model.metrics.items()})
        f.create_group("provenance").attrs.update(dict(model.provenance))
    tmp.replace(path)  # never leave a half-written model file under the final name
    summary = model.summary()
    summary["sha256"] = file_sha256(path)
    path.with_suffix(path.suffix + ".json").write_text(json.dumps(summary, indent=2, default=float) + "\n")
    return path


def _read(f, where: str) -> ModelFile:
    fmt = f.attrs.get("format")
    fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
    if fmt != FORMAT:
        raise SchemaError(f"{where} is not a circuitlab model file (format attribute {fmt!r}); "
                          f"give a file written by 'circuitlab export' or 'circuitlab fit'")
    version = int(f.attrs.get("schema_version", -1))
    if version > SCHEMA_VERSION:
        raise SchemaError(f"{where} has schema version {version}, newer than this circuitlab reads "
                          f"({SCHEMA_VERSION}); upgrade circuitlab")
    if version < 1:
        raise SchemaError(f"{where} has an invalid schema version {version}")
    for group in ("parameters", "tables", "metrics", "provenance"):
        if group not in f:
            raise SchemaError(f"{where} lacks the /{group} group; the file is incomplete or corrupt, re-export it")
    params = {k: Parameter(float(d[()]), str(d.attrs.get("unit", "")), float(d.attrs.get("stderr", np.nan)))
              for k, d in f["parameters"].items()}
    tables = {}
    for name, g in f["tables"].items():
        if "values" not in g:
            raise SchemaError(f"{where}: table {name!r} has no values dataset; re-export the model")
        axes, i = [], 0
        while f"axis{i}" in g:
            a = g[f"axis{i}"]
            vals = a[()]
            if vals.dtype.kind == "S":
                vals = vals.astype(str)
            axes.append(Axis(str(a.attrs["name"]), vals, str(a.attrs.get("unit", ""))))
            i += 1
        tables[name] = Table(g["values"][()], str(g["values"].attrs.get("unit", "")), tuple(axes))
    kind = f.attrs.get("kind", "")
    kind = kind.decode() if isinstance(kind, bytes) else str(kind)
    return ModelFile(kind, params, tables, {k: float(v) for k, v in f["metrics"].attrs.items()},
                 {k: (v.item() if hasattr(v, "item") else v) for k, v in f["provenance"].attrs.items()}, version)


BUILTIN_DIR = package_path("models")   # circuitlab/models (package data)


def resolve_model_path(path_or_name) -> Path:
    """A path always wins; otherwise a built-in model name (``circuitlab/models/<name>.h5``)."""
    p = Path(path_or_name)
    if p.exists():
        return p
    builtin = BUILTIN_DIR / f"{path_or_name}.h5"
    if isinstance(path_or_name, str) and "/" not in path_or_name and builtin.exists():
        return builtin
    known = sorted(q.stem for q in BUILTIN_DIR.glob("*.h5")) if BUILTIN_DIR.is_dir() else []
    raise SchemaError(f"model {str(path_or_name)!r} is neither a file nor a built-in model "
                      f"(built-in: {', '.join(known) or 'none'})")


def load_model(path_or_name, kind: str = None) -> ModelFile:
    """Load and fully validate a model file (or built-in model by name); ``kind`` checks the kind too."""
    import h5py
    path = resolve_model_path(path_or_name)
    try:
        with h5py.File(path, "r") as f:
            model = _read(f, str(path))
    except SchemaError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise SchemaError(f"{path} cannot be read as a circuitlab model file ({exc}); it is corrupt or foreign")
    validate(model, str(path))
    if kind is not None and model.kind != kind:
        raise SchemaError(f"{path} holds a {model.kind!r} model where a {kind!r} model is needed")
    return model
