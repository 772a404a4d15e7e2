"""Decks people already have (own control blocks, loops, every analysis) run on both backends exactly as
``ngspice -b`` runs them: every plot and every ``.meas`` equal to ngspice's own raw file and output."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from circuitlab.errors import EmptyResultError, MeasureError, NetlistError, SimulatorCrashError
from circuitlab.sim import read_raw, simulate
from circuitlab.sim.diagnostics import parse_measures

from deck_reference import DECKS, assert_same_plots, deck_names, reference

pytestmark = pytest.mark.ngspice
BACKENDS = ("subprocess", "pyspice")


@pytest.fixture(scope="module")
def ref_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp("ngspice-ref"))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", deck_names())
def test_deck_equals_ngspice_batch(name, backend, ref_root, tmp_path):
    ref = reference(name, ref_root)
    assert ref.plots, f"{name}: ngspice -b wrote no plot; the deck is broken"
    result = simulate(DECKS / name, backend=backend, run_root=tmp_path)
    assert_same_plots(result, ref)
    assert result.measures == pytest.approx(ref.measures, rel=1e-12)
    assert list(tmp_path.iterdir()) == []  # the run directory is gone


def test_analysis_names_agree_across_backends():
    runs = [simulate(DECKS / "alter_loop.cir", backend=b) for b in BACKENDS]
    for r in runs:
        assert [p.name for p in r.plots] == ["tran1", "tran2", "tran3"]
        assert r.measures == pytest.approx({"vq": 0.8633222, "vq#2": 0.6302765, "vq#3": 0.3919487}, rel=1e-6)
    # RC charge: v(out)(t) = 1 - exp(-t/RC) with R = 500, 1k, 2k and C = 100 nF, at t = 100 us
    for i, rval in enumerate((500, 1e3, 2e3)):
        assert runs[0].measures[("vq", "vq#2", "vq#3")[i]] == pytest.approx(1 - np.exp(-1e-4 / (rval * 1e-7)),
                                                                           abs=2e-3)
    for b in BACKENDS:
        pz = simulate(DECKS / "pz_rlc.cir", backend=b)
        assert pz.plots[0].name == "pz1" and set(pz.plot("pz").vectors) == {"pole(1)", "pole(2)", "zero(1)",
                                                                          "zero(2)"}
        # poles: det of the nodal matrix with the input grounded,
        # (G1 + G2 + s C1)(G2 + s (C2 + C3)) - G2^2 = 0, R1 = 1k, R2 = 2k, C1 = 1u, C2 = 470n, C3 = 100n
        g1, g2, c1, c23 = 1e-3, 5e-4, 1e-6, 570e-9
        want = np.sort(np.roots([c1 * c23, (g1 + g2) * c23 + g2 * c1, (g1 + g2) * g2 - g2 * g2]).real)
        got = np.sort([pz.plot("pz")[f"pole({k})"][0].real for k in (1, 2)])
        np.testing.assert_allclose(got, want, rtol=1e-9)
        assert pz.unit("pole(1)") == "rad/s"
        sens = simulate(DECKS / "sens_dc.cir", backend=b)
        assert sens.plot("sens").name == "sens1" and "v(all)" not in sens.names
        # d v(out) / d V1 of the divider: (3k || 6k) / (1k + 3k || 6k) = 2/3
        assert sens.plot("sens")["v1"][0] == pytest.approx(2 / 3, rel=1e-9)


def test_tf_and_noise_against_closed_forms():
    tf = simulate(DECKS / "tf_amp.cir").plot("tf")
    gain = 10e3 / (10e3 + 600) * 20 * 1e3 / (1e3 + 50)
    assert tf["transfer_function"][0] == pytest.approx(gain, rel=1e-9)
    assert tf["v1#input_impedance"][0] == pytest.approx(10.6e3, rel=1e-9)
    assert tf["output_impedance_at_v(out)"][0] == pytest.approx(50 * 1e3 / 1050, rel=1e-9)
    noise = simulate(DECKS / "noise_rc.cir", backend="pyspice")
    spec = noise.plot("noise1")
    f = spec["frequency"].real
    # R1 || R2 = 9.0909 kOhm thermal noise through the RC pole (kT at 300.15 K)
    r = 10e3 * 100e3 / 110e3
    want = np.sqrt(4 * 1.380649e-23 * 300.15 * r) / np.abs(1 + 2j * np.pi * f * r * 1e-9)
    np.testing.assert_allclose(spec["onoise_spectrum"].real, want, rtol=1e-3)
    assert noise.plot("noise2").name == "noise2" and "onoise_total" in noise.plot("noise2")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_crash_is_a_crash(backend, tmp_path):
    deck = "crash\nV1 a 0 1\nR1 a 0 1k\n.op\n.control\nrun\necho fatal error ahead\nshell kill -SEGV $$PPID\n.endc\n.end\n"
    with pytest.raises(SimulatorCrashError) as err:
        simulate(deck, backend=backend, run_root=tmp_path)
    assert not isinstance(err.value, NetlistError) and "crash" in str(err.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_deck_that_destroys_its_plots_is_an_empty_result(backend, tmp_path):
    deck = "empty\nV1 a 0 1\nR1 a 0 1k\n.control\nop\ndestroy all\n.endc\n.end\n"
    with pytest.raises(EmptyResultError, match="no plot"):
        simulate(deck, backend=backend, run_root=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_failed_first_of_two_measures_keeps_its_name(backend):
    deck = DECKS.joinpath("meas_repeat.cir").read_text().replace(
        ".meas tran tr TRIG v(out) VAL=0.1 RISE=1", ".meas tran tr TRIG v(out) VAL=0.1 RISE=3")
    with pytest.raises(MeasureError) as err:
        simulate(deck, backend=backend)
    assert err.value.failed == ("tr",)
    assert err.value.result.measures["tr#2"] == pytest.approx(1.832582e-4, rel=1e-6)
    assert "tr" not in err.value.result.measures


def test_measure_keys_follow_printed_order_in_loops():
    out = "a = 1\nb = 2\na = 3\n a = 5\n"
    assert parse_measures(out, ["a", "b"]) == ({"a": 1.0, "b": 2.0, "a#2": 3.0, "a#3": 5.0}, [])
    assert parse_measures("a = 1\n", ["a", "a"]) == ({"a": 1.0}, ["a#2"])


def test_any_suffix_path_and_cli_json_every_plot(tmp_path):
    deck = tmp_path / "loop.ckt"
    deck.write_text((DECKS / "alter_loop.cir").read_text())
    assert [p.name for p in simulate(str(deck)).plots] == ["tran1", "tran2", "tran3"]
    r = subprocess.run([sys.executable, "-m", "circuitlab.cli.main", "sim", str(deck), "--json"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert [p["name"] for p in data["plots"]] == ["tran1", "tran2", "tran3"]
    assert {"v(out)", "tran2.v(out)", "tran3.v(out)"} <= set(data["vectors"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loop.ckt"]  # its ref.raw went with the run


def test_multiplot_ascii_raw_file_reads_every_plot(ref_root):
    reference("multiplot_ascii.cir", ref_root)
    plots = read_raw(Path(ref_root) / "multiplot_ascii.cir" / "ref.raw")
    assert [p.plotname for p in plots] == ["Operating Point", "AC Analysis", "DC transfer characteristic"]
    # the divider's DC gain 4k / (1k + 4k)
    np.testing.assert_allclose(plots[2].data["v(out)"], plots[2].data["v(v-sweep)"] * 0.8, rtol=1e-12)
