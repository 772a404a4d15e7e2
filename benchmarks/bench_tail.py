"""Simulations for a +-10 % relative error at P_fail = 1e-5: mean-shift importance sampling against plain
Monte Carlo, on a real ngspice campaign (a current-summing circuit whose output is linear in three
Gaussian sources, so the exact P_fail is known).

Run: ``.venv/bin/python benchmarks/bench_tail.py [--samples 400]``. Importance sampling runs its
exploration and ``--samples`` shifted simulations once; the simulations it needs for a 10 % relative
standard error are the exploration plus samples x (measured relative error / 0.1)^2. Plain Monte Carlo
needs (1 - p) / (p 0.1^2) (binomial), here 1e7. The last line is a one-line summary.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from scipy.stats import norm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from circuitlab.montecarlo import parse_spec  # noqa: E402
from circuitlab.montecarlo.limits import SpecLimit  # noqa: E402
from circuitlab.montecarlo.tail import plain_mc_samples  # noqa: E402
from circuitlab.montecarlo.tail_run import run_tail  # noqa: E402
from test_mc_sensitivity import SIGMA_V, SPEC  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=400)
    ap.add_argument("--explore", type=int, default=200)
    args = ap.parse_args()
    p_exact = 1e-5
    spec = parse_spec(SPEC.format(seed=21, samples=10).split("[spec_limits]")[0])
    limit = SpecLimit("vout", None, 4.0 + norm.isf(p_exact) * SIGMA_V)
    with tempfile.TemporaryDirectory() as tmp:
        est = run_tail(spec, [limit], tmp, method="is", samples=args.samples, explore=args.explore, workers=1,
                       progress=False)["is"]
    needed = args.explore + args.samples * (est.relative_error / 0.1) ** 2
    plain = plain_mc_samples(p_exact)
    print(f"exact P_fail {p_exact:.3g}; importance sampling {est.p_fail:.3g} (95 % {est.low:.3g}..{est.high:.3g}), "
          f"relative error {est.relative_error:.3f} from {est.samples} simulations")
    print(f"simulations for 10 % relative error: importance sampling {needed:.0f}, plain Monte Carlo {plain:.3g}")
    print(f"bench_tail: {plain / needed:.0f}x fewer simulations than plain Monte Carlo at P_fail 1e-5 "
          f"({needed:.0f} vs {plain:.3g}; goal >= 100x)")


if __name__ == "__main__":
    main()
