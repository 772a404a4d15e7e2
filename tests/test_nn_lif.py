"""LIF neurons against closed forms of the update and against snnTorch's Leaky (an independent
implementation, optional test dependency) on the same inputs, forward and backward."""
from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from circuitlab.errors import ConfigError  # noqa: E402
from circuitlab.nn.lif import LIF, spike_atan  # noqa: E402


def test_constant_subthreshold_input_charges_as_the_closed_form():
    """decay_input: V[t] = x (1 - (1 - 1/tau)^t) for constant x below threshold (geometric series)."""
    tau, x, T = 2.5, 0.8, 30
    lif = LIF(tau=tau, v_th=1.0)
    s = lif(torch.full((T, 1), x, dtype=torch.float64))
    assert s.sum() == 0
    assert lif.v.item() == pytest.approx(x * (1 - (1 - 1 / tau) ** T), rel=1e-12)


@pytest.mark.parametrize("tau,x", [(2.0, 1.5), (4.0, 1.2), (10.0, 3.0)])
def test_first_spike_time_and_hard_reset_period_follow_the_closed_form(tau, x):
    """Constant x > V_th from V = 0: H[t] = x (1 - (1 - 1/tau)^t) crosses V_th first at
    t* = ceil(ln(1 - V_th/x) / ln(1 - 1/tau)); a hard reset restarts the same charge, so the spikes are
    periodic with period t*."""
    t_star = math.ceil(math.log(1 - 1 / x) / math.log(1 - 1 / tau))
    T = 5 * t_star
    s = LIF(tau=tau)(torch.full((T,), x, dtype=torch.float64))
    fired = torch.nonzero(s).flatten().tolist()
    assert fired == [k * t_star - 1 for k in range(1, 6)]


def test_soft_reset_keeps_the_excess_and_the_rate_tends_to_input_over_threshold():
    """Soft reset (no leak on the excess): with decay_input=False and tau -> large the neuron is an
    integrate-and-fire counter, whose spike count over T steps is floor(T x / V_th) (to within one)."""
    x, T = 0.37, 1000
    s = LIF(tau=1e9, reset="soft", decay_input=False)(torch.full((T,), x, dtype=torch.float64))
    assert abs(s.sum().item() - math.floor(T * x)) <= 1


@pytest.mark.parametrize("reset,mechanism", [("soft", "subtract"), ("hard", "zero")])
def test_matches_snntorch_leaky_forward_and_backward(reset, mechanism):
    snntorch = pytest.importorskip("snntorch")
    from snntorch import surrogate

    g = torch.Generator().manual_seed(3)
    T, shape, tau = 25, (4, 3, 5, 5), 2.0
    x = (torch.rand((T, *shape), generator=g, dtype=torch.float64) * 1.4 - 0.3).requires_grad_(True)
    ours = LIF(tau=tau, reset=reset, decay_input=False, alpha=2.0)
    s_ours = ours(x)
    ref = snntorch.Leaky(beta=1 - 1 / tau, threshold=1.0, spike_grad=surrogate.atan(alpha=2.0),
                         reset_mechanism=mechanism, reset_delay=False)
    x2 = x.detach().clone().requires_grad_(True)
    mem = torch.zeros(shape, dtype=torch.float64)
    spikes = []
    for xt in x2:
        spk, mem = ref(xt, mem)
        spikes.append(spk)
    s_ref = torch.stack(spikes)
    assert s_ours.sum() > 100                         # the comparison sees many spikes
    # the same decisions everywhere except exact ties at V_th, which random float64 inputs never hit
    assert torch.equal(s_ours, s_ref)
    assert torch.allclose(ours.v, mem, rtol=0, atol=1e-12)
    w = torch.rand(s_ours.shape, generator=g, dtype=torch.float64)
    (s_ours * w).sum().backward()
    (s_ref * w).sum().backward()
    # same surrogate formula (snnTorch's atan is SpikingJelly's ATan), same graph; snnTorch keeps some of
    # its constants in float32 (its surrogate's pi among them), which moves float64 gradients summed over
    # 25 steps by up to 1e-6 (soft) and 9e-6 (hard reset) relative, measured: bound 1e-4, far below the
    # O(1) change a wrong graph (e.g. a detached reset) makes
    err = ((x.grad - x2.grad).abs() / (x2.grad.abs() + 1e-3)).max().item()
    assert err < 1e-4, err
    assert x.grad.abs().sum() > 0


def test_surrogate_gradient_is_the_arctangent_derivative():
    """(alpha/2) / (1 + (pi alpha x / 2)^2) is d/dx of (1/pi) arctan(pi alpha x / 2) + 1/2."""
    x = torch.linspace(-2, 2, 41, dtype=torch.float64, requires_grad=True)
    spike_atan(x, 3.0).sum().backward()
    y = x.detach().clone().requires_grad_(True)
    (torch.atan(math.pi / 2 * 3.0 * y) / math.pi + 0.5).sum().backward()
    assert torch.allclose(x.grad, y.grad, rtol=1e-12)


def test_state_carries_over_windows_only_when_asked_and_reset_clears_it():
    x = torch.full((2, 2), 1.2)
    lif = LIF(tau=2.0)
    a = lif(x)
    v_end = lif.v.clone()
    b = lif(x, carry=True)               # continues from v_end: fires earlier than from rest
    assert b.sum() > a.sum()
    c = LIF(tau=2.0)(torch.cat([x, x]))
    assert torch.equal(torch.cat([a, b]), c)
    lif.reset()
    assert lif.v is None and torch.equal(lif(x), a)
    assert torch.all(v_end > 0)


def test_bad_configuration_is_a_typed_error():
    with pytest.raises(ConfigError, match="tau=1 must be a number > 1"):
        LIF(tau=1)
    with pytest.raises(ConfigError, match="reset='zero'"):
        LIF(reset="zero")
    with pytest.raises(ConfigError, match="v_th=0.0 must be above v_reset=0.0"):
        LIF(v_th=0.0)
    with pytest.raises(ConfigError, match="leading time dimension"):
        LIF()(torch.zeros(0, 3))
