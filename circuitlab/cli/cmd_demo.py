"""``circuitlab demo``: the main job on the built-in default configuration.

Stage by stage, each writing under ``--out-dir`` and saying where:
1. netlists: generate the example netlists, simulate each with ngspice, compare with closed forms;
2. Monte Carlo: the default campaign, built-in spec ``rc_bsource`` (reduced sample count),
   with its summary table and histograms;
3. LLG: the VC-MTJ switching probability P_sw(V, t) at 2.1/2.4/2.7 V (seed Fig. 2c, reduced trials);
4. MeRAM: the 8-bit unit's noise table eps from that P_sw table (seed pulse settings);
5. P2M: the in-pixel MAC cell's Fig. 6 campaigns at a reduced sample count, with the seed figures;
6. models: the behavioural model files (vcmtj_psw, meram_eps, p2m_f1, p2m_f2) exported from stages 3-5.
Stages 2-6 call the same code as ``circuitlab mc run``, ``llg sweep``, ``meram noise``,
``p2m characterise`` and ``export``.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

DEFAULT_OUT = Path("results/demo")
THERMAL_VOLTAGE_27C = 1.380649e-23 * 300.15 / 1.602176634e-19  # volt, CODATA 2018 constants


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the main job on the default configuration")
    p.add_argument("-o", "--out-dir", type=Path, default=DEFAULT_OUT, help="results folder (default results/demo)")
    p.add_argument("--backend", choices=("subprocess", "pyspice"), default="subprocess")
    p.add_argument("--samples", type=int, default=400, help="Monte Carlo samples of the default campaign (400)")
    p.add_argument("--trials", type=int, default=100, help="LLG trials per initial state and point (100)")
    p.add_argument("--seed", type=int, default=2026, help="seed of the LLG and MeRAM stages")
    p.add_argument("--p2m-quick", type=float, default=0.04, help="P2M campaign scale (0.04: 40 samples each)")
    p.set_defaults(func=run)


def closed_form() -> dict:
    """Reference values of the example circuits (see circuitlab.circuits.basic)."""
    from ..circuits.basic import C_RC, R_RC
    tau = R_RC * C_RC
    return {
        ("rc_step", "v_at_tau"): 1 - math.exp(-1.0),
        ("rc_step", "t_rise"): tau * math.log(9.0),
        ("rc_lowpass", "f_3db"): 1 / (2 * math.pi * tau),
        ("divider", "v(mid)"): 1.8 * 1e3 / 4e3,
        # diode: v_in = 0.6 V + R * Is * (exp(0.6 / V_T) - 1), V_T = k T / q at 27 degC
        ("diode_sweep", "vin_at_0v6"): 0.6 + 1e3 * 1e-14 * math.expm1(0.6 / THERMAL_VOLTAGE_27C),
        # NMOS in saturation: (vdd/2)/R = KP/2 W/L (v_in - VTO)^2
        ("nmos_inverter", "v_switch"): 0.5 + math.sqrt(2 * (0.9 / 10e3) / (2e-4 * 1e-6 / 0.18e-6)),
    }


DEFAULT_SPEC = "rc_bsource"   # a built-in spec (circuitlab/specs/rc_bsource.toml)


def run(args) -> int:
    from ..resources import builtin_spec
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    print("== 1/6 netlists: example circuits against closed forms")
    run_netlists(args)
    print("\n== 2/6 Monte Carlo: default campaign", DEFAULT_SPEC)
    run_stage(["mc", "run", builtin_spec(DEFAULT_SPEC), "--out", out / "mc" / "rc_bsource.h5",
               "--samples", args.samples, "--no-progress"], fresh=out / "mc" / "rc_bsource.h5")
    run_stage(["mc", "inspect", out / "mc" / "rc_bsource.h5"])
    print("\n== 3/6 LLG: VC-MTJ switching probability (seed Fig. 2c)")
    psw = out / "llg" / "psw.h5"
    run_stage(["llg", "sweep", "--voltages", "2.1,2.4,2.7", "--widths", "0.2n:4n:20", "--trials", args.trials,
               "--seed", args.seed, "--backend", "torch", "--dtype", "float32", "--threads", "1", "--out", psw],
              fresh=psw)
    print("\n== 4/6 MeRAM: 8-bit unit noise table from that P_sw table")
    eps = out / "meram" / "eps.h5"
    run_stage(["meram", "noise", "--bits", 8, "--samples", 40000, "--seed", args.seed, "--psw-table", psw,
               "--out", eps], fresh=eps)
    print("\n== 5/6 P2M: in-pixel MAC cell campaigns (seed Fig. 6, reduced samples)")
    p2m = out / "p2m"
    run_stage(["p2m", "characterise", "--out-dir", p2m, "--quick", args.p2m_quick, "--only", "p2m_fig6a_cmos",
               "p2m_fig6b_dwmtj", "p2m_fig6c_hybrid", "p2m_fig6d_read"], fresh=p2m / "p2m_summary.json")
    print("\n== 6/6 models: behavioural model files from the stages above")
    models = out / "models"
    for kind, source in (("vcmtj_psw", psw), ("meram_eps", eps), ("p2m_f1", p2m), ("p2m_f2", p2m)):
        run_stage(["export", kind, "--from", source, "--out", models / f"{kind}.h5"], fresh=models / f"{kind}.h5")
    print(f"\nall results under {out}/")
    return 0


def run_stage(argv, fresh: Path = None) -> None:
    """Run one stage through the CLI (same code path as typing the command); raise if it fails."""
    from ..errors import CircuitlabError
    from .main import main
    if fresh is not None:
        fresh.parent.mkdir(parents=True, exist_ok=True)
        for old in fresh.parent.glob(fresh.stem + "*"):
            old.unlink()
    code = main([str(a) for a in argv])
    if code:
        raise CircuitlabError(f"demo stage 'circuitlab {' '.join(map(str, argv))}' failed with exit code {code}")


def run_netlists(args) -> None:
    from ..circuits import EXAMPLES
    from ..sim import probe, simulate
    from .cmd_netlist import generate_netlists

    out = args.out_dir
    paths = generate_netlists(sorted(EXAMPLES), out / "netlists")
    refs = closed_form()
    info = probe()
    print(f"circuitlab demo: ngspice {info.version} ({info.executable}), backend {args.backend}")
    print(f"{'circuit':<15} {'quantity':<12} {'ngspice':>14} {'closed form':>14} {'rel. error':>11} {'time':>8}")
    results = {}
    for path in paths:
        name = path.stem
        t0 = time.perf_counter()
        result = simulate(path, backend=args.backend)
        elapsed = time.perf_counter() - t0
        result.to_hdf5(out / f"{name}.h5")
        results[name] = result
        quantities = dict(result.measures)
        if name == "divider":
            quantities["v(mid)"] = float(result["v(mid)"][0])
        for q, value in quantities.items():
            ref = refs.get((name, q))
            err = f"{abs(value - ref) / abs(ref):.1e}" if ref else "-"
            ref_text = f"{ref:.7g}" if ref else "-"
            print(f"{name:<15} {q:<12} {value:>14.7g} {ref_text:>14} {err:>11} {elapsed * 1e3:>6.1f}ms")
    plot = _plot_rc(results["rc_step"], results["rc_lowpass"], out / "rc_step_and_lowpass.png")
    print(f"netlists:  {out / 'netlists'}")
    print(f"vectors:   {out}/*.h5")
    print(f"plot:      {plot}")


def _plot_rc(step, lowpass, path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from ..circuits.basic import C_RC, R_RC
    tau = R_RC * C_RC
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    t = step.time
    a.plot(t * 1e6, step["v(out)"], label="ngspice")
    a.plot(t * 1e6, 1 - np.exp(-t / tau), "--", label="1 - exp(-t/RC)")
    a.set(xlabel="time (us)", ylabel="v(out) (V)", title="RC step response")
    a.legend()
    f = lowpass.sweep.real
    b.semilogx(f, 20 * np.log10(np.abs(lowpass["v(out)"])), label="ngspice")
    b.semilogx(f, -10 * np.log10(1 + (2 * np.pi * f * tau) ** 2), "--", label="closed form")
    b.set(xlabel="frequency (Hz)", ylabel="|H| (dB)", title="RC low-pass")
    b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
