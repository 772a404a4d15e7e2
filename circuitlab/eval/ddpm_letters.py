"""The seed's letter demo (meram_diffusion_paper.txt, Fig. 3c): "We have separately trained the array on
different letter patterns such as "U", "C", "L", and "A", and subsequently generated new patterns using
the trained models" (80 x 80 MTJ array, P/AP pixels, 100 forward steps).

One DDPM per letter and noise source on jittered binary patterns of that letter (:func:`letter_patterns`),
T = 100; a classifier trained on all the letters' patterns says which letter each generated pattern
shows, and the demo reports the fraction assigned to the trained letter. Generated grey levels are
binarised at 0.5 (P below, AP above), like the device's read-out.
"""
from __future__ import annotations

import time
from typing import Callable

import torch

from ..data import letter_patterns
from ..nn import parse_noise
from .ddpm import DDPMConfig, sample, train_ddpm
from .features import train_classifier
from .metrics import class_fraction

__all__ = ["LETTER_NOISE", "run_letter_demo"]

#: the demo compares software and device noise only
LETTER_NOISE = ("gaussian", "meram")


def run_letter_demo(letters: str, size: int, n_per_letter: int, epochs: int, *, device, cache_dir,
                    n_samples: int = 16, seed: int = 0, base: int = 16,
                    say: Callable[[str], None] = lambda m: None) -> dict:
    """Train per letter and noise, sample ``n_samples`` patterns; returns
    ``{"letters", "size", "T", "classifier_accuracy", "fraction": {noise: {letter: f}}, "samples":
    {noise: {letter: (n, 1, size, size) tensor}}, "seconds"}``."""
    t0 = time.perf_counter()
    pats = letter_patterns(letters, size=size, n_per_class=n_per_letter, seed=seed, jitter=True)
    clf = train_classifier(pats, seed=seed, cache_dir=cache_dir, epochs=15, batch_size=32)
    mults = (1, 2, 2) if size >= 32 else (1, 2)
    cfg = DDPMConfig(T=100, epochs=epochs, batch=16, lr=2e-3, base=base, mults=mults, n_samples=n_samples)
    fraction, samples = {}, {}
    for spec in LETTER_NOISE:
        fraction[spec], samples[spec] = {}, {}
        for k, letter in enumerate(pats.classes):
            x0 = pats.images[pats.labels == k]
            trained = train_ddpm(x0, parse_noise(spec), cfg, seed, device=device)
            imgs = sample(trained, parse_noise(spec), n_samples, pats.shape, seed=seed, device=device)
            binary = (imgs > 0.5).to(torch.float32)
            fraction[spec][letter] = class_fraction(clf, binary, letter)
            samples[spec][letter] = binary
            say(f"[ddpm] letters {spec:8s} {letter}: {100 * fraction[spec][letter]:.0f} % classified as {letter}")
    return {"letters": letters, "size": size, "T": cfg.T, "epochs": epochs, "n_per_letter": n_per_letter,
            "classifier_accuracy": clf.test_accuracy, "fraction": fraction, "samples": samples,
            "seconds": time.perf_counter() - t0, "config": cfg}
