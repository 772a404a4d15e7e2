"""``circuitlab devices list|show|emit|plot``: the device-model registry from the command line."""
from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("devices", help="device models: list, show parameters, emit generated code, plot curves")
    dsub = p.add_subparsers(dest="devices_command", metavar="ACTION", required=True)
    dsub.add_parser("list", help="list the registered models").set_defaults(func=_list)
    show = dsub.add_parser("show", help="parameters with units, defaults and sources")
    show.add_argument("name")
    show.set_defaults(func=_show)
    emit = dsub.add_parser("emit", help="print the generated code of a model")
    emit.add_argument("name")
    emit.add_argument("--target", choices=("veriloga", "ngspice", "numpy"), default="veriloga")
    emit.add_argument("--write", action="store_true", help="(veriloga) also write circuitlab/devices/va/<name>.va")
    emit.set_defaults(func=_emit)
    plot = dsub.add_parser("plot", help="characteristic curves to a PNG file")
    plot.add_argument("name")
    plot.add_argument("-o", "--output", type=Path, required=True)
    plot.set_defaults(func=_plot)
    cal = dsub.add_parser("calibrate", help="fit device parameters to measurements (vcmtj: P_sw(V, t) counts)")
    cal.add_argument("name", choices=("vcmtj",))
    cal.add_argument("--data", type=Path, required=True,
                     help="CSV/TSV/HDF5: voltage, width, trials and switched (or p_switch), optional state")
    cal.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD", help="column of a field")
    cal.add_argument("--units", action="append", default=[], metavar="FIELD=UNIT", help="e.g. width=ns")
    cal.add_argument("--free", default="ki", help="card parameters to fit, comma-separated (default ki; e.g. "
                                                  "ki,alpha,hx)")
    cal.add_argument("--trials", type=int, default=200, help="LLG trials per initial state and point (200)")
    cal.add_argument("--seed", type=int, default=0, help="seed of the LLG draws (common to every evaluation)")
    cal.add_argument("--out", type=Path, required=True, help="calibrated card (TOML); a JSON report and a plot "
                                                           "go next to it")
    cal.set_defaults(func=_calibrate)


def _list(args) -> int:
    from .. import devices
    for name in devices.names():
        print(f"{name:<14} {devices.get(name).title}")
    return 0


def _show(args) -> int:
    from .. import devices
    m = devices.get(args.name)
    print(f"{m.name}: {m.title}")
    print("terminals: " + " ".join(m.terminals) + ("   inputs: " + " ".join(m.input_nodes) if m.inputs else ""))
    print("states: " + ", ".join(f"{s.name} ({s.unit})" for s in m.states))
    print(f"{'parameter':<12} {'default':>14} {'unit':<10} {'range':<18} description [source]")
    for p in m.params:
        print(f"{p.name:<12} {p.default:>14.6g} {p.unit:<10} {p.range_text():<18} {p.doc} [{p.source}]")
    print("outputs: " + ", ".join(m.outputs))
    return 0


def _emit(args) -> int:
    from .. import devices
    text = devices.emit(args.name, args.target)
    if args.write and args.target == "veriloga":
        from ..devices.veriloga import write_veriloga
        path = write_veriloga(devices.get(args.name))
        print(f"// written to {path}")
    print(text, end="")
    return 0


def _plot(args) -> int:
    from .. import devices
    from ..devices.plots import plot
    path = plot(devices.get(args.name), args.output)
    print(f"wrote {path}")
    return 0


def _calibrate(args) -> int:
    """Measured counts (export.measured) -> LLG calibration (physics.calibrate) -> a card every stage reads."""
    import json

    import numpy as np

    from ..export.measured import psw_counts
    from ..export.measured_table import check_unused, parse_pairs, read_table
    from ..physics.calibrate import MeasuredPsw, calibrate_vcmtj, card_with
    mapping = parse_pairs(args.map, "COLUMN=FIELD", reverse=True)
    units = parse_pairs(args.units, "FIELD=UNIT")
    check_unused(mapping, units, ("voltage", "width", "trials", "switched", "p_switch", "state"), "vcmtj_psw")
    table = read_table(args.data)
    vs, ws, K, N, used = psw_counts(table, mapping, units)
    if len(used) == 2:
        data = MeasuredPsw(vs, ws, K[0], N[0], K[1], N[1])
    else:
        data = MeasuredPsw(vs, ws, K[used[0]], N[used[0]])
    free = tuple(f.strip() for f in args.free.split(",") if f.strip())
    cal = calibrate_vcmtj(data, free, trials=args.trials, seed=args.seed, log=print)
    args.out.write_text(card_with(cal, f"{args.data.name} (sha256 {table.sha256[:16]})"))
    report = {"free": list(cal.free), "estimate": cal.estimate, "ci95": {k: list(v) for k, v in cal.interval.items()},
              "deviance": cal.deviance, "dof": cal.dof, "evaluations": cal.evaluations, "trials": cal.trials,
              "seed": cal.seed, "pearson_residuals": np.round(cal.residuals, 4).tolist(), "data": str(args.data),
              "data_sha256": table.sha256}
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    for f in cal.free:
        lo, hi = cal.interval[f]
        print(f"{f} = {cal.estimate[f]:.6g} (95 % profile interval {lo:.6g} .. {hi:.6g})")
    print(f"deviance {cal.deviance:.2f} on {cal.dof} degrees of freedom; card: {args.out}")
    return 0
