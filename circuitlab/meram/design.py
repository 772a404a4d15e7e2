"""Pulse design of a MeRAM unit: choose each bit's (V, t) so that eps is close to a target law.

Seed (meram_diffusion_paper.txt, "MeRAM-based Gaussian noise generation"): "working backwards from the
target distribution, we can extract the voltage pulse widths and magnitudes on each MTJ"; the 8-bit
unit "allows the sampling of standard Gaussian noise in a range of 4 sigma".

The law of eps (see :mod:`circuitlab.meram.markov`): eps = sum_k w_k d_k with independent d_k in
{-1, 0, +1}, P(d_k = +1) = P(d_k = -1) = q_k = a_k b_k / (a_k + b_k), a_k = P_P->AP and b_k = P_AP->P of
bit k's pulse. Hence, exactly, for any a_k, b_k:

    mean 0 (each d_k is symmetric),  Var(eps) = sum_k w_k^2 2 q_k  (= sum_k w_k^2 p_k when a = b = p),
    excess kurtosis = sum_k w_k^4 (2 q_k - 12 q_k^2) / Var^2, skewness 0.

With weights that are integer multiples of the LSB weight h (the default 2^1 ... 2^(2-n)) eps lives on
the lattice h Z, and its pmf is the exact convolution of the per-bit three-point laws (numpy, integer
offsets). The design compares it with the target discretised on the same lattice: the standard normal's
mass of each cell [x - h/2, x + h/2). Distances: total variation 0.5 sum |p - g| and Wasserstein-1
h sum |F - G| between the two lattice laws (W1 to the continuous normal differs by at most h/4).
The variance is NOT rescaled: a design must have |Var(eps) - 1| <= tolerance (default 0.05).

Search: every candidate pulse (table voltage, width on the table's grid refined ``refine`` times by
linear interpolation, as :meth:`SwitchingTable.lookup`) gives one q; deterministic coordinate descent
over bits from several fixed starts, each step choosing the candidate that minimises
(variance violation, distance) lexicographically. The pmf is linear in each q_k, so a whole bit's
candidates are scored in one vectorised step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from .markov import checked_probabilities, default_weights

METRICS = ("tv", "w1")
TAIL_SIGMA = 8.0
"""The target lattice extends to +-8 (standard-normal units; mass beyond 6e-16) on either side."""


def lattice_step(weights) -> float:
    """LSB weight h; every weight must be an integer multiple of it (ConfigError otherwise)."""
    w = np.abs(np.asarray(weights, dtype=float))
    h = float(w.min())
    if h <= 0 or not np.allclose(w / h, np.round(w / h), rtol=0, atol=1e-9):
        raise ConfigError(f"weights {w.tolist()} are not integer multiples of the smallest one; the design "
                          f"needs a lattice (use the default 2^1 ... 2^(2-bits))")
    return h


def lattice_pmf(q, weights) -> tuple[np.ndarray, np.ndarray]:
    """Exact pmf of eps on the lattice h Z: (values, pmf) with values = h * (-M ... M), M = sum w_k / h.

    Args:
        q: per-bit P(d_k = +1) = a_k b_k / (a_k + b_k), in [0, 0.5].
        weights: read-out weights, integer multiples of the smallest.
    """
    q = np.atleast_1d(np.asarray(q, dtype=float))
    h = lattice_step(weights)
    steps = np.round(np.abs(np.asarray(weights, dtype=float)) / h).astype(int)
    pmf = np.ones(1)
    for qk, s in zip(q, steps):
        kernel = np.zeros(2 * s + 1)
        kernel[0], kernel[s], kernel[-1] = qk, 1 - 2 * qk, qk
        pmf = np.convolve(pmf, kernel)
    m = (pmf.size - 1) // 2
    return h * np.arange(-m, m + 1), pmf


def normal_on_lattice(values, h: float) -> np.ndarray:
    """Standard-normal mass of the cells [x - h/2, x + h/2) at the lattice points ``values``."""
    from scipy.special import ndtr
    x = np.asarray(values, dtype=float)
    return ndtr(x + h / 2) - ndtr(x - h / 2)


def _padded(pmf, pad: int) -> np.ndarray:
    return np.pad(pmf, (pad, pad)) if pad else pmf


def _target_grid(weights, target):
    """(h, M, pad, target pmf on h * (-(M + pad) ... M + pad)) for the target 'normal' or (values, pmf)."""
    h = lattice_step(weights)
    m = int(round(np.abs(np.asarray(weights, dtype=float)).sum() / h))
    if isinstance(target, str):
        if target != "normal":
            raise ConfigError(f"unknown target {target!r}; the only named target is 'normal' (standard normal)")
        pad = max(0, int(math.ceil(TAIL_SIGMA / h)) - m)
        grid = h * np.arange(-(m + pad), m + pad + 1)
        return h, m, pad, normal_on_lattice(grid, h)
    values, pmf = (np.asarray(t, dtype=float) for t in target)
    grid = h * np.arange(-m, m + 1)
    g = np.zeros(grid.size)
    idx = np.round(values / h).astype(int) + m
    if np.any(idx < 0) or np.any(idx >= grid.size) or not np.allclose(values, h * (idx - m), atol=1e-9 * h):
        raise ConfigError("the target's values must lie on the unit's lattice h * (-M ... M)")
    np.add.at(g, idx, pmf)
    return h, m, 0, g


def design_distance(pmf, target_pmf, h: float, metric: str) -> np.ndarray:
    """TV = 0.5 sum |p - g| or W1 = h sum |F - G| over the last axis (pmf and target on one lattice)."""
    diff = np.asarray(pmf) - target_pmf
    if metric == "tv":
        return 0.5 * np.abs(diff).sum(axis=-1)
    if metric == "w1":
        return h * np.abs(np.cumsum(diff, axis=-1)).sum(axis=-1)
    raise ConfigError(f"unknown metric {metric!r}; use one of {METRICS}")


@dataclass(frozen=True)
class Candidate:
    """One pulse a bit may get: gate voltage (V), width (s) and its switching probabilities."""
    voltage: float
    width: float
    p_p_to_ap: float
    p_ap_to_p: float

    @property
    def q(self) -> float:
        s = self.p_p_to_ap + self.p_ap_to_p
        return 0.0 if s == 0 else self.p_p_to_ap * self.p_ap_to_p / s


def candidates(table, voltages=None, refine: int = 4) -> list:
    """Pulses from a P_sw table: the given voltages (default all of the table's) x widths on the table's
    grid with ``refine - 1`` linearly interpolated widths between neighbours; pulses that never switch
    (a = b = 0) are left out."""
    vs = np.asarray(table.voltages if voltages is None else voltages, dtype=float)
    if vs.size == 0:
        raise ConfigError("no voltages to design with; give --voltages from the table's voltages")
    if int(refine) != refine or refine < 1:
        raise ConfigError(f"refine = {refine!r} must be a positive integer")
    w = np.sort(np.asarray(table.widths, dtype=float))
    fine = np.unique(np.r_[[w[i] + (w[i + 1] - w[i]) * j / refine for i in range(w.size - 1) for j in range(refine)],
                           w[-1]])
    out = []
    for v in vs:
        for t in fine:
            a, b = table.lookup(float(v), float(t))    # ConfigError names the table's voltages
            if a + b > 0:
                out.append(Candidate(float(v), float(t), a, b))
    if not out:
        raise ConfigError("no pulse in the table switches at the given voltages; choose other --voltages")
    return out


def _violation(var, lo, hi):
    return np.maximum(0.0, np.maximum(lo - var, var - hi))


def _score(rows, var, target_pmf, pad, h, metric, lo, hi):
    rows = np.pad(rows, ((0, 0), (pad, pad))) if pad else rows
    return _violation(var, lo, hi), design_distance(rows, target_pmf, h, metric)


def search(cands, weights, *, metric: str = "tv", target="normal", var_tol: float = 0.05,
           range_sigma: float = 0.0, starts=None, max_sweeps: int = 50) -> tuple[list, dict]:
    """Deterministic coordinate descent: one candidate per bit minimising (variance violation, distance).

    The variance must lie in [1 - var_tol, 1 + var_tol] and, with ``range_sigma`` > 0, also satisfy
    max|eps| / std >= range_sigma, i.e. Var <= (sum w_k / range_sigma)^2 (exact when every chosen q_k > 0;
    :func:`design` checks the realised range).

    Returns (chosen candidates MSB first, {"distance", "var", "violation", "start"}).
    """
    if metric not in METRICS:
        raise ConfigError(f"unknown metric {metric!r}; use one of {METRICS}")
    w = np.asarray(weights, dtype=float)
    h, m, pad, target_pmf = _target_grid(w, target)
    steps = np.round(np.abs(w) / h).astype(int)
    _, first = np.unique(np.round([c.q for c in cands], 12), return_index=True)
    cands = [cands[i] for i in np.sort(first)]          # one candidate per distinct q, first in table order
    qs = np.array([c.q for c in cands])
    lo, hi = 1.0 - var_tol, 1.0 + var_tol
    if range_sigma > 0:
        hi = min(hi, (float(np.abs(w).sum()) / range_sigma) ** 2)
    if starts is None:   # (q of the MSB, q of every other bit): a small MSB q is what a near-normal law needs
        starts = [(q0, qr) for q0 in (0.01, 0.03, 0.06, 0.12) for qr in (0.2, 0.25)]
    best = None
    for start in starts:
        choice = [int(np.argmin(np.abs(qs - start[0])))] + [int(np.argmin(np.abs(qs - start[1])))] * (w.size - 1)
        for _ in range(max_sweeps):
            changed = False
            for k in range(w.size):
                q = qs[choice]
                rest = lattice_pmf(np.r_[q[:k], 0.0, q[k + 1:]], w)[1]      # bit k contributes d_k = 0
                s = steps[k]
                shifted = np.zeros_like(rest)
                shifted[s:] += rest[:-s]
                shifted[:-s] += rest[s:]
                slope = shifted - 2 * rest                                   # pmf = rest + q_k * slope
                rows = rest[None, :] + qs[:, None] * slope[None, :]
                var_rest = float(np.sum(w ** 2 * 2 * q)) - w[k] ** 2 * 2 * q[k]
                var = var_rest + w[k] ** 2 * 2 * qs
                viol, dist = _score(rows, var, target_pmf, pad, h, metric, lo, hi)
                order = np.lexsort((np.arange(qs.size), np.round(dist, 12), np.round(viol, 12)))
                new = int(order[0])
                cur = choice[k]
                if (round(viol[new], 12), round(dist[new], 12)) < (round(viol[cur], 12), round(dist[cur], 12)):
                    choice[k] = new
                    changed = True
            if not changed:
                break
        q = qs[choice]
        var = float(np.sum(w ** 2 * 2 * q))
        pmf = lattice_pmf(q, w)[1]
        dist = float(design_distance(_padded(pmf, pad), target_pmf, h, metric))
        viol = float(_violation(var, lo, hi))
        key = (round(viol, 12), round(dist, 12))
        if best is None or key < best[0]:
            best = (key, list(choice), {"distance": dist, "var": var, "violation": viol, "start": start})
    return [cands[i] for i in best[1]], best[2]


def design_report(chosen, weights, *, target="normal") -> dict:
    """Exact moments, range in sigma and both distances of a chosen design (dict, JSON-able)."""
    a = np.array([c.p_p_to_ap for c in chosen])
    b = np.array([c.p_ap_to_p for c in chosen])
    a, b, w = checked_probabilities(a, b, weights)
    q = a * b / (a + b)
    values, pmf = lattice_pmf(q, w)
    h, m, pad, target_pmf = _target_grid(w, target)
    mean = float(np.sum(values * pmf))
    var = float(np.sum((values - mean) ** 2 * pmf))
    std = math.sqrt(var)
    skew = float(np.sum((values - mean) ** 3 * pmf) / std ** 3)
    kurt = float(np.sum((values - mean) ** 4 * pmf) / var ** 2 - 3)
    support = values[pmf > 0]
    reach = float(np.max(np.abs(support)))
    return {"mean": mean, "variance": var, "std": std, "skewness": skew, "excess_kurtosis": kurt,
            "variance_closed_form": float(np.sum(w ** 2 * 2 * q)),
            "max_abs_eps": reach, "range_sigma": reach / std, "lattice_step": h,
            "tv": float(design_distance(_padded(pmf, pad), target_pmf, h, "tv")),
            "w1": float(design_distance(_padded(pmf, pad), target_pmf, h, "w1"))}


def design(table, bits: int, *, voltages=None, metric: str = "tv", var_tol: float = 0.05, refine: int = 4,
           range_sigma: float = 4.0, target="normal") -> dict:
    """Search the per-bit pulses of a ``bits``-bit unit (default weights) over ``table`` (a
    :class:`circuitlab.physics.SwitchingTable`); returns the design as a JSON-able dict."""
    if int(bits) != bits or not 1 <= bits <= 24:
        raise ConfigError(f"bits = {bits!r} must be an integer between 1 and 24")
    w = default_weights(int(bits))
    cands = candidates(table, voltages, refine)
    chosen, info = search(cands, w, metric=metric, target=target, var_tol=var_tol, range_sigma=range_sigma)
    report = design_report(chosen, w, target=target)
    from .energy import pulse_energies
    energy = pulse_energies([c.voltage for c in chosen], [c.width for c in chosen],
                            [c.p_p_to_ap for c in chosen], [c.p_ap_to_p for c in chosen])
    return {"bits": int(bits), "target": target if isinstance(target, str) else "custom", "metric": metric,
            "variance_tolerance": var_tol, "range_sigma_required": range_sigma, "feasible": info["violation"] == 0.0 and report["range_sigma"] >= range_sigma - 1e-9,
            "weights": w.tolist(), "voltage": [c.voltage for c in chosen], "width": [c.width for c in chosen],
            "p_p_to_ap": [c.p_p_to_ap for c in chosen], "p_ap_to_p": [c.p_ap_to_p for c in chosen],
            "q": [c.q for c in chosen], "candidates": len(cands), "search_start": list(info["start"]), **report,
            "energy_per_bit": energy.tolist(), "energy_per_sample": float(energy.sum()),
            "energy_definition": "sum over bits of V^2 t (pi_P / R_P(V) + pi_AP / R_AP(V)), J; R from the "
                                 "vcmtj device model (circuitlab.meram.energy)"}


def table_from_model(model):
    """A :class:`circuitlab.physics.SwitchingTable` from a ``vcmtj_psw`` model file (probabilities as
    counts out of its ``trials_per_state``), so the built-in model and ``llg sweep`` files design alike."""
    from ..physics import SwitchingTable
    trials = int(round(model.parameters["trials_per_state"].value))
    t = model.tables["p_p_to_ap"]
    return SwitchingTable(np.asarray(t.axes[0].values, dtype=float), np.asarray(t.axes[1].values, dtype=float),
                          trials, np.round(t.values * trials), np.round(model.tables["p_ap_to_p"].values * trials))
