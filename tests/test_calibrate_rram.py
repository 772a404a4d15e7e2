"""devices calibrate rram: read I-V curves drawn from the Stanford-PKU current law at known parameters with
lognormal noise are calibrated back. The known V0, g0, I0 and gaps lie inside the 95 % intervals in about
95 % of 200 seeds; the card written by the CLI is accepted by the registered 'rram' model, whose own
evaluator reproduces the measured currents, and by the ngspice generator."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from circuitlab.cli.main import main
from circuitlab.devices import get
from circuitlab.devices.numeric import evaluator
from circuitlab.errors import ConfigError
from circuitlab.devices import get
from circuitlab.devices.rram_card import rram_card
from circuitlab.physics.calibrate_rram import calibrate_rram, iv_from_columns

CARD = get("rram").card()

GAPS = {"LRS": 0.2e-9, "s1": 0.6e-9, "s2": 1.0e-9, "s3": 1.4e-9, "HRS": 1.7e-9}   # g_min .. g_max of the card
VS = np.array([-0.3, -0.2, -0.1, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3])
TRUE = {"V0": 0.25, "I0": 1e-3, "g0": 0.25e-9}       # the card's values (devices.md section 3)


def _current(v, g, V0=TRUE["V0"], I0=TRUE["I0"], g0=TRUE["g0"]):
    return I0 * np.exp(-g / g0) * np.sinh(v / V0)


def _synth(seed, sigma=0.05):
    rng = np.random.default_rng(seed)
    v, i, s = [], [], []
    for lab, g in GAPS.items():
        v += list(VS)
        i += list(_current(VS, g) * np.exp(sigma * rng.standard_normal(len(VS))))
        s += [lab] * len(VS)
    return np.array(v), np.array(i), s


def test_noiseless_curves_give_the_parameters_exactly():
    v, i, s = _synth(0, sigma=0.0)
    i = _current(v, np.array([GAPS[x] for x in s]))
    cal = calibrate_rram(iv_from_columns(v, i, s), lrs="LRS", hrs="HRS", card=CARD)
    assert cal.V0 == pytest.approx(TRUE["V0"], rel=1e-4)     # bounded scalar search, xatol 1e-5 of ln-range
    assert cal.g0 == pytest.approx(TRUE["g0"], rel=1e-4)
    assert cal.I0 == pytest.approx(TRUE["I0"], rel=1e-3)
    for lab, g in GAPS.items():
        assert cal.gap[lab] == pytest.approx(g, rel=1e-3, abs=1e-13)


def test_intervals_cover_the_known_values_about_95_percent():
    seeds = 200
    hits = dict.fromkeys(("V0", "g0", "I0", "c_s2", "gap_s2", "gap_s2_card"), 0)
    card = get("rram").card()
    widths = []
    for seed in range(seeds):
        data = iv_from_columns(*_synth(seed))
        cal = calibrate_rram(data, lrs="LRS", hrs="HRS", card=CARD)
        hits["V0"] += cal.V0_interval[0] <= TRUE["V0"] <= cal.V0_interval[1]
        hits["g0"] += cal.g0_interval[0] <= TRUE["g0"] <= cal.g0_interval[1]
        hits["I0"] += cal.I0_interval[0] <= TRUE["I0"] <= cal.I0_interval[1]
        c_true = math.log(TRUE["I0"]) - GAPS["s2"] / TRUE["g0"]
        hits["c_s2"] += cal.c_interval["s2"][0] <= c_true <= cal.c_interval["s2"][1]
        hits["gap_s2"] += cal.gap_interval["s2"][0] <= GAPS["s2"] <= cal.gap_interval["s2"][1]
        widths.append(cal.V0_interval[1] - cal.V0_interval[0])
        # g0, I0 kept from the card (here the true ones): the gap's interval maps c's
        kept = calibrate_rram(data, card=CARD)
        assert kept.g0 == card["g0"] and kept.g0_interval is None
        hits["gap_s2_card"] += kept.gap_interval["s2"][0] <= GAPS["s2"] <= kept.gap_interval["s2"][1]
    for name, h in hits.items():
        # 200 seeds: a 95 % coverage has binomial SD 1.5 %; [0.90, 0.99] is about -3.2 .. +2.6 SD
        assert 0.90 <= h / seeds <= 0.99, (name, h)
    # V0 width against the Wald width sigma sqrt((J^T J)^-1_00) of the least-squares problem (closed form)
    x = np.abs(np.tile(VS, len(GAPS))) / TRUE["V0"]
    J = np.zeros((len(x), len(GAPS) + 1))
    J[:, 0] = -x / TRUE["V0"] / np.tanh(x)
    J[np.arange(len(x)), 1 + np.repeat(np.arange(len(GAPS)), len(VS))] = 1.0
    wald = 2 * 1.96 * 0.05 * math.sqrt(np.linalg.inv(J.T @ J)[0, 0])
    assert np.mean(widths) == pytest.approx(wald, rel=0.1)


def test_cli_card_is_accepted_by_the_device_model(tmp_path, capsys):
    v, i, s = _synth(7, sigma=0.03)
    path = tmp_path / "iv.csv"
    rows = [f"{lab},{vv * 1e3:.6g},{ii * 1e6:.9g}" for vv, ii, lab in zip(v, i, s)]
    path.write_text("cell_state,Vread_mV,I_uA\n" + "\n".join(rows) + "\n")
    out = tmp_path / "rram.toml"
    assert main(["devices", "calibrate", "rram", "--data", str(path), "--map", "cell_state=state", "--map",
                 "Vread_mV=voltage", "--map", "I_uA=current", "--units", "voltage=mV", "--units", "current=uA",
                 "--lrs", "LRS", "--hrs", "HRS", "--out", str(out)]) == 0
    assert "V0 = " in capsys.readouterr().out
    rep = json.loads(out.with_suffix(".json").read_text())
    assert rep["identified"] == ["V0", "c", "g0", "I0"]
    card = rram_card(out)                          # validated by get('rram').card
    assert card["V0"] == pytest.approx(rep["V0"]) and card["g0"] == pytest.approx(rep["g0"])
    assert card["vel0"] == get("rram").card()["vel0"]          # dynamics parameters kept from the card
    ev = evaluator(get("rram"))
    for lab in GAPS:
        sel = np.array([x == lab for x in s])
        pred = ev(card, V_tb=v[sel], g=rep["gap"][lab])["Icell"]
        # the model's own evaluator reproduces the measured currents within 4 sigma of the noise
        assert np.all(np.abs(np.log(pred / i[sel])) < 4 * 0.03), lab
    from circuitlab.devices.ngspice import emit_ngspice
    head = emit_ngspice(get("rram"), card).splitlines()[0]     # .subckt rram te be params: I0=... g0=... V0=...
    written = dict(kv.split("=") for kv in head.split("params:")[1].split())
    for name in ("V0", "g0", "I0"):
        assert float(written[name]) == pytest.approx(card[name], rel=1e-9), name


def test_errors_name_the_problem(tmp_path, capsys):
    v, i, s = _synth(1)
    with pytest.raises(ConfigError, match="--lrs and --hrs"):
        calibrate_rram(iv_from_columns(v, i, s), lrs="LRS", card=CARD)
    with pytest.raises(ConfigError, match="not a state"):
        calibrate_rram(iv_from_columns(v, i, s), lrs="LRS", hrs="HRX", card=CARD)
    with pytest.raises(ConfigError, match="swap --lrs and --hrs"):
        calibrate_rram(iv_from_columns(v, i, s), lrs="HRS", hrs="LRS", card=CARD)
    with pytest.raises(ConfigError, match="opposite sign"):
        calibrate_rram(iv_from_columns(v, -i, s), card=CARD)
    path = tmp_path / "iv.csv"
    path.write_text("state,voltage\nA,0.1\n")
    assert main(["devices", "calibrate", "rram", "--data", str(path), "--out", str(tmp_path / "c.toml")]) == 1
    assert "no column 'current'" in capsys.readouterr().err
