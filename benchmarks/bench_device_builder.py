"""Python cost of a device-heavy campaign builder per sample: the P2M Fig. 4 convolution cell
(:func:`circuitlab.circuits.p2m_campaigns.fig4_conv`, one domain-wall MTJ subcircuit with four B-source
equations), built for different samples as a Monte Carlo worker does.

Compares, in one run: the builder with every device equation substituted and printed afresh by sympy (the
cost before ``devices.ngspice.expression`` kept the text per model; emptied before each build) against
the builder as it runs now (text kept). Prints seconds per build for both and their ratio, then a one-line
summary. Run: ``.venv/bin/python benchmarks/bench_device_builder.py [--builds 5]``.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from circuitlab.circuits.p2m_campaigns import fig4_conv  # noqa: E402
from circuitlab.devices import ngspice  # noqa: E402

SPEC = ROOT / "circuitlab" / "specs" / "p2m_fig4_conv.toml"


def samples(n: int, seed: int = 3):
    base = tomllib.loads(SPEC.read_text())["parameters"]
    rng = random.Random(seed)
    return [{k: (v * (1 + 0.03 * rng.gauss(0, 1)) if k.startswith(("jit_", "r_")) else v) for k, v in base.items()}
            for _ in range(n)]


def per_build(values, fresh: bool) -> float:
    t0 = time.perf_counter()
    for v in values:
        if fresh:
            ngspice._EXPRESSIONS.clear()
        fig4_conv(v)
    return (time.perf_counter() - t0) / len(values)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--builds", type=int, default=5)
    args = ap.parse_args()
    values = samples(args.builds)
    fig4_conv(values[0])                          # warm-up: imports, sympy's own caches
    fresh, kept = [], []
    for _ in range(3):                            # alternated, best of three each
        fresh.append(per_build(values, fresh=True))
        kept.append(per_build(values, fresh=False))
    a, b = min(fresh), min(kept)
    print(f"fig4_conv build, sympy text afresh: {a:.3f} s per sample")
    print(f"fig4_conv build, text kept per model: {b:.4f} s per sample")
    print(f"SUMMARY bench_device_builder: {a / b:.0f}x faster per sample ({a:.3f} s -> {b:.4f} s), "
          f"{args.builds} builds x 3 alternated repeats")


if __name__ == "__main__":
    main()
