"""Letters rendered from the fonts that ship with matplotlib, as grey images and as MTJ-array patterns.

The seed (meram_diffusion_paper.txt, Fig. 3c) trains a DDPM on binary letter patterns "U", "C", "L"
and "A" held in an 80x80 array of voltage-controlled MTJs, one MTJ per pixel, a P or an AP state per
pixel. :func:`letter_patterns` makes such patterns (1 = AP, the letter; 0 = P, the background) and
:func:`render_letters` the grey-level version, both from the DejaVu fonts in matplotlib's data folder
(Sans, Serif and Mono, regular, bold, oblique/italic and bold oblique: 12 faces), each glyph moved by
a small random affine change (rotation, scale, shift) drawn from a seeded generator. The same seed
gives the same images on one machine and software stack (FreeType rasterises deterministically).

Rendering: each glyph is drawn once per face with Pillow's FreeType binding at ``oversample`` times
the output size, cropped to its ink, centred, scaled so that its larger side fills ``fill`` of the
image, rotated, scaled and shifted by one affine map (bilinear), then reduced to the output size by
box averaging (anti-aliasing).
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from .errors import ConfigError, MissingDataPackageError
from .images import ImageSet

__all__ = ["FONTS", "font_path", "render_letters", "letter_patterns", "SEED_LETTERS"]

SEED_LETTERS = "UCLA"
# DejaVu faces shipped in matplotlib/mpl-data/fonts/ttf (Bitstream Vera licence, free to redistribute)
FONTS = ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique",
         "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic",
         "DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSansMono-Oblique", "DejaVuSansMono-BoldOblique")
_LICENCE = "rendered from matplotlib's DejaVu fonts (Bitstream Vera / DejaVu licence)"


def font_path(face: str) -> Path:
    """The .ttf file of one of :data:`FONTS` inside the installed matplotlib."""
    if face not in FONTS:
        raise ConfigError(f"unknown font face {face!r}; choose from {', '.join(FONTS)}")
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / f"{face}.ttf"
    if not path.is_file():
        raise MissingDataPackageError(f"{path} is missing from the installed matplotlib: "
                                      "pip install --force-reinstall matplotlib")
    return path


@lru_cache(maxsize=512)
def _glyph(face: str, letter: str, height_px: int) -> np.ndarray:
    """The glyph's ink (float32 0-1, cropped to its bounding box), drawn at a font size of height_px."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_path(face)), size=height_px)
    left, top, right, bottom = font.getbbox(letter)
    if right <= left or bottom <= top:
        raise ConfigError(f"{letter!r} has no ink in {face}; use letters, digits or punctuation")
    canvas = Image.new("L", (right - left + 2, bottom - top + 2), 0)
    ImageDraw.Draw(canvas).text((1 - left, 1 - top), letter, fill=255, font=font)
    ink = np.asarray(canvas, dtype=np.float32) / 255.0
    rows, cols = np.nonzero(ink > 0)
    return ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def _check_letters(letters: str) -> str:
    if not isinstance(letters, str) or not letters:
        raise ConfigError(f"letters must be a non-empty string such as 'UCLA', got {letters!r}")
    if len(set(letters)) != len(letters):
        raise ConfigError(f"letters {letters!r} repeat a letter; each is one class, give each once")
    if any(c.isspace() or not c.isprintable() for c in letters):
        raise ConfigError(f"letters {letters!r} contain a space or an unprintable character; give glyphs only")
    return letters


def _draw(ink: np.ndarray, size: int, oversample: int, fill: float, angle_deg: float, scale: float,
          shift_x: float, shift_y: float) -> np.ndarray:
    """One glyph placed by an affine map on a size x size grey image (float32, 0-1)."""
    from PIL import Image

    big = size * oversample
    h, w = ink.shape
    k = fill * big / max(h, w) * scale                      # output pixels per glyph pixel
    theta = math.radians(angle_deg)
    cos, sin = math.cos(theta) / k, math.sin(theta) / k
    # PIL's AFFINE maps output (x, y) to input (a x + b y + c, d x + e y + f): the inverse of
    # "rotate by theta, scale by k, put the glyph centre at the image centre plus the shift"
    cx, cy = big / 2 + shift_x * big, big / 2 + shift_y * big
    gx, gy = w / 2, h / 2
    a, b, d, e = cos, sin, -sin, cos
    coeffs = (a, b, gx - a * cx - b * cy, d, e, gy - d * cx - e * cy)
    src = Image.fromarray(np.round(ink * 255).astype(np.uint8), mode="L")
    placed = src.transform((big, big), Image.Transform.AFFINE, coeffs, resample=Image.Resampling.BILINEAR,
                           fillcolor=0)
    small = placed.resize((size, size), Image.Resampling.BOX) if oversample > 1 else placed
    return np.asarray(small, dtype=np.float32) / 255.0


def render_letters(letters: str = SEED_LETTERS, n_per_class: int = 500, size: int = 28, seed: int = 0, *,
                   fonts: tuple[str, ...] = FONTS, rotation_deg: float = 10.0,
                   scale: tuple[float, float] = (0.85, 1.1), shift: float = 0.08, fill: float = 0.75,
                   oversample: int | None = None) -> ImageSet:
    """Grey letter images (N, 1, size, size) in [0, 1], ``n_per_class`` per letter, class i = letters[i].

    Each image draws, from ``numpy.random.default_rng(seed)``, a font face from ``fonts`` (uniformly),
    a rotation uniform in +-``rotation_deg`` degrees, a scale uniform in ``scale`` and a shift uniform in
    +-``shift`` of the image side on each axis. ``fill``: the fraction of the side the glyph's larger
    dimension spans before the random scale. Images come class by class, in the order of ``letters``.
    """
    letters = _check_letters(letters)
    if int(n_per_class) < 1 or int(size) < 4:
        raise ConfigError(f"need n_per_class >= 1 and size >= 4 pixels, got {n_per_class} and {size}")
    if not fonts:
        raise ConfigError("fonts is empty; pass one or more of circuitlab.data.letters.FONTS")
    if not (0 < scale[0] <= scale[1]) or not (0 < fill <= 1) or rotation_deg < 0 or not (0 <= shift < 0.5):
        raise ConfigError(f"need 0 < scale[0] <= scale[1], 0 < fill <= 1, rotation_deg >= 0 and "
                          f"0 <= shift < 0.5; got scale={scale}, fill={fill}, rotation_deg={rotation_deg}, "
                          f"shift={shift}")
    for face in fonts:
        font_path(face)
    n_per_class, size = int(n_per_class), int(size)
    oversample = max(2, math.ceil(112 / size)) if oversample is None else int(oversample)
    rng = np.random.default_rng(seed)
    n = n_per_class * len(letters)
    faces = rng.integers(len(fonts), size=n)
    angles = rng.uniform(-rotation_deg, rotation_deg, size=n)
    scales = rng.uniform(scale[0], scale[1], size=n)
    shifts = rng.uniform(-shift, shift, size=(n, 2))
    images = np.empty((n, 1, size, size), dtype=np.float32)
    glyph_px = size * oversample
    for i in range(n):
        ink = _glyph(fonts[faces[i]], letters[i // n_per_class], glyph_px)
        images[i, 0] = _draw(ink, size, oversample, fill, angles[i], scales[i], shifts[i, 0], shifts[i, 1])
    labels = np.repeat(np.arange(len(letters), dtype=np.int64), n_per_class)
    return ImageSet(torch.from_numpy(images), torch.from_numpy(labels), tuple(letters), f"letters-{letters}",
                    _LICENCE)


def letter_patterns(letters: str = SEED_LETTERS, size: int = 80, n_per_class: int = 1, seed: int = 0, *,
                    fonts: tuple[str, ...] = ("DejaVuSans-Bold",), jitter: bool = False,
                    threshold: float = 0.5, **render) -> ImageSet:
    """The seed's binary MTJ-array patterns: (N, 1, size, size) with 1 = AP (letter) and 0 = P (background).

    Default: one upright bold-sans pattern per letter on the seed's 80x80 array (Fig. 3c). With
    ``jitter=True`` each of the ``n_per_class`` patterns gets :func:`render_letters`' random affine
    change (and a face drawn from ``fonts``); ``render`` passes further options to it. A pixel is AP when
    its grey level (the ink coverage of the MTJ's area) exceeds ``threshold``.
    """
    if not 0 < threshold < 1:
        raise ConfigError(f"threshold must lie strictly between 0 and 1 (ink coverage), got {threshold}")
    if not jitter:
        render = {**render, "rotation_deg": 0.0, "scale": (1.0, 1.0), "shift": 0.0}
    grey = render_letters(letters, n_per_class, size, seed, fonts=fonts, **render)
    binary = (grey.images > threshold).to(torch.float32)
    return ImageSet(binary, grey.labels, grey.classes, f"patterns-{letters}", grey.licence)
