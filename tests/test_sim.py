"""The simulator adapter against closed-form answers, ngspice's own .meas values and real broken netlists."""
import math
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from circuitlab import simulate
from circuitlab.circuits.basic import C_RC, R_RC, diode_sweep, divider, nmos_inverter, rc_lowpass, rc_step
from circuitlab.errors import (CircuitlabError, ConvergenceError, MeasureError, NetlistError, SimulationTimeout,
                               SimulatorNotFoundError)
from circuitlab.sim import probe
from circuitlab.sim import backend_pyspice

from netlist_fixtures import every_element

pytestmark = pytest.mark.ngspice
BACKENDS = ("subprocess", "pyspice")
TAU = R_RC * C_RC


@pytest.mark.parametrize("backend", BACKENDS)
def test_rc_step_matches_closed_form(backend):
    r = simulate(rc_step(), backend=backend)
    t, v = r.time, r["v(out)"]
    assert r.unit("v(out)") == "V" and r.unit("time") == "s"
    # trapezoidal integration with max step tau/200: global error ~1e-5 V; 1 ps source edge adds < 1e-6
    np.testing.assert_allclose(v, 1 - np.exp(-t / TAU), atol=3e-5)
    # ngspice prints measures with 7 significant digits; the rise time lies on interpolated points
    assert r.measures["v_at_tau"] == pytest.approx(1 - math.exp(-1), rel=2e-6)
    assert r.measures["t_rise"] == pytest.approx(TAU * math.log(9), rel=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_rc_lowpass_ac_matches_closed_form(backend):
    r = simulate(rc_lowpass(), backend=backend)
    f = r.sweep.real
    h = r["v(out)"] / r["v(in)"]
    assert np.iscomplexobj(h) and r.unit("frequency") == "Hz"
    # small-signal AC is an exact linear solve: only double rounding remains
    np.testing.assert_allclose(h, 1 / (1 + 2j * np.pi * f * TAU), rtol=1e-9)
    # WHEN on a 20 points/decade log grid interpolates linearly in frequency: 1e-4 relative
    assert r.measures["f_3db"] == pytest.approx(1 / (2 * math.pi * TAU), rel=1e-4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_divider_operating_point(backend):
    r = simulate(divider(v=1.8, r_top=3e3, r_bottom=1e3), backend=backend)
    assert r.plots[0].kind == "op"
    assert r["v(mid)"][0] == pytest.approx(0.45, rel=1e-12)
    assert r["i(vdd)"][0] == pytest.approx(-1.8 / 4e3, rel=1e-12)  # SPICE: current into the + terminal


def _interp_cross(x, y, level):
    i = int(np.argmax(y >= level))
    return x[i - 1] + (level - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1])


def test_diode_sweep_against_ngspice_measures():
    r = simulate(diode_sweep())
    vin, vd, i = r.sweep, r["v(d)"], r["i(vin)"]
    # our reading of the vectors equals ngspice's .meas (printed with 7 significant digits)
    assert np.interp(1.5, vin, i) == pytest.approx(r.measures["i_at_1v5"], rel=1e-6)
    assert _interp_cross(vin, vd, 0.6) == pytest.approx(r.measures["vin_at_0v6"], rel=1e-6)
    # and the physics: at every sweep point KVL holds and the diode current follows Shockley's law
    # plus the GMIN = 1e-12 S conductance ngspice puts across every junction; ngspice's constants are
    # CODATA 2014 (k = 1.38064852e-23 J/K, q = 1.6021766208e-19 C); currents below its abstol (1 pA)
    # are not resolved; the branch current is the linearised companion current, converged to RELTOL = 1e-3
    vt = 1.38064852e-23 * 300.15 / 1.6021766208e-19
    np.testing.assert_allclose(-i, 1e-14 * np.expm1(vd / vt) + 1e-12 * vd, rtol=1e-3, atol=1e-12)
    np.testing.assert_allclose(vin - vd, -i * 1e3, rtol=1e-9, atol=1e-12)


def test_mosfet_sweep_against_square_law_and_measure():
    r = simulate(nmos_inverter())
    beta = 2e-4 * 1e-6 / 0.18e-6
    expected = 0.5 + math.sqrt(2 * (0.9 / 10e3) / beta)  # saturation at v_out = vdd/2
    assert r.measures["v_switch"] == pytest.approx(expected, rel=1e-4)  # 10 mV sweep grid interpolation
    assert _interp_cross(r.sweep, -r["v(out)"], -0.9) == pytest.approx(r.measures["v_switch"], rel=1e-6)


def test_backends_return_identical_vectors():
    c = every_element()  # includes a TRRANDOM source: the seed makes both runs draw the same sequence
    a, b = simulate(c, backend="subprocess", seed=11), simulate(c, backend="pyspice", seed=11)
    assert [p.kind for p in a.plots] == [p.kind for p in b.plots] == ["op", "dc", "tran", "ac"]
    for pa, pb in zip(a.plots, b.plots):
        assert list(pa.vectors) == list(pb.vectors)
        for name in pa.vectors:
            np.testing.assert_array_equal(pa.vectors[name], pb.vectors[name], err_msg=name)
            assert pa.units[name] == pb.units[name]
    assert a.measures == b.measures and "vmax" in a.measures


def test_seed_reproduces_trrandom_and_changes_it():
    c = every_element()
    a, b, other = (simulate(c, seed=s).plot("tran")["v(nz)"] for s in (3, 3, 4))
    np.testing.assert_array_equal(a, b)
    # 1 uA rms into 1 kOhm: the held Gaussian values have sd 1 mV (200 draws: sd estimate within ~15 %)
    assert 0.7e-3 < np.std(a) < 1.3e-3 and not np.allclose(a, other)


def test_text_path_and_pyspice_inputs(tmp_path):
    from PySpice.Spice.Netlist import Circuit as PySpiceCircuit
    text = rc_step().to_text()
    path = tmp_path / "rc.cir"
    path.write_text(text)
    pc = PySpiceCircuit("rc from pyspice")
    pc.V("in", "inp", pc.gnd, 1.0)
    pc.R(1, "inp", "out", 1e3)
    pc.C(1, "out", pc.gnd, 1e-9)
    ref = simulate(text)
    np.testing.assert_array_equal(simulate(path)["v(out)"], ref["v(out)"])
    np.testing.assert_array_equal(simulate(str(path))["v(out)"], ref["v(out)"])
    op = simulate(pc, extra_cards=[".op"])
    assert op["v(out)"][0] == pytest.approx(1.0, rel=1e-9)


def test_relative_include_is_resolved_against_the_netlist_file(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "d.lib").write_text(".model dmod d(is=1e-14)\n")
    net = tmp_path / "top.cir"
    net.write_text("inc\n.include lib/d.lib\nV1 a 0 DC 0.7\nR1 a d 1k\nD1 d 0 dmod\n.op\n.end\n")
    assert 0.5 < simulate(net)["v(d)"][0] < 0.7


@pytest.mark.parametrize("backend", BACKENDS)
def test_syntax_error_is_a_netlist_error_with_the_line(backend):
    text = "syntax\nV1 in 0 DC 1\nR1 in out 1k\nC1 out 0 1n foo=\n.tran 1n 1u\n.end\n"
    with pytest.raises(NetlistError, match="line 4") as info:
        simulate(text, backend=backend, keep_run_dir=True)
    err = info.value
    assert err.line_number == 4 and err.line.strip() == "C1 out 0 1n foo="
    assert err.run_dir.is_dir() and err.netlist_path.read_text().startswith("syntax") and err.stderr


def test_failed_run_directory_is_removed_unless_kept(tmp_path, monkeypatch):
    text = "syntax\nV1 in 0 DC 1\nR1 in out 1k\nC1 out 0 1n foo=\n.tran 1n 1u\n.end\n"
    monkeypatch.delenv("CIRCUITLAB_KEEP_RUNS", raising=False)
    with pytest.raises(NetlistError, match="line 4") as info:
        simulate(text, run_root=tmp_path)
    assert list(tmp_path.iterdir()) == [] and info.value.run_dir is None and "foo=" in info.value.stderr + \
        info.value.stdout + info.value.line
    monkeypatch.setenv("CIRCUITLAB_KEEP_RUNS", "1")
    with pytest.raises(NetlistError, match=r"line 4.*\(run directory: .*circuitlab-run-") as info:
        simulate(text, run_root=tmp_path)
    assert [p.name.startswith("circuitlab-run-") for p in tmp_path.iterdir()] == [True]
    assert info.value.netlist_path.read_text() == text


@pytest.mark.parametrize("backend", BACKENDS)
def test_unknown_model_is_a_netlist_error(backend):
    text = "unknown model\nV1 in 0 DC 1\nR1 in d 1k\nD1 d 0 nosuchdiode\n.op\n.end\n"
    with pytest.raises(NetlistError, match="nosuchdiode") as info:
        simulate(text, backend=backend)
    assert info.value.line_number == 4


def test_unknown_subcircuit_is_a_netlist_error():
    with pytest.raises(NetlistError, match="unknown subckt") as info:
        simulate("x\nV1 in 0 DC 1\nX1 in 0 nosub\nR1 in 0 1k\n.op\n.end\n")
    assert info.value.line_number == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_non_converging_circuit(backend):
    # an ideal-source loop (two voltage sources in parallel) makes the MNA matrix singular
    with pytest.raises(ConvergenceError, match="did not converge"):
        simulate("loop\nV1 a 0 DC 1\nV2 a 0 DC 2\nR1 a 0 1k\n.op\n.end\n", backend=backend)


def test_timestep_too_small():
    text = ("stiff\nV1 in 0 PULSE(0 1 1n 1p 1p 1u 2u)\nB1 out 0 V=V(in) > 0.5 ? 1e3*(exp(1e3*v(out))) : 0\n"
            "R1 out 0 1k\nC1 out 0 1p\n.tran 1n 100n\n.end\n")
    with pytest.raises(ConvergenceError, match="[Tt]imestep too small"):
        simulate(text)


def _processes_in(directory: Path):
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.readlink(f"/proc/{pid}/cwd") == str(directory):
                    found.append(int(pid))
            except OSError:
                pass
    return found


LOOP = "endless\nV1 a 0 1\nR1 a 0 1k\n.control\nlet k = 0\nwhile k >= 0\n  let k = k + 1\nend\n.endc\n.end\n"


def test_timeout_kills_ngspice_and_leaves_no_orphan():
    with pytest.raises(SimulationTimeout, match="did not finish within 1 s") as info:
        simulate(LOOP, timeout=1.0)
    assert _processes_in(info.value.run_dir) == []


def test_timeout_in_pyspice_backend_replaces_the_worker():
    simulate(divider(), backend="pyspice")
    pid = backend_pyspice._worker.proc.pid
    with pytest.raises(SimulationTimeout):
        simulate(LOOP, timeout=1.0, backend="pyspice")
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert simulate(divider(), backend="pyspice")["v(mid)"][0] == pytest.approx(0.45)


@pytest.mark.parametrize("backend", BACKENDS)
def test_failed_measure_keeps_the_other_results(backend):
    text = rc_step().to_text().replace(".end", ".meas tran late FIND v(out) AT=1\n.end")
    with pytest.raises(MeasureError, match="failed for late") as info:
        simulate(text, backend=backend)
    err = info.value
    assert err.failed == ("late",)
    assert err.result.measures["v_at_tau"] == pytest.approx(1 - math.exp(-1), rel=2e-6)
    assert len(err.result["v(out)"]) > 100


def test_keyword_options_are_written_verbatim_and_accepted():
    c = rc_step().with_(options={"method": "gear", "reltol": 1e-5})
    assert ".options method=gear reltol=1e-05" in c.to_text()
    r = simulate(c)
    assert r.measures["v_at_tau"] == pytest.approx(1 - math.exp(-1), rel=1e-4)  # Gear-2 with 1000 steps


def test_harmless_notes_and_recovered_warnings_are_not_errors():
    # every ngspice run prints "Note: No compatibility mode selected!"; a 1 GOhm-isolated node makes
    # ngspice warn while still solving the operating point
    r = simulate("notes\nV1 a 0 DC 1\nR1 a b 1e9\nR2 b 0 1e9\n.op\n.end\n")
    assert "Note:" in r.stdout + r.stderr
    assert r["v(b)"][0] == pytest.approx(0.5, rel=1e-9)


def test_no_analysis_is_an_error():
    with pytest.raises(CircuitlabError, match="no analysis"):
        simulate("x\nV1 a 0 1\nR1 a 0 1k\n.end\n")


def test_missing_ngspice(monkeypatch):
    monkeypatch.setenv("CIRCUITLAB_NGSPICE", "/nonexistent/ngspice")
    with pytest.raises(SimulatorNotFoundError, match="apt-get install -y ngspice"):
        simulate(divider())


def test_bad_arguments():
    with pytest.raises(CircuitlabError, match="unknown backend 'spectre'"):
        simulate(divider(), backend="spectre")
    with pytest.raises(CircuitlabError, match="does not exist"):
        simulate("/nonexistent/x.cir")


def test_probe_reports_this_ngspice(tmp_path):
    info = probe()
    assert info.version.split(".")[0].isdigit() and info.binary_raw
    # independent check: ask this ngspice for the `osdi` command in a script of our own, read its answer
    (tmp_path / "osdi.cir").write_text("osdi check\nR1 a 0 1k\n.control\nosdi\nquit\n.endc\n.end\n")
    proc = subprocess.run([info.executable, "-b", "osdi.cir"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    has_osdi = "no such command" not in (proc.stdout + proc.stderr).lower()
    assert info.osdi is has_osdi
    if info.version.split(".")[0] == "39":
        assert info.osdi is False  # Debian's ngspice 39.3 is built without OSDI (shared/reference/spice.md)


def test_run_dir_kept_on_request(tmp_path):
    r = simulate(divider(), keep_run_dir=True, run_root=tmp_path)
    assert (r.run_dir / "circuitlab.raw").is_file() and (r.run_dir / "netlist.cir").is_file()
    simulate(divider(), run_root=tmp_path)
    assert len(list(tmp_path.iterdir())) == 1  # the second run cleaned up after itself
