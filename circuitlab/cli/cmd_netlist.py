"""``circuitlab netlist``: write the registered example circuits as netlist files; import SPICE decks."""
from __future__ import annotations

from pathlib import Path

DEFAULT_DIR = Path("netlists")


def register(sub) -> None:
    p = sub.add_parser("netlist", help="generate example netlists")
    s = p.add_subparsers(dest="netlist_command", metavar="ACTION", required=True)
    g = s.add_parser("generate", help="write registered circuits to NAME.cir files")
    g.add_argument("names", nargs="*", help="circuit names (see 'circuitlab netlist list')")
    g.add_argument("--all", action="store_true", help="every registered circuit")
    g.add_argument("-o", "--out-dir", type=Path, default=DEFAULT_DIR, help="output folder (default netlists/)")
    g.set_defaults(func=generate)
    ls = s.add_parser("list", help="list registered circuits")
    ls.set_defaults(func=list_circuits)
    im = s.add_parser("import", help="parse a SPICE deck into the netlist IR and print it (as Python with --python)")
    im.add_argument("deck", type=Path, help="SPICE deck (any suffix)")
    im.add_argument("--python", action="store_true", help="print the Python code that builds the circuit")
    im.add_argument("-o", "--out", type=Path, help="write to this file instead of stdout")
    im.set_defaults(func=import_deck)


def generate_netlists(names, out_dir: Path) -> list:
    """Write each named circuit to ``out_dir/<name>.cir``; return the paths."""
    from ..circuits import build_example
    out_dir.mkdir(parents=True, exist_ok=True)
    return [build_example(n).write(out_dir / f"{n}.cir") for n in names]


def generate(args) -> int:
    from ..circuits import EXAMPLES
    from ..errors import ConfigError
    names = sorted(EXAMPLES) if args.all else args.names
    if not names:
        raise ConfigError("name at least one circuit or pass --all; see 'circuitlab netlist list'")
    for path in generate_netlists(names, args.out_dir):
        print(path)
    return 0


def list_circuits(args) -> int:
    from ..circuits import EXAMPLES
    for name, builder in sorted(EXAMPLES.items()):
        doc = (builder.__doc__ or "").strip().splitlines()[0] if builder.__doc__ else ""
        print(f"{name:<16} {doc}")
    return 0


def import_deck(args) -> int:
    """``circuitlab netlist import DECK [--python]``: the deck as the IR writes it, or as builder code."""
    from ..errors import ConfigError
    from ..netlist import circuit_to_python, parse_netlist
    if not args.deck.is_file():
        raise ConfigError(f"deck {str(args.deck)!r} not found; give the path of a SPICE netlist")
    circuit = parse_netlist(args.deck)
    text = circuit_to_python(circuit) if args.python else circuit.to_text()
    if args.out:
        args.out.write_text(text)
        print(args.out)
    else:
        print(text, end="")
    return 0
