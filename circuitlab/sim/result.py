"""SimResult: the vectors and measures of one ngspice run, as numpy arrays with units."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

import numpy as np

from .rawfile import UNITS

_PLOT_KINDS = (("transient", "tran"), ("ac analysis", "ac"), ("dc transfer", "dc"), ("operating point", "op"),
               ("noise", "noise"), ("transfer function", "tf"), ("sensitivity", "sens"))


def plot_kind(plotname: str) -> str:
    """Map an ngspice plot name ('Transient Analysis', ...) to a short kind ('tran', 'ac', 'dc', 'op')."""
    low = plotname.lower()
    for key, kind in _PLOT_KINDS:
        if key in low:
            return kind
    return low.split()[0] if low else "unknown"


def canonical_name(name: str, spice_type: str = "") -> str:
    """One spelling for vector names from raw files and the shared library: ``v(node)``, ``i(vsrc)``."""
    name = name.strip().lower()
    if name.startswith("v(") and name.endswith("-sweep)"):  # raw files write the DC scale as v(v-sweep)
        return name[2:-1]
    if name.endswith("#branch"):
        return f"i({name[:-7]})"
    if spice_type == "voltage" and "(" not in name and not name.startswith("@") and not name.endswith("-sweep"):
        return f"v({name})"
    return name


@dataclass(frozen=True)
class Plot:
    """The vectors of one analysis. ``scale`` names the independent variable (time, frequency, sweep)."""
    kind: str
    plotname: str
    scale: str
    vectors: Dict[str, np.ndarray]
    units: Dict[str, str]

    def __getitem__(self, name: str) -> np.ndarray:
        key = _lookup(self.vectors, name)
        if key is None:
            raise KeyError(f"no vector {name!r} in the {self.kind} plot; available: {', '.join(self.vectors)}")
        return self.vectors[key]

    def __contains__(self, name: str) -> bool:
        return _lookup(self.vectors, name) is not None

    def key(self, name: str) -> Optional[str]:
        """The key of vector ``name`` in :attr:`vectors` (``out`` finds ``v(out)``), or None."""
        return _lookup(self.vectors, name)


def _lookup(vectors: Mapping[str, np.ndarray], name: str) -> Optional[str]:
    key = name.strip().lower()
    if key in vectors:
        return key
    for alt in (f"v({key})", canonical_name(key)):
        if alt in vectors:
            return alt
    return None


def make_plot(plotname: str, names, types, data: Mapping[str, np.ndarray]) -> Plot:
    """Build a Plot with canonical names; the first vector is the scale."""
    vectors, units = {}, {}
    for name, typ in zip(names, types):
        key = canonical_name(name, typ)
        vectors[key] = np.asarray(data[name])
        units[key] = UNITS.get(typ, "")
    scale = canonical_name(names[0], types[0]) if names else ""
    return Plot(plot_kind(plotname), plotname, scale, vectors, units)


@dataclass(frozen=True)
class SimResult:
    """What :func:`circuitlab.simulate` returns.

    ``result["v(out)"]`` (or ``result["out"]``) returns the vector from the first plot that has it;
    ``result.plot("ac")`` selects an analysis; ``result.measures`` maps ``.meas`` names to floats (7
    significant digits, ngspice's own precision).
    """
    plots: Tuple[Plot, ...]
    measures: Dict[str, float] = field(default_factory=dict)
    backend: str = ""
    stdout: str = ""
    stderr: str = ""
    run_dir: Optional[Path] = None

    def __getitem__(self, name: str) -> np.ndarray:
        for p in self.plots:
            if name in p:
                return p[name]
        raise KeyError(f"no vector {name!r}; available: {', '.join(self.names)}")

    def __contains__(self, name: str) -> bool:
        return any(name in p for p in self.plots)

    @property
    def names(self) -> Tuple[str, ...]:
        seen: Dict[str, None] = {}
        for p in self.plots:
            seen.update(dict.fromkeys(p.vectors))
        return tuple(seen)

    def unit(self, name: str) -> str:
        for p in self.plots:
            key = _lookup(p.vectors, name)
            if key is not None:
                return p.units[key]
        raise KeyError(f"no vector {name!r}")

    def plot(self, kind: str) -> Plot:
        for p in self.plots:
            if p.kind == kind:
                return p
        raise KeyError(f"no {kind!r} analysis in this result; analyses: {[p.kind for p in self.plots]}")

    @property
    def time(self) -> np.ndarray:
        """The transient time axis in seconds."""
        p = self.plot("tran")
        return p.vectors[p.scale]

    @property
    def sweep(self) -> np.ndarray:
        """The scale of the first swept analysis (time, frequency in Hz or the DC sweep variable)."""
        for p in self.plots:
            if p.kind != "op":
                return p.vectors[p.scale]
        raise KeyError("no swept analysis in this result (only an operating point)")

    def to_hdf5(self, path) -> Path:
        """Write every vector (one group per plot, unit attributes) and the measures to an HDF5 file."""
        import h5py

        from .. import __version__
        path = Path(path)
        with h5py.File(path, "w") as f:
            f.attrs["format"] = "circuitlab.simresult"
            f.attrs["schema_version"] = 1
            f.attrs["circuitlab_version"] = __version__
            f.attrs["backend"] = self.backend
            for i, p in enumerate(self.plots):
                g = f.create_group(f"{i:02d}_{p.kind}")
                g.attrs["plotname"] = p.plotname
                g.attrs["scale"] = p.scale
                for name, arr in p.vectors.items():
                    d = g.create_dataset(name.replace("/", "|"), data=arr)
                    d.attrs["unit"] = p.units.get(name, "")
            m = f.create_group("measures")
            for name, value in self.measures.items():
                m.attrs[name] = value
        return path
