"""VC-MTJ (MeRAM) checks: low-bias resistance ratio, VCMA anisotropy, thermal field injection."""
from __future__ import annotations

import numpy as np
import pytest

from circuitlab import devices
from circuitlab.devices.numeric import Evaluator
from circuitlab.errors import InvalidValueError

ZERO_H = {"h_thx": 0.0, "h_thy": 0.0, "h_thz": 0.0}


def test_low_bias_resistance_ratio_is_one_plus_tmr0():
    m = devices.get("vcmtj")
    out = Evaluator(m)(None, V_pn=1e-6, mx=0.0, my=0.0, mz=np.array([1.0, -1.0]), **ZERO_H)
    r_p, r_ap = out["Rmtj"]
    assert r_ap / r_p == pytest.approx(1 + m.card()["TMR0"], rel=1e-9)
    assert r_p == pytest.approx(6.5e-10 / (np.pi / 4 * 100e-9 ** 2), rel=1e-12)


def test_vcma_lowers_anisotropy_linearly():
    m = devices.get("vcmtj")
    card = m.card()
    v = np.array([0.0, 1.0, 2.4])
    hk = Evaluator(m)(None, V_pn=v, mx=0.0, my=0.0, mz=1.0, **ZERO_H)["Hk"]
    mu0 = 1.25663706212e-6
    expected = 2 * (card["Ki"] - card["xi"] * v / card["t_ox"]) / (mu0 * card["Ms"] * card["t_FL"])
    np.testing.assert_allclose(hk, expected, rtol=1e-12)
    # devices.md section 1 quotes Nz = 0.9758 for t_FL = 1.1 nm, d = 100 nm (thin-disk formula); the card's
    # t_FL = 1.4 nm gives 1 / (2 t_FL / (r sqrt(pi)) + 1) = 0.96937
    nz = Evaluator(m)({**card, "t_FL": 1.1e-9}, V_pn=0.0, mx=0.0, my=0.0, mz=1.0, **ZERO_H)["Nz"]
    assert float(nz) == pytest.approx(0.9758, abs=1e-4)
    nz = Evaluator(m)(None, V_pn=0.0, mx=0.0, my=0.0, mz=1.0, **ZERO_H)["Nz"]
    assert float(nz) == pytest.approx(1 / (2 * card["t_FL"] / (50e-9 * np.sqrt(np.pi)) + 1), rel=1e-12)


def test_default_initial_state_is_an_equilibrium():
    m = devices.get("vcmtj")
    c = m.card()
    out = Evaluator(m)(None, V_pn=0.0, mx=c["mx_init"], my=0.0, mz=c["mz_init"], **ZERO_H)
    for k in ("dmxdt", "dmydt", "dmzdt"):
        assert abs(float(out[k])) < 1e-6 * c["gamma0"] * c["Hx"]


@pytest.mark.ngspice
def test_thermal_field_is_injected_with_the_calibrated_rms():
    from circuitlab import simulate
    from circuitlab.devices.models.vcmtj import subcircuit
    from circuitlab.netlist import Circuit, Instance, Tran, VoltageSource
    m = devices.get("vcmtj")
    sigma = float(Evaluator(m)(None, V_pn=0.0, mx=0.0, my=0.0, mz=1.0, **ZERO_H)["sigma_th"])
    circuit = Circuit("vcmtj thermal", (VoltageSource("Vp", "p", "0", dc=0.0), Instance("X0", "vcmtj", ("p", "0"))),
                      subcircuits=(subcircuit(),), analyses=(Tran(1e-12, 2e-9, max_step=1e-12, uic=True),))
    r = simulate(circuit, timeout=60)
    n = 1999
    h = np.interp(np.arange(1, n + 1) * 1e-12, r.time, r["v(x0.in_h_thx)"]) * 1e3
    # sample std of n Gaussian draws: relative standard error 1/sqrt(2n); 4 sigma bound
    assert h.std() / sigma == pytest.approx(1.0, abs=4 / np.sqrt(2 * n))
    assert abs(h.mean()) < 4 * sigma / np.sqrt(n)
    norm = np.sqrt(sum(r[f"v(x0.s_m{k})"] ** 2 for k in "xyz"))
    assert np.max(np.abs(norm - 1)) < 1e-3  # the smooth restoring term keeps |m| = 1
    assert np.std(r["v(x0.s_mz)"]) > 0


def _thermal_run(seed: int):
    from circuitlab import simulate
    from circuitlab.devices.models.vcmtj import subcircuit
    from circuitlab.netlist import Circuit, Instance, Tran, VoltageSource
    circuit = Circuit("vcmtj seeded", (VoltageSource("Vp", "p", "0", dc=0.0), Instance("X0", "vcmtj", ("p", "0"))),
                      subcircuits=(subcircuit(),), analyses=(Tran(1e-12, 0.5e-9, max_step=1e-12, uic=True),))
    r = simulate(circuit, timeout=60, seed=seed)
    grid = np.arange(1, 500) * 1e-12 + 0.5e-12    # mid-interval: one value per thermal draw
    h = np.interp(grid, r.time, r["v(x0.in_h_thx)"])
    return h, np.interp(grid, r.time, r["v(x0.s_mx)"])


@pytest.mark.ngspice
def test_thermal_field_is_reproducible_with_the_seed():
    h1, mx1 = _thermal_run(11)
    h2, mx2 = _thermal_run(11)
    np.testing.assert_array_equal(h1, h2)       # same seed: bit-identical draws and trajectory
    np.testing.assert_array_equal(mx1, mx2)
    h3, mx3 = _thermal_run(12)
    # another seed: independent draws; their correlation over 499 draws is ~N(0, 1/499): 5 sigma bound
    assert abs(np.corrcoef(h1, h3)[0, 1]) < 5 / np.sqrt(h1.size)
    assert np.max(np.abs(mx1 - mx3)) > 1e-4


def test_non_physical_damping_raises():
    with pytest.raises(InvalidValueError, match="alpha=1.5 1 is out of range"):
        devices.get("vcmtj").card(alpha=1.5)
