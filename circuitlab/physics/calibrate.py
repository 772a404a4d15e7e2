"""Macrospin parameters calibrated to measured switching probabilities P_sw(V, t).

Objective: the binomial deviance of the measured counts (k switched of n, per voltage, width and, if
given, initial state) against the LLG engine's probabilities p(theta) from T simulated trials,

    D(theta) = 2 sum [ k ln(k / (n p)) + (n - k) ln((n - k) / (n (1 - p))) ] * n_eff / n,

with n_eff = 1 / (1/n + 1/T): the simulated p has binomial error of its own, and weighting each point by
n_eff / n makes D a deviance of the difference of two binomial estimates (so the intervals stay
calibrated when T is not much larger than n). Every evaluation re-uses the same seed (common random
numbers): the thermal-field draws are the same for every theta, so D changes with theta through the
dynamics only, not through fresh noise, and the search sees a nearly smooth surface.

Search window: given bounds, else for Ki +-``window`` (3 %) around the starting card value (far from the
answer P_sw is 0 or 1 everywhere and D is flat, and near it the valley is narrow: D below its plateau
within about +-0.2 % of Ki, measured), else the card's plausible range (alpha, Ms, ...: weakly sensitive;
with +-3 % windows too, alpha stayed at the window's edge in benchmarks/bench_calibrate.py). The
search and the intervals are :func:`circuitlab.physics.likelihood.fit`: one free parameter, a 31-point
grid over the window (0.2 % steps for Ki) and a bounded refinement; several, Nelder-Mead. Intervals: the
profile likelihood, {x : min over the other free parameters of D(x, .) - D_min <= 3.84} (chi-square,
1 degree of freedom, 95 %); the others are re-optimised at each trial value, so correlated pairs (Ki and
Ms, Ki and alpha) get their full width, not the conditional one. Coverage measured in
benchmarks/bench_calibrate_coverage.py. Goodness of fit: D_min against its degrees of freedom (points - free parameters) and per-point
Pearson residuals.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from ..errors import ConfigError
from .likelihood import CHI2_95_1DOF, binomial_deviance, fit  # noqa: F401 (CHI2_95_1DOF re-exported)
from .params import MacrospinParams
from .protocol import switching_probability

NARROW = ("ki",)   # P_sw moves from 0 to 1 within about +-1 % of Ki: searched in +-window, not its card range


@dataclass(frozen=True)
class MeasuredPsw:
    """Measured counts on a (voltage, width) grid: switched and trials, per initial state (P, AP) or
    pooled (``from_ap`` None: both directions taken as the measured P_sw)."""
    voltages: np.ndarray
    widths: np.ndarray
    switched_from_p: np.ndarray
    trials_from_p: np.ndarray
    switched_from_ap: Optional[np.ndarray] = None
    trials_from_ap: Optional[np.ndarray] = None


@dataclass(frozen=True)
class Calibration:
    params: MacrospinParams
    free: Tuple[str, ...]
    estimate: Dict[str, float]
    interval: Dict[str, Tuple[float, float]]
    deviance: float
    dof: int
    residuals: np.ndarray            # Pearson residuals per grid point (and state)
    evaluations: int
    trials: int
    seed: int


def _stack(data: MeasuredPsw, table) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    if data.switched_from_ap is None:
        k, n = data.switched_from_p, data.trials_from_p
        p = (table.switched_from_p + table.switched_from_ap) / (2 * table.trials)
        return k.ravel(), n.ravel(), p.ravel()
    k = np.concatenate([data.switched_from_p.ravel(), data.switched_from_ap.ravel()])
    n = np.concatenate([data.trials_from_p.ravel(), data.trials_from_ap.ravel()])
    p = np.concatenate([table.p_p_to_ap.ravel(), table.p_ap_to_p.ravel()])
    return k, n, p


def calibrate_vcmtj(data: MeasuredPsw, free: Sequence[str] = ("ki",), *, start: Optional[MacrospinParams] = None,
                    bounds: Optional[Dict[str, Tuple[float, float]]] = None, window: float = 0.03,
                    trials: int = 200, seed: int = 0,
                    protocol=None, backend: str = "torch", dtype: str = "float32", threads: Optional[int] = 1,
                    log=None) -> Calibration:
    """Fit the macrospin parameters ``free`` to ``data`` (see the module doc); ``bounds`` default to the
    card's plausible ranges."""
    from ..resources import vcmtj_card
    start = start or MacrospinParams()
    card = vcmtj_card()
    names = tuple(free)
    for f in names:
        if not hasattr(start, f) or f not in card:
            raise ConfigError(f"--free {f!r}: not a macrospin card parameter; choose from "
                              f"{', '.join(k for k in card if hasattr(start, k))}")
    lo_hi = {}
    for f in names:     # search window: given bounds, else (Ki only) +-window around the start, else the card's range
        c_lo, c_hi = card[f]["range"]
        x = getattr(start, f)
        if bounds and f in bounds:
            lo_hi[f] = tuple(bounds[f])
        elif f in NARROW:
            lo_hi[f] = (max(c_lo, x * (1 - window)), min(c_hi, x * (1 + window)))
        else:
            lo_hi[f] = (c_lo, c_hi)
    for f, (lo, hi) in lo_hi.items():
        if not lo < hi:
            raise ConfigError(f"{f}: the range [{lo}, {hi}] is empty (the card fixes it); give bounds to free it")
    evals = {"n": 0}

    def dev(values: Dict[str, float]) -> float:
        evals["n"] += 1
        p = replace(start, **values)
        t = switching_probability(p, data.voltages, data.widths, trials, seed=seed, protocol=protocol,
                                  backend=backend, dtype=dtype, threads=threads)
        k, n, pp = _stack(data, t)
        d = binomial_deviance(k, n, pp, trials)
        if log:
            log(f"  {', '.join(f'{f}={v:.6g}' for f, v in values.items())}: deviance {d:.2f}")
        return d

    res = fit(dev, {f: getattr(start, f) for f in names}, lo_hi)
    est, d_min, interval = res.estimate, res.deviance, res.interval
    best = replace(start, **est)
    t = switching_probability(best, data.voltages, data.widths, trials, seed=seed, protocol=protocol, backend=backend,
                              dtype=dtype, threads=threads)
    k, n, p = _stack(data, t)
    pc = np.clip(p, 0.5 / trials, 1 - 0.5 / trials)
    resid = (k - n * pc) / np.sqrt(n * pc * (1 - pc) * (1 + n / trials))
    return Calibration(best, names, est, interval, d_min, int(len(k) - len(names)), resid, evals["n"], trials, seed)


def card_with(calibration: Calibration, source: str) -> str:
    """The VC-MTJ card TOML with the calibrated values (status 'calibrated', source naming the data),
    in the format circuitlab.resources.vcmtj_card reads, so every stage accepts it."""
    from ..resources import vcmtj_card
    card = vcmtj_card()
    lines = ["# VC-MTJ card calibrated to measurements (circuitlab devices calibrate vcmtj)", ""]
    for name, entry in card.items():
        entry = dict(entry)
        if name in calibration.estimate:
            lo, hi = calibration.interval[name]
            entry["value"] = calibration.estimate[name]
            entry["status"] = "calibrated"
            entry["source"] = (f"fitted to {source} (binomial deviance {calibration.deviance:.2f} on "
                               f"{calibration.dof} dof; 95 % profile interval [{lo:.6g}, {hi:.6g}])")
        lines.append(f"[{name}]")
        for key, value in entry.items():
            lines.append(f"{key} = {_toml(value)}")
        lines.append("")
    return "\n".join(lines)


def _toml(v) -> str:
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(float(v)) if isinstance(v, float) else repr(v)


def params_from_card(path) -> MacrospinParams:
    """MacrospinParams from a VC-MTJ card file (the shipped format; e.g. a calibrated one)."""
    from dataclasses import fields

    from ..resources import vcmtj_card
    card = vcmtj_card(path)
    return MacrospinParams(**{f.name: float(card[f.name]["value"]) for f in fields(MacrospinParams) if f.name in card})
