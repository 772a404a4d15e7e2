"""Noise-source contract (every registered source) and the MeRAM modes against exact laws.

Tolerances: sample moments within 5 sigma / sqrt(n) of the exact values, the variance with the exact
fourth moment (Var(s^2) = sigma^4 (kurtosis_excess + 2) / n); chi-square goodness of fit at p > 1e-4.
A small test-made meram_eps file keeps the MeRAM tests independent of the shipped numbers.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from circuitlab.errors import ConfigError, SchemaError  # noqa: E402
from circuitlab.export import load_model  # noqa: E402
from circuitlab.export.modelfile import Axis, ModelFile, Parameter, Table, save_model  # noqa: E402
from circuitlab.meram.markov import epsilon_distribution, epsilon_moments  # noqa: E402
from circuitlab.nn import NOISE_SOURCES, MeRAMNoise, make_noise, parse_noise  # noqa: E402

K = 5.0
A = np.array([0.3, 0.42, 0.45, 0.5])      # 4-bit test unit, asymmetric probabilities
B = np.array([0.36, 0.48, 0.4, 0.5])
W = np.array([1.0, 0.5, 0.25, 0.125])


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    values, pmf = epsilon_distribution(A, B, W)
    ex = epsilon_moments(A, B, W)
    rng = np.random.default_rng(3)
    raw = rng.choice(values, size=4000, p=pmf / pmf.sum())
    bit = Axis("bit", np.arange(4), "")
    tables = {"pmf": Table(pmf, "1", (Axis("eps", values, "1"),)),
              "samples": Table(raw / ex["std"], "1", (Axis("index", np.arange(raw.size), ""),)),
              "weights": Table(W, "1", (bit,)), "p_p_to_ap": Table(A, "1", (bit,)), "p_ap_to_p": Table(B, "1", (bit,))}
    params = {"variance": Parameter(ex["var"], "1"), "lag1_autocorr": Parameter(ex["lag1_autocorr"], "1"),
              "energy_per_noise_sample": Parameter(1e-13, "J")}
    path = tmp_path_factory.mktemp("m") / "small.h5"
    return save_model(ModelFile("meram_eps", params, tables, {}, {"seed": 3}), path)


@pytest.mark.parametrize("name", list(NOISE_SOURCES))
def test_contract(name):
    src = make_noise(name)
    g = torch.Generator().manual_seed(7)
    assert src.randn(5, generator=g).shape == (5,)
    x = src.randn((3, 4), generator=g, dtype=torch.float64, device="cpu")
    assert x.shape == (3, 4) and x.dtype == torch.float64 and x.device.type == "cpu"
    assert src.randn((2, 0)).shape == (2, 0)
    assert src.randn_like(torch.empty(2, 3, dtype=torch.float64)).dtype == torch.float64
    # reproducible for the same generator state (memoryless sources, or after reset)
    src.reset()
    a = src.randn(1000, generator=torch.Generator().manual_seed(1))
    src.reset()
    b = src.randn(1000, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    n = 400_000
    src.reset()
    y = src.randn(n, generator=g, dtype=torch.float64)
    sd = math.sqrt(src.variance)
    assert abs(float(y.mean()) - src.mean) < K * sd / math.sqrt(n)
    kurt = src.kurtosis_excess if src.kurtosis_excess is not None else 1.0
    # plus K^2 var / n: the sample variance about the sample mean (matters for Rademacher, kurtosis -2)
    assert abs(float(y.var()) - src.variance) < K * src.variance * math.sqrt((kurt + 2) / n) + K ** 2 * src.variance / n
    with pytest.raises(ConfigError, match="floating-point"):
        src.randn(3, dtype=torch.int32)


def _chi2_p(counts, probs):
    from scipy.stats import chisquare
    n = counts.sum()
    exp = probs * n
    keep = exp >= 5
    obs = np.r_[counts[keep], counts[~keep].sum()]
    e = np.r_[exp[keep], exp[~keep].sum()]
    if e[-1] == 0:
        obs, e = obs[:-1], e[:-1]
    return chisquare(obs, e * obs.sum() / e.sum()).pvalue


@pytest.mark.parametrize("mode", ["exact", "shuffled"])
def test_iid_modes_follow_their_law(small_model, mode):
    pytest.importorskip("scipy")
    src = MeRAMNoise.from_model(small_model, mode, standardise=False)
    x = src.randn(2_000_000, generator=torch.Generator().manual_seed(2), dtype=torch.float64).numpy()
    vals, counts = np.unique(x, return_counts=True)
    law = dict(zip(src.law.values, src.law.probs))
    assert set(vals) <= set(law)
    probs = np.array([law[v] for v in src.law.values])
    c = np.array([counts[vals == v].sum() for v in src.law.values])
    assert _chi2_p(c, probs) > 1e-4
    if mode == "exact":
        values, pmf = epsilon_distribution(A, B, W)
        np.testing.assert_allclose(src.law.probs, pmf / pmf.sum(), rtol=1e-12)
        assert src.variance == pytest.approx(epsilon_moments(A, B, W)["var"], rel=1e-12)


def test_builtin_exact_mode_total_variation():
    src = MeRAMNoise.from_model("meram_eps", "exact", standardise=False)
    m = load_model("meram_eps", kind="meram_eps")
    pmf = m.tables["pmf"].values / m.tables["pmf"].values.sum()
    n = 4_000_000
    x = src.randn(n, generator=torch.Generator().manual_seed(5), dtype=torch.float64).numpy()
    idx = np.searchsorted(m.tables["pmf"].axes[0].values, x)
    emp = np.bincount(idx, minlength=pmf.size) / n
    # E[TV] of an empirical law <= sum sqrt(p (1 - p) / n) / 2; allow 1.5x that
    bound = 1.5 * 0.5 * np.sum(np.sqrt(pmf * (1 - pmf) / n))
    assert 0.5 * np.abs(emp - pmf).sum() < bound


def test_stream_autocorrelation_persistence_and_reset(small_model):
    src = MeRAMNoise.from_model(small_model, "stream")
    ex = epsilon_moments(A, B, W)
    # closed form: bit lag-1 correlation lambda = 1 - a - b; d = X_t - X_(t-1) has Var 2 v (1 - lambda),
    # Cov(d_(t+1), d_t) = -v (1 - lambda)^2, v = a b / (a + b)^2; eps = sum w d
    lam = 1 - A - B
    v = A * B / (A + B) ** 2
    closed = -np.sum(W ** 2 * v * (1 - lam) ** 2) / np.sum(W ** 2 * 2 * v * (1 - lam))
    assert closed == pytest.approx(ex["lag1_autocorr"], rel=1e-12)
    assert src.lag1_autocorr == pytest.approx(closed, rel=1e-12)
    g = torch.Generator().manual_seed(4)
    n = 500_000
    a, b = src.randn(n, generator=g, dtype=torch.float64), src.randn(n, generator=g, dtype=torch.float64)
    r = float((a * b).mean())                       # standardised: mean 0, var 1
    assert abs(r - closed) < K * math.sqrt((1 + closed ** 2) / n)
    # state persists: a smaller call keeps the first chains (still anticorrelated with b's first elements)
    c = src.randn(n // 2, generator=g, dtype=torch.float64)
    assert abs(float((b[: n // 2] * c).mean()) - closed) < K * math.sqrt((1 + closed ** 2) / (n // 2))
    # reset forgets: fresh chains are independent of the old ones
    src.reset()
    d = src.randn(n // 2, generator=g, dtype=torch.float64)
    assert abs(float((c * d).mean())) < K / math.sqrt(n // 2)


def test_energy_and_raw_moments(small_model):
    src = MeRAMNoise.from_model(small_model, "exact", standardise=False)
    assert src.energy_per_sample == 1e-13
    assert src.mean == pytest.approx(0.0, abs=1e-15)
    src.randn((10, 10))
    assert src.samples_drawn == 100


def test_errors(small_model, tmp_path):
    with pytest.raises(ConfigError, match="mode 'bogus' is unknown"):
        MeRAMNoise.from_model(small_model, "bogus")
    with pytest.raises(SchemaError, match="'meram_eps' model is needed"):
        MeRAMNoise.from_model("vcmtj_psw")
    with pytest.raises(ConfigError, match="variance = -1"):
        make_noise("scaled", variance=-1.0)
    with pytest.raises(ConfigError, match="mean = nan"):
        make_noise("biased", mean=float("nan"))
    with pytest.raises(ConfigError, match="bits = 0"):
        make_noise("quantised", bits=0)
    with pytest.raises(ConfigError, match="unknown noise source 'pink'"):
        make_noise("pink")
    with pytest.raises(ConfigError, match="takes no value"):
        parse_noise("gaussian:2")
    with pytest.raises(ConfigError, match="not a valid variance"):
        parse_noise("scaled:big")
    with pytest.raises(ConfigError, match="negative size"):
        make_noise("gaussian").randn((2, -1))


def test_parse_noise():
    assert parse_noise("scaled:2").variance == 2.0
    assert parse_noise("biased:0.2").mean == 0.2
    assert parse_noise("quantised:3").bits == 3
    assert parse_noise("meram-stream").mode == "stream"


def test_true_positions_equals_nonzero_on_sparse_dense_and_odd_length_masks():
    # the sampler's escape finder (word by word) against torch's own nonzero, exactly
    from circuitlab.nn.table_sampler import true_positions
    g = torch.Generator().manual_seed(0)
    for n in (0, 1, 7, 8, 9, 1000, 1 << 20, (1 << 20) + 3):
        for p in (0.0, 0.004, 0.5, 1.0):
            m = torch.rand(n, generator=g) < p
            assert torch.equal(true_positions(m), m.nonzero().squeeze(1)), (n, p)
