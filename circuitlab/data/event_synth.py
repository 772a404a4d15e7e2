"""A contrast-crossing model of a dynamic vision sensor, and NMNIST-like streams from static images.

Model (after Lichtsteiner et al., IEEE JSSC 43, 566, 2008; and the v2e emulator, Hu et al., CVPRW 2021):
each pixel sees the log intensity L = log(I + offset) of its (bilinearly sampled) scene, I in [0, 1].
It memorises a level M (initially L at t = 0). At each time step k, when |L_k - M| spans n >= 1
thresholds theta_pix, it emits n events of polarity sign(L_k - M) (ON = 1 brighter, OFF = 0) at the
times where L, linearly interpolated between steps k-1 and k, crosses M + j*theta_pix*sign (j = 1..n),
and M moves by n*theta_pix*sign. theta_pix = threshold + mismatch_sigma * N(0, 1) per pixel and per
sample (clipped at threshold / 4). An event closer than ``refractory_us`` to the pixel's previous
emitted event is dropped (M still moves). Background noise: a Poisson process of ``noise_rate_hz`` per
pixel, polarity ON or OFF with probability 1/2, uniform in time.

NMNIST (Orchard et al., Front. Neurosci. 9, 437, 2015) moved an ATIS sensor in three saccades of
105 ms each: (0, 0) -> (3.5, 7) -> (7, 0) -> (0, 0) px (x, y) over 0-315 ms, on a 34 x 34 sensor.
Here the image's top-left corner sits at sensor pixel (0, 0) plus that shift (y grows downwards).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from circuitlab.data.events import EVENT_DTYPE, EventError

__all__ = ["SynthParams", "SACCADE_PATH", "saccade_shift", "shift_images", "contrast_events",
           "images_to_events"]

#: NMNIST saccade path: (time in us, x shift px, y shift px) at the corners; linear in between.
SACCADE_PATH = np.array([[0, 0.0, 0.0], [105_000, 3.5, 7.0], [210_000, 7.0, 0.0], [315_000, 0.0, 0.0]])


@dataclass(frozen=True)
class SynthParams:
    """Parameters of the contrast model (defaults calibrated against real NMNIST; README "Event data").

    threshold: contrast threshold in log-intensity units; mismatch_sigma: its per-pixel Gaussian
    standard deviation (same units); offset: added to I in [0, 1] before the log; refractory_us: dead
    time per pixel; noise_rate_hz: background events per pixel per second; step_us: time step.
    """

    threshold: float = 0.6
    mismatch_sigma: float = 0.05
    offset: float = 0.1
    refractory_us: float = 1000.0
    noise_rate_hz: float = 0.2
    step_us: float = 1000.0

    def __post_init__(self):
        for name in ("threshold", "offset", "step_us"):
            if not getattr(self, name) > 0:
                raise EventError(f"SynthParams.{name}={getattr(self, name)!r}: must be positive")
        for name in ("mismatch_sigma", "refractory_us", "noise_rate_hz"):
            if not getattr(self, name) >= 0:
                raise EventError(f"SynthParams.{name}={getattr(self, name)!r}: must be zero or positive")


def saccade_shift(t_us) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) shift in px of the NMNIST saccade path at times ``t_us`` (clamped to 0-315 ms)."""
    t = np.asarray(t_us, dtype=float)
    return (np.interp(t, SACCADE_PATH[:, 0], SACCADE_PATH[:, 1]),
            np.interp(t, SACCADE_PATH[:, 0], SACCADE_PATH[:, 2]))


def shift_images(images: np.ndarray, dx: float, dy: float, width: int, height: int,
                 x0: float = 0.0, y0: float = 0.0) -> np.ndarray:
    """Images (B, h, w) drawn on a (B, height, width) sensor with top-left at (x0 + dx, y0 + dy), bilinear.

    Sensor pixel (X, Y) takes the image value at (X - x0 - dx, Y - y0 - dy); outside the image it is 0.
    """
    b, h, w = images.shape
    pad = np.zeros((b, h + 2, w + 2), dtype=images.dtype)
    pad[:, 1:-1, 1:-1] = images
    u = np.arange(width) - x0 - dx + 1.0
    v = np.arange(height) - y0 - dy + 1.0
    iu, iv = np.floor(u).astype(int), np.floor(v).astype(int)
    fu, fv = u - iu, v - iv
    iu0, iu1 = np.clip(iu, 0, w + 1), np.clip(iu + 1, 0, w + 1)
    iv0, iv1 = np.clip(iv, 0, h + 1), np.clip(iv + 1, 0, h + 1)
    fu = np.where((iu >= 0) & (iu <= w), fu, 0.0)
    fv = np.where((iv >= 0) & (iv <= h), fv, 0.0)
    rows0, rows1 = pad[:, iv0, :], pad[:, iv1, :]
    top = rows0[:, :, iu0] * (1 - fu) + rows0[:, :, iu1] * fu
    bot = rows1[:, :, iu0] * (1 - fu) + rows1[:, :, iu1] * fu
    out = top * (1 - fv)[:, None] + bot * fv[:, None]
    outside = (u < 0) | (u > w + 1)
    out[:, :, outside] = 0.0
    out[:, (v < 0) | (v > h + 1), :] = 0.0
    return out


def contrast_events(render: Callable[[int], np.ndarray], times_us: np.ndarray, batch: int, height: int,
                    width: int, params: SynthParams, rng: np.random.Generator) -> list[np.ndarray]:
    """Events of ``batch`` samples whose scene at step k is ``render(k)`` (B, height, width), I in [0, 1].

    ``times_us`` (S,) are the step times. Vectorised over samples and pixels; loops over steps.
    Returns one EVENT_DTYPE array per sample, sorted by t.
    """
    times_us = np.asarray(times_us, dtype=float)
    theta = params.threshold + params.mismatch_sigma * rng.standard_normal((batch, height, width))
    theta = np.maximum(theta, params.threshold / 4)
    level_prev = np.log(render(0).astype(float) + params.offset)
    memory = level_prev.copy()
    last = np.full((batch, height, width), -np.inf)
    chunks = []
    for k in range(1, len(times_us)):
        level = np.log(render(k).astype(float) + params.offset)
        diff = level - memory
        n = np.floor(np.abs(diff) / theta).astype(np.int64)
        active = np.nonzero(n)
        if active[0].size:
            na = n[active]
            sign = np.sign(diff[active])
            th, mem = theta[active], memory[active]
            lp, lk = level_prev[active], level[active]
            span = np.where(lk != lp, lk - lp, 1.0)
            t_prev, t_step = times_us[k - 1], times_us[k] - times_us[k - 1]
            last_a = last[active]
            for j in range(1, int(na.max()) + 1):
                has = na >= j
                frac = np.clip((mem + j * th * sign - lp) / span, 0.0, 1.0)
                t = t_prev + frac * t_step
                keep = has & (t >= last_a + params.refractory_us)
                last_a = np.where(keep, t, last_a)
                if keep.any():
                    ev = np.empty(int(keep.sum()), dtype=[("b", np.int64)] + EVENT_DTYPE.descr)
                    ev["b"], ev["y"], ev["x"] = active[0][keep], active[1][keep], active[2][keep]
                    ev["t"], ev["p"] = np.round(t[keep]).astype(np.int64), (sign[keep] > 0)
                    chunks.append(ev)
            last[active] = last_a
            memory[active] = mem + na * th * sign
        level_prev = level
    noise = _noise(batch, height, width, times_us[0], times_us[-1], params.noise_rate_hz, rng)
    allev = np.concatenate(chunks + [noise]) if chunks else noise
    order = np.lexsort((allev["t"], allev["b"]))
    allev = allev[order]
    cuts = np.searchsorted(allev["b"], np.arange(batch + 1))
    out = []
    for i in range(batch):
        part = allev[cuts[i]:cuts[i + 1]]
        ev = np.empty(part.shape[0], dtype=EVENT_DTYPE)
        for f in EVENT_DTYPE.names:
            ev[f] = part[f]
        out.append(ev)
    return out


def _noise(batch, height, width, t0, t1, rate_hz, rng) -> np.ndarray:
    """Background events: Poisson with ``rate_hz`` per pixel over [t0, t1) us, random polarity."""
    lam = rate_hz * (t1 - t0) * 1e-6 * height * width
    counts = rng.poisson(lam, size=batch)
    total = int(counts.sum())
    ev = np.empty(total, dtype=[("b", np.int64)] + EVENT_DTYPE.descr)
    ev["b"] = np.repeat(np.arange(batch), counts)
    ev["t"] = np.floor(rng.uniform(t0, t1, total)).astype(np.int64)
    ev["x"] = rng.integers(0, width, total)
    ev["y"] = rng.integers(0, height, total)
    ev["p"] = rng.integers(0, 2, total)
    return ev


def images_to_events(images: np.ndarray, *, seed: int | np.random.Generator = 0, params: SynthParams | None = None,
                     width: int = 34, height: int = 34, batch: int = 64) -> list[np.ndarray]:
    """NMNIST-like event streams (one EVENT_DTYPE array per image) from images (N, h, w) in [0, 1].

    The images move along :data:`SACCADE_PATH` over 0-315 ms on a ``width`` x ``height`` sensor; see
    the module docstring for the contrast model. ``seed``: an int or a numpy Generator.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3:
        raise EventError(f"images of shape {images.shape}: expected (N, h, w) grey images")
    if images.size and (images.min() < 0 or images.max() > 1):
        raise EventError(f"images span {images.min()}..{images.max()}: scale them to [0, 1]")
    params = params or SynthParams()
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    times = np.arange(0.0, SACCADE_PATH[-1, 0] + 0.5 * params.step_us, params.step_us)
    sx, sy = saccade_shift(times)
    out: list[np.ndarray] = []
    for start in range(0, images.shape[0], batch):
        chunk = images[start:start + batch]
        out.extend(contrast_events(lambda k: shift_images(chunk, sx[k], sy[k], width, height),
                                   times, chunk.shape[0], height, width, params, rng))
    return out
