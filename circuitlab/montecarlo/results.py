"""One way to read a campaign: :func:`load_results` returns a :class:`CampaignResults`.

The file layout belongs to :mod:`.store`; this module turns what it reads into named columns.
A campaign has one row per sample; each sample runs at every point of the sweep grid, so a measure
or derived scalar is an array (samples, points). Parameter columns (SI units; jitter offsets in s)
are per sample. ``rows()`` flattens (sample, point) pairs into one table, the shape a fitter or
``to_pandas()`` wants.

    >>> r = load_results("rc.h5")                     # doctest: +SKIP
    >>> r["tau"][r.ok()].mean(), r.status_names[:3], r.provenance["ngspice_version"]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

from ..errors import ConfigError
from . import store
from .errors import ColumnError

# root attributes that are not provenance: the spec (see .spec_text) and the name lists (see the columns)
_NOT_PROVENANCE = ("spec", "columns", "vector_names", "vector_units", "measure_names", "derived_names", "sweep_names")


@dataclass(frozen=True)
class CampaignResults:
    """A campaign file's contents (its first ``samples`` rows; fewer while it runs or after a kill).

    ``params`` {column: (n,)}, ``measures`` / ``derived`` {name: (n, points)}, ``sweep`` {axis: (points,)}
    (the grid, one value per point), ``status`` (n,) int8 (-1 pending, 0 ok, 1 sim_error, 2 timeout,
    3 nonconverged), ``errors`` (n,) failure texts ('' when none), ``time`` the common grid (s) of the
    recorded vectors, ``points`` the sweep points per sample (1 without a sweep), ``units`` {vector:
    unit}, ``provenance`` the file's root attributes (circuitlab and ngspice versions, creation time,
    nominal netlist hash, seed, mode, ...).
    """
    path: Path
    name: str
    seed: int
    samples: int
    spec_text: str
    spec_base: Optional[str]
    params: Dict[str, np.ndarray]
    measures: Dict[str, np.ndarray]
    derived: Dict[str, np.ndarray]
    sweep: Dict[str, np.ndarray]
    status: np.ndarray
    errors: Tuple[str, ...]
    netlist_sha256: Tuple[str, ...]
    time: np.ndarray
    vector_names: Tuple[str, ...]
    points: int
    units: Dict[str, str]
    provenance: Dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.status.shape[0])

    @property
    def columns(self) -> Tuple[str, ...]:
        """Every name ``results[name]`` accepts: parameters, then measures, then derived scalars."""
        return (*self.params, *self.measures, *self.derived)

    def __contains__(self, name) -> bool:
        return name in self.params or name in self.measures or name in self.derived

    def __getitem__(self, name: str) -> np.ndarray:
        """A column over samples: (n,) for parameters and, without a sweep, for scalars; (n, points)
        for scalars of a swept campaign. ColumnError (a KeyError) lists the names there are."""
        for group in (self.params, self.measures, self.derived):
            if name in group:
                col = group[name]
                return col[:, 0] if col.ndim == 2 and col.shape[1] == 1 else col
        raise ColumnError(f"campaign {self.path.name} has no column {name!r}; columns: "
                          f"{', '.join(self.columns) or 'none'}")

    def get(self, name: str, default=None):
        return self[name] if name in self else default

    def ok(self) -> np.ndarray:
        """Boolean mask over samples: True where the sample finished with status ok."""
        return self.status == 0

    @property
    def status_names(self) -> Tuple[str, ...]:
        """The status of each sample by name ('pending' for a row not finished yet)."""
        from .outcomes import STATUS_NAMES
        return tuple(STATUS_NAMES.get(int(s), "pending") for s in self.status)

    def counts(self) -> Dict[str, int]:
        """Samples per status name, every status listed (pending last)."""
        from .outcomes import STATUS_NAMES
        out = {name: int((self.status == code).sum()) for code, name in STATUS_NAMES.items()}
        out["pending"] = int((self.status < 0).sum())
        return out

    @property
    def spec(self):
        """The campaign spec, parsed again from its stored text (a :class:`~.spec.CampaignSpec`)."""
        from .spec import parse_spec
        return parse_spec(self.spec_text, base=Path(self.spec_base) if self.spec_base else None)

    @property
    def sweep_axes(self) -> Dict[str, np.ndarray]:
        """Each sweep axis's values in spec order (the grid is their product, last axis fastest)."""
        return {a: np.asarray(v, float) for a, v in self.spec.sweep}

    def scalars(self) -> Dict[str, np.ndarray]:
        """Every measure and derived scalar per sample: ``name`` (n,) without a sweep, else one column
        ``name[p]`` per sweep point."""
        out: Dict[str, np.ndarray] = {}
        for group in (self.measures, self.derived):
            for name, data in group.items():
                for p in range(data.shape[1]):
                    out[name if data.shape[1] == 1 else f"{name}[{p}]"] = data[:, p]
        return out

    def sample_columns(self, ok_only: bool = False) -> Dict[str, np.ndarray]:
        """Per-sample columns: the parameters, then every scalar as in :meth:`scalars`; ``ok_only``
        keeps only the samples that finished ok."""
        keep = self.ok() if ok_only else slice(None)
        out = {k: v[keep] for k, v in self.params.items()}
        out.update({k: v[keep] for k, v in self.scalars().items()})
        return out

    def require(self, names, what: str, fix: str) -> None:
        """ColumnError unless every column in ``names`` exists: one line naming the file, what it should
        be (``what``), the missing columns and ``fix``."""
        missing = [n for n in names if n not in self]
        if missing:
            raise ColumnError(f"{self.path} is not {what}: it has no column {', '.join(map(repr, missing))} (campaign "
                              f"{self.name!r}, columns: {', '.join(self.columns) or 'none'}); {fix}")

    def rows(self) -> Dict[str, np.ndarray]:
        """One row per (sample, sweep point), sample-major: ``sample``, ``point``, the parameters
        (repeated over points), the sweep axes (tiled over samples), the measures and derived scalars."""
        n, npts = len(self), self.points
        out: Dict[str, np.ndarray] = {"sample": np.repeat(np.arange(n), npts), "point": np.tile(np.arange(npts), n)}
        out.update({k: np.repeat(v, npts) for k, v in self.params.items()})
        out.update({k: np.tile(v, n) for k, v in self.sweep.items()})
        for group in (self.measures, self.derived):
            out.update({k: v.reshape(-1) for k, v in group.items()})
        return out

    def vectors(self, name: str) -> np.ndarray:
        """Recorded vector ``name`` over (samples, points, time), read from the file on demand."""
        if name not in self.vector_names:
            raise ColumnError(f"campaign {self.path.name} recorded no vector {name!r}; vectors: "
                              f"{', '.join(self.vector_names) or 'none'}")
        data = store.read_all(self.path, vectors=True)["vectors"]
        return data[:len(self), :, self.vector_names.index(name), :]

    def to_pandas(self, ok_only: bool = False):
        """The :meth:`rows` table as a ``pandas.DataFrame`` with ``status``, ``status_name`` and ``error``
        per row (``ok_only``: only rows of ok samples). Needs pandas (``pip install pandas``)."""
        try:
            import pandas as pd
        except ImportError:
            raise MissingDependencyError("CampaignResults.to_pandas() needs pandas, which is not installed; "
                                         "run 'pip install pandas' (or use .rows(), a dict of numpy arrays)") from None
        table = self.rows()
        sample = table["sample"]
        table["status"] = self.status[sample]
        table["status_name"] = np.array(self.status_names, dtype=object)[sample] if len(self) else np.array([], object)
        table["error"] = np.array(self.errors, dtype=object)[sample] if len(self) else np.array([], object)
        frame = pd.DataFrame(table)
        return frame[frame["status"] == 0].reset_index(drop=True) if ok_only else frame

    def failures(self) -> List[Tuple[int, str, str]]:
        """(sample, status name, error text) of every finished sample that did not succeed."""
        names = self.status_names
        return [(int(k), names[k], self.errors[k]) for k in np.nonzero(self.status > 0)[0]]


class MissingDependencyError(ConfigError, ImportError):
    """An optional package that a function needs is not installed (the message names the install)."""


def load_results(path) -> CampaignResults:
    """Read a campaign results file (also while it is written, or after its writer was killed).

    A folder, a missing, foreign, corrupt or newer-schema file raises SchemaError naming the problem.
    """
    path = Path(path)
    d = store.read_all(path)
    attrs: Mapping[str, object] = d["attrs"]
    params, measures, derived, sweep = d["params"], d["measures"], d["derived"], d["sweep"]
    base = str(attrs.get("spec_base", "")) or None
    return CampaignResults(
        path=path, name=str(attrs.get("spec_name", "")), seed=int(attrs.get("seed", -1)),
        samples=int(attrs["samples"]), spec_text=str(attrs.get("spec", "")), spec_base=base,
        params={c: params[:, j] for j, c in enumerate(d["columns"])},
        measures={m: measures[:, :, j] for j, m in enumerate(d["measure_names"])},
        derived={m: derived[:, :, j] for j, m in enumerate(d["derived_names"])},
        sweep={a: sweep[:, j] for j, a in enumerate(d["sweep_names"])},
        status=np.asarray(d["status"]), errors=tuple(d["error"]), netlist_sha256=tuple(d["netlist_sha256"]),
        time=d["time"], vector_names=tuple(d["vector_names"]), points=int(sweep.shape[0]),
        units=dict(d["vector_units"]),
        provenance={k: v for k, v in attrs.items() if k not in _NOT_PROVENANCE})
