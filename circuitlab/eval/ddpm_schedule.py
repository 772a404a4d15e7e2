"""The DDPM noise schedule and its closed forms (Ho, Jain and Abbeel 2020, "Denoising diffusion
probabilistic models", NeurIPS; eqs. 4, 6, 7, 11).

Linear betas from ``beta_start`` to ``beta_end`` over T steps (Ho et al.: 1e-4 to 0.02 for T = 1000),
alpha_t = 1 - beta_t, alpha_bar_t = prod_{s<=t} alpha_s. Indices run 0..T-1 (index t here is Ho's
step t + 1). With unit-variance noise eps:

- forward (eq. 4): x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps;
- posterior q(x_{t-1} | x_t, x_0) (eqs. 6-7): mean c0_t x_0 + c1_t x_t with
  c0_t = beta_t sqrt(alpha_bar_{t-1}) / (1 - alpha_bar_t), c1_t = (1 - alpha_bar_{t-1}) sqrt(alpha_t) / (1 - alpha_bar_t),
  variance beta_tilde_t = beta_t (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) (alpha_bar_{-1} = 1);
- epsilon parameterisation (eq. 11): x_0 estimate (x_t - sqrt(1 - alpha_bar_t) eps_hat) / sqrt(alpha_bar_t).

The seed (meram_diffusion_paper.txt): "In the forward diffusion process, Gaussian noises are added to the
training data (pixel data x0) in T steps sequentially, with the variance increasing with each step t";
its letter demo used 100 steps, its image experiment T = 1000. :func:`endpoints_for` keeps the total
noise sum(beta) of a shorter chain equal to Ho's (betas scaled by 1000 / T): alpha_bar at the last step
is 4.0e-5 for T = 1000 and 2.0e-5 for T = 100 (prod(1 - beta) ~ exp(-sum beta - sum beta^2 / 2)).
"""
from __future__ import annotations

import torch

from ..errors import ConfigError

__all__ = ["Schedule", "endpoints_for", "HO_BETAS"]

#: Ho et al.'s linear schedule for T = 1000
HO_BETAS = (1e-4, 0.02)


def endpoints_for(T: int) -> tuple[float, float]:
    """(beta_start, beta_end) for a T-step chain: Ho's 1e-4 and 0.02 times 1000 / T (capped at 0.5), so
    the total noise sum(beta) = 10.05 stays Ho's."""
    if int(T) != T or T < 2:
        raise ConfigError(f"T = {T!r}: the number of diffusion steps must be an integer >= 2")
    scale = 1000.0 / T
    return HO_BETAS[0] * scale, min(HO_BETAS[1] * scale, 0.5)


class Schedule:
    """Linear-beta DDPM schedule of ``T`` steps; every table is a float64 tensor of length T."""

    def __init__(self, T: int = 1000, beta_start: float | None = None, beta_end: float | None = None):
        if int(T) != T or T < 2:
            raise ConfigError(f"T = {T!r}: the number of diffusion steps must be an integer >= 2")
        d0, d1 = endpoints_for(T)
        b0 = d0 if beta_start is None else float(beta_start)
        b1 = d1 if beta_end is None else float(beta_end)
        if not 0 < b0 <= b1 < 1:
            raise ConfigError(f"betas must satisfy 0 < beta_start <= beta_end < 1, got {b0} and {b1}")
        self.T, self.beta_start, self.beta_end = int(T), b0, b1
        self.betas = torch.linspace(b0, b1, self.T, dtype=torch.float64)
        self.alphas = 1.0 - self.betas
        self.alpha_bar = torch.cumprod(self.alphas, 0)
        self.alpha_bar_prev = torch.cat([torch.ones(1, dtype=torch.float64), self.alpha_bar[:-1]])
        one_m = 1.0 - self.alpha_bar
        self.posterior_variance = self.betas * (1.0 - self.alpha_bar_prev) / one_m
        self.coef_x0 = self.betas * self.alpha_bar_prev.sqrt() / one_m
        self.coef_xt = (1.0 - self.alpha_bar_prev) * self.alphas.sqrt() / one_m

    def _at(self, table: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """table[t] shaped to broadcast over a batch like ``like`` (N, ...)."""
        v = table.to(like.device)[t.to(like.device)].to(like.dtype)
        return v.reshape(-1, *([1] * (like.ndim - 1)))

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps (t: (N,) step indices)."""
        return self._at(self.alpha_bar.sqrt(), t, x0) * x0 + self._at((1 - self.alpha_bar).sqrt(), t, x0) * eps

    def predict_x0(self, xt: torch.Tensor, t: torch.Tensor, eps_hat: torch.Tensor) -> torch.Tensor:
        """x_0 estimate from a noise prediction (Ho eq. 11 rearranged)."""
        return (xt - self._at((1 - self.alpha_bar).sqrt(), t, xt) * eps_hat) / self._at(self.alpha_bar.sqrt(), t, xt)

    def posterior(self, x0: torch.Tensor, xt: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, variance) of q(x_{t-1} | x_t, x_0); the variance is broadcastable over the batch."""
        mean = self._at(self.coef_x0, t, xt) * x0 + self._at(self.coef_xt, t, xt) * xt
        return mean, self._at(self.posterior_variance, t, xt)

    def __repr__(self) -> str:
        return f"Schedule(T={self.T}, beta_start={self.beta_start:g}, beta_end={self.beta_end:g})"
