"""The feature network of the quality metrics: a small CNN classifier trained in the project.

Inception-v3 features (FID) need downloaded weights; here a classifier trained on the same data set
supplies the features instead (its penultimate layer), so the Frechet distance and KID on them are
named for the data set ("FD-MNIST5K"), never "FID". The classifier is trained once per data set and
seed on a seeded stratified split, its held-out accuracy reported, and cached as a plain state dict
(read back with ``torch.load(weights_only=True)`` only; never pickled code) under a cache folder the
caller gives (an experiment's default: ``<out>/cache/classifiers``; never inside the package).

Network: per stage a 3x3 convolution (padding 1), ReLU and 2x2 max-pooling, channels doubling from
``width`` (at most 4x), until the side is at most 7 pixels; then a fully connected layer of
``feature_dim`` units with ReLU (the features) and the class layer.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from ..data import ImageSet, split
from ..errors import CircuitlabError, ConfigError

__all__ = ["FeatureClassifier", "FeatureExtractor", "TrainedClassifier", "ClassifierCacheError",
           "train_classifier", "default_cache_dir", "CACHE_FORMAT"]

CACHE_FORMAT = 1


class ClassifierCacheError(CircuitlabError):
    """A cached classifier file is corrupt or was written for another configuration."""


def _n_pools(side: int) -> int:
    n = 0
    while side > 7:
        side //= 2
        n += 1
    return n


class FeatureClassifier(nn.Module):
    """Small CNN for (C, H, W) images in [0, 1]; :meth:`features` gives the penultimate layer."""

    def __init__(self, in_channels: int, image_size: tuple[int, int], n_classes: int, *, width: int = 16,
                 feature_dim: int = 128):
        super().__init__()
        if in_channels < 1 or n_classes < 2 or width < 1 or feature_dim < 1 or min(image_size) < 4:
            raise ConfigError(f"classifier needs >= 1 channel, >= 2 classes, width and feature_dim >= 1 and "
                              f"images of at least 4x4; got channels={in_channels}, classes={n_classes}, "
                              f"width={width}, feature_dim={feature_dim}, size={tuple(image_size)}")
        self.in_channels, self.image_size = int(in_channels), (int(image_size[0]), int(image_size[1]))
        self.n_classes, self.width, self.feature_dim = int(n_classes), int(width), int(feature_dim)
        self.num_features = self.feature_dim   # read by torchmetrics when this is a custom feature module
        layers, c_in, (h, w) = [], self.in_channels, self.image_size
        for i in range(max(1, _n_pools(min(h, w)))):
            c_out = self.width * min(2 ** i, 4)
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            c_in, h, w = c_out, h // 2, w // 2
        self.body = nn.Sequential(*layers, nn.Flatten(), nn.Linear(c_in * h * w, self.feature_dim), nn.ReLU())
        self.head = nn.Linear(self.feature_dim, self.n_classes)

    def config(self) -> dict:
        return {"in_channels": self.in_channels, "image_size": list(self.image_size), "n_classes": self.n_classes,
                "width": self.width, "feature_dim": self.feature_dim}

    def _check(self, x: torch.Tensor) -> None:
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.in_channels, *self.image_size):
            raise ConfigError(f"classifier expects images (N, {self.in_channels}, {self.image_size[0]}, "
                              f"{self.image_size[1]}), got {tuple(x.shape)}; resize them like the training set")

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations (N, feature_dim)."""
        self._check(x)
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits (N, n_classes)."""
        return self.head(self.features(x))


class FeatureExtractor(nn.Module):
    """``forward(images) -> features``: a classifier's penultimate layer as a feature module (e.g. the
    ``feature`` argument of torchmetrics' FrechetInceptionDistance); float64 output."""

    def __init__(self, classifier: FeatureClassifier):
        super().__init__()
        self.classifier = classifier.eval()
        self.num_features = classifier.feature_dim

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier.features(x.to(torch.float32)).double()


@dataclass(frozen=True)
class TrainedClassifier:
    """A trained feature classifier and what its training measured."""

    model: FeatureClassifier
    dataset: str
    classes: tuple[str, ...]
    seed: int
    test_accuracy: float            # fraction of the held-out split classified correctly
    n_train: int
    n_test: int
    epochs: int
    train_seconds: float            # wall time of the training (0 when read from the cache) [s]
    cache_path: str | None
    from_cache: bool

    @torch.no_grad()
    def features(self, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """Penultimate features (N, feature_dim), float64, of images (N, C, H, W) in [0, 1]."""
        self.model.eval()
        return torch.cat([self.model.features(images[i:i + batch_size].to(torch.float32)).double()
                          for i in range(0, len(images), batch_size)]) if len(images) else \
            torch.zeros(0, self.model.feature_dim, dtype=torch.float64)

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """Predicted class indices (N,)."""
        self.model.eval()
        out = [self.model(images[i:i + batch_size].to(torch.float32)).argmax(1) for i in range(0, len(images), batch_size)]
        return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)

    def feature_module(self) -> FeatureExtractor:
        return FeatureExtractor(self.model)

    def summary(self) -> dict:
        d = asdict(self)
        d.pop("model")
        d["classes"] = list(self.classes)
        return d


def default_cache_dir(out_dir: str | Path) -> Path:
    """Where an experiment writing to ``out_dir`` keeps its classifiers: ``<out_dir>/cache/classifiers``."""
    return Path(out_dir) / "cache" / "classifiers"


def _fingerprint(data: ImageSet, settings: dict) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({**settings, "format": CACHE_FORMAT, "classes": list(data.classes),
                         "shape": list(data.images.shape)}, sort_keys=True).encode())
    h.update(data.images.to(torch.float32).contiguous().numpy().tobytes())
    h.update(data.labels.to(torch.int64).contiguous().numpy().tobytes())
    return h.hexdigest()


def _accuracy(model: FeatureClassifier, data: ImageSet) -> float:
    model.eval()
    with torch.no_grad():
        right = sum(int((model(data.images[i:i + 512]).argmax(1) == data.labels[i:i + 512]).sum())
                    for i in range(0, len(data), 512))
    return right / max(1, len(data))


def _load_cached(path: Path, fingerprint: str, data: ImageSet, seed: int) -> TrainedClassifier:
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        if blob.get("format") != CACHE_FORMAT or blob.get("fingerprint") != fingerprint:
            raise ClassifierCacheError(f"{path} was written for other data or settings (fingerprint mismatch)")
        model = FeatureClassifier(**{**blob["config"], "image_size": tuple(blob["config"]["image_size"])})
        model.load_state_dict(blob["state_dict"])
        rep = blob["report"]
    except ClassifierCacheError as exc:
        raise ClassifierCacheError(f"{exc}; delete it to retrain") from exc
    except Exception as exc:   # any unreadable file: name it and the fix
        raise ClassifierCacheError(f"cached classifier {path} cannot be read ({type(exc).__name__}: {exc}); "
                                   "delete it to retrain") from exc
    return TrainedClassifier(model.eval(), data.name, data.classes, seed, float(rep["test_accuracy"]),
                             int(rep["n_train"]), int(rep["n_test"]), int(rep["epochs"]), 0.0, str(path), True)


def train_classifier(data: ImageSet, *, seed: int = 0, cache_dir: str | Path | None = None, epochs: int = 20,
                     batch_size: int = 64, lr: float = 2e-3, test_fraction: float = 0.2, width: int = 16,
                     feature_dim: int = 128, progress: bool = False) -> TrainedClassifier:
    """Train (or read from ``cache_dir``) the feature classifier of ``data`` for ``seed``.

    The data are split (stratified, seeded) into ``1 - test_fraction`` for training and
    ``test_fraction`` held out; Adam (``lr``), cross-entropy, ``epochs`` passes in seeded random order.
    The weights' initialisation and the order come from ``seed`` alone, so the same call gives the same
    network on one machine and software stack. With ``cache_dir`` the result is stored as
    ``<name>-<H>x<W>-seed<seed>-<fingerprint>.pt`` (the fingerprint hashes the images, labels and every
    setting) and later calls read it back instead of training.
    """
    if len(data.classes) < 2 or not 0 < test_fraction < 1 or epochs < 1 or batch_size < 1:
        raise ConfigError(f"need >= 2 classes, 0 < test_fraction < 1, epochs >= 1 and batch_size >= 1; got "
                          f"{len(data.classes)} classes, test_fraction={test_fraction}, epochs={epochs}, "
                          f"batch_size={batch_size}")
    settings = {"seed": int(seed), "epochs": int(epochs), "batch_size": int(batch_size), "lr": float(lr),
                "test_fraction": float(test_fraction), "width": int(width), "feature_dim": int(feature_dim)}
    fingerprint = _fingerprint(data, settings)
    path = None
    if cache_dir is not None:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", data.name) or "data"
        path = Path(cache_dir) / f"{safe}-{data.shape[1]}x{data.shape[2]}-seed{seed}-{fingerprint[:16]}.pt"
        if path.is_file():
            return _load_cached(path, fingerprint, data, seed)
    train, test = split(data, (1 - test_fraction, test_fraction), seed=seed)
    t0 = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = FeatureClassifier(data.shape[0], data.shape[1:], len(data.classes), width=width,
                                  feature_dim=feature_dim)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * math.ceil(len(train) / batch_size))
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train), generator=gen)
        total = 0.0
        for i in range(0, len(train), batch_size):
            idx = order[i:i + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(train.images[idx]), train.labels[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        if progress:
            print(f"classifier {data.name} seed {seed}: epoch {epoch + 1}/{epochs} loss {total / len(train):.4f}",
                  flush=True)
    seconds = time.perf_counter() - t0
    accuracy = _accuracy(model, test)
    model.eval()
    result = TrainedClassifier(model, data.name, data.classes, int(seed), accuracy, len(train), len(test),
                               int(epochs), seconds, str(path) if path else None, False)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        blob = {"format": CACHE_FORMAT, "fingerprint": fingerprint, "config": model.config(),
                "state_dict": model.state_dict(), "settings": settings,
                "report": {"test_accuracy": accuracy, "n_train": len(train), "n_test": len(test),
                           "epochs": int(epochs), "train_seconds": seconds}}
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        torch.save(blob, tmp)
        os.replace(tmp, path)
    return result
