"""``circuitlab eval resnet``: ResNet-20 on RRAM compute-in-memory, the seed's bar chart and sweeps.

Seed (neurram_cim_slides.txt, "CIFAR-10 Classification Using ResNet-20"): ideal software (64-b weights,
3-b inputs) 87.81 %; simulated with non-idealities 25.34 %; + noise-resilient training (simulation)
85.99 %; chip measurement 83.67 %; + chip-in-the-loop fine-tuning (measurement) 85.66 %.

The five bars here, per seed (paired: one data split, one initialisation per seed):

- ``ideal``: software ResNet-20 trained with 3-bit DAC inputs (the seed's ideal model), no other effect;
- ``nonideal_untrained``: those weights in the *simulation*: weight noise sigma = noise x max|W| per layer
  (the NeuRRAM code's noise model, drawn per pass) with the DAC, the tiled ADC and sum(G) normalisation;
- ``noise_trained``: the ideal weights trained on in that same simulation (weight noise + DAC/ADC in the
  forward, straight-through gradients), evaluated in it;
- ``chip``: the noise-trained weights programmed on the "chip": the device physics of the ``rram_cim``
  model (write-verify error, relaxation sigma(G, t) from its table, read noise, IR drop, tiling, DAC,
  ADC), which the simulation only approximates -- as the seed's "simulation != measurement";
- ``finetuned``: chip-in-the-loop progressive fine-tuning (seed): program segment n (stem, each residual
  block, head), run the training set through the chip up to it, fine-tune segments n+1..N in software
  (with weight noise) on those measured outputs, then program segment n+1.

The chip's last layer (64 x 10) can be the crossbar circuit itself (``fc_chip``: sparse nodal solve or
ngspice, supplied by the CLI). Sweeps on the noise-trained chip: accuracy vs time after programming, vs
ADC bits, vs wire resistance.
"""
from __future__ import annotations

import copy
import json
import logging
import math
import platform
import time
import zlib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..data.catalogue import load
from ..data.cifar10 import load_cifar10
from ..data.transforms import resize, split
from ..errors import ConfigError
from ..nn.resnet20 import ResNet20
from ..nn.rram_convert import calibrate, convert, rram_layers, set_config, set_generator, set_train_noise
from ..nn.rram_layers import IDEAL, RRAMConfig
from ..nn.rram_mapping import RRAMDevice
from .resume import Cells, fingerprint_of
from .stats import mean_ci95, resolve_device

__all__ = ["ResNetExperiment", "quick_experiment", "run_resnet_experiment", "SEED_BARS", "BARS"]

log = logging.getLogger(__name__)

SEED_BARS = {"ideal": 87.81, "nonideal_untrained": 25.34, "noise_trained": 85.99, "chip": 83.67,
             "finetuned": 85.66}   # %, seed slide "CIFAR-10 Classification Using ResNet-20"
BARS = tuple(SEED_BARS)
LABELS = {"ideal": "ideal software\n(3-b inputs)", "nonideal_untrained": "simulated\nnon-idealities",
          "noise_trained": "+ noise-resilient\ntraining (sim.)", "chip": "chip\n(behavioural)",
          "finetuned": "+ chip-in-the-loop\nfine-tuning"}


@dataclass(frozen=True)
class ResNetExperiment:
    """What ``circuitlab eval resnet`` runs (times in s, resistances in ohm)."""
    data: str = "colour-mnist"          # or cifar10:PATH
    size: int = 32
    n_train: int = 4000
    n_test: int = 1000
    seeds: int = 3
    width: int = 1
    epochs: int = 30
    noise_epochs: int = 15
    finetune_epochs: int = 2
    batch: int = 64
    lr: float = 2e-3
    noise: float = 0.1                  # sigma = noise x max|W| (NeuRRAM code: 0.1-0.2)
    dac_bits: int = 3
    adc_bits: int = 4
    r_wire: float = 1.0
    t_program: float = 1800.0           # s, "30 mins after programming"
    model: str = "rram_cim"
    device: str = "auto"
    sim_repeats: int = 2
    sweep_times: Sequence[float] = (1.0, 60.0, 1800.0, 86400.0)
    sweep_adc_bits: Sequence[int] = (2, 3, 4, 5, 6, 8)
    sweep_r_wire: Sequence[float] = (0.0, 0.5, 1.0, 2.0, 5.0)

    def chip_config(self, **over) -> RRAMConfig:
        return replace(RRAMConfig(dac_bits=self.dac_bits, adc_bits=self.adc_bits, r_wire=self.r_wire,
                                  t=self.t_program), **over)


def quick_experiment(**over) -> ResNetExperiment:
    """``--quick``: 16x16 images, 2,500 training images, 2 seeds, short schedules (about 3 CPU-minutes)."""
    base = ResNetExperiment(size=16, n_train=2500, n_test=600, seeds=2, epochs=14, noise_epochs=6, finetune_epochs=1,
                            lr=3e-3, sim_repeats=1, sweep_times=(1.0, 1800.0, 86400.0), sweep_adc_bits=(2, 3, 4, 6),
                            sweep_r_wire=(0.0, 1.0, 5.0))
    return replace(base, **over)


# ---- data ------------------------------------------------------------------------------------------------------
def load_task(exp: ResNetExperiment, seed: int):
    """(x_train, y_train, x_test, y_test) for one seed: a stratified split of colour-mnist (generated with
    the seed), or the CIFAR-10 training/test batches at cifar10:PATH (subsampled, seeded)."""
    if exp.data.startswith("cifar10:"):
        path = exp.data.split(":", 1)[1]
        tr, te = load_cifar10(path, train=True), load_cifar10(path, train=False)
        g = np.random.default_rng(seed)
        tr = tr.subset(g.permutation(len(tr))[:exp.n_train])
        te = te.subset(g.permutation(len(te))[:exp.n_test])
    elif exp.data == "colour-mnist":
        total = exp.n_train + exp.n_test
        if exp.n_train < 10 or exp.n_test < 1 or total > 5000:
            raise ConfigError(f"colour-mnist has 5,000 images: need n_train >= 10, n_test >= 1 and "
                              f"n_train + n_test <= 5000 (got {exp.n_train} + {exp.n_test})")
        data = load("colour-mnist", size=exp.size, seed=seed, n=total)
        frac = exp.n_train / total
        tr, te = split(data, (frac, 1 - frac), seed=seed)
        te = te.subset(np.random.default_rng(seed + 1).permutation(len(te))[:exp.n_test])
    else:
        raise ConfigError(f"--data {exp.data!r}: use colour-mnist or cifar10:PATH (the python pickle batches)")
    tr = tr.subset(np.random.default_rng(seed + 2).permutation(len(tr)))   # shuffled: x[:256] calibrates
    if exp.size != tr.images.shape[-1]:
        tr, te = resize(tr, exp.size), resize(te, exp.size)
    return tr.images, tr.labels, te.images, te.labels


# ---- training and evaluation ------------------------------------------------------------------------------------
def _batches(n, batch, gen):
    perm = torch.randperm(n, generator=gen)
    return [perm[i:i + batch] for i in range(0, n, batch)]


def train(model: nn.Module, x, y, epochs: int, lr: float, batch: int, gen: torch.Generator, device,
          calib: Optional[torch.Tensor] = None, shift: int = 0, calib_every: int = 25) -> nn.Module:
    """Adam with a one-cycle schedule; the DAC/ADC ranges are re-calibrated on ``calib`` every
    ``calib_every`` steps (activations move while training); each batch is shifted by up to ``shift`` pixels
    (one random circular shift per batch; images only)."""
    params = [p for p in model.parameters() if p.requires_grad]
    if epochs <= 0 or not params:
        return model
    opt = torch.optim.Adam(params, lr=lr, weight_decay=1e-4)
    steps = epochs * math.ceil(len(x) / batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    step = 0
    for _ in range(epochs):
        model.train()
        for idx in _batches(len(x), batch, gen):
            if calib is not None and step % calib_every == 0:
                calibrate(model, [calib.to(device)], train_mode=True)
                model.train()
            step += 1
            xb, yb = x[idx].to(device), y[idx].to(device)
            if shift:
                dy, dx = (int(v) for v in torch.randint(-shift, shift + 1, (2,), generator=gen))
                xb = torch.roll(xb, (dy, dx), (2, 3))
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return model


@torch.no_grad()
def accuracy(model: nn.Module, x, y, device, batch: int = 256, repeats: int = 1) -> float:
    model.eval()
    correct = 0
    for _ in range(repeats):
        for i in range(0, len(x), batch):
            correct += int((model(x[i:i + batch].to(device)).argmax(1).cpu() == y[i:i + batch]).sum())
    return correct / (len(x) * repeats)


def _layer_seed(seed: int, name: str) -> int:
    return (seed * 1_000_003 + zlib.crc32(name.encode())) % (2 ** 63)


def program_named(model: nn.Module, names, seed: int, t: Optional[float] = None) -> None:
    """Program the named RRAM layers, each with its own generator seeded by (seed, name): the same layer gets
    the same conductance draw whether it is programmed alone or with the others."""
    names = set(names)
    for name, m in rram_layers(model):
        if name in names:
            dev = m.weight.device
            m.program(t=t, generator=torch.Generator(device=dev).manual_seed(_layer_seed(seed, name)))


def _last_linear(model):
    return [m for _, m in rram_layers(model) if isinstance(m, nn.Linear)][-1]


def chip_model(trained: nn.Module, cfg: RRAMConfig, calib, seed: int, device, fc_chip=None) -> nn.Module:
    """The trained network programmed on the chip: chip configuration, ranges calibrated on ``calib``,
    every layer programmed (per-layer generators), read noise seeded; ``fc_chip`` computes the last layer."""
    m = copy.deepcopy(trained)
    set_config(m, cfg)
    set_train_noise(m, 0.0)
    calibrate(m, [calib.to(device)])
    program_named(m, [n for n, _ in rram_layers(m)], seed)
    set_generator(m, torch.Generator(device=device).manual_seed(seed + 17))
    _last_linear(m).chip = fc_chip
    return m


def chip_in_the_loop(trained: nn.Module, cfg: RRAMConfig, x, y, exp: ResNetExperiment, seed: int, device,
                     gen: torch.Generator, fc_chip=None) -> nn.Module:
    """Seed: "program the weights of layer-n, and run inference; use the measured outputs from layer-n to
    finetune the weights of the rest of layers (not on chip yet)". Steps over ResNet20.segments()."""
    m = copy.deepcopy(trained)
    set_config(m, cfg)
    set_train_noise(m, exp.noise)
    set_generator(m, torch.Generator(device=device).manual_seed(seed + 17))
    calib = x[:256]
    calibrate(m, [calib.to(device)])
    segs = m.segments()
    h = x
    for k, seg in enumerate(segs):
        names = [f"{n}" for n, layer in rram_layers(m) if any(layer is q for q in seg.modules())]
        program_named(m, names, seed)
        seg.eval()
        with torch.no_grad():
            h = torch.cat([seg(h[i:i + 256].to(device)).cpu() for i in range(0, len(h), 256)])
        rest = segs[k + 1:]
        if not rest:
            break
        tail = nn.Sequential(*rest)
        train(tail, h, y, exp.finetune_epochs, exp.lr / 3, exp.batch, gen, device, calib=h[:256])
        calibrate(tail, [h[:256].to(device)])
    set_train_noise(m, 0.0)
    _last_linear(m).chip = fc_chip
    return m


# ---- one seed -------------------------------------------------------------------------------------------------------
def run_seed(exp: ResNetExperiment, seed: int, device, progress: Callable = lambda m: None, fc_chip=None) -> dict:
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x, y, xt, yt = load_task(exp, seed)
    dev_model = RRAMDevice.from_model(exp.model)
    calib = x[:256]
    t0 = time.perf_counter()
    res: Dict[str, object] = {"seed": seed}

    net = ResNet20(classes=10, in_channels=x.shape[1], width=exp.width)
    ideal = convert(net, dev_model, IDEAL).to(device)
    shift = max(1, exp.size // 16)
    qat = min(2, max(1, exp.epochs // 4))           # float training, then 3-bit-input (DAC) aware epochs
    train(ideal, x, y, exp.epochs - qat, exp.lr, exp.batch, gen, device, shift=shift)
    set_config(ideal, IDEAL.only(dac_bits=exp.dac_bits))
    train(ideal, x, y, qat, exp.lr / 3, exp.batch, gen, device, calib=calib, shift=shift)
    calibrate(ideal, [calib.to(device)])
    res["ideal"] = accuracy(ideal, xt, yt, device)
    progress(f"seed {seed}: ideal {res['ideal']:.3f} ({time.perf_counter() - t0:.0f} s)")

    sim_cfg = exp.chip_config()
    sim = copy.deepcopy(ideal)
    set_config(sim, sim_cfg)
    set_train_noise(sim, exp.noise)
    set_generator(sim, torch.Generator(device=device).manual_seed(seed + 5))
    calibrate(sim, [calib.to(device)])
    res["nonideal_untrained"] = accuracy(sim, xt, yt, device, repeats=exp.sim_repeats)
    progress(f"seed {seed}: simulated non-idealities, untrained {res['nonideal_untrained']:.3f}")

    noisy = copy.deepcopy(sim)
    set_generator(noisy, None)
    train(noisy, x, y, exp.noise_epochs, exp.lr, exp.batch, gen, device, calib=calib, shift=shift)
    set_generator(noisy, torch.Generator(device=device).manual_seed(seed + 5))
    calibrate(noisy, [calib.to(device)])
    res["noise_trained"] = accuracy(noisy, xt, yt, device, repeats=exp.sim_repeats)
    progress(f"seed {seed}: noise-trained (simulation) {res['noise_trained']:.3f} ({time.perf_counter() - t0:.0f} s)")

    chip = chip_model(noisy, sim_cfg, calib, seed, device, fc_chip)
    res["chip"] = accuracy(chip, xt, yt, device)
    progress(f"seed {seed}: chip {res['chip']:.3f}")

    ft = chip_in_the_loop(noisy, sim_cfg, x, y, exp, seed, device, gen, fc_chip)
    res["finetuned"] = accuracy(ft, xt, yt, device)
    progress(f"seed {seed}: chip-in-the-loop fine-tuned {res['finetuned']:.3f} ({time.perf_counter() - t0:.0f} s)")

    sweeps = {"time_s": {}, "adc_bits": {}, "r_wire_ohm": {}}
    for t in exp.sweep_times:
        sweeps["time_s"][f"{t:g}"] = accuracy(chip_model(noisy, replace(sim_cfg, t=t), calib, seed, device), xt, yt, device)
    for b in exp.sweep_adc_bits:
        sweeps["adc_bits"][str(b)] = accuracy(chip_model(noisy, replace(sim_cfg, adc_bits=b), calib, seed, device),
                                              xt, yt, device)
    for r in exp.sweep_r_wire:
        sweeps["r_wire_ohm"][f"{r:g}"] = accuracy(chip_model(noisy, replace(sim_cfg, r_wire=r), calib, seed, device),
                                                  xt, yt, device)
    res["sweeps"] = sweeps
    res["seconds"] = time.perf_counter() - t0
    progress(f"seed {seed}: sweeps done ({res['seconds']:.0f} s)")
    return res


# ---- the whole experiment ---------------------------------------------------------------------------------------------
def summarise(runs: List[dict], exp: ResNetExperiment) -> dict:
    out: Dict[str, object] = {}
    ci = {}
    for k in BARS:
        m, lo, hi = mean_ci95([r[k] for r in runs])
        out[k], ci[k] = m, [lo, hi]
    out["ci95"] = ci
    out["per_seed"] = {k: [r[k] for r in runs] for k in BARS}
    sw = {}
    for axis in ("time_s", "adc_bits", "r_wire_ohm"):
        sw[axis] = {}
        for key in runs[0]["sweeps"][axis]:
            m, lo, hi = mean_ci95([r["sweeps"][axis][key] for r in runs])
            sw[axis][key] = {"mean": m, "ci95": [lo, hi]}
    out["sweeps"] = sw
    out["seed_reference_percent"] = dict(SEED_BARS)
    out["seeds"] = len(runs)
    return out


def run_resnet_experiment(exp: ResNetExperiment, out_dir, progress: Callable = lambda m: None,
                          fc_chip=None, resume=True) -> dict:
    """Run every seed, write JSON/CSV/Markdown and plots to ``out_dir``; return the JSON summary. Each
    finished seed is kept in ``out_dir/cells`` (:mod:`.resume`): a second call with the same settings
    continues at the next seed (``resume=False`` starts afresh; "matching" too when the settings differ)."""
    if exp.seeds < 1:
        raise ConfigError(f"seeds={exp.seeds}: at least 1 (3 or more for confidence intervals)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(exp.device)
    t0 = time.perf_counter()
    settings = {k: v for k, v in asdict(exp).items() if k != "device"}
    settings["fc_chip"] = repr(fc_chip)
    cells = Cells(out, fingerprint_of(settings, (exp.model,)), resume=resume)
    runs = [cells.run(f"seed{s}", lambda s=s: run_seed(exp, s, device, progress, fc_chip)) for s in range(exp.seeds)]
    if cells.reused:
        progress(f"resumed: {cells.reused} finished seeds read from {cells.dir}")
    summary = summarise(runs, exp)
    summary["elapsed_s"] = time.perf_counter() - t0
    summary["hardware"] = {"device": str(device), "torch_threads": torch.get_num_threads(),
                           "machine": platform.machine(), "processor": platform.processor() or platform.machine()}
    summary["fc_chip"] = repr(fc_chip) if fc_chip is not None else "behavioural"
    summary["config"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(exp).items()}
    (out / "resnet_results.json").write_text(json.dumps(summary, indent=2))
    (out / "runs.json").write_text(json.dumps(runs, indent=2))
    _tables(summary, out)
    _plots(summary, out)
    return summary


def _tables(s: dict, out: Path) -> None:
    rows = ["| bar | accuracy % (mean) | 95 % CI | seed % |", "|---|---|---|---|"]
    csv = ["bar,accuracy,ci_low,ci_high,seed_percent"]
    for k in BARS:
        lo, hi = s["ci95"][k]
        rows.append(f"| {LABELS[k].replace(chr(10), ' ')} | {100 * s[k]:.2f} | {100 * lo:.2f}-{100 * hi:.2f} | "
                    f"{SEED_BARS[k]:.2f} |")
        csv.append(f"{k},{s[k]:.6f},{lo:.6f},{hi:.6f},{SEED_BARS[k]}")
    c = s["config"]
    rows.append(f"\n{s['seeds']} seeds, {c['data']} {c['size']}x{c['size']}, {c['n_train']} train / {c['n_test']} test, "
                f"DAC {c['dac_bits']} b, ADC {c['adc_bits']} b, r_wire {c['r_wire']} ohm, t {c['t_program']:g} s, "
                f"noise {c['noise']}; {s['elapsed_s']:.0f} s on {s['hardware']['device']}")
    (out / "table.md").write_text("\n".join(rows) + "\n")
    (out / "table.csv").write_text("\n".join(csv) + "\n")


def _plots(s: dict, out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    xs = np.arange(len(BARS))
    m = np.array([100 * s[k] for k in BARS])
    err = np.array([[m[i] - 100 * s["ci95"][k][0], 100 * s["ci95"][k][1] - m[i]] for i, k in enumerate(BARS)]).T
    ax.bar(xs - 0.2, m, 0.4, yerr=err, capsize=3, label="circuitlab (mean, 95 % CI)")
    ax.bar(xs + 0.2, [SEED_BARS[k] for k in BARS], 0.4, alpha=0.5, label="seed (CIFAR-10, NeuRRAM)")
    ax.set_xticks(xs, [LABELS[k] for k in BARS], fontsize=7)
    ax.set_ylabel("accuracy (%)")
    ax.legend(fontsize=7)
    ax.set_title(f"ResNet-20 on RRAM CIM ({s['config']['data'].split(':')[0]})", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "bars.png", dpi=120)
    plt.close(fig)
    for axis, xlabel, fname, logx in (("time_s", "time after programming (s)", "sweep_time.png", True),
                                      ("adc_bits", "ADC bits", "sweep_adc_bits.png", False),
                                      ("r_wire_ohm", "wire resistance per segment (ohm)", "sweep_r_wire.png", False)):
        d = s["sweeps"][axis]
        xv = np.array([float(k) for k in d])
        mv = np.array([100 * d[k]["mean"] for k in d])
        lo = np.array([100 * d[k]["ci95"][0] for k in d])
        hi = np.array([100 * d[k]["ci95"][1] for k in d])
        fig, ax = plt.subplots(figsize=(4.2, 3.0))
        ax.plot(xv, mv, "o-")
        ax.fill_between(xv, lo, hi, alpha=0.25)
        if logx:
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("chip accuracy (%)")
        ax.set_title("noise-trained ResNet-20 on the chip", fontsize=8)
        fig.tight_layout()
        fig.savefig(out / fname, dpi=120)
        plt.close(fig)
