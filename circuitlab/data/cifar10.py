"""CIFAR-10 from a local copy of the standard "CIFAR-10 python version" (Krizhevsky 2009): a folder with
``data_batch_1`` .. ``data_batch_5`` and ``test_batch``, each a pickled dict with ``b"data"`` (N, 3072)
uint8 (1024 red, 1024 green, 1024 blue values, row major) and ``b"labels"``. Never downloaded. The files
are pickles: read only copies you trust (as with any pickle).
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from .errors import DataError, DataFormatError
from .images import ImageSet

__all__ = ["load_cifar10", "CIFAR10_CLASSES"]

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def _batch(path: Path):
    try:
        with open(path, "rb") as f:
            d = pickle.load(f, encoding="bytes")
        data = np.asarray(d[b"data"], dtype=np.uint8)
        labels = np.asarray(d[b"labels"], dtype=np.int64)
    except (OSError, pickle.UnpicklingError, KeyError, EOFError, TypeError, ValueError) as exc:
        raise DataFormatError(f"{path} is not a CIFAR-10 python batch ({exc}); use the 'python version' "
                              f"archive's cifar-10-batches-py folder") from exc
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise DataFormatError(f"{path}: expected (N, 3072) data with N labels, got {data.shape}, {labels.shape}")
    return data, labels


def load_cifar10(folder, train: bool = True) -> ImageSet:
    """The training (5 batches, 50,000 images) or test (10,000) split as (N, 3, 32, 32) in [0, 1]."""
    folder = Path(folder).expanduser()
    names = [f"data_batch_{k}" for k in range(1, 6)] if train else ["test_batch"]
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise DataError(f"{folder}: no CIFAR-10 python batches {missing}; pass the cifar-10-batches-py folder "
                        f"(cifar10:PATH)")
    parts = [_batch(folder / n) for n in names]
    data = np.concatenate([p[0] for p in parts]).reshape(-1, 3, 32, 32)
    labels = np.concatenate([p[1] for p in parts])
    return ImageSet(torch.from_numpy(data.astype(np.float32) / 255.0), torch.from_numpy(labels), CIFAR10_CLASSES,
                    "cifar10" + ("" if train else "-test"), "CIFAR-10 (Krizhevsky 2009)")
