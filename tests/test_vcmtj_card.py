"""The VC-MTJ card (circuits/cards/vcmtj.toml; issue 13 item 3): one source for the LLG engine, the vcmtj
device and the Markov cell, its physics against closed forms, and Var(eps) at the seed's pulses.

Closed forms (devices.md section 1; SI units): Hk(V) = 2 (Ki - xi V/t_ox)/(mu0 Ms t_FL), thin-disk
Nz = 1/(2 t_FL/(r sqrt(pi)) + 1), Nx = Ny = (1 - Nz)/2, Hk_eff = Hk - Ms (Nz - Nx). The energy per volume
in the x-z plane is -mu0 Ms (Hx sin(theta) + Hk_eff cos^2(theta)/2) (+ a constant); precession that
conserves energy from the 0 V minimum (sin(theta0) = Hx/Hk_eff(0)) can cross the equator iff
Hk_eff(V) <= 2 Hx/(1 + Hx/Hk_eff(0)). For independent bits with P->AP probability a and AP->P
probability b per pulse the stationary Var(eps) = sum_k w_k^2 2 a_k b_k/(a_k + b_k).
"""
from __future__ import annotations

import math
import re
from dataclasses import fields

import numpy as np
import pytest

from circuitlab import devices
from circuitlab.devices.models import vcmtj, vcmtj_markov
from circuitlab.devices.numeric import Evaluator
from circuitlab.errors import ConfigError
from circuitlab.physics import GAMMA0, KB, MU0, MacrospinParams, make_integrator
from circuitlab.resources import card_path, vcmtj_card, veriloga_dir

CARD = vcmtj_card()
C = {k: float(e["value"]) for k, e in CARD.items()}
SEED_V = (2.1, 2.4, 2.7)           # seed Fig. 2c gate voltages, V
W_MSB, W_OTHER = 0.4e-9, 2e-9      # seed Fig. 3: "2.4 V ... 0.4 ns ... MSB while 2 ns pulse for the remaining"


def _hk_eff(c, v):
    """Closed-form net anisotropy field in A/m of card values ``c`` at gate voltage v (V)."""
    nz = 1 / (2 * c["t_fl"] / (c["diameter"] / 2 * math.sqrt(math.pi)) + 1)
    return 2 * (c["ki"] - c["xi"] * v / c["t_ox"]) / (MU0 * c["ms"] * c["t_fl"]) - c["ms"] * (nz - (1 - nz) / 2)


def _precession_threshold(c):
    """Gate voltage in V at which energy-conserving precession from the 0 V minimum first crosses the equator."""
    k0, slope = _hk_eff(c, 0.0), _hk_eff(c, 0.0) - _hk_eff(c, 1.0)
    return (k0 - 2 * c["hx"] / (1 + c["hx"] / k0)) / slope


# --- one source ------------------------------------------------------------------------------------
def test_engine_device_and_markov_cell_read_the_same_card():
    p = MacrospinParams()
    for f in fields(p):
        assert getattr(p, f.name) == C[f.name], f.name
    dev = devices.get("vcmtj").card()
    for name, key in vcmtj.CARD_NAMES.items():
        assert dev[name] == C[key], name
    assert dev["gamma0"] == GAMMA0
    markov = devices.get("vcmtj_markov").card()
    for name in vcmtj_markov.SHARED:
        assert markov[name] == dev[name], name
    # the committed Verilog-A modules carry the card's values (regenerated with `devices emit --write`)
    for model, names in (("vcmtj", vcmtj.CARD_NAMES), ("vcmtj_markov", {n: vcmtj.CARD_NAMES[n] for n in vcmtj_markov.SHARED})):
        text = (veriloga_dir() / f"{model}.va").read_text()
        for name, key in names.items():
            m = re.search(rf"parameter real {name} = ([-+0-9.eE]+)", text)
            assert m and float(m.group(1)) == pytest.approx(C[key], rel=1e-12), (model, name)


def test_markov_table_is_the_builtin_llg_table():
    # the cell's default P_sw table is the built-in LLG table (same card) at the cell's grid, to 3 decimals
    from circuitlab.export import load_model
    ref = load_model("vcmtj_psw", kind="vcmtj_psw").tables["p_switch"]
    volts, widths = (ax.values for ax in ref.axes)
    for i, v in enumerate(vcmtj_markov.VOLTAGES):
        for j, w in enumerate(vcmtj_markov.WIDTHS):
            got = vcmtj_markov.TABLE[i][j]
            if v == 0 or w == 0:
                assert got == 0.0
                continue
            ii, jj = np.flatnonzero(np.isclose(volts, v, rtol=1e-9, atol=0))[0], np.flatnonzero(np.isclose(widths, w, rtol=1e-9, atol=0))[0]
            assert abs(got - ref.values[ii, jj]) <= 5e-4 + 1e-12, (v, w, got, ref.values[ii, jj])


def test_card_values_are_sourced_and_in_range(tmp_path):
    assert {e["status"] for e in CARD.values()} <= {"seed", "assumed", "calibrated"}
    # the seed's own numbers (meram_diffusion_paper.txt): 40 fJ/(V m), 390 Oe, 100 nm, R_AP/R_P = 2.2
    assert C["xi"] == 40e-15 and C["diameter"] == 100e-9 and C["tmr0"] == pytest.approx(1.2, rel=1e-12)
    assert C["hx"] == pytest.approx(390 * 1e3 / (4 * math.pi), rel=2e-4)       # 1 Oe = 1e3/(4 pi) A/m
    for name, e in CARD.items():
        assert e["range"][0] <= e["value"] <= e["range"][1] and e["source"], name
    bad = card_path("vcmtj.toml").read_text()
    (tmp_path / "out.toml").write_text(bad.replace("value = 1.40695e-3", "value = 3e-3"))
    with pytest.raises(ConfigError, match=r"\[ki\] value 0.003 lies outside its range"):
        vcmtj_card(tmp_path / "out.toml")
    (tmp_path / "lack.toml").write_text('[ki]\nvalue = 1e-3\nunit = "J/m^2"\n')
    with pytest.raises(ConfigError, match=r"\[ki\] lacks status, range, doc, source"):
        vcmtj_card(tmp_path / "lack.toml")


# --- physics against closed forms ------------------------------------------------------------------
def test_anisotropy_field_and_its_zero_match_closed_forms():
    p = MacrospinParams()
    nz = 1 / (2 * C["t_fl"] / (C["diameter"] / 2 * math.sqrt(math.pi)) + 1)
    assert p.demag[2] == pytest.approx(nz, rel=1e-12)
    # K_eff = Ki/t_FL - xi V/(t_ox t_FL) - mu0 Ms^2 (Nz - Nx)/2 vanishes at V0 (the seed's "Ku = 0")
    v0 = C["t_ox"] / C["xi"] * (C["ki"] - MU0 * C["ms"] ** 2 * (nz - (1 - nz) / 2) * C["t_fl"] / 2)
    for v in (0.0, *SEED_V, v0):
        assert p.hk_eff(v) == pytest.approx(_hk_eff(C, v), abs=1e-9 * _hk_eff(C, 0.0))
    assert abs(p.hk_eff(v0)) < 1e-9 * p.hk_eff(0.0)
    # the device (sympy -> .va/ngspice) gives the same field: Hk - Ms (Nz - Nx) at V0 is zero. Tolerance
    # 1e-8 of Hk(0) ~ 1e-2 A/m: the device's mu0 is CODATA 2018 (1.25663706212e-6), the engine's 4 pi 1e-7,
    # 5.5e-10 apart, i.e. 6.5e-4 A/m in Hk (1e-8 of Hx)
    hk0 = 2 * C["ki"] / (MU0 * C["ms"] * C["t_fl"])
    out = Evaluator(devices.get("vcmtj"))(None, V_pn=np.array([0.0, v0]), mx=0.0, my=0.0, mz=1.0,
                                          h_thx=0.0, h_thy=0.0, h_thz=0.0)
    dev = out["Hk"] - C["ms"] * (out["Nz"] - (1 - out["Nz"]) / 2)
    np.testing.assert_allclose(dev, [_hk_eff(C, 0.0), 0.0], rtol=0, atol=1e-8 * hk0)


def test_zero_bias_barrier_matches_the_energy_landscape():
    # barrier = E(equator, m along x) - E(minimum), from the closed-form energy on a fine theta grid
    p = MacrospinParams()
    theta = np.linspace(0, np.pi / 2, 200001)
    k0 = _hk_eff(C, 0.0)
    e = -MU0 * C["ms"] * p.volume * (C["hx"] * np.sin(theta) + k0 * np.cos(theta) ** 2 / 2)
    barrier = (e[-1] - e.min()) / (KB * C["temperature"])
    assert p.barrier_kt(0.0) == pytest.approx(barrier, rel=1e-6)
    assert barrier > 60     # non-volatile at 0 V (a 10-year retention needs ~40-60 kT)
    assert p.barrier_kt(2.4) > 5   # 2.4 V keeps a barrier: no thermal mixing within ns (see test_llg)


def test_precession_threshold_lies_between_the_seed_voltages():
    # seed: 2.1 V "below the critical voltage Vc ... a low switching probability", 2.4 V switches. The card
    # puts the precessional threshold Vp between them (closed form), and the engine agrees: at T = 0 and
    # alpha = 0 the orbit from the 0 V minimum crosses the equator 0.05 V above Vp and not 0.05 V below
    vp = _precession_threshold(C)
    assert 2.1 < vp < 2.4
    p = MacrospinParams().replace(alpha=0.0, temperature=0.0)
    s = p.equilibrium_tilt(0.0)
    it = make_integrator(p, 2, 1e-13, seed=0)
    it.set_state(s, 0.0, math.sqrt(1 - s * s))
    it.set_voltage(np.array([vp - 0.05, vp + 0.05]))
    low = np.ones(2)
    for _ in range(150):                 # 3 ns in 20 ps chunks: longer than one orbit near the separatrix
        it.run(200)
        low = np.minimum(low, it.state()[2])
    assert low[0] > 0 and low[1] < 0, low


def test_ku_zero_at_2p4_volts_would_switch_at_2p1_volts():
    # why the card does not put K_eff = 0 at 2.4 V (issue 13: "Vc near 2.4 V ... or a documented reason
    # why not"): with the seed's xi = 40 fJ/(V m), for every card inside the ranges (t_ox, Ms, t_FL;
    # Ki then fixed by K_eff(2.4 V) = 0) the precession threshold falls below 2.1 V, where the seed sees
    # little switching. The steepest VCMA slope (thinnest t_ox, t_FL, smallest Ms) is the best case.
    steep = {**C, **{k: CARD[k]["range"][0] for k in ("t_ox", "ms", "t_fl")}}
    for t_ox in np.linspace(*CARD["t_ox"]["range"], 4):
        for ms in np.linspace(*CARD["ms"]["range"], 4):
            for t_fl in np.linspace(*CARD["t_fl"]["range"], 4):
                c = {**C, "t_ox": t_ox, "ms": ms, "t_fl": t_fl}
                c["ki"] += -_hk_eff(c, 2.4) * MU0 * ms * t_fl / 2      # shift Ki so that Hk_eff(2.4 V) = 0
                assert abs(_hk_eff(c, 2.4)) < 1e-6 * c["hx"]
                assert _precession_threshold(c) < 2.1, (t_ox, ms, t_fl)
    # the engine on the best case: a 0.4 ns 2.1 V pulse at T = 0 switches P -> AP deterministically
    steep["ki"] += -_hk_eff(steep, 2.4) * MU0 * steep["ms"] * steep["t_fl"] / 2
    p = MacrospinParams(**{f.name: steep[f.name] for f in fields(MacrospinParams)}).replace(temperature=0.0)
    s = p.equilibrium_tilt(0.0)
    it = make_integrator(p, 1, 1e-12, seed=0)
    it.set_state(s, 0.0, math.sqrt(1 - s * s))
    it.set_voltage(2.1)
    low = 1.0
    for _ in range(40):
        it.run(10)
        low = min(low, float(it.state()[2][0]))
    assert low < 0


# --- the seed's noise source -------------------------------------------------------------------------
def test_seed_pulses_give_unit_variance_and_a_4_sigma_range():
    # issue 13: "the seed's pulse settings give Var(eps) within 1 +- 0.05 without rescaling and a +-4 sigma
    # range". Probabilities: the built-in LLG table (2000 trials per state) at 2.4 V, 0.4 ns (MSB) and
    # 2 ns (the other 7 bits). Var from the closed form and from the exact 256-state lattice law of
    # seed eqs. 1-2 (Kronecker product, second implementation) must agree; the range is 255/64 / sigma.
    from circuitlab.export import load_model
    from circuitlab.meram import default_weights, epsilon_distribution_dense
    ref = load_model("vcmtj_psw", kind="vcmtj_psw")
    volts, widths = (ax.values for ax in ref.tables["p_p_to_ap"].axes)
    i = np.flatnonzero(np.isclose(volts, 2.4, rtol=1e-9, atol=0))[0]
    j = [np.flatnonzero(np.isclose(widths, w, rtol=1e-9, atol=0))[0] for w in (W_MSB,) + (W_OTHER,) * 7]
    a, b = ref.tables["p_p_to_ap"].values[i, j], ref.tables["p_ap_to_p"].values[i, j]
    w = 2.0 ** np.arange(1, -7, -1)
    np.testing.assert_array_equal(default_weights(8), w)
    var = float(np.sum(w ** 2 * 2 * a * b / (a + b)))
    values, pmf = epsilon_distribution_dense(a, b)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12) and np.sum(pmf * values) == pytest.approx(0.0, abs=1e-12)
    assert np.sum(pmf * values ** 2) == pytest.approx(var, rel=1e-9)
    assert abs(var - 1) <= 0.05, var
    assert values.max() == pytest.approx(255 / 64) and values.max() / math.sqrt(var) >= 4.0, var
    # the shipped meram_eps (the DDPM noise table) was made from the same probabilities
    eps = load_model("meram_eps", kind="meram_eps")
    assert eps.parameters["variance"].value == pytest.approx(var, rel=1e-9)
