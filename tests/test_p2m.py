"""P2M in-pixel MAC cell: model card, Pelgrom mismatch, DW write physics in the cell, accumulator
polarity, reset, series-divider read, and the campaigns at a quick scale."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from circuitlab.circuits import EXAMPLES
from circuitlab.circuits import p2m_models as pm
from circuitlab.circuits.p2m import Event, P2MSpec, Weight, p2m_cell, wall
from circuitlab.circuits.p2m_campaigns import fig6d_read
from circuitlab.devices import get
from circuitlab.errors import ConfigError, InvalidValueError

DW = get("dwmtj").defaults()


def _sim(circuit):
    from circuitlab import simulate
    return simulate(circuit, timeout=60)


# --- no simulator -----------------------------------------------------------------------------
def test_model_card_cites_ptm_and_parses_both_devices():
    text = pm.CARD_PATH.read_text()
    assert "ptm.asu.edu" in text and "Zhao" in text
    models = {m.name: m for m in pm.load_card()}
    assert models["nmos22"].params["level"] == 54 and models["pmos22"].kind == "pmos"
    assert models["nmos22"].params["vth0"] == pytest.approx(0.50308)   # PTM 22 nm HP value
    assert models["pmos22"].params["u0"] == pytest.approx(0.0095)


def test_model_card_rejects_garbage_lines():
    with pytest.raises(ConfigError, match="cannot read line"):
        pm.parse_card(".model a nmos level=54\nnonsense here\n")


def test_pelgrom_sigma_scales_as_inverse_sqrt_area():
    s1 = pm.pelgrom_sigma(100e-9, 22e-9)
    assert s1 == pytest.approx(1.2e-3 * 1e-6 / math.sqrt(100e-9 * 22e-9), rel=1e-12)
    assert pm.pelgrom_sigma(400e-9, 22e-9) == pytest.approx(s1 / 2, rel=1e-12)
    assert pm.pelgrom_sigma(200e-9, 44e-9) == pytest.approx(s1 / 2, rel=1e-12)
    with pytest.raises(InvalidValueError, match="width > 0"):
        pm.pelgrom_sigma(0.0, 22e-9)


def test_pelgrom_draws_have_the_predicted_sigma():
    """delvto of n z-draws: sample std within 4 sigma/sqrt(2n) of the Pelgrom sigma."""
    z = np.random.default_rng(1).standard_normal(4000)
    for w in (44e-9, 176e-9):
        d = np.array([pm.delvto(zi, w, 22e-9) for zi in z])
        s = pm.pelgrom_sigma(w, 22e-9)
        assert abs(d.std(ddof=1) - s) < 4 * s / math.sqrt(2 * z.size)


def test_spec_errors_name_the_fix():
    with pytest.raises(InvalidValueError, match="use one of cmos, dwmtj, hybrid"):
        P2MSpec(config="sram")
    with pytest.raises(InvalidValueError, match="index must name a weight"):
        P2MSpec(weights=(Weight(),), events=(Event(3, 1e-9),))


def test_examples_registered_and_deterministic():
    names = [n for n in EXAMPLES if n.startswith("p2m_")]
    assert len(names) == 6
    for n in names:
        assert EXAMPLES[n]().to_text() == EXAMPLES[n]().to_text()


# --- ngspice ------------------------------------------------------------------------------------
@pytest.mark.ngspice
@pytest.mark.parametrize("config", ["cmos", "dwmtj", "hybrid"])
def test_single_event_displacement_is_the_1d_wall_model_of_the_track_current(config):
    """q after one event = scipy's integration of the 1-D (q, phi) equations (circuitlab.devices.dw_1d,
    separate code) driven by the track current v(accp_in)/R_track of the same run. rtol 3 %: ngspice's
    time step (max 5 ps, 10 ps edges) and linear interpolation of the current between its time points."""
    from circuitlab.devices.dw_1d import Wall1D, simulate_1d
    spec = P2MSpec(config=config, weights=(Weight(width=132e-9, q=40e-9),), events=(Event(0, 0.5e-9, 80e-12),),
                   stop=1.5e-9, max_step=5e-12)
    r = _sim(p2m_cell(spec))
    t, i = r.time, r["v(accp_in)"] / DW["R_track"]
    q1d, _ = simulate_1d(Wall1D(), np.linspace(0, t[-1], 3001), lambda x: float(np.interp(x, t, i)), i_th=DW["I_th"])
    q = 1e-9 * r[wall("accp")][-1]
    assert q1d[-1] > 3e-9
    assert q == pytest.approx(q1d[-1], rel=0.03)


@pytest.mark.ngspice
@pytest.mark.parametrize("config", ["dwmtj", "hybrid"])
def test_mac_current_leaves_the_weight_wall_in_place_only_with_the_higher_threshold(config):
    """Seed: "The threshold current of the weight MDWMTJs needs to be higher (I_TH2 > I_W,MAX)". The
    largest weight (wall at q = 0, widest transistor, R_P 20 % low, V_T 3 sigma low) draws a MAC current
    below I_TH2 = 150 uA and its wall stays put; with the accumulators' 4.8 uA threshold it would move."""
    from circuitlab.circuits import p2m
    w = Weight(width=176e-9, q=0.0, dvt=-3 * pm.pelgrom_sigma(176e-9, pm.L_MIN) - 0.03, r_scale=0.8)
    spec = P2MSpec(config=config, weights=(w,), events=tuple(Event(0, t, 100e-12) for t in (0.3e-9, 0.8e-9)),
                   stop=1.3e-9)
    r = _sim(p2m_cell(spec))
    i_max = r["v(accp_in)"].max() / DW["R_track"]
    assert 20e-6 < i_max < p2m.I_TH_WEIGHT
    assert abs(r[wall("w0")][-1]) < 1e-3                           # nm: not moved
    low = p2m.I_TH_WEIGHT
    try:
        p2m.I_TH_WEIGHT = DW["I_th"]
        moved = _sim(p2m_cell(spec))[wall("w0")][-1]
    finally:
        p2m.I_TH_WEIGHT = low
    assert moved > 1.0                                             # nm


@pytest.mark.ngspice
def test_read_is_non_destructive():
    """The divider's read current (at most v_read / (2 x 0.8 R_P) = 3.1 uA) stays below the accumulators'
    and threshold devices' I_th: every wall keeps its position through a read."""
    spec = P2MSpec(config="cmos", weights=(Weight(),), reads=(0.2e-9,), stop=1.4e-9, q_acc=(0.0, 0.0),
                   r_acc=(0.8, 0.8), r_th=(0.8, 0.8))
    r = _sim(p2m_cell(spec))
    for dev, q0 in (("accp", 0.0), ("accn", 0.0), ("th_top", 60.0), ("th_bot", 60.0)):
        # nm; 0.1 nm (0.1 % of the track): MEN's gate edge kicks v(pre) for a few ps (BSIM charge), the
        # only current above I_th; the read itself moves nothing
        assert abs(r[wall(dev)][-1] - q0) < 0.1


@pytest.mark.ngspice
def test_cmos_weight_current_scales_with_width_as_the_card_predicts():
    """Peak write current of the cell vs a separate .op of the card's PMOS into R_track: rtol 2 %."""
    from circuitlab.netlist import Circuit, Mosfet, Op, Resistor, VoltageSource
    peaks, ops = [], []
    for w in (44e-9, 88e-9, 176e-9):
        spec = P2MSpec(config="cmos", weights=(Weight(width=w),), events=(Event(0, 0.3e-9, 200e-12),), stop=0.8e-9)
        peaks.append(_sim(p2m_cell(spec))["v(accp_in)"].max() / DW["R_track"])
        op = Circuit("pmos into track", elements=[VoltageSource("dd", "vdd", "0", dc=pm.VDD),
                                                  VoltageSource("g", "g", "0", dc=0.0),
                                                  Mosfet("w", "d", "g", "vdd", "vdd", pm.PMOS, {"W": w, "L": pm.L_MIN}),
                                                  Resistor("t", "d", "0", DW["R_track"])],
                     models=pm.load_card(), analyses=[Op()])
        ops.append(_sim(op)["v(d)"][0] / DW["R_track"])
    assert np.allclose(peaks, ops, rtol=0.02)
    assert peaks[2] / peaks[0] > 2.0                        # wider transistor, more current


@pytest.mark.ngspice
def test_positive_events_move_only_the_positive_accumulator_and_reset_returns_to_zero():
    weights = (Weight(sign=1, width=132e-9), Weight(sign=-1, width=132e-9))
    events = tuple(Event(0, t, 100e-12) for t in (0.5e-9, 1.0e-9, 1.5e-9))
    spec = P2MSpec(config="cmos", weights=weights, events=events, resets=(2.5e-9,), stop=5e-9)
    r = _sim(p2m_cell(spec))
    t = r.time
    qp, qn = 1e-9 * np.interp(2.2e-9, t, r[wall("accp")]), 1e-9 * np.interp(2.2e-9, t, r[wall("accn")])
    assert qp > 20e-9
    assert abs(qn) < 0.05e-9                               # below I_th: no motion at all
    # reset: both walls back at the left end. The device's smooth end stop (q_width 0.1 nm) lets a
    # 2 ns reset creep about 3 nm past q = 0 (logarithmic in drive x time); the read is unaffected
    # (the conductance is clipped at q = 0), so the tolerance is 3.5 nm, 3 % of the track.
    assert abs(1e-9 * r[wall("accp")][-1]) < 3.5e-9
    assert abs(1e-9 * r[wall("accn")][-1]) < 3.5e-9


def _g(q, v):
    """Read conductance of the dwmtj (written out independently): S."""
    f = np.clip((q - DW["x_L"]) / (DW["x_R"] - DW["x_L"]), 0, 1)
    tmr = DW["TMR0"] / (1 + v ** 2 / DW["Vh"] ** 2)
    return (1 - f) / DW["R_P"] + f / (DW["R_P"] * (1 + tmr))


@pytest.mark.ngspice
@pytest.mark.parametrize("levels", [(0.75, 0.25), (0.3, 0.6), (0.5, 0.5)])
def test_series_divider_matches_the_closed_form(levels):
    """v(pre) = v_read R_P,acc / (R_N,acc + R_P,acc) with each R at its own simulated bias: rtol 2e-3
    (ngspice reltol, and the read's switch-on kick, which moves each wall by < 0.1 nm: < 0.1 % of R)."""
    r = _sim(fig6d_read({"qp_level": levels[0], "qn_level": levels[1]}))
    v_pre, v_read = r.measures["vpre"], P2MSpec().v_read
    rp = 1 / _g(levels[0] * 120e-9, v_pre)
    rn = 1 / _g(levels[1] * 120e-9, v_read - v_pre)
    assert v_pre == pytest.approx(v_read * rp / (rn + rp), rel=2e-3)


@pytest.mark.ngspice
def test_quick_campaigns_produce_the_seed_figures(tmp_path):
    from circuitlab.cli.main import main
    rc = main(["p2m", "characterise", "--out-dir", str(tmp_path), "--quick", "0.04", "--workers", "2",
               "--only", "p2m_fig6a_cmos", "p2m_fig6d_read"])
    assert rc == 0
    summary = json.loads((tmp_path / "p2m_summary.json").read_text())
    for key in ("fig6a_cmos", "fig6d_read"):
        assert (tmp_path / f"p2m_{key}.png").stat().st_size > 5000
        assert 0.0 < summary[key]["worst_case"] < 1.0
        assert summary[key]["samples"] == 40
    assert summary["fig6a_cmos"]["e_event_mean_J"] > 0
    assert (tmp_path / "p2m_fig6a_cmos.nominal.json").is_file()       # the weight-mapping step's levels
    f6d = summary["fig6d_read"]
    # the largest drop below the mean is one side of the two-sided maximum (same normalisation); the 3-sigma
    # figure (not a maximum: above it at 40 samples) comes with a Gaussian standard error 3 sigma / sqrt(2 (m - 1))
    assert f6d["sample_max"] <= f6d["full_scale_two_sided"] + 1e-12
    assert f6d["sample_max_ci95"][0] <= f6d["sample_max_ci95"][1] <= f6d["sample_max"] + 1e-12
    assert f6d["worst_case"] / np.sqrt(2 * (f6d["samples"] - 1)) <= f6d["worst_case_stderr"] <= f6d["worst_case"] / 2


@pytest.mark.ngspice
def test_fig6a_worst_case_is_stable_between_two_sample_counts_and_x_is_the_realised_nominal(tmp_path):
    """The same seeded CMOS campaign at 40 and 80 samples (the 80 contain the 40): the 3-sigma figure
    moves by less than 3 combined standard errors. x of a sample times the full scale is the displacement
    of its level simulated here directly with every variation at nominal (rel 1e-6: same netlist)."""
    from circuitlab.characterisation.p2m_analysis import analyse_weight, load, run_campaigns
    from circuitlab.circuits.p2m_campaigns import fig6_cmos
    from circuitlab.devices.p2m_encoding import f1_data, nominal_path, read_nominal
    from circuitlab.sim.api import simulate
    figs = []
    for scale, sub in ((0.04, "a"), (0.08, "b")):
        run_campaigns(tmp_path / sub, None, ["p2m_fig6a_cmos"], quick=scale, workers=1)
        figs.append(analyse_weight(tmp_path / sub / "p2m_fig6a_cmos.h5", "cmos", tmp_path / sub)["fig6a_cmos"])
    assert [f["samples"] for f in figs] == [40, 80]
    (a, b) = figs
    assert abs(a["worst_case"] - b["worst_case"]) < 3 * np.hypot(a["worst_case_stderr"], b["worst_case_stderr"])
    d = load(tmp_path / "b" / "p2m_fig6a_cmos.h5")
    nominal = read_nominal(nominal_path(tmp_path / "b" / "p2m_fig6a_cmos.h5"), d, "cmos")
    x, _, n = f1_data(d, nominal)
    assert 0.0 <= x.min() and x.max() <= 1.0 + 1e-12
    i = int(np.argmax(n))
    q = 1e-9 * simulate(fig6_cmos({"x_level": d["x_level"][i], "w_level": d["w_level"][i]})).measures["q_acc"]
    assert x[i] * nominal.full == pytest.approx(q, rel=1e-6)


def test_characterise_rejects_unknown_campaign(tmp_path):
    from circuitlab.cli.main import main
    assert main(["p2m", "characterise", "--out-dir", str(tmp_path), "--only", "p2m_nothing"]) == 1


def test_run_campaigns_rejects_bad_scale_and_names_before_running(tmp_path):
    from circuitlab.characterisation.p2m_analysis import run_campaigns
    from circuitlab.characterisation.rram_analysis import SPEC_DIR
    from circuitlab.errors import ConfigError
    with pytest.raises(ConfigError, match=r"--quick 2\.0 must lie in \(0, 1\]"):
        run_campaigns(tmp_path / "out", SPEC_DIR, quick=2.0)
    with pytest.raises(ConfigError, match=r"unknown P2M campaign\(s\) \['p2m_nothing'\]; known: p2m_fig4_conv"):
        run_campaigns(tmp_path / "out", SPEC_DIR, ["p2m_fig6a_cmos", "p2m_nothing"])
    assert not (tmp_path / "out").exists()   # nothing ran, nothing was written
