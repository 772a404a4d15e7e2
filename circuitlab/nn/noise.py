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

import torch

__all__ = ["NoiseSource", "GaussianNoise"]


def _shape(shape) -> tuple[int, ...]:
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(s) for s in shape)


class NoiseSource(torch.nn.Module):
    """Base class: subclasses implement :meth:`_draw` (float32 or float64 on ``device``)."""

    #: exact mean and variance of one draw (subclasses set them)
    mean: float = 0.0
    variance: float = 1.0

    def randn(self, shape: Sequence[int] | int, *, generator: torch.Generator | None = None,
              dtype: torch.dtype = torch.float32, device=None) -> torch.Tensor:
        """Draw a tensor of ``shape`` (like ``torch.randn``); ``device`` defaults to the source's."""
        device = torch.device(device) if device is not None else self._device()
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
