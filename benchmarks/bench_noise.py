"""Noise-source throughput against torch.randn (CPU, float32), measured in one run.

Run: ``.venv/bin/python benchmarks/bench_noise.py [--n 10000000] [--reps 9]``. Calls are interleaved
(randn, then each source, repeated ``reps`` times); each source's ratio is randn time / source time per
repetition, and the median ratio is printed (> 1: faster than randn). The last line is a one-line summary.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from circuitlab.nn import make_noise  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--reps", type=int, default=9)
    args = ap.parse_args()
    g = torch.Generator().manual_seed(0)
    fns = {"randn": lambda: torch.randn(args.n, generator=g)}
    for name in ("meram", "meram-exact", "meram-stream"):
        src = make_noise(name)
        fns[name] = (lambda s: lambda: s.randn(args.n, generator=g))(src)
    times = {k: [] for k in fns}
    for f in fns.values():
        f()
    for _ in range(args.reps):
        for k, f in fns.items():
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    print(f"n = {args.n:.0e} float32, torch {torch.__version__}, {torch.get_num_threads()} threads, {args.reps} reps")
    ratios = {}
    for k in fns:
        r = [times["randn"][i] / times[k][i] for i in range(args.reps)]
        ratios[k] = statistics.median(r)
        print(f"{k:14s} median {statistics.median(times[k]) * 1e3:7.1f} ms   throughput ratio vs randn "
              f"median {ratios[k]:.2f} (min {min(r):.2f}, max {max(r):.2f})")
    print("summary: throughput / randn (median): " + ", ".join(f"{k} {ratios[k]:.2f}x" for k in fns if k != "randn"))


if __name__ == "__main__":
    main()
