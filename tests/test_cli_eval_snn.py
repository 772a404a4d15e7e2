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
                                       (["--seeds", "0"], "at least 1"),
                                       (["--data", "mnist-dvs"], "KIND:PATH")])
def test_eval_snn_bad_arguments_are_one_line_errors(tmp_path, capsys, argv, msg):
    assert main(["eval", "snn", "--out", str(tmp_path / "x"), "--quick", "--per-class", "1", "--epochs", "1",
                 "--seeds", "1"] + argv) == 1
    assert msg in capsys.readouterr().err


def test_mismatch_flag_reaches_the_p2m_layer(tmp_path):
    from circuitlab.cli.eval_snn import experiment_from_args
    from circuitlab.cli.main import build_parser
    from circuitlab.eval.snn import make_first
    args = build_parser().parse_args(["eval", "snn", "--quick", "--mismatch", "device", "--out", str(tmp_path)])
    cfg = experiment_from_args(args).snn
    assert cfg.p2m_kw == {"mismatch": "device"}
    assert make_first("p2m", cfg, 0.4, 2, 0).mismatch == "device"
    default = experiment_from_args(build_parser().parse_args(["eval", "snn", "--quick", "--out", str(tmp_path)]))
    assert make_first("p2m", default.snn, 0.4, 2, 0).mismatch == "event"
