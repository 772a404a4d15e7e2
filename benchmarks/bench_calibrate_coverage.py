"""Coverage of the VC-MTJ calibration's 95 % profile-likelihood intervals, with the LLG engine.

Per seed s: "measured" counts drawn by the LLG engine at known Ki and alpha (data seed 10000 + s, n
trials per state and point: binomial noise), then ``calibrate_vcmtj(free=(ki, alpha))`` with LLG seed s
(T trials, common random numbers). Repeated over as many seeds as fit in ``--minutes``; prints one line
per seed and a one-line summary: how often each known value (and both at once) lies inside its
interval, the mean interval width (% of the value), the time and the LLG evaluations per calibration.

A reduced problem, to fit many seeds: two voltages x two widths, numpy float64 (faster than torch for
a few hundred lanes), a shortened protocol (equilibrate 0.5 ns, relax 1.5 ns; the same for data and
model, so the calibration is still exact in distribution). One core:
``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_calibrate_coverage.py [--minutes 10]``.

Measured (2026-12-06, 2-core machine shared with a Monte Carlo run): 10 min gave 4 seeds (157 s, 318
evaluations each); with ``--minutes 38 --first-seed 4`` 11 more (208 s, 333). Over the 15 seeds: Ki
coverage 13/15 (mean width 0.31 % of Ki), alpha 13/15 (width ~100 % of alpha), both 12/15.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from circuitlab.physics import MacrospinParams, PulseProtocol, switching_probability  # noqa: E402
from circuitlab.physics.calibrate import MeasuredPsw, calibrate_vcmtj  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0, help="stop starting new seeds after this long")
    ap.add_argument("--measured", type=int, default=100, help="measured trials per state and point")
    ap.add_argument("--trials", type=int, default=100, help="LLG trials per state and point in the fit")
    ap.add_argument("--voltages", default="2.4,2.7")
    ap.add_argument("--widths", default="0.4e-9,1e-9")
    ap.add_argument("--max-seeds", type=int, default=1000)
    ap.add_argument("--first-seed", type=int, default=0, help="to extend an earlier run with new seeds")
    args = ap.parse_args()
    V = np.array([float(v) for v in args.voltages.split(",")])
    W = np.array([float(w) for w in args.widths.split(",")])
    proto = PulseProtocol(equilibrate=0.5e-9, relax=1.5e-9)
    p0 = MacrospinParams()
    true = replace(p0, ki=p0.ki * 1.002, alpha=p0.alpha * 0.9)
    free = ("ki", "alpha")
    n = args.measured
    hits = {f: 0 for f in free}
    joint, widths, times, evals = 0, {f: [] for f in free}, [], []
    t_start = time.perf_counter()
    for s in range(args.first_seed, args.first_seed + args.max_seeds):
        if time.perf_counter() - t_start > 60 * args.minutes:
            break
        t = switching_probability(true, V, W, n, seed=10000 + s, protocol=proto, backend="numpy", dtype="float64")
        shape = (len(V), len(W))
        data = MeasuredPsw(V, W, t.switched_from_p, np.full(shape, n), t.switched_from_ap, np.full(shape, n))
        t0 = time.perf_counter()
        cal = calibrate_vcmtj(data, free, trials=args.trials, seed=s, protocol=proto, backend="numpy",
                              dtype="float64", threads=None)
        times.append(time.perf_counter() - t0)
        evals.append(cal.evaluations)
        inside = {f: cal.interval[f][0] <= getattr(true, f) <= cal.interval[f][1] for f in free}
        for f in free:
            hits[f] += inside[f]
            widths[f].append(100 * (cal.interval[f][1] - cal.interval[f][0]) / getattr(true, f))
        joint += all(inside.values())
        print(f"seed {s}: " + "; ".join(f"{f} {cal.estimate[f]:.6g} [{cal.interval[f][0]:.6g}, {cal.interval[f][1]:.6g}]"
                                         f"{'' if inside[f] else ' MISS'}" for f in free)
              + f"; deviance {cal.deviance:.1f}/{cal.dof}; {times[-1]:.0f} s, {cal.evaluations} evaluations", flush=True)
    k = len(times)
    print(f"bench_calibrate_coverage: {k} seeds, {len(V)}x{len(W)} points x 2 states, n={n}, T={args.trials}: "
          + ", ".join(f"{f} coverage {hits[f] / k:.2f} (mean width {np.mean(widths[f]):.2f} % of value)" for f in free)
          + f", both {joint / k:.2f}; {np.mean(times):.0f} s and {np.mean(evals):.0f} LLG evaluations per calibration")


if __name__ == "__main__":
    main()
