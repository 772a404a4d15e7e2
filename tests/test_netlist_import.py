"""SPICE text into the IR: every deck of tests/decks/ parses, writes, and runs to ngspice's own vectors;
the Python builder code rebuilds an equal circuit; unsupported or malformed cards name their line."""
from __future__ import annotations

import subprocess
import sys

import pytest

from circuitlab.errors import NetlistParseError, UnsupportedConstructError
from circuitlab.netlist import Circuit, Pulse, Sin, circuit_to_python, parse_netlist, parse_value
from circuitlab.sim import simulate

from deck_reference import DECKS, assert_same_plots, deck_names, reference


@pytest.fixture(scope="module")
def ref_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp("ngspice-ref"))


@pytest.mark.ngspice
@pytest.mark.parametrize("name", deck_names())
def test_deck_round_trips_through_the_ir(name, ref_root):
    circuit = parse_netlist(DECKS / name)
    assert isinstance(circuit, Circuit)
    result = simulate(circuit.to_text())
    ref = reference(name, ref_root)
    assert_same_plots(result, ref)
    # .meas values are printed with 7 significant digits; a reordered matrix may move the last one
    assert result.measures == pytest.approx(ref.measures, rel=2e-7)
    again = parse_netlist(circuit.to_text())
    assert again == circuit.with_(title=again.title)  # the written text parses back to the same IR


@pytest.mark.parametrize("name", deck_names())
def test_python_code_rebuilds_the_circuit(name):
    circuit = parse_netlist(DECKS / name)
    namespace: dict = {}
    exec(circuit_to_python(circuit), namespace)
    assert namespace["circuit"] == circuit


def test_values_follow_spice_suffixes():
    assert parse_value("2.2u") == 2.2e-6 and parse_value("1meg") == 1e6 and parse_value("10uF") == 10e-6
    assert parse_value("1k") == 1000.0 and parse_value("3.3K") == 3300.0 and parse_value("1mil") == 25.4e-6
    assert parse_value("1e3k") == 1e6 and parse_value("-5") == -5.0 and parse_value("2m") == 2e-3
    assert parse_value("{a*2}") == "a*2" and parse_value("'a * 2'") == "a * 2" and parse_value("rval") == "rval"


def test_sources_keep_omitted_arguments_omitted():
    c = parse_netlist("t\nV1 a 0 PULSE(0 1)\nV2 b 0 pulse 0 1 1u\nV3 c 0 DC 1 AC 1 SIN(0 1)\n"
                      "R1 a b 1k\nR2 b c 1k\nR3 c 0 1k\n.tran 1u 1m\n.end\n")
    assert c.element("V1").waveform == Pulse(0.0, 1.0)
    assert c.element("V2").waveform == Pulse(0.0, 1.0, 1e-6)
    assert c.element("V3").waveform == Sin(0.0, 1.0) and c.element("V3").dc == 1.0


def test_everything_the_ir_holds_parses():
    deck = """full
.param rl=2k gain={2*5}
.func half(x) {x/2}
.options reltol=1e-4 method=gear klu
.temp 35
.model qn npn(is=1e-15 bf=80)
.model jn njf(vto=-2 beta=1m)
.model sm sw(vt=1 ron=1 roff=1meg)
.model cm csw(it=1m ron=1 roff=1meg)
.subckt amp in out params: g=3
E1 out 0 in 0 {g}
.ends amp
V1 in 0 DC 1 AC 1
Vs s 0 0
Rs in s 1k
Q1 c b 0 qn 2
Rb in b 100k
Rc in c {rl}
J1 in b2 0 jn
Rj b2 0 1k
K1 L1 L2 0.9
L1 in 0 1m
L2 l2 0 1m IC=0
Rl2 l2 0 1k
S1 in sw1 in 0 sm off
Rsw sw1 0 1k
W1 in sw2 Vs cm
Rw sw2 0 1k
T1 in 0 t2 0 Z0=50 TD=1n
Rt t2 0 50
B1 hb 0 V=half(v(in))
Rb1 hb 0 1k
X1 in xo amp g=4
Rx xo 0 1k
.ic v(c)=1
.nodeset v(b)=0.7
.op
.tf v(c) V1
.sens v(c) ac dec 2 1k 10k
.noise v(c) V1 dec 2 1k 10k 1
.pz in 0 c 0 vol pz
.meas ac gmax MAX vm(c)
.end
"""
    c = parse_netlist(deck)
    text = c.to_text()
    # numbers keep their spelling (ngspice then reads the same doubles as from the deck)
    for card in (".func half(x) {x/2}", ".options reltol=1e-4 method=gear klu temp=35", "Q1 c b 0 qn area=2",
                 "K1 L1 L2 0.9", "S1 in sw1 in 0 sm off", "W1 in sw2 Vs cm", "T1 in 0 t2 0 Z0=50 TD=1n",
                 ".subckt amp in out params: g=3", "X1 in xo amp g=4", ".nodeset v(b)=0.7",
                 ".sens v(c) ac dec 2 1k 10k", ".noise v(c) V1 dec 2 1k 10k 1", ".model qn npn(is=1e-15 bf=80)",
                 "Rc in c {rl}", ".param gain={2*5}", "L2 l2 0 1m IC=0", ".param rl=2k"):
        assert card in text, card
    assert c.options["temp"] == 35.0 and c.params["rl"] == 2000.0 and c.element("T1").td == 1e-9


@pytest.mark.parametrize("deck, line, match, cls", [
    ("t\nR1 a 0 1k\n.global vdd\n.end\n", 3, r"\.global is not in the netlist IR", UnsupportedConstructError),
    ("t\nE1 a 0 poly(1) b 0 0 1\nR1 a b 1k\n.end\n", 2, "only the linear form", UnsupportedConstructError),
    ("t\nV1 a 0 EXP(0 1 1u 1u 2u 1u)\nR1 a 0 1k\n.end\n", 2, "EXP sources", UnsupportedConstructError),
    ("t\n* c\nR1 a 0\n+ r=1k tc1=0.1\n.end\n", 3, "R1 needs two nodes", NetlistParseError),
    ("t\nR1 a 0 1k\n.tran 1n\n.end\n", 3, r"\.tran needs", NetlistParseError),
    ("t\n.subckt s a b\nR1 a b 1k\n.end\n", 2, "has no .ends", NetlistParseError),
    ("t\nR1 a 0 1k\n.disto dec 10 1k 1meg\n.end\n", 3, r"\.disto", UnsupportedConstructError),
])
def test_bad_cards_name_their_line(deck, line, match, cls):
    with pytest.raises(cls, match=match) as err:
        parse_netlist(deck)
    assert err.value.line_number == line and str(err.value).startswith(f"line {line}:")


def test_cli_import_prints_python(tmp_path):
    r = subprocess.run([sys.executable, "-m", "circuitlab.cli.main", "netlist", "import",
                        str(DECKS / "mixed_cards.cir"), "--python"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    namespace: dict = {}
    exec(r.stdout, namespace)
    assert namespace["circuit"] == parse_netlist(DECKS / "mixed_cards.cir")
