"""DDPM training and sampling with every Gaussian draw taken from a chosen noise source.

Seed (meram_diffusion_paper.txt): "we utilize a set of 40,000 random numbers sampled from our device as
the noise dataset, applying it in both the training phase (Forward Diffusion) and the generation phase
(Reverse Diffusion)". Here the source (:mod:`circuitlab.nn`, any object with ``randn(shape, *, generator,
dtype, device)``) supplies the forward noise eps of every training example, x_T and the noise of every
reverse step; the step indices t and the batch order come from a separate generator, so two sources run
with the same seed see the same initial weights, batches and steps (paired seeds).

Sampling is Ho et al.'s Algorithm 2 with the posterior variance beta_tilde and x_0 clipped to [-1, 1]
(their ``clip_denoised``); images are scaled from [0, 1] to [-1, 1] for the model and back.

Why the controls differ (derived here, measured by ``circuitlab eval ddpm``): with noise of variance s^2
used in both phases, x_t = sqrt(alpha_bar) x_0 + s sqrt(1 - alpha_bar) z is the unit-noise chain of
x_0 / s, and the posterior mean coefficients are unchanged while its variance scales by s^2, so training
and sampling stay consistent: the model is a DDPM of lower-contrast data whose residual errors are
multiplied by s when mapped back (s^2 = 2 leaves noisier samples; 0.5 cleaner ones). A mean mu is not
consistent: the reverse steps add c1_t sqrt(1 - alpha_bar_t) mu + sigma_t mu per step where the
forward law has sqrt(1 - alpha_bar_{t-1}) mu, so an offset builds up over the chain. MeRAM noise in
``stream`` mode is eps_i = A_i - A_(i-1) of one unit per pixel, so the partial sums over successive reverse
steps telescope to A_n - A_0 (bounded variance instead of n): the chain receives almost no net noise.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import torch

from ..errors import ConfigError
from .ddpm_schedule import Schedule
from .ddpm_unet import UNet

__all__ = ["DDPMConfig", "TrainedDDPM", "train_ddpm", "sample", "trained_state", "trained_from_state", "noise_per_image", "noise_per_step",
           "NOISE_SEED_OFFSET", "SAMPLE_SEED_OFFSET"]

#: the noise source's generator is seeded with seed + this (training) or seed + SAMPLE_SEED_OFFSET (sampling)
NOISE_SEED_OFFSET = 1_000_003
SAMPLE_SEED_OFFSET = 2_000_003


@dataclass(frozen=True)
class DDPMConfig:
    """One DDPM run: schedule length, U-Net size, optimiser and the evaluation points."""
    T: int = 1000
    epochs: int = 20
    batch: int = 128
    lr: float = 2e-3
    base: int = 32
    mults: tuple = (1, 2)
    n_samples: int = 1000           # images generated per evaluation
    eval_epochs: tuple = ()         # epochs after which to evaluate (empty: the last only)
    sample_batch: int = 1000
    n_samples_curve: int = 0        # images per evaluation before the last epoch (0: n_samples)
    ema: float = 0.995              # decay of the weights' exponential moving average (0: none)

    def __post_init__(self):
        for name in ("T", "epochs", "batch", "base", "n_samples", "sample_batch"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"DDPM {name} = {getattr(self, name)!r} must be a positive integer")
        if not 0 <= self.ema < 1:
            raise ConfigError(f"DDPM ema = {self.ema!r} must lie in [0, 1) (0 turns the moving average off)")
        if self.T < 2 or not self.lr > 0:
            raise ConfigError(f"DDPM needs T >= 2 and lr > 0, got T={self.T}, lr={self.lr}")
        if any(not 1 <= int(e) <= self.epochs for e in self.eval_epochs):
            raise ConfigError(f"eval_epochs {self.eval_epochs} must lie in 1..epochs ({self.epochs})")

    def checkpoints(self) -> list[int]:
        """Sorted epochs at which the model is evaluated (always including the last)."""
        return sorted({int(e) for e in self.eval_epochs} | {int(self.epochs)})


@dataclass
class TrainedDDPM:
    """A trained model (the moving average of the weights when ``ema`` > 0), its schedule and what
    training cost."""
    model: UNet
    schedule: Schedule
    seed: int
    losses: list = field(default_factory=list)      # mean loss per epoch
    train_seconds: float = 0.0
    steps: int = 0
    noise_drawn: int = 0                           # noise samples drawn in training


def trained_state(trained: TrainedDDPM) -> dict:
    """A trained model as plain tensors and numbers (``torch.save``-able with ``weights_only`` loading)."""
    return {"config": trained.model.config(), "T": trained.schedule.T, "seed": trained.seed,
            "state_dict": {k: v.detach().cpu() for k, v in trained.model.state_dict().items()},
            "losses": list(trained.losses), "train_seconds": trained.train_seconds, "steps": trained.steps,
            "noise_drawn": trained.noise_drawn}


def trained_from_state(state: dict, device="cpu") -> TrainedDDPM:
    """The inverse of :func:`trained_state`, on ``device``, in eval mode."""
    c = state["config"]
    model = UNet(c["channels"], c["base"], tuple(c["mults"]))
    model.load_state_dict(state["state_dict"])
    return TrainedDDPM(model.to(device).eval(), Schedule(int(state["T"])), int(state["seed"]), list(state["losses"]),
                       float(state["train_seconds"]), int(state["steps"]), int(state["noise_drawn"]))


def noise_per_image(shape: tuple[int, ...], T: int) -> int:
    """Noise samples one generated image draws: x_T and the T - 1 reverse steps with noise (pixels * T)."""
    return math.prod(shape) * T


def noise_per_step(shape: tuple[int, ...], batch: int) -> int:
    """Noise samples one training step draws: one eps per pixel of every image in the batch."""
    return math.prod(shape) * batch


def _gen(device: torch.device, seed: int) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(int(seed))


def train_ddpm(x0: torch.Tensor, noise, cfg: DDPMConfig, seed: int, *, device="cpu",
               on_epoch: Optional[Callable[[int, "TrainedDDPM"], None]] = None) -> TrainedDDPM:
    """Train an epsilon-prediction U-Net on images ``x0`` (N, C, H, W) in [0, 1] with ``noise`` as eps.

    Weights from ``seed`` (fork of the global RNG), batch order and steps from a CPU generator seeded
    with ``seed``, noise from a generator on ``device`` seeded with ``seed + NOISE_SEED_OFFSET``.
    ``on_epoch(epoch, trained)`` runs after each epoch (1-based) with the model in eval mode."""
    device = torch.device(device)
    if x0.ndim != 4 or len(x0) < 1:
        raise ConfigError(f"training images must be (N, C, H, W) with N >= 1, got {tuple(x0.shape)}")
    sched = Schedule(cfg.T)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        model = UNet(x0.shape[1], cfg.base, tuple(cfg.mults))
    model.to(device)
    data = (x0.to(torch.float32) * 2 - 1).to(device)
    order_gen = torch.Generator().manual_seed(int(seed))
    noise_gen = _gen(device, int(seed) + NOISE_SEED_OFFSET)
    if hasattr(noise, "reset"):
        noise.reset()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    ema = copy.deepcopy(model).eval() if cfg.ema > 0 else model
    out = TrainedDDPM(ema, sched, int(seed))
    t0 = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        perm = torch.randperm(len(data), generator=order_gen)
        total = 0.0
        for i in range(0, len(data), cfg.batch):
            idx = perm[i:i + cfg.batch]
            xb = data[idx.to(device)]
            t = torch.randint(0, cfg.T, (len(idx),), generator=order_gen).to(device)
            eps = noise.randn(xb.shape, generator=noise_gen, dtype=xb.dtype, device=device)
            out.noise_drawn += eps.numel()
            loss = torch.mean((model(sched.q_sample(xb, t, eps), t) - eps) ** 2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if ema is not model:
                _ema_update(ema, model, min(cfg.ema, (1 + out.steps) / (10 + out.steps)))
            total += float(loss.detach()) * len(idx)
            out.steps += 1
        out.losses.append(total / len(data))
        model.eval()
        if not math.isfinite(out.losses[-1]):
            raise ConfigError(f"DDPM training diverged (loss {out.losses[-1]}) at epoch {epoch}; lower the "
                              f"learning rate (now {cfg.lr})")
        out.train_seconds = time.perf_counter() - t0
        if on_epoch is not None:
            on_epoch(epoch, out)
            t0 = time.perf_counter() - out.train_seconds
    return out


@torch.no_grad()
def _ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """ema <- decay ema + (1 - decay) model (warm-up: decay = min(ema, (1 + n) / (10 + n)) after n steps)."""
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)


@torch.no_grad()
def sample(trained: TrainedDDPM, noise, n: int, shape: tuple[int, ...], *, seed: int, device="cpu",
           batch: int = 1000, fresh_source: bool = True) -> torch.Tensor:
    """``n`` images (n, C, H, W) in [0, 1] by Ho's Algorithm 2, every draw from ``noise``.

    The noise generator is seeded with ``seed + SAMPLE_SEED_OFFSET``. With ``fresh_source`` a copy of
    the source, reset, is used (a stream source's chains then start afresh and training's state is
    kept); its ``samples_drawn`` is added to the returned tensor's attribute ``noise_drawn``."""
    device = torch.device(device)
    src = copy.deepcopy(noise) if fresh_source else noise
    if hasattr(src, "reset"):
        src.reset()
    gen = _gen(device, int(seed) + SAMPLE_SEED_OFFSET)
    model, sched = trained.model.eval(), trained.schedule
    outs, drawn = [], 0
    for s in range(0, int(n), int(batch)):
        m = min(int(batch), int(n) - s)
        x = src.randn((m, *shape), generator=gen, device=device)
        drawn += x.numel()
        for step in reversed(range(sched.T)):
            t = torch.full((m,), step, dtype=torch.long, device=device)
            x0 = sched.predict_x0(x, t, model(x, t)).clamp_(-1, 1)
            mean, var = sched.posterior(x0, x, t)
            if step > 0:
                z = src.randn(x.shape, generator=gen, dtype=x.dtype, device=device)
                drawn += z.numel()
                x = mean + var.sqrt() * z
            else:
                x = mean
        outs.append(((x.clamp(-1, 1) + 1) / 2).cpu())
    images = torch.cat(outs) if outs else torch.zeros(0, *shape)
    images.noise_drawn = drawn
    return images
