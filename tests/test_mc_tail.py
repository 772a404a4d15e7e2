"""Designs (corners, mean shift, scaled sigma) and the high-sigma estimators, against closed forms: a
response linear in Gaussian factors has the exact tail Q(t) = P(y > y0 + t sigma_y); its corners are
sums of k sigma steps. Coverage over seeds is checked with the library's own estimator functions on
numpy draws (fast); the campaigns themselves run through real ngspice once per case."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import norm

from circuitlab.cli.main import main
from circuitlab.errors import ConfigError
from circuitlab.montecarlo import parse_spec
from circuitlab.montecarlo.corners import run_corners
from circuitlab.montecarlo.design import Design, factor_names
from circuitlab.montecarlo.limits import SpecLimit
from circuitlab.montecarlo.results import load_results
from circuitlab.montecarlo.tail import design_z, failure_points, sss_fit, weighted_estimate
from circuitlab.montecarlo.tail_run import run_tail, unclipped

from test_mc_sensitivity import SIGMA_V, SPEC

W = np.array([1.0, 2.0, 2.0])          # the current-sum circuit in sigma units: y = 10 uA x (z1 + 2 z2 + 2 z34)


def _spec(**kw):
    text = SPEC.format(seed=kw.pop("seed", 5), samples=kw.pop("samples", 50))
    return parse_spec(text.split("[spec_limits]")[0])


def test_design_parsing_and_factors():
    spec = _spec()
    assert factor_names(spec) == ["process i1", "process i2", "process i3+i4"]
    base = spec.text
    with pytest.raises(ConfigError, match=r"list of 3 finite numbers.*factors in order: process i1"):
        parse_spec(base + '\n[design]\nkind = "mean_shift"\nshift = [1.0, 2.0]\n')
    with pytest.raises(ConfigError, match="kind='x' must be one of"):
        parse_spec(base + '\n[design]\nkind = "x"\n')
    with pytest.raises(ConfigError, match="truncnormal, which has no tail"):
        parse_spec(base.replace('params = ["i1"]', 'params = ["i1"]\ndistribution = "truncnormal"')
                   + '\n[design]\nkind = "scaled_sigma"\nscale = 2.0\n')
    pts = parse_spec(base + '\n[design]\nkind = "points"\npoints = [[1.0, 0.0, 0.0], [0.0, 0.0, -3.0]]\n')
    assert pts.samples == 3


def test_log_weights_are_likelihood_ratios():
    rng = np.random.default_rng(3)
    s = np.array([1.0, -2.0, 0.5])
    d = Design("mean_shift", shifts=(tuple(s),))
    z = rng.standard_normal((4, 3)) + s
    # closed form for one shifted Gaussian: log p/q = -z.s + |s|^2 / 2
    assert np.allclose(d.log_weight(z), -z @ s + 0.5 * s @ s, rtol=1e-12, atol=1e-12)
    for design in (Design("mixture", shifts=(tuple(s), tuple(-s))), Design("scaled_sigma", scale=2.5)):
        z0 = rng.standard_normal((200000, 3))
        zz = np.array([design.transform(r, 1, u) for r, u in zip(z0[:2000], rng.random(2000))])
        assert zz.shape == (2000, 3)
        if design.kind == "scaled_sigma":
            zq = 2.5 * z0
        else:
            pick = rng.random(len(z0)) < 0.5
            zq = z0 + np.where(pick[:, None], s, -s)
        w = np.exp(design.log_weight(zq))
        assert w.mean() == pytest.approx(1.0, abs=5 * w.std() / math.sqrt(len(w)))   # E_q[p/q] = 1


@pytest.mark.parametrize("p_exact", [1e-4, 1e-6, 1e-8])
def test_importance_sampling_interval_covers_the_exact_tail(p_exact):
    """The whole estimator (exploration at 3 sigma, linear failure point, shifted sampling, weights) on
    numpy draws of the same linear response, 200 seeds: the 95 % interval covers Q(t) in 90-99 %."""
    t = norm.isf(p_exact)
    sd = math.sqrt(W @ W)
    lim = [SpecLimit("y", None, t * sd)]
    cover, rel = 0, []
    for seed in range(200):
        rng = np.random.default_rng(seed)
        ze = 3.0 * rng.standard_normal((200, 3))
        (label, beta, zstar), = failure_points(ze, {"y": ze @ W}, lim)
        assert beta == pytest.approx(t, rel=1e-9)           # exact for a linear response
        d = Design("mean_shift", shifts=(tuple(zstar),))
        z = rng.standard_normal((400, 3)) + zstar
        p, se = weighted_estimate(z @ W > t * sd, d.log_weight(z))
        cover += p - 1.959964 * se <= p_exact <= p + 1.959964 * se
        rel.append(se / p)
    assert 0.90 <= cover / 200 <= 0.99
    # about 10 % relative error from 400 + 200 simulations (the per-sample relative sd grows slowly with t:
    # 0.10 at 1e-4, 0.126 at 1e-8 measured)
    assert np.median(rel) < 0.15


def test_scaled_sigma_interval_covers_the_exact_tail():
    rng = np.random.default_rng(11)
    for p_exact in (1e-4, 1e-6, 1e-8):
        t = norm.isf(p_exact)
        scales = t / np.array([2.5, 2.25, 2.0, 1.75])
        probs = norm.sf(t / scales)
        cover = 0
        for _ in range(300):
            k = rng.binomial(400, probs)
            _, lo, hi = sss_fit(scales, k, [400] * 4)
            cover += lo <= p_exact <= hi
        assert cover / 300 >= 0.85, (p_exact, cover / 300)
    with pytest.raises(ConfigError, match="failures at 1 of 3 scales"):
        sss_fit([2, 3, 4], [0, 0, 5], [100] * 3)


@pytest.mark.ngspice
def test_tail_campaigns_end_to_end(tmp_path):
    p_exact = 1e-6
    upper = 4.0 + norm.isf(p_exact) * SIGMA_V
    spec = _spec()
    est = run_tail(spec, [SpecLimit("vout", None, upper)], tmp_path, samples=300, explore=100, sss_samples=300,
                   workers=1, progress=False)
    assert est["is"].low <= p_exact <= est["is"].high and est["is"].relative_error < 0.2
    assert est["is"].samples == 400
    assert est["sss"].low <= p_exact <= est["sss"].high
    # the campaign's design z are the factors it simulated: i = i0 + sigma z
    r = load_results(tmp_path / "importance.h5")
    z = design_z(r)
    assert np.allclose(r["i1"], 1e-3 + 1e-5 * z[:, 0], rtol=1e-12) and np.allclose(r["i3"], 1e-3 + 1e-5 * z[:, 2])
    summary = json.loads((tmp_path / "tail.json").read_text())
    assert summary["plain_mc_samples_for_10pct"]["is"] > 1e7 and (tmp_path / "tail.png").stat().st_size > 0
    # a second call reuses the files (nothing re-simulated) and gives the same numbers
    again = run_tail(spec, [SpecLimit("vout", None, upper)], tmp_path, samples=300, explore=100, sss_samples=300,
                     workers=1, progress=False)
    assert again["is"].p_fail == est["is"].p_fail
    with pytest.raises(ConfigError, match="exists from another tail run"):
        run_tail(spec, [SpecLimit("vout", None, upper)], tmp_path, samples=200, explore=100, method="is",
                 workers=1, progress=False)


@pytest.mark.ngspice
def test_corners_full_factorial_and_linear_worst_corner(tmp_path):
    spec = _spec(samples=200)
    full = {c.scalar: c for c in run_corners(spec, tmp_path / "f", k=3, mc_samples=200, workers=1, progress=False)}
    # exhaustive enumeration in closed form: V = R (4 mA + k sigma_total) at the all-plus corner
    assert full["vout"].high == pytest.approx(4.0 + 3 * 1000 * 5e-5, rel=1e-9)
    assert full["vout"].low == pytest.approx(4.0 - 3 * 1000 * 5e-5, rel=1e-9)
    assert full["vout"].high_corner == {"process i1": 1, "process i2": 1, "process i3+i4": 1}
    assert full["vout"].mc_max < full["vout"].high and full["vout"].mc_samples == 199
    lin = {c.scalar: c for c in run_corners(spec, tmp_path / "l", k=3, full_max=0, mc=str(tmp_path / "f" / "mc.h5"),
                                            workers=1, progress=False)}
    assert lin["vout"].high == pytest.approx(full["vout"].high, rel=1e-9)
    assert lin["vout"].high_corner == full["vout"].high_corner
    one = {c.scalar: c for c in run_corners(spec, tmp_path / "p", k=2, params=["i2"], mc=str(tmp_path / "f" / "mc.h5"),
                                            workers=1, progress=False)}
    assert one["vout"].high == pytest.approx(4.0 + 2 * 1000 * 2e-5, rel=1e-9)
    with pytest.raises(ConfigError, match="names none of the spec's factors"):
        run_corners(spec, tmp_path / "x", params=["nope"], workers=1, progress=False)


@pytest.mark.ngspice
def test_cli_tail_and_corners(tmp_path, capsys):
    spec = tmp_path / "isum.toml"
    spec.write_text(SPEC.format(seed=5, samples=50))
    assert main(["mc", "tail", str(spec), "--out", str(tmp_path / "t"), "--method", "is", "--samples", "100",
                 "--explore", "60", "--limit", "vout::4.12", "--workers", "1", "--no-progress", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["is"]["ci95"][0] <= norm.sf(0.12 / SIGMA_V) <= out["is"]["ci95"][1]
    assert main(["mc", "corners", str(spec), "--out", str(tmp_path / "c"), "--mc-samples", "40", "--workers", "1",
                 "--no-progress"]) == 0
    assert "vout max at: process i1 +, process i2 +, process i3+i4 +" in capsys.readouterr().out
    assert main(["mc", "tail", str(spec), "--out", str(tmp_path / "u"), "--scales", "2,x"]) == 1
    assert "--scales '2,x' must be comma-separated numbers" in capsys.readouterr().err


def test_unclip_reads_truncnormal_as_normal():
    text = 'distribution = "truncnormal"\n[x]\nv = { distribution = \'truncnormal\', sigma = 1 }\n'
    out, n = unclipped(text)
    assert n == 2 and "truncnormal" not in out and out.count("normal") == 2
    assert unclipped('distribution = "normal"') == ('distribution = "normal"', 0)


@pytest.mark.ngspice
def test_tail_of_a_clipped_spec_needs_unclip(tmp_path):
    """The same current sum with every variation clipped at 3 sigma: the clipped law has no tail (a shifted
    design is refused), the unclipped one is the normal law of the closed form."""
    text = SPEC.format(seed=5, samples=50).split("[spec_limits]")[0]
    text = text.replace('type = "absolute"', 'type = "absolute"\ndistribution = "truncnormal"\nclip = 3.0')
    limit = [SpecLimit("vout", None, 4.0 + norm.isf(1e-4) * SIGMA_V)]
    with pytest.raises(ConfigError, match="truncnormal"):
        run_tail(parse_spec(text), limit, tmp_path / "c", method="is", samples=100, explore=60, workers=1,
                 progress=False)
    est = run_tail(parse_spec(text), limit, tmp_path / "u", method="is", samples=200, explore=60, unclip=True,
                   workers=1, progress=False)["is"]
    assert est.low <= 1e-4 <= est.high and est.relative_error < 0.3
    summary = json.loads((tmp_path / "u" / "tail.json").read_text())
    assert summary["unclipped"] == ["i1", "i2", "i3, i4"]


NONLINEAR = """
name = "skewed"
seed = 11
samples = 10
template = "skewed\\nB1 out 0 V=exp(0.5*{z1})+0.1*{z2}\\nR1 out 0 1\\nVd d 0 0\\n.dc Vd 0 1 1\\n.meas dc y AVG v(out)\\n.end"
[parameters]
z1 = 0.0
z2 = 0.0
[[variation]]
params = ["z1"]
type = "absolute"
sigma = 1.0
[[variation]]
params = ["z2"]
type = "absolute"
sigma = 1.0
[record]
measures = ["y"]
"""


@pytest.mark.ngspice
def test_adaptive_stages_refit_the_failure_point(tmp_path):
    """y = exp(z1 / 2) + z2 / 10 (skewed), fail when y < 0.12: exact P = E_z2[Phi(2 ln(0.12 - z2 / 10))]
    (1-D quadrature, 1.11e-3) and exact most probable failure point at beta = min |z| on the boundary
    (3.003, at z = (-2.47, -1.70)). The exploration's global linear fit puts it at beta 1.70 (5 of 200
    shifted samples fail, relative error over 100 %); the second stage's local refit moves it to within
    0.2 of the exact beta, and its interval covers the exact P with about 20 % relative error."""
    from scipy.integrate import quad
    from scipy.optimize import minimize_scalar
    lower = 0.12
    exact = quad(lambda z2: norm.pdf(z2) * norm.cdf(2 * np.log(lower - z2 / 10)), -12, lower * 10 - 1e-12)[0]
    beta = math.sqrt(minimize_scalar(lambda z2: (2 * np.log(lower - z2 / 10)) ** 2 + z2 ** 2,
                                     bounds=(-10, 10 * lower - 1e-9), method="bounded").fun)
    est = run_tail(parse_spec(NONLINEAR), [SpecLimit("y", lower, None)], tmp_path, method="is", samples=200,
                   explore=100, stages=2, workers=1, progress=False)["is"]
    first, second = json.loads((tmp_path / "tail.json").read_text())["stages"]
    assert abs(second["betas"][0] - beta) < min(0.2, abs(first["betas"][0] - beta))
    assert second["failures"] > 5 * first["failures"]
    assert est.low <= exact <= est.high and est.relative_error < 0.3
    assert est.samples == 100 + 200 + 200 and (tmp_path / "importance_2.h5").is_file()
    with pytest.raises(ConfigError, match="--stages 9 must lie in 1..5"):
        run_tail(parse_spec(NONLINEAR), [SpecLimit("y", lower, None)], tmp_path / "x", stages=9, workers=1)
