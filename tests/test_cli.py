"""The ``circuitlab`` command: version, sim (--json/--out), netlist generation, the demo, error lines."""
import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from circuitlab import __version__, simulate
from circuitlab.circuits import EXAMPLES

ROOT = Path(__file__).parent.parent


def cli(*args, cwd=None):
    """The CLI in a subprocess; the timeout only guards against a hang (the demo test took 361 s on a nearly
    idle 2-core machine and over 900 s beside two other campaigns)."""
    return subprocess.run([sys.executable, "-m", "circuitlab.cli.main", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=900)


def test_version():
    r = cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"circuitlab {__version__}"


def test_import_stays_light():
    code = ("import sys, circuitlab, circuitlab.netlist; "
            "print(sorted(m for m in ('torch', 'h5py', 'matplotlib', 'numpy', 'sympy') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr


@pytest.mark.ngspice
def test_sim_json_prints_one_object(tmp_path):
    net = EXAMPLES["rc_step"]().write(tmp_path / "rc.cir")
    r = cli("sim", net, "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)  # the whole stdout is one JSON document
    assert set(data) == {"measures", "plots", "vectors"}
    assert data["measures"]["v_at_tau"] == pytest.approx(0.6321206, rel=2e-6)  # 1 - 1/e
    v = data["vectors"]["v(out)"]
    assert v["unit"] == "V" and v["points"] > 1000 and v["final"] == pytest.approx(1 - np.exp(-5), abs=1e-4)
    assert data["vectors"]["time"]["unit"] == "s"


@pytest.mark.ngspice
def test_sim_out_writes_every_vector(tmp_path):
    net = EXAMPLES["rc_lowpass"]().write(tmp_path / "lp.cir")
    r = cli("sim", net, "--out", tmp_path / "lp.h5", "--backend", "pyspice")
    assert r.returncode == 0, r.stderr
    ref = simulate(net)
    with h5py.File(tmp_path / "lp.h5") as f:
        g = f["00_ac"]
        np.testing.assert_array_equal(g["v(out)"][()], ref["v(out)"])
        assert g["frequency"].attrs["unit"] == "Hz" and f["measures"].attrs["f_3db"] == ref.measures["f_3db"]


@pytest.mark.ngspice
def test_sim_error_is_one_line(tmp_path):
    bad = tmp_path / "bad.cir"
    bad.write_text("bad\nV1 in 0 DC 1\nD1 in 0 nosuchdiode\n.op\n.end\n")
    r = cli("sim", bad, "--json")
    assert r.returncode == 1 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("circuitlab: error: ngspice could not parse the netlist at "
                                                   "netlist line 3")
    r = cli("sim", tmp_path / "missing.cir")
    assert r.returncode == 1 and "not found" in r.stderr


def test_netlist_generate_all_reproduces_committed_netlists(tmp_path, pinned_sympy):
    r = cli("netlist", "generate", "--all", "-o", tmp_path)
    assert r.returncode == 0, r.stderr
    for name in EXAMPLES:
        assert (tmp_path / f"{name}.cir").read_text() == (ROOT / "netlists" / f"{name}.cir").read_text()
    r = cli("netlist", "generate", "nosuch", "-o", tmp_path)
    assert r.returncode == 1 and "unknown example circuit 'nosuch'" in r.stderr


@pytest.mark.ngspice
def test_demo_prints_table_and_writes_results(tmp_path):
    r = cli("demo", "-o", tmp_path / "demo", "--samples", "60", "--trials", "20")
    assert r.returncode == 0, r.stderr
    rows = {tuple(line.split()[:2]): line.split() for line in r.stdout.splitlines()}
    # closed form vs ngspice in the table: rel. error column
    assert float(rows[("rc_step", "v_at_tau")][4]) < 2e-6
    assert float(rows[("divider", "v(mid)")][4]) < 1e-12
    assert (tmp_path / "demo" / "rc_step.h5").is_file() and (tmp_path / "demo" / "rc_step_and_lowpass.png").is_file()
    assert f"plot:      {tmp_path / 'demo'}" in r.stdout
    # every later stage wrote its results where it said
    for produced in ("mc/rc_bsource.h5", "mc/rc_bsource.vmax.png", "llg/psw.h5", "llg/psw.png", "meram/eps.h5",
                     "meram/eps.png", "p2m/p2m_fig6a_cmos.png", "models/p2m_f1.h5", "models/p2m_f1.png",
                     "models/meram_eps.h5", "models/vcmtj_psw.h5", "models/p2m_f2.h5"):
        assert (tmp_path / "demo" / produced).is_file(), produced
    assert "60/60 done, 60 ok, 0 failed" in r.stdout
