"""The rram_cim read-regime 1T1R cell: closed forms, ngspice DC, parameter errors.

The registry-parametrised equivalence tests (tests/test_devices_equivalence.py) already check
verilogae, numpy, torch and ngspice against each other; these check the equations themselves.
"""
import numpy as np
import pytest

from circuitlab import devices, simulate
from circuitlab.devices.errors import DeviceParameterError
from circuitlab.devices.ngspice import subcircuit
from circuitlab.devices.numeric import Evaluator
from circuitlab.netlist import Circuit, Instance, Op, VoltageSource


def series_current(g, v, v_ov, k):
    """Closed form of an RRAM conductance g in series with a linear-region square-law NMOS (V > 0):
    g (V - Vds) = k (Vov - Vds/2) Vds  ->  k/2 Vds^2 - (k Vov + g) Vds + g V = 0 (smaller root)."""
    b = k * v_ov + g
    vds = (b - np.sqrt(b * b - 2 * k * g * v)) / k
    return g * (v - vds)


@pytest.fixture(scope="module")
def model():
    return devices.get("rram_cim")


def test_conductance_drift_and_read_noise(model):
    ev = Evaluator(model)
    out = ev({"g": 20e-6}, V_rr=0.1, V_ds=0.0, V_gs=2.4, dg=np.array([0.0, 2e-6, -30e-6]),
             z=np.array([0.0, 1.0, 0.0]))
    # 20 uS + 2 uS with a +1 sigma read (1 %): 22.22 uS; a drift below the floor stops at g_off
    np.testing.assert_allclose(out["Gcell"], [20e-6, 22e-6 * 1.01, 0.1e-6], rtol=1e-12)
    np.testing.assert_allclose(out["Irram"], out["Gcell"] * 0.1, rtol=1e-12)


def test_transistor_is_linear_region_square_law_and_symmetric(model):
    ev = Evaluator(model)
    k = 100e-6 * 2.857
    vds = np.linspace(-0.2, 0.2, 9)
    out = ev({"g_leak": 0.0}, V_rr=0.0, V_ds=vds, V_gs=2.4 + np.minimum(vds, 0), dg=0.0, z=0.0)
    # V_gs measured from the lower terminal when V_ds < 0: the law is odd in V_ds
    vov = 2.4 - 0.6
    np.testing.assert_allclose(out["Ids"], k * (vov - np.abs(vds) / 2) * vds, rtol=1e-12, atol=1e-18)
    assert out["Ron"][4] == pytest.approx(1 / (k * vov), rel=1e-12)
    off = ev({}, V_rr=0.0, V_ds=0.1, V_gs=0.0, dg=0.0, z=0.0)
    assert float(off["Ids"]) == pytest.approx(1e-13, rel=1e-9)  # only the 1 pS leak when the WL is low


@pytest.mark.ngspice
def test_ngspice_cell_current_matches_series_closed_form(model):
    """A DC sweep of cells (bl at 0.9 + V, sl at 0.9 V, wl at 3.3 V) against the closed form; the two
    solve the same algebraic equations, so the 1e-6 tolerance is ngspice's reltol."""
    sub = subcircuit(model)
    gs = np.array([1e-6, 5e-6, 20e-6, 40e-6])
    vs = np.array([0.02, 0.1, 0.2])
    el = [VoltageSource("sl", "sl", "0", dc=0.9), VoltageSource("wl", "wl", "0", dc=3.3),
          VoltageSource("zero", "in0", "0", dc=0.0)]
    for a, g in enumerate(gs):
        for b, v in enumerate(vs):
            el.append(VoltageSource(f"b{a}_{b}", f"bl{a}_{b}", "0", dc=0.9 + v))
            el.append(Instance(f"c{a}_{b}", sub.name, (f"bl{a}_{b}", "sl", "wl", "in0", "in0"), {"g": float(g)}))
    res = simulate(Circuit("rram_cim cells", tuple(el), subcircuits=(sub,), analyses=(Op(),),
                           options={"reltol": 1e-9, "abstol": 1e-18, "vntol": 1e-12}))
    k = 100e-6 * 2.857
    for a, g in enumerate(gs):
        for b, v in enumerate(vs):
            i = -res[f"i(vb{a}_{b})"][0]
            assert i == pytest.approx(series_current(g, v, 3.3 - 0.9 - 0.6, k), rel=1e-6)
            # the transistor lowers the cell conductance by at most 1/(1 + g Ron): under 8 % at 40 uS (g Ron = 0.078)
            assert 0.92 * g * v < i <= g * v


def test_parameter_errors(model):
    with pytest.raises(DeviceParameterError, match=r"g=0.0 S is out of range; it must be > 0.0"):
        model.card(g=0.0)
    with pytest.raises(DeviceParameterError, match="read_noise_rel=-0.1"):
        model.card(read_noise_rel=-0.1)
