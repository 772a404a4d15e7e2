"""SOT DW-MTJ: the 1-D SOT + DMI wall model against its closed forms (steady velocity, low-current
slope, saturation, relaxation of the wall angle) and against an independent integration of the
(q, phi) equations; read current on the wall, threshold, reset, resistance window over the track."""
from __future__ import annotations

import math

import numpy as np
import pytest

from circuitlab import devices
from circuitlab.devices import testbench as tb
from circuitlab.devices.dw_1d import Wall1D, effective_current, simulate_1d
from circuitlab.devices.numeric import Evaluator

M = devices.get("dwmtj")
C = M.card()
# the closed forms, written out here from the constants (Thiaville 2012, Martinez 2014)
G0, MU0, HBAR, QE = 2.211e5, 4e-7 * math.pi, 1.054571817e-34, 1.602176634e-19
H_D = C["D_dmi"] / (MU0 * C["Ms"] * C["Delta"])
V_D = math.pi / 2 * G0 * C["Delta"] * H_D
SL_PER_A = HBAR * C["theta_SH"] / (2 * QE * MU0 * C["Ms"] * C["t_FL"] * C["A_HM"])   # (A/m) per A
I_D = C["alpha"] * H_D / SL_PER_A


def _steady(i_eff):
    return V_D / np.sqrt(1 + (I_D / i_eff) ** 2)


def test_reference_constants_give_a_saturation_in_the_mac_current_range():
    assert 200 < V_D < 300 and 50e-6 < I_D < 100e-6          # m/s, A (module doc: 251 m/s, 70 uA)
    wall = Wall1D()
    assert wall.v_d == pytest.approx(V_D, rel=1e-9) and wall.i_d == pytest.approx(I_D, rel=1e-9)


@pytest.mark.parametrize("i_eff", [5e-6, 40e-6, 70e-6, 300e-6, 5e-3])
def test_steady_state_velocity_is_the_closed_form(i_eff):
    """At the steady angle tan phi* = H_SL / (alpha H_D) the angle rate vanishes and the velocity is
    v_D / sqrt(1 + (I_D / I)^2) (I net of I_th)."""
    i = i_eff + C["I_th"]
    u_star = SL_PER_A * i_eff / (C["alpha"] * H_D)
    out = Evaluator(M)(None, V_w=np.array([i * C["R_track"]]), V_r=0.0, q=60e-9, u=u_star)
    assert abs(float(out["dudt"][0])) < 1e-9 * (1 + u_star ** 2) * G0 * H_D
    assert float(out["vdw"][0]) == pytest.approx(_steady(i_eff), rel=1e-9)


def test_low_current_slope_and_saturation():
    """Low current: v = (pi/2) gamma0 Delta H_SL / alpha (Thiaville 2012); high current: v -> v_D."""
    wall = Wall1D()
    i = 0.01 * I_D
    assert wall.steady_velocity(i) == pytest.approx(math.pi / 2 * G0 * C["Delta"] * SL_PER_A * i / C["alpha"], rel=1e-4)
    assert wall.steady_velocity(1e3 * I_D) == pytest.approx(V_D, rel=1e-6)
    # saturating: the per-current velocity falls (no upward bend as with the old c2 > 0 polynomial)
    v = wall.steady_velocity(np.linspace(1e-6, 150e-6, 50))
    assert np.all(np.diff(v / np.linspace(1e-6, 150e-6, 50)) < 0)


def test_angle_relaxes_with_the_closed_form_time_constant():
    """tan((phi* - phi)/2) = tan(phi*/2) exp(-t/tau), tau = (1+alpha^2) / ((pi/2) gamma0 sqrt(H_SL^2 +
    (alpha H_D)^2)): the scipy integration of the (q, phi) equations follows it to 1e-5 rad."""
    wall = Wall1D()
    i_eff = 60e-6
    tau = (1 + C["alpha"] ** 2) / (math.pi / 2 * G0 * math.hypot(SL_PER_A * i_eff, C["alpha"] * H_D))
    assert float(wall.relaxation_time(i_eff)) == pytest.approx(tau, rel=1e-9)
    t = np.linspace(0, 5 * tau, 201)
    _, phi = simulate_1d(wall, t, lambda _t: i_eff)
    star = math.atan(SL_PER_A * i_eff / (C["alpha"] * H_D))
    expect = star - 2 * np.arctan(math.tan(star / 2) * np.exp(-t / tau))
    np.testing.assert_allclose(phi, expect, atol=1e-5)


@pytest.mark.ngspice
def test_ngspice_wall_reaches_the_steady_velocity_and_angle():
    """A 1.5 ns current step in ngspice: late slope of q = the closed-form velocity (1 %), final tan phi =
    H_SL / (alpha H_D) (1 %)."""
    volts = 0.08
    pulses = {"t1": (0.0, volts, 100e-12, 1e-12, 1e-12, 1.5e-9, 10e-9)}
    t, out = tb.transient_ngspice(M, card={"q_init": 5e-9}, pulses=pulses, stop=1.5e-9)
    i_eff = volts / C["R_track"] - C["I_th"]
    late = (t > 1.0e-9) & (t < 1.5e-9)
    slope = np.polyfit(t[late], out["q"][late], 1)[0]
    assert slope == pytest.approx(_steady(i_eff), rel=0.01)
    assert out["u"][-1] == pytest.approx(SL_PER_A * i_eff / (C["alpha"] * H_D), rel=0.01)


def _trapezoid(amp, t0=20e-12, edge=10e-12, width=60e-12):
    def f(t):
        return amp * float(np.clip(min((t - t0) / edge, (t0 + 2 * edge + width - t) / edge), 0.0, 1.0))
    return f


@pytest.mark.ngspice
@pytest.mark.parametrize("volts", [0.1, 0.2, 0.4])
def test_pulse_displacement_matches_an_independent_1d_integration(volts):
    """One 60 ps write pulse (10 ps edges, the cell's events) in ngspice vs scipy's LSODA of the
    (q, phi) equations in :mod:`circuitlab.devices.dw_1d` (phi itself, not tan phi; separate code):
    2 % (ngspice's time step on a pulse of a few relaxation times)."""
    pulses = {"t1": (0.0, volts, 20e-12, 10e-12, 10e-12, 60e-12, 10e-9)}
    t, out = tb.transient_ngspice(M, card={"q_init": 10e-9}, pulses=pulses, stop=1.0e-9)
    grid = np.linspace(0, 1.0e-9, 2001)
    q, _ = simulate_1d(Wall1D(), grid, _trapezoid(volts / C["R_track"]), i_th=C["I_th"], q0=10e-9)
    assert q[-1] - 10e-9 > 2e-9
    assert out["q"][-1] - 10e-9 == pytest.approx(q[-1] - 10e-9, rel=0.02)


def test_inertia_matters_for_the_cells_pulses_and_vanishes_for_long_ones():
    """Why the wall angle is a state: for the 60 ps events (tau about 0.06-0.1 ns) the massless law
    (steady velocity of the instantaneous current) is off by > 20 % at 100 uA; for 3 ns pulses the
    displacement per pulse is the steady velocity x the pulse's full width at half maximum (3 %)."""
    wall = Wall1D()
    grid = np.linspace(0, 1.2e-9, 3001)
    f = _trapezoid(100e-6)
    q, _ = simulate_1d(wall, grid, f, i_th=C["I_th"])
    massless = np.trapezoid(wall.steady_velocity(effective_current([f(x) for x in grid], C["I_th"])), grid)
    assert abs(q[-1] / massless - 1) > 0.2
    long = np.linspace(0, 4.5e-9, 4001)
    q, _ = simulate_1d(wall, long, _trapezoid(30e-6, width=3e-9), i_th=C["I_th"])
    assert q[-1] == pytest.approx(_steady(30e-6 - C["I_th"]) * 3.01e-9, rel=0.03)


def test_read_current_drives_the_wall_only_above_the_threshold():
    """The read current leaves through the track: with no write voltage, a read current of 2 I_th turns
    the wall (du/dt > 0, the same sign as a write current towards t2), 0.9 I_th leaves it at rest."""
    ev = Evaluator(M)
    r_read = C["R_P"]                                      # q = 0: parallel state, low bias
    out = ev(None, V_w=0.0, V_r=np.array([2.0, 0.9]) * C["I_th"] * r_read, q=0.0, u=0.0)
    assert out["dudt"][0] > 0
    assert out["dudt"][1] == 0.0 and out["dqdt"][1] == 0.0


def test_below_threshold_the_wall_does_not_move():
    out = Evaluator(M)(None, V_w=np.array([0.0, 0.01, -0.01]), V_r=0.0, q=50e-9, u=0.0)
    np.testing.assert_array_equal(out["dqdt"], 0.0)
    np.testing.assert_array_equal(out["dudt"], 0.0)


def test_negative_current_resets_wall():
    """A 2 ns, -0.4 V reset from q = 80 nm ends at the left stop. Tolerance 3.5 nm: the smooth end stop
    (q_width 0.1 nm) lets the saturated wall (about v_D) creep past q = 0 logarithmically in drive x
    time, 3.2 nm here; the read is unaffected (the conductance is clipped at q = 0)."""
    from dataclasses import replace
    reset = replace(M, test_pulses={"t1": (0.0, -0.4, 0.0, 5e-12, 5e-12, 2e-9, 1.0)}, test_card={"q_init": 80e-9})
    q = tb.transient_scipy(reset, np.linspace(0, 3e-9, 301))["q"]
    assert q[0] == pytest.approx(80e-9)
    assert abs(q[-1]) < 3.5e-9


def test_resistance_window_spans_the_whole_track():
    """Seed: R_P at q = 0, R_AP at q = l_FL; linear conductance in between (G at L/2 = mean)."""
    ev = Evaluator(M)
    out = ev(None, V_w=0.0, V_r=1e-6, q=np.array([0.0, C["L"] / 2, C["L"]]), u=0.0)
    r_p, r_mid, r_ap = out["Rread"]
    assert r_p == pytest.approx(10e3, rel=1e-9)
    assert r_ap / r_p == pytest.approx(1 + C["TMR0"], rel=1e-9)
    assert 1 / r_mid == pytest.approx(0.5 * (1 / r_p + 1 / r_ap), rel=1e-9)
    half = ev(None, V_w=0.0, V_r=0.5, q=120e-9, u=0.0)["TMR_V"]       # TMR halves at V = Vh
    assert float(half) == pytest.approx(1.0, rel=1e-12)
