"""ngspice's shared library driven through ctypes (circuitlab.sim.libngspice), as the Monte Carlo
workers use it: same numbers as ``ngspice -b``, halting on timeout, errors typed, memory flat."""
from __future__ import annotations

import ctypes
import gc
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from circuitlab.errors import NetlistError
from circuitlab.montecarlo import netlists
from circuitlab.montecarlo.sampling import draw_sample
from circuitlab.montecarlo.extract import measure_values
from circuitlab.montecarlo.launch import finish_text, start_text
from circuitlab.sim.libngspice import library

from tests.test_mc_engine import ROWS, make_spec, rows

pytestmark = pytest.mark.ngspice
ROOT = Path(__file__).resolve().parents[1]


def stacked_text(n=12):
    spec = make_spec()
    circuits, tags = [], []
    for k in range(n):
        for p, values in enumerate(draw_sample(spec, k).points):
            circuits.append(netlists.build_circuit(spec, values))
            tags.append(f"{k}p{p}")
    return netlists.stack(circuits, tags, ["v(out)", "v(in)"]), tags


@pytest.fixture(scope="module")
def lib():
    got = library()
    assert got is not None, "libngspice did not load; install libngspice0-dev"
    return got


def test_library_and_subprocess_give_identical_vectors_and_measures(lib, tmp_path):
    text, tags = stacked_text()
    via_lib, err_lib = finish_text(start_text(text, tmp_path, lib), 30)
    via_sub, err_sub = finish_text(start_text(text, tmp_path, None), 30)
    assert err_lib is None and err_sub is None
    a, b = via_lib.plots[0], via_sub.plots[0]
    assert a.kind == b.kind == "tran" and a.scale == b.scale == "time"
    assert set(a.vectors) == set(b.vectors) and len(a.vectors) == 2 * len(tags) + 1
    for name in a.vectors:  # bit for bit: the same ngspice 39 numerics, no text round trip
        assert np.array_equal(a.vectors[name], b.vectors[name]), name
    ma, mb = measure_values(via_lib.stdout), measure_values(via_sub.stdout)
    assert len(ma) == 2 * len(tags) and ma == mb


def test_timeout_halts_the_run_and_the_library_stays_usable(lib, tmp_path):
    slow = ("slow rc\nV1 in 0 PULSE(0 1 10n 1n 1n 200n 400n)\nR1 in out 1k\nC1 out 0 100p\n"
            ".tran 1p 10m\n.end\n")
    out, error = finish_text(start_text(slow, tmp_path, lib), 0.3)
    assert out.timed_out and "0.3 s" in str(error) and lib.broken is None
    text, tags = stacked_text(3)
    out, error = finish_text(start_text(text, tmp_path, lib), 30)
    assert error is None and len(out.plots[0].vectors) == 2 * len(tags) + 1


def test_a_netlist_error_is_typed_and_the_next_run_works(lib, tmp_path):
    bad = "bad\nR1 in out 1k\nC1 out 0 100p\nQ9 a b\n.tran 1n 1u\n.end\n"
    out, error = finish_text(start_text(bad, tmp_path, lib), 10)
    assert isinstance(error, NetlistError) and out.plots == []
    assert "q9" in str(error).lower()
    text, _ = stacked_text(2)
    assert finish_text(start_text(text, tmp_path, lib), 30)[1] is None


def _ngspice_plots(lib):
    """ngspice's own list of plots (ngSpice_AllPlots), e.g. ['tran1', 'const']."""
    lib._lib.ngSpice_AllPlots.restype = ctypes.POINTER(ctypes.c_char_p)
    listed, names = lib._lib.ngSpice_AllPlots(), []
    while listed and listed[len(names)]:
        names.append(listed[len(names)].decode())
    return names


def _ngspice_circuits(lib):
    """The circuits ngspice holds, as its ``setcirc`` command lists them."""
    lib._stdout.clear()
    lib.command("setcirc")
    return [line for line in lib._stdout if "circuitlab stacked netlist" in line]


def test_memory_stays_flat_over_many_runs(lib, tmp_path):
    """Counted, not measured through RSS (which depends on the allocator): ngspice's own plot and circuit
    lists hold one run after 150 runs, and the Python heap (tracemalloc: numpy buffers included) grows by
    far less than one leaked vector copy per run over those 150 runs (measured: 2-11 kB)."""
    text, _ = stacked_text(10)
    for _ in range(5):  # warm-up: caches and first plots
        out, _err = finish_text(start_text(text, tmp_path, lib), 30)
    one_vector = out.plots[0].vectors["time"].nbytes  # 1041 points x 8 B with ngspice 39 on this circuit
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(150):
            out, _err = finish_text(start_text(text, tmp_path, lib), 30)
            assert _err is None
        del out, _err  # the last run's own vectors (41 x 8.3 kB) are not a leak
        gc.collect()  # file objects in reference cycles wait for the collector: not a leak either
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert _ngspice_plots(lib) == ["tran1", "const"]  # `destroy all` each run: the numbering restarts
    assert len(_ngspice_circuits(lib)) == 1  # `remcirc` each run
    # a leak of one vector copy per run would add 150 x one_vector (1.2 MB here); what stays is the last
    # run's printed lines and caches other tests filled (2-10 kB alone, up to 9 kB more after other
    # test files): a bound of 10 vectors keeps a 15-fold margin below the smallest leak
    assert grown < 10 * one_vector, (grown, one_vector)


def test_campaign_files_equal_with_and_without_the_library(tmp_path):
    """The same campaign through the library (default) and through ``ngspice -b`` (CIRCUITLAB_MC_LIBRARY=0),
    each in its own process so that the worker processes see the setting."""
    code = ("import sys; from circuitlab.montecarlo.engine import run_campaign; "
            "from tests.test_mc_engine import make_spec; "
            "run_campaign(make_spec(batch=20), sys.argv[1], workers=1, progress=False)")
    for flag in ("1", "0"):
        env = dict(os.environ, CIRCUITLAB_MC_LIBRARY=flag)
        subprocess.run([sys.executable, "-c", code, str(tmp_path / f"lib{flag}.h5")], cwd=ROOT, env=env,
                       check=True, timeout=300)
    a, b = rows(tmp_path / "lib1.h5"), rows(tmp_path / "lib0.h5")
    for k in ROWS:
        assert np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f"), k


def test_two_threads_of_one_process_share_the_library_safely():
    """Dask may run tasks in several threads of one worker process: one thread holds the library, the
    other runs ngspice -b meanwhile, and both give what they give alone."""
    import threading

    from circuitlab.montecarlo.worker import Task, run_task
    spec = make_spec()
    tasks = [Task(spec.text, None, 0, 20, 20, "stacked"), Task(spec.text, None, 20, 40, 40, "stacked")]
    alone = [run_task(t) for t in tasks]
    together = [None, None]

    def work(i):
        together[i] = run_task(tasks[i])
    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(alone, together):
        assert np.array_equal(a.vectors, b.vectors) and np.array_equal(a.measures, b.measures, equal_nan=True)
        assert list(a.status) == list(b.status) == [0] * 20


def die_inside_the_library(task):
    """Stands in for an ngspice crash inside the library: the worker process dies whenever the task may
    use the library, and the task succeeds when retried with ngspice out of process."""
    if task.library:
        os._exit(3)
    return task.start


def test_a_task_whose_worker_died_is_retried_without_the_library():
    from circuitlab.montecarlo.executors import LocalExecutor
    from circuitlab.montecarlo.worker import Task
    tasks = [Task("", None, k, k + 1, k + 1, "stacked") for k in range(3)]
    ex = LocalExecutor(2)
    try:
        got = sorted((t.start, t.library, r) for t, r in ex.run_unordered(tasks, die_inside_the_library))
    finally:
        ex.close()
    assert got == [(0, False, 0), (1, False, 1), (2, False, 2)]


def test_named_vectors_include_branch_currents(lib, tmp_path):
    """Copying only the recorded vectors (canonical names, i(...) included) gives the subprocess values."""
    spec = make_spec()
    circuits = [netlists.build_circuit(spec, draw_sample(spec, k).points[0]) for k in range(3)]
    tags = [f"{k}p0" for k in range(3)]
    text = netlists.stack(circuits, tags, ["v(out)", "i(vin)", "v(in)"])
    names = ["time", *(netlists.rename_probes(v, t) for t in tags for v in ("v(out)", "i(vin)"))]
    via_lib, error = finish_text(start_text(text, tmp_path, lib), 30, names)
    via_sub, _ = finish_text(start_text(text, tmp_path, None), 30)
    assert error is None and sorted(via_lib.plots[0].vectors) == sorted(n.lower() for n in names)
    for name in names:
        got = via_lib.plots[0][name]
        assert np.array_equal(got, via_sub.plots[0][name]), name
    assert np.max(np.abs(via_lib.plots[0]["i(v.x1p0.vin)"])) > 1e-4  # a real current, not zeros
