"""DDPM (circuitlab.eval.ddpm): the schedule against Ho et al.'s closed forms, the U-Net's shapes, noise routed
through the chosen source (a source with a known bias shifts the result by the amount the formulas say),
determinism, a tiny seeded experiment end to end and the CLI."""
import json
import math
from dataclasses import replace

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


# --- U-Net ----------------------------------------------------------------------------------------
def test_unet_keeps_the_image_shape_for_sides_that_do_not_halve_evenly():
    torch.manual_seed(0)
    net = UNet(channels=1, base=8, mults=(1, 2, 2))
    for side in (7, 8, 10):
        x = torch.randn(2, 1, side, side)
        assert net(x, torch.tensor([0, 5])).shape == x.shape
    emb = timestep_embedding(torch.tensor([0, 3]), 6)
    # sin(0) = 0, cos(0) = 1; frequency k is 10000^(-k/3)
    assert torch.allclose(emb[0], torch.tensor([0, 0, 0, 1, 1, 1.0]))
    assert float(emb[1, 1]) == pytest.approx(math.sin(3 * 10000 ** (-1 / 3)), rel=1e-5)
    with pytest.raises(ConfigError, match=r"\(N, 1, H, W\)"):
        net(torch.zeros(1, 3, 8, 8), torch.tensor([0]))


# --- noise routed through the source ---------------------------------------------------------------
class ConstantNoise(GaussianNoise):
    """Every draw is the constant c (a source with a known, extreme bias)."""
    def __init__(self, c):
        super().__init__()
        self.c = c

    def _draw(self, shape, *, generator, dtype, device):
        return torch.full(shape, self.c, dtype=dtype, device=device)


def _reference_chain(s: Schedule, c: float) -> float:
    """Ho's Algorithm 2 for one pixel in plain float64 with eps_hat = 0 and every draw equal to c."""
    x = c
    for t in reversed(range(s.T)):
        ab, abp, a, b = (float(s.alpha_bar[t]), float(s.alpha_bar_prev[t]), float(s.alphas[t]), float(s.betas[t]))
        x0 = min(1.0, max(-1.0, x / math.sqrt(ab)))
        mean = b * math.sqrt(abp) / (1 - ab) * x0 + (1 - abp) * math.sqrt(a) / (1 - ab) * x
        x = mean + (math.sqrt(b * (1 - abp) / (1 - ab)) * c if t > 0 else 0.0)
    return (min(1.0, max(-1.0, x)) + 1) / 2


def test_every_sampling_draw_comes_from_the_source():
    """An untrained U-Net predicts eps_hat = 0 exactly (zero output layer); with a constant source every
    pixel must follow the scalar reference chain, and the source must supply pixels * T draws per image."""
    cfg = DDPMConfig(T=20, epochs=1, base=8)
    trained = train_ddpm(torch.rand(4, 1, 6, 6), GaussianNoise(), replace_lr0(cfg), seed=0)
    for c in (0.3, -0.8):
        src = ConstantNoise(c)
        imgs = sample(trained, src, 3, (1, 6, 6), seed=0, fresh_source=False)
        assert torch.allclose(imgs, torch.full_like(imgs, _reference_chain(trained.schedule, c)), atol=1e-5)
        assert src.samples_drawn == 3 * noise_per_image((1, 6, 6), 20) == imgs.noise_drawn


def replace_lr0(cfg):
    from dataclasses import replace
    return replace(cfg, lr=1e-12, ema=0.0)


def test_a_biased_training_source_shifts_the_learned_noise_by_its_mean():
    """Trained with eps ~ N(mu, 1), the epsilon predictor's mean output approaches mu (the mean of its
    target); with unit Gaussian noise it stays near 0. The source supplies one draw per pixel per step."""
    g = torch.Generator().manual_seed(1)
    x0 = torch.rand(64, 1, 6, 6, generator=g)
    cfg = DDPMConfig(T=20, epochs=8, batch=32, base=8, lr=1e-2, ema=0.0)
    means = {}
    for mu in (0.0, 0.7):
        src = BiasedNoise(mu) if mu else GaussianNoise()
        tr = train_ddpm(x0, src, cfg, seed=0)
        assert src.samples_drawn == tr.noise_drawn == tr.steps * noise_per_step((1, 6, 6), 32)
        t = torch.randint(0, 20, (64,), generator=g)
        xt = tr.schedule.q_sample(x0 * 2 - 1, t, torch.randn(x0.shape, generator=g) + mu)
        with torch.no_grad():
            means[mu] = float(tr.model(xt, t).mean())
    assert abs(means[0.0]) < 0.15 and means[0.7] == pytest.approx(0.7, abs=0.15)


def test_training_and_sampling_are_deterministic_and_seeded():
    x0 = torch.rand(32, 1, 6, 6, generator=torch.Generator().manual_seed(2))
    cfg = DDPMConfig(T=10, epochs=2, batch=16, base=8)
    a, b, c = (train_ddpm(x0, ScaledNoise(2.0), cfg, seed=s) for s in (3, 3, 4))
    pa, pb, pc = (torch.cat([p.flatten() for p in m.model.parameters()]) for m in (a, b, c))
    assert torch.allclose(pa, pb, rtol=0, atol=1e-6) and not torch.allclose(pa, pc, atol=1e-3)
    sa, sb = (sample(a, ScaledNoise(2.0), 5, (1, 6, 6), seed=0) for _ in range(2))
    assert torch.allclose(sa, sb, atol=1e-6)


# --- the experiment end to end and the CLI --------------------------------------------------------------
@pytest.fixture(scope="module")
def classifier_cache(tmp_path_factory):
    """The digits feature classifier, trained once for this file (the experiment's settings)."""
    from circuitlab.data import load
    from circuitlab.eval.ddpm_experiment import DDPMExperiment
    from circuitlab.eval.features import train_classifier
    torch.set_num_threads(1)
    cache = tmp_path_factory.mktemp("clf")
    train_classifier(load("digits"), seed=0, cache_dir=cache, epochs=DDPMExperiment().classifier_epochs)
    return cache


def _with_cache(out, cache):
    import shutil
    shutil.copytree(cache, out / "cache" / "classifiers")
    return out


def test_a_tiny_seeded_experiment_end_to_end(tmp_path, classifier_cache):
    from circuitlab.eval.ddpm_experiment import DDPMExperiment
    from circuitlab.eval.ddpm_run import run_ddpm_experiment
    exp = DDPMExperiment(data="digits", noises=("gaussian", "biased:0.5"), seeds=2,
                         ddpm=DDPMConfig(T=10, epochs=2, batch=64, base=8, n_samples=60, eval_epochs=(1,)),
                         kid_subsets=5, letters=None, device="cpu")
    s = run_ddpm_experiment(exp, _with_cache(tmp_path, classifier_cache))
    assert s["metric"] == "FD-DIGITS" and s["classifier"]["from_cache"]
    both, samp = s["protocols"]["both"], s["protocols"]["sampling"]
    for spec, v in s["results"].items():
        assert v["fd_ci95"][0] <= v["fd"] <= v["fd_ci95"][1] and 0 <= v["precision"] <= 1
    assert set(both["gaussian"]["fd_vs_epoch"]) == {"1", "2"}
    # 2 sources x 2 seeds trained; evaluated at epochs 1 and 2, plus the sampling protocol's biased runs
    assert (s["runs"]["trained"], s["runs"]["evaluations"]) == (4, 4 * 2 + 2) and s["runs"]["sample_s"] > 0
    # paired difference: the mean of the per-seed differences
    d = [a - b for a, b in zip(both["biased:0.5"]["fd_per_seed"], both["gaussian"]["fd_per_seed"])]
    assert both["biased:0.5"]["fd_minus_gaussian"] == pytest.approx(sum(d) / 2)
    # a mean of 0.5 per draw accumulates over the reverse chain: brighter images (pixel mean in [0, 1])
    assert samp["biased:0.5"]["pixel_mean"] > samp["gaussian"]["pixel_mean"] + 0.1
    # energy: pixels * T draws per image, pixels * batch per training step, times the model's J per draw
    e = s["energy"]
    assert e["noise_per_image"] == 64 * 10 and e["noise_per_training_step"] == 64 * 64
    assert e["energy_per_image_J"] == pytest.approx(640 * e["energy_per_noise_sample_J"]) and 0 < e["energy_per_image_J"] < 1e-6
    files = {p.name for p in tmp_path.iterdir()}
    assert {"ddpm_results.json", "quality_table.csv", "quality_table.md", "config.json", "fd_vs_epoch.png",
            "quality_bars.png", "records.csv", "samples_both_gaussian.png", "weights"} <= files
    assert (tmp_path / "weights" / "biased_0.5-seed0.pt").is_file()


def test_cli_tiny_run_prints_the_json_shape(tmp_path, classifier_cache, capsys):
    from circuitlab.cli.main import main
    out = _with_cache(tmp_path / "o", classifier_cache)
    rc = main(["eval", "ddpm", "--data", "digits", "--noise", "gaussian,meram", "--epochs", "1", "--seeds", "1",
               "--steps", "5", "--samples", "20", "--letters", "none", "--protocol", "sampling", "--device", "cpu",
               "--out", str(out), "--json"])
    assert rc == 0
    s = json.loads(capsys.readouterr().out)
    assert s["metric"] == "FD-DIGITS" and set(s["results"]) == {"gaussian", "meram"}
    assert {"fd", "fd_ci95", "kid", "kid_std", "precision", "recall"} <= set(s["results"]["meram"])
    assert list(s["protocols"]) == ["sampling"]   # the sampling protocol alone evaluates gaussian itself


@pytest.mark.parametrize("argv, message", [
    (["--noise", "gaussian,bogus"], "unknown noise source 'bogus'"),
    (["--noise", "gaussian,gaussian"], "repeat"),
    (["--epochs", "0"], "--epochs 0"),
    (["--steps", "1"], "at least 2 steps"),
    (["--protocol", "train"], "choose from both, sampling"),
    (["--data", "/no/such/folder"], "neither a built-in data set"),
])
def test_cli_bad_arguments_give_one_line_errors(tmp_path, capsys, argv, message):
    from circuitlab.cli.main import main
    rc = main(["eval", "ddpm", "--quick", "--out", str(tmp_path), *argv])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and message in err and len(err.splitlines()) == 1


def test_quick_defaults_and_flags_build_the_intended_experiment(tmp_path):
    from circuitlab.cli.main import build_parser
    from circuitlab.cli.eval_ddpm import experiment_from_args
    from circuitlab.eval.ddpm_experiment import QUICK_NOISE
    args = build_parser().parse_args(["eval", "ddpm", "--quick", "--out", str(tmp_path)])
    exp = experiment_from_args(args)
    assert exp.noises == QUICK_NOISE == ("gaussian", "meram", "scaled:2") and exp.seeds >= 3 and exp.letters is None
    args = build_parser().parse_args(["eval", "ddpm", "--quick", "--epochs", "4", "--steps", "30", "--noise",
                                      "meram-exact:meram_eps,quantised:4", "--out", str(tmp_path)])
    exp = experiment_from_args(args)
    assert (exp.ddpm.epochs, exp.ddpm.T, exp.noises) == (4, 30, ("meram-exact:meram_eps", "quantised:4"))
    assert exp.ddpm.checkpoints() == [4]


def test_letter_coordinates_round_trip_through_the_array():
    from circuitlab.data import letter_patterns
    from circuitlab.eval.ddpm_letters import pattern_points, rasterise
    pat = letter_patterns("A", size=24).images[0]
    pts = pattern_points(pat)
    assert len(pts) == int(pat.sum()) and pts.abs().max() < 1           # one point per P-state MTJ, inside
    assert torch.equal(rasterise(pts, 24), pat)                         # cell centres map back to their MTJs
    assert rasterise(torch.tensor([[1.5, 0.0]]), 24).sum() == 0         # a point off the array sets nothing


def test_letter_demo_learns_each_letters_coordinates(tmp_path):
    # The seed's demo: one coordinate DDPM per letter and noise source. A trained model must put most of its
    # points on the letter's MTJs; an untrained one spreads them over the array (precision about the letter's
    # area fraction, 0.3 here), so precision > 0.7 at 24 x 24 after 2000 steps is a real check of learning.
    from circuitlab.eval.ddpm_letters import LETTER_NOISE, LETTER_T, run_letter_demo
    d = run_letter_demo("UL", 24, 8, 2000, cache_dir=tmp_path, n_samples=3)
    assert d["T"] == LETTER_T == 100 and set(d["fraction"]) == set(LETTER_NOISE) == {"gaussian", "meram"}
    for spec in LETTER_NOISE:
        for letter in "UL":
            x = d["samples"][spec][letter]
            assert x.shape == (3, 1, 24, 24) and set(x.unique().tolist()) <= {0.0, 1.0}   # P/AP pixels
            assert d["precision"][spec][letter] > 0.7, (spec, letter, d["precision"][spec][letter])
            assert 0 < d["coverage"][spec][letter] <= 1 and d["fraction"][spec][letter] in (0.0, 1 / 3, 2 / 3, 1.0)


def test_an_interrupted_experiment_resumes_with_the_same_results(tmp_path, classifier_cache):
    # Killed after the first run of seed 1: the second call reads the four finished runs back (the
    # Gaussian-trained model of seed 1 from its stored weights, for the sampling protocol) and trains only
    # the remaining two; the results equal an uninterrupted run's (same machine, same seeds).
    from circuitlab.eval.ddpm_experiment import DDPMExperiment
    from circuitlab.eval.ddpm_run import run_ddpm_experiment
    exp = DDPMExperiment(data="digits", noises=("gaussian", "biased:0.5"), seeds=2,
                         ddpm=DDPMConfig(T=10, epochs=1, batch=64, base=8, n_samples=60),
                         kid_subsets=5, letters=None, device="cpu")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ref = run_ddpm_experiment(exp, _with_cache(tmp_path / "a", classifier_cache))

    class Stop(Exception):
        pass

    def stop_in_seed_1(m):
        if "seed 1:" in m:
            raise Stop

    with pytest.raises(Stop):
        run_ddpm_experiment(exp, _with_cache(tmp_path / "b", classifier_cache), progress=stop_in_seed_1)
    said = []
    got = run_ddpm_experiment(exp, tmp_path / "b", progress=said.append)
    runs = [m for m in said if m.startswith("[ddpm]")]
    assert len(runs) == 6 and sum("read back" in m for m in runs) == 4
    assert got["results"] == ref["results"]
    assert got["protocols"]["sampling"]["biased:0.5"]["fd_per_seed"] == \
        ref["protocols"]["sampling"]["biased:0.5"]["fd_per_seed"]
    assert (tmp_path / "b" / "samples_both_gaussian.png").is_file()


def test_a_folder_extended_with_a_noise_source_and_a_seed_reuses_its_finished_runs(tmp_path, classifier_cache):
    # Each cell is one (protocol, noise, seed) run, so adding a source and a seed trains only the new runs;
    # the merged summary equals a run of the full lists in one go (same machine, same seeds).
    from circuitlab.eval.ddpm_experiment import DDPMExperiment
    from circuitlab.eval.ddpm_run import run_ddpm_experiment
    small = DDPMExperiment(data="digits", noises=("gaussian",), seeds=1, protocols=("both",),
                           ddpm=DDPMConfig(T=10, epochs=1, batch=64, base=8, n_samples=40),
                           kid_subsets=5, letters=None, device="cpu")
    full = replace(small, noises=("gaussian", "scaled:2"), seeds=2)
    ref = run_ddpm_experiment(full, _with_cache(tmp_path / "a", classifier_cache))
    run_ddpm_experiment(small, _with_cache(tmp_path / "b", classifier_cache))
    said = []
    got = run_ddpm_experiment(full, tmp_path / "b", progress=said.append)
    runs = [m for m in said if m.startswith("[ddpm]")]
    assert len(runs) == 4 and sum("read back" in m for m in runs) == 1
    assert got["protocols"]["both"]["scaled:2"]["fd_per_seed"] == ref["protocols"]["both"]["scaled:2"]["fd_per_seed"]
    assert got["results"] == ref["results"]
    # the letter demo added later: the grid is read back, only the demo runs; a second call reads it back too
    with_letters = replace(full, letters="UL", letter_size=16, letter_n=8, letter_steps=50)
    for first in (True, False):
        said = []
        s = run_ddpm_experiment(with_letters, tmp_path / "b", progress=said.append)
        assert sum("read back" in m for m in said) == 4 and s["results"] == ref["results"]
        assert sum(m.startswith("[ddpm] letters") for m in said) == (4 if first else 0)
        assert set(s["letters"]["fraction"]) == {"gaussian", "meram"}
    # a changed setting that every run depends on is still refused
    with pytest.raises(ConfigError, match="other settings"):
        run_ddpm_experiment(replace(full, ddpm=replace(full.ddpm, T=11)), tmp_path / "b")


def test_curve_and_network_flags_set_the_experiment(tmp_path, capsys):
    from circuitlab.cli.main import build_parser, main
    from circuitlab.cli.eval_ddpm import experiment_from_args
    args = build_parser().parse_args(["eval", "ddpm", "--data", "digits", "--epochs", "100", "--eval-epochs", "25,50",
                                      "--samples", "1000", "--curve-samples", "500", "--base", "16", "--mults", "1,2",
                                      "--out", str(tmp_path)])
    d = experiment_from_args(args).ddpm
    assert (d.epochs, d.eval_epochs, d.n_samples, d.n_samples_curve, d.base, d.mults) == \
        (100, (25, 50), 1000, 500, 16, (1, 2))
    assert d.checkpoints() == [25, 50, 100]
    args = build_parser().parse_args(["eval", "ddpm", "--epochs", "8", "--eval-epochs", "none", "--out", str(tmp_path)])
    assert experiment_from_args(args).ddpm.checkpoints() == [8]
    for argv, message in ((["--eval-epochs", "5,x"], "comma-separated integers"),
                          (["--epochs", "10", "--eval-epochs", "12"], "must lie in 1..epochs"),
                          (["--mults", "1,0"], "positive multipliers"), (["--curve-samples", "2"], "at least 4")):
        rc = main(["eval", "ddpm", "--quick", "--out", str(tmp_path), *argv])
        err = capsys.readouterr().err.strip()
        assert rc == 1 and message in err and len(err.splitlines()) == 1, (argv, err)
