"""DDPM (circuitlab.eval.ddpm): the schedule against Ho et al.'s closed forms, the U-Net's shapes, noise routed
through the chosen source (a source with a known bias shifts the result by the amount the formulas say),
determinism, a tiny seeded experiment end to end and the CLI."""
import json
import math

import numpy as np
import pytest
import torch

from circuitlab.errors import ConfigError
from circuitlab.eval.ddpm import DDPMConfig, noise_per_image, noise_per_step, sample, train_ddpm
from circuitlab.eval.ddpm_schedule import Schedule, endpoints_for
from circuitlab.eval.ddpm_unet import UNet, timestep_embedding
from circuitlab.nn import BiasedNoise, GaussianNoise, ScaledNoise


# --- schedule -----------------------------------------------------------------------------------
def test_alpha_bar_at_the_last_step_matches_the_closed_form():
    s = Schedule(1000)
    # Ho et al.: betas 1e-4..0.02 linear; alpha_bar_T = prod(1 - beta_t), about 4e-5 (exp(-sum beta) = 4.3e-5)
    betas = np.linspace(1e-4, 0.02, 1000)
    assert float(s.alpha_bar[-1]) == pytest.approx(np.prod(1 - betas), rel=1e-9)
    assert 3.5e-5 < float(s.alpha_bar[-1]) < 4.5e-5
    assert float(s.betas[0]) == pytest.approx(1e-4) and float(s.betas[-1]) == pytest.approx(0.02)
    # a shorter chain keeps the total noise sum(beta); alpha_bar_T = prod(1 - beta) is then lower by the
    # second-order terms exp(-sum beta^2 / 2) = exp(-0.67) for T = 100: 2.0e-5
    b0, b1 = endpoints_for(100)
    assert (b0, b1) == pytest.approx((1e-3, 0.2))
    short = np.linspace(1e-3, 0.2, 100)
    assert short.sum() == pytest.approx(betas.sum() * 1.0, rel=1e-12)
    assert float(Schedule(100).alpha_bar[-1]) == pytest.approx(np.prod(1 - short), rel=1e-9)
    assert float(Schedule(100).alpha_bar[-1]) == pytest.approx(math.exp(-short.sum() - (short ** 2).sum() / 2), rel=0.1)   # + O(beta^3): 7 %


def test_posterior_matches_the_gaussian_product_formula():
    """q(x_{t-1}|x_t, x_0) from Bayes with q(x_{t-1}|x_0) = N(sqrt(ab') x0, 1 - ab') and
    q(x_t|x_{t-1}) = N(sqrt(a) x_{t-1}, beta): precision 1/(1-ab') + a/beta, mean by precision weighting."""
    s = Schedule(50)
    x0, xt = torch.tensor([[0.3]], dtype=torch.float64), torch.tensor([[-0.7]], dtype=torch.float64)
    for t in (1, 10, 49):
        a, b, abp = float(s.alphas[t]), float(s.betas[t]), float(s.alpha_bar[t - 1])
        prec = 1 / (1 - abp) + a / b
        mean = (math.sqrt(abp) * 0.3 / (1 - abp) + math.sqrt(a) * -0.7 / b) / prec
        m, v = s.posterior(x0, xt, torch.tensor([t]))
        assert float(m) == pytest.approx(mean, rel=1e-9) and float(v) == pytest.approx(1 / prec, rel=1e-9)
    # at the first step the posterior is x0 itself, with no variance
    m, v = s.posterior(x0, xt, torch.tensor([0]))
    assert float(m) == pytest.approx(0.3) and float(v) == pytest.approx(0.0, abs=1e-15)


def test_forward_noising_and_x0_prediction_invert_each_other():
    s = Schedule(100)
    g = torch.Generator().manual_seed(0)
    x0 = torch.rand(4, 1, 5, 5, generator=g, dtype=torch.float64) * 2 - 1
    eps = torch.randn(x0.shape, generator=g, dtype=torch.float64)
    t = torch.tensor([0, 7, 50, 99])
    xt = s.q_sample(x0, t, eps)
    assert torch.allclose(s.predict_x0(xt, t, eps), x0, atol=1e-9)
    # q(x_t|x_0) has variance 1 - alpha_bar_t (many draws at one t)
    big = s.q_sample(torch.zeros(20000, 1, 1, 1, dtype=torch.float64), torch.full((20000,), 30),
                     torch.randn(20000, 1, 1, 1, generator=g, dtype=torch.float64))
    assert float(big.var()) == pytest.approx(1 - float(s.alpha_bar[30]), rel=0.05)   # 5 sigma of var for n=2e4


def test_bad_schedules_are_refused():
    with pytest.raises(ConfigError, match="integer >= 2"):
        Schedule(1)
    with pytest.raises(ConfigError, match="beta_start <= beta_end"):
        Schedule(10, beta_start=0.5, beta_end=0.1)
    with pytest.raises(ConfigError, match="positive integer"):
        DDPMConfig(epochs=0)
