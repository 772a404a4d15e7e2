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
    # ... and a Monte Carlo campaign by name: its nominal sample runs the calibrated card and reproduces
    # the "measured" P_sw at the two widths both grids share (binomial, 200 + 400 trials: 4 sigma)
    camp = tmp_path / "camp.h5"
    assert main(["mc", "run", "vcmtj_switching", "--card", str(card), "--samples", "1", "--workers", "1",
                 "--no-progress", "--out", str(camp)]) == 0
    from circuitlab.montecarlo import load_results
    r = load_results(camp)
    assert r["ki"][0] == pytest.approx(rep["estimate"]["ki"], rel=1e-12)
    assert list(r.sweep_axes["width"]) == [0.4e-9, 2e-9]
    measured = (t.switched_from_p[0, [0, 2]] + t.switched_from_ap[0, [0, 2]]) / (2 * N)
    simulated = np.asarray(r["p_sw"])[0]
    sd = np.sqrt(measured * (1 - measured) * (1 / 200 + 1 / (2 * N)))
    print(f"vcmtj_switching on the calibrated card: P_sw {simulated} vs measured {measured} (sd {sd})")
    assert (np.abs(simulated - measured) < 4 * sd + 0.01).all(), (simulated, measured)


def test_calibrate_errors(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("voltage,width,trials,switched\n2.4,1e-9,10,3\n")
    assert main(["devices", "calibrate", "vcmtj", "--data", str(data), "--free", "tmr9", "--out",
                 str(tmp_path / "c.toml")]) == 1
    assert "--free 'tmr9': not a macrospin card parameter" in capsys.readouterr().err


@pytest.mark.slow
def test_two_parameter_profile_intervals_cover_and_are_not_conditional():
    """Ki and alpha together (the reduced problem of benchmarks/bench_calibrate_coverage.py, its seed 0,
    about 2 min): the known values lie in the profile intervals, and Ki's profile interval contains the
    conditional one (alpha held at its estimate), as a profile over a free nuisance parameter must."""
    from circuitlab.physics import PulseProtocol
    from circuitlab.physics.calibrate import MeasuredPsw, calibrate_vcmtj
    from circuitlab.physics.likelihood import CHI2_95_1DOF, _profile_1d
    from circuitlab.physics.protocol import switching_probability as sp
    V2, W2, n = np.array([2.4, 2.7]), np.array([0.4e-9, 1e-9]), 100
    proto = PulseProtocol(equilibrate=0.5e-9, relax=1.5e-9)
    p0 = MacrospinParams()
    true = replace(p0, ki=p0.ki * 1.002, alpha=p0.alpha * 0.9)
    t = sp(true, V2, W2, n, seed=10000, protocol=proto, backend="numpy", dtype="float64")
    data = MeasuredPsw(V2, W2, t.switched_from_p, np.full((2, 2), n), t.switched_from_ap, np.full((2, 2), n))
    evals = []
    cal = calibrate_vcmtj(data, ("ki", "alpha"), trials=100, seed=0, protocol=proto, backend="numpy",
                          dtype="float64", threads=None, log=evals.append)
    for f in ("ki", "alpha"):
        lo, hi = cal.interval[f]
        assert lo <= getattr(true, f) <= hi, (f, lo, hi)
    from circuitlab.physics.calibrate import _stack
    from circuitlab.physics.likelihood import binomial_deviance

    def dev(values):
        tt = sp(replace(p0, **{**cal.estimate, **values}), V2, W2, 100, seed=0, protocol=proto, backend="numpy",
                dtype="float64")
        return binomial_deviance(*_stack(data, tt), 100)
    c_lo, c_hi = _profile_1d(dev, cal.estimate, "ki", cal.deviance, (p0.ki * 0.97, p0.ki * 1.03), CHI2_95_1DOF)
    lo, hi = cal.interval["ki"]
    span = hi - lo     # tolerance: the profile walk stops within 5 % of r = 1.96, the bisection at 1/32
    assert lo <= c_lo + 0.05 * span and c_hi - 0.05 * span <= hi, ((lo, hi), (c_lo, c_hi))
