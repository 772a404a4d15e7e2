"""The IR's BJTs, JFETs, K, S/W switches, T lines, .func, .noise/.tf/.sens/.pz and SPICE's waveform
defaults: validation errors, and simulations checked against closed forms or spelled-out equivalents."""
from __future__ import annotations

import math

import numpy as np
import pytest

from circuitlab.errors import DuplicateNameError, InvalidValueError, UnknownReferenceError
from circuitlab.netlist import (AC, PWL, TF, BSource, Bjt, Capacitor, Circuit, Coupling, CSwitch, CurrentSource,
                                Function, Inductor, Jfet, Model, Noise, Op, PoleZero, Pulse, Resistor, Sens, Sin,
                                Tran, TransmissionLine, VoltageSource, VSwitch)
from circuitlab.sim import simulate

ngspice = pytest.mark.ngspice


def rc_with(wave, tran=Tran(10e-6, 5e-3)) -> Circuit:
    return Circuit("wave", elements=[VoltageSource("1", "in", "0", waveform=wave), Resistor("1", "in", "out", 1e3),
                                     Capacitor("1", "out", "0", 1e-6)], analyses=[tran])


def test_omitted_waveform_arguments_are_not_written():
    assert Pulse(0, 1).text() == "PULSE(0 1)"
    assert Pulse(0, 1, width=1e-3).text() == "PULSE(0 1 0 0 0 0.001)"  # 0: ngspice's "default" marker
    assert Sin(0.5, 1.0).text() == "SIN(0.5 1.0)"
    assert Sin(0, 1, phase=90).text() == "SIN(0 1 0 0 0 90)"
    assert PWL([(0, 0), (1e-3, 1)], repeat=0, delay=1e-3).text() == "PWL(0 0 0.001 1) r=0 td=0.001"


@ngspice
def test_pulse_defaults_are_spice_defaults():
    """PULSE(0 1): rise = fall = TSTEP, width = period = TSTOP (ngspice manual 4.1.1), so ngspice's rc.cir
    ported literally charges to 1 - exp(-(5 ms - 10 us)/1 ms) instead of staying at 0 V."""
    short = simulate(rc_with(Pulse(0, 1)))
    spelled = simulate(rc_with(Pulse(0, 1, delay=0, rise=10e-6, fall=10e-6, width=5e-3, period=5e-3)))
    np.testing.assert_allclose(short["v(out)"], spelled["v(out)"], rtol=1e-12, atol=1e-15)
    assert short["v(out)"][-1] == pytest.approx(1 - math.exp(-5), abs=5e-3)
    middle = simulate(rc_with(Pulse(0, 1, width=2e-3, period=5e-3)))
    spelled = simulate(rc_with(Pulse(0, 1, 0, 10e-6, 10e-6, 2e-3, 5e-3)))
    np.testing.assert_allclose(middle["v(out)"], spelled["v(out)"], rtol=1e-12, atol=1e-15)


@ngspice
def test_sin_and_pwl_defaults():
    short = simulate(rc_with(Sin(0, 1)))
    spelled = simulate(rc_with(Sin(0, 1, freq=200.0, delay=0, damping=0, phase=0)))  # 1 / TSTOP
    np.testing.assert_allclose(short["v(out)"], spelled["v(out)"], rtol=1e-12, atol=1e-15)
    tran = Tran(10e-6, 4e-3)
    rep = simulate(rc_with(PWL([(0, 0), (1e-3, 1), (2e-3, 0)], repeat=0, delay=0.5e-3), tran))
    t = rep.time  # the triangle repeats from t = 0 every 2 ms, delayed by 0.5 ms
    want = np.where(t < 0.5e-3, 0.0, np.interp((t - 0.5e-3) % 2e-3, [0, 1e-3, 2e-3], [0, 1, 0]))
    np.testing.assert_allclose(rep["v(in)"], want, atol=1e-9)


@ngspice
def test_bjt_and_jfet_operating_points_match_closed_forms():
    """Gummel-Poon with no Early effect or high injection: Ic = BF * Ib (ngspice manual 8.2); JFET in
    saturation without channel-length modulation: Id = BETA (Vgs - VTO)^2 (Shichman-Hodges)."""
    c = Circuit("q", elements=[CurrentSource("b", "0", "b", dc=10e-6), VoltageSource("cc", "c", "0", dc=5.0),
                               Bjt("1", "c", "b", "0", "qn"),
                               VoltageSource("dd", "d", "0", dc=5.0), VoltageSource("gs", "g", "0", dc=-0.5),
                               Jfet("1", "d", "g", "0", "jn")],
                models=[Model("qn", "npn", {"is": 1e-15, "bf": 100}), Model("jn", "njf", {"vto": -2.0, "beta": 1e-3})],
                analyses=[Op()])
    assert "Q1 c b 0 qn" in c.to_text() and "J1 d g 0 jn" in c.to_text()
    r = simulate(c)
    assert -r["i(vcc)"][0] == pytest.approx(100 * 10e-6, rel=1e-4)
    assert -r["i(vdd)"][0] == pytest.approx(1e-3 * 1.5 ** 2, rel=1e-6)


@ngspice
def test_coupled_inductors_give_the_turns_ratio():
    """Open secondary: V2 / V1 = k sqrt(L2 / L1) when the source drives L1 directly."""
    c = Circuit("k", elements=[VoltageSource("1", "p", "0", ac=1.0), Inductor("p", "p", "0", 1e-3),
                               Inductor("s", "s", "0", 4e-3), Resistor("load", "s", "0", 1e9),
                               Coupling("1", "Lp", "Ls", 0.95)], analyses=[AC("dec", 2, 1e3, 1e4)])
    assert "K1 Lp Ls 0.95" in c.to_text()
    np.testing.assert_allclose(np.abs(simulate(c)["v(s)"]), 0.95 * 2, rtol=1e-6)


@ngspice
def test_matched_line_delays_half_the_step():
    c = Circuit("t", elements=[VoltageSource("1", "src", "0", waveform=Pulse(0, 2, 1e-9, 1e-10, 1e-10, 1e-6, 2e-6)),
                               Resistor("s", "src", "in", 50), TransmissionLine("1", "in", "0", "out", "0", z0=50,
                                                                              td=5e-9),
                               Resistor("l", "out", "0", 50)], analyses=[Tran(1e-11, 20e-9, max_step=1e-11)])
    r = simulate(c)
    t, v = r.time, r["v(out)"]
    assert np.max(np.abs(v[t < 5.9e-9])) < 1e-6  # nothing arrives before 1 ns + TD
    assert np.interp(10e-9, t, v) == pytest.approx(1.0, rel=1e-6)


@ngspice
def test_switches_follow_their_control():
    sw, csw = Model("sm", "sw", {"vt": 1.0, "ron": 1.0, "roff": 1e9}), Model("cm", "csw", {"it": 1e-3, "ron": 1.0,
                                                                                         "roff": 1e9})
    c = Circuit("s", elements=[VoltageSource("c", "ctl", "0", dc=2.0), Resistor("c", "ctl", "0", 1e3),
                               VoltageSource("1", "a", "0", dc=1.0), VSwitch("1", "a", "x", "ctl", "0", "sm"),
                               Resistor("x", "x", "0", 99.0),
                               VoltageSource("sense", "ctl", "m", dc=0.0), Resistor("m", "m", "0", 1e3),
                               CSwitch("1", "a", "y", "sense", "cm"), Resistor("y", "y", "0", 99.0)],
                models=[sw, csw], analyses=[Op()])
    r = simulate(c)
    assert r["v(x)"][0] == pytest.approx(0.99, rel=1e-6)  # on: 1 ohm in series with 99 ohm
    assert r["v(y)"][0] == pytest.approx(0.99, rel=1e-6)  # 2 mA > IT: on
    off = simulate(c.with_(elements=tuple(e if e.spice_name != "Vc" else VoltageSource("c", "ctl", "0", dc=0.5)
                                          for e in c.elements)))
    assert off["v(x)"][0] == pytest.approx(99 / (1e9 + 99), rel=1e-6)


@ngspice
def test_func_and_small_signal_analyses():
    c = Circuit("a", elements=[VoltageSource("1", "in", "0", dc=1.0, ac=1.0), Resistor("1", "in", "out", 1e3),
                               Capacitor("1", "out", "0", 1e-6), Resistor("2", "out", "0", 3e3),
                               BSource("sq", "sq", "0", voltage="sqr(v(out))"), Resistor("sq", "sq", "0", 1e3)],
                functions=[Function("sqr", ("x",), "x*x")],
                analyses=[TF("v(out)", "V1"), Sens("v(out)"), PoleZero("in", "0", "out", "0", "vol", "pol"),
                          Noise("v(out)", "V1", "dec", 5, 10, 1e4)])
    assert ".func sqr(x) {x*x}" in c.to_text() and ".pz in 0 out 0 vol pol" in c.to_text()
    r = simulate(c)
    assert r.plot("tf")["transfer_function"][0] == pytest.approx(0.75, rel=1e-9)
    assert r.plot("sens")["v1"][0] == pytest.approx(0.75, rel=1e-9)
    # one pole at -1 / ((1k || 3k) 1 uF)
    assert r.plot("pz")["pole(1)"][0] == pytest.approx(-1 / (750 * 1e-6), rel=1e-9)
    assert [p.name for p in r.plots].count("noise2") == 1


def test_validation_errors():
    with pytest.raises(UnknownReferenceError, match="K1 couples 'Lx'"):
        Circuit("k", elements=[VoltageSource("1", "a", "0", dc=1), Inductor("1", "a", "0", 1e-3),
                               Coupling("1", "L1", "Lx", 0.5)])
    with pytest.raises(InvalidValueError, match="coupling=1.5 must lie in"):
        Coupling("1", "L1", "L2", 1.5).check()
    with pytest.raises(InvalidValueError, match="exactly one of td="):
        TransmissionLine("1", "a", "0", "b", "0", z0=50).check()
    with pytest.raises(InvalidValueError, match="initial='maybe'"):
        VSwitch("1", "a", "0", "c", "0", "m", initial="maybe").check()
    with pytest.raises(UnknownReferenceError, match="not a voltage source"):
        Circuit("w", elements=[VoltageSource("1", "a", "0", dc=1), CSwitch("1", "a", "0", "Vx", "cm")],
                models=[Model("cm", "csw", {})])
    with pytest.raises(InvalidValueError, match="transfer='pz'"):
        PoleZero("a", "0", "b", "0", "pz").check()
    with pytest.raises(InvalidValueError, match="must be v\\(node\\)"):
        Noise("out", "V1", "dec", 5, 1, 10).check()
    with pytest.raises(InvalidValueError, match="freq=-1"):
        Sin(0, 1, freq=-1).check("V1")
    with pytest.raises(DuplicateNameError, match="two .func definitions"):
        Circuit("f", functions=[Function("f", ("x",), "x"), Function("F", ("y",), "y")])
