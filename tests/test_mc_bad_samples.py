"""One bad sample costs one sample: builder, evaluator and derived-expression failures become that
sample's sim_error (naming the sample and the exception, the same text in every mode) and the campaign
goes on; a broken spec or nominal circuit is a ConfigError before any worker starts. Real ngspice,
real HDF5 files."""
from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from circuitlab.cli.main import main
from circuitlab.errors import ConfigError
from circuitlab.montecarlo import load_spec, parse_spec, summary
from circuitlab.montecarlo.engine import resume_campaign, run_campaign
from circuitlab.montecarlo.examples import rc_bsource
from circuitlab.montecarlo.outcomes import OK, SIM_ERROR
from circuitlab.montecarlo.worker import Task, run_task

pytestmark = pytest.mark.ngspice
ROOT = Path(__file__).resolve().parents[1]
HERE = __name__  # builders below are found by workers as "<this module>:<function>"
BAD = (5, 18, 31)  # the samples the picky builder and evaluator refuse


def picky(values):
    """rc_bsource, except for samples BAD (a builder that raises for some samples)."""
    if values["mc_sample"] in BAD:
        raise ValueError(f"no model for sample {values['mc_sample']}")
    return rc_bsource(values)


def slow_some(values):
    """rc_bsource with a 100 times larger C for samples BAD: v(out) never reaches vdd/2 in 1 us."""
    return rc_bsource({**values, "c": values["c"] * (100 if values["mc_sample"] in BAD else 1)})


def needs_key(values):
    return rc_bsource({**values, "r": values["r_missing"]})


def picky_evaluator(values):
    if values["mc_sample"] in BAD:
        raise ValueError(f"no model for sample {values['mc_sample']}")
    return {"tdelay": math.log(2) * values["r"] * values["c"]}


def broken_simulation(values):
    """An evaluator whose own ngspice run fails for odd samples (a netlist ngspice cannot parse)."""
    from circuitlab import simulate
    bad = values["mc_sample"] % 2 == 1
    text = f"rc\nV1 in 0 DC 1\nR1 in out {values['r']!r}\nC1 out 0 1n{' foo=' if bad else ''}\n.op\n.end\n"
    return {"tdelay": float(simulate(text, timeout=values["mc_timeout"])["v(out)"][0])}


RC = 'builder = "circuitlab.montecarlo.examples:rc_bsource"'
SPEC = """
name = "bad_samples"
{source}
seed = 3
samples = {samples}
timeout = 20.0
batch_size = 16
{extra}
[parameters]
r = 1000.0
c = 1e-10
g3 = 1e-4
vdd = 1.0
[[variation]]
params = ["r"]
type = "absolute"
sigma = {sigma}
[record]
measures = [{measures}]
{derived}
"""


def make(source=f'builder = "{HERE}:picky"', samples=40, sigma=10.0, measures='"tdelay"', derived="", extra=""):
    return SPEC.format(source=source, samples=samples, sigma=sigma, measures=measures, derived=derived, extra=extra)


def read(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in ("params", "status", "error", "measures")}


def expected_error(role, k):
    return f"sample {k}: {role} '{HERE}:picky{'_evaluator' if role == 'evaluator' else ''}' raised ValueError: no model for sample {k}"


def check_3_of_40(got, role):
    status, errors = got["status"], [e.decode() for e in got["error"]]
    assert sorted(np.flatnonzero(status != OK).tolist()) == list(BAD)
    assert (status[list(BAD)] == SIM_ERROR).all() and (status == OK).sum() == 37
    assert [errors[k] for k in BAD] == [expected_error(role, k) for k in BAD]
    ok = status == OK
    # the 50 % delay of an RC is ln(2) r c; the cubic sink and finite edges shift it by a few per cent
    r, c = got["params"][ok, 0], got["params"][ok, 1]
    assert np.allclose(got["measures"][ok, 0, 0] / (r * c), math.log(2), rtol=0.05)
    assert np.isnan(got["measures"][~ok]).all()


@pytest.mark.parametrize("mode", ["stacked", "batch", "single"])
def test_builder_raising_for_3_of_40_samples_costs_3_samples(tmp_path, mode):
    run_campaign(parse_spec(make()), tmp_path / "p.h5", mode=mode, workers=2, progress=False)
    got = read(tmp_path / "p.h5")
    check_3_of_40(got, "builder")
    assert summary(tmp_path / "p.h5")["ok"] == 37


def test_same_rows_in_the_library_and_in_ngspice_subprocesses(tmp_path):
    spec = parse_spec(make(extra="stack_size = 10"))
    lib = run_task(Task(spec.text, None, 0, 40, 40, "stacked", library=True))
    sub = run_task(Task(spec.text, None, 0, 40, 40, "stacked", library=False))
    assert lib.errors == sub.errors and np.array_equal(lib.status, sub.status)
    check_3_of_40({"params": sub.params, "status": sub.status, "measures": sub.measures,
                   "error": [e.encode() for e in sub.errors]}, "builder")


def test_evaluator_raising_for_3_of_40_samples_costs_3_samples(tmp_path):
    spec = parse_spec(make(source=f'evaluator = "{HERE}:picky_evaluator"'))
    run_campaign(spec, tmp_path / "e.h5", workers=2, progress=False)
    got = read(tmp_path / "e.h5")
    check_3_of_40(got, "evaluator")
    ok = got["status"] == OK
    assert np.array_equal(got["measures"][ok, 0, 0], math.log(2) * got["params"][ok, 0] * got["params"][ok, 1])


def test_negative_resistance_drawn_in_a_tail_sample_costs_that_sample(tmp_path):
    spec = parse_spec(make(source=RC, sigma=400.0))
    run_campaign(spec, tmp_path / "n.h5", workers=1, progress=False)
    got = read(tmp_path / "n.h5")
    negative = got["params"][:, 0] <= 0
    assert 0 < negative.sum() < 40  # sigma 0.4 of nominal: a few of 40 draws fall below zero
    assert (got["status"][negative] == SIM_ERROR).all() and (got["status"][~negative] == OK).all()
    for k in np.flatnonzero(negative):
        assert got["error"][k].decode() == (f"sample {k}: builder 'circuitlab.montecarlo.examples:rc_bsource' raised "
                                             f"InvalidValueError: R1: resistance={float(got['params'][k, 0])!r} must be > 0")


def test_error_in_the_nominal_build_is_a_config_error_before_the_run(tmp_path):
    spec = parse_spec(make(source=f'builder = "{HERE}:needs_key"'))
    with pytest.raises(ConfigError, match=r"^the nominal circuit cannot be built: builder '.*:needs_key' raised "
                                          r"KeyError: 'r_missing'; fix the builder"):
        run_campaign(spec, tmp_path / "k.h5", workers=2, progress=False)
    assert not (tmp_path / "k.h5").exists()


TEMPLATE = '''template = """rc
V1 in 0 PULSE(0 {vdd} 10n 1n 1n 200n 400n)
R1 in out {r}
C1 out 0 {c}%s
.tran 1n 1u
.meas tran tdelay TRIG v(in) VAL=0.5 RISE=1 TARG v(out) VAL=0.5 RISE=1
.end
"""'''


def test_template_placeholder_missing_from_the_parameters_is_a_config_error():
    with pytest.raises(ConfigError, match=r"template: placeholder \{rload\} names no entry of \[parameters\], "
                                          r"\[sweep\] or \[\[jitter\]\]"):
        parse_spec(make(source=TEMPLATE % "\nR2 out 0 {rload}"))
    # a name the template defines for ngspice itself is not a placeholder of ours
    spec = parse_spec(make(source=TEMPLATE % "\n.param rl=1e6\nR2 out 0 {rl}"))
    assert "{rl}" in spec.template


@pytest.mark.parametrize("mode", ["stacked", "batch", "single"])
def test_unknown_measure_or_vector_is_a_config_error_before_the_run(tmp_path, mode):
    bad_measure = parse_spec(make(measures='"tdelay", "nosuch"'))
    with pytest.raises(ConfigError, match=r"\[record\] measures: 'nosuch' is not a .meas of the nominal circuit "
                                          r"\(builder '.*:picky' defines tdelay, vmax\)"):
        run_campaign(bad_measure, tmp_path / "m.h5", mode=mode, progress=False)
    vectors = 'vectors = ["v(out)", "v(nowhere)"]\ntime = { start = 0.0, stop = 1e-6, points = 11 }'
    bad_vector = parse_spec(make(derived=vectors))
    with pytest.raises(ConfigError, match=r"\[record\] vectors: 'v\(nowhere\)' names node 'nowhere', which the "
                                          r"nominal circuit"):
        run_campaign(bad_vector, tmp_path / "v.h5", mode=mode, progress=False)
    assert not (tmp_path / "m.h5").exists() and not (tmp_path / "v.h5").exists()


def test_unknown_measure_of_a_template_is_a_config_error(tmp_path):
    spec = parse_spec(make(source=TEMPLATE % "", measures='"tdelay", "vmax"'))
    with pytest.raises(ConfigError, match=r"'vmax' is not a .meas of the nominal circuit \(the template defines "
                                          r"tdelay\)"):
        run_campaign(spec, tmp_path / "t.h5", progress=False)


def test_binary_or_non_utf8_spec_is_a_config_error(tmp_path, capsys):
    latin = tmp_path / "latin.toml"
    latin.write_bytes(make().replace("bad_samples", "caf\xe9").encode("latin-1"))
    with pytest.raises(ConfigError, match=r"campaign spec '.*latin.toml' is not UTF-8 text \(byte \d+: b'\\xe9'\)"):
        load_spec(latin)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"name = 1\0\0\0")
    with pytest.raises(ConfigError, match=r"campaign spec '.*binary.toml' is a binary file"):
        load_spec(binary)
    assert main(["mc", "run", str(latin), "--out", str(tmp_path / "x.h5")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("circuitlab: error: campaign spec")


def test_derived_expression_error_is_each_sample_error_and_resume_works(tmp_path):
    huge = "1" + "0" * 400
    spec = parse_spec(make(source=RC, samples=6, derived=f'derived = {{ big = "{huge} * r", half = "tdelay / 2" }}'))
    run_campaign(spec, tmp_path / "d.h5", workers=1, progress=False)
    got = read(tmp_path / "d.h5")
    assert (got["status"] == SIM_ERROR).all()
    for k, e in enumerate(got["error"]):
        assert e.decode() == f"sample {k}: derived 'big' raised OverflowError: int too large to convert to float"
    s = resume_campaign(tmp_path / "d.h5", workers=1, progress=False)
    assert s["done"] == 6 and s["failed"] == 6


def _cli(args, tmpdir: Path):
    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    env.pop("CIRCUITLAB_KEEP_RUNS", None)
    return subprocess.run([sys.executable, "-m", "circuitlab.cli.main", "mc", *args, "--workers", "2",
                           "--no-progress"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_cli_exit_codes_summaries_and_no_temporary_folders_left(tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    # every sample fails: exit 1, one line on stderr naming the count and the first error
    every = tmp_path / "every.toml"
    every.write_text(make(source=RC, samples=6, derived=f'derived = {{ big = "1{"0" * 400} * r" }}'))
    proc = _cli(["run", str(every), "--out", str(tmp_path / "every.h5")], tmpdir)
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if not line[:4].isdigit()]  # not the progress lines
    assert len(errors) == 1 and errors[0].startswith("circuitlab: error: no sample succeeded (6 of 6 failed; "
                                                     "first error: sample 0: derived 'big' raised OverflowError: ")
    proc = _cli(["resume", str(tmp_path / "every.h5")], tmpdir)
    assert proc.returncode == 1 and "no sample succeeded" in proc.stderr
    # some samples fail: exit 0, the count and the first distinct errors
    some = tmp_path / "some.toml"
    some.write_text(make())
    proc = _cli(["run", str(some), "--out", str(tmp_path / "some.h5")], tmpdir)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert "bad_samples: 40/40 samples done, 37 ok, 3 failed" in out and "3 samples failed; first distinct errors:" in out
    assert [f"  [sim_error] {expected_error('builder', k)}" for k in BAD] == out[-3:]
    # an evaluator whose own ngspice runs fail (simulate's circuitlab-run-* folders) in worker processes
    sims = tmp_path / "sims.toml"
    sims.write_text(make(source=f'evaluator = "{HERE}:broken_simulation"', samples=6))
    proc = _cli(["run", str(sims), "--out", str(tmp_path / "sims.h5")], tmpdir)
    assert proc.returncode == 0 and "3 samples failed" in proc.stdout, proc.stderr
    assert summary(tmp_path / "sims.h5")["ok"] == 3
    assert [p.name for p in tmpdir.iterdir() if p.name.startswith("circuitlab-")] == []


def test_rerun_of_a_sample_whose_builder_raised_is_a_one_line_error(tmp_path, capsys):
    spec = tmp_path / "p.toml"
    spec.write_text(make(samples=8))
    assert main(["mc", "run", str(spec), "--out", str(tmp_path / "p.h5"), "--workers", "1", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["mc", "rerun", str(tmp_path / "p.h5"), "--sample", "5"]) == 1
    assert capsys.readouterr().err == f"circuitlab: error: {expected_error('builder', 5)}\n"


def test_failed_measure_has_the_same_text_in_every_mode(tmp_path):
    spec = parse_spec(make(source=f'builder = "{HERE}:slow_some"', measures='"tdelay", "vmax"'))
    errors = {}
    for mode in ("stacked", "batch", "single"):
        run_campaign(spec, tmp_path / f"{mode}.h5", mode=mode, workers=1, progress=False)
        got = read(tmp_path / f"{mode}.h5")
        errors[mode] = [e.decode() for e in got["error"]]
        # tau = 10 us for samples BAD: v(out) stays below 1 - exp(-0.2) = 0.18 V < 0.5 V in 1 us
        assert np.isnan(got["measures"][list(BAD), 0, 0]).all() and (got["measures"][list(BAD), 0, 1] < 0.2).all()
    assert [errors["stacked"][k] for k in BAD] == ["measure failed: tdelay"] * 3
    assert errors["stacked"] == errors["batch"] == errors["single"]
