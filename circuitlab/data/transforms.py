"""Deterministic splits and size changes of an :class:`ImageSet`."""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .errors import ConfigError
from .images import ImageSet

__all__ = ["split", "resize", "pad"]


def split(images: ImageSet, fractions: tuple[float, ...] = (0.9, 0.1), seed: int = 0, *,
          stratify: bool = True) -> tuple[ImageSet, ...]:
    """Disjoint parts of ``images`` in the given fractions (summing to 1), from a seeded permutation.

    With ``stratify`` each class is cut in the same fractions (parts keep the class balance); part
    sizes are rounded so that every image lands in exactly one part. The same seed gives the same
    parts; within a part, images keep their original order.
    """
    fr = np.asarray(fractions, dtype=np.float64)
    if fr.ndim != 1 or len(fr) < 1 or np.any(fr <= 0) or not math.isclose(fr.sum(), 1.0, abs_tol=1e-9):
        raise ConfigError(f"split fractions must be positive and sum to 1, got {tuple(fractions)}")
    rng = np.random.default_rng(seed)
    labels = images.labels.numpy()
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)] if stratify else [np.arange(len(images))]
    parts = [[] for _ in fr]
    for group in groups:
        order = group[rng.permutation(len(group))]
        cuts = np.round(np.cumsum(fr) * len(group)).astype(int)
        for k, (lo, hi) in enumerate(zip(np.concatenate([[0], cuts[:-1]]), cuts)):
            parts[k].append(order[lo:hi])
    return tuple(images.subset(np.sort(np.concatenate(p))) for p in parts)


def resize(images: ImageSet, size: int | tuple[int, int], *, mode: str = "bilinear") -> ImageSet:
    """Images interpolated to ``size`` (torch.nn.functional.interpolate; antialiased when shrinking with
    "bilinear"/"bicubic"), clamped to [0, 1]. ``mode``: "bilinear", "bicubic", "nearest" or "area"."""
    if mode not in ("bilinear", "bicubic", "nearest", "area"):
        raise ConfigError(f"resize mode {mode!r} is not one of bilinear, bicubic, nearest, area")
    hw = (int(size), int(size)) if isinstance(size, (int, np.integer)) else tuple(int(s) for s in size)
    if len(hw) != 2 or min(hw) < 1:
        raise ConfigError(f"size must be a positive int or (height, width), got {size!r}")
    if tuple(images.images.shape[2:]) == hw:
        return images
    kw = {"align_corners": False} if mode in ("bilinear", "bicubic") else {}
    shrinking = hw[0] < images.images.shape[2] or hw[1] < images.images.shape[3]
    if mode in ("bilinear", "bicubic") and shrinking:
        kw["antialias"] = True
    out = F.interpolate(images.images, size=hw, mode=mode, **kw).clamp_(0.0, 1.0)
    return ImageSet(out.contiguous(), images.labels, images.classes, images.name, images.licence)


def pad(images: ImageSet, size: int, value: float = 0.0) -> ImageSet:
    """Images centred on a size x size canvas filled with ``value`` (e.g. 8x8 digits onto 16x16)."""
    h, w = images.images.shape[2:]
    if size < max(h, w) or not 0 <= value <= 1:
        raise ConfigError(f"pad size {size} must be at least the image size {h}x{w}, and value in [0, 1]")
    top, left = (size - h) // 2, (size - w) // 2
    out = F.pad(images.images, (left, size - w - left, top, size - h - top), value=float(value))
    return ImageSet(out.contiguous(), images.labels, images.classes, images.name, images.licence)
