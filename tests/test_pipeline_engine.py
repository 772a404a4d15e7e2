"""The pipeline engine: stages skipped when their inputs' hashes match, re-run when an option or an input
changes, and a pipeline killed mid-stage (a real SIGKILL of its process) restarts at that stage."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from circuitlab.cli.pipeline import Stage, run_pipeline
from circuitlab.errors import CircuitlabError


def _stages(calls):
    def a(opt, folder, inputs):
        calls.append("a")
        (folder / "a.txt").write_text(f"a {opt['n']}")
        return {"outputs": {"a": folder / "a.txt"}, "metrics": {"n": opt["n"]}}

    def b(opt, folder, inputs):
        calls.append("b")
        (folder / "b.txt").write_text(inputs["a"]["a"].read_text() + " b")
        return {"outputs": {"b": folder / "b.txt"}}

    def c(opt, folder, inputs):
        calls.append("c")
        (folder / "c.txt").write_text(f"c {opt['m']}")
        return {"outputs": {"c": folder / "c.txt"}}
    return [Stage("a", "A", a, (), ("n",)), Stage("b", "B", b, ("a",), ()), Stage("c", "C", c, (), ("m",))]


def test_skip_rerun_on_change(tmp_path):
    calls = []
    st = _stages(calls)
    run_pipeline(st, tmp_path, {"n": 1, "m": 1}, say=lambda m: None)
    assert calls == ["a", "b", "c"]
    rec = json.loads((tmp_path / "b" / "stage.json").read_text())
    assert rec["outputs"] == {"b": "b.txt"} and len(rec["output_hashes"]["b"]) == 64
    run_pipeline(st, tmp_path, {"n": 1, "m": 1}, say=lambda m: None)
    assert calls == ["a", "b", "c"]                 # everything up to date
    run_pipeline(st, tmp_path, {"n": 1, "m": 2}, say=lambda m: None)
    assert calls[3:] == ["c"]                        # only the stage whose option changed
    run_pipeline(st, tmp_path, {"n": 2, "m": 2}, say=lambda m: None)
    assert calls[4:] == ["a", "b"]                   # a changed, so did b's input
    (tmp_path / "b" / "b.txt").write_text("tampered")
    run_pipeline(st, tmp_path, {"n": 2, "m": 2}, say=lambda m: None)
    assert calls[6:] == ["b"] and (tmp_path / "b" / "b.txt").read_text() == "a 2 b"
    with pytest.raises(CircuitlabError, match="not up to date and not in --only"):
        run_pipeline(st, tmp_path, {"n": 3, "m": 2}, only=["c"], say=lambda m: None)


def test_a_stage_whose_code_changed_runs_again(tmp_path):
    calls = []
    st = _stages(calls)
    run_pipeline(st, tmp_path, {"n": 1, "m": 1}, say=lambda m: None)

    def c_resized(opt, folder, inputs):             # the same stage with other built-in sizes
        calls.append("c2")
        (folder / "c.txt").write_text(f"c {opt['m']} resized")
        return {"outputs": {"c": folder / "c.txt"}}
    run_pipeline(st[:2] + [Stage("c", "C", c_resized, (), ("m",))], tmp_path, {"n": 1, "m": 1}, say=lambda m: None)
    assert calls == ["a", "b", "c", "c2"]


SCRIPT = textwrap.dedent("""
    import os, signal, sys, time
    from pathlib import Path
    from circuitlab.cli.pipeline import Stage, run_pipeline
    out = Path(sys.argv[1])
    def first(opt, folder, inputs):
        (folder / "one.txt").write_text("1")
        return {"outputs": {"one": folder / "one.txt"}}
    def second(opt, folder, inputs):
        (folder / "partial.txt").write_text("half")
        if os.environ.get("KILL_IN_SECOND"):
            os.kill(os.getpid(), signal.SIGKILL)
        (folder / "two.txt").write_text("2")
        return {"outputs": {"two": folder / "two.txt"}}
    run_pipeline([Stage("first", "first", first), Stage("second", "second", second, ("first",))], out, {})
""")


def test_resume_after_a_kill_mid_stage(tmp_path):
    script = tmp_path / "pipe.py"
    script.write_text(SCRIPT)
    out = tmp_path / "out"
    env = {**os.environ, "KILL_IN_SECOND": "1"}
    p = subprocess.run([sys.executable, str(script), str(out)], env=env, capture_output=True, text=True)
    assert p.returncode == -signal.SIGKILL
    assert (out / "first" / "stage.json").is_file()            # the finished stage is recorded
    assert not (out / "second" / "stage.json").exists()         # the killed one is not
    env.pop("KILL_IN_SECOND")
    p = subprocess.run([sys.executable, str(script), str(out)], env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "[1/2] first: up to date" in p.stdout and "[2/2] second: done" in p.stdout
    assert (out / "second" / "two.txt").read_text() == "2"
