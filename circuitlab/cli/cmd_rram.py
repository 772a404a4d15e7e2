"""``circuitlab rram characterise --out-dir DIR [--quick F] [--workers N]``: every RRAM campaign, its plots and a
summary.

Runs the Monte Carlo campaigns of the built-in specs ``rram_{relaxation,ir_drop,ir_drop_1t1r,settling,adc,energy,
energy_seed}.toml`` (each also runs alone with ``circuitlab mc run``) into ``DIR/<name>.h5``, then analyses those
files: a plot ``DIR/<name>.png`` beside each, ``DIR/rram_summary.h5`` (input of ``circuitlab export rram_cim``)
and ``DIR/rram_report.json``. ``--quick F`` scales every sample count by F (at least 2 per campaign, 20
for the relaxation campaign), keeps settling sizes <= 64 and 1T1R IR-drop sizes at 16 and 64.
"""
from __future__ import annotations

import json
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("rram", help="RRAM crossbar characterisation (relaxation, IR drop, settling, ADC, energy)")
    s = p.add_subparsers(dest="rram_command", metavar="ACTION", required=True)
    c = s.add_parser("characterise", help="run every RRAM campaign and save data, plots and a summary")
    c.add_argument("--out-dir", type=Path, required=True, help="folder for the HDF5 files, plots and summary")
    c.add_argument("--quick", type=float, default=None, help="scale factor of the sample counts, in (0, 1]")
    c.add_argument("--workers", type=int, default=2, help="worker processes of every campaign")
    c.add_argument("--json", action="store_true", help="print the report as JSON")
    c.set_defaults(func=characterise)


def characterise(args) -> int:
    from ..errors import ConfigError
    if args.quick is not None and not 0 < args.quick <= 1:
        raise ConfigError(f"--quick {args.quick!r} must lie in (0, 1]")
    if args.workers < 1:
        raise ConfigError(f"--workers {args.workers!r} must be >= 1")
    from ..characterisation.rram_analysis import characterise as run
    report = run(args.out_dir, quick=args.quick, workers=args.workers)
    if args.json:
        print(json.dumps(report, default=float))
        return 0
    r = report
    print(f"relaxation: max |ours - NeuRRAM| {r['relaxation']['max_dev_1s_S'] * 1e6:.2f} uS (1 s), "
          f"{r['relaxation']['max_dev_1day_S'] * 1e6:.2f} uS (1 day)")
    n = r["ir_drop"]["size"]
    print(f"IR drop {n}x{n} @ 1 ohm: RMS {100 * r['ir_drop']['rms_largest_1ohm']:.3f} %, worst column "
          f"{100 * r['ir_drop']['worst_largest_1ohm']:.2f} % of V_read; 256x256 solve "
          f"{r['solve_256']['seconds']:.2f} s, LU {r['solve_256']['lu_bytes'] / 2**20:.0f} MiB")
    c = r["ir_drop_1t1r"]
    print(f"IR drop, 1T1R vs linear cells of the same read G, sizes {c['sizes']}: RMS "
          f"{[round(100 * v, 4) for v in c['rms_1t1r']]} vs {[round(100 * v, 4) for v in c['rms_linear']]} % of "
          f"V_read; cell nonlinearity alone {[round(100 * v, 4) for v in c['rms_1t1r_no_wire']]} %")
    print(f"ADC 8 bit: best range +-{r['adc']['best_clip_8bit']:g} V_read, RMS {100 * r['adc']['rms_8bit_best']:.3f} %")
    print(f"settling (worst column) by size {r['settling']['sizes']}: "
          f"{[round(t * 1e9, 2) for t in r['settling']['worst_s']]} ns (seed 2.32 ns)")
    print(f"energy per MAC: voltage {r['energy']['mac_voltage_J'] * 1e15:.3f} fJ, current "
          f"{r['energy']['mac_current_J'] * 1e15:.3f} fJ (seed 2.16 / 7.81 fJ)")
    e = r["energy_seed"]
    for mode in ("voltage", "current"):
        print(f"energy per MAC under the seed's conditions, {mode} mode, by stage "
              + ", ".join(f"{k} {v * 1e15:.3g}" for k, v in zip(e["stages"], e[f"mac_{mode}_J"]))
              + f" fJ ({e['ratio_to_seed_' + mode]:.2f} x seed)")
    print(f"written to {args.out_dir}")
    return 0
