"""DDPM training step with MeRAM noise vs the same step with torch.randn (CPU), measured in one run.

Run: ``.venv/bin/python benchmarks/bench_ddpm_step.py [--size 28] [--batch 128] [--base 16] [--reps 15]``.
One U-Net and optimiser per source, identical initial weights; steps are interleaved (gaussian, then each
MeRAM mode, repeated ``reps`` times after warm-up), and each source's ratio is its step time / the
gaussian step time of the same repetition; the median ratio is printed (issue target: at most 1.05).
The last line is a one-line summary.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from circuitlab.eval.ddpm_schedule import Schedule  # noqa: E402
from circuitlab.eval.ddpm_unet import UNet  # noqa: E402
from circuitlab.nn import parse_noise  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=28)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--base", type=int, default=16)
    ap.add_argument("--T", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = UNet(1, args.base, (1, 2, 2))
    sched = Schedule(args.T)
    x0 = torch.rand(args.batch, 1, args.size, args.size) * 2 - 1
    names = ("gaussian", "meram", "meram-exact", "meram-stream")
    runs = {}
    for name in names:
        model = copy.deepcopy(net)
        runs[name] = (model, torch.optim.Adam(model.parameters(), lr=1e-4), parse_noise(name),
                      torch.Generator().manual_seed(1), torch.Generator().manual_seed(2))

    def step(name):
        model, opt, src, g_t, g_n = runs[name]
        t = torch.randint(0, args.T, (args.batch,), generator=g_t)
        eps = src.randn(x0.shape, generator=g_n)
        loss = torch.mean((model(sched.q_sample(x0, t, eps), t) - eps) ** 2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for name in names:
        for _ in range(2):
            step(name)
    times = {k: [] for k in names}
    for _ in range(args.reps):
        for name in names:
            t0 = time.perf_counter()
            step(name)
            times[name].append(time.perf_counter() - t0)
    print(f"U-Net base {args.base}, batch {args.batch} x 1 x {args.size} x {args.size}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {args.reps} reps")
    ratios = {}
    for name in names:
        r = [times[name][i] / times["gaussian"][i] for i in range(args.reps)]
        ratios[name] = statistics.median(r)
        print(f"{name:13s} step median {statistics.median(times[name]) * 1e3:8.1f} ms   time / gaussian step: "
              f"median {ratios[name]:.3f} (min {min(r):.3f}, max {max(r):.3f})")
    print("summary: training step time / torch.randn step (median): "
          + ", ".join(f"{k} {ratios[k]:.3f}x" for k in names if k != "gaussian") + " (target <= 1.05x)")


if __name__ == "__main__":
    main()
