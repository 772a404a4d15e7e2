"""RRAM campaigns against closed forms and independent references (seed: neurram_cim_slides.txt)."""
from pathlib import Path

import numpy as np
import pytest

from circuitlab import simulate
from circuitlab.circuits import rram_campaigns as rc
from circuitlab.circuits import rram_relaxation as rr
from circuitlab.circuits.crossbar import CrossbarSpec, build_crossbar, ideal_sl_voltages, sense_nodes
from circuitlab.circuits.crossbar_solver import solve_operating_point
from circuitlab.errors import ConfigError, InvalidValueError

G = np.linspace(1e-6, 40e-6, 40)


def test_relaxation_card_is_the_calibration():
    # the pinned card is what calibrate() returns (least squares on a fixed grid: deterministic to 1e-5)
    for t, q in rr.calibrate().items():
        np.testing.assert_allclose(rr.RELAX_CARD[t], q, rtol=1e-5)


@pytest.mark.parametrize("t", [1.0, rr.T_DAY])
def test_relaxation_model_agrees_with_the_neurram_polynomial(t):
    # the CrossSim-vs-aihwkit spread (0.2-0.6 uS) is the agreement two independent fits reach
    dev = np.abs(rr.expected_sigma(G, t) - rr.neurram_sigma(G, t))
    assert dev.max() < 0.2e-6


def test_relaxation_model_agrees_with_crosssims_independent_fit():
    """At 1 s against CrossSim's cubic (independent of the aihwkit polynomial the model is calibrated on): the
    published fits differ by 0.15-0.56 uS over 1-39 uS; the model may differ from CrossSim by that spread plus
    0.1 uS at each G, and by no more than 0.6 uS anywhere."""
    from circuitlab.devices.neurram import crosssim_sigma
    g = np.linspace(1e-6, 39e-6, 39)
    cs = crosssim_sigma(g)
    dev = np.abs(rr.expected_sigma(g, 1.0) - cs)
    assert np.all(dev <= np.abs(rr.neurram_sigma(g, 1.0) - cs) + 0.1e-6) and dev.max() < 0.6e-6
    # devices.md's tabulated CrossSim values at 0/5/10/15/20/30/39 uS
    np.testing.assert_allclose(crosssim_sigma(np.array([0, 5, 10, 15, 20, 30, 39]) * 1e-6) * 1e6,
                               [1.053, 1.967, 2.414, 2.507, 2.362, 1.819, 1.673], atol=1.5e-3)
    with pytest.raises(ValueError, match="valid for 0 <= G <= 39.26 uS"):
        crosssim_sigma(40e-6)


def test_relaxation_interpolates_monotonically_in_log_time():
    s = [rr.relaxation_sigma(12e-6, t) for t in (1.0, 60.0, 3600.0, rr.T_DAY, 1e7)]
    assert all(a < b for a, b in zip(s[:3], s[1:4])) and s[4] == s[3]  # clamped beyond 1 day
    with pytest.raises(ValueError, match="must be > 0"):
        rr.relaxation_sigma(1e-6, 0.0)


def test_cell_inverse_roundtrip():
    np.testing.assert_allclose(rr.cell_conductance(rr.element_for_cell(G)), G, rtol=1e-12)


def values(seed=1, **kw):
    """One run's values as the engine hands them to an evaluator."""
    from circuitlab.montecarlo.sampling import sample_seed
    return {"mc_sample": seed, "mc_seed": sample_seed(99, seed), "mc_timeout": 120.0, "r_driver": 1000.0,
            "sparse": 1.0, **kw}


@pytest.mark.ngspice
def test_ir_drop_solver_matches_ngspice_and_is_quadratic_in_size():
    rms = {}
    for n in (8, 16, 32):
        rms[n] = []
        for k in range(4):
            g, x = rc.sample_array(values(k, size=float(n), sparse=0.0))
            cs = CrossbarSpec(g, x, r_driver=0.0, r_bl=1.0, r_sl=1.0)
            v = solve_operating_point(cs)
            if k == 0 and n <= 16:
                # the same linear network solved twice: ngspice's reltol (1e-6 of 1 V) bounds the difference
                res = simulate(build_crossbar(cs))
                vng = np.array([res[f"v({node})"][0] for node in sense_nodes(cs)])
                assert np.max(np.abs(vng - v)) < 2e-6
            rms[n].append(np.sqrt(np.mean(((v - ideal_sl_voltages(g, x)) / 0.1) ** 2)))
    # IR drop of an N x N array with per-segment R grows about as N^2 (current N G V over N segments)
    assert 3.0 < np.mean(rms[32]) / np.mean(rms[16]) < 6.5  # 4 for pure N^2; spread of 4 random arrays


def test_ir_drop_evaluator_is_the_direct_solve():
    v = values(3, size=24.0, r_wire=2.0, sparse=0.0)
    got = rc.ir_drop(v)
    g, x = rc.draw_array(np.random.default_rng([v["mc_seed"], 24]), 24, 24, "uniform")
    err = (solve_operating_point(CrossbarSpec(g, x, r_driver=1000.0, r_bl=2.0, r_sl=2.0))
           - ideal_sl_voltages(g, x)) / 0.1
    assert got == {"rms": np.sqrt(np.mean(err ** 2)), "worst": np.max(np.abs(err))}  # exact: same arithmetic
    # the array depends on mc_seed and size only: another r_wire sees the same array
    assert rc.sample_array(v)[0].tobytes() == rc.sample_array(dict(v, r_wire=0.1))[0].tobytes()
    with pytest.raises(ConfigError, match="sparse=0.5 0 .uniform G. or 1"):
        rc.ir_drop(dict(v, sparse=0.5))
    with pytest.raises(ConfigError, match="value 'r_wire' is missing"):
        rc.ir_drop({k: a for k, a in v.items() if k != "r_wire"})


@pytest.mark.ngspice
def test_settling_matches_the_rc_closed_form():
    """Ideal drivers, lumped lines: each SL is C dV/dt = sum G (V_i - V), an exponential with
    tau = (M c_sl + C_sample) / sum G; settled when |dV| e^(-t/tau) = tol. 5 % covers the 10 ps edge."""
    rng = np.random.default_rng(3)
    g, x = rc.draw_array(rng, 16, 8, "sparse")
    cs = rc.settling_spec(g, x, r_driver=0.0)
    res = simulate(build_crossbar(cs, transient=4e-9, step=2e-12))
    v = np.stack([np.asarray(res[f"v({n})"]) for n in sense_nodes(cs)], axis=1)
    final = ideal_sl_voltages(g, x)
    tol = 0.39e-3
    ts = rc.settle_time(np.asarray(res.time), v, final, tol)
    tau = (16 * rc.C_SL + rc.C_SAMPLE) / g.sum(axis=0)
    expect = tau * np.log(np.abs(final - 0.9) / tol) + 5e-12
    big = np.abs(final - 0.9) > 3 * tol
    np.testing.assert_allclose(ts[big], expect[big], rtol=0.05)


@pytest.mark.ngspice
def test_settling_evaluator_is_settle_time_of_the_ngspice_transient():
    v = values(2, size=16.0, stop=4e-9, step=5e-12, tolerance=0.39e-3)
    got = rc.settling(v)
    g, x = rc.sample_array(v)
    cs = rc.settling_spec(g, x, 1000.0)
    res = simulate(build_crossbar(cs, transient=4e-9, step=5e-12))
    wave = np.stack([np.asarray(res[f"v({n})"]) for n in sense_nodes(cs)], axis=1)
    ts = rc.settle_time(np.asarray(res.time), wave, solve_operating_point(cs), 0.39e-3)
    # the same deterministic ngspice run: equal to the last bit (1e-12 relative allows a libm difference)
    assert got["settle_worst"] == pytest.approx(np.max(ts), rel=1e-12)
    assert got["settle_median"] == pytest.approx(np.median(ts), rel=1e-12)
    assert got["tau_rc"] == pytest.approx(np.median((16 * rc.C_SL + rc.C_SAMPLE) / g.sum(axis=0)), rel=1e-12)
    assert 0.2e-9 < got["settle_worst"] < 4e-9


def test_adc_transfer_closed_form():
    v = np.linspace(-0.05, 0.05, 100001)[:-1]
    for bits in (1, 4, 8):
        out = rc.adc_transfer(v, bits, 0.05)
        lsb = 0.1 / 2 ** bits
        assert len(np.unique(out)) == 2 ** bits
        # uniform input over the full range: RMS quantisation error LSB / sqrt(12) (to the grid's resolution)
        assert np.sqrt(np.mean((out - v) ** 2)) == pytest.approx(lsb / np.sqrt(12), rel=1e-3)
    assert rc.adc_transfer(1.0, 3, 0.05) == pytest.approx(0.05 - 0.1 / 16)  # clipped to the top level
    with pytest.raises(ConfigError, match="bits=0"):
        rc.adc_transfer(v, 0, 0.05)


def test_adc_evaluator_on_the_ideal_array():
    v = values(4, size=64.0, bits=6.0, clip=0.25)
    got = rc.adc(v)
    g, x = rc.sample_array(v)
    sl = ideal_sl_voltages(g, x) - 0.9
    assert got["clipped"] == np.mean(np.abs(sl) > 0.025)
    inside = np.abs(sl) < 0.025
    # unclipped columns are off by at most half an LSB (0.05 / 64 / 2 V)
    q = rc.adc_transfer(sl, 6, 0.025) - sl
    assert np.all(np.abs(q[inside]) <= 0.05 / 128 + 1e-15)
    assert got["rms"] == pytest.approx(np.sqrt(np.mean(q ** 2)) / 0.1, rel=1e-12)


@pytest.mark.ngspice
@pytest.mark.parametrize("mode", ["current", "voltage"])
def test_energy_equals_v2_g_t_for_a_resistive_array(mode):
    """No capacitance, ideal drivers: the sources deliver sum G (V_bl - V_sl)^2 t exactly (V_sl = V_ref in
    current mode, the closed-form floating voltage in voltage mode). 1e-3: trapezoid over the 10 ps edge."""
    rng = np.random.default_rng(5)
    g, x = rc.draw_array(rng, 12, 10, "uniform")
    cs = CrossbarSpec(g, x, c_sample=0.0)
    t = 2e-9
    e = rc.mvm_energy(cs, mode, t, 10e-12)
    vbl = 0.9 + 0.1 * x
    vsl = np.full(10, 0.9) if mode == "current" else ideal_sl_voltages(g, x)
    closed = np.sum(g * (vbl[:, None] - vsl[None, :]) ** 2) * t
    assert e == pytest.approx(closed, rel=1e-2)


@pytest.mark.ngspice
def test_energy_evaluator_runs_both_modes_on_one_array():
    v = values(5, size=8.0, t_voltage=2.32e-9, t_current=10e-9, step=10e-12)
    got = rc.energy(v)
    cs = rc.settling_spec(*rc.sample_array(v), 1000.0)
    assert got["e_voltage"] == pytest.approx(rc.mvm_energy(cs, "voltage", 2.32e-9, 10e-12), rel=1e-12)
    assert got["e_current"] == pytest.approx(rc.mvm_energy(cs, "current", 10e-9, 10e-12), rel=1e-12)
    # current mode holds every cell at |V_bl - V_ref| for 10 ns: at least sum G (0.1 x)^2 10 ns of the
    # closed form (the drivers' 1 kOhm take their share on top)
    g, x = rc.sample_array(v)
    assert got["e_current"] > 0.5 * np.sum(g * (0.1 * x[:, None]) ** 2) * 10e-9


SPEC_NAMES = ("ir_drop", "settling", "adc", "energy")


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_specs_are_evaluator_campaigns(name):
    from circuitlab.characterisation.rram_analysis import SPEC_DIR
    from circuitlab.montecarlo import load_spec
    from circuitlab.montecarlo.engine import resolve_mode
    spec = load_spec(SPEC_DIR / f"rram_{name}.toml")
    assert spec.evaluator == f"circuitlab.circuits.rram_campaigns:{name}" and resolve_mode(spec) == "python"


@pytest.mark.ngspice
def test_every_spec_runs_with_mc_run_and_the_analysis_reads_it(tmp_path, capsys):
    """`circuitlab mc run` on each spec (settling and IR drop at small sizes), then the summary tables."""
    from circuitlab.characterisation import rram_analysis as ra
    from circuitlab.cli.main import main
    small = {"ir_drop": [("size", [8, 16], "sweep")], "settling": [("size", [8, 16], "sweep")],
             "adc": [("size", 32.0, "parameters")], "energy": [("size", 8.0, "parameters")]}
    tables = {}
    for name in SPEC_NAMES:
        text = (ra.SPEC_DIR / f"rram_{name}.toml").read_text()
        for key, value, table in small[name]:
            text = ra.with_value(text, key, value, table)
        spec = tmp_path / f"{name}.toml"
        spec.write_text(text)
        out = tmp_path / f"{name}.h5"
        assert main(["mc", "run", str(spec), "--out", str(out), "--samples", "3", "--workers", "2",
                     "--no-progress"]) == 0
        assert "3 ok, 0 failed" in capsys.readouterr().out
        tables[name] = ra.TABLES[name][0](out)
    ir, st, adc, en = (tables[k] for k in SPEC_NAMES)
    assert ir["rms"].shape == (2, 5, 3) and list(ir["sizes"]) == [8, 16]
    from circuitlab.montecarlo.sampling import sample_seed
    check = rc.ir_drop({"size": 16.0, "r_wire": 5.0, "r_driver": 1000.0, "sparse": 0.0,
                        "mc_seed": sample_seed(20250611, 2)})
    assert (ir["rms"][1, 4, 2], ir["worst"][1, 4, 2]) == (check["rms"], check["worst"])  # table order
    assert st["worst"].shape == (2, 3) and np.all(st["worst"] >= st["median"])
    assert adc["rms"].shape == (8, 4) and np.all(np.diff(adc["clipped"]) <= 0)
    assert np.all(np.diff(adc["rms"][:, -1]) < 0)  # the widest range never clips: error halves per bit
    np.testing.assert_allclose(en["mac_voltage"], en["e_voltage"] / 64, rtol=1e-12)
    assert np.all(en["e_current"] > en["e_voltage"])


def test_1t1r_campaign_runs_with_mc_run_on_the_ir_drop_arrays(tmp_path, capsys):
    """rram_ir_drop_1t1r.toml shares rram_ir_drop.toml's seed: its linear-cell error (Newton solve) equals
    the IR-drop campaign's (SuperLU direct solve) on the same sample to 1e-8 relative, the 1T1R cells
    matched to the same read G change it by < 1 % of itself, and the cell nonlinearity alone is far
    smaller than the wire error."""
    from circuitlab.characterisation import rram_analysis as ra
    from circuitlab.cli.main import main
    from circuitlab.montecarlo.sampling import sample_seed
    text = ra.with_value((ra.SPEC_DIR / "rram_ir_drop_1t1r.toml").read_text(), "size", [8, 24], "sweep")
    spec = tmp_path / "cells.toml"
    spec.write_text(text)
    out = tmp_path / "cells.h5"
    assert main(["mc", "run", str(spec), "--out", str(out), "--samples", "2", "--no-progress"]) == 0
    assert "2 ok, 0 failed" in capsys.readouterr().out
    grid, s, failed = ra.campaign_scalars(out)
    assert failed == 0 and list(grid["size"]) == [8, 24] and s["rms_1t1r"].shape == (2, 2)
    direct = rc.ir_drop({"size": 24.0, "r_wire": 1.0, "r_driver": 1000.0, "sparse": 0.0,
                         "mc_seed": sample_seed(20250611, 1)})
    assert s["rms_linear"][1, 1] == pytest.approx(direct["rms"], rel=1e-8)
    assert s["worst_linear"][1, 1] == pytest.approx(direct["worst"], rel=1e-8)
    np.testing.assert_allclose(s["rms_1t1r"], s["rms_linear"], rtol=1e-2)
    assert np.all(s["rms_1t1r_no_wire"] < 0.05 * s["rms_1t1r"]) and np.all(s["iterations"] >= 2)
    report = ra.analyse_ir_drop_1t1r(out, tmp_path)
    assert Path(report["plot"]).is_file() and report["sizes"] == [8, 24]


def test_with_value_edits_one_line():
    from circuitlab.characterisation.rram_analysis import SPEC_DIR, with_value
    from circuitlab.errors import CircuitlabError
    text = (SPEC_DIR / "rram_relaxation.toml").read_text()
    with pytest.raises(CircuitlabError, match="2 lines 't_read = ...', expected one"):
        with_value(text, "t_read", [1.0])
    assert "t_read = [1.0]\n" in with_value(text, "t_read", [1.0], "sweep")
    assert "t_read = 1.0        # s" in with_value(text, "t_read", [1.0], "sweep")


def test_crossbar_sensing_mode_is_checked():
    g, x = rc.draw_array(np.random.default_rng(0), 2, 2)
    with pytest.raises(InvalidValueError, match="sensing='charge'"):
        build_crossbar(CrossbarSpec(g, x), sensing="charge")
    assert solve_operating_point(CrossbarSpec(g, x)).shape == (2,)


@pytest.mark.ngspice
def test_rram_characterise_command_runs_all_seven_campaigns(tmp_path, capsys, monkeypatch):
    """`circuitlab rram characterise --quick` end to end on reduced copies of the seven specs: every campaign
    file, plot, the summary and the printed report."""
    import functools
    import json

    from circuitlab.characterisation import rram_analysis as ra
    from circuitlab.cli.main import main
    specs = tmp_path / "specs"
    specs.mkdir()
    edits = {"relaxation": [("stack_size", 20, ""), ("g_target", [2e-6, 2e-5, 4e-5], "sweep"),
                            ("t_read", [1.0, 86400.0], "sweep")],
             "ir_drop": [("size", [8, 16], "sweep"), ("r_wire", [0.5, 1.0], "sweep")],
             "ir_drop_1t1r": [], "settling": [("size", [8, 16], "sweep")], "adc": [("size", 32.0, "parameters")],
             "energy": [("size", 8.0, "parameters")],
             "energy_seed": [("size", 4.0, "parameters"), ("bits", 2.0, "parameters")]}
    for name, changes in edits.items():
        text = (ra.SPEC_DIR / f"rram_{name}.toml").read_text()
        for key, value, table in changes:
            text = ra.with_value(text, key, value, table)
        (specs / f"rram_{name}.toml").write_text(text)
    monkeypatch.setattr(ra, "characterise", functools.partial(ra.characterise, spec_dir=specs,
                                                              relaxation_samples=20))
    out = tmp_path / "out"
    assert main(["rram", "characterise", "--out-dir", str(out), "--quick", "0.01", "--workers", "2"]) == 0
    printed = capsys.readouterr().out
    assert "IR drop, 1T1R vs linear cells of the same read G, sizes [16, 64]" in printed
    for name in edits:
        assert (out / f"rram_{name}.h5").is_file() and (out / f"rram_{name}.png").is_file(), name
    report = json.loads((out / "rram_report.json").read_text())
    cells = report["ir_drop_1t1r"]
    assert cells["sizes"] == [16, 64] and cells["max_iterations"] <= 5
    np.testing.assert_allclose(cells["rms_1t1r"], cells["rms_linear"], rtol=1e-2)
    assert (out / "rram_summary.h5").is_file() and report["settling"]["sizes"] == [8, 16]
