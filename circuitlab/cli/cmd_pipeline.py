"""``circuitlab pipeline``: the whole chain on the built-in defaults, resumable (see .pipeline)."""
from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("pipeline", help="device equations -> campaigns -> model files -> the three evaluations "
                                        "-> report (resumable)")
    p.add_argument("--out", type=Path, required=True, help="pipeline folder (a stage per sub-folder, report/)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="reduced sizes (make demo: under 15 min on 2 cores)")
    size.add_argument("--tiny", action="store_true", help="the smallest sizes that run every stage (tests)")
    p.add_argument("--device", default="auto", help="evaluations: auto (CUDA when present, else CPU), cpu or cuda")
    p.add_argument("--workers", type=int, default=None, help="campaign worker processes (default: CPU count)")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="campaigns of the p2m and design stages: local process pool or a Dask cluster")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address (default: a LocalCluster on loopback)")
    p.add_argument("--vcmtj-card", type=Path, default=None, metavar="CARD.toml",
                   help="VC-MTJ card for the psw stage (e.g. from 'devices calibrate vcmtj'): its P_sw table, "
                        "and so the MeRAM noise model and the DDPM, follow the card (default: the shipped card)")
    p.add_argument("--only", nargs="+", default=None, metavar="STAGE",
                   help="run only these stages (the others must be up to date)")
    p.set_defaults(func=run)


def pipeline_options(args) -> dict:
    """The options the stages read (and hash: a stage re-runs when one of its options changes)."""
    import os

    from ..errors import ConfigError
    opts = {"size": "tiny" if args.tiny else ("quick" if args.quick else "full"), "device": args.device,
            "executor": args.executor, "scheduler": args.scheduler,
            "workers": args.workers or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)}
    if args.vcmtj_card is not None:
        from ..physics.calibrate import params_from_card
        from .pipeline import sha256
        if not args.vcmtj_card.is_file():
            raise ConfigError(f"--vcmtj-card {str(args.vcmtj_card)!r}: no such file; give a VC-MTJ card TOML "
                              f"(e.g. from 'circuitlab devices calibrate vcmtj --out CARD.toml')")
        params_from_card(args.vcmtj_card)          # validated now, before any stage runs
        opts.update(vcmtj_card=str(args.vcmtj_card.resolve()), vcmtj_card_sha256=sha256(args.vcmtj_card))
    return opts


def run(args) -> int:
    from ..errors import ConfigError
    from .pipeline import run_pipeline
    from .pipeline_stages import STAGES
    if args.device not in ("auto", "cpu", "cuda") and not str(args.device).startswith("cuda:"):
        raise ConfigError(f"--device {args.device!r}: use auto, cpu or cuda")
    names = [s.name for s in STAGES]
    for n in args.only or ():
        if n not in names:
            raise ConfigError(f"--only {n!r}: no such stage; stages: {', '.join(names)}")
    opts = pipeline_options(args)
    res = run_pipeline(STAGES, args.out, opts, only=args.only, say=lambda m: print(m, flush=True))
    report = args.out / "report"
    print(f"pipeline finished in {res.wall_s:.0f} s; report: {report / 'report.html'} and {report / 'report.md'}")
    return 0
