"""``circuitlab eval snn`` end to end on a tiny run: the JSON shape the issue names, the files, typed errors."""
import json

import pytest

from circuitlab.cli.main import main


def test_eval_snn_tiny_run_writes_tables_plots_and_json(tmp_path, capsys):
    out = tmp_path / "snn"
    rc = main(["eval", "snn", "--data", "gesture-synth", "--per-class", "3", "--epochs", "1", "--seeds", "2",
               "--variation", "0,40", "--frames", "3", "--transfer", "none", "--quick", "--device", "auto",
               "--threads", "1", "--out", str(out), "--json"])
    assert rc == 0
    s = json.loads(capsys.readouterr().out)
    assert set(s) >= {"baseline", "p2m", "ci95", "bandwidth", "energy"}
    assert set(s["p2m"]) == {"0", "40"} and s["seeds"] == [0, 1]
    assert s["hardware"]["device"] == "cpu" and s["data"]["classes"] == 11
    for name in ("snn_results.json", "table1.csv", "table1.md", "config.json", "table1.png", "bandwidth_energy.png",
                 "events.png"):
        assert (out / name).stat().st_size > 0, name
    rows = (out / "table1.csv").read_text().splitlines()
    assert rows[0].startswith("network,accuracy_pct") and len(rows) == 1 + 1 + 2


@pytest.mark.parametrize("argv, msg", [(["--variation", "0,x"], "comma-separated integers"),
                                       (["--variation", "0,140"], "0..100"),
                                       (["--seeds", "0"], "count K >= 1"),
                                       (["--l1", "-0.1"], "--l1 -0.1"),
                                       (["--data", "mnist-dvs"], "KIND:PATH")])
def test_eval_snn_bad_arguments_are_one_line_errors(tmp_path, capsys, argv, msg):
    assert main(["eval", "snn", "--out", str(tmp_path / "x"), "--quick", "--per-class", "1", "--epochs", "1",
                 "--seeds", "1"] + argv) == 1
    assert msg in capsys.readouterr().err


def test_mismatch_flag_reaches_the_p2m_layer(tmp_path):
    from circuitlab.cli.eval_snn import experiment_from_args
    from circuitlab.cli.main import build_parser
    from circuitlab.eval.snn import make_first
    args = build_parser().parse_args(["eval", "snn", "--quick", "--mismatch", "device", "--read-noise", "random",
                                      "--out", str(tmp_path)])
    cfg = experiment_from_args(args).snn
    assert cfg.p2m_kw == {"mismatch": "device", "read_noise": "random"}
    first = make_first("p2m", cfg, 0.4, 2, 0)
    assert (first.mismatch, first.read_noise) == ("device", "random")
    default = experiment_from_args(build_parser().parse_args(["eval", "snn", "--quick", "--out", str(tmp_path)]))
    first = make_first("p2m", default.snn, 0.4, 2, 0)
    assert (first.mismatch, first.read_noise) == ("event", "lower")
    assert default.l1 == 0.01
    l1 = build_parser().parse_args(["eval", "snn", "--quick", "--l1", "0.05", "--out", str(tmp_path)])
    assert experiment_from_args(l1).l1 == 0.05


@pytest.mark.parametrize("text, want", [("3", 3), ("2,3", (2, 3)), ("0-2", (0, 1, 2)), ("2-2", (2,)),
                                        ("4,0-1", (0, 1, 4))])
def test_seeds_take_a_count_or_a_list(text, want):
    from circuitlab.cli.eval_snn import parse_seeds
    assert parse_seeds(text) == want


@pytest.mark.parametrize("text", ["0", "2-1", "a,b", "-1", ","])
def test_bad_seed_lists_are_typed_errors(text):
    from circuitlab.cli.eval_snn import parse_seeds
    from circuitlab.errors import ConfigError
    with pytest.raises(ConfigError, match="--seeds"):
        parse_seeds(text)


def test_a_table_split_over_seed_lists_merges_into_the_whole_table(tmp_path, capsys):
    """Seeds 0 and 1 run in two folders; their cells copied into a third give, with --seeds 2 and no training,
    the table a single run computes (the same seed trains the same network)."""
    import shutil
    common = ["eval", "snn", "--data", "gesture-synth", "--per-class", "2", "--epochs", "1", "--variation", "40",
              "--frames", "2", "--transfer", "none", "--quick", "--threads", "1", "--json"]

    def run(folder, seeds):
        assert main(common + ["--seeds", seeds, "--out", str(tmp_path / folder)]) == 0
        return json.loads(capsys.readouterr().out)

    whole = run("whole", "2")
    part0, part1 = run("a", "0-0"), run("b", "1,1")
    assert part0["seeds"] == [0] and part1["seeds"] == [1]
    merged = tmp_path / "merged" / "cells"
    merged.mkdir(parents=True)
    for folder in ("a", "b"):
        for f in (tmp_path / folder / "cells").glob("table1-*.json"):
            shutil.copy(f, merged / f.name)
    shutil.copy(tmp_path / "a" / "cells" / "fig7.json", merged / "fig7.json")
    got = run("merged", "2")
    assert got["seeds"] == [0, 1]
    assert got["baseline"] == pytest.approx(whole["baseline"], abs=1e-9)
    assert got["p2m"] == pytest.approx(whole["p2m"], abs=1e-9)
    assert got["energy"] == whole["energy"]     # the same cell, read back
