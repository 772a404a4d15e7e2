"""HDF5 files and plots of P_sw(V, t) tables (``circuitlab llg sweep``).

File layout (kind ``circuitlab.llg.switching_table``, schema 1): datasets ``voltages`` (V),
``widths`` (s), ``switched_from_p``, ``switched_from_ap`` (counts), ``p_switch``, ``p_p_to_ap``,
``p_ap_to_p``, and the 95 % intervals ``wilson_lower/upper``, ``clopper_pearson_lower/upper``;
groups ``params`` and ``protocol`` hold every parameter as an attribute (SI units, named in
``units``); root attributes: kind, schema_version, trials, seed, backend, dtype, circuitlab_version.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import SchemaError
from .params import ASSUMED, MacrospinParams
from .protocol import PulseProtocol, SwitchingTable

KIND = "circuitlab.llg.switching_table"
SCHEMA_VERSION = 1
PARAM_UNITS = {"t_fl": "m", "t_ox": "m", "ms": "A/m", "alpha": "1", "xi": "J/(V m)", "ki": "J/m^2", "hx": "A/m",
               "temperature": "K", "diameter": "m"}


def write_switching_table(table: SwitchingTable, path, confidence: float = 0.95) -> Path:
    """Write ``table`` to an HDF5 file at ``path`` (overwritten); returns the path."""
    import h5py

    from .. import __version__
    path = Path(path)
    with h5py.File(path, "w") as f:
        f.attrs.update(kind=KIND, schema_version=SCHEMA_VERSION, trials=table.trials,
                       seed=-1 if table.seed is None else int(table.seed), backend=table.backend, dtype=table.dtype,
                       circuitlab_version=__version__, confidence=confidence,
                       p_switch_definition="(P_P->AP + P_AP->P)/2, trials per initial state = trials")
        for name, data, unit in (("voltages", table.voltages, "V"), ("widths", table.widths, "s"),
                                 ("switched_from_p", table.switched_from_p, "count"),
                                 ("switched_from_ap", table.switched_from_ap, "count"),
                                 ("p_switch", table.p_switch, "1"), ("p_p_to_ap", table.p_p_to_ap, "1"),
                                 ("p_ap_to_p", table.p_ap_to_p, "1")):
            f.create_dataset(name, data=np.asarray(data)).attrs["unit"] = unit
        for method in ("wilson", "clopper_pearson"):
            lo, hi = table.interval(method, confidence)
            f.create_dataset(f"{method}_lower", data=lo)
            f.create_dataset(f"{method}_upper", data=hi)
        g = f.create_group("params")
        g.attrs.update(table.params.to_dict())
        g.attrs["units"] = str(PARAM_UNITS)
        g.attrs["assumed"] = ",".join(ASSUMED)
        f.create_group("protocol").attrs.update(table.protocol.to_dict())
    return path


def read_switching_table(path) -> SwitchingTable:
    """Read a file written by :func:`write_switching_table`; SchemaError if it is not one."""
    import h5py
    path = Path(path)
    if not path.is_file():
        raise SchemaError(f"P_sw table {str(path)!r} not found; make one with `circuitlab llg sweep --out FILE.h5`")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise SchemaError(f"{str(path)!r} is not an HDF5 file ({exc})") from None
    with f:
        if f.attrs.get("kind") != KIND:
            raise SchemaError(f"{str(path)!r} is not a P_sw table (kind {f.attrs.get('kind')!r}, expected {KIND!r})")
        if int(f.attrs.get("schema_version", -1)) > SCHEMA_VERSION:
            raise SchemaError(f"{str(path)!r} has schema {f.attrs['schema_version']}, newer than {SCHEMA_VERSION}; "
                              f"upgrade circuitlab")
        params = MacrospinParams(**{k: float(f["params"].attrs[k]) for k in PARAM_UNITS})
        pa = f["protocol"].attrs
        protocol = PulseProtocol(dt=float(pa["dt"]), equilibrate=float(pa["equilibrate"]), relax=float(pa["relax"]),
                                 max_batch=int(pa["max_batch"]))
        seed = int(f.attrs["seed"])
        return SwitchingTable(f["voltages"][()], f["widths"][()], int(f.attrs["trials"]), f["switched_from_p"][()],
                              f["switched_from_ap"][()], params, protocol, None if seed < 0 else seed,
                              str(f.attrs["backend"]), str(f.attrs["dtype"]))


def plot_switching_table(table: SwitchingTable, path) -> Path:
    """P_sw against pulse width, one line per voltage with its 95 % Wilson band (seed Fig. 2c)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    path = Path(path)
    lo, hi = table.interval("wilson")
    order = np.argsort(table.widths)
    w_ns = table.widths[order] * 1e9
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, v in enumerate(table.voltages):
        ax.plot(w_ns, table.p_switch[i, order], marker="o", ms=3, label=f"{v:g} V")
        ax.fill_between(w_ns, lo[i, order], hi[i, order], alpha=0.25)
    ax.axhline(0.5, color="grey", lw=0.8, ls="--")
    ax.set(xlabel="pulse width (ns)", ylabel="switching probability P_sw", ylim=(-0.02, 1.02),
           title=f"VC-MTJ macrospin, {table.trials} trials per initial state")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
