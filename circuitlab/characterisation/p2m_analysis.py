"""Figures and numbers of the P2M characterisation campaigns (seed: dwmtj_p2m_snn_paper.txt).

Each ``analyse_*`` function reads one campaign HDF5 file (built-in specs ``p2m_*.toml``), computes
the seed's figure of merit, saves the plot matching the seed figure next to the data (PNG) and
returns a dict of plain numbers (SI units; variations as fractions):

- Fig. 6a-c: normalised DW displacement vs realised nominal input x weight (seed: CMOS 10.94 %,
  DW-MTJ 39.39 %, CMOS+X 8.03 %);
- CMOS+X programmable range around the median (seed: 30-40 %);
- Fig. 6d: normalised pre-activation vs accumulator wall difference, worst case of the lower side
  (seed 11.38 %);
- Fig. 4: sense margin of pre-activation vs threshold, output spikes, energy per event and window;
- Fig. 5: fraction of samples whose output changes 0 -> 1 after reprogramming.

How the seed's figures are read (one ``worst_case`` per Fig. 6 entry in ``p2m_summary.json``):

- Fig. 6a-c. Seed: "Due to the low dynamic range (DR), the MDWMTJ-based weight exhibits higher
  worst-case variation (39.39%) compared to the CMOS (10.94%) and CMOS+X (8.03%) weights normalized to
  full DR", from simulations "accounting for 3-sigma variation". Weights are mapped to the realised
  NOMINAL per-event displacement (:mod:`circuitlab.characterisation.p2m_nominal`: each level simulated
  once with variation off), so different (n, w, p) at one x give one nominal displacement. ``worst_case``
  = 3 sigma of the random part (sample minus its own level's nominal) over the dynamic-range span
  N_MAX (u_max - u_min) (the displacement range over the realisable weights at full input). Sigma is
  taken per input event count n, pooled over the weight levels (continuous: one sample per level), and
  the largest is used: the spread grows with n (mismatch and jitter accumulate per event), and pooling
  across n would average the worst level away. ``sample_max`` (max |residual| / span) with a bootstrap
  95 % interval rides along (the interval's top is the observed maximum: a bootstrap never exceeds it).
- Fig. 6d. Seed: "we model the worst-case scenario (lower bound) that exhibits a maximum of 11.38%
  variations". ``worst_case`` = 3 sigma of the lower side of the normalised pre-activation (span 0..1 of
  the fitted mean over x in [-1, 1]): sigma^2 = 2 mean(max(fitted mean - sample, 0)^2), as Fig. 6a-c's
  3 sigma and, unlike a maximum, stable as samples grow; identical differences q_P - q_N at different
  (q_P, q_N) are part of this spread, as the seed says. ``sample_max`` (the largest drop below the mean)
  with a bootstrap 95 % interval alongside (it grows with the sample count; measured: docs/fitting.md).
- ``full_scale_two_sided`` is the earlier figure (max |sample - fit| / full range of the fit), kept by
  that name only; it depends on the sample count and on the refitted mean.

The f1/f2 curves are fitted by :mod:`circuitlab.fit.p2m` (the exporters use the same functions);
:func:`run_campaigns` runs the campaigns that ``circuitlab p2m characterise`` and the built-in recipes need.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Tuple

import numpy as np

from ..devices.p2m_encoding import f1_data, f2_data, nominal_path
from ..fit.p2m import NormalisedCurve, f1_curve, f1_variation, f2_curve, f2_lower_bound, programmable_range
from ..montecarlo.results import load_results
from ..plotting import axes, save
from .p2m_nominal import ensure_nominal

SEED = {"fig6a_cmos": 0.1094, "fig6b_dwmtj": 0.3939, "fig6c_hybrid": 0.0803, "fig6d_read": 0.1138,
        "prog_range": (0.30, 0.40)}


def load(path) -> Dict[str, np.ndarray]:
    """Parameter columns, measures and derived scalars of the finished (ok) samples of a campaign."""
    return load_results(path).sample_columns(ok_only=True)


def _spread_plot(x, y, mean, noise, title, xlabel, ylabel, path, text):
    fig, ax = axes(title, xlabel, ylabel)
    ax.plot(x, y, ".", ms=2, alpha=0.5, label="Monte Carlo")
    grid = np.linspace(x.min(), x.max(), 200)
    lo, hi = noise.bounds(grid, mean, coverage="quantile")
    ax.plot(grid, mean(grid), "k-", lw=1.2, label="mean fit")
    ax.plot(grid, lo, "r--", lw=1, label="0.135 / 99.865 % bounds")
    ax.plot(grid, hi, "r--", lw=1)
    ax.text(0.03, 0.97, text, transform=ax.transAxes, fontsize=7, va="top")
    ax.legend(fontsize=7, loc="lower right")
    return save(fig, path)


def weight_curve(path, config: str):
    """f1 of one weight configuration (:func:`circuitlab.fit.p2m.f1_curve`) against the realised nominal
    input x weight: the curve, the ok samples' columns, their input event counts and the
    :class:`~circuitlab.devices.p2m_encoding.Nominal` of their levels."""
    d = load(path)
    nominal = ensure_nominal(path, d, config)
    x, q, n = f1_data(d, nominal)
    return f1_curve(x, q, nominal.full), d, n, nominal


def analyse_weight(path, config: str, out_dir) -> Dict[str, object]:
    """Fig. 6a-c of one weight configuration ('cmos', 'dwmtj', 'hybrid')."""
    curve, d, n, nominal = weight_curve(path, config)
    q = curve.y * curve.scale
    var = f1_variation(q, nominal.q_nom, n, nominal.span)
    key = {"cmos": "fig6a_cmos", "dwmtj": "fig6b_dwmtj", "hybrid": "fig6c_hybrid"}[config]
    text = (f"worst case 3 sigma / DR: {100 * var.three_sigma:.2f} +- {100 * var.stderr:.2f} % "
            f"(seed {100 * SEED[key]:.2f} %)\nsample max / DR: {100 * var.sample_max:.2f} % "
            f"[{100 * var.ci[0]:.2f}, {100 * var.ci[1]:.2f}]\nDR: u_min / u_max = {nominal.u_min / nominal.u_max:.3f}")
    png = _spread_plot(curve.x, curve.y, curve.mean, curve.noise, f"Fig. 6{key[4]}: {config} weights",
                       "realised nominal input x weight", "normalised DW displacement d_NORM",
                       Path(out_dir) / f"p2m_{key}.png", text)
    e_event = d["e_window"][n > 0] / n[n > 0]
    out = {"samples": int(curve.x.size), "worst_case": var.three_sigma, "worst_case_stderr": var.stderr,
           "worst_case_definition": "3 sigma (largest over input event counts, pooled over weights) of sample "
                                    "- nominal of its level, over the weight's dynamic range N_MAX (u_max - u_min)",
           "sigma_by_events": {str(k): v for k, v in var.sigma_by_group.items()},
           "three_sigma_pooled": var.three_sigma_pooled,
           "sample_max": var.sample_max, "sample_max_ci95": list(var.ci), "seed": SEED[key],
           "full_scale_two_sided": curve.full_scale_two_sided, "full_scale_m": nominal.full,
           "dynamic_range_span_m": nominal.span, "weight_min_normalised": nominal.u_min / nominal.u_max,
           "mean_degree": len(curve.raw.params) - 1,
           "e_event_mean_J": float(e_event.mean()), "e_event_std_J": float(e_event.std()),
           "p_idle_W": float(np.median(d["p_idle"])), "plot": png}
    if config == "hybrid":
        out["prog_range"] = {**programmable_range(d["w_level"], d["p_level"], d["q_acc"], n),
                             "seed": list(SEED["prog_range"])}
    return {key: out}


def read_curve(path) -> Tuple[NormalisedCurve, Dict[str, np.ndarray]]:
    """f2 (:func:`circuitlab.fit.p2m.f2_curve`): the curve and the ok samples' columns."""
    d = load(path)
    return f2_curve(*f2_data(d)), d


def analyse_read(path, out_dir) -> Dict[str, object]:
    """Fig. 6d: normalised pre-activation vs normalised accumulator wall difference; lower bound."""
    curve, d = read_curve(path)
    low = f2_lower_bound(curve)
    text = (f"worst case (lower bound, 3 sigma): {100 * low.three_sigma:.2f} +- {100 * low.stderr:.2f} %; sample max "
            f"{100 * low.sample_max:.2f} % (seed {100 * SEED['fig6d_read']:.2f} %)")
    png = _spread_plot(curve.x, curve.y, curve.mean, curve.noise, "Fig. 6d: series-divider read",
                       "d_NORM,DIFF (q_P - q_N) / L", "normalised V_ACT,PRE", Path(out_dir) / "p2m_fig6d_read.png",
                       text)
    vpre_range = [float(v) for v in curve.raw(np.array([-1.0, 1.0]))]
    return {"fig6d_read": {"samples": int(curve.x.size), "worst_case": low.three_sigma,
                           "worst_case_stderr": low.stderr,
                           "worst_case_definition": "3 sigma of the lower side: sigma^2 = 2 mean(max(fitted mean - "
                                                    "sample, 0)^2), normalised pre-activation (span 0..1)",
                           "sample_max": low.sample_max, "sample_max_ci95": list(low.ci),
                           "full_scale_two_sided": curve.full_scale_two_sided,
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


def run_campaigns(out_dir, spec_dir, names=None, quick=None, workers: int = 2, log=None, executor: str = "local",
                  scheduler=None) -> Dict[str, dict]:
    """Run the P2M campaigns ``names`` (default: all of :data:`ANALYSES`) from ``spec_dir/<name>.toml``
    (None: the built-in specs) into
    ``out_dir/<name>.h5`` (replacing old files); ``quick`` scales each spec's sample count (at least
    :data:`MIN_SAMPLES`). Returns {name: {"samples", "seconds"}}; ``log`` gets one line per campaign;
    ``executor``/``scheduler`` as for :func:`run_campaign` (the local pool or Dask)."""
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
        for old in (out, nominal_path(out)):
            if old.exists():
                old.unlink()
        start = time.perf_counter()
        run_campaign(spec, out, samples=samples, workers=workers, progress=False, spec_base=str(path.parent),
                     executor=executor, scheduler=scheduler)
        if name in WEIGHT_CONFIGS:   # the weight-mapping step: each level's nominal, next to the file
            ensure_nominal(out, load(out), WEIGHT_CONFIGS[name])
        timings[name] = {"samples": samples, "seconds": round(time.perf_counter() - start, 2)}
        if log is not None:
            log(f"{name}: {samples} samples in {timings[name]['seconds']} s")
    return timings


WEIGHT_CONFIGS = {"p2m_fig6a_cmos": "cmos", "p2m_fig6b_dwmtj": "dwmtj", "p2m_fig6c_hybrid": "hybrid"}
ANALYSES = {
    "p2m_fig6a_cmos": lambda p, o: analyse_weight(p, "cmos", o),
    "p2m_fig6b_dwmtj": lambda p, o: analyse_weight(p, "dwmtj", o),
    "p2m_fig6c_hybrid": lambda p, o: analyse_weight(p, "hybrid", o),
    "p2m_fig6d_read": analyse_read,
    "p2m_fig4_conv": analyse_conv,
    "p2m_fig5_reprogram": analyse_reprogram,
}
