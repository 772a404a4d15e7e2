"""``circuitlab pipeline --tiny`` end to end (every stage at its smallest size, real ngspice, LLG, torch):
each stage records its outputs, the evaluations use the model files this run made (not the shipped
ones), the HTML report opens in headless Chromium with every image decoded and no broken link, and a
second run finds every stage up to date."""
from __future__ import annotations

import json

import pytest

from circuitlab.cli.main import main

from test_pipeline_report import check_links, chromium_image_check

STAGES = ("psw", "meram", "p2m", "rram", "ddpm", "snn", "resnet", "design", "report")


@pytest.mark.ngspice
def test_tiny_pipeline(tmp_path, capsys):
    out = tmp_path / "pipe"
    assert main(["pipeline", "--tiny", "--out", str(out), "--workers", "2", "--device", "auto"]) == 0
    text = capsys.readouterr().out
    for i, name in enumerate(STAGES, 1):
        rec = json.loads((out / name / "stage.json").read_text())
        assert rec["outputs"] and all((out / name / p).is_file() for p in rec["outputs"].values()), name
        assert f"[{i}/{len(STAGES)}]" in text
    meram_model = out / "meram" / "meram_eps.h5"
    ddpm_cfg = json.loads((out / "ddpm" / "out" / "config.json").read_text())
    assert any(str(meram_model) in str(n) for n in ddpm_cfg["noises"])           # the fresh model, by path
    snn_cfg = json.loads((out / "snn" / "out" / "config.json").read_text())
    assert str(out / "p2m" / "p2m_f1.h5") in json.dumps(snn_cfg)
    page = out / "report" / "report.html"
    check_links(page)
    images, broken = chromium_image_check(page, tmp_path)
    assert images >= 6 and broken == 0
    md = (out / "report" / "report.md").read_text()
    assert "| P2M Fig. 6c CMOS+X: worst-case variation | 8.03 % |" in md and "7.81 fJ" in md
    assert "## Designer analyses: MeRAM read margin" in md and "| importance sampling |" in md
    assert main(["pipeline", "--tiny", "--out", str(out), "--workers", "2"]) == 0
    again = capsys.readouterr().out
    assert again.count("up to date") == len(STAGES)


def test_pipeline_psw_and_meram_follow_a_vcmtj_card(tmp_path, capsys):
    """``pipeline --vcmtj-card``: the psw stage runs the card's macrospin (so the MeRAM noise model made from
    its table, and the DDPM that reads that model, follow the card) and a changed card re-runs it."""
    import argparse
    from dataclasses import replace

    import numpy as np

    from circuitlab.cli.cmd_pipeline import pipeline_options, register
    from circuitlab.cli.pipeline import run_pipeline
    from circuitlab.cli.pipeline_stages import STAGES as STAGE_LIST
    from circuitlab.errors import ConfigError

    from circuitlab.physics import MacrospinParams
    from circuitlab.physics.io import read_switching_table
    from test_device_campaigns import _card
    p0 = MacrospinParams()
    card = _card(tmp_path / "cal.toml", p0.ki * 1.002)
    out = tmp_path / "pipe"
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    first = STAGE_LIST[:2]                       # psw and meram (a partial run through the stage engine)
    assert [s.name for s in first] == ["psw", "meram"]
    args = parser.parse_args(["pipeline", "--tiny", "--vcmtj-card", str(card), "--out", str(out)])
    run_pipeline(first, out, pipeline_options(args))
    table = read_switching_table(out / "psw" / "psw.h5")
    assert table.params == replace(p0, ki=p0.ki * 1.002)
    rec = json.loads((out / "psw" / "stage.json").read_text())
    assert rec["metrics"]["vcmtj_card"] == "cal.toml" and rec["metrics"]["ki_J_per_m2"] == p0.ki * 1.002
    variance_card = json.loads((out / "meram" / "stage.json").read_text())["metrics"]["variance_raw"]
    res = run_pipeline(first, out, pipeline_options(parser.parse_args(["pipeline", "--tiny", "--out", str(out)])))
    assert not res.records["psw"].skipped and not res.records["meram"].skipped   # no card: both re-run
    shipped = read_switching_table(out / "psw" / "psw.h5")
    assert shipped.params == p0
    variance_shipped = json.loads((out / "meram" / "stage.json").read_text())["metrics"]["variance_raw"]
    print(f"MeRAM raw variance: calibrated card {variance_card:.4f}, shipped card {variance_shipped:.4f}")
    assert abs(variance_card - variance_shipped) > 0.01      # the noise model was made from the card's table
    # +0.2 % Ki raises the barrier: fewer switches at 2.4 V over both widths (40 + 40 trials per point)
    assert np.sum(table.switched_from_p[1] + table.switched_from_ap[1]) < np.sum(
        shipped.switched_from_p[1] + shipped.switched_from_ap[1])
    with pytest.raises(ConfigError, match="no such file"):
        pipeline_options(parser.parse_args(["pipeline", "--tiny", "--vcmtj-card", "nope.toml", "--out", str(out)]))
