"""Campaign runs with ngspice: reproducibility across workers/batches/executors, failures, files, CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from circuitlab.cli.main import main
from circuitlab.errors import SchemaError
from circuitlab.montecarlo import parse_spec, summary
from circuitlab.montecarlo.engine import resume_campaign, run_campaign

pytestmark = pytest.mark.ngspice

SPEC = """
name = "small"
builder = "circuitlab.montecarlo.examples:rc_bsource"
seed = 11
samples = 40
timeout = 20.0
batch_size = {batch}
stack_size = 10
[parameters]
r = 1000.0
c = 1e-10
g3 = {g3}
vdd = 1.0
[sweep]
vdd = [0.8, 1.0]
[[variation]]
params = ["r"]
sigma = 0.05
[[variation]]
params = ["g3"]
type = "absolute"
distribution = "{g3dist}"
{g3width}
scope = "mismatch"
[record]
vectors = ["v(out)"]
time = {{ start = 0.0, stop = 1e-6, points = 51 }}
measures = ["tdelay", "vmax"]
derived = {{ ratio = "tdelay / (r * c)" }}
"""
ROWS = ("params", "status", "error", "netlist_sha256", "vectors", "measures", "derived")


def make_spec(batch=20, g3=1e-4, g3dist="normal", g3width="sigma = 1e-5"):
    return parse_spec(SPEC.format(batch=batch, g3=g3, g3dist=g3dist, g3width=g3width))


def rows(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in ROWS}


def assert_same(a, b):
    for k in ROWS:
        assert a[k].shape == b[k].shape, k
        if a[k].dtype.kind == "f":
            assert np.array_equal(a[k], b[k], equal_nan=True), k
        else:
            assert np.array_equal(a[k], b[k]), k


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "ref.h5"
    run_campaign(make_spec(batch=20), path, workers=1, progress=False)
    return path


def test_reference_campaign_contents(reference):
    s = summary(reference)
    assert s == {"samples": 40, "done": 40, "ok": 40, "failed": 0, "spec_name": "small", "seed": 11}
    r = rows(reference)
    assert r["vectors"].shape == (40, 2, 1, 51) and r["measures"].shape == (40, 2, 2)
    # the 50 % delay of an RC is ln(2) r c; the cubic sink and finite edges shift it by a few per cent
    assert np.allclose(r["derived"][:, 1, 0], np.log(2), rtol=0.05)
    with h5py.File(reference, "r") as f:
        for key in ("spec", "seed", "circuitlab_version", "ngspice_version", "created", "nominal_netlist_sha256",
                    "schema_version"):
            assert key in f.attrs
        assert json.loads(f.attrs["vector_units"]) == {"v(out)": "V"}


def test_two_workers_and_other_batch_sizes_give_identical_files(reference, tmp_path):
    run_campaign(make_spec(batch=7), tmp_path / "b.h5", workers=2, progress=False)
    assert_same(rows(reference), rows(tmp_path / "b.h5"))


def test_first_n_samples_equal_the_full_campaign(reference, tmp_path):
    run_campaign(make_spec(batch=20), tmp_path / "n.h5", samples=13, workers=1, progress=False)
    a, b = rows(reference), rows(tmp_path / "n.h5")
    for k in ROWS:
        assert np.array_equal(a[k][:13], b[k], equal_nan=a[k].dtype.kind == "f"), k


def test_dask_local_cluster_gives_identical_file(reference, tmp_path):
    run_campaign(make_spec(batch=20), tmp_path / "d.h5", workers=2, executor="dask", progress=False)
    assert_same(rows(reference), rows(tmp_path / "d.h5"))


@pytest.mark.parametrize("mode", ["batch", "single"])
def test_batch_and_single_modes_agree(tmp_path, mode):
    spec = make_spec(batch=20).with_samples(6)
    run_campaign(spec, tmp_path / "s.h5", workers=1, progress=False, mode="single" if mode == "batch" else "batch")
    run_campaign(spec, tmp_path / "m.h5", workers=1, progress=False, mode=mode)
    assert_same(rows(tmp_path / "s.h5"), rows(tmp_path / "m.h5"))


def test_non_converging_samples_get_their_status(tmp_path):
    # g3 uniform in [-1e-2, 1e-2] A/V^3: a negative g3 is a runaway source that ngspice cannot integrate
    spec = make_spec(g3=0.0, g3dist="uniform", g3width="half_width = 1e-2").with_samples(30)
    run_campaign(spec, tmp_path / "f.h5", workers=2, progress=False)
    with h5py.File(tmp_path / "f.h5", "r") as f:
        g3 = f["params"][:, 2]
        status = f["status"][()]
        errors = f["error"][()]
    assert status[0] == 0
    assert np.all(status[g3 > 0] == 0)
    assert np.all(status[g3 < -1e-3] == 3)
    assert all(b"did not converge" in e for e in errors[g3 < -1e-3])
    assert (status == 3).sum() > 5


def gated(values):
    """rc_bsource, except that with ``CIRCUITLAB_TEST_GATE=path:k`` in the environment samples k and later
    wait (at most 120 s) until ``path`` exists: a campaign that stops at a known sample on any machine."""
    gate = os.environ.get("CIRCUITLAB_TEST_GATE")
    if gate:
        path, k = gate.rsplit(":", 1)
        deadline = time.monotonic() + 120
        while values["mc_sample"] >= int(k) and not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.01)
    from circuitlab.montecarlo.examples import rc_bsource
    return rc_bsource(values)


def gated_spec_text(batch: int) -> str:
    return make_spec(batch=batch).text.replace("circuitlab.montecarlo.examples:rc_bsource", "test_mc_engine:gated")


def start_gated(path: Path, gate: str, workers: int, batch: int = 5) -> subprocess.Popen:
    """A campaign process over ``gated_spec_text(batch)`` (rows identical to ``make_spec``'s)."""
    code = ("import sys; sys.path.insert(0, 'tests'); from circuitlab.montecarlo import parse_spec; "
            "from circuitlab.montecarlo.engine import run_campaign; from test_mc_engine import gated_spec_text; "
            f"run_campaign(parse_spec(gated_spec_text({batch})), sys.argv[1], workers={workers}, progress=False)")
    return subprocess.Popen([sys.executable, "-c", code, str(path)], cwd=str(Path(__file__).parents[1]),
                            env={**os.environ, "CIRCUITLAB_TEST_GATE": gate})


def wait_for_rows(path: Path, rows_done: int, proc: subprocess.Popen, timeout: float = 120.0) -> int:
    """Wait until the results file shows at least ``rows_done`` finished samples (or fail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the campaign ended before the expected rows were written"
        if path.exists():
            try:
                done = summary(path)["done"]
            except (SchemaError, OSError):  # created but not yet readable
                done = -1
            if done >= rows_done:
                return done
        time.sleep(0.02)
    raise AssertionError(f"{path} did not reach {rows_done} finished samples within {timeout:g} s")


def test_kill_and_resume_equals_uninterrupted(reference, tmp_path):
    """SIGKILL the campaign process at seeded points mid-run (once its file shows k finished samples; later
    samples wait at a gate, so the kill lands mid-run on any machine), then resume."""
    rng = np.random.default_rng(20261206)
    for i, k in enumerate(rng.choice(np.arange(20, 40), size=2, replace=False)):
        path = tmp_path / f"k{i}.h5"
        proc = start_gated(path, f"{tmp_path / 'never'}:{k}", workers=1)
        # tasks hold one stack group (10 samples); the group holding k and, with a spare core, the
        # group before it (its worker prefetches the next group) wait at the gate
        target = 10 * (int(k) // 10 - 1)
        wait_for_rows(path, target, proc)
        proc.kill()  # SIGKILL: no clean-up in the coordinator
        proc.wait()
        done = summary(path)["done"]
        assert target <= done <= k and done < 40  # the kill landed mid-run
        s = resume_campaign(path, workers=2, progress=False)
        assert s["done"] == 40
        assert_same(rows(reference), rows(path))


def _marked(mark: str):
    """Live processes whose environment holds CIRCUITLAB_TEST_MARK=mark (Linux /proc)."""
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if f"CIRCUITLAB_TEST_MARK={mark}".encode() in (d / "environ").read_bytes().split(b"\0"):
                    found.append(int(d.name))
            except OSError:
                pass
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_killed_coordinator_leaves_no_worker_or_fork_server(tmp_path):
    """After a SIGKILL of the campaign process its workers and fork server end too (within seconds)."""
    mark = f"{os.getpid()}-{time.time_ns()}"
    code = ("import sys; from circuitlab.montecarlo.engine import run_campaign; "
            "from tests.test_mc_engine import make_spec; "
            "run_campaign(make_spec(batch=5).with_samples(4000), sys.argv[1], workers=2, progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "k.h5")], cwd=str(Path(__file__).parents[1]),
                            env={**os.environ, "CIRCUITLAB_TEST_MARK": mark})
    try:  # 4000 samples keep both workers busy for minutes: the kill lands mid-run on any machine
        deadline = time.time() + 180  # generous: process starts took > 60 s on a loaded 2-core machine
        while len(_marked(mark)) < 4 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)  # coordinator, fork server, 2 workers
        assert len(_marked(mark)) >= 4 and proc.poll() is None
    finally:
        proc.kill()
        proc.wait()
    deadline = time.time() + 15
    while _marked(mark) and time.time() < deadline:
        time.sleep(0.1)
    assert _marked(mark) == []


def test_kill_at_random_points_in_the_writer(reference, tmp_path):
    """SIGKILL the coordinator right after a random number of row writes, then resume."""
    for n_writes in (1, 3):
        path = tmp_path / f"w{n_writes}.h5"
        code = ("import os, signal, sys; import circuitlab.montecarlo.store as s; orig = s.write_rows; n = [0]\n"
                "def w(f, r):\n    orig(f, r); n[0] += 1\n    if n[0] == int(sys.argv[2]): os.kill(os.getpid(), signal.SIGKILL)\n"
                "s.write_rows = w\nfrom circuitlab.montecarlo.engine import run_campaign\n"
                "from tests.test_mc_engine import make_spec\n"
                "run_campaign(make_spec(batch=10), sys.argv[1], workers=1, progress=False)\n")
        proc = subprocess.run([sys.executable, "-c", code, str(path), str(n_writes)],
                              cwd=str(__import__("pathlib").Path(__file__).parents[1]))
        assert proc.returncode == -9
        assert summary(path)["done"] == 10 * n_writes
        resume_campaign(path, workers=1, progress=False)
        assert_same(rows(reference), rows(path))


def test_bad_files_raise_schema_error_and_are_untouched(tmp_path):
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    with pytest.raises(SchemaError, match="not a readable HDF5 file"):
        summary(junk)
    with pytest.raises(SchemaError, match="not a readable HDF5 file"):
        resume_campaign(junk)
    assert junk.read_bytes() == b"not hdf5 at all"
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f.attrs["format"] = "something.else"
    with pytest.raises(SchemaError, match="not a circuitlab campaign file"):
        resume_campaign(foreign)
    newer = tmp_path / "newer.h5"
    with h5py.File(newer, "w") as f:
        f.attrs["format"] = "circuitlab.montecarlo.campaign"
        f.attrs["schema_version"] = 99
    with pytest.raises(SchemaError, match="schema version 99, newer than 1"):
        summary(newer)
    with pytest.raises(SchemaError, match="does not exist"):
        summary(tmp_path / "missing.h5")


def test_cli_run_status_inspect_rerun(tmp_path, capsys):
    spec = tmp_path / "c.toml"
    spec.write_text(make_spec().text)
    out = tmp_path / "c.h5"
    assert main(["mc", "run", str(spec), "--out", str(out), "--samples", "12", "--workers", "1",
                 "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["mc", "status", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"samples": 12, "done": 12, "ok": 12, "failed": 0,
                                                   "spec_name": "small", "seed": 11}
    assert main(["mc", "run", str(spec), "--out", str(out)]) == 1  # never overwrites
    assert main(["mc", "inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "tdelay" in text and (tmp_path / "c.tdelay_0_.png").exists()
    assert main(["mc", "rerun", str(out), "--sample", "7"]) == 0
    text = capsys.readouterr().out
    assert "bit for bit: yes" in text
    assert (tmp_path / "c.sample7" / "sample_7_point_0.cir").read_text().startswith("rc plus cubic")


def test_worker_with_and_without_overlap_gives_identical_rows():
    """A worker that prepares the next stack group while ngspice runs (a spare core) and one that does
    one thing at a time (every core busy) return the same numbers bit for bit."""
    from circuitlab.montecarlo.engine import spare_core
    from circuitlab.montecarlo.worker import Task, run_task
    spec = make_spec(batch=20)
    a = run_task(Task(spec.text, None, 3, 37, 40, "stacked", overlap=True))
    b = run_task(Task(spec.text, None, 3, 37, 40, "stacked", overlap=False))
    for name in ("params", "status", "vectors", "measures", "derived"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    assert a.hashes == b.hashes and a.errors == b.errors and (a.status == 0).all()
    assert spare_core(1, "tcp://10.0.0.1:8786") and not spare_core(10 ** 6)


def test_prefetched_next_group_gives_identical_rows():
    """With a spare core a worker prepares the group after its task while ngspice runs the last one;
    the next task then starts from it. Its rows equal those of a worker that prepared nothing."""
    from circuitlab.montecarlo import stacked, worker
    spec = make_spec(batch=20)
    worker.run_task(worker.Task(spec.text, None, 0, 20, 20, "stacked", overlap=True))
    assert (spec.text, 20, 30) in stacked._NEXT
    a = worker.run_task(worker.Task(spec.text, None, 20, 40, 40, "stacked", overlap=True))
    stacked._NEXT.clear()
    b = worker.run_task(worker.Task(spec.text, None, 20, 40, 40, "stacked", overlap=False))
    for name in ("params", "status", "vectors", "measures", "derived"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    assert a.hashes == b.hashes and (a.status == 0).all()


def _pid(_task):
    return os.getpid()


def test_local_pool_runs_as_many_processes_as_asked():
    """Every worker of a pool is started before the first task (the start calls wait for each other), so
    the tasks are spread over exactly ``workers`` processes, however fast the first one is."""
    from circuitlab.montecarlo.executors import LocalExecutor
    ex = LocalExecutor(2)
    ex.start()
    try:
        pids = {pid for _, pid in ex.run_unordered(range(8), _pid)}
        assert len(ex._pool._processes) == 2 and pids <= set(ex._pool._processes)
    finally:
        ex.close()
