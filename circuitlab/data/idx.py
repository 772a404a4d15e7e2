"""The IDX format of the MNIST files a user has (``train-images-idx3-ubyte[.gz]`` and its labels).

Format (LeCun et al., http://yann.lecun.com/exdb/mnist/): a 4-byte magic number (two zero bytes, a
type code, the number of dimensions), one big-endian uint32 per dimension, then the values in C order,
big-endian. Type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
MNIST images are 0x00000803 (uint8, N x 28 x 28), labels 0x00000801 (uint8, N). Gzip is recognised by
its own magic bytes (1f 8b), whatever the file is called. Every check names the file and the bad value.
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np
import torch

from .errors import DataError, DataFormatError
from .images import ImageSet
from .mnist import MNIST_LICENCE

__all__ = ["read_idx", "write_idx", "load_idx", "IDX_TYPES"]

IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
             0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise DataError(f"IDX file {path} does not exist; give the path of an MNIST-style "
                        "'*-idx3-ubyte' or '*-idx1-ubyte' file (gzipped or not)")
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataFormatError(f"{path} is a damaged gzip file ({exc}); download it again or gunzip "
                                  "a good copy") from exc
    return raw


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in an IDX file (gzipped or not), in native byte order."""
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise DataFormatError(f"{path} has {len(raw)} bytes, fewer than the 4-byte IDX magic number; "
                              "the file is truncated or empty")
    zero, code, ndim = raw[:2], raw[2], raw[3]
    if zero != b"\x00\x00" or code not in IDX_TYPES or ndim == 0:
        raise DataFormatError(f"{path} is not an IDX file: magic number 0x{raw[:4].hex()} (IDX files start "
                              "0x0000 then a type code 08/09/0B/0C/0D/0E and a dimension count >= 1, e.g. "
                              "0x00000803 for MNIST images); is it the right file?")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataFormatError(f"{path}: truncated header ({len(raw)} bytes, {header} needed for {ndim} dims)")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[code]
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "followed by extra bytes"
        raise DataFormatError(f"{path}: {what}: dims {dims} of {dtype.name} need {expected} bytes, the file "
                              f"has {len(raw)}; fetch an intact copy")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray, *, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file (gzip when ``compress`` or when the name ends in .gz)."""
    path = Path(path)
    array = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in IDX_TYPES.items()}
    key = array.dtype.newbyteorder("=")
    if key not in codes or array.ndim < 1 or array.ndim > 255:
        raise DataError(f"IDX cannot hold {array.dtype} arrays of {array.ndim} dims; use uint8, int8, int16, "
                        "int32, float32 or float64 with 1-255 dims")
    code = codes[key]
    body = (bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
            + np.ascontiguousarray(array, dtype=IDX_TYPES[code]).tobytes())
    if compress or (compress is None and path.suffix == ".gz"):
        body = gzip.compress(body, mtime=0)
    path.write_bytes(body)
    return path


def load_idx(images_path: str | Path, labels_path: str | Path | None = None, *, name: str | None = None,
             licence: str = MNIST_LICENCE) -> ImageSet:
    """An :class:`ImageSet` from IDX images (N, H, W) or (N, H, W, C) and, optionally, IDX labels (N,).

    Integer images are scaled by the range of their type (uint8: /255); float images must already lie
    in [0, 1]. Without ``labels_path`` every label is 0. Classes are "0" .. str(max label).
    """
    images_path = Path(images_path)
    pixels = read_idx(images_path)
    if pixels.ndim not in (3, 4):
        raise DataFormatError(f"{images_path} holds a {pixels.ndim}-dim array {pixels.shape}; IDX images are "
                              "(N, H, W) or (N, H, W, C): is this a labels file?")
    if np.issubdtype(pixels.dtype, np.integer):
        info = np.iinfo(pixels.dtype)
        images = (pixels.astype(np.float32) - max(info.min, 0)) / float(info.max - max(info.min, 0))
        if info.min < 0 and pixels.min() < 0:
            raise DataFormatError(f"{images_path}: negative grey levels ({pixels.min()}) in a signed IDX file")
    else:
        images = pixels.astype(np.float32)
        if images.size and (images.min() < 0 or images.max() > 1):
            raise DataFormatError(f"{images_path}: float grey levels must lie in [0, 1], got "
                                  f"{images.min()}-{images.max()}; rescale the file")
    images = images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)
    if labels_path is None:
        labels = np.zeros(len(images), dtype=np.int64)
    else:
        labels_path = Path(labels_path)
        raw_labels = read_idx(labels_path)
        if raw_labels.ndim != 1 or len(raw_labels) != len(images):
            raise DataFormatError(f"{labels_path} holds labels of shape {raw_labels.shape}, but {images_path} "
                                  f"has {len(images)} images; pair the images file with its own labels file")
        if not np.issubdtype(raw_labels.dtype, np.integer) or (raw_labels.size and raw_labels.min() < 0):
            raise DataFormatError(f"{labels_path}: labels must be non-negative integers")
        labels = raw_labels.astype(np.int64)
    n_classes = int(labels.max()) + 1 if labels.size else 1
    return ImageSet(torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels),
                    tuple(str(c) for c in range(n_classes)), name or images_path.name, licence)
