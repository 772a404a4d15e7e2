"""The netlist's fast paths (remembered float text, accepted nodes, cached element names) change nothing:
what a circuit is built from a second time is checked and written exactly as the first time."""
import pickle
from dataclasses import replace

import pytest

from circuitlab.errors import DanglingNodeError, InvalidValueError
from circuitlab.montecarlo.examples import rc_bsource
from circuitlab.netlist import (CCCS, Capacitor, Circuit, CurrentSource, Pulse, Resistor, Tran, VoltageSource,
                                format_value)
from circuitlab.netlist.values import check_nodes


def test_float_text_is_exact_for_signed_zeros_ints_and_repeats():
    for _ in range(2):  # the second pass reads what the first remembered
        assert format_value(0.0) == "0.0"
        assert format_value(-0.0) == "-0.0"
        assert format_value(1.0) == "1.0"
        assert format_value(1) == "1"
        assert format_value(0.1 + 0.2) == "0.30000000000000004"
        assert format_value(float("nan")) == "nan"
        assert format_value(-float("inf")) == "-inf"
    assert [Pulse(v, 1.0, width=1.0).text() for v in (0.0, -0.0, 0.0)] == [
        "PULSE(0.0 1.0 0 0 0 1.0)", "PULSE(-0.0 1.0 0 0 0 1.0)", "PULSE(0.0 1.0 0 0 0 1.0)"]
    with pytest.raises(InvalidValueError, match="boolean True"):
        format_value(True)  # equal to 1.0 but never read from the float text


def test_bad_values_after_good_ones_are_still_rejected():
    good = {"r": 1e3, "c": 1e-12, "g3": 1e-4}
    text = rc_bsource(good).to_text()
    for bad, match in (({"r": -1e3}, "R1: resistance=-1000.0 must be > 0"),
                       ({"r": float("nan")}, "R1: resistance=nan is not finite"),
                       ({"c": -1e-12}, "C1: capacitance=-1e-12 must be >= 0"),
                       ({"vin": Pulse(0.0, 1.0, rise=0.0)}, "Vin: rise=0.0 must be > 0")):
        with pytest.raises(InvalidValueError, match=match):
            rc_bsource({**good, **bad})
    assert rc_bsource(good).to_text() == text


def test_bad_nodes_after_good_ones_are_still_rejected():
    check_nodes("R1", ("in", "out", "0"))
    for bad in ("a b", "", "v(x)", 5, None):
        with pytest.raises(InvalidValueError, match="R1: node name .* is not valid"):
            check_nodes("R1", ("in", bad, "out"))
    with pytest.raises(InvalidValueError, match="Ry: node name 'a b' is not valid"):
        Circuit("t", elements=[Resistor("x", "in", "0"), Resistor("y", "in", "a b")])


def test_cached_spice_name_follows_the_element():
    r = Resistor("load", "in", "0", 1.0)
    assert r.spice_name == r.spice_name == "Rload"
    assert replace(r, name="x").spice_name == "Rx"
    assert Resistor("r2", "a", "b").spice_name == "r2" and CurrentSource("x", "a", "b").spice_name == "Ix"
    assert r == Resistor("load", "in", "0", 1.0) and repr(r) == "Resistor(name='load', plus='in', minus='0', value=1.0)"
    assert pickle.loads(pickle.dumps(r)).card() == r.card() == "Rload in 0 1.0"
    with pytest.raises(TypeError):
        Resistor(5, "a", "b").spice_name  # not a string: fails as it always did (check() says why first)
    with pytest.raises(InvalidValueError, match="Resistor: name 5 is not a valid SPICE name"):
        Circuit("t", elements=[Resistor(5, "a", "0"), Resistor("y", "a", "0")])


def test_checks_still_run_in_order_on_a_repeated_structure():
    def build(**kw):
        els = [VoltageSource("1", "in", "0", dc=1.0), Resistor("1", "in", "out", 1e3), Capacitor("1", "out", "0", 1e-9)]
        return Circuit("rc", elements=els + kw.pop("extra", []), analyses=[Tran(1e-9, 1e-6)], **kw)
    build()
    with pytest.raises(DanglingNodeError, match="node 'probe' is touched only by R2"):
        build(extra=[Resistor("2", "out", "probe")])
    build(extra=[Resistor("2", "out", "probe")], allow_dangling={"probe"})
    with pytest.raises(Exception, match="controlled by 'Vnone'"):
        build(extra=[CCCS("1", "out", "0", "none", 2.0)])
    assert "F1 out 0 V1 2.0" in build(extra=[CCCS("1", "out", "0", "1", 2.0)]).to_text()
