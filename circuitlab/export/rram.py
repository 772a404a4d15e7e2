"""Exporter of the ``rram_cim`` model from ``circuitlab rram characterise`` (its ``rram_summary.h5``).

Tables (SI units):

- ``sigma_g`` [S] over (time [s], conductance [S]): programmed-and-relaxed conductance spread, read
  noise removed (measured through the ngspice rram_cim cell; see circuitlab/circuits/rram_relaxation.py;
  the NeuRRAM reference is circuitlab/devices/neurram.py);
- ``sigma_g_neurram`` [S] over (time, conductance): the NeuRRAM polynomial at 1 s and 1 day (reference);
- ``ir_drop_rms`` [1] over (size [1], r_wire [ohm]): RMS SL-voltage error / V_read of the voltage-mode
  MVM, with ``ir_drop_worst`` [1] the largest column error;
- ``adc_rms`` [1] over (bits [1], clip [1]): RMS MVM error / V_read of a mid-rise ADC on +-clip V_read;
  ``adc_clipped`` [1] over (clip) the fraction of SL voltages beyond the range.

- ``energy_per_mac_stage_voltage`` / ``_current`` [J] over (stage [1]): energy per MAC as the seed's
  conditions are added one by one (stage names in provenance ``energy_seed_stages``; see
  circuitlab/circuits/rram_energy_seed.py).

Parameters: ``read_noise_rel`` [1], ``energy_per_mac_voltage`` / ``energy_per_mac_current`` [J] (array
only, today's baseline conditions: analog inputs at V_read 0.1 V, single cells, trained weights, 1 kOhm
drivers; mean over Monte Carlo samples, stderr = sd/sqrt(n)), ``energy_per_mac_voltage_seed`` /
``energy_per_mac_current_seed`` [J] (array only, under the seed's conditions: full-swing bit-serial
pulse-count inputs, differential pairs, 4-bit weights on 1-40 uS, BL/SL line charging; conditions in
provenance ``energy_seed_conditions``), ``settling_time`` [s] (worst column of the largest simulated
array), ``v_read`` [V].
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import CircuitlabError
from .modelfile import Axis, ModelFile, Parameter, Table, file_sha256, save_model


def _mean(v) -> Parameter:
    """Mean (J) over samples with its standard error."""
    v = np.asarray(v, float)
    return Parameter(float(np.mean(v)), "J", float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan"))


def _provenance(source: Path, report: dict) -> dict:
    from ..sim.ngspice import ngspice_version
    return {"source_file": source.name, "source_sha256": file_sha256(source), "circuitlab_version": __version__,
            "ngspice_version": ngspice_version(), "seed_settling_s": 2.32e-9,
            "seed_energy_per_mac_voltage_J": 2.16e-15, "seed_energy_per_mac_current_J": 7.81e-15,
            "relaxation_samples": int(report.get("relaxation_samples", -1))}


def export_rram_cim(source, out) -> Path:
    """ModelFile file (kind ``rram_cim``) from ``DIR/rram_summary.h5`` of ``circuitlab rram characterise``."""
    import h5py

    from ..devices.neurram import NEURRAM_POLY, READ_NOISE, neurram_sigma
    source = Path(source)
    if not source.is_file():
        raise CircuitlabError(f"{source}: no such file; run 'circuitlab rram characterise --out-dir DIR' and "
                              f"pass DIR/rram_summary.h5")
    with h5py.File(source, "r") as f:
        groups = ("relaxation", "ir_drop", "adc", "energy", "settling", "energy_seed")
        missing = [g for g in groups if g not in f]
        if missing:
            raise CircuitlabError(f"{source}: not an rram_summary file (missing groups {missing}); rerun "
                                  f"'circuitlab rram characterise'")
        d = {g: {k: f[g][k][()] for k in f[g]} for g in groups}
        report = json.loads(f.attrs["report"])
    rel, ir, adc, en, st = d["relaxation"], d["ir_drop"], d["adc"], d["energy"], d["settling"]
    es = d["energy_seed"]
    t_ax, g_ax = Axis("time", rel["time"], "s"), Axis("conductance", rel["conductance"], "S")
    ref_t = np.array(sorted(NEURRAM_POLY))
    ref = np.stack([neurram_sigma(rel["conductance"], t) for t in ref_t])
    size_ax, r_ax = Axis("size", ir["sizes"].astype(float), "1"), Axis("r_wire", ir["r_wire"], "ohm")
    bits_ax, clip_ax = Axis("bits", adc["bits"].astype(float), "1"), Axis("clip", adc["clip"], "1")
    stage_ax = Axis("stage", es["stage"], "1")
    tables = {
        "sigma_g": Table(rel["sigma_g"], "S", (t_ax, g_ax)),
        "sigma_g_neurram": Table(ref, "S", (Axis("time", ref_t, "s"), g_ax)),
        "ir_drop_rms": Table(ir["rms"].mean(axis=2), "1", (size_ax, r_ax)),
        "ir_drop_worst": Table(ir["worst"].max(axis=2), "1", (size_ax, r_ax)),
        "adc_rms": Table(adc["rms"], "1", (bits_ax, clip_ax)),
        "adc_clipped": Table(adc["clipped"], "1", (clip_ax,)),
        "energy_per_mac_stage_voltage": Table(es["mac_voltage"].mean(axis=0), "J", (stage_ax,)),
        "energy_per_mac_stage_current": Table(es["mac_current"].mean(axis=0), "J", (stage_ax,)),
    }
    params = {
        "read_noise_rel": Parameter(READ_NOISE, "1"),
        "energy_per_mac_voltage": _mean(en["mac_voltage"]),
        "energy_per_mac_current": _mean(en["mac_current"]),
        "energy_per_mac_voltage_seed": _mean(es["mac_voltage"][:, -1]),
        "energy_per_mac_current_seed": _mean(es["mac_current"][:, -1]),
        "settling_time": Parameter(float(np.max(st["worst"][-1])), "s"),
        "v_read": Parameter(0.1, "V"),
    }
    metrics = {}
    for t in ref_t:
        rows = np.nonzero(rel["time"] == t)[0]
        if len(rows):
            dev = rel["sigma_g"][rows[0]] - neurram_sigma(rel["conductance"], t)
            key = "1s" if t == 1.0 else "1day"
            metrics[f"sigma_g_max_dev_{key}_S"] = float(np.max(np.abs(dev)))
            metrics[f"sigma_g_rms_dev_{key}_S"] = float(np.sqrt(np.mean(dev ** 2)))
    metrics["energy_ratio_current_to_voltage"] = float(np.mean(en["mac_current"]) / np.mean(en["mac_voltage"]))
    metrics["energy_seed_ratio_voltage"] = float(np.mean(es["mac_voltage"][:, -1]) / 2.16e-15)
    metrics["energy_seed_ratio_current"] = float(np.mean(es["mac_current"][:, -1]) / 7.81e-15)
    report["relaxation_samples"] = int(rel["samples"])
    prov = _provenance(source, report)
    prov["energy_seed_stages"] = ", ".join(n.decode() for n in es["stage_names"])
    prov["energy_seed_conditions"] = (
        f"energy_per_mac_*_seed: array only (seed: 'Includes only energy from RRAM array'), "
        f"{int(es['size'])}x{int(es['size'])} weights as differential pairs (2 rows per weight, opposite-polarity "
        f"full-swing inputs at V_ref +- 0.1 V), {int(es['bits'])}-bit unsigned inputs sent bit-serially "
        f"(bit b as 2^b pulses), 4-bit weights uniform on 15 levels mapped to 1-40 uS, BL 0.3 fF and SL 0.8 fF "
        f"per cell with C dV^2 per line per pulse, 2.32 ns (voltage) / 10 ns (current) activation per pulse; "
        f"ngspice transient per bit plane; energy referenced to V_ref; word-line charging not included")
    prov["energy_baseline_conditions"] = ("energy_per_mac_voltage/current: analog inputs X in [-1, 1] at V_read "
                                          "0.1 V, single cells, trained Laplace weights, 1 kOhm drivers, "
                                          "energy of the sources referenced to ground")
    model = ModelFile("rram_cim", params, tables, metrics, prov)
    return save_model(model, out)


def aihwkit_noise_parameters(model_or_path="rram_cim") -> dict:
    """The relaxation tables of an ``rram_cim`` model as the parameters of IBM aihwkit's ReRAM noise models
    (a plain, JSON-able dict; aihwkit itself is not needed).

    aihwkit's ``ReRamWan2022NoiseModel`` (devices.md section 3) keeps, per time after programming, a
    polynomial sigma(x) in uS of the normalised conductance x = G / g_max with g_max = 40 uS:
    ``coeff_dic = {t_seconds: [c0, c1, c2, c3, c4]}`` (ascending powers), plus ``g_max`` [uS]. Here each
    row of the model's ``sigma_g`` table (S over (time, conductance)) is fitted by least squares with the
    same quartic in x; ``fit_rms_uS`` reports each fit's RMS residual. ``read_noise_rel`` [1] and the
    conductance range [uS] travel along for the read-noise and mapping settings.
    """
    from .modelfile import load_model

    m = model_or_path if not isinstance(model_or_path, (str, Path)) else load_model(model_or_path, kind="rram_cim")
    if m.kind != "rram_cim":
        raise CircuitlabError(f"aihwkit_noise_parameters needs an rram_cim model, not {m.kind!r}")
    tab = m.tables["sigma_g"]
    times = np.asarray(tab.axes[0].values, float)
    g_us = np.asarray(tab.axes[1].values, float) * 1e6
    g_max = 40.0
    x = g_us / g_max
    coeffs, rms = {}, {}
    for t, row in zip(times, np.asarray(tab.values, float) * 1e6):
        c = np.polynomial.polynomial.polyfit(x, row, 4)
        coeffs[f"{t:g}"] = [float(v) for v in c]
        rms[f"{t:g}"] = float(np.sqrt(np.mean((np.polynomial.polynomial.polyval(x, c) - row) ** 2)))
    return {"noise_model": "ReRamWan2022NoiseModel", "g_max_uS": g_max, "g_min_uS": 1.0,
            "coeff_dic": coeffs, "coefficient_order": "ascending powers of x = G / g_max, sigma in uS",
            "fit_rms_uS": rms, "read_noise_rel": float(m.parameters["read_noise_rel"].value),
            "source": str(model_or_path) if isinstance(model_or_path, (str, Path)) else "ModelFile"}
