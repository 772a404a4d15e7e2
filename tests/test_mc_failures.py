"""Campaigns that lose their disk or a worker keep every row already written and finish on resume."""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import pytest

from circuitlab.montecarlo import summary as summary_of
from circuitlab.montecarlo.engine import resume_campaign, run_campaign

from test_mc_engine import ROWS, assert_same, make_spec, rows, start_gated, wait_for_rows

pytestmark = pytest.mark.ngspice
ROOT = Path(__file__).parents[1]

BIG = """
name = "big_rows"
builder = "circuitlab.montecarlo.examples:rc_bsource"
seed = 5
samples = 300
timeout = 20.0
batch_size = 20
stack_size = 10
[parameters]
r = 1000.0
c = 1e-10
g3 = 1e-4
vdd = 1.0
[[variation]]
params = ["r"]
sigma = 0.05
[record]
vectors = ["v(out)"]
time = { start = 0.0, stop = 1e-6, points = 2001 }
measures = ["tdelay"]
"""


def _limit_file_size(limit: int):
    def apply():
        # writes past the limit fail with EFBIG instead of killing the process (SIGXFSZ ignored),
        # which is what a full disk looks like to the writer; ngspice's raw files stay far below it
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_full_disk_keeps_written_rows_and_resume_finishes(tmp_path):
    spec = tmp_path / "big.toml"
    spec.write_text(BIG)
    ref = tmp_path / "ref.h5"
    run_campaign(make_spec_text(BIG), ref, workers=1, progress=False)
    cut = tmp_path / "cut.h5"
    proc = subprocess.run([sys.executable, "-m", "circuitlab.cli.main", "mc", "run", str(spec), "--out", str(cut),
                           "--workers", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          preexec_fn=_limit_file_size(1_500_000))  # the full file is about 5 MB
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("circuitlab: error: writing samples") and "circuitlab mc resume" in last
    # the file's end was cut mid-write, yet its finished rows are readable (mc status) and kept
    assert 0 < summary_of(cut)["done"] < 300
    summary = resume_campaign(cut, workers=1, progress=False)
    assert summary["done"] == 300 and summary["ok"] == 300
    assert_same(_rows(ref), _rows(cut))


def make_spec_text(text):
    from circuitlab.montecarlo import parse_spec
    return parse_spec(text)


def _rows(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in ROWS if k in f}


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # the process ended meanwhile
        return b""


def _children(pid: int):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def test_killed_worker_is_replaced_and_the_campaign_is_complete(tmp_path):
    """Kill a worker while samples wait at a gate (so the campaign cannot finish first on a fast machine,
    and no fixed sleep decides when), open the gate: the task is retried and the file is complete."""
    ref = tmp_path / "ref.h5"
    run_campaign(make_spec(batch=5), ref, workers=1, progress=False)
    path = tmp_path / "killed.h5"
    gate = tmp_path / "gate"
    proc = start_gated(path, f"{gate}:25", workers=2)
    wait_for_rows(path, 10, proc)  # the first task is written; samples 25 and later wait at the gate
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and time.monotonic() < deadline:
        # the pool uses forkserver: workers are children of the forkserver process, itself a child of
        # the campaign (its other multiprocessing child is the resource tracker, which must not be hit)
        servers = [p for p in _children(proc.pid) if b"forkserver" in _cmdline(p)]
        workers = [w for s in servers for w in _children(s)]
        if workers:
            os.kill(workers[0], signal.SIGKILL)
            killed = workers[0]
        time.sleep(0.02)
    assert killed is not None and proc.poll() is None  # killed mid-run
    assert summary_of(path)["done"] < 40
    gate.touch()
    assert proc.wait(timeout=120) == 0
    assert_same(rows(ref), rows(path))
