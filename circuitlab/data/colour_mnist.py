"""``colour-mnist``: an offline 10-class RGB task made from the MNIST 5k digits (issue 16's default data).

Each image: one MNIST 5k digit under a random affine transform (rotation +-20 deg, scale 0.8-1.15,
shear +-0.2, shift +-2 px at 28 px), painted in a random colour with opacity 0.7-1 over a textured
background, then resized to ``size`` (default 32). Backgrounds are crops of scikit-image's sample
photographs and textures (astronaut, coffee, chelsea, brick, grass, gravel, ...) when scikit-image is
installed, otherwise procedural natural textures: 1/f^beta noise fields (beta 1.2-2.2, the spectrum of
natural images) mixed between two random colours, with random stripes. The digit colour is drawn at a
RGB distance of at least 0.4 from the background mean (else the complement of that mean), yet on
busy textures some digits stay faint: the
task is harder than MNIST (ResNet-20 stays below 97 %). Everything is seeded: the same seed gives the same
images. MNIST is CC BY-SA 3.0.
"""
from __future__ import annotations

import functools
import importlib.util

import numpy as np
import torch
import torch.nn.functional as F

from .images import ImageSet
from .mnist import MNIST_LICENCE, load_mnist5k

__all__ = ["load_colour_mnist"]

_SKIMAGE_IMAGES = ("astronaut", "coffee", "chelsea", "brick", "grass", "gravel", "rocket", "camera")


def _pink_noise(rng: np.random.Generator, n: int, side: int) -> np.ndarray:
    """``n`` fields (side x side) with power spectrum 1/f^beta, each scaled to [0, 1]."""
    fy = np.fft.fftfreq(side)[:, None]
    fx = np.fft.rfftfreq(side)[None, :]
    f = np.sqrt(fx ** 2 + fy ** 2)
    f[0, 0] = 1.0
    beta = rng.uniform(1.2, 2.2, (n, 1, 1))
    spec = (rng.normal(size=(n, side, side // 2 + 1)) + 1j * rng.normal(size=(n, side, side // 2 + 1)))
    field = np.fft.irfft2(spec / f[None] ** (beta / 2), s=(side, side))
    lo, hi = field.min(axis=(1, 2), keepdims=True), field.max(axis=(1, 2), keepdims=True)
    return (field - lo) / (hi - lo + 1e-12)


def _procedural(rng: np.random.Generator, n: int, side: int) -> np.ndarray:
    """(n, 3, side, side) textures in [0, 1]."""
    t = _pink_noise(rng, n, side)[:, None]
    c0, c1 = rng.uniform(0, 1, (n, 3, 1, 1)), rng.uniform(0, 1, (n, 3, 1, 1))
    img = c0 * (1 - t) + c1 * t
    yy, xx = np.mgrid[0:side, 0:side]
    ang, freq = rng.uniform(0, np.pi, n), rng.uniform(0.15, 0.6, n)
    stripes = np.sin(freq[:, None, None] * (np.cos(ang)[:, None, None] * xx + np.sin(ang)[:, None, None] * yy))
    amp = rng.uniform(0, 0.25, (n, 1, 1)) * (rng.uniform(size=(n, 1, 1)) < 0.5)
    return np.clip(img + (amp * stripes)[:, None], 0, 1)


def _photo_crops(rng: np.random.Generator, n: int, side: int):
    """(n, 3, side, side) crops of scikit-image's sample images, or None without scikit-image."""
    if importlib.util.find_spec("skimage") is None:
        return None
    from skimage import data
    pics = []
    for name in _SKIMAGE_IMAGES:
        im = np.asarray(getattr(data, name)(), dtype=np.float32) / 255.0
        pics.append(np.repeat(im[..., None], 3, -1) if im.ndim == 2 else im[..., :3])
    out = np.empty((n, 3, side, side), np.float32)
    for k in range(n):
        im = pics[rng.integers(len(pics))]
        s = int(rng.integers(side, min(im.shape[:2]) // 3))
        y, x = rng.integers(0, im.shape[0] - s), rng.integers(0, im.shape[1] - s)
        crop = torch.from_numpy(np.ascontiguousarray(im[y:y + s, x:x + s].transpose(2, 0, 1)))[None]
        out[k] = F.interpolate(crop, size=(side, side), mode="bilinear", align_corners=False, antialias=True)[0]
    return out


@functools.lru_cache(maxsize=1)
def _mnist5k():
    """MNIST 5k, read once per process (parsing the CSV takes seconds)."""
    return load_mnist5k()


def load_colour_mnist(size: int = 32, seed: int = 0, n: int | None = None, textures: str = "auto",
                      contrast: float = 0.6) -> ImageSet:
    """``n`` (default all 5,000) colour-MNIST images (N, 3, size, size) in [0, 1] with their digit labels.

    ``textures``: "auto" (scikit-image photos when installed, else procedural), "procedural" or "photos";
    ``contrast`` scales the background's deviations from its mean colour (1: the texture as drawn)."""
    from .errors import DataError, MissingDataPackageError

    if textures not in ("auto", "procedural", "photos"):
        raise DataError(f"textures={textures!r}: use auto, procedural or photos")
    base = _mnist5k()
    rng = np.random.default_rng(seed)
    idx = np.arange(len(base)) if n is None else rng.permutation(len(base))[:n]
    digits = base.images[torch.as_tensor(idx)]                       # (N, 1, 28, 28)
    m, side = len(idx), 28
    ang = np.deg2rad(rng.uniform(-20, 20, m))
    sc = rng.uniform(0.8, 1.15, m)
    sh = rng.uniform(-0.2, 0.2, m)
    tx, ty = rng.uniform(-2, 2, (2, m)) / (side / 2)
    theta = np.zeros((m, 2, 3))
    theta[:, 0, 0], theta[:, 0, 1] = np.cos(ang) / sc, (-np.sin(ang) + sh) / sc
    theta[:, 1, 0], theta[:, 1, 1] = np.sin(ang) / sc, np.cos(ang) / sc
    theta[:, 0, 2], theta[:, 1, 2] = tx, ty
    grid = F.affine_grid(torch.as_tensor(theta, dtype=torch.float32), (m, 1, side, side), align_corners=False)
    mask = F.grid_sample(digits, grid, align_corners=False).clamp(0, 1)
    bg, kind = None, "photo"
    if textures in ("auto", "photos"):
        bg = _photo_crops(rng, m, side)
        if bg is None and textures == "photos":
            raise MissingDataPackageError("colour-mnist photo backgrounds need scikit-image: pip install scikit-image")
    if bg is None:
        bg, kind = _procedural(rng, m, side), "procedural"
    bg = torch.as_tensor(bg, dtype=torch.float32)
    mean = bg.mean(dim=(2, 3))
    bg = mean[:, :, None, None] + contrast * (bg - mean[:, :, None, None])
    colour = torch.as_tensor(rng.uniform(0, 1, (m, 3)), dtype=torch.float32)
    far = (colour - mean).norm(dim=1) < 0.4                            # too close: push away from the background
    colour[far] = (1 - mean[far]).clamp(0, 1)
    alpha = torch.as_tensor(rng.uniform(0.7, 1.0, (m, 1, 1, 1)), dtype=torch.float32) * mask
    img = bg * (1 - alpha) + colour[:, :, None, None] * alpha
    if size != side:
        img = F.interpolate(img, size=(size, size), mode="bilinear", align_corners=False,
                            antialias=size < side).clamp(0, 1)
    name = f"colour-mnist (seed {seed}, {kind} textures)"
    return ImageSet(img.contiguous(), base.labels[torch.as_tensor(idx)].clone(), base.classes, name,
                    MNIST_LICENCE)
