"""Noise sources behind one protocol: the contract of ``torch.randn``.

Every source is a :class:`torch.nn.Module` (its tables are buffers, so ``.to(device)`` moves them) with

- ``randn(shape, *, generator=None, dtype=torch.float32, device=None)``: a tensor of ``shape``;
- ``randn_like(x, *, generator=None)``: the same for ``x.shape``, ``x.dtype``, ``x.device``;
- ``mean`` and ``variance``: the moments the source promises (exact, from its definition or its model
  file), which the tests check the draws against;
- ``reset()``: forget any state kept between calls (a no-op for memoryless sources).

The same generator state gives the same tensor. A DDPM (``circuitlab.eval.ddpm``) takes any source
and draws every Gaussian it would have drawn (forward noising, x_T, each reverse step) from it.
"""
from __future__ import annotations

from typing import Sequence

import math

import numpy as np
import torch

from ..errors import ConfigError

__all__ = ["NoiseSource", "GaussianNoise", "UniformNoise", "RademacherNoise", "QuantisedNoise", "ScaledNoise",
           "BiasedNoise"]


def _shape(shape) -> tuple[int, ...]:
    if isinstance(shape, int):
        shape = (shape,)
    out = tuple(int(s) for s in shape)
    if any(s < 0 for s in out):
        raise ConfigError(f"shape {out} has a negative size; use sizes >= 0")
    return out


class NoiseSource(torch.nn.Module):
    """Base class: subclasses implement :meth:`_draw` (float32 or float64 on ``device``)."""

    #: exact mean and variance of one draw (subclasses set them)
    mean: float = 0.0
    variance: float = 1.0
    #: exact excess kurtosis (0 for a Gaussian); None where unknown
    kurtosis_excess: float | None = 0.0

    def randn(self, shape: Sequence[int] | int, *, generator: torch.Generator | None = None,
              dtype: torch.dtype = torch.float32, device=None) -> torch.Tensor:
        """Draw a tensor of ``shape`` (like ``torch.randn``); ``device`` defaults to the source's."""
        device = torch.device(device) if device is not None else self._device()
        if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
            raise ConfigError(f"dtype {dtype!r} is not a floating-point torch dtype; use torch.float32 or torch.float64")
        self.samples_drawn = getattr(self, "samples_drawn", 0) + math.prod(_shape(shape))
        return self._draw(_shape(shape), generator=generator, dtype=dtype, device=device)

    def randn_like(self, x: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw a tensor with the shape, dtype and device of ``x``."""
        return self.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)

    def reset(self) -> None:
        """Forget state kept between calls (none here)."""

    def _device(self) -> torch.device:
        for b in self.buffers():
            return b.device
        return torch.device("cpu")

    def _draw(self, shape, *, generator, dtype, device) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f"mean={self.mean:g}, variance={self.variance:g}"


class GaussianNoise(NoiseSource):
    """Software reference: ``torch.randn`` itself (mean 0, variance 1)."""

    def _draw(self, shape, *, generator, dtype, device) -> torch.Tensor:
        return torch.randn(shape, generator=generator, dtype=dtype, device=device)


class ScaledNoise(NoiseSource):
    """Gaussian with the wrong variance (a control that must hurt): sqrt(variance) * N(0, 1)."""

    def __init__(self, variance: float = 2.0):
        super().__init__()
        if not (math.isfinite(variance) and variance > 0):
            raise ConfigError(f"ScaledNoise variance = {variance!r} must be finite and > 0")
        self.variance = float(variance)

    def _draw(self, shape, *, generator, dtype, device):
        return torch.randn(shape, generator=generator, dtype=dtype, device=device).mul_(math.sqrt(self.variance))


class BiasedNoise(NoiseSource):
    """Gaussian with the wrong mean (a control that must hurt): mean + N(0, 1)."""

    def __init__(self, mean: float = 0.2):
        super().__init__()
        if not math.isfinite(mean):
            raise ConfigError(f"BiasedNoise mean = {mean!r} must be finite")
        self.mean = float(mean)

    def _draw(self, shape, *, generator, dtype, device):
        return torch.randn(shape, generator=generator, dtype=dtype, device=device).add_(self.mean)


class UniformNoise(NoiseSource):
    """Uniform on [-sqrt 3, sqrt 3]: zero mean, unit variance, excess kurtosis -6/5."""
    kurtosis_excess = -1.2

    def _draw(self, shape, *, generator, dtype, device):
        r = math.sqrt(3.0)
        return torch.rand(shape, generator=generator, dtype=dtype, device=device).mul_(2 * r).sub_(r)


class RademacherNoise(NoiseSource):
    """+1 or -1 with probability 1/2: zero mean, unit variance, excess kurtosis -2."""
    kurtosis_excess = -2.0

    def _draw(self, shape, *, generator, dtype, device):
        b = torch.randint(0, 2, shape, generator=generator, device=device)
        return b.to(dtype).mul_(2).sub_(1)


class QuantisedNoise(NoiseSource):
    """N(0, 1) quantised to 2^bits equally spaced levels, then standardised exactly.

    Levels (i - (L - 1)/2) h, h = 8 / L (the grid spans about +-4 sigma), each with the Gaussian mass of
    its bin (outer bins open); the law is rescaled by its exact standard deviation, so the mean is 0 and
    the variance 1; the excess kurtosis is that of the discrete law (exact)."""

    def __init__(self, bits: int = 3):
        super().__init__()
        if isinstance(bits, bool) or int(bits) != bits or not 1 <= bits <= 16:
            raise ConfigError(f"QuantisedNoise bits = {bits!r} must be an integer from 1 to 16")
        from .table_sampler import TableLaw
        self.bits = int(bits)
        levels = 2 ** self.bits
        h = 8.0 / levels
        x = (np.arange(levels) - (levels - 1) / 2) * h
        edges = np.r_[-np.inf, (x[:-1] + x[1:]) / 2, np.inf]
        cdf = np.array([0.5 * math.erfc(-e / math.sqrt(2)) for e in edges])
        p = np.diff(cdf)
        sd = math.sqrt(float(np.sum(p * x ** 2)))
        self.law = TableLaw(x / sd, p)
        v = self.law.values
        self.kurtosis_excess = float(np.sum(self.law.probs * v ** 4) - 3)

    def _draw(self, shape, *, generator, dtype, device):
        tabs = self.law.tables(dtype, device)
        return self.law.sample(math.prod(shape), generator=generator, dtype=dtype, device=device,
                               values_dtype_tables=tabs).reshape(shape)

    def extra_repr(self) -> str:
        return f"bits={self.bits}, " + super().extra_repr()
