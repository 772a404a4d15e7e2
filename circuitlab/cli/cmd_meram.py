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
    register_design(msub)
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


def register_design(msub) -> None:
    s = msub.add_parser("design", help="search per-bit pulses (V, t) over a P_sw table so that eps is near N(0, 1)")
    s.add_argument("--bits", type=int, default=8, help="bits per unit, weights 2^1 ... 2^(2-bits) (default 8)")
    s.add_argument("--target", choices=("normal",), default="normal", help="target law of eps (standard normal)")
    s.add_argument("--voltages", help="comma-separated gate voltages (V) of the table to use (default: all)")
    s.add_argument("--psw", default="vcmtj_psw",
                   help="P_sw table: a `circuitlab llg sweep` file or a vcmtj_psw model (default: built-in vcmtj_psw)")
    s.add_argument("--metric", choices=("tv", "w1"), default="tv",
                   help="distance to the target discretised on eps's lattice: total variation or Wasserstein-1")
    s.add_argument("--var-tol", type=float, default=0.05, help="allowed |Var(eps) - 1| without rescaling (default 0.05)")
    s.add_argument("--range-sigma", type=float, default=4.0,
                   help="required max|eps| / std (seed: 4; 0 to drop the constraint)")
    s.add_argument("--refine", type=int, default=4, help="interpolated widths per table interval + 1 (default 4)")
    s.add_argument("--out", type=Path, required=True, help="DESIGN.json output")
    s.add_argument("--model", type=Path, help="also write a meram_eps model file (HDF5) of the design")
    s.add_argument("--samples", type=int, default=40_000, help="sampled eps values in the model file (seed: 40000)")
    s.add_argument("--seed", type=int, default=0, help="seed of the model file's sample table")
    s.set_defaults(func=run_design)


def _load_psw(spec):
    from ..errors import SchemaError
    from ..export.modelfile import load_model
    from ..meram.design import table_from_model
    from ..physics.io import KIND, read_switching_table
    path = Path(spec)
    if path.is_file():
        import h5py
        try:
            with h5py.File(path, "r") as f:
                is_sweep = f.attrs.get("kind") == KIND
        except OSError as exc:
            raise SchemaError(f"--psw {spec!r} is not an HDF5 file ({exc})") from None
        if is_sweep:
            return read_switching_table(path)
    return table_from_model(load_model(spec, kind="vcmtj_psw"))


def run_design(args) -> int:
    from ..meram.design import design
    from .engnum import parse_grid
    if not 1 <= args.bits <= 24:
        raise ConfigError(f"--bits {args.bits} must lie between 1 and 24 (weights 2^1 ... 2^(2-bits))")
    if not 0 < args.var_tol < 1:
        raise ConfigError(f"--var-tol {args.var_tol} must lie in (0, 1)")
    if args.range_sigma < 0:
        raise ConfigError(f"--range-sigma {args.range_sigma} must be >= 0")
    if args.samples < 3:
        raise ConfigError(f"--samples {args.samples} must be >= 3")
    if args.out.suffix != ".json":
        raise ConfigError(f"--out {str(args.out)!r} must end in .json")
    if args.model is not None and args.model.suffix.lower() not in (".h5", ".hdf5"):
        raise ConfigError(f"--model {str(args.model)!r} must end in .h5 or .hdf5")
    table = _load_psw(args.psw)
    voltages = None
    if args.voltages is not None:
        voltages = parse_grid(args.voltages, "--voltages")
        missing = [float(v) for v in voltages if not any(abs(v - t) < 1e-9 for t in table.voltages)]
        if missing:
            raise ConfigError(f"--voltages {missing} are not in the P_sw table's voltages "
                              f"{[float(v) for v in table.voltages]}; choose from those")
    d = design(table, args.bits, voltages=voltages, metric=args.metric, var_tol=args.var_tol,
               range_sigma=args.range_sigma, refine=args.refine)
    d["psw_source"] = Path(str(args.psw)).name
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(d, indent=1))
    print(f"{args.bits}-bit design ({args.metric}, {'feasible' if d['feasible'] else 'NOT feasible'}): "
          f"Var {d['variance']:.4f}, mean {d['mean']:+.1e}, skew {d['skewness']:+.3f}, excess kurtosis "
          f"{d['excess_kurtosis']:+.3f}, range +-{d['range_sigma']:.3f} sigma, TV {d['tv']:.4f}, W1 {d['w1']:.4f}, "
          f"energy {d['energy_per_sample']:.3e} J/sample")
    for k, (v, t, q) in enumerate(zip(d["voltage"], d["width"], d["q"])):
        print(f"  bit {k} (w {d['weights'][k]:g}): {v:g} V, {t * 1e9:.3f} ns, p_sym = 2q = {2 * q:.4f}")
    print(f"design written to {args.out}")
    if args.model is not None:
        from ..export.standard import export_meram_design
        print(f"model written to {export_meram_design(args.out, args.model, samples=args.samples, seed=args.seed)}")
    return 0
