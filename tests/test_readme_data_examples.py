"""The README's "Bring your own measurements" examples run as written: every ``<!-- data: NAME -->`` block
is written to a temporary folder and every line of the ``<!-- commands: NAME -->`` blocks is run there
through the CLI (so the test fails if the README's files, flags or kinds drift from the code)."""
from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import pytest

from circuitlab.cli.main import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
DATA = re.findall(r"<!-- data: ([\w.-]+) -->\s*```\w*\n(.*?)```", README, re.S)
COMMANDS = [line for _, block in re.findall(r"<!-- commands: ([\w.-]+) -->\s*```\w*\n(.*?)```", README, re.S)
            for line in block.replace("\\\n", " ").splitlines() if line.strip() and not line.lstrip().startswith("#")]
KINDS = ("vcmtj_psw", "meram_eps", "rram_cim", "p2m_f1", "p2m_f2", "curve")
SLOW = ("devices calibrate vcmtj", "llg sweep --card my_vcmtj", "--card my_vcmtj")   # LLG calibration: minutes


def test_readme_has_an_example_per_kind_and_both_calibrations():
    kinds = [re.search(r"--kind (\w+)", c).group(1) for c in COMMANDS if "data import" in c]
    assert sorted(kinds) == sorted(KINDS)
    assert any(c.startswith("circuitlab devices calibrate vcmtj") for c in COMMANDS)
    assert any(c.startswith("circuitlab devices calibrate rram") for c in COMMANDS)
    files = {name for name, _ in DATA}
    for c in COMMANDS:     # every file a command reads is one of the README's data blocks (or an earlier output)
        words = shlex.split(c)
        src = words[3] if words[1] == "data" else words[words.index("--data") + 1] if "--data" in words else None
        assert src is None or src in files, c


def _run(commands, folder: Path):
    for name, text in DATA:
        (folder / name).write_text(text)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for c in commands:
            words = shlex.split(c)
            assert words[0] == "circuitlab"
            assert main(words[1:]) == 0, c
            out = words[words.index("--out") + 1]
            assert Path(out).exists(), c
    finally:
        os.chdir(cwd)


def test_readme_data_imports_and_rram_calibration_run(tmp_path, capsys):
    fast = [c for c in COMMANDS if not any(s in c for s in SLOW)]
    assert len(fast) == len(KINDS) + 2      # the imports, the RRAM calibration and a campaign on its card
    _run(fast, tmp_path)
    for c in fast:
        out = Path(shlex.split(c)[shlex.split(c).index("--out") + 1])
        if "data import" in c:
            assert (tmp_path / out).with_suffix(".png").exists(), c      # the plot of data and fit
    from circuitlab.devices.rram_card import rram_card
    from circuitlab.montecarlo import load_results
    card, mc = rram_card(tmp_path / "my_rram.toml"), load_results(tmp_path / "my_rram_mc.h5")
    assert mc["V0"][0] == card["V0"] and mc["I0"][0] == card["I0"]    # the campaign ran the calibrated card
    rep = json.loads((tmp_path / "my_rram.json").read_text())
    # the README's I-V was drawn at the card's values (V0 0.25 V, g0 0.25 nm, I0 1 mA; 3 % noise):
    # each lies inside its reported 95 % interval
    for name, true in (("V0", 0.25), ("g0", 0.25e-9), ("I0", 1e-3)):
        lo, hi = rep[f"{name}_ci95"]
        assert lo <= true <= hi, (name, lo, hi)


@pytest.mark.slow
def test_readme_vcmtj_calibration_runs(tmp_path, capsys):
    _run([c for c in COMMANDS if any(s in c for s in SLOW)], tmp_path)
    rep = json.loads((tmp_path / "my_vcmtj.json").read_text())
    lo, hi = rep["ci95"]["ki"]
    assert lo <= 1.40695e-3 <= hi       # the README's counts were drawn by the LLG at the card's Ki
