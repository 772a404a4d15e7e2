"""Device cards in campaign specs (circuitlab/montecarlo/cards.py) and the single-device campaigns of
circuitlab/circuits/device_campaigns.py: a card (shipped, or written by ``devices calibrate``) flows into
a Monte Carlo campaign by name, and what the campaign simulates follows the card (checked against the
closed-form RRAM current and a scipy integration of the same model equations)."""
from __future__ import annotations

import numpy as np
import pytest

from circuitlab.cli.main import main
from circuitlab.devices import get
from circuitlab.devices.numeric import evaluator
from circuitlab.devices.rram_card import card_text
from circuitlab.errors import ConfigError
from circuitlab.montecarlo import load_results
from circuitlab.montecarlo.cards import with_card
from circuitlab.montecarlo.spec import load_spec, parse_spec
from circuitlab.resources import vcmtj_card

SPEC = """name = "card_demo"
evaluator = "circuitlab.circuits.device_campaigns:vcmtj_switching"
{card}seed = 1
samples = 3

[parameters]
voltage = 2.4
width = 1e-9
trials = 10.0
ki = 1.0e-3

[[variation]]
params = ["ki"]
distribution = "normal"
type = "relative"
scope = "process"
sigma = 0.01

[record]
measures = ["p_sw"]
"""


def _card(path, ki):
    """The shipped VC-MTJ card with another ki, in the card format (one table per parameter)."""
    import json
    lines = []
    for name, entry in vcmtj_card().items():
        lines.append(f"[{name}]")
        for key, value in dict(entry, value=ki if name == "ki" else entry["value"]).items():
            lines.append(f"{key} = {json.dumps(value)}")
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def test_card_values_replace_parameters_and_are_inlined(tmp_path):
    card = _card(tmp_path / "cal.toml", 1.41e-3)
    spec_file = tmp_path / "s.toml"
    spec_file.write_text(SPEC.format(card='card = "cal.toml"\n'))
    spec = load_spec(spec_file)                         # relative to the spec's folder
    assert spec.parameters["ki"] == 1.41e-3            # the card replaces [parameters] ki = 1e-3
    assert spec.parameters["xi"] == vcmtj_card()["xi"]["value"] and spec.parameters["voltage"] == 2.4
    assert "[device_card]" in spec.text and '\ncard = "cal.toml"' not in spec.text
    card.write_text("garbage")                          # the stored text no longer needs the file
    again = parse_spec(spec.text)
    assert again.parameters == spec.parameters
    shipped = parse_spec(SPEC.format(card='card = "vcmtj"\n'))
    assert shipped.parameters["ki"] == vcmtj_card()["ki"]["value"]
    assert parse_spec(SPEC.format(card="")).parameters["ki"] == 1.0e-3     # no card: the spec's value


def test_with_card_sets_or_replaces_the_card_line(tmp_path):
    card = _card(tmp_path / "c.toml", 1.42e-3)
    for head in ("", 'card = "vcmtj"\n'):
        text = with_card(SPEC.format(card=head), card)
        assert text.count("card = ") == 1
        assert parse_spec(text).parameters["ki"] == 1.42e-3


@pytest.mark.parametrize("head, body, match", [
    ('card = "missing.toml"\n', None, "no such file"),
    ('card = "bad.toml"\n', "[ki]\nunit = 'J/m^2'\n", r"\[ki\] needs a value"),
    ('card = "bad.toml"\n', "[ki]\nvalue = 'big'\n", "must be a finite number"),
    ('card = "bad.toml"\n', "ki = [1, 2\n", "not a TOML text file"),
    ('card = 3\n', None, "must be a file path"),
])
def test_bad_cards_raise_typed_errors(tmp_path, head, body, match):
    if body is not None:
        (tmp_path / "bad.toml").write_text(body)
    with pytest.raises(ConfigError, match=match):
        parse_spec(SPEC.format(card=head), base=tmp_path)


def test_card_and_table_together_or_a_missing_card_file_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="not both"):
        parse_spec(SPEC.format(card='card = "vcmtj"\n') + "\n[device_card]\nki = 1e-3\n")
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.format(card=""))
    with pytest.raises(ConfigError, match="--card .*missing.toml.*no such file"):
        load_spec(spec, card=tmp_path / "missing.toml")


def _rram_card(path, **fitted):
    path.write_text(card_text({k: (v, (0.99 * v, 1.01 * v)) for k, v in fitted.items()}, "synthetic test data"))
    return path


def _reference_after(card, g_prog, v_read=0.1, v_set=1.6, t_read=10e-9, t_set=20e-9, t_edge=1e-9):
    """The read current after the SET pulse from scipy (Radau) on the numpy evaluator of the same model."""
    from scipy.integrate import solve_ivp
    ev = evaluator(get("rram"))
    full = get("rram").card({**card, "g_init": g_prog})
    t = np.cumsum([0, t_read, t_edge, t_set, t_edge])
    v = [v_read, v_read, v_set, v_set, v_read]

    def rate(time, y):
        return [float(ev(full, V_tb=np.interp(time, t, v), g=y[0] * 1e-9)["dgdt"]) * 1e9]

    sol = solve_ivp(rate, (0, t[-1] + 0.5 * t_read), [g_prog * 1e9], method="Radau", rtol=1e-9, atol=1e-9,
                    max_step=0.2e-9)
    g_end = sol.y[0, -1] * 1e-9
    return float(ev(full, V_tb=v_read, g=g_end)["Icell"])


@pytest.mark.ngspice
def test_a_calibrated_rram_card_runs_the_set_read_campaign(tmp_path):
    card = _rram_card(tmp_path / "rram_cal.toml", I0=2.0e-3, V0=0.3, vel0=14.0)
    out = tmp_path / "r.h5"
    assert main(["mc", "run", "rram_set_read", "--card", str(card), "--samples", "4", "--workers", "1",
                 "--no-progress", "--out", str(out)]) == 0
    r = load_results(out)
    assert r["V0"][0] == 0.3 and r["vel0"][0] == 14.0 and r["I0"][0] == 2.0e-3   # nominal: the card's values
    g, i0 = np.asarray(r["g_prog"]), np.asarray(r["I0"])
    closed = i0 * np.exp(-g / 0.25e-9) * np.sinh(0.1 / 0.3)           # I0 exp(-g/g0) sinh(V/V0)
    np.testing.assert_allclose(r["i_before"], closed, rtol=1e-5)      # .meas prints 7 digits
    ref = [_reference_after({"I0": float(i0[k]), "V0": 0.3, "vel0": 14.0}, float(g[k])) for k in range(4)]
    np.testing.assert_allclose(r["i_after"], ref, rtol=1e-3)          # measured here: within 1e-5
    assert (np.asarray(r["i_after"]) > 10 * np.asarray(r["i_before"])).all()   # the pulse set the cells
    plain = tmp_path / "p.h5"                                        # without the card: the model's defaults
    assert main(["mc", "run", "rram_set_read", "--samples", "1", "--workers", "1", "--no-progress",
                 "--out", str(plain)]) == 0
    p = load_results(plain)
    assert p["i_before"][0] == pytest.approx(1e-3 * np.exp(-1.5e-9 / 0.25e-9) * np.sinh(0.4), rel=1e-5)
