"""Stanford-PKU RRAM switching dynamics (vel0, gamma0) from measured quasi-static SET/RESET sweeps.

Model (circuitlab/devices/models/rram.py; devices.md section 3), integrated along each measured
voltage ramp V(t) (linear between samples):

    dg/dt = -vel0 exp(-q Ea / (kB T)) sinh(gamma a0 q V / (t_ox kB T)),   g clipped to [g_min, g_max],
    gamma = gamma0 - beta (g / 1 nm)^3,   T = T0 + V I R_th,   I = I0 exp(-g/g0) sinh(V/V0),

by explicit midpoint steps whose length keeps |dg| <= ``dg_max`` (0.005 nm, 2 % of g0: about 2 % in
current per step), so the abrupt, self-accelerating SET (heating raises the rate as the gap closes)
is resolved without a stiff solver (checked against scipy's Radau on the model's generated evaluator in
tests/test_rram_sweep.py).

What is compared: each sweep's switching voltage V_sw, where the gap crosses the midpoint between its
value before and after the sweep. Measured, from the gap the read law gives for each point,
g = g0 (ln I0 + ln sinh(|V|/V0) - ln|I|) (I0, g0, V0 from the card, e.g. one made by ``devices
calibrate rram`` from read I-V), linear between samples; modelled, integrated from the measured
starting gap to the crossing. Comparing the currents point by point instead would make the likelihood
a step function of the parameters (the SET is complete within one sample) with intervals no wider than
the sampling grid; V_sw is continuous in them. Its spread (cycle-to-cycle variability plus the sampling
step) is Gaussian with an unknown sigma, profiled out: D = N ln(RSS/N) over N sweeps, with the
small-sample threshold N ln(1 + t^2_{0.975, N-2} / (N - 2)) in place of 3.84 (exact for a linear model).

Identifiability: one ramp rate gives one switching voltage per polarity; vel0 exp(-q Ea/(kB T)) is one
number except through the heating, so Ea is kept from the card and vel0 (searched in ln) and gamma0 are
fitted: V_sw's dependence on the ramp rate separates them (slope in ln(rate) about t_ox kB T /
(gamma a0 q)), so give sweeps at two or more ramp rates, a few cycles each. Estimates and 95 %
profile-likelihood intervals: :func:`circuitlab.physics.likelihood.fit`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..errors import ConfigError
from .likelihood import fit

Q_OVER_KB = 1.602176634e-19 / 1.380649e-23      # K/V
FREE = ("vel0", "gamma0")


@dataclass(frozen=True)
class Sweeps:
    """Measured sweeps: time (s), voltage (V), current (A) per point and the sweep of each point."""
    time: np.ndarray
    voltage: np.ndarray
    current: np.ndarray
    sweep: np.ndarray               # integer index into ``labels``
    labels: Tuple[str, ...]


@dataclass(frozen=True)
class SweepCalibration:
    estimate: Dict[str, float]
    interval: Dict[str, Tuple[float, float]]
    sigma: float                    # SD of the switching voltage about the model (cycle-to-cycle + sampling), V
    deviance: float
    dof: int
    evaluations: int
    g_start: Dict[str, float]       # starting gap of each sweep, m
    v_switch: Dict[str, float]      # measured switching voltage of each sweep, V
    residual: Dict[str, float]      # model - measured switching voltage, V


def simulate(card: Mapping[str, float], t: Sequence[float], v: Sequence[float], g_start: float,
             dg_max: float = 5e-12, g_cross: Optional[float] = None):
    """Gap (m) and current (A) at the samples of one sweep, V linear between samples (see the module doc).
    With ``g_cross``: also the first time (s) the gap crosses it (interpolated within the step; None if
    never), and the run stops there (later samples are NaN)."""
    I0, g0, V0 = card["I0"], card["g0"], card["V0"]
    vel0, beta, gamma0, Ea = card["vel0"], card["beta"], card["gamma0"], card["Ea"]
    a0t, T0, Rth = card["a0"] / card["t_ox"], card["T0"], card["R_th"]
    gmin, gmax = card["g_min"], card["g_max"]
    ea = Ea * Q_OVER_KB
    exp, sinh = math.exp, math.sinh

    def rate(g, V):
        T = T0 + V * I0 * exp(-g / g0) * sinh(V / V0) * Rth
        gam = gamma0 - beta * (g * 1e9) ** 3
        x = gam * a0t * Q_OVER_KB * V / T
        if abs(x) > 700:
            x = math.copysign(700.0, x)
        return -vel0 * exp(-ea / T) * sinh(x)

    t = np.asarray(t, float)
    v = np.asarray(v, float)
    gs = np.full(len(t), np.nan)
    g = float(g_start)
    gs[0] = g
    side = None if g_cross is None else g > g_cross
    t_cross = None
    for k in range(len(t) - 1):
        ta, tb, va, vb = t[k], t[k + 1], v[k], v[k + 1]
        slope = (vb - va) / (tb - ta) if tb > ta else 0.0
        now = ta
        for _ in range(100000):
            rem = tb - now
            if rem <= 0:
                break
            Vn = va + slope * (now - ta)
            f1 = rate(g, Vn)
            if (f1 < 0 and g <= gmin) or (f1 > 0 and g >= gmax) or f1 == 0:
                h = rem                                   # held at an end stop (or no drive)
                if f1 == 0:
                    now = tb
                    break
            else:
                h = min(rem, dg_max / abs(f1))
            gm = min(max(g + 0.5 * h * f1, gmin), gmax)
            g_new = min(max(g + h * rate(gm, Vn + slope * 0.5 * h), gmin), gmax)
            if side is not None and (g_new > g_cross) != side:
                t_cross = now + h * (g - g_cross) / (g - g_new)
                break
            g = g_new
            now += h
        if t_cross is not None:
            break
        gs[k + 1] = g
    current = I0 * np.exp(-gs / g0) * np.sinh(v / V0)
    return (gs, current) if g_cross is None else (gs, current, t_cross)


def switching_point(card: Mapping[str, float], t, v, i, v_min: float = 0.05) -> Tuple[float, float, float]:
    """(V_sw, g_start, g_mid) of one measured sweep: the read law's gap before (median of the first three
    points with |V| >= v_min) and after (the last three), and the voltage where the gap implied by
    the measured current first crosses their midpoint (linear between samples)."""
    t, v, i = (np.asarray(a, float) for a in (t, v, i))
    use = np.abs(v) >= v_min
    t, v, i = t[use], v[use], i[use]
    g = card["g0"] * (math.log(card["I0"]) + np.log(np.sinh(np.abs(v) / card["V0"])) - np.log(np.abs(i)))
    g_a, g_b = float(np.median(g[:3])), float(np.median(g[-3:]))
    if abs(g_b - g_a) < 4 * card["g0"]:        # less than a factor e^4 in current: no switching event
        return math.nan, g_a, math.nan
    mid = 0.5 * (g_a + g_b)
    k = int(np.argmax((g > mid) != (g_a > mid)))
    tc = t[k - 1] + (t[k] - t[k - 1]) * (g[k - 1] - mid) / (g[k - 1] - g[k])
    return float(np.interp(tc, t, v)), min(max(g_a, card["g_min"]), card["g_max"]), mid


def calibrate_sweeps(data: Sweeps, card: Mapping[str, float], *, v_min: float = 0.05,
                     bounds: Optional[Dict[str, Tuple[float, float]]] = None) -> SweepCalibration:
    """Fit vel0 and gamma0 to the switching voltages of ``data`` (see the module doc); the other
    parameters come from ``card``. Points with |V| < ``v_min`` are not used (noise floor)."""
    from scipy.stats import t as student_t
    card = dict(card)
    _check(data)
    parts, v_meas = [], []
    for s, lab in enumerate(data.labels):
        sel = np.nonzero(data.sweep == s)[0]
        sel = sel[np.argsort(data.time[sel], kind="stable")]
        t, v, i = data.time[sel], data.voltage[sel], data.current[sel]
        vs, g_start, g_mid = switching_point(card, t, v, i, v_min)
        if not math.isfinite(vs):
            raise ConfigError(f"sweep {lab!r} does not switch (its current changes by less than e^4); leave it out "
                              "or sweep further")
        peak = int(np.argmax(np.abs(v)))
        parts.append((lab, t[:peak + 1], v[:peak + 1], g_start, g_mid))
        v_meas.append(vs)
    v_meas = np.array(v_meas)
    n = len(parts)
    box = {"ln_vel0": (math.log(card["vel0"]) - math.log(1e3), math.log(card["vel0"]) + math.log(1e3)),
           "gamma0": (0.5 * card["gamma0"], 2.0 * card["gamma0"])}
    for name, (lo, hi) in (bounds or {}).items():
        box["ln_vel0" if name == "vel0" else name] = (math.log(lo), math.log(hi)) if name == "vel0" else (lo, hi)

    def v_model(values) -> np.ndarray:
        c = {**card, "vel0": math.exp(values["ln_vel0"]), "gamma0": values["gamma0"]}
        out = []
        for _, t, v, g_start, g_mid in parts:
            g, _, tc = simulate(c, t, v, g_start, g_cross=g_mid)
            if tc is None:      # no switch up to the peak: the peak voltage plus the gap still to go, continuous
                out.append(v[-1] * (1 + abs(g[-1] - g_mid) / abs(g_start - g_mid)))
            else:
                out.append(float(np.interp(tc, t, v)))
        return np.array(out)

    def rss(values) -> float:
        return float(np.sum((v_model(values) - v_meas) ** 2))
    tq = float(student_t.ppf(0.975, n - 2))
    level = n * math.log(1 + tq * tq / (n - 2))      # exact for a linear model with sigma estimated
    res = fit(lambda x: n * math.log(max(rss(x), 1e-300) / n), {"ln_vel0": math.log(card["vel0"]),
                                                                "gamma0": card["gamma0"]}, box, level=level)
    est = {"vel0": math.exp(res.estimate["ln_vel0"]), "gamma0": res.estimate["gamma0"]}
    iv = {"vel0": tuple(math.exp(x) for x in res.interval["ln_vel0"]), "gamma0": res.interval["gamma0"]}
    resid = v_model(res.estimate) - v_meas
    return SweepCalibration(est, iv, math.sqrt(float(resid @ resid) / (n - 2)), res.deviance, n - 2,
                            res.evaluations, {p[0]: p[3] for p in parts}, dict(zip(data.labels, v_meas.tolist())),
                            dict(zip(data.labels, resid.tolist())))


def _check(data: Sweeps) -> None:
    if len(data.labels) < 4:
        raise ConfigError(f"{len(data.labels)} sweeps: vel0 and gamma0 with a spread need at least 4 (two or more "
                          "ramp rates, repeated cycles)")
    for s, lab in enumerate(data.labels):
        sel = data.sweep == s
        if int(np.sum(sel)) < 8:
            raise ConfigError(f"sweep {lab!r} has fewer than 8 points")
        if len(np.unique(data.time[sel])) != int(sel.sum()):
            raise ConfigError(f"sweep {lab!r} has repeated times; one point per time")
    if np.any(np.sign(data.current) * np.sign(data.voltage) < 0):
        raise ConfigError("a current has the opposite sign of its voltage (check the sign convention: current into "
                          "the top electrode)")
