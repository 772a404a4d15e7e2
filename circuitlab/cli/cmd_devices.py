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
