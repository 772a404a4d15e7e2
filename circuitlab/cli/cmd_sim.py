"""``circuitlab sim NETLIST.cir``: run a netlist's own analyses."""
from __future__ import annotations

import json
import math
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("sim", help="simulate a netlist with ngspice and report its measures and vectors")
    p.add_argument("netlist", type=Path, help="netlist or deck file (any suffix; its own .control block is run)")
    p.add_argument("--backend", choices=("subprocess", "pyspice"), default="subprocess")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds before ngspice is killed (default 60)")
    p.add_argument("--out", type=Path, help="write every vector to this HDF5 file")
    p.add_argument("--json", action="store_true", help="print one JSON object and nothing else on stdout")
    p.set_defaults(func=run)


def _final(arr):
    if len(arr) == 0:
        return None
    v = arr[-1]
    if isinstance(v, complex) or getattr(v, "imag", 0) != 0:
        return [float(v.real), float(v.imag)]
    v = float(getattr(v, "real", v))
    return v if math.isfinite(v) else None


def summary(result) -> dict:
    """The ``--json`` object: measures, the plots (``tran1``, ``tran2``, ...) and, per vector, its unit,
    number of points and final value; a vector name met again in a later plot is keyed ``tran2.v(out)``."""
    vectors = {}
    for plot in result.plots:
        for name, arr in plot.vectors.items():
            key = name if name not in vectors else f"{plot.name or plot.kind}.{name}"
            vectors[key] = {"unit": plot.units.get(name, ""), "points": int(len(arr)), "final": _final(arr)}
    plots = [{"name": p.name, "kind": p.kind, "plotname": p.plotname, "scale": p.scale} for p in result.plots]
    return {"measures": dict(result.measures), "plots": plots, "vectors": vectors}


def run(args) -> int:
    from ..errors import CircuitlabError
    from ..sim import simulate
    if not args.netlist.is_file():
        raise CircuitlabError(f"netlist {str(args.netlist)!r} not found; give the path of a .cir file")
    result = simulate(args.netlist, backend=args.backend, timeout=args.timeout)
    if args.out:
        result.to_hdf5(args.out)
    data = summary(result)
    if args.json:
        print(json.dumps(data))
        return 0
    for plot in result.plots:
        points = len(plot.vectors[plot.scale]) if plot.scale else len(next(iter(plot.vectors.values()), ()))
        print(f"{plot.plotname} ({plot.name or plot.kind}): {points} points")
    for name, info in data["vectors"].items():
        print(f"  {name:<24} {info['unit']:<4} points={info['points']:<8} final={info['final']}")
    for name, value in data["measures"].items():
        print(f"  .meas {name} = {value:.7g}")
    if args.out:
        print(f"vectors written to {args.out}")
    return 0
