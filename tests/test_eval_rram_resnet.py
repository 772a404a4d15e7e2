"""ResNet-20 on RRAM CIM: the model, the colour-mnist task, a tiny seeded run of the whole experiment (the
seed's five bars, sweeps, files), and the CLI's arguments."""
import json

import numpy as np
import pytest
import torch

from circuitlab.cli.main import main
from circuitlab.data import load_colour_mnist
from circuitlab.errors import ConfigError
from circuitlab.eval.rram_resnet import BARS, quick_experiment, run_resnet_experiment
from circuitlab.nn.resnet20 import ResNet20


def test_resnet20_has_twenty_weight_layers_and_the_papers_size():
    net = ResNet20()
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3)]
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert len(convs) + len(linears) == 20                     # 19 3x3 convolutions + 1 linear (He et al.)
    n = sum(p.numel() for p in net.parameters())
    assert 0.26e6 < n < 0.29e6                                  # paper: 0.27 M parameters
    x = torch.rand(2, 3, 32, 32)
    net.eval()
    h = x
    for seg in net.segments():
        h = seg(h)
    torch.testing.assert_close(h, net(x))                      # the segments chain to the forward pass


def test_colour_mnist_is_seeded_rgb_and_balanced():
    a = load_colour_mnist(size=16, seed=3, n=200)
    b = load_colour_mnist(size=16, seed=3, n=200)
    assert a.images.shape == (200, 3, 16, 16) and torch.equal(a.images, b.images)
    assert 0 <= float(a.images.min()) and float(a.images.max()) <= 1
    assert not torch.equal(a.images, load_colour_mnist(size=16, seed=4, n=200).images)
    # colour: channels differ; texture: the background is not flat
    assert float((a.images[:, 0] - a.images[:, 1]).abs().mean()) > 0.05
    assert float(a.images[:, :, :3, :3].std(dim=(2, 3)).mean()) > 0.005



def test_colour_mnist_backgrounds_are_scikit_image_photographs():
    """scikit-image is a dependency of the torch extra: the default ("auto") backgrounds are crops of its sample
    photographs (the same images as textures="photos"), not the procedural fallback."""
    from skimage import data as skdata

    a = load_colour_mnist(size=28, seed=5, n=40)
    assert "photo textures" in a.name
    assert not torch.equal(a.images, load_colour_mnist(size=28, seed=5, n=40, textures="procedural").images)
    photo = load_colour_mnist(size=28, seed=5, n=40, textures="photos")
    assert torch.equal(a.images, photo.images)
    # the sample photographs the crops come from are in the wheel (read offline): shape and 8-bit range
    assert skdata.astronaut().shape == (512, 512, 3) and skdata.camera().dtype == np.uint8

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("resnet")
    exp = quick_experiment(seeds=2, size=8, n_train=96, n_test=48, epochs=1, noise_epochs=1, finetune_epochs=1,
                           batch=32, device="cpu", sweep_times=(1.0, 86400.0), sweep_adc_bits=(2, 6),
                           sweep_r_wire=(5.0,))
    return run_resnet_experiment(exp, out), out


def test_tiny_seeded_run_writes_the_five_bars_with_intervals(tiny):
    s, out = tiny
    for k in BARS:
        assert 0.0 <= s[k] <= 1.0
        lo, hi = s["ci95"][k]
        assert lo <= s[k] <= hi
        assert s[k] == pytest.approx(np.mean(s["per_seed"][k]))
    assert set(s["sweeps"]) == {"time_s", "adc_bits", "r_wire_ohm"} and set(s["sweeps"]["adc_bits"]) == {"2", "6"}
    on_disk = json.loads((out / "resnet_results.json").read_text())
    assert on_disk["seeds"] == 2 and on_disk["seed_reference_percent"]["chip"] == 83.67
    for f in ("table.md", "table.csv", "bars.png", "sweep_time.png", "sweep_adc_bits.png", "sweep_r_wire.png"):
        assert (out / f).stat().st_size > 0


def test_cli_arguments(tmp_path):
    from argparse import Namespace
    from circuitlab.cli.eval_resnet import experiment_from_args
    base = dict(data="colour-mnist", seeds=None, model="rram_cim", epochs=None, adc_bits=None, noise=None,
                device="cpu", quick=True)
    exp = experiment_from_args(Namespace(**{**base, "adc_bits": 6, "seeds": 3}))
    assert exp.adc_bits == 6 and exp.seeds == 3 and exp.size == 16
    with pytest.raises(ConfigError, match="1-8 bits"):
        experiment_from_args(Namespace(**{**base, "adc_bits": 12}))
    with pytest.raises(ConfigError, match="cifar10:PATH"):
        experiment_from_args(Namespace(**{**base, "data": "imagenet"}))
    assert main(["eval", "resnet", "--data", f"cifar10:{tmp_path}", "--seeds", "1", "--quick",
                 "--out", str(tmp_path / "o")]) != 0          # no batches there: a one-line error
