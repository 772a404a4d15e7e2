"""Exporters of the standard models from their source files (one function per kind).

- ``vcmtj_psw``: the P_sw(V, t) table of ``circuitlab llg sweep`` with its binomial intervals; consumers
  interpolate it bilinearly. (A damped-cosine family, circuitlab.fit.DampedSwitching, fitted these
  tables badly above V_c: the precession saturates at P = 1 and starts after a delay, so the table
  itself is the model.)
- ``meram_eps``: the MeRAM noise table of ``circuitlab meram noise``: exact pmf of eps, the sample
  table normalised to unit variance (DDPM noise), the closed-form variance and lag-1 autocorrelation.
The P2M (f1/f2) and RRAM CIM exporters join these once their campaigns exist.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from .. import __version__
from .modelfile import Axis, ModelFile, Parameter, Table, file_sha256, save_model


def _provenance(source: Path, **extra) -> dict:
    from ..sim.ngspice import ngspice_version
    try:
        ng = ngspice_version()
    except Exception:  # the LLG and MeRAM sources need no simulator
        ng = "not used"
    return {"source_file": source.name, "source_sha256": file_sha256(source), "circuitlab_version": __version__,
            "ngspice_version": ng, **extra}


def export_vcmtj_psw(source, out) -> Path:
    """ModelFile file (kind vcmtj_psw) from a P_sw table written by ``circuitlab llg sweep``; plus a plot."""
    from ..physics.io import read_switching_table
    source = Path(source)
    t = read_switching_table(source)
    v_axis, w_axis = Axis("voltage", t.voltages, "V"), Axis("width", t.widths, "s")
    lo, hi = t.interval("wilson", 0.95)
    tables = {"p_switch": Table(t.p_switch, "1", (v_axis, w_axis)),
              "p_p_to_ap": Table(t.p_p_to_ap, "1", (v_axis, w_axis)),
              "p_ap_to_p": Table(t.p_ap_to_p, "1", (v_axis, w_axis)),
              "wilson_lower": Table(lo, "1", (v_axis, w_axis)), "wilson_upper": Table(hi, "1", (v_axis, w_axis))}
    half_width = (hi - lo) / 2
    model = ModelFile("vcmtj_psw", {"trials_per_state": Parameter(float(t.trials), "1")}, tables,
                  {"ci95_half_width_max": float(half_width.max()), "ci95_half_width_mean": float(half_width.mean())},
                  _provenance(source, seed=-1 if t.seed is None else int(t.seed),
                              params=json.dumps(t.params.to_dict()), backend=t.backend, dtype=t.dtype))
    out = save_model(model, out)
    _plot_psw(t, lo, hi, out.with_suffix(".png"))
    return out


def _plot_psw(t, lo, hi, path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, v in enumerate(t.voltages):
        ax.errorbar(t.widths * 1e9, t.p_switch[i], yerr=np.clip([t.p_switch[i] - lo[i], hi[i] - t.p_switch[i]], 0, None),
                    fmt="o-", ms=3, lw=1, capsize=2, label=f"{v:.2f} V (LLG, {t.trials} trials/state)")
    ax.set(xlabel="pulse width (ns)", ylabel="P_sw", title="vcmtj_psw: LLG table with 95 % Wilson intervals")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _pulse_energies(attrs, p_pa, p_ap) -> dict:
    """Write energy per pulse (J) from the vcmtj device model: V^2 / R(mz, V) * t, averaged over the bit's
    stationary state (P with probability p_AP->P / (p_P->AP + p_AP->P)); the circuit-level unit
    (circuitlab.circuits.meram_unit, tests/test_meram_circuit.py) integrates the driver power to the same."""
    if "pulse_voltage" not in attrs:
        return {}
    from ..meram.energy import pulse_energies
    widths = np.full(len(p_pa), float(attrs["pulse_other_width"]))
    widths[0] = float(attrs["pulse_msb_width"])
    per_pulse = pulse_energies(float(attrs["pulse_voltage"]), widths, p_pa, p_ap)
    return {"energy_per_msb_pulse": Parameter(float(per_pulse[0]), "J"),
            "energy_per_write_pulse": Parameter(float(per_pulse[1:].mean()), "J"),
            "energy_per_noise_sample": Parameter(float(per_pulse.sum()), "J")}


def export_meram_eps(source, out) -> Path:
    """ModelFile file (kind meram_eps) from a noise table written by ``circuitlab meram noise``."""
    import h5py

    from ..errors import SchemaError
    from ..meram.io import KIND
    source = Path(source)
    with h5py.File(source, "r") as f:
        if f.attrs.get("kind") != KIND:
            raise SchemaError(f"{source} is not a MeRAM noise table (make one with `circuitlab meram noise`)")
        values, pmf = f["pmf_values"][()], f["pmf"][()]
        samples = f["eps_normalised"][()]
        attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items()}
        weights, p_pa, p_ap = f["weights"][()], f["p_p_to_ap"][()], f["p_ap_to_p"][()]
    bit = Axis("bit", np.arange(len(weights)), "")
    tables = {"pmf": Table(pmf, "1", (Axis("eps", values, "1"),)),
              "samples": Table(samples, "1", (Axis("index", np.arange(len(samples)), ""),)),
              "weights": Table(weights, "1", (bit,)), "p_p_to_ap": Table(p_pa, "1", (bit,)),
              "p_ap_to_p": Table(p_ap, "1", (bit,))}
    params = {**_pulse_energies(attrs, p_pa, p_ap),
              "variance": Parameter(float(attrs["exact_std"]) ** 2, "1"),
              "lag1_autocorr": Parameter(float(attrs["exact_lag1_autocorr"]), "1"),
              "kurtosis_excess": Parameter(float(attrs["exact_kurtosis"]), "1")}
    metrics = {f"sample_{k}": float(attrs[f"sample_{k}"]) for k in ("mean", "std", "lag1_autocorr", "kurtosis")}
    prov = _provenance(source, seed=int(attrs["seed"]), mode=str(attrs["mode"]), bits=int(attrs["bits"]),
                       probability_source=re.sub(r"\S*/", "", str(attrs.get("source", ""))))  # no local paths
    return save_model(ModelFile("meram_eps", params, tables, metrics, prov), out)


def export_meram_design(design_json, out, *, samples: int = 40_000, seed: int = 0) -> Path:
    """ModelFile file (kind meram_eps) from a DESIGN.json of ``circuitlab meram design``.

    Tables as :func:`export_meram_eps` (``pmf`` exact, ``samples`` a shuffled stream of ``samples`` eps
    drawn with ``numpy.random.default_rng(seed)`` and divided by the exact std, as that kind defines it;
    ``samples_raw`` undivided) plus the per-bit ``voltage`` (V) and ``width`` (s) of the design."""
    from ..meram import epsilon_moments, shuffled_table
    from ..meram.design import lattice_pmf
    source = Path(design_json)
    d = json.loads(source.read_text())
    w, p_pa, p_ap = (np.asarray(d[k], dtype=float) for k in ("weights", "p_p_to_ap", "p_ap_to_p"))
    exact = epsilon_moments(p_pa, p_ap, w)
    values, pmf = lattice_pmf(np.asarray(d["q"], dtype=float), w)
    keep = pmf > 0
    raw = shuffled_table(p_pa, p_ap, samples, rng=np.random.default_rng(seed), weights=w)
    bit = Axis("bit", np.arange(len(w)), "")
    index = Axis("index", np.arange(len(raw)), "")
    tables = {"pmf": Table(pmf[keep], "1", (Axis("eps", values[keep], "1"),)),
              "samples": Table(raw / exact["std"], "1", (index,)), "samples_raw": Table(raw, "1", (index,)),
              "weights": Table(w, "1", (bit,)), "p_p_to_ap": Table(p_pa, "1", (bit,)),
              "p_ap_to_p": Table(p_ap, "1", (bit,)), "voltage": Table(np.asarray(d["voltage"], float), "V", (bit,)),
              "width": Table(np.asarray(d["width"], float), "s", (bit,))}
    params = {"variance": Parameter(exact["var"], "1"), "lag1_autocorr": Parameter(exact["lag1_autocorr"], "1"),
              "kurtosis_excess": Parameter(exact["kurtosis"], "1"),
              "energy_per_noise_sample": Parameter(float(d["energy_per_sample"]), "J")}
    metrics = {k: float(d[k]) for k in ("tv", "w1", "range_sigma")}
    prov = _provenance(source, seed=int(seed), mode="shuffled", bits=int(d["bits"]),
                       probability_source=f"meram design ({d['metric']}) from {d.get('psw_source', '?')}")
    return save_model(ModelFile("meram_eps", params, tables, metrics, prov), out)
