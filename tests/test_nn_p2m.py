"""P2MConv2d: the in-pixel first layer against an independent per-event implementation (numpy, event by
event), its noise against the model's sigma(x), the weight restriction, thresholds, window reset and
gradient flow."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from circuitlab.errors import ConfigError, SchemaError  # noqa: E402
from circuitlab.nn.curves import TableCurve, blend  # noqa: E402
from circuitlab.nn.p2m import P2MConv2d, P2MCurves  # noqa: E402



def curves(config="hybrid"):
    return P2MCurves.from_models("p2m_f1", "p2m_f2", config)


def layer(variation=0.0, seed=0, **kw):
    torch.manual_seed(seed)
    return P2MConv2d.from_models(configuration="hybrid", variation=variation, out_channels=4, **kw).double()


def counts(shape=(3, 2, 2, 9, 9), seed=1, high=4):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, high, shape, generator=g).double()


def reference_preactivation(c: np.ndarray, w: np.ndarray, cv: P2MCurves, stride=2, pad=1) -> np.ndarray:
    """Event by event, no convolution: each event of input (ch, i, j) moves the wall of every output it
    reaches by f1(u / N_MAX) (np.interp of the table); walls clamped to the track; f2 mean."""
    N, C, H, W = c.shape
    O, _, k, _ = w.shape
    Ho, Wo = (H + 2 * pad - k) // stride + 1, (W + 2 * pad - k) // stride + 1
    out = np.zeros((N, O, Ho, Wo))
    for n in range(N):
        for o in range(O):
            for a in range(Ho):
                for b in range(Wo):
                    d = [0.0, 0.0]
                    for ch in range(C):
                        for di in range(k):
                            for dj in range(k):
                                i, j = a * stride - pad + di, b * stride - pad + dj
                                if not (0 <= i < H and 0 <= j < W) or w[o, ch, di, dj] == 0:
                                    continue
                                u = abs(w[o, ch, di, dj])
                                step = np.interp(u / cv.n_max, cv.x1, cv.f1_mean)
                                for _ in range(int(c[n, ch, i, j])):
                                    d[0 if w[o, ch, di, dj] > 0 else 1] += step
                    dp, dn = (min(max(v, 0.0), cv.capacity) for v in d)
                    out[n, o, a, b] = np.interp((dp - dn) / cv.capacity, cv.x2, cv.f2_mean)
    return out


def test_variation_zero_is_the_noiseless_f1_f2_mapping_event_by_event():
    lay = layer(variation=0.0)
    c = counts()[0]
    got = lay.preactivation(c).detach().numpy()
    want = reference_preactivation(c.numpy(), lay.realised().detach().numpy(), lay.curves)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)   # same arithmetic up to summation order


def test_realised_weights_are_zero_or_inside_the_dynamic_range():
    lay = layer()
    u = lay.realised().detach().abs()
    w_min = lay.curves.weight_min
    assert u.max() == pytest.approx(1.0)
    nz = u[u > 0]
    assert (nz >= w_min - 1e-12).all() and (u[(u > 0) & (u < w_min)]).numel() == 0
    raw = (lay.weight.detach().abs() / lay.weight.detach().abs().max())
    assert torch.equal(u == 0, raw < w_min / 2)   # rounded to the nearer realisable level


@pytest.mark.parametrize("mismatch, power", [("event", 1), ("device", 2)])
def test_accumulator_noise_follows_the_model_sigma_summed_over_events(mismatch, power):
    """With the model's own variation the wall of one output after n events on weight u is Gaussian with
    mean n f1(u / N_MAX) and variance n sigma(u / N_MAX)^2 when each event draws its own deviation, n^2 sigma^2
    when all share the device's: checked over 4000 draws within 5 standard errors of the mean and 10 % on the
    variance (sd of a sample variance: sqrt(2/4000) = 2.2 %; the two modes differ 3x at n = 3)."""
    torch.manual_seed(0)
    lay = P2MConv2d.from_models(configuration="hybrid", variation=None, in_channels=1, out_channels=1,
                                kernel_size=1, stride=1, padding=0, mismatch=mismatch).double()
    with torch.no_grad():
        lay.weight.fill_(0.7)
    n_events, draws = 3, 4000
    c = torch.full((draws, 1, 1, 1), float(n_events), dtype=torch.float64)
    d_pos, d_neg = lay.accumulators(c, torch.Generator().manual_seed(5))
    cv = lay.curves
    u = 1.0   # the only weight is the largest: realised 1
    mean = n_events * np.interp(u / cv.n_max, cv.x1, cv.f1_mean)
    var = n_events ** power * np.interp(u / cv.n_max, cv.x1, cv.f1_sigma) ** 2
    d = d_pos.detach().flatten().numpy()
    assert abs(d.mean() - mean) < 5 * np.sqrt(var / draws)
    assert d.var(ddof=1) == pytest.approx(var, rel=0.10)
    assert (d_neg == 0).all()


def test_variation_setting_rescales_sigma_to_the_requested_worst_case():
    torch.manual_seed(0)
    a = P2MConv2d.from_models(configuration="hybrid", variation=0.2, in_channels=1, out_channels=1,
                              kernel_size=1, stride=1, padding=0).double()
    b = P2MConv2d.from_models(configuration="hybrid", variation=0.4, in_channels=1, out_channels=1,
                              kernel_size=1, stride=1, padding=0).double()
    for m in (a, b):
        with torch.no_grad():
            m.weight.fill_(1.0)
    c = torch.full((4000, 1, 1, 1), 2.0, dtype=torch.float64)
    sa = a.accumulators(c, torch.Generator().manual_seed(1))[0].detach().std().item()
    sb = b.accumulators(c, torch.Generator().manual_seed(1))[0].detach().std().item()
    assert sb / sa == pytest.approx(2.0, rel=1e-9)   # same draws, sigma linear in the setting
    cv = a.curves
    want = 0.2 / cv.worst_case_f1 * np.sqrt(2) * np.interp(1 / cv.n_max, cv.x1, cv.f1_sigma)
    assert sa == pytest.approx(want, rel=0.06)


@pytest.mark.parametrize("variation", [None, 0.4])
def test_random_read_noise_draws_each_read_from_the_f2_spread(variation):
    """read_noise="random": with both walls at reset (no events) every read is f2_mean(0) + s2 sigma_2(0) z,
    s2 = 1 for the model's own variation and v / worst_case_f2 at v; 4000 reads: the mean within 5 standard
    errors, the standard deviation within 5 % (its sd here: 1 / sqrt(2 * 4000) = 1.1 %)."""
    lay = layer(variation=variation, read_noise="random")
    c = torch.zeros((4000, 2, 1, 1), dtype=torch.float64)
    v = lay.preactivation(c, torch.Generator().manual_seed(4)).detach().flatten().numpy()
    cv = lay.curves
    s2 = 1.0 if variation is None else variation / cv.worst_case_f2
    sd = s2 * np.interp(0.0, cv.x2, cv.f2_sigma)
    assert abs(v.mean() - np.interp(0.0, cv.x2, cv.f2_mean)) < 5 * sd / np.sqrt(v.size)
    assert v.std(ddof=1) == pytest.approx(sd, rel=0.05)
    if variation == 0.4:   # 3 sigma over the normalised span 0..1 of f2's mean is the requested 40 %
        assert 3 * sd / (cv.f2_mean.max() - cv.f2_mean.min()) == pytest.approx(0.4, rel=0.15)


def test_random_read_noise_at_variation_zero_is_the_noiseless_mapping():
    c = counts()[0]
    lower, rand = layer(variation=0.0), layer(variation=0.0, read_noise="random")
    assert torch.equal(lower.preactivation(c), rand.preactivation(c, torch.Generator().manual_seed(1)))


def test_restriction_keeps_sign_and_moves_weights_only_within_the_programmable_range():
    lay = layer()
    lay.restrict(0.35)
    ref = lay.reference.clone()
    with torch.no_grad():
        lay.weight.mul_(-3.0).add_(torch.randn_like(lay.weight))
    w = lay.realised().detach()
    nz = ref != 0
    assert (w[~nz] == 0).all()
    assert (torch.sign(w[nz]) == torch.sign(ref[nz])).all()
    ratio = (w[nz] / ref[nz])
    assert (ratio >= 1 - 0.35 / 2 - 1e-12).all() and (ratio <= 1 + 0.35 / 2 + 1e-12).all()
    lay.unrestrict()
    assert (torch.sign(lay.realised().detach()[nz]) != torch.sign(ref[nz])).any()


def test_windows_are_independent_threshold_decides_and_gradients_flow():
    lay = layer(variation=0.1)
    c = counts()
    g = torch.Generator().manual_seed(2)
    s = lay(c, generator=g)
    assert s.shape == (3, 2, 4, 5, 5) and set(s.unique().tolist()) <= {0.0, 1.0}
    lay0 = layer(variation=0.0)
    s_all = lay0(c)
    s_one = torch.stack([lay0(c[t]) for t in range(3)])   # reset after each window: no memory
    assert torch.equal(s_all, s_one)
    v = lay0.preactivation(c[0])
    with torch.no_grad():
        lay0.threshold.fill_(float(v.median()))
    frac = lay0(c[0]).mean().item()
    assert 0.3 < frac < 0.7   # at the median pre-activation about half the neurons fire
    lay.zero_grad()
    lay(c, generator=torch.Generator().manual_seed(3)).sum().backward()
    assert lay.weight.grad.abs().sum() > 0 and lay.threshold.grad.abs().sum() > 0


def test_energy_counts_each_event_on_every_weight_device_it_drives():
    lay = layer()
    with torch.no_grad():
        lay.weight.fill_(1.0)
    c = torch.zeros((1, 1, 2, 9, 9), dtype=torch.float64)
    c[0, 0, 0, 5, 5] = 3.0   # odd pixel: inside 2 x 2 windows of the 3x3 stride-2 kernel, x 4 channels
    e = lay.energy(c)
    cv = lay.curves
    reads = 4 * 5 * 5
    # abs=0: pytest.approx's default absolute tolerance (1e-12) exceeds these energies (~1e-13 J)
    assert e == pytest.approx(3 * 4 * 4 * cv.energy_per_event + reads * cv.energy_per_read, rel=1e-12, abs=0)
    c[0, 0, 0, 5, 5], c[0, 0, 0, 4, 4] = 0.0, 3.0   # even pixel: one window per axis
    assert lay.energy(c) == pytest.approx(3 * 1 * 4 * cv.energy_per_event + reads * cv.energy_per_read, rel=1e-12,
                                          abs=0)


def test_table_curve_interpolates_and_extrapolates_linearly():
    tc = TableCurve([0.0, 1.0, 3.0], [0.0, 2.0, 3.0], extrapolate=True)
    q = torch.tensor([-1.0, 0.5, 2.0, 5.0], dtype=torch.float64)
    assert torch.allclose(tc(q), torch.tensor([-2.0, 1.0, 2.5, 4.0], dtype=torch.float64))
    clamp = TableCurve([0.0, 1.0, 3.0], [0.0, 2.0, 3.0])
    assert torch.allclose(clamp(q), torch.tensor([0.0, 1.0, 2.5, 3.0], dtype=torch.float64))


def test_table_curve_uniform_grid_path_agrees_with_binary_search_and_blends_linearly():
    # The uniform-grid index (floor) and the binary search pick neighbouring segments at most at a knot,
    # where both give the same value: on random queries (knots included) the two agree to float64 round-off.
    g = torch.Generator().manual_seed(3)
    x = np.linspace(-1.0, 1.0, 41)
    y = np.sin(3 * x) + 0.2 * x ** 2
    fast, slow = TableCurve(x, y, extrapolate=True), TableCurve(x, y, extrapolate=True)
    slow.uniform = False
    assert fast.uniform and not TableCurve([0.0, 1.0, 3.0], [0.0, 2.0, 3.0]).uniform
    q = torch.cat([torch.rand(5000, generator=g, dtype=torch.float64) * 2.4 - 1.2, torch.from_numpy(x)])
    assert torch.allclose(fast(q), slow(q), rtol=0, atol=1e-12)
    inside = q.clamp(-1, 1)
    assert torch.allclose(fast(inside), torch.from_numpy(np.interp(inside.numpy(), x, y)), rtol=0, atol=1e-12)
    other = TableCurve(x, np.cos(x), extrapolate=True)
    b = blend([fast, other], [1.0, -0.3])
    assert torch.allclose(b(q), fast(q) - 0.3 * other(q), rtol=0, atol=1e-12)
    with pytest.raises(SchemaError, match="share one x grid"):
        blend([fast, TableCurve(x[:-1], y[:-1], extrapolate=True)], [1.0, 1.0])


def test_bad_settings_are_typed_errors():
    with pytest.raises(ConfigError, match="configuration 'pcm'"):
        P2MCurves.from_models(configuration="pcm")
    with pytest.raises(ConfigError, match="mismatch='chip'"):
        P2MConv2d(curves(), mismatch="chip")
    with pytest.raises(ConfigError, match="read_noise='upper'"):
        P2MConv2d(curves(), read_noise="upper")
    with pytest.raises(ConfigError, match="variation=1.5"):
        P2MConv2d(curves(), variation=1.5)
    with pytest.raises(ConfigError, match=r"event counts \(T, B, C, H, W\)"):
        layer()(torch.zeros(2, 9, 9))
