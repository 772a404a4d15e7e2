"""``circuitlab devices list|show|emit|plot|calibrate``: the device-model registry from the command line."""
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
    cal = dsub.add_parser("calibrate", help="fit device parameters to measurements (vcmtj: P_sw(V, t) counts; "
                                            "rram: read I-V curves of programmed states)")
    cal.add_argument("name", choices=("vcmtj", "rram"))
    cal.add_argument("--data", type=Path, required=True,
                     help="CSV/TSV/HDF5. vcmtj: voltage, width, trials and switched (or p_switch), optional state; "
                          "rram: voltage, current, state (a label per programmed state)")
    cal.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD", help="column of a field")
    cal.add_argument("--units", action="append", default=[], metavar="FIELD=UNIT", help="e.g. width=ns")
    cal.add_argument("--free", default="ki", help="card parameters to fit, comma-separated (default ki; e.g. "
                                                  "ki,alpha,hx)")
    cal.add_argument("--trials", type=int, default=200, help="LLG trials per initial state and point (200)")
    cal.add_argument("--seed", type=int, default=0, help="seed of the LLG draws (common to every evaluation)")
    cal.add_argument("--dynamics", action="store_true",
                     help="rram: the data are quasi-static SET/RESET sweeps (sweep, time, voltage, current; two or "
                          "more ramp rates): fit vel0 and gamma0 to their switching voltages")
    cal.add_argument("--card", type=Path, help="rram --dynamics: the card for the read law and the fixed "
                                               "parameters (e.g. from the I-V calibration); default the model's")
    cal.add_argument("--lrs", help="rram: the state at g_min (a full SET); with --hrs g0 and I0 are fitted too")
    cal.add_argument("--hrs", help="rram: the state at g_max (a full RESET)")
    cal.add_argument("--out", type=Path, required=True, help="calibrated card (TOML); a JSON report "
                                                           "goes next to it")
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
    if args.name == "rram":
        return _calibrate_rram(args)
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
    _report(args.out, report, cal.estimate, cal.interval, cal.free)
    print(f"deviance {cal.deviance:.2f} on {cal.dof} degrees of freedom; card: {args.out}")
    return 0


def _report(out, report, estimate, interval, names) -> None:
    """The calibration report as JSON next to the card, and each estimate with its profile interval."""
    import json
    out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    for k in names:
        lo, hi = interval[k]
        print(f"{k} = {estimate[k]:.6g} (95 % profile interval {lo:.6g} .. {hi:.6g})")


def _card_toml(cal, source: str) -> str:
    """The Stanford-PKU card from an I-V calibration (physics.calibrate_rram -> devices.rram_card)."""
    from ..devices.rram_card import card_text
    fitted = {"V0": (cal.V0, cal.V0_interval)}
    card = None
    if cal.g0_interval is not None:
        fitted.update({"g0": (cal.g0, cal.g0_interval), "I0": (cal.I0, cal.I0_interval)})
    else:
        card = {"g0": cal.g0, "I0": cal.I0}
    return card_text(fitted, f"fitted to {source}", card,
                     [f"read I-V: sigma of ln|I| {cal.sigma:.4g}, deviance {cal.deviance:.2f}; per-state gaps in the "
                      "JSON report"])


def _calibrate_rram(args) -> int:
    """Measured read I-V (export.measured_table) -> V0 and per-state prefactors (physics.calibrate_rram) -> card."""
    import json

    import numpy as np

    from ..export.measured_table import check_unused, column, labels, parse_pairs, read_table
    from ..devices import get
    from ..physics.calibrate_rram import calibrate_rram, iv_from_columns
    mapping = parse_pairs(args.map, "COLUMN=FIELD", reverse=True)
    units = parse_pairs(args.units, "FIELD=UNIT")
    if args.dynamics:
        return _calibrate_rram_sweeps(args, mapping, units)
    check_unused(mapping, units, ("voltage", "current", "state"), "rram I-V")
    table = read_table(args.data)
    v = column(table, "voltage", "V", mapping, units, what="read voltage")
    i = column(table, "current", "A", mapping, units, what="cell current")
    data = iv_from_columns(v, i, [s.strip() for s in labels(table, "state", mapping)])
    cal = calibrate_rram(data, card=get("rram").card(), lrs=args.lrs, hrs=args.hrs)
    args.out.write_text(_card_toml(cal, f"{args.data.name} (sha256 {table.sha256[:16]})"))
    report = {"V0": cal.V0, "V0_ci95": list(cal.V0_interval), "c": cal.c, "c_ci95": {k: list(x) for k, x in
                                                                                     cal.c_interval.items()},
              "g0": cal.g0, "g0_ci95": list(cal.g0_interval) if cal.g0_interval else None, "I0": cal.I0,
              "I0_ci95": list(cal.I0_interval) if cal.I0_interval else None,
              "identified": ["V0", "c"] + (["g0", "I0"] if cal.g0_interval else []),
              "gap": cal.gap, "gap_ci95": {k: list(x) for k, x in cal.gap_interval.items()},
              "sigma_ln_current": cal.sigma, "deviance": cal.deviance, "dof": cal.dof,
              "residuals": np.round(cal.residuals, 4).tolist(), "data": str(args.data), "data_sha256": table.sha256}
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    print(f"V0 = {cal.V0:.5g} V (95 % profile interval {cal.V0_interval[0]:.5g} .. {cal.V0_interval[1]:.5g})")
    if cal.g0_interval:
        print(f"g0 = {cal.g0 * 1e9:.4g} nm ({cal.g0_interval[0] * 1e9:.4g} .. {cal.g0_interval[1] * 1e9:.4g}), "
              f"I0 = {cal.I0:.4g} A ({cal.I0_interval[0]:.4g} .. {cal.I0_interval[1]:.4g})")
    else:
        print(f"g0 = {cal.g0 * 1e9:.4g} nm and I0 = {cal.I0:.4g} A kept from the card (I-V curves alone do not "
              "identify them; name the fully SET and RESET states with --lrs/--hrs to fit them)")
    for lab in data.labels:
        lo, hi = cal.gap_interval[lab]
        print(f"state {lab}: gap {cal.gap[lab] * 1e9:.4g} nm ({lo * 1e9:.4g} .. {hi * 1e9:.4g})")
    print(f"sigma of ln|I| {cal.sigma:.3g}; card: {args.out}")
    return 0


def _calibrate_rram_sweeps(args, mapping, units) -> int:
    """Measured SET/RESET sweeps -> vel0 and gamma0 (physics.rram_sweep) -> the card with them."""
    import json

    import numpy as np

    from ..devices import get
    from ..export.measured_table import check_unused, column, labels, read_table
    from ..devices.rram_card import card_text, rram_card
    from ..physics.rram_sweep import Sweeps, calibrate_sweeps
    check_unused(mapping, units, ("sweep", "time", "voltage", "current"), "rram sweeps")
    base, raw = rram_card(args.card, raw=True) if args.card else (get("rram").card(), None)
    table = read_table(args.data)
    t = column(table, "time", "s", mapping, units, low=0.0, what="time in the sweep")
    v = column(table, "voltage", "V", mapping, units, what="applied voltage")
    i = column(table, "current", "A", mapping, units, what="cell current")
    names = [s.strip() for s in labels(table, "sweep", mapping)]
    order = list(dict.fromkeys(names))
    data = Sweeps(t, v, i, np.array([order.index(s) for s in names]), tuple(order))
    cal = calibrate_sweeps(data, base)
    fitted = {k: (cal.estimate[k], cal.interval[k]) for k in cal.estimate}
    args.out.write_text(card_text(fitted, f"fitted to the switching voltages of {args.data.name} (sha256 "
                                          f"{table.sha256[:16]})", base,
                                  [f"sweeps: switching-voltage spread {cal.sigma:.4g} V over {len(order)} sweeps"], raw))
    report = {"estimate": cal.estimate, "ci95": {k: list(x) for k, x in cal.interval.items()},
              "v_switch": cal.v_switch, "residual": cal.residual, "g_start": cal.g_start, "sigma_v_switch": cal.sigma,
              "deviance": cal.deviance, "dof": cal.dof, "evaluations": cal.evaluations, "card": str(args.card or ""),
              "data": str(args.data), "data_sha256": table.sha256}
    _report(args.out, report, cal.estimate, cal.interval, cal.estimate)
    print(f"switching-voltage spread {cal.sigma:.3g} V over {len(order)} sweeps; card: {args.out}")
    return 0
