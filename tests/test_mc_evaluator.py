"""Evaluator campaigns (a Python function per run) and the per-sample seed ``mc_seed``."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from circuitlab.circuits.crossbar import CrossbarSpec, ideal_sl_voltages
from circuitlab.circuits.crossbar_solver import solve_operating_point
from circuitlab.circuits.rram_campaigns import draw_array
from circuitlab.cli.main import main
from circuitlab.errors import ConfigError, ConvergenceError, SimulationTimeout
from circuitlab.montecarlo import parse_spec, summary
from circuitlab.montecarlo.engine import resolve_mode, resume_campaign, run_campaign
from circuitlab.montecarlo.evaluate import evaluate_run, run_text
from circuitlab.montecarlo.netlists import fill_template
from circuitlab.montecarlo.sampling import SAMPLE_SEED_STREAM, columns, draw_sample, sample_seed
from circuitlab.montecarlo.outcomes import NONCONVERGED, SIM_ERROR, TIMEOUT
from circuitlab.montecarlo.worker import Task, run_task

ROOT = Path(__file__).resolve().parents[1]
IR = """
name = "ir"
evaluator = "circuitlab.circuits.rram_campaigns:ir_drop"
seed = 5
samples = 12
batch_size = {batch}
[parameters]
r_driver = 1000.0
sparse = 0.0
[sweep]
size = [8, 16]
r_wire = [0.5, 2.0]
[[variation]]
params = ["r_driver"]
sigma = 0.1
[record]
measures = ["rms", "worst"]
derived = {{ worst_over_rms = "worst / rms" }}
"""
ROWS = ("params", "status", "error", "netlist_sha256", "measures", "derived")


def ir_spec(batch=3):
    return parse_spec(IR.format(batch=batch))


def rows(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in ROWS}


def same(a, b):
    return all(np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f") for k in ROWS)


# --- mc_seed ----------------------------------------------------------------------------------
def test_mc_seed_is_the_sample_seed_stream_and_not_a_column():
    spec = ir_spec()
    d = draw_sample(spec, 4)
    state = np.random.SeedSequence(5, spawn_key=(4, SAMPLE_SEED_STREAM)).generate_state(1, np.uint64)[0]
    assert all(p["mc_seed"] == int(state) >> 1 and p["mc_sample"] == 4 for p in d.points)
    assert "mc_seed" not in columns(spec) and len(d.row) == len(columns(spec)) == 2
    # the variation of sample 4 is stream (4, 0), untouched by the extra stream
    z = np.random.default_rng(np.random.SeedSequence(5, spawn_key=(4, 0))).standard_normal(1)[0]
    assert d.row[0] == 1000.0 * (1 + 0.1 * z)
    seeds = {sample_seed(5, k) for k in range(2000)}
    assert len(seeds) == 2000 and all(0 <= s < 2 ** 63 for s in seeds)
    # sample 0 is nominal in the table but gets its own seed; nothing depends on the sample count
    assert draw_sample(spec, 0).row[0] == 1000.0 and draw_sample(spec, 0).points[0]["mc_seed"] == sample_seed(5, 0)
    assert draw_sample(spec.with_samples(99), 4).points == d.points


def test_templates_fill_mc_names_only_where_asked():
    assert fill_template("x {mc_sample} {mc_seed} {other}", {"mc_sample": 3, "mc_seed": 2 ** 62 + 1}) == \
        f"x 3 {2 ** 62 + 1} {{other}}\n"


@pytest.mark.parametrize("text, match", [
    (IR.replace("r_driver = 1000.0", "mc_gain = 1.0\nr_driver = 1000.0"), r"'mc_gain' starts with 'mc_'"),
    (IR.replace("size = [8, 16]", "mc_size = [8, 16]"), r"\[sweep\]: 'mc_size' starts with 'mc_'"),
    (IR.replace('"rms", "worst"]', '"rms", "worst", "mc_seed"]'), r"\[record\] measures: 'mc_seed' starts with"),
    (IR.replace('name = "ir"', 'name = "ir"\nbuilder = "a.b:c"'), r"exactly one of builder.*got builder, evaluator"),
    (IR.replace("rram_campaigns:ir_drop", "rram_campaigns"), r"evaluator='circuitlab.circuits.rram_campaigns' "
                                                            r"must look"),
    (IR.replace('name = "ir"', 'name = "ir"\nstack_size = 5'), r"stack_size applies to stacked netlists"),
    (IR.replace('name = "ir"', 'name = "ir"\nmode = "batch"'), r"mode='batch'; an evaluator runs in mode 'python'"),
    (IR.replace('measures = ["rms", "worst"]', 'measures = ["rms", "worst"]\nvectors = ["v(a)"]\n'
                'time = {{ start = 0.0, stop = 1.0, points = 3 }}'), r"an evaluator records scalars only"),
    (IR + '[[jitter]]\nparam = "vin"\nv1 = 0\nv2 = 1\ndelay = 1e-8\nwidth = 1e-7\nperiod = 2e-7\ncount = 1\n'
          'sigma = 1e-10\n', r"\[\[jitter\]\] makes netlist waveforms"),
])
def test_evaluator_spec_errors(text, match):
    with pytest.raises(ConfigError, match=match):
        parse_spec(text.format(batch=1))


def test_modes():
    assert ir_spec().mode == "auto" and resolve_mode(ir_spec()) == "python"
    with pytest.raises(ConfigError, match="mode 'stacked' runs netlists"):
        resolve_mode(ir_spec(), "stacked")
    builder = IR.replace('evaluator = "circuitlab.circuits.rram_campaigns:ir_drop"', 'builder = "a.b:c"')
    with pytest.raises(ConfigError, match="mode = 'python' runs an evaluator"):
        parse_spec(builder.format(batch=1).replace('name = "ir"', 'name = "ir"\nmode = "python"'))
    with pytest.raises(ConfigError, match="mode 'python' needs an evaluator"):
        resolve_mode(parse_spec(builder.format(batch=1)), "python")


# --- one run ------------------------------------------------------------------------------------
def boom(values):
    raise ValueError(f"no good at size {values['size']:g}")


def too_slow(values):
    raise SimulationTimeout(f"killed after {values['mc_timeout']:g} s")


def stuck(values):
    raise ConvergenceError("timestep too small")


def partial(values):
    return {"rms": 1.0, "colour": 2.0}


def text_result(values):
    return {"rms": "small", "worst": 1.0}


def as_list(values):
    return [1.0, 2.0]


@pytest.mark.parametrize("func, status, match", [
    ("boom", SIM_ERROR, r"evaluator '.*:boom' raised ValueError: no good at size 8"),
    ("too_slow", TIMEOUT, r"killed after 60 s"),
    ("stuck", NONCONVERGED, r"timestep too small"),
    ("partial", SIM_ERROR, r"must return exactly the \[record\] measures \(rms, worst\): missing \['worst'\], "
                           r"not recorded \['colour'\]"),
    ("text_result", SIM_ERROR, r"returned rms='small'; measures must be numbers"),
    ("as_list", SIM_ERROR, r"returned list, not a dict \{measure: float\} of rms, worst"),
])
def test_failures_become_the_run_status(func, status, match):
    import re
    spec = parse_spec(IR.format(batch=1).replace("circuitlab.circuits.rram_campaigns:ir_drop", f"{__name__}:{func}"))
    got, error, measures = evaluate_run(spec, draw_sample(spec, 1).points[0])
    assert got == status and re.search(match, error) and np.isnan(measures).all()
    result = run_task(Task(spec.text, None, 0, 2, 2, "python"))
    assert list(result.status) == [status, status] and np.isnan(result.measures).all()


def test_unknown_evaluator_is_a_config_error_before_any_file(tmp_path):
    spec = parse_spec(IR.format(batch=1).replace("rram_campaigns:ir_drop", "rram_campaigns:nothing"))
    with pytest.raises(ConfigError, match=r"evaluator 'circuitlab.circuits.rram_campaigns:nothing' cannot be imported"):
        run_campaign(spec, tmp_path / "x.h5", progress=False)
    assert not (tmp_path / "x.h5").exists()


def test_run_text_is_the_provenance():
    spec = ir_spec()
    values = draw_sample(spec, 2).points[3]
    text = run_text(spec, values)
    import hashlib
    import tomllib
    from circuitlab.circuits import rram_campaigns
    parsed = tomllib.loads(text)
    assert parsed["evaluator"] == spec.evaluator
    assert parsed["module_sha256"] == hashlib.sha256(Path(rram_campaigns.__file__).read_bytes()).hexdigest()
    assert parsed["values"] == {**values, "mc_timeout": 60.0}  # every value, exactly (floats by repr)


# --- campaigns ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("ev") / "ref.h5"
    run_campaign(ir_spec(batch=3), path, workers=1, progress=False)
    return path


def test_campaign_equals_direct_solver_calls(reference):
    r = rows(reference)
    assert summary(reference)["ok"] == 12 and r["measures"].shape == (12, 4, 2)
    for k in (0, 7):
        for p, (n, rw) in enumerate([(8, 0.5), (8, 2.0), (16, 0.5), (16, 2.0)]):
            g, x = draw_array(np.random.default_rng([sample_seed(5, k), n]), n, n, "uniform")
            cs = CrossbarSpec(g, x, r_driver=r["params"][k, 0], r_bl=rw, r_sl=rw)
            err = (solve_operating_point(cs) - ideal_sl_voltages(g, x)) / 0.1
            assert r["measures"][k, p, 0] == np.sqrt(np.mean(err ** 2))  # bit for bit: the same computation
            assert r["measures"][k, p, 1] == np.max(np.abs(err))
    assert np.array_equal(r["derived"][..., 0], r["measures"][..., 1] / r["measures"][..., 0])
    with h5py.File(reference, "r") as f:
        assert f.attrs["mode"] == "python"
        assert len(set(f["netlist_sha256"][()])) == 12


def test_two_workers_other_batches_and_prefix_give_identical_rows(reference, tmp_path):
    run_campaign(ir_spec(batch=5), tmp_path / "b.h5", workers=2, progress=False)
    assert same(rows(reference), rows(tmp_path / "b.h5"))
    run_campaign(ir_spec(batch=1), tmp_path / "n.h5", samples=5, workers=2, progress=False)
    assert all(np.array_equal(rows(reference)[k][:5], rows(tmp_path / "n.h5")[k]) for k in ROWS)


def test_killed_campaign_resumes_to_the_same_rows(reference, tmp_path):
    spec_file = tmp_path / "ir.toml"
    spec_file.write_text(ir_spec(batch=3).text)
    path = tmp_path / "k.h5"
    code = ("import os, signal, sys; import circuitlab.montecarlo.store as s; orig = s.write_rows\n"
            "def w(f, r):\n    orig(f, r); os.kill(os.getpid(), signal.SIGKILL)\n"
            "s.write_rows = w\nfrom circuitlab.montecarlo import load_spec\n"
            "from circuitlab.montecarlo.engine import run_campaign\n"
            "run_campaign(load_spec(sys.argv[1]), sys.argv[2], workers=1, progress=False)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(spec_file), str(path)], cwd=str(ROOT))
    assert proc.returncode == -9 and summary(path)["done"] == 3
    assert resume_campaign(path, workers=2, progress=False)["done"] == 12
    assert same(rows(reference), rows(path))


def test_cli_run_and_rerun_write_values_and_results(tmp_path, capsys):
    spec_file = tmp_path / "ir.toml"
    spec_file.write_text(ir_spec().text)
    out = tmp_path / "ir.h5"
    assert main(["mc", "run", str(spec_file), "--out", str(out), "--samples", "4", "--workers", "1",
                 "--no-progress"]) == 0
    assert main(["mc", "rerun", str(out), "--sample", "3"]) == 0
    text = capsys.readouterr().out
    assert "bit for bit: yes" in text and "values: " in text
    import tomllib
    folder = tmp_path / "ir.sample3"
    point = tomllib.loads((folder / "sample_3_point_2.toml").read_text())
    assert point["values"]["size"] == 16.0 and point["values"]["mc_seed"] == sample_seed(5, 3)
    result = json.loads((folder / "sample_3.json").read_text())
    assert result["status"] == "ok" and result["measures"]["rms"] == rows(out)["measures"][3, :, 0].tolist()
