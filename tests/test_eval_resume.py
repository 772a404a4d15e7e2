"""Resumable evaluations (circuitlab.eval.resume): finished units are kept, an interrupted run continues where
it stopped with the same results as an uninterrupted one, and other settings are refused rather than mixed."""
import json

import pytest

from circuitlab.errors import ConfigError
from circuitlab.eval.resume import Cells, fingerprint_of


def test_cells_store_reuse_and_refuse_other_settings(tmp_path):
    fp = fingerprint_of({"epochs": 3, "seeds": [0, 1]}, ("p2m_f1",))
    assert len(fp["models"]["p2m_f1"]) == 64                  # SHA-256 of the built-in model file
    cells = Cells(tmp_path, fp)
    calls = []
    assert cells.run("a/b", lambda: calls.append(1) or {"acc": 0.5}) == {"acc": 0.5}
    assert cells.run("a/b", lambda: calls.append(1) or {"acc": 0.9}) == {"acc": 0.5}
    assert calls == [1] and cells.reused == 1
    # a new process with the same settings sees the stored cell
    assert Cells(tmp_path, fp).get("a/b") == {"acc": 0.5}
    # other settings: refused, naming what differs; --fresh (resume=False) discards the old cells
    other = fingerprint_of({"epochs": 4, "seeds": [0, 1]}, ("p2m_f1",))
    with pytest.raises(ConfigError, match=r"settings\.epochs.*--fresh"):
        Cells(tmp_path, other)
    fresh = Cells(tmp_path, other, resume=False)
    assert fresh.get("a/b") is None
    assert json.loads((tmp_path / "cells" / "fingerprint.json").read_text()) == other


def test_a_cell_cut_short_is_computed_again(tmp_path):
    cells = Cells(tmp_path, fingerprint_of({"x": 1}))
    cells.put("k", {"v": 1})
    cells._path("k").write_text('{"v": ')                    # a write cut short (full disk, kill)
    assert cells.run("k", lambda: {"v": 2}) == {"v": 2}
    assert Cells(tmp_path, fingerprint_of({"x": 1})).get("k") == {"v": 2}


class _Stop(Exception):
    pass


def test_interrupted_snn_experiment_resumes_with_the_same_results(tmp_path):
    torch = pytest.importorskip("torch")
    from circuitlab.eval.snn_run import quick_experiment, run_snn_experiment

    torch.set_num_threads(1)
    exp = quick_experiment(data="gesture-synth", n_per_class=3, frames=3, seeds=1, variations=(0,), transfer=None)
    exp = type(exp)(**{**exp.__dict__, "snn": type(exp.snn)(**{**exp.snn.__dict__, "epochs": 1})})

    def counting(log):
        def say(m):
            if m.startswith("epoch"):
                log.append(m)
        return say

    whole = []
    ref = run_snn_experiment(exp, tmp_path / "whole", progress=counting(whole))
    trained = len(whole)                                   # 2 for Table 1 + 3 for Fig. 7
    assert trained == 5

    def stop_at_second(log):
        def say(m):
            if m.startswith("epoch"):
                log.append(m)
                if len(log) == 2:
                    raise _Stop
        return say

    first = []
    with pytest.raises(_Stop):
        run_snn_experiment(exp, tmp_path / "cut", progress=stop_at_second(first))
    second = []
    got = run_snn_experiment(exp, tmp_path / "cut", progress=counting(second))
    assert len(second) == trained - 1                     # the finished baseline was not trained again
    for key in ("baseline", "p2m", "ci95", "bandwidth", "energy"):
        assert got[key] == ref[key], key
    # more seeds and another variation level extend the folder: only the new networks are trained
    more = []
    wider = run_snn_experiment(type(exp)(**{**exp.__dict__, "seeds": 2, "variations": (0, 40)}), tmp_path / "cut",
                               progress=counting(more))
    assert len(more) == 4                                  # seed 1 baseline and P2M 0 %, P2M 40 % for seeds 0, 1
    assert set(wider["p2m"]) == {"0", "40"}
    # the kept network trained at 0 % is tested at the new level without training: 2 seeds at 0 % and 40 %
    assert set(wider["deployed"]["accuracy"]) == {"0", "40"} and wider["deployed"]["accuracy"]["0"] == wider["p2m"]["0"]
    with pytest.raises(ConfigError, match="other settings"):
        run_snn_experiment(type(exp)(**{**exp.__dict__, "n_per_class": 4}), tmp_path / "cut")


def test_interrupted_resnet_experiment_resumes_at_the_next_seed(tmp_path):
    torch = pytest.importorskip("torch")
    from circuitlab.eval.rram_resnet import BARS, quick_experiment, run_resnet_experiment

    torch.set_num_threads(1)
    exp = quick_experiment(seeds=2, size=8, n_train=64, n_test=32, epochs=1, noise_epochs=1, finetune_epochs=1,
                           batch=32, device="cpu", sweep_times=(1.0,), sweep_adc_bits=(4,), sweep_r_wire=(1.0,))
    ref = run_resnet_experiment(exp, tmp_path / "whole")

    def stop_in_seed_1(m):
        if m.startswith("seed 1:"):
            raise _Stop

    with pytest.raises(_Stop):
        run_resnet_experiment(exp, tmp_path / "cut", progress=stop_in_seed_1)
    said = []
    got = run_resnet_experiment(exp, tmp_path / "cut", progress=said.append)
    assert not [m for m in said if m.startswith("seed 0:")]          # seed 0 was read back, not trained again
    assert any(m.startswith("resumed: 1 finished") for m in said)
    for k in BARS:
        assert got["per_seed"][k] == ref["per_seed"][k], k
