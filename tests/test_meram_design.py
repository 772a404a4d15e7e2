"""`circuitlab meram design`: exact law of eps, the pulse search, the built-in table and the CLI.

Closed forms used as references (derived from circuitlab.meram.markov's definition: eps = sum_k w_k d_k,
d_k independent, P(d_k = +-1) = q_k = a_k b_k / (a_k + b_k)):
    mean 0, Var = sum_k w_k^2 2 q_k (= sum_k w_k^2 p_k for a symmetric bit a = b = p),
    fourth cumulant sum_k w_k^4 (2 q_k - 12 q_k^2).
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from circuitlab.cli.main import build_parser, main
from circuitlab.errors import ConfigError
from circuitlab.export.modelfile import load_model
from circuitlab.meram import default_weights, epsilon_distribution, epsilon_distribution_dense
from circuitlab.meram.design import (design, design_distance, design_report, lattice_pmf, normal_on_lattice, search,
                                     Candidate, candidates, table_from_model)
from circuitlab.physics import SwitchingTable

A = np.array([0.05, 0.6, 0.3, 0.45, 0.9])       # asymmetric on purpose
B = np.array([0.08, 0.5, 0.35, 0.45, 0.7])


def test_lattice_pmf_equals_the_dense_markov_oracle():
    w = default_weights(5)
    q = A * B / (A + B)
    values, pmf = lattice_pmf(q, w)
    dv, dp = epsilon_distribution_dense(A, B, w)      # sum over the 2^5 x 2^5 Kronecker matrix
    full = np.zeros(values.size)
    full[np.round(dv / w[-1]).astype(int) + (values.size - 1) // 2] = dp
    np.testing.assert_allclose(pmf, full, rtol=0, atol=1e-14)
    assert np.isclose(pmf.sum(), 1, atol=1e-14)


def test_lattice_pmf_closed_form_moments_and_the_merge_convolution():
    w = default_weights(12)
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0.01, 1, 12), rng.uniform(0.01, 1, 12)
    q = a * b / (a + b)
    values, pmf = lattice_pmf(q, w)
    var = np.sum(w ** 2 * 2 * q)
    assert abs(np.sum(values * pmf)) < 1e-12
    assert np.isclose(np.sum(values ** 2 * pmf), var, rtol=1e-12)
    kappa4 = np.sum(values ** 4 * pmf) - 3 * var ** 2
    assert np.isclose(kappa4, np.sum(w ** 4 * (2 * q - 12 * q ** 2)), rtol=1e-9, atol=1e-12)
    mv, mp = epsilon_distribution(a, b, w)           # markov.py's merge-based convolution
    np.testing.assert_allclose(pmf[pmf > 0], mp, atol=1e-13)
    np.testing.assert_allclose(values[pmf > 0], mv, atol=1e-12)


def test_lattice_pmf_against_monte_carlo_of_the_same_bits():
    """Independent simulation: stationary state, one pulse per bit, eps = w . (s1 - s0)."""
    w = default_weights(5)
    n = 200_000
    rng = np.random.default_rng(11)
    s0 = (rng.random((n, 5)) < A / (A + B)).astype(float)                  # 1 = AP
    flip = rng.random((n, 5)) < np.where(s0 == 0, A, B)
    s1 = np.where(flip, 1 - s0, s0)
    eps = (s1 - s0) @ w
    values, pmf = lattice_pmf(A * B / (A + B), w)
    idx = np.round(eps / w[-1]).astype(int) + (values.size - 1) // 2
    freq = np.bincount(idx, minlength=values.size) / n
    bound = 5 * np.sqrt(pmf * (1 - pmf) / n) + 1e-12                        # 5 sigma per value
    assert np.all(np.abs(freq - pmf) <= bound)
    var = np.sum(values ** 2 * pmf)
    sd_var = np.sqrt((np.sum(values ** 4 * pmf) - var ** 2) / n)
    assert abs(eps.var() - var) < 5 * sd_var


def test_distances_tv_and_w1_against_independent_formulas():
    from scipy.stats import wasserstein_distance
    h = 0.25
    x = h * np.arange(-40, 41)
    g = normal_on_lattice(x, h)
    p = lattice_pmf([0.1, 0.25, 0.25, 0.25], [2, 1, 0.5, 0.25])[1]
    p = np.pad(p, ((81 - p.size) // 2,) * 2)
    assert np.isclose(design_distance(p, g, h, "tv"), 0.5 * np.sum(np.abs(p - g)))
    assert np.isclose(design_distance(p, g, h, "w1"), wasserstein_distance(x, x, p, g), rtol=1e-9)
    with pytest.raises(ConfigError, match="unknown metric"):
        design_distance(p, g, h, "kl")


def _synthetic_table(ps):
    """One voltage (1 V), widths 1..n ns with symmetric switching probabilities ps (200 trials)."""
    n = len(ps)
    counts = np.round(np.asarray(ps)[None, :] * 200)
    return SwitchingTable(np.array([1.0]), np.arange(1, n + 1) * 1e-9, 200, counts, counts.copy())


def test_search_recovers_an_exactly_achievable_design():
    ps = [0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9, 1.0]
    table = _synthetic_table(ps)
    truth = np.array([0.1, 0.5, 0.9, 0.35])             # p per bit; q = p / 2
    w = default_weights(4)
    target = lattice_pmf(truth / 2, w)
    cands = candidates(table, refine=1)
    chosen, info = search(cands, w, metric="tv", target=target, var_tol=10)
    np.testing.assert_allclose([c.p_p_to_ap for c in chosen], truth, atol=1e-12)
    assert info["distance"] < 1e-12


def test_search_matches_brute_force_on_a_small_unit():
    import itertools
    ps = [0.02, 0.05, 0.1, 0.3, 0.5, 0.8, 1.0]
    table = _synthetic_table(ps)
    w = default_weights(4)
    chosen, info = search(candidates(table, refine=1), w, metric="w1", var_tol=0.3, range_sigma=0)
    best = np.inf
    for combo in itertools.product(ps, repeat=4):
        p = np.array(combo)
        if abs(np.sum(w ** 2 * p) - 1) > 0.3:
            continue
        r = design_report([Candidate(1.0, 1e-9, x, x) for x in p], w)
        best = min(best, r["w1"])
    assert info["distance"] <= best + 1e-12


@pytest.fixture(scope="module")
def builtin_table():
    return table_from_model(load_model("vcmtj_psw"))


@pytest.mark.parametrize("bits", [8, 12])
def test_builtin_table_gives_a_unit_variance_4_sigma_design(builtin_table, bits):
    d = design(builtin_table, bits, metric="tv")
    assert d["feasible"]
    assert abs(d["variance"] - 1) <= 0.05 and np.isclose(d["variance"], d["variance_closed_form"], rtol=1e-10)
    assert abs(d["mean"]) < 1e-12 and abs(d["skewness"]) < 1e-9
    assert d["range_sigma"] >= 4.0                  # lattice max (4 - 2^(2-bits)) / std
    assert d["tv"] < 0.04 and d["w1"] < 0.05        # the old card gave Var 1.98 (TV 0.06 after rescaling) at the seed pulses
    assert set(d["voltage"]) <= set(builtin_table.voltages.tolist())
    assert d["energy_per_sample"] > 0 and np.isclose(sum(d["energy_per_bit"]), d["energy_per_sample"])


def test_energy_is_v2_over_r_times_t():
    from circuitlab.meram.energy import mtj_resistance, pulse_energies
    r_p, r_ap = mtj_resistance(2.4)
    assert 1e3 < r_p < r_ap < 1e6
    e = pulse_energies(2.4, [2e-9], [0.2], [0.6])      # in P with probability 0.6 / 0.8
    assert np.isclose(e[0], 2.4 ** 2 * 2e-9 * (0.75 / r_p + 0.25 / r_ap), rtol=1e-12)


def test_cli_design_writes_json_and_a_meram_eps_model(tmp_path, capsys):
    out, model = tmp_path / "d.json", tmp_path / "d.h5"
    assert main(["meram", "design", "--bits", "8", "--voltages", "2.4,2.7", "--out", str(out), "--model", str(model),
                 "--samples", "20000", "--seed", "5"]) == 0
    d = json.loads(out.read_text())
    assert set(d["voltage"]) <= {2.4, 2.7} and abs(d["variance"] - 1) <= 0.05
    m = load_model(model, kind="meram_eps")
    raw = m.tables["samples_raw"].values
    assert abs(raw.var() - d["variance"]) < 5 * np.sqrt(2 / raw.size) * d["variance"] * 1.5
    assert np.isclose(m.parameters["variance"].value, d["variance"], rtol=1e-10)
    assert np.isclose(np.sum(m.tables["pmf"].values), 1)


@pytest.mark.parametrize("argv, match", [
    (["--bits", "0"], "--bits 0 must lie between 1 and 24"),
    (["--bits", "30"], "--bits 30 must lie between 1 and 24"),
    (["--voltages", "2.5"], r"--voltages \[2.5\] are not in the P_sw table"),
    (["--voltages", ""], "empty --voltages list"),
    (["--var-tol", "0"], "--var-tol 0.0 must lie in"),
])
def test_cli_design_rejects_bad_input(tmp_path, argv, match):
    args = build_parser().parse_args(["meram", "design", "--out", str(tmp_path / "d.json"), *argv])
    with pytest.raises(ConfigError, match=match):
        args.func(args)
    assert main(["meram", "design", "--out", str(tmp_path / "d.json"), *argv]) == 1
