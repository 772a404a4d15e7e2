"""Exporters of the P2M behavioural models (seed dwmtj_p2m_snn_paper.txt, Fig. 6).

- ``p2m_f1``: normalised DW displacement vs realised nominal input x weight, one row per weight
  configuration (cmos, dwmtj, hybrid): mean, sigma(x) and the 0.135 % / 99.865 % bounds tabulated on
  x in [0, 1]. x = (events / N_MAX) x (u / u_max): u the nominal (variation-free) per-event displacement
  of the weight's level, u_max the largest realisable one, so x = 1 is full input on the largest weight
  and a layer weight in [u_min / u_max, 1] (``weight_min_<config>``) maps to a realised displacement;
  y = displacement / (N_MAX u_max) (``full_scale_<config>``, m). Both are dimensionless fractions.
  ``worst_case_<config>``: 3 sigma of the random part over the dynamic-range span N_MAX (u_max - u_min)
  (:func:`circuitlab.fit.p2m.f1_variation`; its stderr as the parameter's stderr).
  The level's nominal displacement is read from ``<name>.nominal.json`` next to each campaign file
  (written by ``circuitlab p2m characterise`` / ``analyse``).
- ``p2m_f2``: normalised pre-activation voltage vs accumulator wall difference (q_P - q_N)/L on
  [-1, 1]: mean and the worst-case lower bound the seed trains with; ``worst_case_variation`` = the
  seed's lower-side worst case, 3 sigma of the lower side with its stderr
  (:func:`circuitlab.fit.p2m.f2_lower_bound`); ``track_length`` (m) the
  accumulator track L that x is normalised by.
``p2m_f1`` also carries ``n_max`` (events per input at full input activation, the x unit) and
``programmable_range_hybrid`` (the CMOS+X tunable span over the median, median over width levels;
:func:`circuitlab.fit.p2m.programmable_range`).
Energies from the same simulations ride along as parameters (J, mean with its standard error): per input
event for each weight configuration (f1) and per read of the divider and comparator (f2).
Sources are the campaign files of ``circuitlab p2m characterise`` (p2m_fig6a_cmos.h5, ...).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import __version__
from ..devices.p2m_encoding import F1_COLUMNS, F2_COLUMNS, N_MAX, f1_data, f2_data, nominal_path, read_nominal
from ..errors import SchemaError
from ..fit.p2m import f1_curve, f1_variation, f2_curve, f2_lower_bound, programmable_range
from .modelfile import Axis, ModelFile, Parameter, Table, file_sha256, save_model

CONFIGS = (("cmos", "p2m_fig6a_cmos"), ("dwmtj", "p2m_fig6b_dwmtj"), ("hybrid", "p2m_fig6c_hybrid"))
GRID = 101


def _prov(files) -> dict:
    from ..sim.ngspice import ngspice_version
    return {"sources": ",".join(Path(f).name for f in files),
            "source_sha256": ",".join(file_sha256(f)[:16] for f in files),
            "circuitlab_version": __version__, "ngspice_version": ngspice_version()}


FIX = "make the folder with 'circuitlab p2m characterise --out-dir DIR' and pass --from DIR"


def _columns(path: Path, names, what: str):
    """The ok samples' columns of a P2M campaign file, after checking it is one (typed one-line errors)."""
    from ..montecarlo.results import load_results
    if not path.is_file():
        raise SchemaError(f"{path} does not exist; the P2M exporters read {what} from the campaign folder; {FIX}")
    results = load_results(path)
    results.require(names, what, FIX)
    return results.sample_columns(ok_only=True)


def export_p2m_f1(campaign_dir, out) -> Path:
    """Model file (kind p2m_f1) from the three Fig. 6a-c campaign files in ``campaign_dir``; plus a plot."""
    campaign_dir = Path(campaign_dir)
    files = [campaign_dir / f"{name}.h5" for _, name in CONFIGS]
    x = np.linspace(0.0, 1.0, GRID)
    rows = {k: [] for k in ("mean", "sigma", "lower", "upper")}
    params, metrics, clouds = {}, {}, []
    for (config, name), path in zip(CONFIGS, files):
        d = _columns(path, F1_COLUMNS, f"a P2M Fig. 6a-c campaign ({name}.h5)")
        nominal = read_nominal(nominal_path(path), d, config)
        cx, q, n = f1_data(d, nominal)
        curve = f1_curve(cx, q, nominal.full)
        var = f1_variation(q, nominal.q_nom, n, nominal.span)
        cy, wc = curve.y, var.three_sigma
        e_event = d["e_window"][n > 0] / n[n > 0]  # supply + gate drivers over the window, per event
        params[f"energy_per_event_{config}"] = Parameter(float(e_event.mean()), "J",
                                                         float(e_event.std(ddof=1) / np.sqrt(e_event.size)))
        lo, hi = curve.bounds(x)
        for key, row in (("mean", curve.mean(x)), ("sigma", curve.noise.sigma(x)), ("lower", lo), ("upper", hi)):
            rows[key].append(row)
        params[f"worst_case_{config}"] = Parameter(wc, "1", var.stderr)
        params[f"sample_max_{config}"] = Parameter(var.sample_max, "1")
        params[f"weight_min_{config}"] = Parameter(nominal.u_min / nominal.u_max, "1")
        params[f"full_scale_{config}"] = Parameter(nominal.full, "m")
        if config == "hybrid":
            prog = programmable_range(d["w_level"], d["p_level"], d["q_acc"], n)
            params["programmable_range_hybrid"] = Parameter(prog["median"], "1")
        metrics[f"rmse_{config}"] = float(np.sqrt(np.mean((cy - curve.mean(cx)) ** 2)))
        metrics[f"samples_{config}"] = float(cx.size)
        clouds.append((config, cx, cy, x, curve.mean(x), lo, hi, f"worst case {wc:.1%} (3 sigma / DR)"))
    params["worst_case_variation"] = Parameter(max(p.value for k, p in params.items() if k.startswith("worst")), "1")
    params["n_max"] = Parameter(float(N_MAX), "1")
    axes = (Axis("configuration", np.array([c for c, _ in CONFIGS]), ""), Axis("x", x, "1"))
    tables = {k: Table(np.array(v), "1", axes) for k, v in rows.items()}
    prov = {**_prov(files), "x_axis": "realised nominal input x weight: (events / N_MAX) (u / u_max), u the "
            "variation-free displacement per event of the weight's level; dimensionless, 1 = full input on the "
            "largest realisable weight", "y_axis": "displacement / full_scale_<config>; dimensionless"}
    out = save_model(ModelFile("p2m_f1", params, tables, metrics, prov), out)
    _plot(clouds, out.with_suffix(".png"), "p2m_f1: normalised DW displacement vs realised input x weight",
          "realised nominal input x weight", "d_NORM")
    return out


def export_p2m_f2(campaign_dir, out) -> Path:
    """Model file (kind p2m_f2) from the Fig. 6d campaign file in ``campaign_dir``; plus a plot."""
    path = Path(campaign_dir) / "p2m_fig6d_read.h5"
    d = _columns(path, F2_COLUMNS, "the P2M Fig. 6d campaign (p2m_fig6d_read.h5)")
    curve = f2_curve(*f2_data(d))
    cx, cy, mean = curve.x, curve.y, curve.mean
    low = f2_lower_bound(curve)
    e_read = d["e_read_rd"]
    x = np.linspace(-1.0, 1.0, GRID)
    lo, hi = curve.bounds(x)
    ax = (Axis("x", x, "1"),)
    tables = {"mean": Table(mean(x), "1", ax), "lower": Table(lo, "1", ax), "upper": Table(hi, "1", ax),
              "sigma": Table(curve.noise.sigma(x), "1", ax)}
    from ..devices import get
    params = {"worst_case_variation": Parameter(low.three_sigma, "1", low.stderr),
              "track_length": Parameter(get("dwmtj").defaults()["L"], "m"),
              "full_scale_two_sided": Parameter(curve.full_scale_two_sided, "1"),
              "energy_per_read": Parameter(float(e_read.mean()), "J", float(e_read.std(ddof=1) / np.sqrt(e_read.size)))}
    metrics = {"rmse": float(np.sqrt(np.mean((cy - mean(cx)) ** 2))), "samples": float(cx.size)}
    prov = {**_prov([path]), "x_axis": "(q_P - q_N) / L, accumulator wall difference over the track length; "
            "dimensionless in [-1, 1]", "y_axis": "pre-activation voltage normalised to the fitted mean's range "
            "between x = -1 and +1; dimensionless"}
    out = save_model(ModelFile("p2m_f2", params, tables, metrics, prov), out)
    label = f"worst case {low.three_sigma:.1%} (lower side, 3 sigma)"
    _plot([("read", cx, cy, x, mean(x), lo, hi, label)], out.with_suffix(".png"),
          "p2m_f2: normalised pre-activation vs accumulator difference", "(q_P - q_N) / L", "V_ACT,PRE normalised")
    return out


def _plot(clouds, path: Path, title: str, xlabel: str, ylabel: str) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(clouds), figsize=(4.6 * len(clouds), 4), squeeze=False)
    for ax, (name, cx, cy, x, m, lo, hi, label) in zip(axes[0], clouds):
        ax.plot(cx, cy, ".", ms=2, alpha=0.4, color="0.4", label=f"Monte Carlo ({cx.size})")
        ax.plot(x, m, "k-", lw=1.5, label="mean fit")
        ax.fill_between(x, lo, hi, alpha=0.25, label="0.135-99.865 % bounds")
        ax.set(title=f"{name}: {label}", xlabel=xlabel, ylabel=ylabel)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
