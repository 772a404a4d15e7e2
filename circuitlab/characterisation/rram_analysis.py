"""Figures and numbers of the RRAM characterisation (seed: neurram_cim_slides.txt).

:func:`characterise` runs every ``characterisation/rram_*.toml`` (the relaxation campaign through the
Monte Carlo engine, the array sweeps of :mod:`.rram_campaigns`), writes ``DIR/<name>.h5`` and a plot
``DIR/<name>.png`` next to it, and a summary ``DIR/rram_summary.h5`` that the ``rram_cim`` exporter
reads. All numbers are SI (S, s, J, V); error figures are fractions of V_read.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Dict

import numpy as np

from ..circuits import rram_campaigns as rc
from ..circuits import rram_relaxation as rr
from ..plotting import axes, save

SPEC_DIR = Path(__file__).resolve().parents[2] / "characterisation"
MIN_SAMPLES = 2


def _write(path: Path, data: Dict[str, np.ndarray], spec_text: str) -> None:
    import h5py
    with h5py.File(path, "w") as f:
        f.attrs["spec"] = spec_text
        for k, v in data.items():
            f[k] = np.asarray(v)


# --- relaxation ----------------------------------------------------------------------------------------
def relaxation_table(path) -> Dict[str, np.ndarray]:
    """sigma_g (S) over (time, target G) from a finished rram_relaxation campaign, read noise removed.

    Sample 0 (the nominal sample: every draw zero) is left out of the spread."""
    import h5py
    with h5py.File(path, "r") as f:
        names = json.loads(f.attrs["sweep_names"])
        sweep = f["sweep"][()]
        derived = f["derived"][()][..., json.loads(f.attrs["derived_names"]).index("g_read")]
        ok = f["status"][()] == 0
    g_read = derived[1:][ok[1:]]
    g_col, t_col = sweep[:, names.index("g_target")], sweep[:, names.index("t_read")]
    times, gs = np.unique(t_col), np.unique(g_col)
    total = np.zeros((len(times), len(gs)))
    for a, t in enumerate(times):
        for b, g in enumerate(gs):
            k = int(np.nonzero((t_col == t) & (g_col == g))[0][0])
            total[a, b] = np.std(g_read[:, k] - g, ddof=1)
    sigma = np.sqrt(np.maximum(total ** 2 - (rr.READ_NOISE * gs) ** 2, 0.0))
    return {"time": times, "conductance": gs, "sigma_total": total, "sigma_g": sigma,
            "samples": np.array(len(g_read))}


def analyse_relaxation(path, out_dir: Path) -> Dict[str, object]:
    tab = relaxation_table(path)
    fig, ax = axes("RRAM spread vs target G (rram_cim cell, ngspice)", "target G (uS)", "sigma_G (uS)")
    grid = np.linspace(1e-6, 40e-6, 100)
    out = {}
    for a, t in enumerate(tab["time"]):
        ax.plot(tab["conductance"] * 1e6, tab["sigma_g"][a] * 1e6, "o-", ms=3, label=f"ours t = {t:g} s")
        if t in rr.NEURRAM_POLY:
            ref = rr.neurram_sigma(tab["conductance"], t)
            ax.plot(grid * 1e6, rr.neurram_sigma(grid, t) * 1e6, "k--", lw=1)
            key = "1s" if t == 1.0 else "1day"
            out[f"max_dev_{key}_S"] = float(np.max(np.abs(tab["sigma_g"][a] - ref)))
            out[f"rms_dev_{key}_S"] = float(np.sqrt(np.mean((tab["sigma_g"][a] - ref) ** 2)))
            out[f"peak_{key}_S"] = float(np.max(tab["sigma_g"][a]))
    ax.legend(fontsize=7, title="dashed: NeuRRAM polynomial", title_fontsize=7)
    out["plot"] = save(fig, Path(out_dir) / "rram_relaxation.png")
    return out


# --- array sweeps -------------------------------------------------------------------------------------
def analyse_ir_drop(d, out_dir: Path) -> Dict[str, object]:
    fig, ax = axes("IR-drop error of the MVM (direct solver)", "array size N (N x N)", "RMS error / V_read (%)")
    for b, r in enumerate(d["r_wire"]):
        ax.loglog(d["sizes"], 100 * d["rms"][:, b].mean(axis=1), "o-", ms=3, label=f"{r:g} ohm/segment")
    ax.legend(fontsize=7)
    plot = save(fig, Path(out_dir) / "rram_ir_drop.png")
    i1 = int(np.argmin(np.abs(d["r_wire"] - 1.0)))
    return {"plot": plot, "rms_256_1ohm": float(d["rms"][-1, i1].mean()), "worst_256_1ohm": float(d["worst"][-1, i1].max()),
            "solve_s_max": float(d["solve_s"][-1]), "ngspice_max_diff_V": float(np.max(d["ngspice_diff"]))}


def analyse_settling(d, out_dir: Path) -> Dict[str, object]:
    fig, ax = axes("SL settling time (voltage mode, ngspice)", "array size N (N x N)", "settling time (ns)")
    for a, n in enumerate(d["sizes"]):
        cols = d[f"columns_{n}"]
        ax.plot(np.full(cols.shape, n) * np.exp(np.random.default_rng(0).normal(0, 0.05, cols.shape)), cols * 1e9,
                ".", ms=1.5, alpha=0.3, color="C0")
    ax.semilogx(d["sizes"], 1e9 * np.median(d["median"], axis=1), "ko-", ms=3, label="median")
    ax.semilogx(d["sizes"], 1e9 * np.max(d["worst"], axis=1), "rs-", ms=3, label="worst column")
    ax.axhline(rc.SEED_SETTLE * 1e9, color="g", ls="--", lw=1, label="seed 2.32 ns")
    ax.legend(fontsize=7)
    plot = save(fig, Path(out_dir) / "rram_settling.png")
    return {"plot": plot, "sizes": d["sizes"].tolist(), "median_s": np.median(d["median"], axis=1).tolist(),
            "worst_s": np.max(d["worst"], axis=1).tolist()}


def analyse_adc(d, out_dir: Path) -> Dict[str, object]:
    fig, ax = axes("ADC error with clipping (ideal array)", "ADC bits", "RMS MVM error / V_read (%)")
    for c, fc in enumerate(d["clip"]):
        ax.semilogy(d["bits"], 100 * d["rms"][:, c], "o-", ms=3,
                    label=f"range +-{fc:g} V_read (clipped {100 * d['clipped'][c]:.1f} %)")
    ax.legend(fontsize=7)
    plot = save(fig, Path(out_dir) / "rram_adc.png")
    best = int(np.argmin(d["rms"][-1]))
    return {"plot": plot, "best_clip_8bit": float(d["clip"][best]), "rms_8bit_best": float(d["rms"][-1, best])}


def analyse_energy(d, out_dir: Path) -> Dict[str, object]:
    fig, ax = axes(f"Array energy per MAC ({int(d['size'])}x{int(d['size'])}, ngspice)", "energy per MAC (fJ)",
                    "samples")
    ax.hist(d["mac_voltage"] * 1e15, bins=15, alpha=0.6, label="voltage mode (2.32 ns)")
    ax.hist(d["mac_current"] * 1e15, bins=15, alpha=0.6, label="current mode (10 ns)")
    ax.legend(fontsize=7)
    plot = save(fig, Path(out_dir) / "rram_energy.png")
    return {"plot": plot, "mac_voltage_J": float(np.mean(d["mac_voltage"])), "mac_current_J": float(np.mean(d["mac_current"])),
            "mvm_voltage_J": float(np.mean(d["e_voltage"])), "mvm_current_J": float(np.mean(d["e_current"])),
            "ratio": float(np.mean(d["mac_current"]) / np.mean(d["mac_voltage"]))}


RUNNERS = {"ir_drop": (rc.run_ir_drop, analyse_ir_drop), "settling": (rc.run_settling, analyse_settling),
           "adc": (rc.run_adc, analyse_adc), "energy": (rc.run_energy, analyse_energy)}


def characterise(out_dir, quick=None, spec_dir: Path = SPEC_DIR, workers: int = 2,
                 relaxation_samples=None) -> Dict[str, object]:
    """Run every RRAM campaign into ``out_dir``; returns {name: numbers} (also written as JSON)."""
    from ..montecarlo import load_spec, run_campaign
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report: Dict[str, object] = {}
    results: Dict[str, Dict[str, np.ndarray]] = {}

    def scaled(n):
        return n if quick is None else max(MIN_SAMPLES, math.ceil(n * quick))
    spec = load_spec(spec_dir / "rram_relaxation.toml")
    h5 = out_dir / "rram_relaxation.h5"
    if h5.exists():
        h5.unlink()
    t0 = time.perf_counter()
    run_campaign(spec, h5, samples=relaxation_samples or max(20, scaled(spec.samples)), workers=workers,
                 progress=False)
    report["relaxation"] = dict(analyse_relaxation(h5, out_dir), seconds=time.perf_counter() - t0)
    for path in sorted(spec_dir.glob("rram_*.toml")):
        if path.stem == "rram_relaxation":
            continue
        sweep = rc.load_sweep(path)
        run, analyse = RUNNERS[sweep["kind"]]
        if quick is not None and sweep["kind"] == "settling":
            sweep["sizes"] = [s for s in sweep["sizes"] if s <= 64]
        t0 = time.perf_counter()
        data = run(sweep, samples=scaled(sweep["samples"]))
        results[sweep["kind"]] = data
        _write(out_dir / f"{sweep['name']}.h5", data, path.read_text())
        report[sweep["kind"]] = dict(analyse(data, out_dir), seconds=time.perf_counter() - t0)
    report["solve_256"] = rc.solve_memory(256)
    write_summary(out_dir / "rram_summary.h5", relaxation_table(h5), results, report)
    (out_dir / "rram_report.json").write_text(json.dumps(report, indent=1, default=float))
    return report


def write_summary(path: Path, relax, results, report) -> None:
    """The exporter's input: relaxation table, IR-drop and ADC tables, energies (one HDF5 file)."""
    import h5py
    with h5py.File(path, "w") as f:
        g = f.create_group("relaxation")
        for k, v in relax.items():
            g[k] = v
        for kind in ("ir_drop", "adc", "energy", "settling"):
            if kind in results:
                grp = f.create_group(kind)
                for k, v in results[kind].items():
                    grp[k] = np.asarray(v)
        f.attrs["report"] = json.dumps(report, default=float)


def characterise_builtin(out_dir) -> Path:
    """The reduced, fixed-seed characterisation behind the built-in ``rram_cim`` model (under 20 s on
    2 cores): relaxation at 1 s / 1 day on 13 targets (24 samples), IR drop up to 128 x 128 (2 samples),
    settling 16-32, ADC 256 x 256 (8 samples), energy 16 x 16 (6 samples). Returns the summary path."""
    import re

    from ..montecarlo import parse_spec, run_campaign
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = re.sub(r"(?m)^t_read = \[.*\]$", "t_read = [1.0, 86400.0]",
                  (SPEC_DIR / "rram_relaxation.toml").read_text())
    h5 = out_dir / "rram_relaxation.h5"
    run_campaign(parse_spec(text), h5, samples=24, workers=2, progress=False)
    overrides = {"ir_drop": dict(sizes=[16, 32, 64, 128], ngspice_max_size=0, samples=2),
                 "settling": dict(sizes=[16, 32], samples=2), "adc": dict(samples=8),
                 "energy": dict(size=16, samples=6)}
    results = {}
    for path in sorted(SPEC_DIR.glob("rram_*.toml")):
        if path.stem == "rram_relaxation":
            continue
        sw = rc.load_sweep(path)
        sw.update(overrides[sw["kind"]])
        results[sw["kind"]] = RUNNERS[sw["kind"]][0](sw)
    summary = out_dir / "rram_summary.h5"
    write_summary(summary, relaxation_table(h5), results, {})
    return summary
