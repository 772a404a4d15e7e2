"""``circuitlab eval snn``: the seed's Table 1, Table 2 and Fig. 7 analogues on one event task, written to a folder.

Seed (dwmtj_p2m_snn_paper.txt): Table 1 NMNIST 98.10 baseline, 98.04 / 97.82 / 97.71 / 95.42 at
0 / 10 / 20 / 40 % variation; Fig. 7 normalised bandwidth 0.54 / 0.62 / 0.77 (NMNIST, DVS-CIFAR10,
DVS128-Gesture) and 45.3 % lower back-end energy on average; Table 2: without first-layer fine-tuning
accuracy drops sharply on a new application.

Outputs in ``out``: ``snn_results.json`` (the CLI's ``--json`` shape), ``table1.csv``, ``table1.md``,
``config.json``, ``table1.png`` (accuracy vs variation with 95 % intervals), ``bandwidth_energy.png`` and
``events.png`` (a few input streams as ON/OFF pictures).
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

import numpy as np
import torch

from ..data.event_tasks import load_events
from .resume import Cells, fingerprint_of
from .snn import FrameSet, SNNConfig, make_first, run_reprogramming, run_table1, train_snn
from .snn_energy import backend_energy
from .stats import resolve_device

__all__ = ["SNNExperiment", "quick_experiment", "run_snn_experiment", "experiment_fingerprint"]

log = logging.getLogger(__name__)

SEED_TABLE1 = {"nmnist": {"baseline": 98.10, "0": 98.04, "10": 97.82, "20": 97.71, "40": 95.42},
               "cifar10-dvs": {"baseline": 80.72, "0": 80.25, "10": 79.17, "20": 77.80, "40": 65.58},
               "gesture": {"baseline": 97.22, "0": 96.53, "10": 95.99, "20": 95.15, "40": 87.25}}
SEED_BANDWIDTH = {"nmnist": 0.54, "cifar10-dvs": 0.62, "gesture": 0.77}
SEED_ENERGY_REDUCTION = 45.3   # %, average over the three data sets


@dataclass(frozen=True)
class SNNExperiment:
    """What ``circuitlab eval snn`` runs. ``variations`` in percent; ``transfer``: a second task for the
    reprogramming experiment (None: skipped). ``seeds``: K (seeds 0..K-1) or an explicit tuple of seeds (a table
    split over processes or machines, merged by copying the cells into one folder). Fig. 7 and Table 2 train
    one network each, at seed 0 whatever the table's seeds."""
    data: str = "nmnist-synth"
    n_per_class: int = 100
    frames: int = 8
    pool: int = 1
    test_fraction: float = 0.2
    variations: Sequence[int] = (0, 10, 20, 40)
    seeds: Union[int, Sequence[int]] = 3
    l1: float = 0.01
    transfer: Optional[str] = "letters-synth"
    programmable_range: float = 0.35
    snn: SNNConfig = field(default_factory=SNNConfig)


def quick_experiment(**over) -> SNNExperiment:
    """The ``--quick`` settings: a narrow network, 40 samples per class, 2 seeds, 6 epochs (minutes on 2 cores)."""
    snn = SNNConfig(epochs=6, batch=32, lr=5e-3, channels=(16, 32, 32, 64), hidden=128, device="cpu")
    base = SNNExperiment(n_per_class=40, frames=6, seeds=2, snn=snn)
    return replace(base, **over)


def _frames(spec: str, exp: SNNExperiment, seed: int) -> tuple[FrameSet, FrameSet, object]:
    events = load_events(spec, exp.n_per_class, seed)
    fs = FrameSet.from_events(events, exp.frames, pool=exp.pool)
    train, test = fs.split(exp.test_fraction, seed)
    return train, test, events


# each synthetic family stands in for one of the seed's data sets (circuitlab.data.event_tasks)
PARALLEL = {"nmnist-synth": "nmnist", "letters-synth": "cifar10-dvs", "gesture-synth": "gesture"}


def _seed_key(name: str) -> Optional[str]:
    """The seed data set a task is compared with: itself (real data) or the one its family stands in for."""
    if name in PARALLEL:
        return PARALLEL[name]
    for k in SEED_TABLE1:
        if name.startswith(k) or name.startswith(k.split("-")[0]):
            return k
    return None


def experiment_fingerprint(exp: SNNExperiment) -> dict:
    """What a finished network's result depends on (:mod:`.resume`): every setting but the device, the seeds,
    the variation levels and the transfer task (each cell is one network named by its level and seed, or the
    reprogramming run named by its task, so a folder can be extended with more of them), and the model files
    the P2M layer reads."""
    settings = asdict(exp)
    settings["snn"].pop("device", None)
    for key in ("seeds", "variations", "transfer"):
        settings.pop(key, None)
    return fingerprint_of(settings, (exp.snn.f1, exp.snn.f2))


def run_snn_experiment(exp: SNNExperiment, out: Path, progress: Optional[Callable[[str], None]] = None,
                       resume=True) -> dict:
    """Run everything, write the files, return the JSON summary. Each trained network's result is kept in
    ``out/cells`` (:mod:`.resume`): a second call with the same settings continues where the first stopped
    (``resume=False`` starts afresh; "matching" too when the settings differ)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda m: log.info("%s", m))
    t0 = time.monotonic()
    device = resolve_device(exp.snn.device)
    cfg = replace(exp.snn, device=str(device))
    cells = Cells(out, experiment_fingerprint(exp), resume=resume)
    say(f"events: {exp.data}, {exp.n_per_class} per class")
    train, test, events = _frames(exp.data, exp, 0)
    say(f"frames {tuple(train.frames.shape)} train, {len(test)} test; device {device}")
    seeds = list(range(exp.seeds)) if isinstance(exp.seeds, int) else sorted(set(int(k) for k in exp.seeds))
    variations = [v / 100 for v in exp.variations]
    table = run_table1(train, test, cfg, variations, seeds, progress=say, cells=cells)
    summary = table.summary()

    # Fig. 7: bandwidth with and without the l1 regulariser (the model's own variation) and back-end energy
    say("Fig. 7: P2M with the l1 regulariser")
    summary.update(cells.run("fig7", lambda: _fig7(exp, cfg, train, test, 0, device, say)))
    if exp.transfer:
        say(f"Table 2: {exp.data} -> {exp.transfer}")

        def table2():
            tb_train, tb_test, _ = _frames(exp.transfer, exp, 1)
            accs = run_reprogramming((train, test), (tb_train, tb_test), cfg, None, 0, exp.programmable_range)
            return {"from": exp.data, "to": exp.transfer, **{k: round(100 * v, 3) for k, v in accs.items()}}
        summary["reprogramming"] = cells.run(f"table2-{exp.transfer}", table2)
    if cells.reused:
        say(f"resumed: {cells.reused} finished results read from {cells.dir}")
    key = _seed_key(exp.data)
    summary["seed"] = {"table1": SEED_TABLE1.get(key), "bandwidth": SEED_BANDWIDTH.get(key),
                       "energy_reduction_pct": SEED_ENERGY_REDUCTION, "data_set": key}
    summary["data"] = {"name": exp.data, "train": len(train), "test": len(test), "frames": exp.frames,
                       "sensor": [events.width, events.height], "classes": len(events.classes)}
    summary["hardware"] = {"device": str(device), "torch_threads": torch.get_num_threads()}
    summary["wall_s"] = round(time.monotonic() - t0, 1)
    _write(out, exp, summary, table, events)
    say(f"done in {summary['wall_s']} s: {out}")
    return summary


def _fig7(exp: SNNExperiment, cfg: SNNConfig, train: FrameSet, test: FrameSet, seed: int, device, say) -> dict:
    """Fig. 7 analogue: bandwidth with and without the l1 regulariser (the model's own variation) and the
    back-end energy of the baseline vs the P2M network."""
    C = train.frames.shape[2]
    l1_run = train_snn(make_first("p2m", cfg, None, C, seed), train, test, replace(cfg, l1=exp.l1), seed, progress=say)
    plain = train_snn(make_first("p2m", cfg, None, C, seed), train, test, cfg, seed, progress=say)
    base = train_snn("digital", train, test, cfg, seed, progress=say)
    probe = test.frames[: cfg.batch].to(device, torch.float32).transpose(0, 1)
    e_base = backend_energy(base.model, probe)
    e_p2m = backend_energy(l1_run.model, probe)
    first_layer = l1_run.model.first.energy(probe) / probe.shape[1]
    bandwidth = {"baseline": 1.0, "p2m": round(plain.bandwidth, 4), "p2m_l1": round(l1_run.bandwidth, 4),
                 "baseline_first_layer": round(base.bandwidth, 4), "l1": exp.l1}
    energy = {"backend_baseline_J": e_base.energy, "backend_p2m_J": e_p2m.energy,
              "backend_reduction_pct": round(100 * (1 - e_p2m.energy / e_base.energy), 2),
              "first_layer_p2m_J": first_layer, "synaptic_ops": [e_base.synaptic_ops, e_p2m.synaptic_ops],
              "first_layer_macs": [e_base.macs, e_p2m.macs],
              "backend_baseline_dense_J": e_base.energy_dense, "first_layer_macs_dense": e_base.macs_dense,
              "backend_reduction_pct_dense": round(100 * (1 - e_p2m.energy / e_base.energy_dense), 2),
              "accuracy_l1": l1_run.accuracy, "sources": "Horowitz ISSCC 2014 (45 nm): add 0.1 pJ, "
              "multiply 3.1 pJ, 32-bit SRAM read 5 pJ; the baseline's first layer as multi-bit MACs; P2M first "
              "layer from the p2m_f1/p2m_f2 model files"}
    return {"bandwidth": bandwidth, "energy": energy}


def _write(out: Path, exp: SNNExperiment, s: dict, table, events) -> None:
    cfg = asdict(exp)
    (out / "config.json").write_text(json.dumps(cfg, indent=2, default=list))
    (out / "snn_results.json").write_text(json.dumps(s, indent=2))
    seed_t1 = s["seed"]["table1"] or {}
    dep = s.get("deployed") or {"accuracy": {}, "ci95": {}, "trained_at": None}
    # (name, level key or None, accuracy, its interval)
    rows = [("baseline", None, s["baseline"], s["ci95"]["baseline"])]
    rows += [(f"P2M {k} %", k, v, s["ci95"][k]) for k, v in s["p2m"].items()]
    with open(out / "table1.csv", "w") as f:
        f.write("network,accuracy_pct,ci95_low,ci95_high,seed_pct,deployed_pct,deployed_ci95_low,deployed_ci95_high\n")
        for name, k, acc, ci in rows:
            d, dc = dep["accuracy"].get(k, ""), dep["ci95"].get(k, ["", ""])
            f.write(f"{name},{acc},{ci[0]},{ci[1]},{seed_t1.get(k or 'baseline', '')},{d},{dc[0]},{dc[1]}\n")
    md = [f"Table 1 analogue on {s['data']['name']} ({len(s['seeds'])} seeds, {s['data']['train']} train / "
          f"{s['data']['test']} test samples; mean and 95 % Student-t interval). Trained with the variation: each "
          f"network trained and tested at its level; deployed: the network trained at "
          f"{dep['trained_at']} % tested at each level, nothing retrained.", "",
          "| network | trained with the variation (%) | 95 % CI | deployed (%) | 95 % CI | seed (%) |",
          "|---|---|---|---|---|---|"]
    for name, k, a, c in rows:
        d = (f"{dep['accuracy'][k]:.2f} | {dep['ci95'][k][0]:.2f} to {dep['ci95'][k][1]:.2f}"
             if k in dep["accuracy"] else " | ")
        md.append(f"| {name} | {a:.2f} | {c[0]:.2f} to {c[1]:.2f} | {d} | {seed_t1.get(k or 'baseline', '')} |")
    bw, en = s["bandwidth"], s["energy"]
    md += ["", f"Normalised bandwidth (first-layer spikes / input events): {bw['p2m']:.3f} without, "
           f"{bw['p2m_l1']:.3f} with the l1 regulariser (seed: {s['seed']['bandwidth']}).",
           f"Back-end energy, P2M vs digital baseline: {lower_or_higher(en['backend_reduction_pct'])} with the "
           f"baseline's first layer skipping zero inputs, "
           f"{lower_or_higher(en.get('backend_reduction_pct_dense', float('nan')))} with it computed densely "
           "(seed: 45.3 % lower on average)."]
    if "reprogramming" in s:
        r = s["reprogramming"]
        md += [f"Reprogramming {r['from']} -> {r['to']}: first layer frozen {r['frozen']:.2f} %, fine-tuned in its "
               f"programmable range {r['fine-tuned']:.2f} %."]
    (out / "table1.md").write_text("\n".join(md) + "\n")
    _plots(out, s, table, events)


def lower_or_higher(pct: float) -> str:
    """A reduction in percent as text: "12.0 % lower", or "3.0 % higher" for a negative one."""
    return f"{-pct:.1f} % higher" if pct < 0 else f"{pct:.1f} % lower"


def _plots(out: Path, s: dict, table, events) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(s["p2m"])
    fig, ax = plt.subplots(figsize=(5, 3.4))
    x = [int(k) for k in keys]
    acc = [s["p2m"][k] for k in keys]
    err = np.array([[s["p2m"][k] - s["ci95"][k][0], s["ci95"][k][1] - s["p2m"][k]] for k in keys]).T
    ax.errorbar(x, acc, yerr=err, marker="o", capsize=3, label="P2M, trained with the variation (ours)")
    dep = s.get("deployed")
    if dep and all(k in dep["accuracy"] for k in keys):
        da = [dep["accuracy"][k] for k in keys]
        de = np.array([[dep["accuracy"][k] - dep["ci95"][k][0], dep["ci95"][k][1] - dep["accuracy"][k]]
                       for k in keys]).T
        ax.errorbar(x, da, yerr=de, marker="^", capsize=3, color="C3",
                    label=f"P2M trained at {dep['trained_at']} %, deployed (ours)")
    ax.axhline(s["baseline"], color="k", ls="--", label="digital baseline (ours)")
    if s["seed"]["table1"]:
        ax.plot(x, [s["seed"]["table1"].get(k, np.nan) for k in keys], "s:", color="grey", label="seed")
    ax.set_xlabel("variation (%)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "table1.png", dpi=120)
    plt.close(fig)

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(7, 3))
    bw = s["bandwidth"]
    a1.bar(["baseline", "P2M", "P2M + l1"], [1.0, bw["p2m"], bw["p2m_l1"]], color=["grey", "C0", "C1"])
    a1.set_ylabel("normalised bandwidth")
    en = s["energy"]
    names, vals = ["baseline", "P2M"], [1.0, en["backend_p2m_J"] / en["backend_baseline_J"]]
    if "backend_baseline_dense_J" in en:   # the baseline's first layer dense: P2M normalised to that baseline
        names, vals = names + ["P2M vs\ndense"], vals + [en["backend_p2m_J"] / en["backend_baseline_dense_J"]]
    a2.bar(names, vals, color=["grey", "C0", "C2"][:len(names)])
    a2.set_ylabel("normalised back-end energy")
    fig.tight_layout()
    fig.savefig(out / "bandwidth_energy.png", dpi=120)
    plt.close(fig)

    n = min(6, len(events))
    fig, axes = plt.subplots(1, n, figsize=(1.6 * n, 1.9), squeeze=False)
    for i, ax in enumerate(axes[0]):
        ev = events.streams[i]
        img = np.zeros((events.height, events.width, 3))
        np.add.at(img, (ev["y"].astype(int), ev["x"].astype(int), np.where(ev["p"] == 1, 0, 2)), 1.0)
        scale = np.percentile(img[img > 0], 95) if img.any() else 1.0
        ax.imshow(np.clip(img / scale, 0, 1), interpolation="nearest")   # red ON, blue OFF
        ax.set_title(f"{events.classes[events.labels[i]]}: {len(ev)} ev", fontsize=7)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out / "events.png", dpi=120)
    plt.close(fig)
