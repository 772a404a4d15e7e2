"""Samplers of the MeRAM noise eps: a true Markov stream and the paper's shuffled table.

* :func:`sample_stream` runs the n-bit unit pulse after pulse (each bit an independent two-state
  chain, exactly the chain of :mod:`circuitlab.meram.markov`) and returns consecutive
  eps_i = A_i - A_{i-1}; consecutive values are anti-correlated (lag-1 about -(a + b)/2 per bit).
* :func:`shuffled_table` draws such a stream and permutes it: the seed used a table of 40,000 eps
  values sampled from the device and drew DDPM noise from it, which removes the serial correlation
  but keeps the marginal law (seed, "Image generation tasks").

Every function takes an explicit ``numpy.random.Generator``.
"""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from .markov import checked_probabilities, epsilon_moments


def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    return rng


def _bit_chain(a: float, b: float, n_steps: int, rng: np.random.Generator) -> np.ndarray:
    """States (0 = P, 1 = AP) of one bit at n_steps consecutive times, started from its stationary law.

    Exact and vectorised: sojourn times are geometric (P(stay in P) = 1 - a per pulse, so the time
    spent in P is Geometric(a); in AP Geometric(b)); a probability of 0 means the bit never leaves.
    """
    state = int(rng.random() < a / (a + b))
    out = np.empty(n_steps, dtype=np.int8)
    filled = 0
    while filled < n_steps:
        left = n_steps - filled
        n_runs = max(16, int(left * max(a, b, 1e-6) * 0.6) + 16)
        p_first, p_second = (a, b) if state == 0 else (b, a)
        first = rng.geometric(p_first, n_runs) if p_first > 0 else np.full(n_runs, left)
        second = rng.geometric(p_second, n_runs) if p_second > 0 else np.full(n_runs, left)
        lengths = np.empty(2 * n_runs, dtype=np.int64)
        lengths[0::2], lengths[1::2] = first, second
        values = np.tile(np.array([state, 1 - state], dtype=np.int8), n_runs)
        chunk = np.repeat(values, np.minimum(lengths, left))[:left]
        out[filled:filled + chunk.size] = chunk
        filled += chunk.size
        # all runs used up: the last sojourn ended, so the chain continues in the other state
        state = 1 - int(out[filled - 1])
    return out


def sample_states(p_p_to_ap, p_ap_to_p, n_pulses: int, *, rng: np.random.Generator) -> np.ndarray:
    """MTJ states (0 = P, 1 = AP) of one unit after each of ``n_pulses`` pulses, shape (n_pulses, n_bits)."""
    a, b, _ = checked_probabilities(p_p_to_ap, p_ap_to_p)
    _check_rng(rng)
    if int(n_pulses) != n_pulses or n_pulses < 1:
        raise ConfigError(f"number of pulses {n_pulses!r} must be a positive integer")
    return np.stack([_bit_chain(ak, bk, int(n_pulses), rng) for ak, bk in zip(a, b)], axis=1)


def sample_stream(p_p_to_ap, p_ap_to_p, n_samples: int, *, rng: np.random.Generator, weights=None,
                  normalise: bool = False) -> np.ndarray:
    """``n_samples`` consecutive eps_i = A_i - A_{i-1} of one unit (true Markov sequence).

    Args:
        p_p_to_ap, p_ap_to_p: per-bit switching probabilities per pulse, MSB first.
        n_samples: number of eps values (n_samples + 1 pulses; the first state is stationary).
        rng: explicit ``numpy.random.Generator``.
        weights: read-out weights (default 2^1 ... 2^(2 - n)).
        normalise: divide by the closed-form standard deviation (unit variance, for DDPM noise).
    """
    a, b, w = checked_probabilities(p_p_to_ap, p_ap_to_p, weights)
    if int(n_samples) != n_samples or n_samples < 1:
        raise ConfigError(f"samples = {n_samples!r} must be a positive integer")
    states = sample_states(a, b, int(n_samples) + 1, rng=rng)
    eps = np.diff(states.astype(float) @ w)
    return eps / epsilon_moments(a, b, w)["std"] if normalise else eps


def shuffled_table(p_p_to_ap, p_ap_to_p, n_samples: int = 40_000, *, rng: np.random.Generator, weights=None,
                   normalise: bool = False) -> np.ndarray:
    """The seed's noise table: ``n_samples`` eps values from one pulse train, randomly permuted."""
    eps = sample_stream(p_p_to_ap, p_ap_to_p, n_samples, rng=rng, weights=weights, normalise=normalise)
    return rng.permutation(eps)


def sample(p_p_to_ap, p_ap_to_p, n_samples: int, *, rng: np.random.Generator, mode: str = "stream",
           weights=None, normalise: bool = False) -> np.ndarray:
    """Dispatch to :func:`sample_stream` (``mode="stream"``) or :func:`shuffled_table` (``"shuffled"``)."""
    if mode == "stream":
        return sample_stream(p_p_to_ap, p_ap_to_p, n_samples, rng=rng, weights=weights, normalise=normalise)
    if mode == "shuffled":
        return shuffled_table(p_p_to_ap, p_ap_to_p, n_samples, rng=rng, weights=weights, normalise=normalise)
    raise ConfigError(f"unknown sampling mode {mode!r}; use 'stream' or 'shuffled'")


def sample_statistics(eps) -> dict:
    """Sample mean, std, lag-1 autocorrelation and excess kurtosis of a 1-D eps sequence."""
    x = np.asarray(eps, dtype=float)
    if x.ndim != 1 or x.size < 3:
        raise ConfigError("sample statistics need a 1-D sequence of at least 3 values")
    d = x - x.mean()
    var = np.mean(d ** 2)
    lag1 = float(np.mean(d[1:] * d[:-1]) / var) if var > 0 else 0.0
    kurt = float(np.mean(d ** 4) / var ** 2 - 3) if var > 0 else 0.0
    return {"mean": float(x.mean()), "std": float(np.sqrt(var)), "lag1_autocorr": lag1, "kurtosis": kurt,
            "samples": int(x.size)}
