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
    p.add_argument("--only", nargs="+", default=None, metavar="STAGE",
                   help="run only these stages (the others must be up to date)")
    p.set_defaults(func=run)


def run(args) -> int:
    import os

    from ..errors import ConfigError
    from .pipeline import run_pipeline
    from .pipeline_stages import STAGES
    if args.device not in ("auto", "cpu", "cuda") and not str(args.device).startswith("cuda:"):
        raise ConfigError(f"--device {args.device!r}: use auto, cpu or cuda")
    names = [s.name for s in STAGES]
    for n in args.only or ():
        if n not in names:
            raise ConfigError(f"--only {n!r}: no such stage; stages: {', '.join(names)}")
    opts = {"size": "tiny" if args.tiny else ("quick" if args.quick else "full"), "device": args.device,
            "executor": args.executor, "scheduler": args.scheduler,
            "workers": args.workers or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)}
    res = run_pipeline(STAGES, args.out, opts, only=args.only, say=lambda m: print(m, flush=True))
    report = args.out / "report"
    print(f"pipeline finished in {res.wall_s:.0f} s; report: {report / 'report.html'} and {report / 'report.md'}")
    return 0
