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
