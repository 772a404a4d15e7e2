"""The seed's letter demo (meram_diffusion_paper.txt, Fig. 3c) as the seed describes it: a diffusion of the
coordinates of P states on the 80 x 80 MTJ array.

Seed: "Here, xt is the coordinate of P states, and the trajectories of P states (change from xt to xt+1)
follow a Gaussian diffusion process" ... "The training in the forward diffusion process consists of 100
steps" ... "We have separately trained the array on different letter patterns such as "U", "C", "L", and
"A", and subsequently generated new patterns using the trained models".

So the data of one letter are the (x, y) array coordinates of its P-state MTJs (the letter's pixels of
:func:`~circuitlab.data.letter_patterns`, scaled to [-1, 1] with a uniform dither inside each MTJ's cell),
and one DDPM per letter and noise source learns their 2-D density (the point-cloud setting of Sohl-Dickstein
et al. 2015's toy problems): a small MLP predicts the noise from (x_t, t), T = 100. Every Gaussian draw, two
per point and step (forward noising in training, x_T and each reverse step), comes from the noise source.
Generation runs as many chains as the pattern has P states and writes each end point back onto the array
(the MTJ under it set to P). Scores per letter: precision (generated points that land on the letter's
MTJs), coverage (the letter's MTJs hit) and the fraction of generated patterns that a classifier trained on
jittered patterns of all the letters assigns to the trained letter.
"""
from __future__ import annotations

import time
from typing import Callable

import torch
from torch import nn

from ..data import letter_patterns
from ..errors import ConfigError
from ..nn import parse_noise
from .ddpm import NOISE_SEED_OFFSET, SAMPLE_SEED_OFFSET
from .ddpm_schedule import Schedule
from .ddpm_unet import timestep_embedding
from .features import train_classifier
from .metrics import class_fraction

__all__ = ["LETTER_NOISE", "LETTER_T", "PointDenoiser", "pattern_points", "cells", "rasterise", "train_points",
           "sample_points", "run_letter_demo"]

#: the demo compares software and device noise only
LETTER_NOISE = ("gaussian", "meram")
#: "The training in the forward diffusion process consists of 100 steps"
LETTER_T = 100


class PointDenoiser(nn.Module):
    """eps_hat(x_t, t) for 2-D points: an MLP on (x, y, sinusoidal embedding of t)."""

    def __init__(self, width: int = 128, t_dim: int = 32):
        super().__init__()
        self.t_dim = t_dim
        self.net = nn.Sequential(nn.Linear(2 + t_dim, width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(),
                                 nn.Linear(width, width), nn.SiLU(), nn.Linear(width, 2))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, timestep_embedding(t, self.t_dim)], dim=1))


def pattern_points(pattern: torch.Tensor) -> torch.Tensor:
    """Centres (K, 2) of the set MTJs of a (size, size) or (1, size, size) binary pattern, as (x, y) in
    [-1, 1] (x along columns, y along rows; cell centres at (2 i + 1) / size - 1)."""
    p = pattern.reshape(pattern.shape[-2:])
    rows, cols = torch.nonzero(p > 0.5, as_tuple=True)
    if len(rows) == 0:
        raise ConfigError("a letter pattern with no P-state MTJ has no coordinates to learn")
    size = p.shape[-1]
    return torch.stack([(2 * cols + 1) / size - 1, (2 * rows + 1) / size - 1], dim=1).to(torch.float32)


def cells(points: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(row, col) of the MTJ under each point (x, y) that lies on the array, and the mask of those points."""
    ij = torch.floor((points + 1) / 2 * size).to(torch.int64)
    inside = ((ij >= 0) & (ij < size)).all(dim=1)
    return ij[inside, 1], ij[inside, 0], inside


def rasterise(points: torch.Tensor, size: int) -> torch.Tensor:
    """The (1, size, size) pattern with the MTJ under each point (x, y) set (points outside are dropped)."""
    rows, cols, _ = cells(points, size)
    out = torch.zeros(1, size, size)
    out[0, rows, cols] = 1.0
    return out


def train_points(points: torch.Tensor, noise, *, size: int, steps: int, seed: int, batch: int = 512,
                 lr: float = 5e-3) -> PointDenoiser:
    """Epsilon-prediction training on the letter's coordinates (dithered uniformly within each MTJ's cell
    of side 2 / size); the last fifth of the steps at lr / 10."""
    torch.manual_seed(seed)
    model, sched = PointDenoiser(), Schedule(LETTER_T)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    gn = torch.Generator().manual_seed(seed + NOISE_SEED_OFFSET)
    for step in range(int(steps)):
        if step == int(0.8 * steps):
            for group in opt.param_groups:
                group["lr"] = lr / 10
        pick = torch.randint(len(points), (batch,), generator=g)
        x0 = points[pick] + (torch.rand(batch, 2, generator=g) - 0.5) * (2 / size)
        t = torch.randint(LETTER_T, (batch,), generator=g)
        eps = noise.randn((batch, 2), generator=gn)
        loss = (model(sched.q_sample(x0, t, eps), t) - eps).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model.eval()


@torch.no_grad()
def sample_points(model: PointDenoiser, noise, n: int, *, seed: int) -> torch.Tensor:
    """``n`` points by Ho et al.'s Algorithm 2 (posterior variance, x_0 clipped to the array), every draw
    from ``noise``."""
    sched = Schedule(LETTER_T)
    gn = torch.Generator().manual_seed(seed + SAMPLE_SEED_OFFSET)
    x = noise.randn((n, 2), generator=gn)
    for step in reversed(range(LETTER_T)):
        t = torch.full((n,), step, dtype=torch.int64)
        x0 = sched.predict_x0(x, t, model(x, t)).clamp(-1, 1)
        mean, var = sched.posterior(x0, x, t)
        x = mean + var.sqrt() * noise.randn((n, 2), generator=gn) if step > 0 else mean
    return x


def run_letter_demo(letters: str, size: int, n_per_letter: int, steps: int, *, device=None, cache_dir=None,
                    n_samples: int = 16, seed: int = 0,
                    say: Callable[[str], None] = lambda m: None) -> dict:
    """Train per letter and noise (``steps`` Adam steps on the coordinates), generate ``n_samples`` patterns;
    returns ``{"letters", "size", "T", "steps", "classifier_accuracy", "fraction", "precision", "coverage":
    {noise: {letter: value}}, "samples": {noise: {letter: (n, 1, size, size) tensor}}, "seconds"}``.
    Runs on the CPU (a 2-D MLP; ``device`` is accepted for a uniform call)."""
    t0 = time.perf_counter()
    arrays = letter_patterns(letters, size=size, n_per_class=1, seed=seed)          # the array's patterns
    jittered = letter_patterns(letters, size=size, n_per_class=n_per_letter, seed=seed, jitter=True)
    clf = train_classifier(jittered, seed=seed, cache_dir=cache_dir, epochs=15, batch_size=32)
    out = {k: {} for k in ("fraction", "precision", "coverage", "samples")}
    for spec in LETTER_NOISE:
        for key in out:
            out[key][spec] = {}
        for k, letter in enumerate(arrays.classes):
            target = arrays.images[k, 0]
            pts = pattern_points(target)
            model = train_points(pts, parse_noise(spec), size=size, steps=steps, seed=seed)
            noise = parse_noise(spec)               # a fresh source (stream state) for generation
            pats, prec, cov = [], [], []
            for i in range(n_samples):
                gen = sample_points(model, noise, len(pts), seed=seed + 7919 * i)
                pat = rasterise(gen, size)
                rows, cols, _ = cells(gen, size)
                prec.append(float(target[rows, cols].sum()) / len(gen))      # points off the array miss
                cov.append(float((pat[0] * target).sum() / target.sum()))
                pats.append(pat)
            samples = torch.stack(pats)
            out["samples"][spec][letter] = samples
            out["fraction"][spec][letter] = class_fraction(clf, samples, letter)
            out["precision"][spec][letter] = sum(prec) / len(prec)
            out["coverage"][spec][letter] = sum(cov) / len(cov)
            say(f"[ddpm] letters {spec:8s} {letter}: {100 * out['fraction'][spec][letter]:.0f} % classified as "
                f"{letter}, precision {out['precision'][spec][letter]:.2f}, coverage "
                f"{out['coverage'][spec][letter]:.2f}")
    return {"letters": letters, "size": size, "T": LETTER_T, "steps": int(steps), "n_per_letter": n_per_letter,
            "classifier_accuracy": clf.test_accuracy, **out, "seconds": time.perf_counter() - t0}
