"""``circuitlab llg sweep``: P_sw(V, t) of the VC-MTJ macrospin (seed Fig. 2c) to HDF5 and a plot."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import ConfigError


def register(sub) -> None:
    p = sub.add_parser("llg", help="stochastic LLG macrospin of the VC-MTJ (MeRAM cell)")
    llg_sub = p.add_subparsers(dest="llg_command", metavar="ACTION")
    s = llg_sub.add_parser("sweep", help="switching probability over gate voltages and pulse widths")
    s.add_argument("--voltages", default="2.1,2.4,2.7", help="gate voltages in V: list or START:STOP:COUNT")
    s.add_argument("--widths", default="0.1n:4n:40", help="pulse widths in s: list or START:STOP:COUNT (0.1n:4n:40)")
    s.add_argument("--trials", type=int, default=150, help="trials per initial state (P and AP) and point (seed: 150)")
    s.add_argument("--seed", type=int, required=True, help="integer seed of the run")
    s.add_argument("--out", type=Path, required=True, help="HDF5 output; a PNG plot is written next to it")
    s.add_argument("--backend", choices=("numpy", "torch"), default="numpy")
    s.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    s.add_argument("--device", default="cpu", help="torch device (cpu, cuda); backend torch only")
    s.add_argument("--threads", type=int, help="torch CPU threads (1 is fastest on a busy 2-core machine)")
    s.add_argument("--dt", default="1p", help="fixed integration step in s (default 1p)")
    s.add_argument("--relax", default="3n", help="relaxation time at 0 V after the pulse in s (default 3n)")
    s.add_argument("--equilibrate", default="1n", help="equilibration at 0 V before the pulse in s (default 1n)")
    s.add_argument("--json", action="store_true", help="print one JSON object and nothing else on stdout")
    s.add_argument("--card", type=Path, default=None,
                   help="a VC-MTJ card (TOML, e.g. from 'devices calibrate vcmtj'); default: the shipped card")
    s.set_defaults(func=run_sweep)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_sweep(args) -> int:
    from ..physics import PulseProtocol, switching_probability
    from ..physics.io import plot_switching_table, write_switching_table
    from .engnum import check_h5_out, parse_eng, parse_grid
    voltages = parse_grid(args.voltages, "voltage")
    widths = parse_grid(args.widths, "pulse width")
    if (widths <= 0).any():
        raise ConfigError(f"pulse widths must be > 0 s; got {args.widths!r}")
    if args.trials < 1:
        raise ConfigError(f"--trials {args.trials} must be >= 1")
    check_h5_out(args.out)
    protocol = PulseProtocol(dt=parse_eng(args.dt, "--dt"), relax=parse_eng(args.relax, "--relax"),
                             equilibrate=parse_eng(args.equilibrate, "--equilibrate"))
    params = None
    if args.card is not None:
        from ..physics.calibrate import params_from_card
        params = params_from_card(args.card)
    table = switching_probability(params, voltages, widths, args.trials, seed=args.seed, protocol=protocol,
                                  backend=args.backend, dtype=args.dtype, device=args.device, threads=args.threads)
    write_switching_table(table, args.out)
    png = plot_switching_table(table, args.out.with_suffix(".png"))
    if args.json:
        print(json.dumps({"voltages": table.voltages.tolist(), "widths": table.widths.tolist(),
                          "p_switch": table.p_switch.tolist(), "trials": table.trials}))
        return 0
    print(f"P_sw over {len(voltages)} voltages x {len(widths)} widths, {args.trials} trials per initial state")
    for i, v in enumerate(table.voltages):
        row = " ".join(f"{p:.2f}" for p in table.p_switch[i])
        print(f"  {v:5.2f} V: {row}")
    print(f"table written to {args.out}, plot to {png}")
    return 0
