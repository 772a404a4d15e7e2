"""``circuitlab mc``: Monte Carlo characterisation campaigns (run, resume, status, inspect, rerun, specs).

``mc run SPEC`` takes a spec file or the name of a built-in spec (``mc run rc_bsource``); an existing
file of that name always wins. ``mc specs`` lists the built-in specs, ``mc specs NAME --copy DIR``
copies one out to edit.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path


def _executor_args(p) -> None:
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: CPU count)")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="local process pool (default) or Dask distributed")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address (default: a LocalCluster on loopback)")
    p.add_argument("--no-progress", action="store_true", help="log lines instead of a progress bar")


def _trust_args(p, stored: bool) -> None:
    """--safe/--allow-module (and --trust for a results file, whose stored spec is re-run)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--safe", action="store_true",
                   help="run builders/evaluators only from circuitlab or --allow-module, templates without "
                        "ngspice commands or outside includes" + (" (default for a file made by another user "
                                                                  "or host)" if stored else ""))
    if stored:
        g.add_argument("--trust", action="store_true",
                       help="run the file's stored spec as it is, even if another user or host made it")
    p.add_argument("--allow-module", action="append", default=[], metavar="NAME",
                   help="in safe mode, also allow builders/evaluators from module NAME and its submodules "
                        "(repeatable; also CIRCUITLAB_ALLOW_MODULES=a,b)")


def _trust(args):
    """The Trust the arguments ask for (safe None: decided from the results file)."""
    from ..montecarlo.trust import Trust
    safe = True if args.safe else (False if getattr(args, "trust", False) else None)
    return Trust(safe, tuple(args.allow_module))


def _card_arg(p) -> None:
    p.add_argument("--card", type=Path, default=None, metavar="CARD.toml",
                   help="device card (e.g. from 'devices calibrate vcmtj|rram'): its values replace the spec's "
                        "[parameters] of the same name (the spec's own `card = ...` line, if any)")


def register(sub) -> None:
    mc = sub.add_parser("mc", help="Monte Carlo characterisation campaigns")
    msub = mc.add_subparsers(dest="mc_command", metavar="ACTION")
    mc.set_defaults(func=lambda args: (mc.print_help(), 2)[1])

    p = msub.add_parser("run", help="run a campaign spec into a new HDF5 results file")
    p.add_argument("spec", type=Path,
                   help="campaign spec (TOML file, or the name of a built-in spec: see `circuitlab mc specs`)")
    _card_arg(p)
    p.add_argument("--out", type=Path, required=True, help="results file to create (HDF5)")
    p.add_argument("--samples", type=int, default=None, help="number of samples (the first N of the full campaign)")
    p.add_argument("--mode", choices=("auto", "stacked", "batch", "single", "python"), default=None,
                   help="execution mode (default: the spec's, usually auto)")
    _executor_args(p)
    _trust_args(p, stored=False)
    p.set_defaults(func=_run)

    p = msub.add_parser("specs", help="list the built-in campaign specs, or copy one to edit")
    p.add_argument("names", nargs="*", help="built-in spec names (default: all, with --copy)")
    p.add_argument("--copy", type=Path, default=None, metavar="DIR", help="copy the named (or all) specs into DIR")
    p.set_defaults(func=_specs)

    p = msub.add_parser("resume", help="finish an interrupted campaign")
    p.add_argument("results", type=Path)
    _executor_args(p)
    _trust_args(p, stored=True)
    p.set_defaults(func=_resume)

    p = msub.add_parser("status", help="counts of a results file (also while it is written), and the yield "
                                       "against spec limits")
    p.add_argument("results", type=Path)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _limit_args(p)
    p.set_defaults(func=_status)

    p = msub.add_parser("inspect", help="summary table and histograms (PNG next to the file) of recorded scalars, "
                                        "and the yield against spec limits")
    p.add_argument("results", type=Path)
    p.add_argument("--no-plots", action="store_true", help="print the table only")
    _limit_args(p)
    p.set_defaults(func=_inspect)

    p = msub.add_parser("sensitivity", help="which variation source drives each scalar's spread (SRC, variance "
                                            "shares, Sobol indices where nonlinear), from the file alone")
    p.add_argument("results", type=Path)
    p.add_argument("--measure", action="append", default=[], metavar="NAME",
                   help="a recorded scalar (repeatable; default: all; name[p] for sweep point p)")
    p.add_argument("--boot", type=int, default=400, help="bootstrap resamples for the intervals (default 400)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-plots", action="store_true", help="no tornado plots")
    p.add_argument("--by-source", action="store_true",
                   help="also re-run the first --samples samples once per variation source with the others off, "
                        "same seeds (paired): Var(only that source) / Var(all) per scalar")
    p.add_argument("--samples", type=int, default=200, help="samples per one-source run (default 200)")
    _executor_args(p)
    _trust_args(p, stored=True)
    p.set_defaults(func=_sensitivity)

    p = msub.add_parser("corners", help="nominal and +-k sigma corners of a spec (full factorial or linear worst "
                                        "corner), compared with its Monte Carlo extremes")
    p.add_argument("spec", type=Path, help="campaign spec (file or built-in name)")
    _card_arg(p)
    p.add_argument("--out", type=Path, required=True, help="folder for corners.h5, mc.h5 and corners.json")
    p.add_argument("--k", type=float, default=3.0, help="corner distance in sigmas (default 3)")
    p.add_argument("--params", nargs="+", default=None, metavar="NAME", help="corner only these parameters")
    p.add_argument("--full-max", type=int, default=8,
                   help="full factorial up to this many factors, linear worst corner above (default 8)")
    p.add_argument("--mc", type=Path, default=None, help="an existing Monte Carlo results file of the same spec")
    p.add_argument("--mc-samples", type=int, default=500, help="samples of the Monte Carlo run otherwise (500)")
    p.add_argument("--json", action="store_true", help="print corners.json")
    _executor_args(p)
    _trust_args(p, stored=False)
    p.set_defaults(func=_corners)

    p = msub.add_parser("tail", help="high-sigma failure probability against spec limits: mean-shift importance "
                                     "sampling and scaled-sigma sampling")
    p.add_argument("spec", type=Path, help="campaign spec (file or built-in name)")
    _card_arg(p)
    p.add_argument("--out", type=Path, required=True, help="folder for the campaigns, tail.json and tail.png")
    _limit_args(p)
    p.add_argument("--method", choices=("is", "sss", "both"), default="both")
    p.add_argument("--samples", type=int, default=400, help="importance-sampling simulations (default 400)")
    p.add_argument("--explore", type=int, default=200, help="exploration simulations at 3 sigma (default 200)")
    p.add_argument("--scales", default=None, help="scaled-sigma scales, comma-separated (default: from the "
                                                   "exploration's nearest failure point)")
    p.add_argument("--sss-samples", type=int, default=400, help="simulations per scale (default 400)")
    p.add_argument("--stages", type=int, default=1,
                   help="importance-sampling stages: each refits the failure point from the previous stage's "
                        "shifted samples (adaptive; default 1)")
    p.add_argument("--unclip", action="store_true",
                   help="read truncnormal variations as normal with the same sigma (a law clipped at k sigma has "
                        "no tail beyond it)")
    p.add_argument("--json", action="store_true", help="print tail.json")
    _executor_args(p)
    _trust_args(p, stored=False)
    p.set_defaults(func=_tail)

    p = msub.add_parser("rerun", help="write one sample's netlists and re-run it exactly")
    p.add_argument("results", type=Path)
    p.add_argument("--sample", type=int, required=True)
    p.add_argument("--out-dir", type=Path, default=None, help="where to write (default: <results>.sample<K>/)")
    _trust_args(p, stored=True)
    p.set_defaults(func=_rerun)


def _limit_args(p) -> None:
    p.add_argument("--limit", action="append", default=[], metavar="NAME:LOWER:UPPER",
                   help="spec limit of a recorded scalar (repeatable; an empty side is unbounded; replaces the "
                        "spec's [spec_limits] entry of that name)")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence of the yield interval (default 0.95)")


def _yield_report(args):
    """The yield against the spec's limits and --limit, or None when there are none."""
    from ..montecarlo.limits import merge_limits, parse_limit_arg
    from ..montecarlo.results import load_results
    from ..montecarlo.yields import evaluate_limits
    given = [parse_limit_arg(t) for t in args.limit]
    results = load_results(args.results)
    limits = merge_limits(results.spec.spec_limits if results.spec_text else (), given)
    return evaluate_limits(results, limits, args.confidence) if limits else None


def _load_spec_arg(args, check: bool = True):
    """The spec named by ``args.spec`` (a file or a built-in name) and its folder; ``check``: refuse an
    untrusted builder now, before any campaign file is made (run_campaign checks again)."""
    from ..montecarlo import load_spec
    from ..montecarlo.trust import check_spec
    from ..resources import resolve_spec
    args.spec = resolve_spec(args.spec)
    base = str(args.spec.resolve().parent)
    spec = load_spec(args.spec, card=getattr(args, "card", None))
    if check:
        check_spec(spec, _trust(args), base)
    return spec, base


def _run_kw(args):
    return dict(workers=_workers(args), executor=args.executor, scheduler=args.scheduler,
                progress=False if args.no_progress else None, trust=_trust(args))


def _corners(args) -> int:
    from ..montecarlo.corners import corner_lines, run_corners
    _logging()
    spec, base = _load_spec_arg(args)
    res = run_corners(spec, args.out, k=args.k, params=args.params, full_max=args.full_max,
                      mc=str(args.mc) if args.mc else None, mc_samples=args.mc_samples, spec_base=base,
                      **_run_kw(args))
    if args.json:
        print((args.out / "corners.json").read_text())
        return 0
    for line in corner_lines(res, args.k):
        print(line)
    print(f"results: {args.out / 'corners.json'}")
    return 0


def _tail(args) -> int:
    from ..errors import ConfigError
    from ..montecarlo.limits import merge_limits, parse_limit_arg
    from ..montecarlo.tail_run import run_tail
    _logging()
    spec, base = _load_spec_arg(args)
    limits = merge_limits(spec.spec_limits, [parse_limit_arg(t) for t in args.limit])
    try:
        scales = [float(x) for x in args.scales.split(",")] if args.scales else None
    except ValueError:
        raise ConfigError(f"--scales {args.scales!r} must be comma-separated numbers, e.g. 2,2.5,3") from None
    est = run_tail(spec, limits, args.out, method=args.method, samples=args.samples, explore=args.explore,
                   scales=scales, sss_samples=args.sss_samples, spec_base=base, unclip=args.unclip,
                   stages=args.stages, **_run_kw(args))
    if args.json:
        print((args.out / "tail.json").read_text())
        return 0
    for e in est.values():
        print(f"{e.method}: P_fail {e.p_fail:.3g} (95 % {e.low:.3g}..{e.high:.3g}, {e.sigma_level:.2f} sigma), "
              f"{e.samples} simulations, {e.failures} failing samples")
    print(f"results: {args.out / 'tail.json'}, plot: {args.out / 'tail.png'}")
    return 0


def _sensitivity(args) -> int:
    from ..montecarlo.results import load_results
    from ..montecarlo.sensitivity import sensitivity, tornado_plots
    if args.boot < 20:
        from ..errors import ConfigError
        raise ConfigError(f"--boot {args.boot} is too few resamples for an interval; use at least 20 (default 400)")
    report = sensitivity(load_results(args.results), args.measure or None, boot=args.boot)
    plots = [] if args.no_plots else tornado_plots(report)
    runs, total = [], {}
    if args.by_source:
        from ..montecarlo.by_source import run_by_source
        _logging()
        runs, total = run_by_source(args.results, samples=args.samples, workers=_workers(args),
                                    executor=args.executor, scheduler=args.scheduler, trust=_trust(args),
                                    progress=False if args.no_progress else None)
    names = [m.name for m in report.measures]
    if args.json:
        by = {r.label: {"file": str(r.path), "variance_ratio": {k: r.variance_ratio[k] for k in names}} for r in runs}
        print(json.dumps({**report.to_dict(), "plots": [str(p) for p in plots],
                          **({"by_source": by, "by_source_sum": {k: total[k] for k in names}} if runs else {})}))
        return 0
    for line in report.lines():
        print(line)
    for path in plots:
        print(f"tornado plot: {path}")
    if runs:
        print(f"one source at a time (first {args.samples} samples, same seeds): Var(only source) / Var(all)")
        for k in names:
            print(f"  {k}: " + ", ".join(f"{r.label} {r.variance_ratio[k]:.3f}" for r in runs)
                  + f"; sum {total[k]:.3f} (1 for an additive response)")
    return 0


def _workers(args) -> int:
    return args.workers if args.workers is not None else max(1, os.cpu_count() or 1)


def _logging() -> None:
    """Progress lines of the campaign only (Dask's own INFO chatter stays off)."""
    log = logging.getLogger("circuitlab.montecarlo")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def _print_summary(s) -> None:
    print(f"{s['spec_name']}: {s['done']}/{s['samples']} samples done, {s['ok']} ok, {s['failed']} failed")


def _run(args) -> int:
    from ..montecarlo.engine import run_campaign
    _logging()
    spec, base = _load_spec_arg(args, check=False)
    s = run_campaign(spec, args.out, samples=args.samples, mode=args.mode, spec_base=base, **_run_kw(args))
    return _finished(s, args.out)


def _finished(s, path) -> int:
    """Print the summary of a finished run; 1 (one line on stderr) if no sample succeeded, else 0 with
    the number of failed samples and their first distinct errors."""
    import sys
    from ..montecarlo.outcomes import STATUS_NAMES
    from ..montecarlo.store import first_errors
    _print_summary(s)
    if s["failed"] == 0:
        return 0
    first = first_errors(path)
    shown = [" ".join((t if t.startswith(f"sample {k}: ") else f"sample {k}: {t}").split())[:300]
             for k, _, t in first]
    if s["ok"] == 0:
        print(f"circuitlab: error: no sample succeeded ({s['failed']} of {s['done']} failed; first error: "
              f"{shown[0] if shown else '?'}); see 'circuitlab mc inspect {path}'", file=sys.stderr)
        return 1
    print(f"{s['failed']} sample{'s' if s['failed'] != 1 else ''} failed; first distinct errors:")
    for (k, code, _), line in zip(first, shown):
        print(f"  [{STATUS_NAMES.get(code, code)}] {line}")
    return 0


def _specs(args) -> int:
    import shutil
    from ..errors import ConfigError
    from ..resources import builtin_spec, builtin_specs
    paths = [builtin_spec(n) for n in args.names] if args.names else list(builtin_specs().values())
    if args.copy is None:
        for path in paths:
            print(f"{path.stem:<22} {_spec_title(path)}")
        print(f"({len(paths)} built-in specs in {paths[0].parent if paths else '?'}; "
              "run one with `circuitlab mc run NAME --out FILE.h5`)")
        return 0
    args.copy.mkdir(parents=True, exist_ok=True)
    for path in paths:
        target = args.copy / path.name
        if target.exists():
            raise ConfigError(f"{target} exists; remove it or copy into another folder")
        shutil.copyfile(path, target)
        print(f"copied {path.stem} to {target}")
    return 0


def _spec_title(path: Path) -> str:
    """The first comment line of a spec (its one-line description)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""


def _resume(args) -> int:
    from ..montecarlo.engine import resume_campaign
    _logging()
    s = resume_campaign(args.results, workers=_workers(args), executor=args.executor, scheduler=args.scheduler,
                        progress=False if args.no_progress else None, trust=_trust(args))
    return _finished(s, args.results)


def _status(args) -> int:
    from ..montecarlo.store import summary
    s = summary(args.results)
    y = _yield_report(args)
    if args.json:
        print(json.dumps({**s, **({"yield": y.to_dict()} if y else {})}))
    else:
        _print_summary(s)
        for line in (y.lines() if y else []):
            print(line)
    return 0


def _inspect(args) -> int:
    from ..montecarlo import report
    for line in report.table(args.results):
        print(line)
    y = _yield_report(args)
    for line in (y.lines() if y else []):
        print(line)
    if not args.no_plots:
        for path in report.histograms(args.results):
            print(f"histogram: {path}")
    return 0


def _rerun(args) -> int:
    from ..montecarlo import report
    out_dir = args.out_dir or args.results.with_name(f"{args.results.stem}.sample{args.sample}")
    r = report.rerun(args.results, args.sample, out_dir, trust=_trust(args))
    print(f"sample {r['sample']}: status {r['status']}{' (' + r['error'] + ')' if r['error'] else ''}")
    for path in r["netlists"]:
        print(f"{'values' if path.endswith('.toml') else 'netlist'}: {path}")
    print(f"result: {out_dir / ('sample_%d.json' % args.sample)}")
    print(f"matches the stored result bit for bit: {'yes' if r['matches_stored'] else 'no'}")
    return 0
