"""Calibration of the VC-MTJ card on the full problem: Ki and alpha fitted to "measured" P_sw counts at
the seed's three voltages and four widths (both initial states, 200 trials each, drawn by the LLG engine
at known values with its own seed). Prints the time, the estimates against the known values and the
95 % profile-interval widths. Run: ``.venv/bin/python benchmarks/bench_calibrate.py [--trials 200]``.
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

from circuitlab.physics import MacrospinParams, switching_probability  # noqa: E402
from circuitlab.physics.calibrate import MeasuredPsw, calibrate_vcmtj  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--measured", type=int, default=200)
    args = ap.parse_args()
    p0 = MacrospinParams()
    true = replace(p0, ki=p0.ki * 1.002, alpha=p0.alpha * 0.9)
    V, W = [2.1, 2.4, 2.7], [0.4e-9, 1e-9, 2e-9, 4e-9]
    n = args.measured
    t = switching_probability(true, V, W, n, seed=1234, backend="torch", dtype="float32", threads=1)
    data = MeasuredPsw(np.array(V), np.array(W), t.switched_from_p, np.full((3, 4), n), t.switched_from_ap,
                       np.full((3, 4), n))
    t0 = time.perf_counter()
    cal = calibrate_vcmtj(data, ("ki", "alpha"), trials=args.trials, seed=7)
    dt = time.perf_counter() - t0
    inside = all(cal.interval[f][0] <= getattr(true, f) <= cal.interval[f][1] for f in cal.free)
    for f in cal.free:
        lo, hi = cal.interval[f]
        print(f"{f}: true {getattr(true, f):.6g}, estimate {cal.estimate[f]:.6g}, 95 % [{lo:.6g}, {hi:.6g}] "
              f"(width {100 * (hi - lo) / getattr(true, f):.2f} % of the value)")
    print(f"deviance {cal.deviance:.1f} on {cal.dof} dof, {cal.evaluations} LLG evaluations of {len(V) * len(W) * 2} "
          f"points x {args.trials} trials")
    print(f"bench_calibrate: Ki and alpha from 24 measured points in {dt:.0f} s; known values inside the intervals: "
          f"{'yes' if inside else 'no'}")


if __name__ == "__main__":
    main()
