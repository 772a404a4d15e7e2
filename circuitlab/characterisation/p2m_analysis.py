"""Figures and numbers of the P2M characterisation campaigns (seed: dwmtj_p2m_snn_paper.txt).

Each ``analyse_*`` function reads one campaign HDF5 file (built-in specs ``p2m_*.toml``), computes
the seed's figure of merit, saves the plot matching the seed figure next to the data (PNG) and
returns a dict of plain numbers (SI units; variations as fractions):

- Fig. 6a-c: normalised DW displacement vs normalised input x weight; worst-case variation normalised
  to the full dynamic range (seed: CMOS 10.94 %, DW-MTJ 39.39 %, CMOS+X 8.03 %);
- CMOS+X programmable range around the median (seed: 30-40 %);
- Fig. 6d: normalised pre-activation vs accumulator wall difference, worst-case spread (seed 11.38 %);
- Fig. 4: sense margin of pre-activation vs threshold, output spikes, energy per event and window;
- Fig. 5: fraction of samples whose output changes 0 -> 1 after reprogramming.

The f1/f2 curves are fitted by :mod:`circuitlab.fit.p2m` (the exporters use the same functions);
:func:`run_campaigns` runs the campaigns that ``circuitlab p2m characterise`` and the built-in recipes need.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Tuple

import numpy as np

from ..devices.p2m_encoding import f1_data, f2_data
from ..fit.p2m import NormalisedCurve, f1_curve, f2_curve
from ..montecarlo.results import load_results
from ..plotting import axes, save

SEED = {"fig6a_cmos": 0.1094, "fig6b_dwmtj": 0.3939, "fig6c_hybrid": 0.0803, "fig6d_read": 0.1138,
        "prog_range": (0.30, 0.40)}


def load(path) -> Dict[str, np.ndarray]:
    """Parameter columns, measures and derived scalars of the finished (ok) samples of a campaign."""
    return load_results(path).sample_columns(ok_only=True)


def _spread_plot(x, y, mean, noise, title, xlabel, ylabel, path, seed_value, ours):
    fig, ax = axes(title, xlabel, ylabel)
    ax.plot(x, y, ".", ms=2, alpha=0.5, label="Monte Carlo")
    grid = np.linspace(x.min(), x.max(), 200)
    lo, hi = noise.bounds(grid, mean, coverage="quantile")
    ax.plot(grid, mean(grid), "k-", lw=1.2, label="mean fit")
    ax.plot(grid, lo, "r--", lw=1, label="worst-case bounds")
    ax.plot(grid, hi, "r--", lw=1)
    ax.text(0.03, 0.92, f"worst case: {100 * ours:.2f} % (seed {100 * seed_value:.2f} %)", transform=ax.transAxes,
            fontsize=8)
    ax.legend(fontsize=7, loc="lower right")
    return save(fig, path)


def weight_curve(path, config: str) -> Tuple[NormalisedCurve, Dict[str, np.ndarray], np.ndarray]:
    """f1 of one weight configuration (:func:`circuitlab.fit.p2m.f1_curve`): the curve, the ok samples'
    columns and their input event counts."""
    d = load(path)
    x, q, n = f1_data(d, config)
    return f1_curve(x, q), d, n


def analyse_weight(path, config: str, out_dir) -> Dict[str, object]:
    """Fig. 6a-c of one weight configuration ('cmos', 'dwmtj', 'hybrid')."""
    curve, d, n = weight_curve(path, config)
    key = {"cmos": "fig6a_cmos", "dwmtj": "fig6b_dwmtj", "hybrid": "fig6c_hybrid"}[config]
    png = _spread_plot(curve.x, curve.y, curve.mean, curve.noise, f"Fig. 6{key[4]}: {config} weights",
                       "normalised input x weight", "normalised DW displacement d_NORM",
                       Path(out_dir) / f"p2m_{key}.png", SEED[key], curve.worst_case)
    e_event = d["e_window"][n > 0] / n[n > 0]
    out = {"samples": int(curve.x.size), "worst_case": curve.worst_case, "seed": SEED[key],
           "full_scale_m": curve.scale, "mean_degree": len(curve.raw.params) - 1,
           "e_event_mean_J": float(e_event.mean()), "e_event_std_J": float(e_event.std()),
           "p_idle_W": float(np.median(d["p_idle"])), "plot": png}
    if config == "hybrid":
        out["prog_range"] = programmable_range(d, n)
    return {key: out}


def programmable_range(d: Dict[str, np.ndarray], n: np.ndarray) -> Dict[str, object]:
    """CMOS+X tunability: per-event displacement vs programming level p at fixed width level w, from a
    quadratic surface fit; range = (f(w, 1) - f(w, 0)) / f(w, 0.5) (the median programming level)."""
    m = n > 0
    w, p, y = d["w_level"][m], d["p_level"][m], d["q_acc"][m] / n[m]
    design = np.stack([np.ones_like(w), w, p, w * w, p * p, w * p], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)

    def f(wv, pv):
        wv, pv = np.broadcast_arrays(np.asarray(wv, float), np.asarray(pv, float))
        return np.stack([np.ones_like(wv), wv, pv, wv * wv, pv * pv, wv * pv], axis=-1) @ coef
    grid = np.linspace(0.0, 1.0, 11)
    rng = (f(grid, 1.0) - f(grid, 0.0)) / f(grid, 0.5)
    return {"min": float(rng.min()), "max": float(rng.max()), "by_w_level": [float(r) for r in rng],
            "seed": list(SEED["prog_range"])}


def read_curve(path) -> Tuple[NormalisedCurve, Dict[str, np.ndarray]]:
    """f2 (:func:`circuitlab.fit.p2m.f2_curve`): the curve and the ok samples' columns."""
    d = load(path)
    return f2_curve(*f2_data(d)), d


def analyse_read(path, out_dir) -> Dict[str, object]:
    """Fig. 6d: normalised pre-activation vs normalised accumulator wall difference."""
    curve, d = read_curve(path)
    x, y = curve.x, curve.y
    lower = float(np.max(curve.mean(x) - y))
    png = _spread_plot(x, y, curve.mean, curve.noise, "Fig. 6d: series-divider read", "d_NORM,DIFF (q_P - q_N) / L",
                       "normalised V_ACT,PRE", Path(out_dir) / "p2m_fig6d_read.png", SEED["fig6d_read"],
                       curve.worst_case)
    vpre_range = [float(v) for v in curve.raw(np.array([-1.0, 1.0]))]
    return {"fig6d_read": {"samples": int(x.size), "worst_case": curve.worst_case, "worst_case_lower": lower,
                           "seed": SEED["fig6d_read"], "vpre_range_V": vpre_range,
                           "e_read_mean_J": float(d["e_read_rd"].mean()), "plot": png}}


def _stats(v) -> Dict[str, float]:
    v = np.asarray(v, float)
    return {"mean": float(v.mean()), "std": float(v.std()), "min": float(v.min()), "max": float(v.max())}


def analyse_conv(path, out_dir) -> Dict[str, object]:
    """Fig. 4: sense margin histogram, output spikes, reset, energies."""
    d = load(path)
    fig, ax = axes("Fig. 4c: pre-activation vs threshold", "voltage (mV)", "samples")
    ax.hist(1e3 * d["vpre"], bins=30, alpha=0.6, label="V_ACT,PRE")
    ax.hist(1e3 * d["vth"], bins=30, alpha=0.6, label="V_TH")
    ax.legend(fontsize=8)
    png = save(fig, Path(out_dir) / "p2m_fig4_conv.png")
    spikes = d["out"] > 0.4
    return {"fig4_conv": {
        "samples": int(spikes.size), "spike_fraction": float(spikes.mean()), "margin_V": _stats(d["margin"]),
        "reset_q_m": _stats(1e-9 * np.concatenate([d["qp_rst"], d["qn_rst"]])),
        "e_event_J": _stats(d["e_event"]), "e_window_J": _stats(d["e_window"]),
        "e_read_J": _stats(d["e_read_total"]), "e_reset_J": _stats(d["e_reset_total"]),
        "e_leak_1ms_J": _stats(d["e_leak_1ms"]), "plot": png}}


def analyse_reprogram(path, out_dir) -> Dict[str, object]:
    """Fig. 5: the output is 0 with the first weights/threshold and 1 after reprogramming."""
    d = load(path)
    fig, ax = axes("Fig. 5: margin before / after reprogramming", "V_PRE - V_TH (mV)", "samples")
    ax.hist(1e3 * d["margin1"], bins=30, alpha=0.6, label="application 1 (expect < 0)")
    ax.hist(1e3 * d["margin2"], bins=30, alpha=0.6, label="application 2 (expect > 0)")
    ax.axvline(0.0, color="k", lw=0.8)
    ax.legend(fontsize=7)
    png = save(fig, Path(out_dir) / "p2m_fig5_reprogram.png")
    return {"fig5_reprogram": {"samples": int(d["margin1"].size), "flipped_fraction": float(d["flipped"].mean()),
                               "margin1_V": _stats(d["margin1"]), "margin2_V": _stats(d["margin2"]),
                               "q_w0_m": [float(np.median(d["qw0_1"])) * 1e-9, float(np.median(d["qw0_2"])) * 1e-9],
                               "q_w1_m": [float(np.median(d["qw1_1"])) * 1e-9, float(np.median(d["qw1_2"])) * 1e-9],
                               "plot": png}}


MIN_SAMPLES = 40   # per campaign, whatever --quick says


def run_campaigns(out_dir, spec_dir, names=None, quick=None, workers: int = 2, log=None) -> Dict[str, dict]:
    """Run the P2M campaigns ``names`` (default: all of :data:`ANALYSES`) from ``spec_dir/<name>.toml``
    (None: the built-in specs) into
    ``out_dir/<name>.h5`` (replacing old files); ``quick`` scales each spec's sample count (at least
    :data:`MIN_SAMPLES`). Returns {name: {"samples", "seconds"}}; ``log`` gets one line per campaign."""
    import math
    import time

    from ..errors import ConfigError
    from ..montecarlo import load_spec, run_campaign
    from ..resources import spec_dir as builtin_specs
    if quick is not None and not 0 < quick <= 1:
        raise ConfigError(f"--quick {quick!r} must lie in (0, 1]")
    names = list(names or sorted(ANALYSES))
    unknown = sorted(set(names) - set(ANALYSES))
    if unknown:
        raise ConfigError(f"unknown P2M campaign(s) {unknown}; known: {', '.join(sorted(ANALYSES))}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    timings = {}
    for name in names:
        path = (Path(spec_dir) if spec_dir is not None else builtin_specs()) / f"{name}.toml"
        spec = load_spec(path)
        samples = spec.samples if quick is None else max(MIN_SAMPLES, math.ceil(spec.samples * quick))
        out = out_dir / f"{name}.h5"
        if out.exists():
            out.unlink()
        start = time.perf_counter()
        run_campaign(spec, out, samples=samples, workers=workers, progress=False, spec_base=str(path.parent))
        timings[name] = {"samples": samples, "seconds": round(time.perf_counter() - start, 2)}
        if log is not None:
            log(f"{name}: {samples} samples in {timings[name]['seconds']} s")
    return timings


ANALYSES = {
    "p2m_fig6a_cmos": lambda p, o: analyse_weight(p, "cmos", o),
    "p2m_fig6b_dwmtj": lambda p, o: analyse_weight(p, "dwmtj", o),
    "p2m_fig6c_hybrid": lambda p, o: analyse_weight(p, "hybrid", o),
    "p2m_fig6d_read": analyse_read,
    "p2m_fig4_conv": analyse_conv,
    "p2m_fig5_reprogram": analyse_reprogram,
}
