"""Leaky integrate-and-fire neurons, multi-step over a leading time dimension, with a surrogate gradient.

Update, per element and time step t = 1..T (V[0] = V_reset), with tau > 1 the membrane time constant
in steps, V_th the threshold and Theta the Heaviside step:

    charge   H[t] = V[t-1] + (X[t] - (V[t-1] - V_reset)) / tau          (decay_input=True)
             H[t] = V[t-1] - (V[t-1] - V_reset) / tau + X[t]            (decay_input=False)
    fire     S[t] = Theta(H[t] - V_th)
    reset    V[t] = H[t] (1 - S[t]) + V_reset S[t]                       (reset="hard")
             V[t] = H[t] - V_th S[t]                                     (reset="soft", by subtraction)

``decay_input=True, reset="hard", tau=2, V_th=1, V_reset=0`` is SpikingJelly's ``LIFNode`` default, the
neuron the seed's network used (dwmtj_p2m_snn_paper.txt: "implemented with SpikingJelly").
``decay_input=False`` with beta = 1 - 1/tau is snnTorch's ``Leaky`` (mem = beta mem + input - reset
threshold) with ``reset_delay=False`` (the reset applied in the step that fires; snnTorch's default
delays it by one step and then subtracts V_th from the next charge instead of beta V_th).

The backward pass replaces dS/dH = delta(H - V_th) by the arctangent surrogate of Fang et al. 2021
(SpikingJelly's ``ATan``): dS/dH = (alpha / 2) / (1 + (pi alpha (H - V_th) / 2)^2). The reset path is
not detached (as both libraries do by default).
"""
from __future__ import annotations

import math

import torch

from ..errors import ConfigError

__all__ = ["LIF", "spike_atan"]


class _ATanSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, alpha: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (x,) = ctx.saved_tensors
        a = ctx.alpha
        return grad * (a / 2) / (1 + (math.pi / 2 * a * x) ** 2), None


def spike_atan(x: torch.Tensor, alpha: float = 2.0) -> torch.Tensor:
    """Theta(x) forward, the arctangent surrogate (alpha/2) / (1 + (pi alpha x / 2)^2) backward."""
    return _ATanSpike.apply(x, alpha)


class LIF(torch.nn.Module):
    """Multi-step LIF layer: input (T, ...) -> spikes (T, ...) of the same shape and dtype.

    Args:
        tau: membrane time constant in time steps (> 1; 2 in SpikingJelly's default and the seed).
        v_th: threshold (input units). v_reset: reset potential (hard reset) and resting potential.
        reset: "hard" (to v_reset) or "soft" (subtract v_th).
        decay_input: divide the input by tau (SpikingJelly) or add it undivided (snnTorch).
        alpha: sharpness of the arctangent surrogate gradient.
        detach_reset: stop the gradient through the reset term.

    The membrane potential after the last step is kept in ``self.v`` (for inspection and for
    ``forward(x, carry=True)`` over consecutive windows); ``reset()`` clears it.
    """

    def __init__(self, tau: float = 2.0, v_th: float = 1.0, v_reset: float = 0.0, reset: str = "hard",
                 decay_input: bool = True, alpha: float = 2.0, detach_reset: bool = False):
        super().__init__()
        if not (isinstance(tau, (int, float)) and tau > 1):
            raise ConfigError(f"LIF tau={tau!r} must be a number > 1 (time steps); SpikingJelly's default is 2")
        if reset not in ("hard", "soft"):
            raise ConfigError(f"LIF reset={reset!r}: use 'hard' (to v_reset) or 'soft' (subtract v_th)")
        if not v_th > v_reset:
            raise ConfigError(f"LIF v_th={v_th!r} must be above v_reset={v_reset!r}")
        if not alpha > 0:
            raise ConfigError(f"LIF alpha={alpha!r} (surrogate sharpness) must be > 0")
        self.tau, self.v_th, self.v_reset = float(tau), float(v_th), float(v_reset)
        self.reset_mode, self.decay_input, self.alpha = reset, bool(decay_input), float(alpha)
        self.detach_reset = bool(detach_reset)
        self.v: torch.Tensor | None = None

    def reset(self) -> None:
        """Forget the membrane potential kept from the last call."""
        self.v = None

    def forward(self, x: torch.Tensor, carry: bool = False) -> torch.Tensor:
        """Spikes for input ``x`` of shape (T, ...); starts from v_reset unless ``carry``."""
        if x.ndim < 1 or x.shape[0] < 1:
            raise ConfigError(f"LIF input needs a leading time dimension of length >= 1, got {tuple(x.shape)}")
        v = self.v if (carry and self.v is not None and self.v.shape == x.shape[1:]) \
            else torch.full_like(x[0], self.v_reset)
        k = 1.0 / self.tau
        beta = 1.0 - k
        out = []
        for xt in x:
            if self.decay_input:
                h = v + (xt - (v - self.v_reset)) * k
            else:
                h = beta * v + k * self.v_reset + xt if self.v_reset else beta * v + xt
            s = spike_atan(h - self.v_th, self.alpha)
            sr = s.detach() if self.detach_reset else s
            if self.reset_mode == "hard":
                v = h * (1 - sr) + self.v_reset * sr
            else:
                v = h - self.v_th * sr
            out.append(s)
        self.v = v.detach()
        return torch.stack(out)

    def extra_repr(self) -> str:
        return (f"tau={self.tau:g}, v_th={self.v_th:g}, v_reset={self.v_reset:g}, reset={self.reset_mode}, "
                f"decay_input={self.decay_input}")
