"""RRAM campaigns against closed forms and independent references (seed: neurram_cim_slides.txt)."""
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


def test_relaxation_interpolates_monotonically_in_log_time():
    s = [rr.relaxation_sigma(12e-6, t) for t in (1.0, 60.0, 3600.0, rr.T_DAY, 1e7)]
    assert all(a < b for a, b in zip(s[:3], s[1:4])) and s[4] == s[3]  # clamped beyond 1 day
    with pytest.raises(ValueError, match="must be > 0"):
        rr.relaxation_sigma(1e-6, 0.0)


def test_cell_inverse_roundtrip():
    np.testing.assert_allclose(rr.cell_conductance(rr.element_for_cell(G)), G, rtol=1e-12)


def test_ir_drop_solver_matches_ngspice_and_is_quadratic_in_size():
    spec = dict(name="t", kind="ir_drop", seed=1, samples=4, sizes=[8, 16, 32], r_wire=[1.0], r_driver=0.0,
                g_distribution="uniform", ngspice_max_size=16)
    d = rc.run_ir_drop(spec)
    # the same linear network solved twice: ngspice's reltol (1e-6 of 1 V) bounds the difference
    assert np.max(d["ngspice_diff"]) < 2e-6
    # IR drop of an N x N array with per-segment R grows about as N^2 (current N G V over N segments)
    ratio = d["rms"][2, 0].mean() / d["rms"][1, 0].mean()
    assert 3.0 < ratio < 6.5  # 4 for pure N^2; sample-to-sample spread of 4 random arrays


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


def test_sweep_specs_parse_and_are_strict(tmp_path):
    from circuitlab.characterisation.rram_analysis import SPEC_DIR
    for kind in ("ir_drop", "settling", "adc", "energy"):
        assert rc.load_sweep(SPEC_DIR / f"rram_{kind}.toml")["kind"] == kind
    bad = tmp_path / "x.toml"
    bad.write_text((SPEC_DIR / "rram_adc.toml").read_text() + "\nextra = 1\n")
    with pytest.raises(ConfigError, match=r"unknown keys \['extra'\]"):
        rc.load_sweep(bad)
    bad.write_text((SPEC_DIR / "rram_adc.toml").read_text().replace('"sparse"', '"gaussian"'))
    with pytest.raises(ConfigError, match="g_distribution='gaussian'"):
        rc.load_sweep(bad)


def test_crossbar_sensing_mode_is_checked():
    g, x = rc.draw_array(np.random.default_rng(0), 2, 2)
    with pytest.raises(InvalidValueError, match="sensing='charge'"):
        build_crossbar(CrossbarSpec(g, x), sensing="charge")
    assert solve_operating_point(CrossbarSpec(g, x)).shape == (2,)
