"""RRAM (Stanford-PKU) seed checks and parameter validation."""
from __future__ import annotations

import numpy as np
import pytest

from circuitlab import devices
from circuitlab.devices import testbench as tb
from circuitlab.devices.numeric import Evaluator
from circuitlab.errors import CircuitlabError, InvalidValueError

SET = {"te": (0.0, 1.8, 0.0, 1e-12, 1e-12, 100e-9, 1.0)}  # 1.8 V, 100 ns from t = 0


def _read(g):
    return float(Evaluator(devices.get("rram"))(None, V_tb=0.1, g=g)["Rread"])


def test_set_pulse_seed_check_numpy():
    m = devices.get("rram")
    t = np.linspace(0, 100e-9, 201)
    from dataclasses import replace
    g = tb.transient_scipy(replace(m, test_pulses=SET, test_card={}), t)["g"][-1]
    # seed: ends near g_min = 0.2 nm; the smooth end stop lets it overshoot by < 10 pm
    assert abs(g - 0.2e-9) < 10e-12
    assert _read(g) == pytest.approx(540.0, rel=0.05)


@pytest.mark.ngspice
def test_set_pulse_seed_check_ngspice():
    m = devices.get("rram")
    t, out = tb.transient_ngspice(m, card={"g_init": 1.7e-9}, pulses=SET, stop=100e-9)
    g = out["g"][-1]
    assert abs(g - 0.2e-9) < 10e-12
    assert _read(g) == pytest.approx(540.0, rel=0.05)


def test_read_resistance_at_g_min_matches_card():
    # I(0.1 V) = I0 exp(-0.8) sinh(0.4) = 1.846e-4 A -> 541.7 Ohm (Stanford-PKU card)
    assert _read(0.2e-9) == pytest.approx(0.1 / (1e-3 * np.exp(-0.8) * np.sinh(0.4)), rel=1e-12)


def test_bad_parameters_raise_typed_errors():
    m = devices.get("rram")
    with pytest.raises(InvalidValueError, match="t_ox=-1e-09 m is out of range"):
        m.card(t_ox=-1e-9)
    with pytest.raises(InvalidValueError, match="not finite"):
        m.card(I0=float("nan"))
    with pytest.raises(CircuitlabError, match="unknown parameter.*'tox'"):
        m.card(tox=5e-9)
    with pytest.raises(InvalidValueError, match="is not a number"):
        m.card(I0="big")
