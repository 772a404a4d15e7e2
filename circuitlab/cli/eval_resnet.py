"""``circuitlab eval resnet``: ResNet-20 on RRAM compute-in-memory (neurram_cim_slides.txt, the bar chart and
sweeps). Registered under ``circuitlab eval`` by cmd_eval.py; torch is imported only when it runs."""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from ..errors import ConfigError


def register(esub) -> None:
    p = esub.add_parser("resnet", help="ResNet-20 on RRAM CIM: ideal, non-ideal, noise-trained, chip, fine-tuned")
    p.add_argument("--data", default="colour-mnist", help="colour-mnist (default, offline) or cifar10:PATH "
                   "(the cifar-10-batches-py folder of the python version)")
    p.add_argument("--seeds", type=int, default=None, help="seeds 0..K-1 (default 3; --quick 2)")
    p.add_argument("--model", default="rram_cim", help="rram_cim model file: built-in name or path")
    p.add_argument("--epochs", type=int, default=None, help="ideal training epochs (default 30; --quick 8)")
    p.add_argument("--adc-bits", type=int, default=None, help="chip ADC bits, 1-8 (default 4)")
    p.add_argument("--noise", type=float, default=None, help="training/simulation weight noise x max|W| (default 0.1)")
    p.add_argument("--spice-fc", choices=("none", "sparse", "ngspice"), default="none",
                   help="compute the chip's last layer (64x10) with the crossbar circuit: sparse nodal solver "
                        "or real ngspice (slow: one .op per image)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="auto: CUDA when present, else the CPU (default)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--quick", action="store_true", help="16x16 images, 2,500 training images, 2 seeds: < 5 min on 2 cores")
    p.add_argument("--out", type=Path, required=True, help="output folder (JSON, CSV, Markdown, plots); a run "
                   "stopped part-way continues there with the same settings (finished seeds in OUT/cells)")
    p.add_argument("--fresh", action="store_true", help="discard finished seeds kept in OUT/cells")
    p.add_argument("--json", action="store_true", help='print only {"ideal", "nonideal_untrained", "noise_trained", '
                   '"chip", "finetuned", "ci95", ...}')
    p.set_defaults(func=run)


def experiment_from_args(args):
    from ..eval.rram_resnet import ResNetExperiment, quick_experiment
    exp = quick_experiment() if args.quick else ResNetExperiment()
    over = {"data": args.data, "device": args.device, "model": args.model}
    if not (args.data == "colour-mnist" or args.data.startswith("cifar10:")):
        raise ConfigError(f"--data {args.data!r}: use colour-mnist or cifar10:PATH")
    for flag, key in (("seeds", "seeds"), ("epochs", "epochs"), ("adc_bits", "adc_bits")):
        v = getattr(args, flag)
        if v is not None:
            if v < 1:
                raise ConfigError(f"--{flag.replace('_', '-')} {v}: must be at least 1")
            over[key] = v
    if args.adc_bits is not None and args.adc_bits > 8:
        raise ConfigError(f"--adc-bits {args.adc_bits}: the seed's ADC has 1-8 bits")
    if args.noise is not None:
        if not 0 <= args.noise <= 1:
            raise ConfigError(f"--noise {args.noise}: use 0-1 (NeuRRAM: 0.1-0.2)")
        over["noise"] = args.noise
    return replace(exp, **over)


def run(args) -> int:
    import torch

    from ..circuits.crossbar_chip import CrossbarChip
    from ..eval.rram_resnet import run_resnet_experiment
    if args.threads:
        torch.set_num_threads(args.threads)
    exp = experiment_from_args(args)
    fc_chip = None if args.spice_fc == "none" else CrossbarChip(r_wire=exp.r_wire, solver=args.spice_fc)
    say = (lambda m: None) if args.json else (lambda m: print(f"[resnet] {m}", file=sys.stderr, flush=True))
    summary = run_resnet_experiment(exp, args.out, progress=say, fc_chip=fc_chip,
                                    resume=not args.fresh)
    if args.json:
        print(json.dumps(summary))
    else:
        print((Path(args.out) / "table.md").read_text())
        print(f"results: {Path(args.out).resolve()}")
    return 0
