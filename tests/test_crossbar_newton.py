"""The nonlinear (1T1R) crossbar Newton solver against ngspice, the linear solver and closed forms (issue #6)."""
from dataclasses import replace

import numpy as np
import pytest
from scipy.optimize import brentq

from circuitlab import simulate
from circuitlab.circuits.crossbar import CrossbarSpec, build_crossbar, ideal_sl_voltages, sense_nodes
from circuitlab.circuits.crossbar_newton import (CellCurrents, LinearCell, NewtonConvergenceError, RramCimCell,
                                                 cim_cell_subcircuit, ir_drop_1t1r, programmed_for_read,
                                                 solve_crossbar_newton)
from circuitlab.circuits.crossbar_solver import solve_operating_point
from circuitlab.errors import ConvergenceError, InvalidValueError

K = 100e-6 * 2.857           # A/V^2, kp W/L of the rram_cim card
V_WL, V_T = 3.3, 0.6


def random_array(m, n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(1e-6, 40e-6, (m, n)), rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], m)


def series_current(g, v_bl, v_sl):
    """Closed form (independent of the solver) of an RRAM conductance g in series with the linear-region
    square-law NMOS, source side towards the SL-referenced overdrive Vov = V_wl - V_sl - V_t.
    V = V_bl - V_sl > 0: g (V - u) = k (Vov - u/2) u; V < 0: g (|V| - u) = k (Vov + u/2) u (u: |V_ds|)."""
    v, vov = v_bl - v_sl, V_WL - v_sl - V_T
    if v >= 0:
        b = K * vov + g
        return g * (v - (b - np.sqrt(b * b - 2 * K * g * v)) / K)
    b = K * vov + g
    return -g * (-v - (-b + np.sqrt(b * b + 2 * K * g * -v)) / K)


@pytest.mark.ngspice
@pytest.mark.parametrize("n, kw", [(8, {}), (8, {"r_driver": 1e3, "r_bl": 1.0, "r_sl": 1.0}),
                                   (16, {"r_driver": 1e3, "r_bl": 1.0, "r_sl": 1.0}),
                                   (16, {"r_bl": 5.0, "r_sl": 2.0}), (16, {"r_sl": 3.0, "r_driver": 100.0})])
def test_1t1r_array_matches_ngspice(n, kw):
    g, x = random_array(n, n, seed=n + len(kw))
    spec = CrossbarSpec(g, x, cell=cim_cell_subcircuit(), **kw)
    res = simulate(build_crossbar(spec))
    v_ng = np.array([res[f"v({node})"][0] for node in sense_nodes(spec)])
    op = solve_crossbar_newton(spec)
    # the same equations; ngspice stops on reltol 1e-6 / vntol 1e-9 (netlist options) after quadratic
    # convergence, so 1e-9 V (its vntol) bounds the difference: measured 1e-14 to 7e-12 V
    np.testing.assert_allclose(op.v_sense, v_ng, rtol=0, atol=1e-9)
    assert op.residual < 1e-15 and op.iterations <= 4
    # not trivially the linear answer: the access transistor moves the SLs by far more than the tolerance
    lin = solve_crossbar_newton(spec, LinearCell(g))
    assert np.max(np.abs(lin.v_sense - v_ng)) > 1e-4


@pytest.mark.ngspice
def test_strongly_nonlinear_cells_match_ngspice():
    # word line at 1.55 V: overdrive about 0.05 V at the SL, so with V_read 0.3 V the access transistors
    # leave the linear region and some cut off; Newton needs several damped iterations
    rng = np.random.default_rng(11)
    g, x = rng.uniform(1e-6, 40e-6, (12, 12)), rng.uniform(-1.0, 1.0, 12)
    spec = CrossbarSpec(g, x, v_read=0.3, r_driver=1e3, r_bl=1.0, r_sl=1.0, cell=cim_cell_subcircuit(v_wl=1.55))
    res = simulate(build_crossbar(spec))
    op = solve_crossbar_newton(spec, RramCimCell(g, v_wl=1.55))
    np.testing.assert_allclose(op.v_sense, [res[f"v({node})"][0] for node in sense_nodes(spec)], rtol=0, atol=1e-9)
    assert op.iterations > 4


@pytest.mark.parametrize("kw, rtol", [({}, 1e-12), ({"r_driver": 1e3}, 1e-12),
                                      ({"r_driver": 1e3, "r_bl": 1.0, "r_sl": 1.0}, 3e-11),
                                      ({"r_bl": 2.0, "r_sl": 3.0}, 3e-11), ({"r_sl": 3.0}, 3e-11)])
def test_linear_cells_reduce_to_the_linear_solver(kw, rtol):
    g, x = random_array(24, 16, seed=5)
    spec = CrossbarSpec(g, x, **kw)
    op = solve_crossbar_newton(spec, LinearCell(g))
    # lumped lines: both solves are exact to rounding (1e-12). With 1 ohm segments against 1 uS cells the
    # Jacobian's condition number is about 3e5, so rounding alone allows cond * eps = 3e-11 (measured: both
    # solvers sit about 4e-12 from a long-double-refined solution)
    np.testing.assert_allclose(op.v_sense, solve_operating_point(spec), rtol=rtol, atol=0)
    assert op.iterations == 2  # one solve from V_ref, one that confirms the update is below vntol


def test_cell_law_matches_series_closed_form():
    gs = np.array([1e-6, 5e-6, 20e-6, 40e-6])
    law = RramCimCell(np.repeat(gs[:, None], 5, 1), card={"g_leak": 0.0})
    v_sl = np.array([0.8, 0.85, 0.9, 0.95, 1.0])
    dv = np.array([0.1, -0.1, 0.05, -0.2, 0.0])
    b, s = np.tile(v_sl + dv, (4, 1)), np.tile(v_sl, (4, 1))
    cc = law(b, s)
    ref = np.vectorize(series_current)(gs[:, None], b, s)
    np.testing.assert_allclose(cc.i_bl, ref, rtol=1e-12, atol=1e-22)
    np.testing.assert_allclose(cc.i_sl, cc.i_bl, rtol=1e-12, atol=1e-22)  # no gate leak: a two-terminal cell
    # partials against central differences of the closed form (step 1e-5 V: truncation below 1e-8 relative)
    h = 1e-5
    d_b = (np.vectorize(series_current)(gs[:, None], b + h, s) - np.vectorize(series_current)(gs[:, None], b - h, s))
    d_s = (np.vectorize(series_current)(gs[:, None], b, s + h) - np.vectorize(series_current)(gs[:, None], b, s - h))
    np.testing.assert_allclose(cc.dbl_dvb, d_b / (2 * h), rtol=1e-7)
    np.testing.assert_allclose(cc.dbl_dvs, d_s / (2 * h), rtol=1e-7)
    # drift and read-noise inputs act on the RRAM element: G_cell = (g + dG)(1 + 0.01 z)
    drifted = RramCimCell(np.repeat(gs[:, None], 5, 1), card={"g_leak": 0.0}, dg=2e-6, z=1.5)(b, s)
    ref = np.vectorize(series_current)((gs[:, None] + 2e-6) * 1.015, b, s)
    np.testing.assert_allclose(drifted.i_bl, ref, rtol=1e-12, atol=1e-22)
    # at zero bias (V_sl = 1.0 V: Vov = 1.7 V) the cell is g in series with the on-resistance 1/(k Vov)
    np.testing.assert_allclose(cc.dbl_dvb[:, 4], gs * K * 1.7 / (gs + K * 1.7), rtol=1e-9)


def test_two_cell_column_floats_to_the_closed_form_balance():
    g = np.array([[30e-6], [5e-6]])
    spec = CrossbarSpec(g, np.array([1.0, -1.0]))
    op = solve_crossbar_newton(spec, RramCimCell(g, card={"g_leak": 0.0}))
    # floating SL at DC: the two cell currents cancel (the linear answer would be 0.9 + 0.1 * 25/35)
    v = brentq(lambda s: series_current(30e-6, 1.0, s) + series_current(5e-6, 0.8, s), 0.8, 1.0, xtol=1e-16)
    assert op.v_sense[0] == pytest.approx(v, abs=1e-12)
    assert abs(v - ideal_sl_voltages(g, spec.inputs)[0]) > 1e-4


def test_read_conductance_matched_array_and_ir_drop_summary():
    g, x = random_array(16, 16, seed=7)
    g_prog = programmed_for_read(g)
    np.testing.assert_allclose(RramCimCell(g_prog).small_signal(0.9), g, rtol=1e-12)
    assert np.all(g_prog > g)  # the RRAM element must be more conductive than the cell it makes
    out = ir_drop_1t1r(g, x, r_wire=1.0, r_driver=1e3, uncompensated=True)
    lin = solve_operating_point(CrossbarSpec(g, x, r_driver=1e3, r_bl=1.0, r_sl=1.0))
    e_lin = (lin - ideal_sl_voltages(g, x)) / 0.1
    # both solve the linear network; 1e-9 of V_read (0.1 nV) covers the conditioning-limited rounding
    assert out["rms_linear"] == pytest.approx(np.sqrt(np.mean(e_lin ** 2)), abs=1e-9)
    assert out["worst_linear"] == pytest.approx(np.max(np.abs(e_lin)), abs=1e-9)
    # with matched read conductances the transistor's nonlinearity alone is tiny (its V_ds is under 7 % of
    # the cell voltage: measured 7e-5 of V_read), so 1T1R and linear IR drop agree to about that; programming
    # the RRAM to G itself (transistor ignored) adds a systematic error 10x larger (measured 1.8e-3)
    assert 0 < out["rms_1t1r_no_wire"] < 2e-4
    assert out["rms_1t1r"] == pytest.approx(out["rms_linear"], abs=2 * out["rms_1t1r_no_wire"])
    assert out["rms_uncompensated"] > out["rms_linear"] + 10 * out["rms_1t1r_no_wire"]


def test_nonconvergence_and_bad_laws_raise_typed_errors():
    g, x = random_array(8, 8)
    spec = CrossbarSpec(g, x, r_driver=1e3, r_bl=1.0, r_sl=1.0)
    with pytest.raises(NewtonConvergenceError, match=r"did not converge in 1 iterations.*raise max_iter") as info:
        solve_crossbar_newton(spec, max_iter=1)
    assert isinstance(info.value, ConvergenceError) and info.value.iterations == 1
    assert 0 < info.value.residual < 1e-6 and info.value.node.startswith(("bl", "sl"))

    class Broken(LinearCell):
        def __call__(self, v_bl, v_sl):
            c = super().__call__(v_bl, v_sl)
            return CellCurrents(c.i_bl * np.nan, *c[1:])
    with pytest.raises(NewtonConvergenceError, match="non-finite value at bl0_0; the cell law returned NaN"):
        solve_crossbar_newton(spec, Broken(g))
    open_column = g.copy()
    open_column[:, 3] = 0.0
    with pytest.raises(NewtonConvergenceError, match="singular Jacobian.*leaves a node floating"):
        solve_crossbar_newton(replace(spec, r_sl=0.0), LinearCell(open_column))
    with pytest.raises(InvalidValueError, match="reltol=0 must be > 0"):
        solve_crossbar_newton(spec, reltol=0)
