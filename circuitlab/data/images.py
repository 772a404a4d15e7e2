"""Image sets as one plain type, and the built-in scikit-learn digits.

An :class:`ImageSet` holds images as float32 in [0, 1], shape (N, C, H, W), with integer labels and
the class names; every loader in :mod:`circuitlab.data` returns one, so the evaluations never care
where the images came from.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .errors import DataError

__all__ = ["ImageSet", "load_digits"]


@dataclass(frozen=True)
class ImageSet:
    """Images (N, C, H, W) float32 in [0, 1], labels (N,) int64, class names, a name and the licence."""

    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]
    name: str
    licence: str = ""

    def __post_init__(self):
        if self.images.ndim != 4:
            raise DataError(f"{self.name}: images must be (N, C, H, W), got shape {tuple(self.images.shape)}")
        if self.labels.shape != (self.images.shape[0],):
            raise DataError(f"{self.name}: {self.labels.shape[0]} labels for {self.images.shape[0]} images")

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        return tuple(int(s) for s in self.images.shape[1:])

    def subset(self, index) -> "ImageSet":
        """The images at ``index`` (a tensor or array of indices), same classes and name."""
        index = torch.as_tensor(np.asarray(index), dtype=torch.long)
        return ImageSet(self.images[index], self.labels[index], self.classes, self.name, self.licence)


def load_digits() -> ImageSet:
    """scikit-learn's handwritten digits: 1,797 images, 8x8, grey levels 0-16 scaled to [0, 1]."""
    from sklearn.datasets import load_digits as _sk_digits

    bunch = _sk_digits()
    images = torch.from_numpy(bunch.images.astype(np.float32) / 16.0).unsqueeze(1)
    labels = torch.from_numpy(bunch.target.astype(np.int64))
    return ImageSet(images, labels, tuple(str(d) for d in range(10)), "digits",
                    "scikit-learn digits (UCI ML hand-written digits, CC BY 4.0)")
