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
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict

import numpy as np

from ..circuits.p2m_campaigns import N_MAX, n_events, weight_value
from ..fit import ConditionalNoise, select_polynomial, worst_case_variation
from ..plotting import axes, save

SEED = {"fig6a_cmos": 0.1094, "fig6b_dwmtj": 0.3939, "fig6c_hybrid": 0.0803, "fig6d_read": 0.1138,
        "prog_range": (0.30, 0.40)}


def load(path) -> Dict[str, np.ndarray]:
    """Parameter columns, measures and derived scalars of the finished (ok) samples of a campaign."""
    import h5py
    from ..montecarlo import store
    from ..montecarlo.report import scalars
    values, status = scalars(path)
    with h5py.File(path, "r") as f:
        cols = store.read_json_list(f, "columns")
        params = f["params"][()][:len(status)]
    ok = status == 0
    out = {c: params[ok, j] for j, c in enumerate(cols)}
    out.update({k: v[ok] for k, v in values.items()})
    return out


def _mean_fit(x, y, degrees=range(1, 6)):
    return select_polynomial(x, y, degrees=degrees, folds=5, seed=0)


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


def weight_curve(path, config: str):
    """f1 data of one weight configuration: (x, y, mean, noise, worst case, data) with x = normalised
    input x weight, y = DW displacement normalised to its value at x = 1, ``mean`` the fitted curve."""
    d = load(path)
    n = np.array([n_events(x) for x in d["x_level"]])
    w = weight_value(config, d["w_level"], d.get("p_level", np.ones_like(d["w_level"])))
    x = n / N_MAX * w
    q = d["q_acc"] * 1e-9                          # m (the wall node is in nm)
    fit = _mean_fit(x, q)
    full = float(fit(np.array([1.0]))[0])           # displacement at x * w = 1: the full scale
    y = q / full
    mean = lambda t: fit(t) / full  # noqa: E731
    noise = ConditionalNoise.from_samples(x, y, mean, bins=min(20, max(2, x.size // 10)))
    return x, y, mean, noise, worst_case_variation(x, y, mean), {"d": d, "n": n, "full": full, "fit": fit}


def analyse_weight(path, config: str, out_dir) -> Dict[str, object]:
    """Fig. 6a-c of one weight configuration ('cmos', 'dwmtj', 'hybrid')."""
    x, y, mean, noise, wc, extra = weight_curve(path, config)
    d, n = extra["d"], extra["n"]
    key = {"cmos": "fig6a_cmos", "dwmtj": "fig6b_dwmtj", "hybrid": "fig6c_hybrid"}[config]
    png = _spread_plot(x, y, mean, noise, f"Fig. 6{key[4]}: {config} weights",
                       "normalised input x weight", "normalised DW displacement d_NORM",
                       Path(out_dir) / f"p2m_{key}.png", SEED[key], wc)
    e_event = d["e_window"][n > 0] / n[n > 0]
    out = {"samples": int(x.size), "worst_case": wc, "seed": SEED[key], "full_scale_m": extra["full"],
           "mean_degree": len(extra["fit"].params) - 1, "e_event_mean_J": float(e_event.mean()),
           "e_event_std_J": float(e_event.std()), "p_idle_W": float(np.median(d["p_idle"])), "plot": png}
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


def read_curve(path):
    """f2 data: (x, y, mean, noise, worst case, data) with x = (q_P - q_N) / L and y the pre-activation
    voltage normalised to the fitted curve's span over x in [-1, 1]."""
    d = load(path)
    x = d["qp_level"] - d["qn_level"]
    fit = _mean_fit(x, d["vpre"])
    lo_v, hi_v = (float(v) for v in fit(np.array([-1.0, 1.0])))
    mean = lambda t: (fit(t) - lo_v) / (hi_v - lo_v)  # noqa: E731
    y = (d["vpre"] - lo_v) / (hi_v - lo_v)
    noise = ConditionalNoise.from_samples(x, y, mean, bins=min(20, max(2, x.size // 10)))
    return x, y, mean, noise, worst_case_variation(x, y, mean), {"d": d, "vpre_range": (lo_v, hi_v)}


def analyse_read(path, out_dir) -> Dict[str, object]:
    """Fig. 6d: normalised pre-activation vs normalised accumulator wall difference."""
    x, y, norm, noise, wc, extra = read_curve(path)
    d = extra["d"]
    lower = float(np.max(norm(x) - y))
    png = _spread_plot(x, y, norm, noise, "Fig. 6d: series-divider read", "d_NORM,DIFF (q_P - q_N) / L",
                       "normalised V_ACT,PRE", Path(out_dir) / "p2m_fig6d_read.png", SEED["fig6d_read"], wc)
    return {"fig6d_read": {"samples": int(x.size), "worst_case": wc, "worst_case_lower": lower,
                           "seed": SEED["fig6d_read"], "vpre_range_V": list(extra["vpre_range"]),
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


ANALYSES = {
    "p2m_fig6a_cmos": lambda p, o: analyse_weight(p, "cmos", o),
    "p2m_fig6b_dwmtj": lambda p, o: analyse_weight(p, "dwmtj", o),
    "p2m_fig6c_hybrid": lambda p, o: analyse_weight(p, "hybrid", o),
    "p2m_fig6d_read": analyse_read,
    "p2m_fig4_conv": analyse_conv,
    "p2m_fig5_reprogram": analyse_reprogram,
}
