"""A folder of images a user has (CelebA-HQ style), read with Pillow and resized to one square size.

Two layouts: images directly in the folder (one class, "images"), or one sub-folder per class
(``root/cat/*.png``, ``root/dog/*.jpg``: classes are the sorted sub-folder names). Files are taken in
sorted order, so the same folder always gives the same :class:`ImageSet`. Each image is centre-cropped
to a square (the shorter side) and resized with Pillow's antialiasing (Lanczos) filter.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .errors import DataError, DataFormatError
from .images import ImageSet

__all__ = ["load_image_folder", "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _read(path: Path, size: int, grey: bool) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img = img.convert("L" if grey else "RGB")
            w, h = img.size
            side = min(w, h)
            box = ((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side)
            img = img.resize((size, size), Image.Resampling.LANCZOS, box=box)
            pixels = np.asarray(img, dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DataFormatError(f"cannot read image {path}: {exc}; remove it or replace it with a valid file") from exc
    return pixels[None] if grey else pixels.transpose(2, 0, 1)


def load_image_folder(path: str | Path, size: int = 64, grey: bool = False, *, limit: int | None = None,
                      name: str | None = None, licence: str = "user data") -> ImageSet:
    """Images under ``path`` as (N, 1 or 3, size, size) float32 in [0, 1]; at most ``limit`` per class.

    ``grey=True`` converts to one channel (ITU-R 601-2 luma, Pillow's "L"), otherwise RGB.
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"image folder {root} does not exist or is not a folder; give the folder that holds "
                        "the images (or one sub-folder per class)")
    if int(size) < 1:
        raise DataError(f"size must be a positive number of pixels, got {size}")
    files = _images_in(root)
    if files:
        groups = [("images", files)]
    else:
        groups = [(d.name, _images_in(d)) for d in sorted(p for p in root.iterdir() if p.is_dir())]
        groups = [(n, f) for n, f in groups if f]
    if not groups:
        raise DataError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {root} or its sub-folders; "
                        "check the path")
    images, labels = [], []
    for label, (_, group) in enumerate(groups):
        for file in group[:limit]:
            images.append(_read(file, int(size), grey))
            labels.append(label)
    return ImageSet(torch.from_numpy(np.stack(images)), torch.tensor(labels, dtype=torch.int64),
                    tuple(n for n, _ in groups), name or root.name, licence)
