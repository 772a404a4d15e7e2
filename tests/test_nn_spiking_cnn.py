"""The seed's spiking CNN: shapes through the five stages, gradients reaching the first layer (digital
and P2M), bandwidth as output spikes over input events, and a tiny training run that learns."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from circuitlab.errors import ConfigError  # noqa: E402
from circuitlab.nn.p2m import P2MConv2d  # noqa: E402
from circuitlab.nn.spiking_cnn import SpikingCNN, bandwidth  # noqa: E402

KW = dict(n_max=4, track_length=120e-9)


@pytest.mark.parametrize("first", ["digital", "p2m"])
def test_shapes_gradients_and_bandwidth(first):
    torch.manual_seed(0)
    layer = first if first == "digital" else P2MConv2d.from_models(variation=0.1, **KW)
    net = SpikingCNN(layer, channels=(8, 8, 16, 16), hidden=32)
    x = torch.randint(0, 3, (4, 3, 2, 34, 34)).float()
    out = net(x, generator=torch.Generator().manual_seed(1))
    assert out.logits.shape == (3, 10) and out.first_spikes.shape == (4, 3, 32, 17, 17)
    assert bandwidth(out) == pytest.approx(float(out.first_spikes.detach().sum() / x.sum()))
    out.logits.sum().backward()
    w = net.first.conv.weight if first == "digital" else net.first.weight
    assert w.grad is not None and w.grad.abs().sum() > 0


def test_a_tiny_network_learns_a_separable_event_task():
    """Two classes: events in the left or the right half of the frame. 80 Adam steps must reach at least
    15 of 16 on the training batch in evaluation mode (chance 8): the surrogate gradients carry through
    every LIF layer."""
    g = torch.Generator().manual_seed(0)
    y = torch.arange(16) % 2
    x = torch.zeros(4, 16, 2, 16, 16)
    for i in range(16):
        half = slice(0, 8) if y[i] == 0 else slice(8, 16)
        x[:, i, :, :, half] = (torch.rand(4, 2, 16, 8, generator=g) < 0.3).float()
    torch.manual_seed(0)
    net = SpikingCNN("digital", channels=(8, 8, 8, 8), hidden=16, classes=2, input_size=(16, 16))
    opt = torch.optim.Adam(net.parameters(), 3e-3)
    for _ in range(80):
        loss = torch.nn.functional.cross_entropy(net(x).logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        assert (net(x).logits.argmax(1) == y).sum() >= 15


def test_bad_configuration_is_typed():
    with pytest.raises(ConfigError, match="4 conv-block widths"):
        SpikingCNN(channels=(8, 8))
    with pytest.raises(ConfigError, match="'analog'"):
        SpikingCNN("analog")
    with pytest.raises(ConfigError, match=r"event frames \(T, B, C, H, W\)"):
        SpikingCNN()(torch.zeros(3, 2, 34, 34))
