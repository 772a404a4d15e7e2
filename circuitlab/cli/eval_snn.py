"""``circuitlab eval snn``: the domain-wall P2M spiking CNN experiments (dwmtj_p2m_snn_paper.txt, Tables 1-2,
Fig. 7). Registered under ``circuitlab eval`` by cmd_eval.py; torch is imported only when it runs."""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from ..errors import ConfigError


def register(esub) -> None:
    p = esub.add_parser("snn", help="spiking CNN with the domain-wall in-pixel first layer: Table 1/2, Fig. 7")
    p.add_argument("--data", default=None, help="nmnist-synth (default), letters-synth, gesture-synth, or real data "
                   "at a local path: nmnist:PATH, cifar10-dvs:PATH, gesture:PATH")
    p.add_argument("--transfer", default=None,
                   help="second task for the reprogramming experiment (default letters-synth; 'none' skips it)")
    p.add_argument("--variation", default=None, help="comma-separated variation levels in %% (default 0,10,20,40)")
    p.add_argument("--seeds", default=None, help="K: seeds 0..K-1, paired across networks (default 3); or a list such "
                   "as 2,3 or 0-1 (a table split over processes: copy their OUT/cells into one folder, then run with "
                   "--seeds K there)")
    p.add_argument("--per-class", type=int, default=None, help="samples per class (default 100; --quick 40)")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default 10; --quick 6)")
    p.add_argument("--frames", type=int, default=None, help="integration windows T per sample (default 8)")
    p.add_argument("--pool", type=int, default=None, help="sum-pool pixels (4: DVS128 128x128 -> 32x32)")
    p.add_argument("--configuration", default=None, help="P2M weight configuration: hybrid (default), cmos, dwmtj")
    p.add_argument("--mismatch", choices=("event", "device"), default=None,
                   help="P2M variation per event (independent draws, default) or per weight device (all its events in "
                   "a window share one draw: process mismatch)")
    p.add_argument("--read-noise", choices=("lower", "random"), default=None,
                   help="P2M pre-activation at f2's worst-case lower bound (the seed's rule, default) or each read drawn "
                   "from f2's fitted spread (the read circuit's variation)")
    p.add_argument("--l1", type=float, default=None,
                   help="weight of Fig. 7's bit-level l1 regulariser on the first layer's spikes (default 0.01)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="auto: CUDA when present, else the CPU (default)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--quick", action="store_true", help="narrow network, 40 per class, 2 seeds: minutes on 2 CPU cores")
    p.add_argument("--out", type=Path, required=True, help="output folder (JSON, CSV, Markdown, plots); a run "
                   "stopped part-way continues there with the same settings (finished networks in OUT/cells)")
    p.add_argument("--fresh", action="store_true", help="discard finished networks kept in OUT/cells")
    p.add_argument("--json", action="store_true",
                   help='print only {"baseline", "p2m": {"0": ...}, "ci95", "bandwidth", "energy", ...}')
    p.set_defaults(func=run)


def experiment_from_args(args):
    from ..eval.snn_run import SNNExperiment, quick_experiment
    exp = quick_experiment() if args.quick else SNNExperiment()
    snn = replace(exp.snn, device=args.device)
    over = {}
    if args.data:
        over["data"] = args.data
    if args.transfer:
        over["transfer"] = None if args.transfer.lower() == "none" else args.transfer
    if args.variation:
        try:
            over["variations"] = tuple(int(v) for v in args.variation.split(",") if v.strip())
        except ValueError:
            raise ConfigError(f"--variation {args.variation!r}: comma-separated integers in %, e.g. 0,10,20,40") from None
        if any(not 0 <= v <= 100 for v in over["variations"]):
            raise ConfigError(f"--variation {args.variation!r}: levels must lie in 0..100 %")
    if args.seeds is not None:
        over["seeds"] = parse_seeds(args.seeds)
    for flag, key in (("per_class", "n_per_class"), ("frames", "frames"), ("pool", "pool")):
        v = getattr(args, flag)
        if v is not None:
            if v < 1:
                raise ConfigError(f"--{flag.replace('_', '-')} {v}: must be at least 1")
            over[key] = v
    if args.l1 is not None:
        if not args.l1 >= 0:
            raise ConfigError(f"--l1 {args.l1}: a weight >= 0 (0.01 is the default)")
        over["l1"] = args.l1
    if args.epochs is not None:
        snn = replace(snn, epochs=args.epochs)
    if args.configuration:
        snn = replace(snn, configuration=args.configuration)
    if args.mismatch:
        snn = replace(snn, p2m_kw={**snn.p2m_kw, "mismatch": args.mismatch})
    if args.read_noise:
        snn = replace(snn, p2m_kw={**snn.p2m_kw, "read_noise": args.read_noise})
    return replace(exp, snn=snn, **over)


def parse_seeds(text: str):
    """"3" -> 3 (seeds 0, 1, 2); "2,3" -> (2, 3); "0-2" -> (0, 1, 2); "2-2" -> (2,)."""
    text = str(text).strip()
    bad = ConfigError(f"--seeds {text!r}: a count K >= 1 (seeds 0..K-1) or a list of seeds >= 0 such as 2,3 or 0-1")
    try:
        if "," not in text and "-" not in text:
            if int(text) < 1:
                raise bad
            return int(text)
        seeds = []
        for part in (p.strip() for p in text.split(",") if p.strip()):
            lo, _, hi = part.partition("-")
            a, b = int(lo), int(hi or lo)
            if not 0 <= a <= b:
                raise bad
            seeds.extend(range(a, b + 1))
    except ValueError:        # int() of a non-number, and ``bad`` itself (a ConfigError is a ValueError)
        raise bad from None
    if not seeds:
        raise bad
    return tuple(sorted(set(seeds)))


def run(args) -> int:
    import torch

    from ..eval.snn_run import run_snn_experiment
    if args.threads:
        torch.set_num_threads(args.threads)
    exp = experiment_from_args(args)
    say = (lambda m: None) if args.json else (lambda m: print(f"[snn] {m}", file=sys.stderr, flush=True))
    summary = run_snn_experiment(exp, args.out, progress=say, resume=not args.fresh)
    if args.json:
        print(json.dumps(summary))
    else:
        print((Path(args.out) / "table1.md").read_text())
        print(f"results: {Path(args.out).resolve()}")
    return 0
