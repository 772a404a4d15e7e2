"""``circuitlab eval ddpm``: the MeRAM-noise DDPM experiments (meram_diffusion_paper.txt, Figs. 3c and 4b).
Registered under ``circuitlab eval`` by cmd_eval.py; torch is imported only when it runs."""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from ..errors import ConfigError


def register(esub) -> None:
    p = esub.add_parser("ddpm", help="DDPM with MeRAM noise: quality vs epochs per noise source (Fig. 4b), letter demo")
    p.add_argument("--data", default=None, help="mnist (MNIST 5k, default), digits, letters, or a PATH (IDX files "
                   "or a folder of images)")
    p.add_argument("--noise", default=None, help="comma-separated noise sources (default: all ten; --quick: "
                   "gaussian,meram,scaled:2), e.g. gaussian,meram,meram-stream,meram-exact,uniform,rademacher,"
                   "quantised:4,scaled:0.5,scaled:2,biased:0.2")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default 30; --quick 15)")
    p.add_argument("--seeds", type=int, default=None, help="seeds 0..K-1, paired across noise sources (default 3)")
    p.add_argument("--steps", type=int, default=None, help="diffusion steps T (default 1000; --quick 50)")
    p.add_argument("--samples", type=int, default=None, help="images generated per evaluation (default 2000; --quick 1000)")
    p.add_argument("--size", type=int, default=None, help="resize the images to SIZE x SIZE pixels")
    p.add_argument("--eval-epochs", default=None, help="comma-separated epochs before the last at which to evaluate "
                   "(the quality-vs-epoch curve; default 5,10,20; --quick 5), 'none' for the last only")
    p.add_argument("--curve-samples", type=int, default=None, help="images per evaluation before the last epoch "
                   "(default: as --samples; --quick 500)")
    p.add_argument("--base", type=int, default=None, help="U-Net channels at full resolution (default 32; --quick 16)")
    p.add_argument("--mults", default=None, help="U-Net channel multipliers per resolution, e.g. 1,2 (default 1,2,2; "
                   "--quick 1,2)")
    p.add_argument("--protocol", default=None, help="both (every draw from the source), sampling (Gaussian-trained "
                   "model sampled with the source) or both,sampling (default)")
    p.add_argument("--letters", default=None, help="letters of the letter demo (default UCLA; --quick: none), 'none' skips it")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="auto: CUDA when present, else the CPU (default)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--quick", action="store_true", help="digits, T = 50, 15 epochs, gaussian/meram/scaled:2, "
                   "5 seeds: under 5 minutes on 2 free CPU cores")
    p.add_argument("--out", type=Path, required=True, help="output folder (JSON, CSV, Markdown, plots, weights); a "
                   "run stopped part-way continues there with the same settings (finished runs in OUT/cells)")
    p.add_argument("--fresh", action="store_true", help="discard finished runs kept in OUT/cells")
    p.add_argument("--json", action="store_true",
                   help='print only {"metric", "results": {noise: {"fd", "fd_ci95", "kid", "precision", "recall"}}, ...}')
    p.set_defaults(func=run)


def _positive(args, flag: str):
    v = getattr(args, flag)
    if v is not None and v < 1:
        raise ConfigError(f"--{flag.replace('_', '-')} {v}: must be at least 1")
    return v


def _int_list(text: str, flag: str, allow_none: bool = False) -> tuple:
    if allow_none and text.strip().lower() == "none":
        return ()
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise ConfigError(f"{flag} {text!r}: give comma-separated integers, e.g. 10,20") from None


def experiment_from_args(args):
    from ..eval.ddpm_experiment import DDPMExperiment, check_noise_specs, quick_experiment
    exp = quick_experiment(letters=None) if args.quick else DDPMExperiment()
    over, ddpm = {"device": args.device}, {}
    if args.data:
        over["data"] = args.data
    if args.noise:
        over["noises"] = check_noise_specs(args.noise.split(","))
    if args.protocol:
        over["protocols"] = tuple(x.strip() for x in args.protocol.split(",") if x.strip())
    if args.letters:
        over["letters"] = None if args.letters.lower() == "none" else args.letters
    for flag in ("epochs", "seeds", "steps", "samples", "size", "curve_samples", "base"):
        _positive(args, flag)
    if args.seeds:
        over["seeds"] = args.seeds
    if args.size:
        over["size"] = args.size
    if args.epochs:
        ddpm["epochs"] = args.epochs
        ddpm["eval_epochs"] = tuple(e for e in exp.ddpm.eval_epochs if e < args.epochs)
    if args.steps:
        if args.steps < 2:
            raise ConfigError(f"--steps {args.steps}: a diffusion chain needs at least 2 steps")
        ddpm["T"] = args.steps
    if args.samples:
        if args.samples < 4:
            raise ConfigError(f"--samples {args.samples}: need at least 4 images for the metrics")
        ddpm["n_samples"] = args.samples
    if args.curve_samples:
        if args.curve_samples < 4:
            raise ConfigError(f"--curve-samples {args.curve_samples}: need at least 4 images for the metrics")
        ddpm["n_samples_curve"] = args.curve_samples
    if args.eval_epochs:
        ddpm["eval_epochs"] = _int_list(args.eval_epochs, "--eval-epochs", allow_none=True)
    if args.base:
        ddpm["base"] = args.base
    if args.mults:
        ddpm["mults"] = _int_list(args.mults, "--mults")
        if not ddpm["mults"] or min(ddpm["mults"]) < 1:
            raise ConfigError(f"--mults {args.mults}: give positive multipliers, e.g. 1,2")
    return replace(exp, ddpm=replace(exp.ddpm, **ddpm), **over)


def run(args) -> int:
    import torch

    from ..eval.ddpm_run import run_ddpm_experiment
    if args.threads:
        torch.set_num_threads(args.threads)
    exp = experiment_from_args(args)
    say = (lambda m: None) if args.json else (lambda m: print(m, file=sys.stderr, flush=True))
    summary = run_ddpm_experiment(exp, args.out, progress=say, bar=not args.json and sys.stderr.isatty(),
                                  resume=not args.fresh)
    if args.json:
        print(json.dumps(summary))
    else:
        print((Path(args.out) / "quality_table.md").read_text())
        print(f"results: {Path(args.out).resolve()}")
    return 0
