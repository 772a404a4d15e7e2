"""Campaign specs (strict parsing) and seeded sampling: no simulator needed."""
from __future__ import annotations

import numpy as np
import pytest

from circuitlab.errors import ConfigError
from circuitlab.montecarlo import parse_spec
from circuitlab.montecarlo.netlists import run_netlist, stack
from circuitlab.montecarlo.sampling import columns, draw_sample

BASE = """
name = "t"
builder = "circuitlab.montecarlo.examples:rc_bsource"
seed = 7
samples = 10
[parameters]
r = 1000.0
c = 1e-10
g3 = 1e-4
[record]
measures = ["vmax"]
"""


def spec_with(extra: str = "", base: str = BASE):
    return parse_spec(base + extra)


@pytest.mark.parametrize("text, match", [
    ('colour = 1\n', r"unknown key 'colour' in campaign spec; allowed keys: name, seed"),
    ('[[variation]]\nparams = ["r"]\nsigma = 0.1\nspread = 2\n', r"unknown key 'spread' in \[\[variation\]\] #1"),
    ('[[variation]]\nparams = ["zz"]\nsigma = 0.1\n', r"parameter 'zz' is not in \[parameters\]"),
    ('[[variation]]\nparams = ["r"]\nsigma = -1\n', r"sigma=-1 must be > 0"),
    ('[[variation]]\nparams = ["r"]\ndistribution = "cauchy"\nsigma = 1\n', r"distribution='cauchy' must be one of"),
    ('[[variation]]\nparams = ["r"]\ndistribution = "uniform"\nsigma = 1\n', r"uniform' takes half_width"),
    ('[[variation]]\nparams = ["r"]\nsigma = 0.1\nscope = "global"\n', r"scope='global' must be one of process"),
    ('[[jitter]]\nparam = "vin"\nv1 = 0\nv2 = 1\ndelay = 1e-8\nwidth = 1e-7\nperiod = 2e-7\ncount = 2\n'
     'sigma = 1e-7\n', r"sigma=1e-07 s is too large"),
])
def test_strict_spec_errors(text, match):
    # keys after a table header belong to that table, so extra top-level keys go first
    source = text + BASE if text.startswith("colour") else BASE + text
    with pytest.raises(ConfigError, match=match):
        parse_spec(source)


@pytest.mark.parametrize("text, match", [
    (BASE.replace("seed = 7", 'seed = "7"'), r"seed='7' must be an integer"),
    (BASE.replace("samples = 10", "samples = 0"), r"samples=0 must be >= 1"),
    (BASE.replace('builder = "circuitlab.montecarlo.examples:rc_bsource"', ""), r"exactly one of builder"),
    (BASE.replace("examples:rc_bsource", "examples"), r"must look like 'package.module:function'"),
    (BASE + "[record.time]\nstart = 0\nstop = 1e-6\n", r"\[record\] time: 'points' is required"),
    (BASE.replace('measures = ["vmax"]', 'measures = ["vmax"]\nderived = { x = "__import__(1)" }'),
     r"call '__import__\(1\)' is not allowed"),
    ("name = [", r"not valid TOML"),
])
def test_strict_spec_types(text, match):
    with pytest.raises(ConfigError, match=match):
        parse_spec(text)


MOMENTS = """
[[variation]]
params = ["r"]
distribution = "{dist}"
type = "relative"
{width}
scope = "process"
"""


@pytest.mark.parametrize("dist, width, std", [
    ("normal", "sigma = 0.1", 0.1),
    ("lognormal", "sigma = 0.1", 0.1),
    ("uniform", "half_width = 0.1", 0.1 / np.sqrt(3)),
    ("truncnormal", "sigma = 0.1\nclip = 1.5", None),
])
def test_sampling_moments(dist, width, std):
    spec = spec_with(MOMENTS.format(dist=dist, width=width))
    n = 2000
    x = np.array([draw_sample(spec, k).row[0] for k in range(1, n + 1)]) / 1000.0
    if std is None:  # truncated at 1.5 sigma: std = sigma * sqrt(1 - 2 a phi(a) / (2 Phi(a) - 1))
        from scipy.stats import truncnorm
        std = 0.1 * truncnorm.std(-1.5, 1.5)
        assert np.abs(x - 1).max() <= 0.15 + 1e-12
    # mean within 4 standard errors; std within 4 standard errors of a std (about std / sqrt(2 n))
    assert abs(x.mean() - 1.0) < 4 * std / np.sqrt(n)
    assert abs(x.std(ddof=1) - std) < 4 * std / np.sqrt(2 * n) * 1.5  # 1.5: kurtosis of uniform/lognormal


def test_sample_zero_is_nominal_and_draws_are_independent_of_sample_count():
    spec = spec_with(MOMENTS.format(dist="normal", width="sigma = 0.1"))
    assert draw_sample(spec, 0).row[0] == 1000.0
    other = parse_spec(spec.text.replace("samples = 10", "samples = 99999"))
    assert np.array_equal(draw_sample(spec, 5).row, draw_sample(other, 5).row)
    seq = np.random.SeedSequence(7).spawn(6)[5].spawn(1)[0]
    z = np.random.default_rng(seq).standard_normal(1)[0]
    assert draw_sample(spec, 5).row[0] == 1000.0 * (1 + 0.1 * z)


SCOPES = """
[parameters]
r = 1000.0
c = 1e-10
g3 = 1e-4
vth1 = 0.4
vth2 = 0.4
w = 1e-6
l = 1e-7
[[variation]]
params = ["vth1", "vth2"]
type = "absolute"
scope = "{scope}"
{how}
[record]
measures = ["vmax"]
"""


def _scoped(scope, how):
    head = BASE.split("[parameters]")[0]
    return parse_spec(head + SCOPES.format(scope=scope, how=how))


def test_process_shares_one_draw_and_mismatch_draws_per_instance():
    proc = _scoped("process", "sigma = 0.01")
    mism = _scoped("mismatch", "sigma = 0.01")
    cols = columns(proc)
    i1, i2 = cols.index("vth1"), cols.index("vth2")
    p = np.array([draw_sample(proc, k).row for k in range(1, 400)])
    m = np.array([draw_sample(mism, k).row for k in range(1, 400)])
    assert np.array_equal(p[:, i1], p[:, i2])
    assert np.corrcoef(m[:, i1], m[:, i2])[0, 1] == pytest.approx(0, abs=4 / np.sqrt(400))


def test_pelgrom_sigma_from_width_and_length():
    spec = _scoped("mismatch", 'pelgrom = { avt = 3e-9, width = "w", length = "l" }')
    x = np.array([draw_sample(spec, k).row[3] for k in range(1, 3001)])
    sigma = 3e-9 / np.sqrt(1e-6 * 1e-7)
    assert abs(x.std(ddof=1) - sigma) < 4 * sigma / np.sqrt(2 * 3000)


def test_process_vs_mismatch_in_netlist_text():
    text = """
name = "t"
seed = 3
samples = 4
template = "t\\nR1 a 0 {r1}\\nR2 a 0 {r2}\\nI1 0 a 1m\\n.op\\n.end"
[parameters]
r1 = 1000.0
r2 = 1000.0
[[variation]]
params = ["r1", "r2"]
sigma = 0.1
scope = "SCOPE"
[record]
derived = { one = "1" }
"""
    for scope, equal in (("process", True), ("mismatch", False)):
        spec = parse_spec(text.replace("SCOPE", scope))
        net = run_netlist(spec, draw_sample(spec, 2).points[0])
        r1 = net.split("R1 a 0 ")[1].split()[0]
        r2 = net.split("R2 a 0 ")[1].split()[0]
        assert (r1 == r2) is equal, net


def test_jitter_becomes_pwl_edges_and_stacks():
    spec = spec_with('[[jitter]]\nparam = "vin"\nv1 = 0\nv2 = 1\ndelay = 1e-8\nrise = 1e-9\nfall = 1e-9\n'
                     'width = 2e-7\nperiod = 4e-7\ncount = 2\nsigma = 1e-10\n')
    d = draw_sample(spec, 3)
    assert columns(spec)[-4:] == ("vin.rise0", "vin.fall0", "vin.rise1", "vin.fall1")
    net = run_netlist(spec, d.points[0])
    assert "PWL(0.0 0.0 " in net and repr(float(1e-8 + d.row[-4])) in net
    from circuitlab.montecarlo.netlists import build_circuit
    circuits = [build_circuit(spec, draw_sample(spec, k).points[0]) for k in (1, 2)]
    text = stack(circuits, ["1p0", "2p0"], ["v(out)"])
    assert ".save v(x1p0.out) v(x2p0.out)" in text and "vmax_2p0 MAX v(x2p0.out)" in text


def test_every_builtin_spec_is_a_campaign_spec():
    """Every built-in spec (circuitlab/specs/, package data) is a strict Monte Carlo spec that `circuitlab
    mc run` accepts (each also runs in the suite: rc_bsource and RRAM in their tests, P2M and MeRAM through
    their characterise commands at --quick)."""
    from circuitlab.montecarlo import load_spec
    from circuitlab.montecarlo.engine import resolve_mode
    from circuitlab.resources import builtin_specs
    specs = list(builtin_specs().values())
    assert len(specs) >= 14
    for path in specs:
        spec = load_spec(path)
        assert spec.name == path.stem and spec.samples >= 4, path.name
        assert resolve_mode(spec) in ("stacked", "batch", "single", "python"), path.name
