"""SOT DW-MTJ seed checks: displacement per pulse follows the velocity polynomial, negative reset,
resistance window."""
from __future__ import annotations

import numpy as np
import pytest

from circuitlab import devices
from circuitlab.devices import testbench as tb
from circuitlab.devices.numeric import Evaluator


def _poly_step(card, volts, width, edge):
    """Displacement of one pulse from the polynomial itself, integrated over the trapezoid (m)."""
    t = np.linspace(0, width + 2 * edge, 20001)
    v = tb.pulse_value(t, 0.0, volts, 0.0, edge, edge, width, 1.0)
    i = np.abs(v / card["R_track"]) - card["I_th"]
    vel = np.maximum(0.0, card["c1"] * i + card["c2"] * i ** 2)
    return float(np.sum((vel[1:] + vel[:-1]) / 2 * np.diff(t)))


@pytest.mark.ngspice
@pytest.mark.parametrize("volts", [0.1, 0.2, 0.3])
def test_displacement_per_pulse_follows_polynomial(volts):
    m = devices.get("dwmtj")
    card = m.card(q_init=10e-9)
    width, edge, period = 100e-12, 2e-12, 400e-12
    pulses = {"t1": (0.0, volts, 100e-12, edge, edge, width, period)}
    t, out = tb.transient_ngspice(m, card={"q_init": 10e-9}, pulses=pulses, stop=3 * period)
    q_after = [np.interp(100e-12 + k * period + 250e-12, t, out["q"]) for k in range(3)]
    steps = np.diff([10e-9] + q_after)
    expected = _poly_step(card, volts, width, edge)
    # 0.5 %: ngspice's time-step error only (the pulses stay far from the end stops)
    np.testing.assert_allclose(steps, expected, rtol=5e-3)


def test_negative_current_resets_wall():
    m = devices.get("dwmtj")
    from dataclasses import replace
    reset = replace(m, test_pulses={"t1": (0.0, -0.4, 0.0, 5e-12, 5e-12, 2e-9, 1.0)}, test_card={"q_init": 80e-9})
    q = tb.transient_scipy(reset, np.linspace(0, 3e-9, 301))["q"]
    assert q[0] == pytest.approx(80e-9)
    assert abs(q[-1]) < 1e-9  # at the left end stop (within the smooth stop's overshoot)


def test_below_threshold_the_wall_does_not_move():
    ev = Evaluator(devices.get("dwmtj"))
    out = ev(None, V_w=np.array([0.0, 0.01, -0.01]), V_r=0.0, q=50e-9)
    np.testing.assert_array_equal(out["dqdt"], 0.0)


def test_resistance_window_and_low_bias_ratio():
    m = devices.get("dwmtj")
    ev = Evaluator(m)
    out = ev(None, V_w=0.0, V_r=np.array([1e-6, 1e-6]), q=np.array([0.0, 120e-9]))
    r_p, r_ap = out["Rread"]
    assert r_p == pytest.approx(10e3, rel=1e-9)
    assert r_ap / r_p == pytest.approx(1 + m.card()["TMR0"], rel=1e-9)
    # TMR falls with bias: at V = Vh it has halved
    half = ev(None, V_w=0.0, V_r=0.5, q=120e-9)["TMR_V"]
    assert float(half) == pytest.approx(1.0, rel=1e-12)
