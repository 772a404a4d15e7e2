"""Stanford-PKU RRAM parameters from measured read I-V curves at several programmed states.

Model (circuitlab/devices/models/rram.py; devices.md section 3): I = I0 exp(-g/g0) sinh(V/V0). At read
voltages the gap g does not move, so each programmed state s is one curve

    ln |I| = c_s + ln sinh(|V| / V0),   c_s = ln I0 - g_s / g0,

with V0 shared by all states. What I-V curves identify: V0 and the per-state effective prefactors c_s.
They do NOT identify I0, g0 and g_s separately (S curves give S numbers c_s for S + 2 unknowns): the
card's g0 and I0 are kept and each state's gap is reported as g_s = g0 (ln I0 - c_s). If two states are
named as the end stops -- a full SET at g_min and a full RESET at g_max, where dg/dt is bounded -- then
g0 = (g_max - g_min) / (c_LRS - c_HRS) and I0 = exp(c_LRS + g_min / g0) are identified too.

Likelihood: Gaussian on ln |I| with one unknown sigma (a constant relative error of the current,
typical of read noise and instrument ranges), profiled out: D(V0) = N ln(RSS(V0) / N), the c_s at
their least-squares values given V0 (closed form: the state's mean of ln|I| - ln sinh(|V|/V0)). V0
is found and its 95 % interval taken on this profile deviance (:func:`circuitlab.physics.likelihood.fit`,
one free parameter: D rises by 3.84); the c_s (and g_s, g0, I0 derived from them) get Wald intervals
from the least-squares covariance sigma^2 (J^T J)^-1 of (V0, c_1 .. c_S), which includes V0's
uncertainty. Leave out points at the instrument's current floor (they would pull V0); V and I must
be non-zero and of one sign. Switching dynamics (vel0, gamma0) from SET/RESET sweeps:
:mod:`circuitlab.physics.rram_sweep`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import ConfigError
from .likelihood import fit

Z95 = 1.959963984540054


@dataclass(frozen=True)
class RramIV:
    """Measured read I-V points: voltage (V), current (A) and the programmed state of each point."""
    voltage: np.ndarray
    current: np.ndarray
    state: np.ndarray             # integer index into ``labels``
    labels: Tuple[str, ...]


@dataclass(frozen=True)
class RramCalibration:
    V0: float
    V0_interval: Tuple[float, float]
    c: Dict[str, float]                          # ln(I0 / 1 A) - g_s / g0 per state
    c_interval: Dict[str, Tuple[float, float]]
    sigma: float                                 # SD of ln |I| (relative current error)
    g0: float
    I0: float
    g0_interval: Optional[Tuple[float, float]]   # None: kept from the card (not identified)
    I0_interval: Optional[Tuple[float, float]]
    gap: Dict[str, float]                        # g_s = g0 (ln I0 - c_s), m
    gap_interval: Dict[str, Tuple[float, float]]
    deviance: float
    dof: int
    residuals: np.ndarray                        # (ln|I| - fit) / sigma per point
    evaluations: int


def _lsinh(x: np.ndarray) -> np.ndarray:
    """ln sinh(x) for x > 0 without overflow."""
    return x + np.log1p(-np.exp(-2 * x)) - math.log(2.0)


def _solve(data: RramIV, V0: float) -> Tuple[np.ndarray, float]:
    """Per-state c_s at given V0 and the residual sum of squares of ln |I|."""
    y = np.log(np.abs(data.current)) - _lsinh(np.abs(data.voltage) / V0)
    S = len(data.labels)
    c = np.bincount(data.state, weights=y, minlength=S) / np.bincount(data.state, minlength=S)
    return c, float(np.sum((y - c[data.state]) ** 2))


def calibrate_rram(data: RramIV, *, card: Optional[Dict[str, float]], lrs: Optional[str] = None,
                   hrs: Optional[str] = None, V0_range: Tuple[float, float] = (0.02, 2.0)) -> RramCalibration:
    """Fit V0 and the per-state c_s to ``data`` (see the module doc). ``card``: the Stanford-PKU card
    (e.g. ``devices.get('rram').card()``: physics does not import devices) for g0, I0, g_min, g_max; ``lrs``/``hrs``: labels of the
    states at g_min and g_max (both or neither) to identify g0 and I0 as well."""
    if card is None:
        raise ConfigError("calibrate_rram needs the model card (g0, I0, g_min, g_max): pass "
                          "card=circuitlab.devices.get('rram').card() or a calibrated card's values")
    _check(data, lrs, hrs)
    N, S = len(data.voltage), len(data.labels)

    def dev(v):
        return N * math.log(max(_solve(data, v["V0"])[1], 1e-300) / N)
    # the search box is in ln V0 (scale-free), the interval mapped back
    res = fit(lambda v: dev({"V0": math.exp(v["lnV0"])}), {"lnV0": math.log(0.25)},
              {"lnV0": (math.log(V0_range[0]), math.log(V0_range[1]))})
    V0 = math.exp(res.estimate["lnV0"])
    V0_iv = tuple(math.exp(x) for x in res.interval["lnV0"])
    c, rss = _solve(data, V0)
    sigma2 = rss / (N - S - 1)
    # least-squares covariance of (V0, c_1..c_S): the model's Jacobian in ln|I|
    x = np.abs(data.voltage) / V0
    J = np.zeros((N, S + 1))
    J[:, 0] = -x / V0 / np.tanh(x)             # d ln sinh(|V|/V0) / d V0
    J[np.arange(N), 1 + data.state] = 1.0
    cov = sigma2 * np.linalg.inv(J.T @ J)
    var_c = np.diag(cov)[1:]
    labels = data.labels
    c_iv = {lab: (c[i] - Z95 * math.sqrt(var_c[i]), c[i] + Z95 * math.sqrt(var_c[i])) for i, lab in enumerate(labels)}
    g0, I0 = float(card["g0"]), float(card["I0"])
    g0_iv = I0_iv = None
    if lrs is not None:
        i, j = labels.index(lrs), labels.index(hrs)
        dc = c[i] - c[j]
        if not dc > 0:
            raise ConfigError(f"state {lrs!r} (LRS) conducts less than {hrs!r} (HRS) at the same voltage; "
                              "swap --lrs and --hrs")
        span = float(card["g_max"]) - float(card["g_min"])
        g0 = span / dc
        I0 = math.exp(c[i] + float(card["g_min"]) / g0)
        sd_dc = math.sqrt(cov[1 + i, 1 + i] + cov[1 + j, 1 + j] - 2 * cov[1 + i, 1 + j])
        g0_iv = (span / (dc + Z95 * sd_dc), span / max(dc - Z95 * sd_dc, 1e-12))
        # ln I0 = (c_i g_max - c_j g_min) / (g_max - g_min): linear in c, so its SD is exact (delta method)
        w = np.zeros(S)
        w[i], w[j] = float(card["g_max"]) / span, -float(card["g_min"]) / span
        sd_l = math.sqrt(w @ cov[1:, 1:] @ w)
        I0_iv = (I0 * math.exp(-Z95 * sd_l), I0 * math.exp(Z95 * sd_l))
    gap = {lab: g0 * (math.log(I0) - c[k]) for k, lab in enumerate(labels)}
    # with g0 and I0 fixed, g_s is linear in c_s (its interval maps c's); identified g0/I0 are
    # correlated with c_s, so the gap's interval then comes from the delta method on all of them
    gap_iv = {}
    for k, lab in enumerate(labels):
        if lrs is None:
            lo, hi = c_iv[lab]
            gap_iv[lab] = (g0 * (math.log(I0) - hi), g0 * (math.log(I0) - lo))
        else:   # g_s = g_min + (c_LRS - c_s) / (c_LRS - c_HRS) (g_max - g_min)
            i, j = labels.index(lrs), labels.index(hrs)
            grad = _gap_gradient(c, k, i, j, span)
            sd = math.sqrt(grad @ cov[1:, 1:] @ grad)
            gap_iv[lab] = (gap[lab] - Z95 * sd, gap[lab] + Z95 * sd)
    resid = (np.log(np.abs(data.current)) - c[data.state] - _lsinh(x)) / math.sqrt(sigma2)
    return RramCalibration(V0, V0_iv, dict(zip(labels, map(float, c))), c_iv, math.sqrt(sigma2), g0, I0, g0_iv, I0_iv,
                           gap, gap_iv, res.deviance, N - S - 1, resid, res.evaluations)


def _gap_gradient(c, k, i, j, span) -> np.ndarray:
    """Gradient over c of g_k = g_min + span (c_i - c_k) / (c_i - c_j)."""
    dc = c[i] - c[j]
    grad = np.zeros(len(c))
    grad[k] -= span / dc
    grad[i] += span / dc - span * (c[i] - c[k]) / dc ** 2
    grad[j] += span * (c[i] - c[k]) / dc ** 2
    return grad


def _check(data: RramIV, lrs, hrs) -> None:
    if (lrs is None) != (hrs is None):
        raise ConfigError("give both --lrs and --hrs (the states at g_min and g_max) or neither")
    for name, lab in (("--lrs", lrs), ("--hrs", hrs)):
        if lab is not None and lab not in data.labels:
            raise ConfigError(f"{name} {lab!r} is not a state of the data; states: {', '.join(data.labels)}")
    if lrs is not None and lrs == hrs:
        raise ConfigError("--lrs and --hrs name the same state; give the fully SET and the fully RESET one")
    counts = np.bincount(data.state, minlength=len(data.labels))
    for lab, n in zip(data.labels, counts):
        if n < 2:
            raise ConfigError(f"state {lab!r} has {n} point(s); each state needs at least 2 read voltages")
    if len(np.unique(np.round(np.abs(data.voltage), 12))) < 2:
        raise ConfigError("all points share one |V|: V0 needs at least two read voltages")
    if np.any(data.current == 0) or np.any(data.voltage == 0):
        raise ConfigError("points at V = 0 or I = 0 carry no information on a log scale; leave them out")
    if np.any(np.sign(data.current) != np.sign(data.voltage)):
        raise ConfigError("a current has the opposite sign of its voltage; I = I0 exp(-g/g0) sinh(V/V0) is odd in V "
                          "(check the sign convention: current into the top electrode)")
    if len(data.voltage) <= len(data.labels) + 2:
        raise ConfigError(f"{len(data.voltage)} points for {len(data.labels) + 1} parameters and sigma; measure more")


def iv_from_columns(voltage: Sequence[float], current: Sequence[float], states: Sequence[str]) -> RramIV:
    """An :class:`RramIV` from parallel columns; states keep the order of first appearance."""
    labels: List[str] = []
    idx = []
    for s in states:
        if s not in labels:
            labels.append(s)
        idx.append(labels.index(s))
    return RramIV(np.asarray(voltage, float), np.asarray(current, float), np.asarray(idx, int), tuple(labels))
