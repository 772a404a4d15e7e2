"""Sample-quality metrics on classifier features: Frechet distance, KID, precision/recall, class fraction.

All take two feature sets (N, d) (torch tensors or numpy arrays; see :mod:`circuitlab.eval.features`
for the project's feature classifier) and compute in float64.

- Frechet distance between Gaussians fitted to the two sets (Heusel et al. 2017, "GANs trained by a two
  time-scale update rule", NeurIPS; Dowson and Landau 1982):
  ``||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))``, covariances with 1/(N - 1). The trace of
  the matrix square root is computed from symmetric eigen-decompositions,
  ``Tr (S_a S_b)^(1/2) = sum sqrt(eig(S_a^(1/2) S_b S_a^(1/2)))`` (the product is similar to that PSD
  matrix), which stays real and stable where a general ``sqrtm`` of the non-symmetric product may not.
  On the project's classifier features it is reported as "FD-<DATASET>", never "FID" (FID means
  Inception-v3 features).
- KID (Binkowski et al. 2018, "Demystifying MMD GANs", ICLR): the unbiased MMD^2 estimate with the
  polynomial kernel ``k(x, y) = (x.y / d + 1)^3``, averaged over random subsets; returns the mean and
  the standard deviation over the subsets (ddof = 0, as torchmetrics and the reference code).
- Precision and recall on k-NN manifolds (Kynkaanniemi et al. 2019, "Improved precision and recall
  metric for assessing generative models", NeurIPS): each real sample's hypersphere reaches its k-th
  nearest real neighbour; precision is the fraction of generated samples inside at least one real
  hypersphere, recall the fraction of real samples inside at least one generated hypersphere.
- Class fraction: the share of generated images the classifier assigns to a given class (the letter
  a model was trained on).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..errors import ConfigError, NumericalError
from .features import TrainedClassifier

__all__ = ["frechet_distance", "gaussian_frechet_distance", "kid", "precision_recall", "class_fraction",
           "metric_name", "QualityScores", "quality"]


def _as64(x, what: str) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x).detach().to("cpu", torch.float64)
    if t.ndim != 2:
        raise ConfigError(f"{what} must be a 2-d array of features (N, d), got shape {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise NumericalError(f"{what} holds non-finite values (NaN or inf); check the generated images")
    return t


def _pair(a, b, min_n: int) -> tuple[torch.Tensor, torch.Tensor]:
    a, b = _as64(a, "first feature set"), _as64(b, "second feature set")
    if a.shape[1] != b.shape[1]:
        raise ConfigError(f"feature sets differ in dimension: {a.shape[1]} vs {b.shape[1]}; use one feature network")
    if min(len(a), len(b)) < min_n:
        raise NumericalError(f"need at least {min_n} samples in each set, got {len(a)} and {len(b)}")
    return a, b


def _psd_sqrt(s: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((s + s.T) / 2)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def gaussian_frechet_distance(mu_a, cov_a, mu_b, cov_b) -> float:
    """Frechet (2-Wasserstein squared) distance between N(mu_a, cov_a) and N(mu_b, cov_b)."""
    mu_a, mu_b = np.asarray(mu_a, np.float64), np.asarray(mu_b, np.float64)
    cov_a, cov_b = np.asarray(cov_a, np.float64), np.asarray(cov_b, np.float64)
    d = mu_a.shape[0]
    if mu_b.shape != (d,) or cov_a.shape != (d, d) or cov_b.shape != (d, d):
        raise ConfigError(f"means and covariances must be (d,) and (d, d) for one d; got {mu_a.shape}, "
                          f"{cov_a.shape}, {mu_b.shape}, {cov_b.shape}")
    root_a = _psd_sqrt(cov_a)
    middle = root_a @ cov_b @ root_a
    tr_sqrt = float(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)).sum())
    value = float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2.0 * tr_sqrt)
    return max(value, 0.0)   # rounding can leave -1e-13 for identical sets


def frechet_distance(feats_a, feats_b) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (N_a, d), (N_b, d); N >= 2 each."""
    a, b = _pair(feats_a, feats_b, 2)
    a, b = a.numpy(), b.numpy()
    return gaussian_frechet_distance(a.mean(0), np.cov(a, rowvar=False).reshape(a.shape[1], -1),
                                     b.mean(0), np.cov(b, rowvar=False).reshape(b.shape[1], -1))


def _poly_mmd2(x: torch.Tensor, y: torch.Tensor, degree: int, gamma: float, coef: float) -> float:
    m = len(x)
    kxx = (x @ x.T * gamma + coef) ** degree
    kyy = (y @ y.T * gamma + coef) ** degree
    kxy = (x @ y.T * gamma + coef) ** degree
    within = (kxx.sum() - kxx.diagonal().sum() + kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
    return float(within - 2.0 * kxy.sum() / (m * m))


def kid(feats_a, feats_b, *, subsets: int = 100, subset_size: int | None = None, seed: int = 0,
        generator: torch.Generator | None = None, degree: int = 3, gamma: float | None = None,
        coef: float = 1.0) -> tuple[float, float]:
    """Kernel distance (unbiased MMD^2, polynomial kernel) -> (mean, std over ``subsets``).

    Each subset takes ``subset_size`` samples without replacement from each set (default
    min(1000, N_a, N_b)), drawn by ``torch.randperm`` from ``generator`` (default: one seeded with
    ``seed``): first a permutation of set a, then of set b, per subset. ``gamma`` defaults to 1/d.
    """
    a, b = _pair(feats_a, feats_b, 2)
    size = min(1000, len(a), len(b)) if subset_size is None else int(subset_size)
    if not 2 <= size <= min(len(a), len(b)) or subsets < 1:
        raise ConfigError(f"subset_size must lie in 2..{min(len(a), len(b))} (the smaller set) and subsets >= 1; "
                          f"got subset_size={subset_size}, subsets={subsets}: pass a smaller subset_size")
    gen = generator if generator is not None else torch.Generator().manual_seed(int(seed))
    g = 1.0 / a.shape[1] if gamma is None else float(gamma)
    scores = []
    for _ in range(int(subsets)):
        ia = torch.randperm(len(a), generator=gen)[:size]
        ib = torch.randperm(len(b), generator=gen)[:size]
        scores.append(_poly_mmd2(a[ia], b[ib], degree, g, coef))
    s = np.asarray(scores)
    return float(s.mean()), float(s.std())


def _kth_radius(x: torch.Tensor, k: int, chunk: int) -> torch.Tensor:
    """Distance from each row of x to its k-th nearest other row."""
    out = []
    for i in range(0, len(x), chunk):
        d = torch.cdist(x[i:i + chunk], x)
        out.append(d.kthvalue(k + 1, dim=1).values)   # the smallest (k=0) is the point itself
    return torch.cat(out)


def _coverage(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor, chunk: int) -> float:
    inside = 0
    for i in range(0, len(points), chunk):
        d = torch.cdist(points[i:i + chunk], centres)
        inside += int((d <= radii[None, :]).any(dim=1).sum())
    return inside / len(points)


def precision_recall(real, fake, k: int = 3, *, chunk: int = 1024) -> tuple[float, float]:
    """(precision, recall) of ``fake`` against ``real`` on k-NN hypersphere manifolds (Kynkaanniemi 2019)."""
    r, f = _pair(real, fake, int(k) + 1)
    if int(k) < 1:
        raise ConfigError(f"k must be a positive number of neighbours, got {k}")
    precision = _coverage(f, r, _kth_radius(r, int(k), chunk), chunk)
    recall = _coverage(r, f, _kth_radius(f, int(k), chunk), chunk)
    return precision, recall


def class_fraction(classifier: TrainedClassifier, images: torch.Tensor, target_class: int | str) -> float:
    """Fraction of ``images`` that ``classifier`` assigns to ``target_class`` (an index or a class name)."""
    if isinstance(target_class, str):
        if target_class not in classifier.classes:
            raise ConfigError(f"class {target_class!r} is not one of the classifier's {classifier.classes}")
        target = classifier.classes.index(target_class)
    else:
        target = int(target_class)
        if not 0 <= target < len(classifier.classes):
            raise ConfigError(f"class index {target_class} is outside 0..{len(classifier.classes) - 1}")
    if len(images) == 0:
        raise NumericalError("no images to classify; generate at least one")
    return float((classifier.predict(images) == target).double().mean())


def metric_name(dataset: str) -> str:
    """The Frechet distance's name on a data set's classifier features: "FD-<DATASET>" (never "FID")."""
    return "FD-" + dataset.upper()


@dataclass(frozen=True)
class QualityScores:
    """All quality numbers of one set of generated images against the real ones."""

    metric: str               # e.g. "FD-MNIST5K"
    fd: float
    kid_mean: float
    kid_std: float
    precision: float
    recall: float
    n_real: int
    n_fake: int

    def as_dict(self) -> dict:
        return asdict(self)


def quality(classifier: TrainedClassifier, real_images: torch.Tensor, fake_images: torch.Tensor, *,
            kid_subsets: int = 100, kid_subset_size: int | None = None, k: int = 3, seed: int = 0) -> QualityScores:
    """Frechet distance, KID and precision/recall of ``fake_images`` vs ``real_images`` on the
    classifier's features (images (N, C, H, W) in [0, 1], the classifier's input size)."""
    fr, ff = classifier.features(real_images), classifier.features(fake_images)
    km, ks = kid(fr, ff, subsets=kid_subsets, subset_size=kid_subset_size, seed=seed)
    p, r = precision_recall(fr, ff, k=k)
    return QualityScores(metric_name(classifier.dataset), frechet_distance(fr, ff), km, ks, p, r, len(fr), len(ff))
