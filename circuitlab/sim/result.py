"""SimResult: the vectors and measures of one ngspice run, as numpy arrays with units."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

import numpy as np

from .rawfile import UNITS

_PLOT_KINDS = (("transient", "tran"), ("ac analysis", "ac"), ("dc transfer", "dc"), ("operating point", "op"),
               ("noise", "noise"), ("transfer function", "tf"), ("sensitivity", "sens"), ("pole-zero", "pz"),
               ("distortion", "disto"))
#: ngspice's plot type names (``tran1``, ``sens2``): the letters name the analysis
PLOT_TYPES = ("op", "dc", "ac", "tran", "noise", "sens", "pz", "tf", "disto")
#: analyses whose vectors are not node voltages: the raw writer wraps them in ``v(...)`` anyway
_NOT_NODES = frozenset({"pz", "tf", "sens", "noise"})


def plot_kind(plotname: str) -> str:
    """Map an ngspice plot name ('Transient Analysis', 'Pole-Zero Analysis', ...) or plot type name
    ('tran1', 'pz1') to a short kind: op, dc, ac, tran, noise, sens, pz, tf or disto."""
    low = plotname.lower()
    for key, kind in _PLOT_KINDS:
        if key in low:
            return kind
    letters = low.rstrip("0123456789")
    if letters in PLOT_TYPES:
        return letters
    return low.split()[0] if low else "unknown"


def canonical_name(name: str, spice_type: str = "", kind: str = "") -> str:
    """One spelling for vector names from raw files and the shared library: ``v(node)``, ``i(vsrc)``;
    vectors of pole-zero, transfer-function, sensitivity and noise plots keep their bare names
    (``pole(1)``, ``transfer_function``, ``r1``, ``onoise_total``)."""
    name = name.strip().lower()
    if name.startswith(("i(@", "v(@")) and name.endswith(")"):  # raw files wrap device vectors: i(@d1[id])
        return name[2:-1]
    if kind in _NOT_NODES:
        return name[2:-1] if name.startswith("v(") and name.endswith(")") else name
    if name.startswith("v(") and name.endswith("-sweep)"):  # raw files write the DC scale as v(v-sweep)
        return name[2:-1]
    if name.endswith("#branch"):
        return f"i({name[:-7]})"
    if spice_type == "voltage" and "(" not in name and not name.startswith("@") and not name.endswith("-sweep"):
        return f"v({name})"
    if spice_type == "current" and "(" not in name and not name.startswith("@"):
        return f"i({name})"  # a current-type vector made by `let`: raw files write it i(name)
    return name


@dataclass(frozen=True)
class Plot:
    """The vectors of one analysis. ``scale`` names the independent variable (time, frequency, sweep)."""
    kind: str
    plotname: str
    scale: str
    vectors: Dict[str, np.ndarray]
    units: Dict[str, str]
    name: str = ""  # kind + its count in the result: tran1, tran2, noise1 (spectrum), noise2 (integrated)

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


def make_plot(plotname: str, names, types, data: Mapping[str, np.ndarray], kind: str = "") -> Plot:
    """Build a Plot with canonical names; the first vector is the scale. ngspice 39's ``write`` adds a
    vector ``all`` to pole-zero plots that the plot does not hold: it is left out."""
    kind = kind or plot_kind(plotname)
    vectors, units = {}, {}
    for name, typ in zip(names, types):
        key = canonical_name(name, typ, kind)
        if kind == "pz" and key == "all":
            continue
        vectors[key] = np.asarray(data[name])
        # pole-zero values are complex frequencies in rad/s; gains and sensitivities carry mixed units
        units[key] = {"pz": "rad/s", "tf": "", "sens": ""}.get(kind, UNITS.get(typ, ""))
    swept = names and (kind == "dc" or types[0] in ("time", "frequency") or names[0].lower().endswith("-sweep"))
    scale = canonical_name(names[0], types[0], kind) if swept else ""
    return Plot(kind, plotname, scale, vectors, units)


def named_plots(plots) -> Tuple[Plot, ...]:
    """Give each plot its name: the kind and its count in ``plots`` (tran1, tran2, ...), the same on
    both backends whatever numbers ngspice gave its plots."""
    counts: Dict[str, int] = {}
    out = []
    for p in plots:
        counts[p.kind] = counts.get(p.kind, 0) + 1
        out.append(replace(p, name=f"{p.kind}{counts[p.kind]}"))
    return tuple(out)


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
        """The plot named ``kind`` (``tran2``), or the first of that kind (``tran``)."""
        key = kind.strip().lower()
        for p in self.plots:
            if p.name == key:
                return p
        for p in self.plots:
            if p.kind == key:
                return p
        raise KeyError(f"no {kind!r} analysis in this result; plots: {[p.name or p.kind for p in self.plots]}")

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
