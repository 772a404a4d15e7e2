"""circuitlab.eval metrics and feature classifier: closed forms for Gaussians, torchmetrics as a second
implementation (optional test dependency), constructed precision/recall cases, and the classifier's
accuracy, determinism and cache."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from circuitlab.data import load_digits, render_letters, split  # noqa: E402
from circuitlab.errors import ConfigError, NumericalError  # noqa: E402
from circuitlab.eval import (ClassifierCacheError, class_fraction, frechet_distance,  # noqa: E402
                             gaussian_frechet_distance, kid, metric_name, precision_recall, quality,
                             train_classifier)


def _gauss(n, mu, cov, seed):
    rng = np.random.default_rng(seed)
    return rng.multivariate_normal(mu, cov, size=n)


@pytest.fixture(scope="module")
def digits_classifier():
    torch.set_num_threads(1)
    return train_classifier(load_digits(), seed=0)


# --- Frechet distance ------------------------------------------------------------------------------
def test_gaussian_fd_closed_forms():
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([4.0, 1.0, 0.5, 2.0])
    mu_a, mu_b = np.array([1.0, 0.5, 0.0, 0.0]), np.zeros(4)
    # diagonal covariances: |dmu|^2 + sum (sqrt a - sqrt b)^2
    want = 1.25 + float(((np.sqrt(a) - np.sqrt(b)) ** 2).sum())
    assert gaussian_frechet_distance(mu_a, np.diag(a), mu_b, np.diag(b)) == pytest.approx(want, rel=1e-12)
    # rotating both Gaussians by one orthogonal matrix changes nothing
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(4, 4)))
    got = gaussian_frechet_distance(q @ mu_a, q @ np.diag(a) @ q.T, q @ mu_b, q @ np.diag(b) @ q.T)
    assert got == pytest.approx(want, rel=1e-10)
    assert gaussian_frechet_distance(mu_a, np.diag(a), mu_a, np.diag(a)) == pytest.approx(0.0, abs=1e-12)


def test_gaussian_fd_non_commuting_against_scipy_sqrtm():
    """Covariances that do not commute: against scipy's general matrix square root (Schur method)."""
    from scipy.linalg import sqrtm

    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    sa, sb = x @ x.T + 0.1 * np.eye(6), y @ y.T + 0.1 * np.eye(6)
    mu_a, mu_b = rng.normal(size=6), rng.normal(size=6)
    ref = float(((mu_a - mu_b) ** 2).sum() + np.trace(sa + sb - 2 * sqrtm(sa @ sb).real))
    # both are float64; 1e-9 relative covers the different factorisations
    assert gaussian_frechet_distance(mu_a, sa, mu_b, sb) == pytest.approx(ref, rel=1e-9)


def test_fd_from_samples_converges_to_the_closed_form():
    """Two 4-d Gaussians: the sample estimate's error shrinks as 1/sqrt(n) and its mean over 10 seeds
    sits within 4 standard errors (plus the O(d/n) bias, bounded by tr(Sa + Sb)/n) of the truth."""
    a, b = np.diag([1.0, 2.0, 3.0, 4.0]), np.diag([4.0, 1.0, 0.5, 2.0])
    mu_a, mu_b = np.array([1.0, 0.5, 0.0, 0.0]), np.zeros(4)
    truth = gaussian_frechet_distance(mu_a, a, mu_b, b)
    spread = {}
    for n in (2000, 8000):
        est = np.array([frechet_distance(_gauss(n, mu_a, a, 2 * s), _gauss(n, mu_b, b, 2 * s + 1)) for s in range(10)])
        bias = np.trace(a + b) / n
        assert abs(est.mean() - truth) < 4 * est.std(ddof=1) / np.sqrt(10) + bias, (n, est.mean(), truth)
        spread[n] = est.std(ddof=1)
    # 4x the samples: half the spread in expectation; 10-seed sds scatter by ~25 %, so 1.2-3.3
    assert 1.2 < spread[2000] / spread[8000] < 3.3


def test_fd_errors():
    with pytest.raises(ConfigError, match="differ in dimension: 3 vs 4"):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(NumericalError, match="at least 2 samples"):
        frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(NumericalError, match="non-finite"):
        frechet_distance(np.full((3, 2), np.nan), np.zeros((3, 2)))
    with pytest.raises(ConfigError, match="2-d array"):
        frechet_distance(np.zeros(5), np.zeros(5))
    assert metric_name("mnist5k") == "FD-MNIST5K"


# --- KID -------------------------------------------------------------------------------------------
def test_kid_one_dimensional_closed_form():
    """d = 1: k(x, y) = (xy + 1)^3 = x^3 y^3 + 3 x^2 y^2 + 3 x y + 1, so
    MMD^2 = (m3a - m3b)^2 + 3 (m2a - m2b)^2 + 3 (m1a - m1b)^2 with raw moments m_j. N(0, 1) vs N(0.5, 1):
    m1 0 / 0.5, m2 1 / 1.25, m3 0 / 1.625 -> 3.578125. 40 independent unbiased estimates (fresh
    samples each): their mean within 4 standard errors."""
    truth = 1.625 ** 2 + 3 * 0.25 ** 2 + 3 * 0.5 ** 2
    rng = np.random.default_rng(3)
    vals = [kid(rng.normal(0, 1, (800, 1)), rng.normal(0.5, 1, (800, 1)), subsets=1, subset_size=800)[0]
            for _ in range(40)]
    assert abs(np.mean(vals) - truth) < 4 * np.std(vals, ddof=1) / np.sqrt(40)
    # same distribution: unbiased, so the mean of independent estimates is 0 within 4 standard errors
    zero = [kid(rng.normal(size=(300, 8)), rng.normal(size=(300, 8)), subsets=1, subset_size=300)[0]
            for _ in range(40)]
    assert abs(np.mean(zero)) < 4 * np.std(zero, ddof=1) / np.sqrt(40)


def test_kid_deterministic_for_a_seed_and_errors():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(200, 5)), rng.normal(0.3, 1, size=(150, 5))
    assert kid(x, y, subsets=10, subset_size=100, seed=1) == kid(x, y, subsets=10, subset_size=100, seed=1)
    assert kid(x, y, subsets=10, subset_size=100, seed=1) != kid(x, y, subsets=10, subset_size=100, seed=2)
    with pytest.raises(ConfigError, match=r"subset_size must lie in 2\.\.150"):
        kid(x, y, subset_size=151)


# --- torchmetrics as a second implementation --------------------------------------------------------
class _Identity(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.num_features = d

    def forward(self, x):
        return x.double()


def _torchmetrics_scores(feature, real, fake, subsets, subset_size, seed):
    tm_fid = pytest.importorskip("torchmetrics.image.fid")
    tm_kid = pytest.importorskip("torchmetrics.image.kid")
    fid = tm_fid.FrechetInceptionDistance(feature=feature, normalize=True)
    fid.update(real, real=True)
    fid.update(fake, real=False)
    with pytest.warns(UserWarning, match="save all extracted features"):
        kd = tm_kid.KernelInceptionDistance(feature=feature, subsets=subsets, subset_size=subset_size, normalize=True)
    kd.update(real, real=True)
    kd.update(fake, real=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)              # torchmetrics draws its subsets from the global generator
        km, ks = kd.compute()
    return float(fid.compute()), float(km), float(ks)


def test_fd_and_kid_match_torchmetrics_on_gaussian_features():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(600, 16, generator=g, dtype=torch.float64)
    b = torch.randn(500, 16, generator=g, dtype=torch.float64) * 1.2 + 0.3
    fd, km, ks = _torchmetrics_scores(_Identity(16), a, b, 20, 300, seed=5)
    # all float64 and, for KID, the same subsets (same seed, same randperm order): 1e-9 covers the
    # different factorisations (torchmetrics: eigvals of the non-symmetric product; here eigh)
    assert frechet_distance(a, b) == pytest.approx(fd, rel=1e-9)
    assert kid(a, b, subsets=20, subset_size=300, seed=5) == pytest.approx((km, ks), rel=1e-9)


def test_fd_and_kid_match_torchmetrics_with_the_classifier_as_feature_module(digits_classifier):
    """The project's classifier as torchmetrics' custom ``feature`` module on images: real test digits vs
    the same digits blurred. 128 ReLU features on a few hundred images leave near-singular covariances,
    where the two square-root methods differ most: 1e-6 relative."""
    _, test = split(load_digits(), (0.8, 0.2), seed=0)
    real = test.images
    fake = torch.nn.functional.avg_pool2d(real, 3, stride=1, padding=1, count_include_pad=False)
    fd, km, ks = _torchmetrics_scores(digits_classifier.feature_module(), real, fake, 10, 200, seed=7)
    fr, ff = digits_classifier.features(real), digits_classifier.features(fake)
    assert fd > 1.0
    assert frechet_distance(fr, ff) == pytest.approx(fd, rel=1e-6)
    assert kid(fr, ff, subsets=10, subset_size=200, seed=7) == pytest.approx((km, ks), rel=1e-6)


# --- precision and recall --------------------------------------------------------------------------
def test_precision_recall_constructed_cases():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 6))
    assert precision_recall(x, x) == (1.0, 1.0)                    # every point lies in its own sphere
    assert precision_recall(x, x + 100.0) == (0.0, 0.0)            # disjoint supports
    # 1-d grid 0..9, k = 3: the end points' spheres reach 3, so -3 and 12 are inside, -3.5 is not
    real = np.arange(10.0)[:, None]
    fake = np.array([[-3.0], [-3.5], [12.0], [4.5]])
    assert precision_recall(real, fake, k=3)[0] == 0.75


def test_precision_recall_mode_collapse():
    """Real: two clusters 50 sd apart, equal weight; generated: samples of the first only. The second
    cluster changes no k-NN radius of the first, so precision equals that of the first cluster alone and
    recall is exactly half of it: half the real modes are missed. Same-distribution sets of 500 in 4-d
    score 0.9-1 (the tails of one set fall outside the other's spheres)."""
    rng = np.random.default_rng(6)
    first = rng.normal(size=(500, 4))
    real = np.concatenate([first, rng.normal(size=(500, 4)) + 50])
    fake = rng.normal(size=(500, 4))
    p_same, r_same = precision_recall(first, fake, k=3)
    assert 0.9 < p_same <= 1 and 0.9 < r_same <= 1
    p, r = precision_recall(real, fake, k=3)
    assert p == p_same and r == pytest.approx(r_same / 2, abs=1e-12)


def test_precision_recall_errors():
    with pytest.raises(ConfigError, match="k must be a positive"):
        precision_recall(np.zeros((5, 2)), np.zeros((5, 2)), k=0)
    with pytest.raises(NumericalError, match="at least 4 samples"):
        precision_recall(np.zeros((3, 2)), np.zeros((5, 2)), k=3)


# --- the feature classifier ------------------------------------------------------------------------
def test_digits_classifier_accuracy_and_determinism(digits_classifier, tmp_path):
    """20 epochs on 1,437 digits: measured 98.6 % of the 359 held out (seed 0). 95 % is ~6 binomial sd
    below that; a broken network or split scores ~10 %."""
    assert digits_classifier.test_accuracy > 0.95
    assert (digits_classifier.n_train, digits_classifier.n_test) == (1438, 359)
    again = train_classifier(load_digits(), seed=0, epochs=2)
    twice = train_classifier(load_digits(), seed=0, epochs=2)
    other = train_classifier(load_digits(), seed=1, epochs=2)
    sa, sb, so = (t.model.state_dict() for t in (again, twice, other))
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], so[k]) for k in sa)


def test_classifier_cache_round_trip_and_corruption(tmp_path):
    data = load_digits()
    first = train_classifier(data, seed=3, epochs=2, cache_dir=tmp_path)
    assert not first.from_cache and first.cache_path.startswith(str(tmp_path))
    blob = torch.load(first.cache_path, weights_only=True)          # plain tensors and numbers only
    assert blob["report"]["test_accuracy"] == first.test_accuracy
    second = train_classifier(data, seed=3, epochs=2, cache_dir=tmp_path)
    assert second.from_cache and second.test_accuracy == first.test_accuracy
    assert torch.equal(second.features(data.images[:50]), first.features(data.images[:50]))
    # another seed or setting is another file
    assert train_classifier(data, seed=4, epochs=1, cache_dir=tmp_path).cache_path != first.cache_path
    with open(first.cache_path, "wb") as fh:
        fh.write(b"garbage")
    with pytest.raises(ClassifierCacheError, match="delete it to retrain"):
        train_classifier(data, seed=3, epochs=2, cache_dir=tmp_path)


def test_letter_class_fraction_and_quality():
    """A letters classifier: held-out letters of another seed are assigned to their class; the class
    fraction of 'L' images is near 1 for 'L' and near 0 for 'U'."""
    train = render_letters("UCLA", n_per_class=150, size=28, seed=0)
    clf = train_classifier(train, seed=0, epochs=10)
    assert clf.test_accuracy > 0.95
    fresh = render_letters("UCLA", n_per_class=100, size=28, seed=1)
    ls = fresh.images[fresh.labels == 2]
    assert class_fraction(clf, ls, "L") > 0.95 and class_fraction(clf, ls, 0) < 0.05
    with pytest.raises(ConfigError, match="class 'Z' is not one of"):
        class_fraction(clf, ls, "Z")
    with pytest.raises(ConfigError, match="outside 0..3"):
        class_fraction(clf, ls, 4)
    q = quality(clf, fresh.images, train.images[::2], kid_subsets=5, kid_subset_size=200)
    assert q.metric == "FD-LETTERS-UCLA" and (q.n_real, q.n_fake) == (400, 300)
    noise = quality(clf, fresh.images, torch.rand(300, 1, 28, 28), kid_subsets=5, kid_subset_size=200)
    # the same renderer, another seed, vs uniform noise: noise is far worse on every score
    assert noise.fd > 10 * q.fd and noise.kid_mean > 10 * q.kid_mean and noise.precision < q.precision
    with pytest.raises(ConfigError, match="classifier expects images"):
        clf.features(torch.zeros(2, 1, 16, 16))


@pytest.mark.slow
def test_mnist5k_classifier_accuracy():
    """MNIST 5k, 4,000 training images, 20 epochs: measured 97.1 % of 1,000 held out (seed 0), 30-45 s on
    one core. 95 % is ~4 binomial sd below."""
    from circuitlab.data import load_mnist5k

    torch.set_num_threads(1)
    assert train_classifier(load_mnist5k(), seed=0).test_accuracy > 0.95
