"""Figures and numbers of the RRAM characterisation (seed: neurram_cim_slides.txt).

:func:`characterise` runs the seven RRAM campaigns built-in specs ``rram_{relaxation,ir_drop,
ir_drop_1t1r,settling,adc,energy,energy_seed}.toml`` through the Monte Carlo engine (the relaxation
through the ngspice rram_cim cell, the array sweeps as evaluators of :mod:`circuitlab.circuits.rram_campaigns`
and :mod:`circuitlab.circuits.rram_energy_seed`), each into ``DIR/<name>.h5``, then analyses those files:
a plot ``DIR/<name>.png`` per campaign, a summary ``DIR/rram_summary.h5`` that the ``rram_cim`` exporter
reads and ``DIR/rram_report.json``. Only samples with status ok enter the figures. All numbers are SI
(S, s, J, V); error figures are fractions of V_read.
"""
from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path
from typing import Dict, Tuple

import numpy as np

from ..circuits import rram_campaigns as rc
from ..circuits import rram_relaxation as rr
from ..errors import CircuitlabError
from ..montecarlo.results import load_results
from ..plotting import axes, save
from ..resources import spec_dir

SPEC_DIR = spec_dir()   # the built-in specs (package data)
MIN_SAMPLES = 2
SWEEPS = ("ir_drop", "settling", "adc", "energy", "energy_seed")   # rram_<name>.toml, evaluator campaigns
SEED_MAC = {"voltage": 2.16e-15, "current": 7.81e-15}   # J per MAC, seed "Energy per MAC", array only


def with_value(text: str, key: str, value, table: str = "") -> str:
    """Spec text with the line ``key = ...`` set to ``value`` (a number or a list of numbers): the one
    such line of the file, or of the ``[table]`` section when ``table`` is given."""
    lo, hi = 0, len(text)
    if table:
        head = re.search(rf"(?m)^\[{re.escape(table)}\]\s*$", text)
        if head is None:
            raise CircuitlabError(f"the spec text has no [{table}] table")
        lo = head.end()
        nxt = re.search(r"(?m)^\[", text[lo:])
        hi = lo + nxt.start() if nxt else hi
    pattern = re.compile(rf"(?m)^{re.escape(key)}\s*=.*$")
    found = pattern.findall(text[lo:hi])
    if len(found) != 1:
        where = f" in [{table}]" if table else ""
        raise CircuitlabError(f"the spec text has {len(found)} lines '{key} = ...'{where}, expected one")
    return text[:lo] + pattern.sub(f"{key} = {json.dumps(value)}", text[lo:hi]) + text[hi:]


def campaign_scalars(path) -> Tuple[Dict[str, np.ndarray], Dict[str, np.ndarray], int]:
    """(sweep axes {name: values}, scalars {measure or derived name: (n_ok, *axis lengths)}, failed count)
    of a campaign file; only samples with status ok are kept."""
    results = load_results(path)
    ok = results.ok()
    if not ok.any():
        raise CircuitlabError(f"{path}: no sample finished with status ok; look at 'circuitlab mc inspect {path}'")
    grid = results.sweep_axes
    shape = tuple(len(v) for v in grid.values())
    scalars = {**results.measures, **results.derived}
    return grid, {m: v[ok].reshape(int(ok.sum()), *shape) for m, v in scalars.items()}, int(len(results) - ok.sum())


# --- relaxation ----------------------------------------------------------------------------------------
def relaxation_table(path) -> Dict[str, np.ndarray]:
    """sigma_g (S) over (time, target G) from a finished rram_relaxation campaign, read noise removed.

    Sample 0 (the nominal sample: every draw zero) is left out of the spread."""
    results = load_results(path)
    g_read, ok = results.derived["g_read"], results.ok()
    g_read = g_read[1:][ok[1:]]
    g_col, t_col = results.sweep["g_target"], results.sweep["t_read"]
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


# --- array sweeps: summary tables (the exporter's layout) from the campaign files -----------------------
def ir_drop_table(path) -> Dict[str, np.ndarray]:
    """sizes, r_wire (ohm), rms and worst error / V_read over (size, r_wire, sample)."""
    grid, s, _ = campaign_scalars(path)
    return {"sizes": grid["size"].astype(int), "r_wire": grid["r_wire"], "rms": s["rms"].transpose(1, 2, 0),
            "worst": s["worst"].transpose(1, 2, 0)}


def settling_table(path) -> Dict[str, np.ndarray]:
    """sizes; median, worst column settling time and median RC constant (s) over (size, sample)."""
    grid, s, _ = campaign_scalars(path)
    return {"sizes": grid["size"].astype(int), "median": s["settle_median"].T, "worst": s["settle_worst"].T,
            "tau_rc": s["tau_rc"].T}


def adc_table(path) -> Dict[str, np.ndarray]:
    """bits, clip; RMS error / V_read over (bits, clip) pooled over samples (equal column counts:
    sqrt of the mean of the per-sample mean squares), fraction of clipped columns per clip level."""
    grid, s, _ = campaign_scalars(path)
    return {"bits": grid["bits"].astype(int), "clip": grid["clip"], "rms": np.sqrt(np.mean(s["rms"] ** 2, axis=0)),
            "clipped": np.mean(s["clipped"][:, 0, :], axis=0)}


def energy_table(path) -> Dict[str, np.ndarray]:
    """Array size; energy per MVM (e_*) and per MAC (mac_*), J, per sample, voltage and current mode."""
    _, s, _ = campaign_scalars(path)
    size = load_results(path).spec.parameters["size"]
    return {"size": np.array(int(size)), "e_voltage": s["e_voltage"], "e_current": s["e_current"],
            "mac_voltage": s["mac_voltage"], "mac_current": s["mac_current"]}


def energy_seed_table(path) -> Dict[str, np.ndarray]:
    """Stages (see :mod:`circuitlab.circuits.rram_energy_seed`), array size, input bits; energy per MAC
    (mac_*, J, (samples, stages)) in both modes."""
    from ..circuits.rram_energy_seed import STAGES
    grid, s, _ = campaign_scalars(path)
    p = load_results(path).spec.parameters
    names = np.array([STAGES[int(k)] for k in grid["stage"]], dtype="S")
    return {"stage": np.asarray(grid["stage"], float), "stage_names": names, "size": np.array(int(p["size"])),
            "bits": np.array(int(p["bits"])), "mac_voltage": s["mac_voltage"], "mac_current": s["mac_current"]}


def analyse_energy_seed(d, out_dir: Path) -> Dict[str, object]:
    """Energy per MAC as the seed's conditions are added one by one, both modes, beside the seed's figures."""
    names = [n.decode() for n in d["stage_names"]]
    fig, ax = axes(f"Energy per MAC as the seed's conditions are added\n({int(d['size'])}x{int(d['size'])} weights, "
                   f"{int(d['bits'])}-bit inputs, ngspice)", "condition (cumulative)", "energy per MAC (fJ)")
    out: Dict[str, object] = {"stages": names, "size": int(d["size"]), "bits": int(d["bits"])}
    for mode, colour in (("voltage", "C0"), ("current", "C1")):
        v = d[f"mac_{mode}"] * 1e15
        n = v.shape[0]
        mean, err = v.mean(axis=0), (v.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.zeros(v.shape[1]))
        x = np.arange(len(names))
        ax.plot(np.repeat(x[None, :], n, 0).ravel(), v.ravel(), ".", color=colour, ms=3, alpha=0.4)
        ax.errorbar(x, mean, err, fmt="o-", color=colour, ms=4, label=f"{mode} mode (mean +- stderr)")
        ax.axhline(SEED_MAC[mode] * 1e15, color=colour, ls="--", lw=1,
                   label=f"seed {mode} {SEED_MAC[mode] * 1e15:.2f} fJ")
        out[f"mac_{mode}_J"] = (mean * 1e-15).tolist()
        out[f"stderr_{mode}_J"] = (err * 1e-15).tolist()
        out[f"factor_{mode}"] = [float("nan")] + (mean[1:] / mean[:-1]).tolist()
        out[f"ratio_to_seed_{mode}"] = float(mean[-1] * 1e-15 / SEED_MAC[mode])
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(names)), names, rotation=30, fontsize=7)
    ax.legend(fontsize=7)
    out["plot"] = save(fig, Path(out_dir) / "rram_energy_seed.png")
    return out


def _size_ticks(ax, sizes) -> None:
    """Log x axis labelled with the array sizes themselves."""
    ax.set_xticks([int(n) for n in sizes], [str(int(n)) for n in sizes])
    ax.minorticks_off()


def analyse_ir_drop(d, out_dir: Path) -> Dict[str, object]:
    fig, ax = axes("IR-drop error of the MVM (direct solver)", "array size N (N x N)", "RMS error / V_read (%)")
    for b, r in enumerate(d["r_wire"]):
        ax.loglog(d["sizes"], 100 * d["rms"][:, b].mean(axis=1), "o-", ms=3, label=f"{r:g} ohm/segment")
    _size_ticks(ax, d["sizes"])
    ax.legend(fontsize=7)
    plot = save(fig, Path(out_dir) / "rram_ir_drop.png")
    i1 = int(np.argmin(np.abs(d["r_wire"] - 1.0)))
    return {"plot": plot, "size": int(d["sizes"][-1]), "rms_largest_1ohm": float(d["rms"][-1, i1].mean()),
            "worst_largest_1ohm": float(d["worst"][-1, i1].max())}


def analyse_settling(d, out_dir: Path) -> Dict[str, object]:
    fig, ax = axes("SL settling time (voltage mode, ngspice)", "array size N (N x N)", "settling time (ns)")
    jitter = np.exp(np.random.default_rng(0).normal(0, 0.04, d["median"].shape))
    ax.plot(d["sizes"][:, None] * jitter, d["median"] * 1e9, ".", ms=3, alpha=0.4, color="k")
    ax.plot(d["sizes"][:, None] / jitter, d["worst"] * 1e9, ".", ms=3, alpha=0.4, color="r")
    ax.semilogx(d["sizes"], 1e9 * np.median(d["median"], axis=1), "ko-", ms=3, label="median column")
    ax.semilogx(d["sizes"], 1e9 * np.max(d["worst"], axis=1), "rs-", ms=3, label="worst column")
    ax.axhline(rc.SEED_SETTLE * 1e9, color="g", ls="--", lw=1, label="seed 2.32 ns")
    _size_ticks(ax, d["sizes"])
    ax.legend(fontsize=7, title="dots: one sample each", title_fontsize=7)
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
    return {"plot": plot, "mac_voltage_J": float(np.mean(d["mac_voltage"])),
            "mac_current_J": float(np.mean(d["mac_current"])), "mvm_voltage_J": float(np.mean(d["e_voltage"])),
            "mvm_current_J": float(np.mean(d["e_current"])),
            "ratio": float(np.mean(d["mac_current"]) / np.mean(d["mac_voltage"]))}


def analyse_ir_drop_1t1r(path, out_dir: Path) -> Dict[str, object]:
    """1T1R vs linear cells of the same read conductance (``rram_ir_drop_1t1r.h5``): RMS error by size."""
    grid, s, _ = campaign_scalars(path)
    sizes = grid["size"].astype(int)
    fig, ax = axes("IR drop: 1T1R cells vs linear cells (same read G, 1 ohm/segment)", "array size N (N x N)",
                   "RMS error / V_read (%)")
    for key, style, label in (("linear", "ko-", "linear cells"), ("1t1r", "rs--", "1T1R cells (Newton)"),
                              ("1t1r_no_wire", "b^:", "1T1R, ideal wires (cell nonlinearity)")):
        ax.loglog(sizes, 100 * s[f"rms_{key}"].mean(axis=0), style, ms=4, label=label)
    _size_ticks(ax, sizes)
    ax.legend(fontsize=7)
    out = {"plot": save(fig, Path(out_dir) / "rram_ir_drop_1t1r.png"), "sizes": sizes.tolist()}
    for key in ("linear", "1t1r", "1t1r_no_wire"):
        out[f"rms_{key}"] = s[f"rms_{key}"].mean(axis=0).tolist()
        out[f"worst_{key}"] = s[f"worst_{key}"].max(axis=0).tolist()
    out["max_iterations"] = int(s["iterations"].max())
    return out


TABLES = {"ir_drop": (ir_drop_table, analyse_ir_drop), "settling": (settling_table, analyse_settling),
          "adc": (adc_table, analyse_adc), "energy": (energy_table, analyse_energy),
          "energy_seed": (energy_seed_table, analyse_energy_seed)}


def _run(text: str, h5: Path, samples: int, workers: int, spec_dir: Path) -> None:
    from ..montecarlo import parse_spec, run_campaign
    if h5.exists():
        h5.unlink()
    run_campaign(parse_spec(text, base=spec_dir), h5, samples=samples, workers=workers, progress=False,
                 spec_base=str(spec_dir))


def characterise(out_dir, quick=None, spec_dir: Path = SPEC_DIR, workers: int = 2,
                 relaxation_samples=None) -> Dict[str, object]:
    """Run the six RRAM campaigns into ``out_dir`` (one HDF5 file each) and analyse them; returns
    {name: numbers} (also written as JSON). ``quick`` scales every sample count (at least 2, 20 for the
    relaxation), keeps settling sizes <= 64 and 1T1R IR-drop sizes at 16 and 64."""
    from ..montecarlo import load_spec
    out_dir, spec_dir = Path(out_dir), Path(spec_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report: Dict[str, object] = {}
    tables: Dict[str, Dict[str, np.ndarray]] = {}

    def scaled(n):
        return n if quick is None else max(MIN_SAMPLES, math.ceil(n * quick))
    path = spec_dir / "rram_relaxation.toml"
    h5 = out_dir / "rram_relaxation.h5"
    t0 = time.perf_counter()
    _run(path.read_text(), h5, relaxation_samples or max(20, scaled(load_spec(path).samples)), workers, spec_dir)
    report["relaxation"] = dict(analyse_relaxation(h5, out_dir), seconds=time.perf_counter() - t0)
    for name in SWEEPS:
        path = spec_dir / f"rram_{name}.toml"
        spec, text = load_spec(path), path.read_text()
        if quick is not None and name == "settling":
            text = with_value(text, "size", [int(v) for v in dict(spec.sweep)["size"] if v <= 64])
        t0 = time.perf_counter()
        h5 = out_dir / f"rram_{name}.h5"
        _run(text, h5, scaled(spec.samples), workers, spec_dir)
        table, analyse = TABLES[name]
        tables[name] = table(h5)
        report[name] = dict(analyse(tables[name], out_dir), seconds=time.perf_counter() - t0,
                            samples_failed=campaign_scalars(h5)[2])
    h5 = out_dir / "rram_ir_drop_1t1r.h5"
    path = spec_dir / "rram_ir_drop_1t1r.toml"
    text = path.read_text()
    if quick is not None:  # the 256 x 256 Newton solves take seconds each
        text = with_value(text, "size", [16, 64])
    t0 = time.perf_counter()
    _run(text, h5, scaled(load_spec(path).samples), workers, spec_dir)
    report["ir_drop_1t1r"] = dict(analyse_ir_drop_1t1r(h5, out_dir), seconds=time.perf_counter() - t0)
    report["solve_256"] = rc.solve_memory(256)
    write_summary(out_dir / "rram_summary.h5", relaxation_table(out_dir / "rram_relaxation.h5"), tables, report)
    (out_dir / "rram_report.json").write_text(json.dumps(report, indent=1, default=float))
    return report


def write_summary(path: Path, relax, tables, report) -> None:
    """The exporter's input: relaxation table, IR-drop, settling, ADC and energy tables (one HDF5 file)."""
    import h5py
    with h5py.File(path, "w") as f:
        g = f.create_group("relaxation")
        for k, v in relax.items():
            g[k] = v
        for kind in SWEEPS:
            if kind in tables:
                grp = f.create_group(kind)
                for k, v in tables[kind].items():
                    grp[k] = np.asarray(v)
        f.attrs["report"] = json.dumps(report, default=float)


BUILTIN = {"ir_drop": dict(size=[16, 32, 64, 128], samples=4), "settling": dict(size=[16, 32], samples=2),
           "adc": dict(samples=8), "energy": dict(size=16.0, samples=6), "energy_seed": dict(size=16.0, samples=4)}


def characterise_builtin(out_dir) -> Path:
    """The reduced, fixed-seed characterisation behind the built-in ``rram_cim`` model (under 20 s on
    2 cores): relaxation at 1 s / 1 day on 13 targets (24 samples), IR drop up to 128 x 128 (4 samples),
    settling 16-32 (2 samples), ADC 256 x 256 (8 samples), energy 16 x 16 (6 samples), energy under the seed's
    conditions 16 x 16 weights (4 samples, every stage). Returns the
    summary path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = with_value((SPEC_DIR / "rram_relaxation.toml").read_text(), "t_read", [1.0, 86400.0], "sweep")
    h5 = out_dir / "rram_relaxation.h5"
    _run(text, h5, 24, 2, SPEC_DIR)
    tables = {}
    for name in SWEEPS:
        text = (SPEC_DIR / f"rram_{name}.toml").read_text()
        override = dict(BUILTIN[name])
        samples = override.pop("samples")
        for key, value in override.items():
            text = with_value(text, key, value)
        _run(text, out_dir / f"rram_{name}.h5", samples, 2, SPEC_DIR)
        tables[name] = TABLES[name][0](out_dir / f"rram_{name}.h5")
    summary = out_dir / "rram_summary.h5"
    write_summary(summary, relaxation_table(h5), tables, {})
    return summary
