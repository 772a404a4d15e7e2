"""The n-bit MeRAM unit as a Markov chain, and the distribution of its noise eps = A_i - A_{i-1}.

Seed (meram_diffusion_paper.txt, eqs. 1-2; devices.md section 1): a unit holds n VC-MTJs on one bit
line with weights w_k (default 8 bits, 2^1 ... 2^-6, MSB first); a pulse train updates every MTJ
independently, bit k leaving P (0) for AP (1) with probability a_k = P_P->AP and AP for P with
b_k = P_AP->P. The read-out is A = sum_k w_k MTJ(k); its 2^n-state transition matrix is the Kronecker
product M = T_1 (x) ... (x) T_n of the per-bit column-stochastic matrices
T_k = [[1 - a_k, b_k], [a_k, 1 - b_k]] (columns: from P, from AP).

Because M is a Kronecker product, the bits are independent chains: the stationary law is the product
of the per-bit laws pi_k(AP) = a_k / (a_k + b_k), and under it eps = sum_k w_k d_k with independent
d_k in {-1, 0, +1}, P(d_k = +1) = P(d_k = -1) = a_k b_k / (a_k + b_k). Everything below exploits
that structure (per-bit factors, convolutions of per-bit laws); :func:`transition_matrix` builds the
dense 2^n x 2^n matrix only as a test oracle for small n.

State index convention: bit k (k = 0 is the MSB) is bit n-1-k of the index, so the index order is
that of ``numpy.kron(T_0, T_1, ...)``.
"""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError

DENSE_MAX_BITS = 12
"""Largest n for which :func:`transition_matrix` builds the dense matrix (2^12 x 2^12 = 128 MiB)."""


def default_weights(bits: int = 8) -> np.ndarray:
    """Weights MSB first: 2 integer bits and ``bits - 2`` fraction bits, 2^1 ... 2^(2 - bits) (seed Fig. 3a)."""
    if int(bits) != bits or bits < 1:
        raise ConfigError(f"bits = {bits!r} must be a positive integer")
    return 2.0 ** np.arange(1, 1 - int(bits), -1)


def checked_probabilities(p_p_to_ap, p_ap_to_p, weights=None):
    a = np.atleast_1d(np.asarray(p_p_to_ap, dtype=float))
    b = np.atleast_1d(np.asarray(p_ap_to_p, dtype=float))
    if a.ndim != 1 or a.shape != b.shape:
        raise ConfigError(f"p_p_to_ap and p_ap_to_p must be 1-D of one length per bit; got shapes {a.shape}, {b.shape}")
    for name, p in (("p_p_to_ap", a), ("p_ap_to_p", b)):
        if not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
            raise ConfigError(f"{name} = {p.tolist()} must lie in [0, 1]")
    if np.any(a + b == 0):
        bad = np.flatnonzero(a + b == 0).tolist()
        raise ConfigError(f"bit(s) {bad} (0 = MSB) have p_p_to_ap = p_ap_to_p = 0 and never switch: the "
                          f"stationary law is undefined; choose pulses with a non-zero switching probability")
    w = default_weights(a.size) if weights is None else np.atleast_1d(np.asarray(weights, dtype=float))
    if w.shape != a.shape:
        raise ConfigError(f"weights has {w.size} entries but there are {a.size} bits")
    return a, b, w


def bit_matrices(p_p_to_ap, p_ap_to_p) -> np.ndarray:
    """Per-bit column-stochastic matrices T_k = [[1 - a, b], [a, 1 - b]], shape (n, 2, 2) (seed eq. 2)."""
    a, b, _ = checked_probabilities(p_p_to_ap, p_ap_to_p)
    return np.stack([np.stack([1 - a, b], axis=-1), np.stack([a, 1 - b], axis=-1)], axis=-2)


def transition_matrix(p_p_to_ap, p_ap_to_p) -> np.ndarray:
    """Dense 2^n x 2^n Markov matrix M = T_0 (x) ... (x) T_{n-1} (seed eq. 2); small n only (test oracle)."""
    t = bit_matrices(p_p_to_ap, p_ap_to_p)
    if len(t) > DENSE_MAX_BITS:
        raise ConfigError(f"a dense transition matrix for {len(t)} bits has 4^{len(t)} entries; use the "
                          f"Kronecker-structured functions (apply_transition, epsilon_distribution) above "
                          f"{DENSE_MAX_BITS} bits")
    m = np.ones((1, 1))
    for tk in t:
        m = np.kron(m, tk)
    return m


def apply_transition(prob, p_p_to_ap, p_ap_to_p) -> np.ndarray:
    """M @ prob for a length-2^n vector without forming M: one 2x2 factor per bit axis, O(n 2^n)."""
    t = bit_matrices(p_p_to_ap, p_ap_to_p)
    n = len(t)
    v = np.asarray(prob, dtype=float)
    if v.shape != (2 ** n,):
        raise ConfigError(f"state vector has shape {v.shape}; {n} bits need ({2 ** n},)")
    v = v.reshape((2,) * n)
    for k, tk in enumerate(t):
        v = np.moveaxis(np.tensordot(tk, v, axes=([1], [k])), 0, k)
    return v.reshape(-1)


def stationary_distribution(p_p_to_ap, p_ap_to_p) -> np.ndarray:
    """Stationary law of M, the Kronecker product of per-bit laws (b/(a+b), a/(a+b)); length 2^n."""
    a, b, _ = checked_probabilities(p_p_to_ap, p_ap_to_p)
    pi = np.ones(1)
    for ak, bk in zip(a, b):
        pi = np.kron(pi, [bk / (ak + bk), ak / (ak + bk)])
    return pi


def readout_values(weights) -> np.ndarray:
    """A for every state index (MSB-first index convention), length 2^n."""
    w = np.asarray(weights, dtype=float)
    n = w.size
    bits = (np.arange(2 ** n)[:, None] >> np.arange(n - 1, -1, -1)[None, :]) & 1
    return bits @ w


def _merge(values, pmf, rtol=1e-10):
    """Sum the pmf over equal values: sorted values closer than rtol * max|value| form one value.

    Tolerant merging absorbs the round-off of summing weights in different orders; values are kept
    exact (the first of each group), so dyadic weights stay exact through repeated merges.
    """
    v = np.ravel(values)
    p = np.ravel(pmf)
    order = np.argsort(v, kind="stable")
    v, p = v[order], p[order]
    tol = rtol * max(1.0, float(np.max(np.abs(v))) if v.size else 1.0)
    starts = np.flatnonzero(np.r_[True, np.diff(v) > tol])
    return v[starts], np.add.reduceat(p, starts)


def epsilon_distribution(p_p_to_ap, p_ap_to_p, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Distribution of eps = A_i - A_{i-1} with A_{i-1} stationary: (sorted values, pmf).

    Computed as the convolution of the n per-bit laws of w_k d_k (the Kronecker structure of M makes
    the bits independent), O(n * number of distinct values); a 16-bit unit takes milliseconds.

    Args:
        p_p_to_ap: per-bit P -> AP probability per pulse, MSB first.
        p_ap_to_p: per-bit AP -> P probability per pulse, MSB first.
        weights: read-out weight per bit (default :func:`default_weights`).
    """
    a, b, w = checked_probabilities(p_p_to_ap, p_ap_to_p, weights)
    values, pmf = np.zeros(1), np.ones(1)
    for ak, bk, wk in zip(a, b, w):
        q = ak * bk / (ak + bk)
        step_v = np.array([-wk, 0.0, wk])
        step_p = np.array([q, 1 - 2 * q, q])
        values, pmf = _merge(values[:, None] + step_v[None, :], pmf[:, None] * step_p[None, :])
    keep = pmf > 0
    return values[keep], pmf[keep]


def epsilon_distribution_dense(p_p_to_ap, p_ap_to_p, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """The same law from the dense matrix: sum_{i,j} M[j, i] pi[i] at A_j - A_i (oracle, small n)."""
    a, b, w = checked_probabilities(p_p_to_ap, p_ap_to_p, weights)
    m = transition_matrix(a, b)
    pi = stationary_distribution(a, b)
    av = readout_values(w)
    values, pmf = _merge(av[:, None] - av[None, :], m * pi[None, :])
    keep = pmf > 0
    return values[keep], pmf[keep]


def epsilon_moments(p_p_to_ap, p_ap_to_p, weights=None) -> dict:
    """Closed-form moments of eps under the stationary law (independent bits).

    Per bit, with lambda = 1 - a - b and v = pi(1 - pi) = a b / (a + b)^2:
    Var(w d) = 2 w^2 a b / (a + b) (= w^2 p for a symmetric bit a = b = p),
    Cov(eps_{i+1}, eps_i) = -w^2 v (1 - lambda)^2 (lag-1 correlation -(a + b)/2 = -p for one
    symmetric bit; devices.md), fourth cumulant w^4 (2q - 12 q^2) with q = a b / (a + b).

    Returns:
        dict with ``mean`` (0), ``var``, ``std``, ``lag1_autocorr`` and ``kurtosis`` (excess, Fisher:
        0 for a Gaussian).
    """
    a, b, w = checked_probabilities(p_p_to_ap, p_ap_to_p, weights)
    q = a * b / (a + b)
    var = np.sum(w ** 2 * 2 * q)
    v = a * b / (a + b) ** 2
    cov1 = -np.sum(w ** 2 * v * (a + b) ** 2)
    kappa4 = np.sum(w ** 4 * (2 * q - 12 * q ** 2))
    return {"mean": 0.0, "var": float(var), "std": float(np.sqrt(var)), "lag1_autocorr": float(cov1 / var),
            "kurtosis": float(kappa4 / var ** 2)}
