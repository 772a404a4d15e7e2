"""DAC and ADC quantisers of the RRAM layers, with straight-through gradients.

Seed (neurram_cim_slides.txt): "Quantize input & output of each layer to emulate DAC & ADC
discretization"; the neuron's ADC has 1-8 bits, and values beyond its range are clipped ("clipping
error", "discretization error").

- DAC, mid-tread: unsigned inputs on [0, r] take the 2^b levels k r / (2^b - 1); signed inputs on
  [-r, r] take the 2^b - 1 levels k r / (2^(b-1) - 1), |k| <= 2^(b-1) - 1.
- ADC, mid-rise (as the ``adc_rms`` table of the ``rram_cim`` model): on [-c, c] with step
  s = 2c / 2^b the 2^b levels are (k + 1/2) s, k = -2^(b-1) .. 2^(b-1) - 1; a value v maps to the level
  of floor(v / s), clipped to that range.

Gradients pass straight through the rounding (d out / d in = 1, times the ADC's analog gain where one is
given), the estimator of the public NeuRRAM training code.
Each forward is a handful of in-place kernels; the backward costs nothing.
"""
from __future__ import annotations

import torch

__all__ = ["dac_quantise", "adc_quantise", "adc_centre", "adc_tile_sum", "dac_levels", "adc_levels"]


def _adc_codes(p: torch.Tensor, scale: torch.Tensor, gain, clip: float, bits: int, in_place: bool):
    """The ADC's integer codes clamp(floor(gain p / b), -L, L - 1), L = 2^(b-1) (written over ``p`` if
    ``in_place``), and the step b = scale * 2 clip / 2^bits (small, (T, out): precomputed per call)."""
    half = 2 ** (bits - 1)
    b = scale * (2.0 * clip / 2 ** bits)
    f = 1.0 / b if gain is None else gain / b
    z = p.mul_(f) if in_place else p * f
    return z.floor_().clamp_(-half, half - 1), b


class _DAC(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, r: float, bits: int, signed: bool):
        if signed:
            n = 2 ** (bits - 1) - 1
            lo = -r
        else:
            n = 2 ** bits - 1
            lo = 0.0
        step = r / max(n, 1)
        y = x.clamp(lo, r)
        return y.mul_(1.0 / step).round_().mul_(step)

    @staticmethod
    def backward(ctx, g):
        return g, None, None, None


class _ADC(torch.autograd.Function):
    """out = scale * s * (clamp(floor(gain p / (scale s)), -L, L - 1) + 1/2), L = 2^(b-1)."""

    @staticmethod
    def forward(ctx, p, scale, gain, clip: float, bits: int, centre: bool = True):
        ctx.gain = gain
        z, b = _adc_codes(p, scale, gain, clip, bits, in_place=False)
        if centre:
            z.add_(0.5)
        return z.mul_(b)

    @staticmethod
    def backward(ctx, g):
        # straight through the rounding, not through the analog gain: d out / d p = gain
        return (g if ctx.gain is None else g * ctx.gain), None, None, None, None, None


def dac_quantise(x: torch.Tensor, r: float, bits: int, signed: bool) -> torch.Tensor:
    """``x`` on the DAC's levels over [0, r] (unsigned) or [-r, r] (signed); straight-through gradient."""
    return _DAC.apply(x, float(r), int(bits), bool(signed))


def adc_quantise(p: torch.Tensor, scale: torch.Tensor, clip: float, bits: int, gain=None,
                 centre: bool = True) -> torch.Tensor:
    """``scale * ADC(gain p / scale)``: the ADC reads the normalised value v = p / scale (times an analog
    ``gain`` error, if given) on [-clip, clip] and the result is multiplied back by ``scale`` (the seed's
    "pre-computed once and multiplied back after ADC"). Straight-through gradient to ``p``.
    ``centre=False`` leaves out the half step of each level, ``adc_centre(scale, clip, bits)``, for a caller
    that adds it once after summing partial results (one pass less over the large tensor)."""
    return _ADC.apply(p, scale, gain, float(clip), int(bits), bool(centre))


def adc_centre(scale: torch.Tensor, clip: float, bits: int) -> torch.Tensor:
    """The half step scale * s / 2 that :func:`adc_quantise` adds to each level (same shape as ``scale``)."""
    return scale * (clip / 2 ** bits)


@torch.no_grad()
def adc_tile_sum(p: torch.Tensor, scale: torch.Tensor, clip: float, bits: int, gain=None) -> torch.Tensor:
    """``sum_t adc_quantise(p, scale, clip, bits, gain)[..., t, :]`` for partial sums ``p`` (..., T, out) that
    need no gradient, without the autograd wrapper: ``p`` is overwritten (scratch), and each tile's levels are
    multiplied back by its step while they are summed (one pass over ``p`` less than quantising, then summing)."""
    z, b = _adc_codes(p, scale, gain, clip, bits, in_place=True)
    out = z[..., 0, :] * b[0]
    for t in range(1, z.shape[-2]):
        out.addcmul_(z[..., t, :], b[t])
    return out.add_(adc_centre(scale, clip, bits).sum(0))


def dac_levels(r: float, bits: int, signed: bool) -> torch.Tensor:
    """The DAC's output levels (closed form, for tests and plots)."""
    if signed:
        n = 2 ** (bits - 1) - 1
        return torch.arange(-n, n + 1, dtype=torch.float64) * (r / n)
    n = 2 ** bits - 1
    return torch.arange(0, n + 1, dtype=torch.float64) * (r / n)


def adc_levels(clip: float, bits: int) -> torch.Tensor:
    """The ADC's 2^bits mid-rise levels on [-clip, clip]."""
    half = 2 ** (bits - 1)
    step = 2.0 * clip / 2 ** bits
    return (torch.arange(-half, half, dtype=torch.float64) + 0.5) * step
