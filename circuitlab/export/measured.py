"""Model files from measured device data (``circuitlab data import``), one function per model kind.

Fields per kind (base units; map columns with ``mapping`` = {field: column}, units with ``units``):

- ``vcmtj_psw``: voltage [V], width [s], trials [1] and switched [1] (counts) or p_switch [1];
  optional ``state`` ('P'/'AP' or 0/1: the initial state). Every (voltage, width) of the grid must be
  present; repeated rows are pooled. P_sw with 95 % Wilson intervals per cell; without a state column
  both directions are taken as the measured P_sw (stated in provenance).
- ``meram_eps``: either per-bit ``bit`` [1], ``p_p_to_ap`` [1], ``p_ap_to_p`` [1] (optional ``trials``
  [1] for intervals, ``weight`` [1]), or a recorded ``readout`` [1] stream A_i of one unit (weights
  2^1 ... 2^(2 - bits)): its bits decoded, each bit's P->AP and AP->P probabilities counted from its
  transitions (Clopper-Pearson intervals), then eps's exact law from them as the seed defines it.
- ``rram_cim``: ``cell`` (id), ``target`` [S], ``time`` [s], ``g`` [S] (optional ``read``: repeated
  reads of one cell at one time). sigma_g(time, conductance) over cells of (mean read - target), the
  read noise (relative std of repeats) taken out, with chi-square 95 % intervals; other tables and
  parameters (IR drop, ADC, energies) copied from ``base`` (the built-in model by default).
- ``p2m_f1`` (``x``, ``y`` [1], optional ``configuration``), ``p2m_f2`` and ``curve`` (``x``, ``y``
  in any unit): the mean curve, sigma(x) and worst-case bounds (circuitlab.fit), with the mean's 95 %
  interval from the fit's covariance.
Each import writes the model file, its provenance (source hash, mapping, units) and a plot of the data
with the fit next to it.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

import numpy as np

from .measured_table import (MeasuredDataError, RawTable, check_unused, column, has_field, labels, provenance,
                             read_table)
from .modelfile import Axis, ModelFile, Parameter, Table, save_model

FIELDS: Dict[str, Tuple[str, ...]] = {
    "vcmtj_psw": ("voltage", "width", "trials", "switched", "p_switch", "state"),
    "meram_eps": ("bit", "p_p_to_ap", "p_ap_to_p", "trials", "weight", "readout"),
    "rram_cim": ("cell", "target", "time", "g", "read"),
    "p2m_f1": ("x", "y", "configuration"), "p2m_f2": ("x", "y"), "curve": ("x", "y")}
Z95 = 1.959963984540054


def wilson(k, n, z: float = Z95) -> Tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval of k successes in n trials (elementwise)."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def clopper_pearson(k, n, conf: float = 0.95) -> Tuple[np.ndarray, np.ndarray]:
    """Element-wise Clopper-Pearson interval (:func:`circuitlab.physics.stats.clopper_pearson_interval`)."""
    from ..physics.stats import clopper_pearson_interval
    return clopper_pearson_interval(k, n, conf)


def import_measured(path, kind: str, out, *, mapping: Optional[Mapping[str, str]] = None,
                    units: Optional[Mapping[str, str]] = None, **options) -> Path:
    """Read ``path`` as measurements of ``kind`` and write the model file ``out`` (and ``out``.png)."""
    if kind not in FIELDS:
        raise MeasuredDataError(f"unknown kind {kind!r}; measured data imports into: {', '.join(FIELDS)}")
    mapping, units = dict(mapping or {}), dict(units or {})
    check_unused(mapping, units, FIELDS[kind], kind)
    table = read_table(path)
    build = {"vcmtj_psw": _vcmtj_psw, "meram_eps": _meram_eps, "rram_cim": _rram_cim}.get(kind, _curve)
    model, plot = build(table, kind, mapping, units, **options)
    out = save_model(ModelFile(model.kind, model.parameters, model.tables, model.metrics,
                               {**provenance(table, kind, mapping, units), **model.provenance}), out)
    plot(out.with_suffix(".png"))
    return out


# --- vcmtj_psw ---------------------------------------------------------------------------------------
def psw_counts(t: RawTable, mp, un):
    """Measured switching counts on their (voltage, width) grid: (voltages, widths, K, N, states used) with
    K, N of shape (2, nV, nW) for initial states P (0) and AP (1); rows of one cell are pooled."""
    v = column(t, "voltage", "V", mp, un, what="pulse voltage")
    w = column(t, "width", "s", mp, un, low=0.0, what="pulse width")
    n = column(t, "trials", "1", mp, un, low=1.0, what="trials per row")
    if has_field(t, "switched", mp):
        k = column(t, "switched", "1", mp, un, low=0.0, what="switched count")
    else:
        k = column(t, "p_switch", "1", mp, un, low=0.0, high=1.0, what="a switching probability") * n
    for i in np.nonzero(k > n)[0]:
        raise MeasuredDataError(f"{t.path.name} line {t.lines[i]}: switched {k[i]:g} > trials {n[i]:g}")
    states = _states(t, mp) if has_field(t, "state", mp) else np.zeros(len(t), int)
    vs, ws = np.unique(v), np.unique(w)
    K = np.zeros((2, len(vs), len(ws)))
    N = np.zeros_like(K)
    np.add.at(K, (states, np.searchsorted(vs, v), np.searchsorted(ws, w)), k)
    np.add.at(N, (states, np.searchsorted(vs, v), np.searchsorted(ws, w)), n)
    used = sorted(set(states.tolist()))
    for s in used:
        missing = np.argwhere(N[s] == 0)
        if len(missing):
            i, j = missing[0]
            raise MeasuredDataError(f"{t.path.name}: no measurement at {vs[i]:g} V, {ws[j]:g} s"
                                    f"{' from ' + ('P', 'AP')[s] if len(used) > 1 else ''}: every voltage needs every "
                                    f"width ({len(missing)} grid cells missing)")
    return vs, ws, K, N, used


def _vcmtj_psw(t: RawTable, kind, mp, un):
    vs, ws, K, N, used = psw_counts(t, mp, un)
    p = K / np.where(N > 0, N, 1)
    if len(used) == 2:
        p_pa, p_ap = p[0], p[1]
        kk, nn = K.sum(0), N.sum(0)
    else:
        p_pa = p_ap = p[used[0]]
        kk, nn = K[used[0]], N[used[0]]
    p_sw = kk / nn
    lo, hi = wilson(kk, nn)
    va, wa = Axis("voltage", vs, "V"), Axis("width", ws, "s")
    tables = {"p_switch": Table(p_sw, "1", (va, wa)), "p_p_to_ap": Table(p_pa, "1", (va, wa)),
              "p_ap_to_p": Table(p_ap, "1", (va, wa)), "wilson_lower": Table(lo, "1", (va, wa)),
              "wilson_upper": Table(hi, "1", (va, wa)), "trials": Table(nn, "1", (va, wa))}
    params = {"trials_per_state": Parameter(float(nn.min() / len(used)), "1")}
    half = (hi - lo) / 2
    prov = {"p_switch_definition": "pooled over initial states" if len(used) == 2 else
            "measured P_sw; no initial-state column, so P->AP and AP->P are both taken as it"}
    model = ModelFile("vcmtj_psw", params, tables, {"ci95_half_width_max": float(half.max())}, prov)

    def plot(path):
        fig, ax, plt = _fig()
        for i, volt in enumerate(vs):
            ax.errorbar(ws * 1e9, p_sw[i], yerr=[p_sw[i] - lo[i], hi[i] - p_sw[i]], fmt="o-", ms=3, capsize=2,
                        label=f"{volt:g} V")
        ax.set(xlabel="pulse width (ns)", ylabel="P_sw", title=f"{t.path.name}: measured P_sw, 95 % Wilson")
        _save(fig, ax, plt, path)
    return model, plot


def _states(t: RawTable, mp) -> np.ndarray:
    out = []
    for text, line in zip(labels(t, "state", mp), t.lines):
        s = text.strip().upper()
        if s in ("P", "0"):
            out.append(0)
        elif s in ("AP", "1"):
            out.append(1)
        else:
            raise MeasuredDataError(f"{t.path.name} line {line}: state {text!r} must be P or AP (or 0 / 1)")
    return np.asarray(out)


# --- meram_eps ---------------------------------------------------------------------------------------
def _meram_eps(t: RawTable, kind, mp, un, *, bits: int = 8, samples: int = 40_000, seed: int = 0):
    from ..meram import epsilon_moments, shuffled_table
    from ..meram.design import lattice_pmf
    from ..meram.markov import default_weights
    if has_field(t, "readout", mp):
        a_, b_, (alo, ahi), (blo, bhi), w, how = _bits_from_stream(t, mp, un, bits)
    else:
        bit = column(t, "bit", "1", mp, un, low=0, what="bit index, 0 = MSB")
        order = np.argsort(bit)
        if not np.array_equal(bit[order], np.arange(len(bit))):
            raise MeasuredDataError(f"{t.path.name}: bit indices must be 0 .. n-1 once each (0 = MSB), got "
                                    f"{sorted(bit.tolist())}")
        a_ = column(t, "p_p_to_ap", "1", mp, un, low=0, high=1, what="a probability")[order]
        b_ = column(t, "p_ap_to_p", "1", mp, un, low=0, high=1, what="a probability")[order]
        w = (column(t, "weight", "1", mp, un)[order] if has_field(t, "weight", mp) else default_weights(len(bit)))
        if has_field(t, "trials", mp):
            n = column(t, "trials", "1", mp, un, low=1)[order]
            (alo, ahi), (blo, bhi) = clopper_pearson(np.round(a_ * n), n), clopper_pearson(np.round(b_ * n), n)
        else:
            alo = ahi = a_
            blo = bhi = b_
        how = "per-bit switching probabilities"
    ex = epsilon_moments(a_, b_, w)
    q = a_ * b_ / (a_ + b_)
    values, pmf = lattice_pmf(q, w)
    keep = pmf > 0
    raw = shuffled_table(a_, b_, samples, rng=np.random.default_rng(seed), weights=w)
    bit_ax = Axis("bit", np.arange(len(w)), "")
    tables = {"pmf": Table(pmf[keep], "1", (Axis("eps", values[keep], "1"),)),
              "samples": Table(raw / ex["std"], "1", (Axis("index", np.arange(len(raw)), ""),)),
              "weights": Table(w, "1", (bit_ax,)), "p_p_to_ap": Table(a_, "1", (bit_ax,)),
              "p_ap_to_p": Table(b_, "1", (bit_ax,)),
              "p_p_to_ap_lower": Table(np.asarray(alo, float), "1", (bit_ax,)),
              "p_p_to_ap_upper": Table(np.asarray(ahi, float), "1", (bit_ax,)),
              "p_ap_to_p_lower": Table(np.asarray(blo, float), "1", (bit_ax,)),
              "p_ap_to_p_upper": Table(np.asarray(bhi, float), "1", (bit_ax,))}
    params = {"variance": Parameter(ex["var"], "1"), "lag1_autocorr": Parameter(ex["lag1_autocorr"], "1"),
              "kurtosis_excess": Parameter(ex["kurtosis"], "1")}
    model = ModelFile("meram_eps", params, tables, {}, {"derived_from": how, "seed": str(seed)})

    def plot(path):
        fig, ax, plt = _fig()
        ax.bar(values[keep] / ex["std"], pmf[keep] * ex["std"] / np.min(np.diff(np.unique(values))), width=0.05,
               label="exact law from the measured probabilities")
        g = np.linspace(-4.5, 4.5, 200)
        ax.plot(g, np.exp(-g * g / 2) / math.sqrt(2 * math.pi), "k--", label="standard normal")
        ax.set(xlabel="eps / std", ylabel="density", title=f"{t.path.name}: MeRAM eps (Var {ex['var']:.3g})")
        _save(fig, ax, plt, path)
    return model, plot


def _bits_from_stream(t: RawTable, mp, un, bits: int):
    from ..meram.markov import default_weights
    w = default_weights(bits)
    a = column(t, "readout", "1", mp, un, low=-0.01 * w[-1], high=float(w.sum()) + 0.01 * w[-1],
               what="a read-out A = sum w_k b_k")
    code = np.round(a / w[-1]).astype(np.int64)
    bad = np.nonzero(np.abs(code * w[-1] - a) > 0.01 * w[-1])[0]   # 1 % of an LSB: printed digits
    if len(bad):
        i = bad[0]
        raise MeasuredDataError(f"{t.path.name} line {t.lines[i]}: read-out {a[i]:g} is not a multiple of the LSB "
                                f"weight {w[-1]:g} of a {bits}-bit unit (weights 2^1 ... 2^{2 - bits}); give --bits")
    if len(a) < 100:
        raise MeasuredDataError(f"{t.path.name}: {len(a)} read-outs; estimating per-bit probabilities needs >= 100")
    b = (code[:, None] >> np.arange(bits - 1, -1, -1)[None, :]) & 1      # MSB first
    prev, nxt = b[:-1], b[1:]
    n0, n1 = (prev == 0).sum(0), (prev == 1).sum(0)
    k01, k10 = ((prev == 0) & (nxt == 1)).sum(0), ((prev == 1) & (nxt == 0)).sum(0)
    if np.any(n0 == 0) or np.any(n1 == 0):
        raise MeasuredDataError(f"{t.path.name}: bit {int(np.nonzero((n0 == 0) | (n1 == 0))[0][0])} never leaves one "
                                f"state in the stream: its probabilities cannot be estimated")
    return (k01 / n0, k10 / n1, clopper_pearson(k01, n0), clopper_pearson(k10, n1), w,
            f"a stream of {len(a)} read-outs (bits decoded, transitions counted)")


# --- rram_cim ----------------------------------------------------------------------------------------
def _rram_cim(t: RawTable, kind, mp, un, *, base: str = "rram_cim"):
    from scipy.stats import chi2

    from .modelfile import load_model
    cells = labels(t, "cell", mp)
    target = column(t, "target", "S", mp, un, low=0.0, what="a target conductance")
    time = column(t, "time", "s", mp, un, low=0.0, what="time after programming")
    g = column(t, "g", "S", mp, un, what="measured conductance")
    key = [f"{c}\x00{tm!r}" for c, tm in zip(cells, time)]
    groups: Dict[str, list] = {}
    for i, k in enumerate(key):
        groups.setdefault(k, []).append(i)
    for k, idx in groups.items():
        if np.ptp(target[idx]) > 0:
            raise MeasuredDataError(f"{t.path.name} line {t.lines[idx[0]]}: cell {cells[idx[0]]!r} has two targets at "
                                    f"one time")
    rep = [idx for idx in groups.values() if len(idx) > 1]
    read_rel = float("nan")
    if rep:    # relative read noise: the repeats' deviations over their own mean, pooled
        num = sum(float(np.sum((g[i] / g[i].mean() - 1.0) ** 2)) for i in rep)
        dof = sum(len(i) - 1 for i in rep)
        read_rel = math.sqrt(num / dof)
    gm = np.array([g[i].mean() for i in groups.values()])
    tg = np.array([target[i[0]] for i in groups.values()])
    tm = np.array([time[i[0]] for i in groups.values()])
    nrep = np.array([len(i) for i in groups.values()])
    times, levels = np.unique(tm), np.unique(tg)
    if len(times) > 32 or len(levels) > 64:
        raise MeasuredDataError(f"{t.path.name}: {len(times)} distinct times and {len(levels)} target levels; a table "
                                f"needs at most 32 times and 64 levels (round the times to the measurement points)")
    shape = (len(times), len(levels))
    sig, lo, hi, cnt = (np.full(shape, np.nan) for _ in range(4))
    for a, tv in enumerate(times):
        for b, lv in enumerate(levels):
            sel = (tm == tv) & (tg == lv)
            n = int(sel.sum())
            cnt[a, b] = n
            if n < 3:
                continue
            dev = gm[sel] - lv
            s2 = float(np.var(dev, ddof=1))
            noise = (read_rel * lv) ** 2 * float(np.mean(1.0 / nrep[sel])) if math.isfinite(read_rel) else 0.0
            sig[a, b] = math.sqrt(max(s2 - noise, 0.0))
            lo[a, b] = math.sqrt(max(s2 * (n - 1) / chi2.ppf(0.975, n - 1) - noise, 0.0))
            hi[a, b] = math.sqrt(max(s2 * (n - 1) / chi2.ppf(0.025, n - 1) - noise, 0.0))
    if np.isnan(sig).all():
        raise MeasuredDataError(f"{t.path.name}: no (time, target) cell has 3 or more cells; sigma_g needs repeats "
                                f"over cells")
    base_model = load_model(base, kind="rram_cim")
    ta, ga = Axis("time", times, "s"), Axis("conductance", levels, "S")
    tables = {**base_model.tables, "sigma_g": Table(sig, "S", (ta, ga)), "sigma_g_lower": Table(lo, "S", (ta, ga)),
              "sigma_g_upper": Table(hi, "S", (ta, ga)), "cells": Table(cnt, "1", (ta, ga))}
    params = {**base_model.parameters,
              "read_noise_rel": Parameter(read_rel if math.isfinite(read_rel) else
                                          base_model.parameters["read_noise_rel"].value, "1")}
    prov = {"base_model": str(base), "read_noise": "measured (repeats)" if rep else f"from {base} (no repeats)"}
    model = ModelFile("rram_cim", params, tables, {}, prov)

    def plot(path):
        fig, ax, plt = _fig()
        for a, tv in enumerate(times):
            ax.errorbar(levels * 1e6, sig[a] * 1e6, yerr=[(sig[a] - lo[a]) * 1e6, (hi[a] - sig[a]) * 1e6], fmt="o-",
                        ms=3, capsize=2, label=f"t = {tv:g} s")
        ax.set(xlabel="target conductance (uS)", ylabel="sigma_g (uS)", title=f"{t.path.name}: relaxation spread")
        _save(fig, ax, plt, path)
    return model, plot


# --- curves: p2m_f1, p2m_f2, curve -------------------------------------------------------------------
def _curve(t: RawTable, kind, mp, un, *, family: str = "polynomial", degree: Optional[int] = None,
           grid: int = 101):
    from ..fit.campaign import fit_curve
    xu, yu = un.get("x", "1"), un.get("y", "1")
    x = column(t, "x", "1" if kind != "curve" else _base_of(xu), mp, un)
    y = column(t, "y", "1" if kind != "curve" else _base_of(yu), mp, un)
    configs = labels(t, "configuration", mp) if kind == "p2m_f1" and has_field(t, "configuration", mp) else \
        ["measured"] * len(t)
    names = list(dict.fromkeys(configs))
    rows = {k: [] for k in ("mean", "sigma", "lower", "upper", "mean_lower", "mean_upper")}
    params, fits = {}, []
    lo_x, hi_x = float(x.min()), float(x.max())
    xs = np.linspace(lo_x, hi_x, grid)
    for name in names:
        sel = np.array([c == name for c in configs])
        if sel.sum() < 20:
            raise MeasuredDataError(f"{t.path.name}: configuration {name!r} has {int(sel.sum())} rows; a curve with "
                                    f"its spread needs at least 20")
        cf = fit_curve(x[sel], y[sel], family, degree=degree, x_name="x", y_name="y")
        lo, hi = cf.bounds(xs)
        m_lo, m_hi = _mean_band(cf.result, xs)
        for key, row in (("mean", cf.result(xs)), ("sigma", cf.noise.sigma(xs)), ("lower", lo), ("upper", hi),
                         ("mean_lower", m_lo), ("mean_upper", m_hi)):
            rows[key].append(row)
        suffix = "" if kind != "p2m_f1" else f"_{name}"
        params[f"worst_case{suffix}" if suffix else "worst_case_variation"] = Parameter(cf.worst_case, "1")
        fits.append((name, cf, sel))
    if kind == "p2m_f1":
        params["worst_case_variation"] = Parameter(max(p.value for p in params.values()), "1")
        axes = (Axis("configuration", np.array(names), ""), Axis("x", xs, "1"))
        tables = {k: Table(np.array(v), "1", axes) for k, v in rows.items()}
    else:
        axes = (Axis("x", xs, "1" if kind == "p2m_f2" else _base_of(xu)),)
        unit = "1" if kind == "p2m_f2" else _base_of(yu)
        tables = {k: Table(v[0], unit, axes) for k, v in rows.items()}
    cf0 = fits[0][1]
    metrics = {f"rmse_{n}": float(c.result.metrics["rmse"]) for n, c, _ in fits}
    prov = {"family": json.dumps(cf0.result.family.describe())}
    model = ModelFile(kind, params, tables, metrics, prov)

    def plot(path):
        fig, ax, plt = _fig()
        for name, cf, sel in fits:
            blo, bhi = cf.bounds(xs)
            ax.plot(x[sel], y[sel], ".", ms=2, alpha=0.4)
            ax.plot(xs, cf.result(xs), "-", label=f"{name}: mean (worst case {cf.worst_case:.1%})")
            ax.fill_between(xs, blo, bhi, alpha=0.2)
        ax.set(xlabel="x", ylabel="y", title=f"{t.path.name}: {kind} from measurements")
        _save(fig, ax, plt, path)
    return model, plot


def _base_of(unit: str) -> str:
    """A curve's axes keep the unit the user names (its SI base: 'uS' -> S, '' -> 1)."""
    from .measured_table import BASES, PREFIXES
    u = (unit or "1").strip()
    if u in ("1", "%", ""):
        return "1"
    for b, canon in BASES.items():
        if u.endswith(b) and u[: len(u) - len(b)] in PREFIXES:
            return canon
    raise MeasuredDataError(f"unit {unit!r}: give an SI unit with an optional prefix (uS, ns, mV, kOhm) or 1")


def _mean_band(res, xs) -> Tuple[np.ndarray, np.ndarray]:
    """95 % pointwise interval of the fitted mean from the parameter covariance (delta method)."""
    eps = 1e-6 * np.maximum(np.abs(res.params), 1e-12)
    jac = np.empty((len(xs), len(res.params)))
    for j in range(len(res.params)):
        d = np.zeros_like(res.params)
        d[j] = eps[j]
        jac[:, j] = (res.family(xs, res.params + d) - res.family(xs, res.params - d)) / (2 * eps[j])
    se = np.sqrt(np.einsum("ij,jk,ik->i", jac, res.covariance, jac))
    m = res(xs)
    return m - Z95 * se, m + Z95 * se


def _fig():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    return fig, ax, plt


def _save(fig, ax, plt, path):
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
