"""``circuitlab p2m``: run every P2M characterisation campaign and compute the seed figures.

``circuitlab p2m characterise --out-dir DIR [--quick 0.02]`` runs the built-in specs ``p2m_*.toml``
(package data, listed by ``circuitlab mc specs``; ``--quick`` scales the sample count, at least 40
samples each), writes ``DIR/<name>.h5`` (and for Fig. 6a-c ``DIR/<name>.nominal.json``, each level's
variation-free displacement: the weight-mapping step), the plot of each seed figure ``DIR/p2m_*.png`` and
``DIR/p2m_summary.json``; ``circuitlab p2m analyse --out-dir DIR`` recomputes the figures from
existing files. Each Fig. 6 entry of the summary has one ``worst_case``, the seed's figure as
:mod:`circuitlab.characterisation.p2m_analysis` reads it (Fig. 6a-c: 3 sigma of the random part over the
weight's dynamic range; Fig. 6d: the lower bound).
"""
from __future__ import annotations

import json
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("p2m", help="P2M in-pixel MAC cell campaigns and seed figures")
    s = p.add_subparsers(dest="p2m_command", metavar="ACTION", required=True)
    c = s.add_parser("characterise", help="run the P2M campaigns and analyse them")
    c.add_argument("--out-dir", type=Path, required=True, help="folder for HDF5 files, plots and the summary")
    c.add_argument("--quick", type=float, default=None, help="scale factor of the sample counts (e.g. 0.02)")
    c.add_argument("--workers", type=int, default=None, help="worker processes (default: CPU count)")
    c.add_argument("--only", nargs="*", default=None, help="campaign names (default: all p2m_*.toml)")
    c.add_argument("--spec-dir", type=Path, default=None,
                   help="folder of the p2m_*.toml specs (default: the built-in ones)")
    c.set_defaults(func=characterise)
    a = s.add_parser("analyse", help="recompute the figures from existing campaign files")
    a.add_argument("--out-dir", type=Path, required=True)
    a.set_defaults(func=analyse)


def characterise(args) -> int:
    from ..characterisation.p2m_analysis import ANALYSES, run_campaigns
    timings = run_campaigns(args.out_dir, args.spec_dir, args.only, quick=args.quick, workers=args.workers or _cpus(),
                            log=print)
    return _analyse(args.out_dir, list(args.only or sorted(ANALYSES)), timings)


def _cpus() -> int:
    import os
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def analyse(args) -> int:
    from ..characterisation.p2m_analysis import ANALYSES
    names = [n for n in sorted(ANALYSES) if (args.out_dir / f"{n}.h5").exists()]
    return _analyse(args.out_dir, names, {})


def _analyse(out_dir: Path, names, timings) -> int:
    from ..characterisation.p2m_analysis import ANALYSES
    summary = {}
    for name in names:
        summary.update(ANALYSES[name](out_dir / f"{name}.h5", out_dir))
    summary["run_times"] = timings
    (out_dir / "p2m_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    for key, val in summary.items():
        if isinstance(val, dict) and "worst_case" in val:
            print(f"{key:<14} worst-case variation {100 * val['worst_case']:6.2f} %  (seed {100 * val['seed']:.2f} %)")
    print(f"summary: {out_dir / 'p2m_summary.json'}")
    return 0
