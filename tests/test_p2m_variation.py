"""The P2M Fig. 6 worst-case figures read the seed's way (dwmtj_p2m_snn_paper.txt): 3 sigma of the random
part over the dynamic-range span, the sample maximum with a bootstrap interval, and the Fig. 6d lower
bound; each checked against its closed form on synthetic data and for convergence as samples grow."""
import json

import numpy as np
import pytest

from circuitlab.devices.p2m_encoding import Nominal, level_key, nominal_path, read_nominal, write_nominal
from circuitlab.errors import SchemaError
from circuitlab.fit.curve_fit import FitError
from circuitlab.fit.noise import random_part
from circuitlab.fit.p2m import f1_variation, f2_curve, f2_lower_bound

SIGMA, SPAN = 2.0e-9, 60e-9   # m: a residual sigma and a dynamic-range span; closed form 3 sigma / span = 0.1


@pytest.mark.parametrize("counts", [(100, 1000, 10000)])
def test_three_sigma_converges_to_the_closed_form_within_its_standard_error(counts):
    """Gaussian residuals, 4 groups of equal sigma: 3 sigma_hat / span lies within 4 standard errors
    (3 sigma / sqrt(2 (m - 1)) / span, m the group size) of 3 sigma / span at every count, and the
    reported stderr is that formula."""
    rng = np.random.default_rng(1)
    r_all, g_all = rng.normal(0.0, SIGMA, counts[-1]), rng.integers(1, 5, counts[-1])
    truth = 3 * SIGMA / SPAN
    errors = []
    for n in counts:
        rp = random_part(r_all[:n], g_all[:n], SPAN)
        m = min(np.sum(g_all[:n] == k) for k in range(1, 5))
        bound = truth / np.sqrt(2 * (m - 1))
        assert abs(rp.three_sigma - truth) < 4 * bound
        assert rp.stderr == pytest.approx(truth / np.sqrt(2 * (np.sum(g_all[:n] == max(
            rp.sigma_by_group, key=rp.sigma_by_group.get)) - 1)), rel=0.2)
        errors.append(abs(rp.three_sigma - truth))
    assert errors[-1] < 0.02 * truth            # 10 000 samples: within 2 % of 3 sigma / span


def test_three_sigma_takes_the_worst_group():
    """Groups of sigma 1, 2 and 3 (x SIGMA): the figure is 3 x 3 SIGMA / span (5 % at 30 000 per group)."""
    rng = np.random.default_rng(2)
    r = np.concatenate([rng.normal(0, k * SIGMA, 30000) for k in (1, 2, 3)])
    g = np.repeat([1, 2, 3], 30000)
    rp = random_part(r, g, SPAN)
    assert rp.three_sigma == pytest.approx(9 * SIGMA / SPAN, rel=0.05)
    assert rp.sigma_by_group[1] == pytest.approx(SIGMA / SPAN, rel=0.05)
    # pooled: sigma^2 = (1 + 4 + 9) / 3 SIGMA^2 (equal groups, zero means)
    assert rp.three_sigma_pooled == pytest.approx(3 * np.sqrt(14 / 3) * SIGMA / SPAN, rel=0.05)


def test_sample_max_converges_to_the_clip_and_the_bootstrap_interval_lies_below_it():
    """Residuals truncated at 3 sigma: the sample maximum of |r| / span grows with nested samples and
    tends to 3 sigma / span (P(|z| > 2.95) = 4.8e-4 of the truncated law, so 10^5 samples exceed 2.95
    sigma almost surely); the bootstrap 95 % interval lies at or below the observed maximum."""
    rng = np.random.default_rng(3)
    z = rng.standard_normal(300000)
    z = z[np.abs(z) <= 3.0][:100000]
    maxima = []
    for n in (100, 1000, 10000, 100000):
        rp = random_part(z[:n] * SIGMA, np.ones(n, int), SPAN, resamples=200)
        maxima.append(rp.sample_max)
        assert rp.ci[0] <= rp.ci[1] <= rp.sample_max + 1e-15
    assert all(a <= b for a, b in zip(maxima, maxima[1:]))
    assert 2.95 * SIGMA / SPAN < maxima[-1] <= 3.0 * SIGMA / SPAN


def test_random_part_rejects_bad_input():
    with pytest.raises(FitError, match="span must be positive"):
        random_part(np.zeros(10), np.ones(10), 0.0)
    with pytest.raises(FitError, match="need at least 3 residuals"):
        random_part(np.zeros(2), np.ones(2), 1.0)
    with pytest.raises(FitError, match="no group has 3 residuals"):
        random_part(np.zeros(4), np.arange(4), 1.0)


def test_f1_variation_uses_each_levels_nominal_and_leaves_out_zero_events():
    """Samples at different levels with the same random part: the figure sees only q - q_nom; n = 0
    samples (no events, no displacement) are left out."""
    rng = np.random.default_rng(4)
    n = rng.integers(0, 5, 4000)
    q_nom = n * rng.uniform(5e-9, 20e-9, n.size)           # levels spread widely: no effect on the figure
    q = q_nom + np.where(n > 0, rng.normal(0, SIGMA, n.size), 0.0)
    rp = f1_variation(q, q_nom, n, SPAN)
    assert set(rp.sigma_by_group) == {1, 2, 3, 4}
    assert rp.three_sigma == pytest.approx(3 * SIGMA / SPAN, rel=0.1)


def test_fig6d_lower_bound_is_3_sigma_of_the_lower_side_only():
    """v = 0.1 + 0.05 x + N(0, 0.002 V) plus rare upward spikes of +0.02 V (1 in 500): the normalised span
    is the fitted mean's 0.1 V, so 3 sigma of the lower side is 3 x 0.002 / 0.1 = 6 % whatever the upper
    spikes do (they pull the fitted mean up by 0.02 / 500 = 4e-5 V, 0.04 %: inside the tolerance of 0.2 %
    at 20 000 samples, whose own standard error is 6 % / sqrt(2 x 10 000) = 0.04 %); the two-sided sigma
    would include the spikes (3 sqrt(0.002^2 + 0.02^2 / 500) / 0.1 = 6.6 %). The sample maximum lies near the largest of 10 000 half-normal
    draws, about 3.9 sigma (7.8 %), and its bootstrap interval never exceeds it."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, 20000)
    v = 0.1 + 0.05 * x + 0.002 * rng.normal(size=x.size)
    v[::500] += 0.02
    low = f2_lower_bound(f2_curve(x, v), resamples=100)
    assert low.three_sigma == pytest.approx(0.06, abs=0.002)
    assert low.stderr == pytest.approx(0.06 / np.sqrt(2 * 10000), rel=0.1)
    assert 3 * float(np.std(v - (0.1 + 0.05 * x), ddof=1)) / 0.1 > 0.064     # two-sided sees the spikes
    assert 0.07 < low.sample_max < 0.09
    assert low.ci[0] <= low.ci[1] <= low.sample_max + 1e-15


def _columns(n):
    rng = np.random.default_rng(6)
    return {"x_level": rng.uniform(0, 1, n), "w_level": rng.uniform(0, 1, n), "p_level": rng.uniform(0, 1, n)}


def test_nominal_file_round_trip_and_errors(tmp_path):
    cols = _columns(8)
    path = nominal_path(tmp_path / "p2m_fig6c_hybrid.h5")
    assert path.name == "p2m_fig6c_hybrid.nominal.json"
    with pytest.raises(SchemaError, match=r"does not exist.*circuitlab p2m analyse --out-dir DIR"):
        read_nominal(path, cols, "hybrid")
    nominal = Nominal(np.arange(8.0) * 1e-9, 2e-9, 9e-9)
    write_nominal(path, level_key(cols, "hybrid"), nominal)
    back = read_nominal(path, cols, "hybrid")
    assert np.array_equal(back.q_nom, nominal.q_nom)
    assert back.full == pytest.approx(4 * 9e-9) and back.span == pytest.approx(4 * 7e-9)
    stale = dict(cols, w_level=cols["w_level"][::-1].copy())
    with pytest.raises(SchemaError, match=r"does not match the campaign's samples \(stale\)"):
        read_nominal(path, stale, "hybrid")
    # dwmtj: the wall is the weight, so p_level is ignored (keyed as w)
    assert np.array_equal(level_key(cols, "dwmtj")[:, 2], cols["w_level"])
    assert json.loads(path.read_text())["u_max_m"] == 9e-9


def test_programmable_range_is_the_closed_form_of_a_planar_displacement():
    """Per-event displacement u = a + b w + c p exactly (any n): range(w) = c / (a + b w + c/2), the tunable
    span over the median programming level; its median over w = 0..1 is the value at w = 0.5."""
    from circuitlab.fit.p2m import programmable_range
    rng = np.random.default_rng(3)
    w, p, n = rng.random(300), rng.random(300), rng.integers(0, 5, 300)
    a, b, c = 10e-9, 20e-9, 6e-9
    out = programmable_range(w, p, n * (a + b * w + c * p), n)
    grid = np.linspace(0, 1, 11)
    np.testing.assert_allclose(out["by_w_level"], c / (a + b * grid + c / 2), rtol=1e-9)
    assert out["median"] == pytest.approx(c / (a + b * 0.5 + c / 2), rel=1e-9)
    assert out["min"] == pytest.approx(c / (a + b + c / 2), rel=1e-9)
