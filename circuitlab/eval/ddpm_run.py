"""``circuitlab eval ddpm``: run the Fig. 4b experiment (and the letter demo) and write its folder.

Outputs in ``out``: ``ddpm_results.json`` (the CLI's ``--json`` shape plus details), ``records.csv``
(one row per evaluation), ``quality_table.csv`` and ``quality_table.md`` (last epoch, per protocol and
noise source, with the device energy beside them), ``config.json``, ``fd_vs_epoch.png`` (Fig. 4b
analogue), ``quality_bars.png``, ``samples_<protocol>_<noise>.png`` (first seed), ``letters.png`` (the
letter demo), ``weights/<noise>-seed0.pt`` (the first seed's state dicts, read with
``torch.load(weights_only=True)``) and the classifier cache under ``cache/classifiers``.
"""
from __future__ import annotations

import csv
import json
import logging
import re
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch

from ..nn import parse_noise
from .ddpm_experiment import (DDPMExperiment, classifier_for, energy_summary, load_data, run_grid, summarise)
from .ddpm_letters import run_letter_demo
from .features import default_cache_dir
from .metrics import metric_name
from .resume import Cells, fingerprint_of
from .stats import resolve_device

__all__ = ["run_ddpm_experiment", "SEED_FID"]

log = logging.getLogger(__name__)

#: Fig. 4b after 100 epochs (CelebA-HQ 64x64, Inception FID): MeRAM 13.1, software Gaussian 12.1
SEED_FID = {"meram": 13.1, "gaussian": 12.1}


def short_label(spec: str) -> str:
    """A noise spec for a plot label: a model path keeps only its file name ('meram:eps.h5')."""
    name, sep, value = spec.partition(":")
    return f"{name}:{Path(value).name}" if ("/" in value or "\\" in value) else spec


def file_stem(spec: str) -> str:
    """A noise spec as a file name: 'meram:/a/b/eps.h5' -> 'meram_eps' (a path keeps only its stem)."""
    name, _, value = spec.partition(":")
    if "/" in value or "\\" in value:
        value = Path(value).stem
    return re.sub(r"[^\w.-]", "_", f"{name}_{value}" if value else name)


#: the letter demo's settings: recorded in its own cell instead of the folder's fingerprint
LETTER_SETTINGS = ("letters", "letter_size", "letter_n", "letter_steps")


def experiment_fingerprint(exp: DDPMExperiment) -> dict:
    """What a finished run depends on (:mod:`.resume`): every setting but the device and the lists of noise
    sources, seeds and protocols and the letter demo's settings (each cell is one (protocol, noise, seed) run,
    named by its key, so a folder can be extended with more sources or seeds; the letter demo's cell records
    its settings and is run again for others), and the MeRAM model files the noise sources and the letter
    demo read (meram_eps always, a user's file when named)."""
    settings = asdict(exp)
    for key in ("device", "noises", "seeds", "protocols", *LETTER_SETTINGS):
        settings.pop(key, None)
    models = {"meram_eps"}
    models |= {n.partition(":")[2] for n in exp.noises if n.startswith("meram") and ":" in n}
    return fingerprint_of(settings, sorted(models))


def run_ddpm_experiment(exp: DDPMExperiment, out, progress: Optional[Callable[[str], None]] = None,
                        bar: bool = False, resume=True) -> dict:
    """Run everything, write the files, return the JSON summary. Each finished (protocol, noise, seed) run
    and the letter demo are kept in ``out/cells`` (:mod:`.resume`): a second call with the same settings
    continues where the first stopped (``resume=False`` starts afresh; "matching" too when the settings differ)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda m: log.info("%s", m))
    t0, c0 = time.monotonic(), time.process_time()
    device = resolve_device(exp.device)
    cells = Cells(out, experiment_fingerprint(exp), resume=resume)
    data = load_data(exp)
    cache = default_cache_dir(out)
    clf = classifier_for(data, exp, cache)
    metric = metric_name(data.name)
    say(f"data {data.name}: {len(data)} images {data.shape}; classifier test accuracy "
        f"{100 * clf.test_accuracy:.1f} %{' (cached)' if clf.from_cache else ''}; device {device}")
    records, firsts = run_grid(exp, data, clf, device=device, say=say, bar=bar, cells=cells)
    summary = summarise(records, exp, metric)
    meram = parse_noise("meram")
    energy = energy_summary(meram, data.shape, exp.ddpm)
    results = {k: {"fd": v["fd"], "fd_ci95": v["fd_ci95"], "kid": v["kid"], "kid_std": v["kid_std"],
                   "precision": v["precision"], "recall": v["recall"],
                   **{k2: v[k2] for k2 in ("fd_minus_gaussian", "fd_minus_gaussian_ci95", "precision_minus_gaussian",
                                          "precision_minus_gaussian_ci95") if k2 in v}}
               for k, v in (summary.get("both") or summary.get(exp.protocols[0], {})).items()}
    s = {"metric": metric, "results": results, "protocols": summary,
         "classifier": {"test_accuracy": clf.test_accuracy, "n_train": clf.n_train, "n_test": clf.n_test,
                        "from_cache": clf.from_cache},
         "energy": energy, "seed": {"fid_after_100_epochs": SEED_FID, "note": "Inception FID on CelebA-HQ 64x64; "
                                    "not comparable in value with FD on a small classifier's features"},
         "data": {"name": data.name, "images": len(data), "shape": list(data.shape), "licence": data.licence}}
    if exp.letters:
        settings = {k: getattr(exp, k) for k in LETTER_SETTINGS}
        demo = cells.get_tensors("letters") if cells.get("letters") == settings else None
        if demo is None:
            demo = run_letter_demo(exp.letters, exp.letter_size, exp.letter_n, exp.letter_steps, device=device,
                                   cache_dir=cache, say=say)
            demo = {k: v for k, v in demo.items() if k != "config"}          # plain values: loadable safely
            demo["samples"] = {n: {L: x.cpu() for L, x in d.items()} for n, d in demo["samples"].items()}
            cells.put_tensors("letters", demo)
            cells.put("letters", settings)
        s["letters"] = {k: v for k, v in demo.items() if k not in ("samples", "config")}
    s["hardware"] = {"device": str(device), "torch_threads": torch.get_num_threads()}
    last = [r for r in records if r["epoch"] == exp.ddpm.epochs and r["protocol"] == "both"]
    s["runs"] = {"trained": len(last), "train_s": round(sum(r["train_s"] for r in last), 1),
                 "evaluations": len(records), "sample_s": round(sum(r["sample_s"] for r in records), 1)}
    s["wall_s"] = round(time.monotonic() - t0, 1)
    s["cpu_s"] = round(time.process_time() - c0, 1)
    _write(out, exp, s, records, firsts, demo if exp.letters else None)
    say(f"done in {s['wall_s']} s wall, {s['cpu_s']} s CPU: {out}")
    return s


def _write(out: Path, exp: DDPMExperiment, s: dict, records: list, firsts: dict, demo) -> None:
    (out / "config.json").write_text(json.dumps(asdict(exp), indent=2, default=list))
    (out / "ddpm_results.json").write_text(json.dumps(s, indent=2))
    with open(out / "records.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(records[0]))
        w.writeheader()
        w.writerows(records)
    wdir = out / "weights"
    wdir.mkdir(exist_ok=True)
    for (kind, spec), obj in firsts.items():
        if kind == "model":
            torch.save({"config": obj.model.config(), "T": obj.schedule.T, "state_dict": obj.model.state_dict()},
                       wdir / f"{file_stem(spec)}-seed0.pt")
    e = s["energy"]
    cols = ["protocol", "noise", "fd", "fd_ci95_low", "fd_ci95_high", "fd_minus_gaussian", "diff_ci95_low",
            "diff_ci95_high", "kid", "kid_std", "precision", "recall", "neighbour_diff", "seeds",
            "precision_minus_gaussian", "pdiff_ci95_low", "pdiff_ci95_high"]
    rows = []
    for protocol, res in s["protocols"].items():
        if not isinstance(res, dict):
            continue
        for spec, v in res.items():
            rows.append([protocol, spec, v["fd"], *v["fd_ci95"], v.get("fd_minus_gaussian", ""),
                         *(v.get("fd_minus_gaussian_ci95") or ["", ""]), v["kid"], v["kid_std"], v["precision"],
                         v["recall"], v["neighbour_diff"], v["seeds"], v.get("precision_minus_gaussian", ""),
                         *(v.get("precision_minus_gaussian_ci95") or ["", ""])])
    with open(out / "quality_table.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        w.writerows(rows)
    m = s["metric"]
    md = [f"{m} (Frechet distance on the project classifier's features, test accuracy "
          f"{100 * s['classifier']['test_accuracy']:.1f} %), {exp.seeds} paired seeds, mean and 95 % Student-t "
          f"interval after {exp.ddpm.epochs} epochs, T = {exp.ddpm.T}, {exp.ddpm.n_samples} samples. "
          "both: every draw from the source; sampling: the Gaussian-trained model sampled with the source.", "",
          f"| protocol | noise | {m} | 95 % CI | minus gaussian (paired) | 95 % CI | KID | precision | recall "
          "| precision minus gaussian (paired, 95 % CI) |",
          "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        diff = "" if r[5] == "" else f"{r[5]:+.2f}"
        dci = "" if r[6] == "" else f"{r[6]:+.2f} to {r[7]:+.2f}"
        pd = "" if r[14] == "" else f"{r[14]:+.3f} ({r[15]:+.3f} to {r[16]:+.3f})"
        md.append(f"| {r[0]} | {r[1]} | {r[2]:.2f} | {r[3]:.2f} to {r[4]:.2f} | {diff} | {dci} | {r[8]:.3g} "
                  f"| {r[10]:.3f} | {r[11]:.3f} | {pd} |")
    md += ["", f"Device energy (meram_eps model, {e['energy_per_noise_sample_J'] * 1e12:.3f} pJ per noise sample): "
           f"{e['noise_per_image']} samples = {e['energy_per_image_J'] * 1e9:.3f} nJ per generated image, "
           f"{e['noise_per_training_step']} samples = {e['energy_per_training_step_J'] * 1e9:.3f} nJ per training "
           f"step (batch {exp.ddpm.batch}).",
           f"Seed (Fig. 4b, Inception FID on CelebA-HQ after 100 epochs): MeRAM 13.1, software 12.1.",
           f"This call: wall time {s['wall_s']} s, CPU time {s['cpu_s']} s on {s['hardware']['device']}. All runs "
           f"in the table (whichever call made them, from their records): {s['runs']['trained']} models trained in "
           f"{s['runs']['train_s']:.0f} s, {s['runs']['evaluations']} evaluations sampled in "
           f"{s['runs']['sample_s']:.0f} s."]
    if "letters" in s:
        L = s["letters"]
        md += ["", f"Letter demo (P-state coordinates on the {L['size']}x{L['size']} array, T = {L['T']}, "
               f"{L['steps']} steps per letter): classified as the trained letter / precision / coverage: "
               + "; ".join(f"{n}: " + ", ".join(f"{k} {100 * f:.0f} % / {L['precision'][n][k]:.2f} / "
                                                f"{L['coverage'][n][k]:.2f}" for k, f in fr.items())
                           for n, fr in L["fraction"].items())]
    (out / "quality_table.md").write_text("\n".join(md) + "\n")
    _plots(out, s, firsts, demo)


def _grid(ax, imgs: torch.Tensor, n: int = 8) -> None:
    x = imgs[: n * n, 0].numpy()
    k = int(np.ceil(len(x) / n))
    h, w = x.shape[1:]
    canvas = np.ones((k * (h + 1), n * (w + 1)))
    for i, im in enumerate(x):
        r, c = divmod(i, n)
        canvas[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = im
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.axis("off")


def _plots(out: Path, s: dict, firsts: dict, demo) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    both = s["protocols"].get("both", {})
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    if not both:   # the sampling protocol alone has no training curves
        ax.text(0.5, 0.5, "no training curves: run with --protocol both", ha="center", transform=ax.transAxes)
    for i, (spec, v) in enumerate(both.items()):
        ep = [int(e) for e in v["fd_vs_epoch"]]
        fd = [v["fd_vs_epoch"][str(e)]["fd"] for e in ep]
        lo = [v["fd_vs_epoch"][str(e)]["fd_ci95"][0] for e in ep]
        hi = [v["fd_vs_epoch"][str(e)]["fd_ci95"][1] for e in ep]
        x = np.array(ep) + 0.08 * (i - len(both) / 2)
        ax.errorbar(x, fd, yerr=[np.subtract(fd, lo), np.subtract(hi, fd)], marker="o", ms=3, capsize=2, label=spec)
    ax.set_xlabel("training epochs")
    ax.set_ylabel(s["metric"] + " (lower is better)")
    ax.set_yscale("log")
    if both:
        ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(out / "fd_vs_epoch.png", dpi=120)
    plt.close(fig)

    prots = [p for p, r in s["protocols"].items() if isinstance(r, dict)]
    fig, axes = plt.subplots(1, len(prots), figsize=(4.2 * len(prots), 3.4), squeeze=False)
    for ax, p in zip(axes[0], prots):
        res = s["protocols"][p]
        names = list(res)
        fd = [res[n]["fd"] for n in names]
        err = np.array([[res[n]["fd"] - res[n]["fd_ci95"][0], res[n]["fd_ci95"][1] - res[n]["fd"]] for n in names]).T
        ax.bar(range(len(names)), fd, yerr=err, capsize=3,
               color=["grey" if n == "gaussian" else "C0" if n.startswith("meram") else "C1" for n in names])
        ax.set_xticks(range(len(names)), [short_label(n) for n in names], rotation=45, ha="right", fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel(s["metric"])
        ax.set_title(f"protocol: {p}", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "quality_bars.png", dpi=120)
    plt.close(fig)

    for (kind, spec), imgs in firsts.items():
        if kind in ("gaussian-model", "model"):
            continue
        fig, ax = plt.subplots(figsize=(3, 3))
        _grid(ax, imgs)
        ax.set_title(f"{short_label(spec)} ({kind})", fontsize=8)
        fig.tight_layout()
        fig.savefig(out / f"samples_{kind}_{file_stem(spec)}.png", dpi=120)
        plt.close(fig)

    if demo is not None:
        noises = list(demo["samples"])
        letters = list(demo["samples"][noises[0]])
        fig, axes = plt.subplots(len(noises), len(letters), figsize=(2.2 * len(letters), 2.3 * len(noises)),
                                 squeeze=False)
        for i, n in enumerate(noises):
            for j, L in enumerate(letters):
                _grid(axes[i][j], demo["samples"][n][L], n=4)
                axes[i][j].set_title(f"{short_label(n)}: {L} ({100 * demo['fraction'][n][L]:.0f} %, precision "
                                     f"{demo['precision'][n][L]:.2f})", fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "letters.png", dpi=120)
        plt.close(fig)
