"""Sensitivity and yield from campaign files: a current-summing circuit (real ngspice) whose output is
exactly linear in its Gaussian sources, so its variance decomposition, tail probabilities and Cpk are
known in closed form; the Sobol estimator against an analytic nonlinear function; Clopper-Pearson
coverage over repeated seeds."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import norm

from circuitlab.cli.main import main
from circuitlab.errors import ConfigError
from circuitlab.montecarlo import parse_spec
from circuitlab.montecarlo.engine import run_campaign
from circuitlab.montecarlo.limits import SpecLimit, parse_limit_arg
from circuitlab.montecarlo.results import load_results
from circuitlab.montecarlo.sensitivity import first_order_sobol, sensitivity, variation_sources
from circuitlab.montecarlo.yields import clopper_pearson, cpk, evaluate_limits

# V(out) = R (i1 + i2 + i3 + i4): i1, i2 independent (sigma 10 and 20 uA), i3 and i4 moved together by
# one process draw (sigma 10 uA each, so 20 uA on their sum). Var shares 1/9, 4/9, 4/9 exactly.
SPEC = """
name = "isum"
seed = {seed}
samples = {samples}
template = "isum\\nI1 0 out {{i1}}\\nI2 0 out {{i2}}\\nI3 0 out {{i3}}\\nI4 0 out {{i4}}\\nR1 out 0 {{r}}\\nVd d 0 0\\n.dc Vd 0 1 1\\n.meas dc vout AVG v(out)\\n.end"
[parameters]
i1 = 1e-3
i2 = 1e-3
i3 = 1e-3
i4 = 1e-3
r = 1000.0
[[variation]]
params = ["i1"]
type = "absolute"
sigma = 1e-5
[[variation]]
params = ["i2"]
type = "absolute"
sigma = 2e-5
[[variation]]
params = ["i3", "i4"]
type = "absolute"
sigma = 1e-5
scope = "process"
[record]
measures = ["vout"]
derived = {{ vsq = "(vout - 4.0) ** 2" }}
[spec_limits]
vout = {{ lower = 3.97, upper = 4.05 }}
"""
SIGMA_V = 1000.0 * math.sqrt(1e-10 + 4e-10 + 4e-10)  # 0.03 V


@pytest.fixture(scope="module")
def isum(tmp_path_factory):
    path = tmp_path_factory.mktemp("sens") / "isum.h5"
    run_campaign(parse_spec(SPEC.format(seed=5, samples=1201)), path, workers=1, progress=False)
    return path


def test_sources_from_the_spec():
    labels = variation_sources(parse_spec(SPEC.format(seed=5, samples=3)))
    assert labels == {"i1": "process i1", "i2": "process i2", "i3": "process i3+i4", "i4": "process i3+i4"}


@pytest.mark.ngspice
def test_linear_shares_match_the_closed_form(isum):
    rep = sensitivity(load_results(isum), ["vout"], boot=200)
    m = rep.measures[0]
    assert m.n == 1200 and m.linear and m.r2.value > 1 - 1e-9   # V is exactly linear in the currents
    truth = {"process i1": 1 / 9, "process i2": 4 / 9, "process i3+i4": 4 / 9}
    assert sum(e.value for e in m.share.values()) == pytest.approx(1.0, rel=1e-9)   # shares add up to R^2
    for src, share in truth.items():
        e = m.share[src]
        se = (e.high - e.low) / (2 * 1.96)
        # sampling error only: within 4 bootstrap standard errors of the exact share
        assert abs(e.value - share) < 4 * se, (src, e, share)
        assert 0.002 < se < 0.05   # n = 1200: a few percent at most
    # the collinear pair splits its coefficient evenly (least norm); together it is the source's sqrt(share)
    assert m.src["i3"].value == pytest.approx(m.src["i4"].value, rel=1e-9)
    assert m.src["i3"].value + m.src["i4"].value == pytest.approx(2 / 3, abs=0.05)
    assert m.src["i1"].value == pytest.approx(1 / 3, abs=0.05)


@pytest.mark.ngspice
def test_nonlinear_response_gets_sobol_indices(isum):
    # (V - 4)^2 = R^2 (d1 + d2 + d34)^2 with zero-mean Gaussians of variances 1, 4, 4 (x 1e-10 A^2):
    # Var E[y | d_k] = 2 R^4 s_k^4, Var y = 2 R^4 (sum s^2)^2, so S_k = s_k^4 / 81: 1/81, 16/81, 16/81;
    # a linear model explains nothing of an even function (R^2 near 0).
    m = sensitivity(load_results(isum), ["vsq"], boot=100).measures[0]
    assert not m.linear and m.r2.value < 0.05
    for src, s in {"process i1": 1 / 81, "process i2": 16 / 81, "process i3+i4": 16 / 81}.items():
        assert m.sobol_share[src].value == pytest.approx(s, abs=0.06), (src, m.sobol_share[src])


def test_first_order_sobol_estimator_closed_form():
    # y = x1^2 + x2, x ~ N(0, 1): Var = 2 + 1, S1 = 2/3, S2 = 1/3; x3 unused: S3 = 0
    rng = np.random.default_rng(1)
    x = rng.standard_normal((20000, 3))
    y = x[:, 0] ** 2 + x[:, 1]
    s = [first_order_sobol(x[:, j], y) for j in range(3)]
    assert s[0] == pytest.approx(2 / 3, abs=0.03) and s[1] == pytest.approx(1 / 3, abs=0.03)
    assert abs(s[2]) < 0.02


@pytest.mark.ngspice
def test_yield_and_cpk_against_the_normal_law(isum):
    res = load_results(isum)
    rep = evaluate_limits(res, res.spec.spec_limits)
    exact = norm.cdf(0.05 / SIGMA_V) - norm.cdf(-0.03 / SIGMA_V)      # 0.7935
    lo, hi = rep.interval
    assert rep.counted == 1200 and lo < exact < hi
    assert hi - lo < 0.05
    # Cpk = min(USL - mu, mu - LSL) / (3 sigma) = 0.03 / 0.09 at the nominal mean and sigma
    assert rep.per_limit[0].cpk == pytest.approx(1 / 3, abs=0.03)
    one_sided = evaluate_limits(res, [parse_limit_arg("vout::4.05")])
    assert one_sided.interval[0] < norm.cdf(0.05 / SIGMA_V) < one_sided.interval[1]


def test_clopper_pearson_covers_over_repeated_seeds():
    # exact interval: coverage >= 95 % for every p and n (conservative); measured over 4000 seeds
    rng = np.random.default_rng(7)
    for p, n in ((0.9, 50), (0.99, 300), (0.5, 20)):
        k = rng.binomial(n, p, size=4000)
        cover = np.mean([lo <= p <= hi for lo, hi in (clopper_pearson(int(v), n) for v in k)])
        assert 0.95 - 3 * math.sqrt(0.05 * 0.95 / 4000) <= cover <= 0.999, (p, n, cover)
    assert clopper_pearson(0, 10)[0] == 0.0 and clopper_pearson(10, 10)[1] == 1.0
    # closed form at k = 0: upper = 1 - (alpha/2)^(1/n)
    assert clopper_pearson(0, 10)[1] == pytest.approx(1 - 0.025 ** 0.1, rel=1e-9)


def test_limits_are_validated():
    with pytest.raises(ConfigError, match="lower=2.0 must be < upper=1.0"):
        SpecLimit("v", 2.0, 1.0)
    with pytest.raises(ConfigError, match="neither lower nor upper"):
        parse_limit_arg("v::")
    with pytest.raises(ConfigError, match="not a number"):
        parse_limit_arg("v:a:1")
    with pytest.raises(ConfigError, match="'vx' is not a recorded"):
        parse_spec(SPEC.format(seed=1, samples=3).replace("vout = {", "vx = {"))
    with pytest.raises(ConfigError, match="unknown key 'mid'"):
        parse_spec(SPEC.format(seed=1, samples=3).replace("lower = 3.97", "mid = 3.97"))
    assert cpk(np.array([1.0, 1.0, 1.0]), SpecLimit("v", 0.0, 2.0)) == float("inf")


@pytest.mark.ngspice
def test_cli_sensitivity_status_inspect(isum, capsys):
    assert main(["mc", "sensitivity", str(isum), "--measure", "vout", "--boot", "50", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["measures"]["vout"]["share"]) == {"process i1", "process i2", "process i3+i4"}
    assert all(p.endswith(".png") for p in out["plots"]) and len(out["plots"]) == 1
    assert main(["mc", "status", str(isum), "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["yield"]["counted"] == 1200 and "vout" in st["yield"]["limits"]
    assert main(["mc", "inspect", str(isum), "--no-plots", "--limit", "vout:3.9:"]) == 0
    text = capsys.readouterr().out
    assert "3.9 <= vout <= +inf" in text and "Clopper-Pearson" in text
    assert main(["mc", "sensitivity", str(isum), "--measure", "nope"]) != 0
    assert "no recorded scalar 'nope'; recorded: vout, vsq" in capsys.readouterr().err


def test_only_source_text_disables_the_others():
    text = SPEC.format(seed=1, samples=3).replace('params = ["i2"]', 'params = ["i2"]\nenabled = true')
    spec = parse_spec(__import__("circuitlab.montecarlo.by_source", fromlist=["x"]).only_source_text(
        text, ("variation", 1)))
    assert [v.enabled for v in spec.variations] == [False, True, False]
    with pytest.raises(ConfigError, match="enabled='no' must be true or false"):
        parse_spec(text.replace("enabled = true", "enabled = 'no'"))


@pytest.mark.ngspice
def test_by_source_runs_share_the_draws(isum, tmp_path):
    from circuitlab.montecarlo.by_source import run_by_source
    runs, total = run_by_source(isum, samples=300, out_dir=tmp_path, progress=False)
    full = load_results(isum)
    assert [r.label for r in runs] == ["process i1", "process i2", "process i3+i4"]
    for r, on in zip(runs, (["i1"], ["i2"], ["i3", "i4"])):
        part = load_results(r.path)
        for col in ("i1", "i2", "i3", "i4"):
            if col in on:   # common random numbers: the source left on draws what it drew in the full run
                assert np.array_equal(part[col], full[col][:300])
            else:
                assert np.all(part[col] == 1e-3)
    # additive response: the one-source variances add up to the full variance (sampling error only,
    # the cross-covariances of independent sources over 299 samples: about 0.1)
    assert total["vout"] == pytest.approx(1.0, abs=0.15)
    for r, truth in zip(runs, (1 / 9, 4 / 9, 4 / 9)):
        assert r.variance_ratio["vout"] == pytest.approx(truth, abs=0.1)
