"""RRAM energy per MAC under the seed's conditions: each condition's ngspice energy against its closed form."""
import numpy as np
import pytest

from circuitlab.circuits import rram_energy_seed as es
from circuitlab.circuits.rram_campaigns import C_BL, C_SL, G_MAX, G_MIN, V_READ
from circuitlab.errors import ConfigError

T_V, T_C, STEP = 2.32e-9, 10e-9, 10e-12


def values(stage, size=6, bits=3, seed=11):
    return {"stage": float(stage), "size": float(size), "bits": float(bits), "t_voltage": T_V, "t_current": T_C,
            "step": STEP, "mc_seed": seed, "mc_timeout": 120.0}


def inputs(stage, size=6, bits=3, seed=11):
    """The weights and integer inputs the evaluator draws (same generator, same order)."""
    return es._draw(values(stage, size, bits, seed), stage)


def test_weight_conductances_and_bit_planes_closed_form():
    w = np.array([[1.0, -0.5], [0.0, -1.0]])
    dg = G_MAX - G_MIN
    np.testing.assert_allclose(es.weight_conductances(w, False), G_MIN + np.abs(w) * dg)
    pair = es.weight_conductances(w, True)
    np.testing.assert_allclose(pair[0], [G_MAX, G_MIN])                  # G+ of row 0
    np.testing.assert_allclose(pair[1], [G_MIN, G_MIN + 0.5 * dg])       # G- of row 0
    np.testing.assert_allclose(pair[0::2] - pair[1::2], w * dg)          # the pair realises w
    k = np.array([0, 5, 7, 2])
    planes = es.bit_planes(k, 3)
    np.testing.assert_array_equal(planes.T @ [1, 2, 4], k)               # pulse-count weighting 2^b
    assert set(np.unique(es.draw_weights(np.random.default_rng(0), 20, 20, "levels") * 7)) <= set(range(-7, 8))


@pytest.mark.ngspice
@pytest.mark.parametrize("mode", ["current", "voltage"])
@pytest.mark.parametrize("lines", [False, True])
def test_pulse_energy_is_v2_g_t_plus_c_dv2_per_line(mode, lines):
    """One full-swing pulse through ngspice against sum G (V_BL - V_SL)^2 t + C dV^2 per line (BLs; floating
    SLs in voltage mode). 1e-2: the trapezoid over the 10 ps edge and the lines' RC (tens of ps) against
    2.32-10 ns."""
    rng = np.random.default_rng(3)
    g = es.weight_conductances(es.draw_weights(rng, 5, 6, "levels"), True)
    x = np.repeat(rng.integers(0, 2, 5).astype(float), 2) * np.tile([1.0, -1.0], 5)
    t = T_C if mode == "current" else T_V
    got = es.pulse_energy(g, x, mode, t, STEP, lines)
    assert got == pytest.approx(es.closed_form_pulse(g, x, mode, t, lines), rel=1e-2)
    if lines:  # current mode (SLs clamped): ngspice's ideal ramp charges each BL with C dV^2 / 2, the other
        # half is the closed-form switch loss pulse_energy adds
        bare = es.pulse_energy(g, x, mode, t, STEP, False)
        half = 0.5 * C_BL * g.shape[1] * np.sum((V_READ * x) ** 2)
        if mode == "current":  # 5e-2: a difference of two ngspice totals (4.4e-14 J) ~1e3x the C dV^2 term;
            # measured 3.1 % above half at a 10 ps step, 2.5 % at 2.5 ps (the rest: the lines' RC during the edges)
            assert got - bare - half == pytest.approx(half, rel=5e-2)


@pytest.mark.ngspice
def test_pulse_count_inputs_sum_v2_g_t_over_pulses():
    """Current mode, stage 3 (single cells) and 4 (differential pairs): an input k is k full-swing pulses, so
    E = t V_read^2 sum_i k_i sum_j G_ij over the cells its rows drive (both cells of a pair)."""
    for stage in (3, 4):
        w, k, bits = inputs(stage)
        g = es.weight_conductances(w, stage == 4)
        rows = np.repeat(k, 2) if stage == 4 else k
        closed = T_C * V_READ ** 2 * np.sum(rows[:, None] * g)
        got = es.energy_seed(values(stage))
        assert got["e_current"] == pytest.approx(closed, rel=1e-2)
        assert got["macs"] == 36.0


@pytest.mark.ngspice
def test_voltage_mode_and_line_charging_stages_against_closed_forms():
    """Stages 5 and 6 in voltage mode: sum over bit planes of 2^b times the closed-form pulse energy."""
    w, k, bits = inputs(5)
    g = es.weight_conductances(w, True)
    planes = es.bit_planes(k, bits)
    for stage, lines in ((5, False), (6, True)):
        closed = sum(2 ** b * es.closed_form_pulse(g, np.repeat(p, 2) * np.tile([1.0, -1.0], 6), "voltage", T_V,
                                                   lines) for b, p in enumerate(planes))
        assert es.energy_seed(values(stage))["e_voltage"] == pytest.approx(closed, rel=1e-2)


def test_energy_seed_errors():
    with pytest.raises(ConfigError, match=r"stage=9 must be 0\.\.6"):
        es.energy_seed(values(9))
    with pytest.raises(ConfigError, match="bits=0 in 1..8"):
        es.energy_seed(values(3, bits=0))
    bad = values(3)
    del bad["t_current"]
    with pytest.raises(ConfigError, match="value 't_current' is missing"):
        es.energy_seed(bad)


def test_seed_spec_is_an_evaluator_campaign_over_the_stages():
    from circuitlab.characterisation.rram_analysis import SPEC_DIR
    from circuitlab.montecarlo import load_spec
    spec = load_spec(SPEC_DIR / "rram_energy_seed.toml")
    assert spec.evaluator == "circuitlab.circuits.rram_energy_seed:energy_seed"
    assert dict(spec.sweep)["stage"] == tuple(float(k) for k in range(len(es.STAGES)))
    assert C_SL > C_BL > 0
