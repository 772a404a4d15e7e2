"""devices calibrate vcmtj on a reduced problem: counts "measured" by the LLG engine itself at a known Ki
(its own seed, binomial), calibrated back with other draws; the known value lies in the 95 % profile
interval, the fit is consistent with its degrees of freedom, and the card it writes runs llg sweep."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from circuitlab.cli.main import main
from circuitlab.physics import MacrospinParams, switching_probability
from circuitlab.physics.calibrate import params_from_card
from circuitlab.resources import vcmtj_card

V, W, N = [2.4], [0.4e-9, 1e-9, 2e-9], 200


def test_calibrate_recovers_ki_and_writes_a_card_every_stage_reads(tmp_path, capsys):
    p0 = MacrospinParams()
    true = replace(p0, ki=p0.ki * 1.002)      # +0.2 %: P_sw at 2.4 V moves by ~0.1 (Ki - xi V / t_ox is small)
    t = switching_probability(true, V, W, N, seed=99, backend="torch", dtype="float32", threads=1)
    rows = [(v * 1e3, w * 1e9, s, N, int(k)) for i, v in enumerate(V) for j, w in enumerate(W)
            for s, k in (("P", t.switched_from_p[i, j]), ("AP", t.switched_from_ap[i, j]))]
    data = tmp_path / "psw.csv"
    data.write_text("mV,ns,init,n,k\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    card = tmp_path / "cal.toml"
    assert main(["devices", "calibrate", "vcmtj", "--data", str(data), "--map", "mV=voltage", "--map", "ns=width",
                 "--map", "init=state", "--map", "n=trials", "--map", "k=switched", "--units", "voltage=mV",
                 "--units", "width=ns", "--trials", "120", "--seed", "1", "--out", str(card)]) == 0
    rep = json.loads(card.with_suffix(".json").read_text())
    lo, hi = rep["ci95"]["ki"]
    assert lo <= true.ki <= hi, (lo, true.ki, hi)
    assert (hi - lo) / true.ki < 0.005               # Ki is pinned to a fraction of a per cent
    assert rep["deviance"] < 20.0 and rep["dof"] == 5  # chi-square(5): 20 is its 99.9 % point
    cal = vcmtj_card(card)                            # validated like the shipped card
    assert cal["ki"]["status"] == "calibrated" and cal["ki"]["value"] == pytest.approx(rep["estimate"]["ki"])
    assert params_from_card(card).ki == pytest.approx(rep["estimate"]["ki"])
    out = tmp_path / "psw_cal.h5"
    assert main(["llg", "sweep", "--voltages", "2.4", "--widths", "1n", "--trials", "20", "--seed", "2",
                 "--backend", "torch", "--dtype", "float32", "--threads", "1", "--card", str(card),
                 "--out", str(out)]) == 0 and out.exists()
    assert main(["export", "vcmtj_psw", "--from", str(out), "--out", str(tmp_path / "m.h5")]) == 0


def test_calibrate_errors(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("voltage,width,trials,switched\n2.4,1e-9,10,3\n")
    assert main(["devices", "calibrate", "vcmtj", "--data", str(data), "--free", "tmr9", "--out",
                 str(tmp_path / "c.toml")]) == 1
    assert "--free 'tmr9': not a macrospin card parameter" in capsys.readouterr().err
