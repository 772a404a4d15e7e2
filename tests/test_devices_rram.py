"""RRAM (Stanford-PKU) seed checks and parameter validation."""
from __future__ import annotations

import numpy as np
import pytest

from circuitlab import devices
from circuitlab.devices import testbench as tb
from circuitlab.devices.numeric import Evaluator
from circuitlab.errors import CircuitlabError, InvalidValueError

SET = {"te": (0.0, 1.8, 0.0, 1e-12, 1e-12, 100e-9, 1.0)}  # 1.8 V, 100 ns from t = 0


def _read(g):
    return float(Evaluator(devices.get("rram"))(None, V_tb=0.1, g=g)["Rread"])


def test_set_pulse_seed_check_numpy():
    m = devices.get("rram")
    t = np.linspace(0, 100e-9, 201)
    from dataclasses import replace
    g = tb.transient_scipy(replace(m, test_pulses=SET, test_card={}), t)["g"][-1]
    # seed: ends near g_min = 0.2 nm; the smooth end stop lets it overshoot by < 10 pm
    assert abs(g - 0.2e-9) < 10e-12
    assert _read(g) == pytest.approx(540.0, rel=0.05)


@pytest.mark.ngspice
def test_set_pulse_seed_check_ngspice():
    m = devices.get("rram")
    t, out = tb.transient_ngspice(m, card={"g_init": 1.7e-9}, pulses=SET, stop=100e-9)
    g = out["g"][-1]
    assert abs(g - 0.2e-9) < 10e-12
    assert _read(g) == pytest.approx(540.0, rel=0.05)


@pytest.mark.ngspice
def test_operating_point_and_dc_sweep_hold_the_initial_state():
    """A .dc sweep of the cell is its I-V at g_init, and a transient started from the operating point
    (no uic) starts there: I = I0 exp(-g/g0) sinh(V/V0) (Stanford-PKU card, I0 1 mA, g0 0.25 nm,
    V0 0.25 V). Before the rate was gated by v(dcgate) the 1e-15 S hold balanced the biased rate at DC
    (gap 2.71 nm instead of 1.7 nm at 0.1 V: 58x too little current)."""
    from circuitlab.devices.ngspice import subcircuit
    from circuitlab.netlist import DC, Circuit, Instance, Tran, VoltageSource
    from circuitlab.sim import simulate
    m = devices.get("rram")
    sub = subcircuit(m, {"g_init": 1.7e-9})
    conn = tuple("0" if p == m.branches[0].minus else "te" for p in sub.ports)
    closed = lambda v: 1e-3 * np.exp(-1.7e-9 / 0.25e-9) * np.sinh(np.asarray(v) / 0.25)  # noqa: E731
    dc = Circuit("rram dc", (VoltageSource("V_rd", "te", "0", dc=0.0), Instance("X0", sub.name, conn)),
                 subcircuits=(sub,), analyses=(DC("V_rd", -0.3, 0.3, 0.05),))
    r = simulate(dc)
    v = np.asarray(r["v(te)"], float)
    assert len(v) == 13
    np.testing.assert_allclose(-np.asarray(r["i(v_rd)"], float), closed(v), rtol=1e-6, atol=1e-15)
    tran = Circuit("rram read", (VoltageSource("V_rd", "te", "0", dc=0.1), Instance("X0", sub.name, conn)),
                   subcircuits=(sub,), options={"reltol": 1e-6, "abstol": 1e-15},
                   analyses=(Tran(0.1e-9, 2e-9),))
    i = -np.asarray(simulate(tran)["i(v_rd)"], float)
    assert i[0] == pytest.approx(float(closed(0.1)), rel=1e-6)
    assert i[-1] == pytest.approx(float(closed(0.1)), rel=1e-3)   # a 0.1 V read barely moves the gap in 2 ns


def test_read_resistance_at_g_min_matches_card():
    # I(0.1 V) = I0 exp(-0.8) sinh(0.4) = 1.846e-4 A -> 541.7 Ohm (Stanford-PKU card)
    assert _read(0.2e-9) == pytest.approx(0.1 / (1e-3 * np.exp(-0.8) * np.sinh(0.4)), rel=1e-12)


def test_bad_parameters_raise_typed_errors():
    m = devices.get("rram")
    with pytest.raises(InvalidValueError, match="t_ox=-1e-09 m is out of range"):
        m.card(t_ox=-1e-9)
    with pytest.raises(InvalidValueError, match="not finite"):
        m.card(I0=float("nan"))
    with pytest.raises(CircuitlabError, match="unknown parameter.*'tox'"):
        m.card(tox=5e-9)
    with pytest.raises(InvalidValueError, match="is not a number"):
        m.card(I0="big")
