"""Tests of the MeRAM unit Markov chain and its noise samplers (circuitlab.meram; seed eqs. 1-2).

References: an explicit per-state-pair product of per-bit probabilities (independent of numpy.kron),
the dense 2^n x 2^n matrix (oracle for n <= 8), the closed forms of devices.md section 1, and
sampling statistics with k * sigma / sqrt(n) tolerances.
"""
from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from scipy import stats

from circuitlab.errors import ConfigError
from circuitlab.meram import (PulseSettings, apply_transition, bit_probabilities, default_weights, epsilon_distribution,
                              epsilon_distribution_dense, epsilon_moments, readout_values, sample, sample_statistics,
                              sample_stream, shuffled_table, stationary_distribution, transition_matrix)
from circuitlab.physics import SwitchingTable

SEED_A = np.r_[0.355, [0.47] * 7]      # P->AP at 2.4 V, 0.4 ns (MSB) and 2 ns (others): the pre-issue-13 card (any asymmetric p serve)
SEED_B = np.r_[0.35, [0.48] * 7]       # AP->P at the same settings


def _random_probs(n, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.05, 0.95, n), rng.uniform(0.05, 0.95, n)


def test_default_weights_are_the_seed_digits():
    # seed Fig. 3a: two integer and six fraction bits, 2^1 ... 2^-6; A ranges over [0, 255/64]
    np.testing.assert_array_equal(default_weights(8), [2, 1, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625])
    a = readout_values(default_weights(8))
    assert a.min() == 0 and a.max() == 255 / 64
    np.testing.assert_allclose(np.sort(a), np.arange(256) / 64)   # every level once


def test_transition_matrix_equals_explicit_product():
    # M[j, i] = prod_k T_k[bit_k(j), bit_k(i)], written out state pair by state pair (no kron)
    a, b = _random_probs(3, 1)
    m = transition_matrix(a, b)
    for i, j in itertools.product(range(8), repeat=2):
        want = 1.0
        for k in range(3):
            si, sj = (i >> (2 - k)) & 1, (j >> (2 - k)) & 1
            t = [[1 - a[k], b[k]], [a[k], 1 - b[k]]]
            want *= t[sj][si]
        assert m[j, i] == pytest.approx(want, rel=1e-14)
    np.testing.assert_allclose(m.sum(axis=0), 1.0, rtol=1e-14)   # column-stochastic (seed eq. 1)


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_kronecker_apply_and_stationary_equal_dense_oracle(n):
    # the per-bit-factor product and the Kronecker stationary law equal the dense matrix results to
    # round-off (1e-12: sums of 2^n products of numbers in [0, 1])
    a, b = _random_probs(n, n)
    m = transition_matrix(a, b)
    v = np.random.default_rng(0).random(2 ** n)
    np.testing.assert_allclose(apply_transition(v, a, b), m @ v, rtol=1e-12, atol=1e-14)
    pi = stationary_distribution(a, b)
    np.testing.assert_allclose(m @ pi, pi, rtol=1e-12, atol=1e-15)
    assert pi.sum() == pytest.approx(1.0, rel=1e-13)


@pytest.mark.parametrize("n", [1, 3, 6, 8])
@pytest.mark.parametrize("dyadic", [True, False])
def test_epsilon_distribution_equals_dense_oracle(n, dyadic):
    # eps law from per-bit convolutions vs sum_{i,j} M[j,i] pi[i] at A_j - A_i (dense), also for
    # non-dyadic weights where eps values do not lie on a lattice; 1e-12 absorbs round-off
    a, b = _random_probs(n, 10 + n)
    w = default_weights(n) if dyadic else np.random.default_rng(n).uniform(0.1, 2.0, n)
    v1, p1 = epsilon_distribution(a, b, w)
    v2, p2 = epsilon_distribution_dense(a, b, w)
    np.testing.assert_allclose(v1, v2, atol=1e-12)
    np.testing.assert_allclose(p1, p2, atol=1e-12)
    assert p1.sum() == pytest.approx(1.0, rel=1e-12)


def test_sixteen_bits_fast_and_exact():
    # issue 4: a 16-bit unit "well under a second" without the 2^16 x 2^16 matrix; the pmf's variance
    # equals the closed form sum_k 2 w_k^2 a_k b_k / (a_k + b_k) to round-off
    a, b = _random_probs(16, 16)
    w = default_weights(16)
    t0 = time.perf_counter()
    values, pmf = epsilon_distribution(a, b, w)
    assert time.perf_counter() - t0 < 0.5
    assert values.size <= 2 * 2 ** 16
    var = np.sum(pmf * values ** 2)
    assert var == pytest.approx(np.sum(2 * w ** 2 * a * b / (a + b)), rel=1e-10)
    assert np.sum(pmf * values) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ConfigError, match="dense transition matrix for 16 bits"):
        transition_matrix(a, b)


def test_closed_form_moments_symmetric_bits():
    # devices.md: a symmetric bit with flip probability p has Var(eps_bit) = p, so
    # Var(eps) = sum_k w_k^2 p_k; compared with the exact pmf (independent computation)
    p = np.r_[0.36, [0.47] * 7]
    mom = epsilon_moments(p, p)
    w = default_weights(8)
    assert mom["var"] == pytest.approx(np.sum(w ** 2 * p), rel=1e-13)
    values, pmf = epsilon_distribution(p, p)
    assert mom["var"] == pytest.approx(np.sum(pmf * values ** 2), rel=1e-12)
    excess = np.sum(pmf * values ** 4) / mom["var"] ** 2 - 3
    assert mom["kurtosis"] == pytest.approx(excess, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("a,b", [(0.3, 0.3), (0.2, 0.6)])
def test_lag1_autocorrelation_matches_dense_two_step_oracle(a, b):
    # Corr(eps_{i+1}, eps_i) from the dense chain: sum pi_i M[j,i] M[k,j] (A_j - A_i)(A_k - A_j),
    # over four bits; for a single symmetric bit the closed form is -p (devices.md)
    n = 4
    aa, bb = np.full(n, a), np.full(n, b)
    w = default_weights(n)
    m = transition_matrix(aa, bb)
    pi = stationary_distribution(aa, bb)
    av = readout_values(w)
    d = av[:, None] - av[None, :]                       # d[j, i] = A_j - A_i
    joint = m * pi[None, :]                             # P(i -> j)
    cov = np.einsum("ji,kj,ji,kj->", joint, m, d, d)
    var = np.sum(joint * d ** 2)
    assert epsilon_moments(aa, bb, w)["lag1_autocorr"] == pytest.approx(cov / var, rel=1e-12)
    if a == b:
        assert epsilon_moments([a], [a])["lag1_autocorr"] == pytest.approx(-a, rel=1e-14)


# --- samplers ------------------------------------------------------------------------------------------
def test_stream_statistics_match_closed_form():
    # 40 independent units x 5000 pulses: each unit's sample std and lag-1 autocorrelation are one
    # independent draw; their means must lie within 5 standard errors (over units) of the closed form
    rng = np.random.default_rng(7)
    per_unit = [sample_statistics(sample_stream(SEED_A, SEED_B, 5000, rng=rng)) for _ in range(40)]
    mom = epsilon_moments(SEED_A, SEED_B)
    for key in ("std", "lag1_autocorr", "kurtosis"):
        x = np.array([s[key] for s in per_unit])
        assert abs(x.mean() - mom[key]) < 5 * x.std(ddof=1) / np.sqrt(x.size), key


def test_stream_marginal_passes_chi_square_against_pmf():
    # the marginal law of the stream is the stationary eps pmf: take every 10th value (the lag-10
    # correlation is < (1 - a - b)^10 ~ 1e-3, effectively independent) and require a chi-square
    # p-value > 1e-3 (bins with expected count < 5 merged into neighbours)
    rng = np.random.default_rng(3)
    eps = sample_stream(SEED_A, SEED_B, 200_000, rng=rng)[::10]
    values, pmf = epsilon_distribution(SEED_A, SEED_B)
    idx = np.searchsorted(values, np.round(eps, 12))
    assert np.allclose(values[idx], eps)                 # every sample is an allowed value
    observed = np.bincount(idx, minlength=values.size).astype(float)
    expected = pmf * eps.size
    o_acc, e_acc, obs_b, exp_b = 0.0, 0.0, [], []
    for o, e in zip(observed, expected):
        o_acc, e_acc = o_acc + o, e_acc + e
        if e_acc >= 5:
            obs_b.append(o_acc); exp_b.append(e_acc); o_acc = e_acc = 0.0
    obs_b[-1] += o_acc; exp_b[-1] += e_acc
    _, pvalue = stats.chisquare(obs_b, exp_b)
    assert pvalue > 1e-3


def test_shuffled_table_is_decorrelated_with_same_marginal():
    # the paper's 40k table: shuffling removes the serial correlation (|lag-1| < 5/sqrt(n)) and keeps
    # the values (a permutation of the stream drawn from the same generator state)
    n = 40_000
    table = shuffled_table(SEED_A, SEED_B, n, rng=np.random.default_rng(11))
    stream = sample_stream(SEED_A, SEED_B, n, rng=np.random.default_rng(11))
    np.testing.assert_array_equal(np.sort(table), np.sort(stream))
    assert abs(sample_statistics(table)["lag1_autocorr"]) < 5 / np.sqrt(n)
    assert sample_statistics(stream)["lag1_autocorr"] < -0.3     # closed form -0.38


def test_normalised_samples_have_unit_variance():
    # normalise=True divides by the closed-form sigma: the sample variance of 40k values is 1 within
    # 5 sd of the variance estimator (sqrt((kurt + 2)/n) for nearly independent values)
    eps = sample(SEED_A, SEED_B, 40_000, rng=np.random.default_rng(2), mode="shuffled", normalise=True)
    s = sample_statistics(eps)
    k = epsilon_moments(SEED_A, SEED_B)["kurtosis"]
    assert abs(s["std"] ** 2 - 1) < 5 * np.sqrt((k + 2) / eps.size)


def test_same_seed_same_stream_and_degenerate_bits():
    a = sample_stream(SEED_A, SEED_B, 1000, rng=np.random.default_rng(1))
    b = sample_stream(SEED_A, SEED_B, 1000, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    # a bit that never leaves AP (a = 1, b = 0) contributes nothing: eps from the other bits only
    eps = sample_stream([1.0, 0.5], [0.0, 0.5], 200, rng=np.random.default_rng(0), weights=[2.0, 1.0])
    assert set(np.unique(eps)) <= {-1.0, 0.0, 1.0}


# --- pulse settings ----------------------------------------------------------------------------------
def test_bit_probabilities_from_a_given_table():
    # linear interpolation in width inside a table at 2.4 V: values at 0.4 and 2 ns given exactly
    table = SwitchingTable(voltages=np.array([2.1, 2.4]), widths=np.array([0.4e-9, 1e-9, 2e-9]), trials=100,
                           switched_from_p=np.array([[0, 0, 0], [30, 60, 50]]),
                           switched_from_ap=np.array([[0, 0, 0], [40, 60, 46]]))
    a, b = bit_probabilities(PulseSettings(), table)
    np.testing.assert_allclose(a, np.r_[0.30, [0.50] * 7])
    np.testing.assert_allclose(b, np.r_[0.40, [0.46] * 7])
    a, b = bit_probabilities(PulseSettings(msb_width=0.7e-9, bits=2), table)
    np.testing.assert_allclose(a, [0.45, 0.50])
    with pytest.raises(ConfigError, match="voltage 2.7 V is not in the table"):
        bit_probabilities(PulseSettings(voltage=2.7), table)
    with pytest.raises(ConfigError, match="outside the table's widths"):
        bit_probabilities(PulseSettings(other_width=4e-9), table)


def test_user_errors_are_typed():
    with pytest.raises(ConfigError, match=r"p_p_to_ap = \[1.5\] must lie in \[0, 1\]"):
        epsilon_distribution([1.5], [0.2])
    with pytest.raises(ConfigError, match="weights has 2 entries but there are 3 bits"):
        epsilon_distribution([0.1] * 3, [0.1] * 3, [1.0, 2.0])
    with pytest.raises(ConfigError, match=r"bit\(s\) \[0\] .* never switch"):
        epsilon_moments([0.0], [0.0])
    with pytest.raises(ConfigError, match="unknown sampling mode 'iid'"):
        sample(SEED_A, SEED_B, 10, rng=np.random.default_rng(0), mode="iid")
    with pytest.raises(ConfigError, match="numpy.random.Generator"):
        sample_stream(SEED_A, SEED_B, 10, rng=np.random.RandomState(0))
    with pytest.raises(ConfigError, match="bits = 0"):
        default_weights(0)
