"""The seed's Fig. 4b experiment: sample quality vs training epochs for each noise source, paired seeds.

Seed (meram_diffusion_paper.txt, Fig. 4b): "After 100 epochs of training, the FID score for our
MeRAM-based generation stands at 13.1, closely aligning with the 12.1 FID score achieved by
software-generated Gaussian noise." Here the Frechet distance is on the features of a classifier
trained on the same data (:mod:`.features`), so it is reported as "FD-<DATA>" (:func:`.metrics.metric_name`).

Two protocols per seed:

- ``both`` (the seed's way): one model per noise source, every draw in training and sampling from it;
- ``sampling``: the seed's Gaussian-trained model, sampled with each source (software training, device
  generation). Both use the same seeds, so differences between sources are paired.

Every run gets the same seed s for weights, batches and steps and the noise generator seed
s + NOISE_SEED_OFFSET: ``gaussian`` and ``scaled:v`` then see the same standard normal draws (times
sqrt v), which makes their paired difference the effect of the variance alone.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Optional

import torch

from ..data import ImageSet, load
from ..errors import ConfigError
from ..nn import parse_noise
from .ddpm import (DDPMConfig, noise_per_image, noise_per_step, sample, train_ddpm, trained_from_state,
                   trained_state)
from .features import train_classifier
from .metrics import frechet_distance, kid, precision_recall
from .stats import mean_ci95

__all__ = ["ALL_NOISE", "QUICK_NOISE", "PROTOCOLS", "DDPMExperiment", "quick_experiment", "run_grid",
           "summarise", "sample_stats", "check_noise_specs", "energy_summary", "load_data", "classifier_for"]

ALL_NOISE = ("gaussian", "meram", "meram-stream", "meram-exact", "uniform", "rademacher", "quantised:4",
             "scaled:0.5", "scaled:2", "biased:0.2")
QUICK_NOISE = ("gaussian", "meram", "scaled:2")
PROTOCOLS = ("both", "sampling")
K_NN = 3     # neighbours of the precision/recall manifolds (Kynkaanniemi et al. 2019), as metrics.quality


@dataclass(frozen=True)
class DDPMExperiment:
    """What ``circuitlab eval ddpm`` runs (defaults: the full run)."""
    data: str = "mnist"
    noises: tuple = ALL_NOISE
    seeds: int = 3
    size: Optional[int] = None              # resize the images (None: as loaded)
    n_train: Optional[int] = None           # use this many images (seeded stratified subset; None: all)
    protocols: tuple = PROTOCOLS
    ddpm: DDPMConfig = field(default_factory=lambda: DDPMConfig(T=1000, epochs=30, batch=128, base=32,
                                                                mults=(1, 2, 2), n_samples=2000,
                                                                eval_epochs=(5, 10, 20)))
    classifier_epochs: int = 20
    kid_subsets: int = 50
    device: str = "auto"
    letters: Optional[str] = "UCLA"         # the letter demo (None: skipped)
    letter_size: int = 80                  # the seed's 80 x 80 MTJ array
    letter_steps: int = 6000               # Adam steps per letter's coordinate DDPM
    letter_n: int = 64                     # jittered patterns per letter (the letter classifier's data)

    def __post_init__(self):
        if int(self.seeds) < 1:
            raise ConfigError(f"seeds = {self.seeds!r}: need at least 1 seed")
        if not self.noises:
            raise ConfigError("no noise source given; pass e.g. --noise gaussian,meram,scaled:2")
        bad = [p for p in self.protocols if p not in PROTOCOLS]
        if bad or not self.protocols:
            raise ConfigError(f"protocols {self.protocols}: choose from {', '.join(PROTOCOLS)}")


def quick_experiment(**over) -> DDPMExperiment:
    """``--quick``: digits (8x8), T = 50, 15 epochs, a 16-channel U-Net, 1000 samples at the last epoch
    (500 at epoch 5), gaussian / meram / scaled:2, 5 seeds, letter demo at 32x32 (minutes on 2 CPU cores)."""
    base = DDPMExperiment(data="digits", noises=QUICK_NOISE, seeds=5,
                          ddpm=DDPMConfig(T=50, epochs=15, batch=128, base=16, mults=(1, 2), n_samples=1000,
                                          n_samples_curve=500, eval_epochs=(5,)),
                          kid_subsets=20, letter_size=32, letter_steps=2000, letter_n=48)
    return replace(base, **over)


def check_noise_specs(specs) -> tuple[str, ...]:
    """Validate noise specs by building each once (a typed error names a bad one); returns them."""
    out = tuple(s.strip() for s in specs if s.strip())
    for s in out:
        parse_noise(s)
    if len(set(out)) != len(out):
        raise ConfigError(f"noise sources repeat in {list(out)}; name each once")
    return out


def sample_stats(images: torch.Tensor) -> dict:
    """Pixel statistics of images in [0, 1]: mean, standard deviation, the mean absolute difference of
    horizontal neighbours (residual noise raises it) and the fraction of pixels at 0 or 1."""
    x = images.to(torch.float64)
    return {"pixel_mean": float(x.mean()), "pixel_std": float(x.std()),
            "neighbour_diff": float((x[..., 1:] - x[..., :-1]).abs().mean()),
            "saturated": float(((x <= 1e-6) | (x >= 1 - 1e-6)).double().mean())}


def _progress_bar(label: str, done: int, total: int, extra: str = "") -> str:
    n = 20 * done // max(1, total)
    return f"{label} [{'#' * n}{'.' * (20 - n)}] {done}/{total} {extra}"


def run_grid(exp: DDPMExperiment, data: ImageSet, classifier, *, device, say: Callable[[str], None],
             bar: bool = False, cells=None) -> tuple[list[dict], dict]:
    """Train and evaluate every (protocol, noise, seed); returns the records (one per evaluation) and a
    dict of the first seed's samples by (protocol, noise) and trained models by ("model", noise).
    ``cells`` (a :class:`~.resume.Cells`) keeps each finished run (its records; the first seed's samples and
    model and every Gaussian-trained model as tensors beside them), so an interrupted grid resumes at the
    next run with the same records."""
    cfg = exp.ddpm
    checkpoints = cfg.checkpoints()
    records, firsts = [], {}
    shape = data.shape
    fr = classifier.features(data.images)            # the real set's features, once

    def evaluate(trained, spec, protocol, seed, epoch, t_train):
        t0 = time.perf_counter()
        n = cfg.n_samples if epoch == cfg.epochs or not cfg.n_samples_curve else cfg.n_samples_curve
        imgs = sample(trained, parse_noise(spec), n, shape, seed=seed, device=device,
                      batch=cfg.sample_batch)
        t_sample = time.perf_counter() - t0
        ff = classifier.features(imgs)
        km, ks = kid(fr, ff, subsets=exp.kid_subsets, subset_size=min(1000, len(fr), len(ff)), seed=seed)
        precision, recall = precision_recall(fr, ff, k=K_NN)
        rec = {"protocol": protocol, "noise": spec, "seed": seed, "epoch": epoch, "fd": frechet_distance(fr, ff),
               "kid": km, "kid_std": ks, "precision": precision, "recall": recall,
               "train_s": round(t_train, 3), "sample_s": round(t_sample, 3), "loss": trained.losses[-1],
               "noise_per_image": imgs.noise_drawn / max(1, len(imgs)), **sample_stats(imgs)}
        records.append(rec)
        return imgs

    def gaussian_model(seed):
        """The Gaussian-trained model of ``seed``: from this call, from ``cells``, or trained here."""
        trained = firsts.get(("gaussian-model", seed))
        stored = None if trained is not None or cells is None else cells.get_tensors(f"gaussian-model-seed{seed}")
        if stored is not None:
            trained = firsts[("gaussian-model", seed)] = trained_from_state(stored, device)
        if trained is None:   # gaussian not among the "both" runs: train the software model here
            trained = train_ddpm(data.images, parse_noise("gaussian"), cfg, seed, device=device)
            keep_gaussian(seed, trained)
        return trained

    def keep_gaussian(seed, trained):
        firsts[("gaussian-model", seed)] = trained
        if cells is not None:
            cells.put_tensors(f"gaussian-model-seed{seed}", trained_state(trained))

    def read_back(key, protocol, spec, seed) -> bool:
        """Records (and the first seed's samples and model) of a finished run from ``cells``."""
        done = cells.get(key) if cells is not None else None
        side = cells.get_tensors(key) if done is not None and seed == 0 else {}
        if done is None or side is None:
            return False
        records.extend(done["records"])
        if seed == 0:
            firsts[(protocol, spec)] = side["images"]
            if "model" in side:
                firsts[("model", spec)] = trained_from_state(side["model"], device)
        return True

    def finish(key, n_before, protocol, spec, seed, trained=None):
        if cells is None:
            return
        if seed == 0:
            side = {"images": firsts[(protocol, spec)].detach().cpu().clone()}
            if trained is not None:
                side["model"] = trained_state(trained)
            cells.put_tensors(key, side)
        cells.put(key, {"records": records[n_before:]})

    with_both = "both" in exp.protocols    # else the sampling protocol evaluates gaussian itself
    runs = [(p, n, s) for s in range(exp.seeds) for p in exp.protocols
            for n in (exp.noises if p == "both" or not with_both else [x for x in exp.noises if x != "gaussian"])]
    for k, (protocol, spec, seed) in enumerate(runs, 1):
        label = f"[ddpm] {protocol:8s} {spec:12s} seed {seed}"
        key, n_before = f"{protocol}-{spec}-seed{seed}", len(records)
        if read_back(key, protocol, spec, seed):
            say(f"{label}: FD {records[-1]['fd']:.2f}, read back from {cells.dir} ({k}/{len(runs)})")
            continue
        if protocol == "sampling":
            trained = gaussian_model(seed)
            imgs = evaluate(trained, spec, protocol, seed, cfg.epochs, trained.train_seconds)
            if seed == 0:
                firsts[(protocol, spec)] = imgs
            finish(key, n_before, protocol, spec, seed)
            say(f"{label}: FD {records[-1]['fd']:.2f} ({k}/{len(runs)})")
            continue
        noise = parse_noise(spec)

        def on_epoch(epoch, trained, spec=spec, seed=seed, label=label):
            if bar:
                sys.stderr.write("\r" + _progress_bar(label, epoch, cfg.epochs, f"loss {trained.losses[-1]:.4f}"))
                sys.stderr.flush()
            if epoch in checkpoints:
                imgs = evaluate(trained, spec, "both", seed, epoch, trained.train_seconds)
                if seed == 0 and epoch == cfg.epochs:
                    firsts[("both", spec)] = imgs

        trained = train_ddpm(data.images, noise, cfg, seed, device=device, on_epoch=on_epoch)
        if bar:
            sys.stderr.write("\n")
        if spec == "gaussian":
            keep_gaussian(seed, trained)
        if seed == 0:
            firsts[("model", spec)] = trained
        finish(key, n_before, protocol, spec, seed, trained)
        say(f"{label}: FD {records[-1]['fd']:.2f} after {cfg.epochs} epochs, {trained.train_seconds:.1f} s "
            f"training ({k}/{len(runs)})")
    return records, firsts


def _ci(values) -> tuple[float, list[float]]:
    m, lo, hi = mean_ci95(values)
    return m, [lo, hi]


def summarise(records: list[dict], exp: DDPMExperiment, metric: str) -> dict:
    """Per protocol and noise at the last epoch: means with 95 % Student-t intervals over seeds, and the
    paired differences of FD and precision to gaussian (same seed) with their intervals ("separated":
    the interval excludes 0); per epoch the FD curve."""
    last = exp.ddpm.epochs
    out = {}
    for protocol in exp.protocols:
        rows = [r for r in records if r["protocol"] == protocol]
        if not rows:
            continue
        ref = "both" if "both" in exp.protocols else protocol
        base = {r["seed"]: r for r in records if r["protocol"] == ref and r["noise"] == "gaussian"
                and r["epoch"] == last}
        res = {}
        for spec in exp.noises:
            mine = [r for r in rows if r["noise"] == spec and r["epoch"] == last]
            if protocol == "sampling" and spec == "gaussian":
                mine = [r for r in records if r["protocol"] == ref and r["noise"] == "gaussian" and r["epoch"] == last]
            if not mine:
                continue
            fd, fd_ci = _ci([r["fd"] for r in mine])
            d = {"fd": fd, "fd_ci95": fd_ci, "kid": _ci([r["kid"] for r in mine])[0],
                 "kid_std": sum(r["kid_std"] for r in mine) / len(mine),
                 "precision": _ci([r["precision"] for r in mine])[0], "recall": _ci([r["recall"] for r in mine])[0],
                 "seeds": len(mine), "fd_per_seed": [r["fd"] for r in mine]}
            for key in ("pixel_mean", "pixel_std", "neighbour_diff", "saturated"):
                d[key] = sum(r[key] for r in mine) / len(mine)
            for key in ("fd", "precision"):
                pairs = [r[key] - base[r["seed"]][key] for r in mine if r["seed"] in base]
                if spec != "gaussian" and len(pairs) == len(mine) and pairs:
                    diff, diff_ci = _ci(pairs)
                    d[f"{key}_minus_gaussian"] = diff
                    d[f"{key}_minus_gaussian_ci95"] = diff_ci
                    d[f"{key}_separated"] = bool(len(pairs) > 1 and (diff_ci[0] > 0 or diff_ci[1] < 0))
            if protocol == "both":
                curve = {}
                for e in exp.ddpm.checkpoints():
                    v = [r["fd"] for r in rows if r["noise"] == spec and r["epoch"] == e]
                    if v:
                        m, ci = _ci(v)
                        curve[str(e)] = {"fd": m, "fd_ci95": ci}
                d["fd_vs_epoch"] = curve
            res[spec] = d
        out[protocol] = res
    spread = out.get("both", {}).get("gaussian", {}).get("fd_per_seed", [])
    if len(spread) > 1:
        out["gaussian_seed_spread"] = [min(spread), max(spread)]
    return out


def energy_summary(noise, shape: tuple[int, ...], cfg: DDPMConfig) -> dict:
    """Device energy: noise samples per generated image and per training step times the meram_eps model's
    energy per sample (J)."""
    e = float(getattr(noise, "energy_per_sample", float("nan")))
    per_img, per_step = noise_per_image(shape, cfg.T), noise_per_step(shape, cfg.batch)
    return {"energy_per_noise_sample_J": e, "noise_per_image": per_img, "noise_per_training_step": per_step,
            "energy_per_image_J": per_img * e, "energy_per_training_step_J": per_step * e}


def load_data(exp: DDPMExperiment) -> ImageSet:
    """The experiment's images (resized, optionally a seeded stratified subset)."""
    data = load(exp.data, size=exp.size)
    if exp.n_train is not None and exp.n_train < len(data):
        g = torch.Generator().manual_seed(0)
        idx = torch.randperm(len(data), generator=g)[: int(exp.n_train)]
        data = data.subset(idx.sort().values)
    return data


def classifier_for(data: ImageSet, exp: DDPMExperiment, cache_dir, seed: int = 0):
    return train_classifier(data, seed=seed, cache_dir=cache_dir, epochs=exp.classifier_epochs)

