"""``circuitlab meram noise``: MeRAM-unit noise table eps = A_i - A_{i-1} (seed Fig. 3b) to HDF5 and a plot."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import ConfigError


def register(sub) -> None:
    p = sub.add_parser("meram", help="MeRAM unit (n VC-MTJs on a bit line) as a Markov noise source")
    msub = p.add_subparsers(dest="meram_command", metavar="ACTION")
    s = msub.add_parser("noise", help="sample the noise eps of one unit and write the table")
    s.add_argument("--bits", type=int, default=8, help="bits per unit, weights 2^1 ... 2^(2-bits) (default 8)")
    s.add_argument("--samples", type=int, default=40_000, help="eps values (seed: 40000)")
    s.add_argument("--seed", type=int, required=True, help="integer seed")
    s.add_argument("--out", type=Path, required=True, help="HDF5 output; a histogram PNG is written next to it")
    s.add_argument("--mode", choices=("stream", "shuffled"), default="shuffled",
                   help="stream: true Markov sequence (correlated); shuffled: the seed's permuted table (default)")
    s.add_argument("--voltage", default="2.4", help="gate voltage in V (seed: 2.4)")
    s.add_argument("--msb-width", default="0.4n", help="MSB pulse width in s (seed: 0.4n)")
    s.add_argument("--other-width", default="2n", help="pulse width of the other bits in s (seed: 2n)")
    s.add_argument("--psw-table", type=Path, help="P_sw table from `circuitlab llg sweep` (default: run the LLG engine)")
    s.add_argument("--llg-trials", type=int, default=1000, help="LLG trials per initial state when no table is given")
    s.add_argument("--json", action="store_true",
                   help='print only {"mean", "std", "lag1_autocorr", "kurtosis" (excess), "samples"} of the raw eps')
    s.set_defaults(func=run_noise)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_noise(args) -> int:
    import numpy as np

    from ..meram import PulseSettings, epsilon_moments, sample_statistics
    from ..meram.io import make_noise_table, plot_noise_histogram
    from .engnum import check_h5_out, parse_eng
    if args.bits < 1 or args.bits > 64:
        raise ConfigError(f"--bits {args.bits} must lie between 1 and 64")
    if args.samples < 3:
        raise ConfigError(f"--samples {args.samples} must be >= 3")
    if args.llg_trials < 1:
        raise ConfigError(f"--llg-trials {args.llg_trials} must be >= 1")
    check_h5_out(args.out)
    settings = PulseSettings(voltage=parse_eng(args.voltage, "--voltage"), msb_width=parse_eng(args.msb_width, "--msb-width"),
                             other_width=parse_eng(args.other_width, "--other-width"), bits=args.bits)
    eps, a, b, weights = make_noise_table(args.out, bits=args.bits, samples=args.samples, seed=args.seed,
                                          mode=args.mode, settings=settings, psw_table=args.psw_table,
                                          llg_trials=args.llg_trials)
    sigma = epsilon_moments(a, b, weights)["std"]
    png = plot_noise_histogram(eps, sigma, args.out.with_suffix(".png"),
                               title=f"{args.bits}-bit MeRAM unit, {args.mode}, {settings.voltage:g} V")
    stats = sample_statistics(eps)
    if args.json:
        print(json.dumps(stats))
        return 0
    print(f"{args.samples} eps samples ({args.mode}) from a {args.bits}-bit unit; per-bit P_P->AP "
          f"{np.round(a, 3).tolist()}, P_AP->P {np.round(b, 3).tolist()}")
    exact = epsilon_moments(a, b, weights)
    for key in ("mean", "std", "lag1_autocorr", "kurtosis"):
        print(f"  {key:<14} sample {stats[key]:+.4f}   exact (stream) {exact[key]:+.4f}")
    print(f"table written to {args.out}, histogram to {png}")
    return 0
