"""Stochastic LLG macrospin throughput: circuitlab's engine vs a per-trial Python loop vs cmtj.

Run: ``.venv/bin/python benchmarks/bench_llg.py [--trials 20000] [--steps 400]``. Everything is measured
in one run on the same machine and reported as trial-steps per second and as ratios; the last line is
a one-line summary. The problem is the same for all: the calibrated VC-MTJ (devices.md section 1) at
2.4 V, thermal field at 300 K, fixed step 1 ps, stochastic Heun.

* engine: ``HeunIntegrator.run`` on a batch of trials (numpy float64, torch float64, torch float32),
  and the whole pulse protocol ``switching_probability`` (numpy float64; only the steps each lane
  actually runs are counted).
* loop: the same Heun step written with Python floats, one trial after the other.
* cmtj (optional, GPL, used only here as a reference): one ``Junction.runSimulation`` per trial with
  its stochastic Euler-Heun solver; skipped when cmtj is not importable.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from circuitlab.physics import MacrospinParams, PulseProtocol, make_integrator, switching_probability  # noqa: E402

P = MacrospinParams()
DT = 1e-12
VOLTAGE = 2.4


def engine(trials: int, steps: int, backend: str, dtype: str, threads: int | None = None) -> float:
    """Trial-steps per second of the batched integrator (best of 3 repeats)."""
    it = make_integrator(P, trials, DT, backend=backend, seed=1, dtype=dtype, threads=threads)
    s = P.equilibrium_tilt(0.0)
    it.set_state(s, 0.0, math.sqrt(1 - s * s))
    it.set_voltage(VOLTAGE)
    it.run(5)
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        it.run(steps)
        best = min(best, time.perf_counter() - t0)
    return trials * steps / best


def protocol(trials: int) -> float:
    """Trial-steps per second of a whole P_sw sweep (3 voltages x 4 widths, both initial states)."""
    proto = PulseProtocol()
    widths = np.array([0.4e-9, 1e-9, 2e-9, 4e-9])
    t0 = time.perf_counter()
    switching_probability(P, (2.1, 2.4, 2.7), widths, trials, seed=3, protocol=proto)
    elapsed = time.perf_counter() - t0
    n_eq, n_rel = proto.steps(proto.equilibrate), proto.steps(proto.relax)
    steps = 3 * 2 * trials * np.sum(n_eq + proto.steps(widths) + n_rel)
    return steps / elapsed


def python_loop(trials: int, steps: int) -> float:
    """Trial-steps per second of a per-trial pure-Python Heun loop (the same algorithm)."""
    rng = np.random.default_rng(0)
    nx, ny, nz = P.demag
    cx, cy, cz = -P.ms * nx, -P.ms * ny, P.hk(VOLTAGE) - P.ms * nz
    a, al, sig, hx0 = -P.gamma_ll * DT, P.alpha, P.thermal_sigma(DT), P.hx

    def rate(mx, my, mz, h):
        hx, hy, hz = hx0 + cx * mx + h[0], cy * my + h[1], cz * mz + h[2]
        px, py, pz = my * hz - mz * hy, mz * hx - mx * hz, mx * hy - my * hx
        mh, mm = mx * hx + my * hy + mz * hz, mx * mx + my * my + mz * mz
        return (a * (px + al * (mx * mh - hx * mm)), a * (py + al * (my * mh - hy * mm)),
                a * (pz + al * (mz * mh - hz * mm)))

    t0 = time.perf_counter()
    for _ in range(trials):
        s = P.equilibrium_tilt(0.0)
        mx, my, mz = s, 0.0, math.sqrt(1 - s * s)
        noise = rng.standard_normal((steps, 3)) * sig
        for k in range(steps):
            h = noise[k]
            k1 = rate(mx, my, mz, h)
            k2 = rate(mx + k1[0], my + k1[1], mz + k1[2], h)
            mx, my, mz = mx + 0.5 * (k1[0] + k2[0]), my + 0.5 * (k1[1] + k2[1]), mz + 0.5 * (k1[2] + k2[2])
            n = math.sqrt(mx * mx + my * my + mz * mz)
            mx, my, mz = mx / n, my / n, mz / n
    return trials * steps / (time.perf_counter() - t0)


def cmtj_junction(voltage: float, t_start: float = 0.0, t_stop: float = 0.0, init_sign: float = 1.0, seed: int = 0):
    """The same macrospin in cmtj: Ms in T, anisotropy K = (Ki - xi V / t_ox) / t_FL in J/m^3 (cmtj
    uses H_k = 2 K / (mu0 Ms)), the thin-disk demag tensor, Hx as an external field in A/m."""
    import cmtj
    from circuitlab.physics import MU0
    nx, ny, nz = P.demag
    s = P.equilibrium_tilt(0.0)
    demag = [cmtj.CVector(nx, 0, 0), cmtj.CVector(0, ny, 0), cmtj.CVector(0, 0, nz)]
    layer = cmtj.Layer("free", cmtj.CVector(s, 0, init_sign * math.sqrt(1 - s * s)), cmtj.CVector(0, 0, 1),
                       MU0 * P.ms, P.t_fl, math.pi * (P.diameter / 2) ** 2, demag, P.alpha)
    k0 = P.ki / P.t_fl
    dk = -P.xi * voltage / P.t_ox / P.t_fl
    if t_stop > t_start:
        layer.setAnisotropyDriver(cmtj.ScalarDriver.getStepDriver(k0, dk, t_start, t_stop))
    else:
        layer.setAnisotropyDriver(cmtj.ScalarDriver.getConstantDriver(k0 + dk))
    layer.setExternalFieldDriver(cmtj.AxialDriver(cmtj.ScalarDriver.getConstantDriver(P.hx),
                                                  cmtj.NullDriver(), cmtj.NullDriver()))
    layer.setTemperatureDriver(cmtj.ScalarDriver.getConstantDriver(P.temperature))
    layer.setSeed(seed)
    return cmtj.Junction([layer])


def cmtj_speed(trials: int, steps: int) -> float | None:
    """Trial-steps per second of cmtj, one trial per call (its stochastic Euler-Heun solver)."""
    try:
        import cmtj
    except ImportError:
        return None
    t0 = time.perf_counter()
    for i in range(trials):
        j = cmtj_junction(VOLTAGE, seed=i + 1)
        j.runSimulation(steps * DT, DT, steps * DT, solverMode=cmtj.SolverMode.EulerHeun)
    return trials * steps / (time.perf_counter() - t0)


def cmtj_switching(voltage: float, width: float, trials: int, proto: PulseProtocol) -> float:
    """P_sw at one point from cmtj runs (both initial states), for the cross-check line."""
    import cmtj
    switched = 0
    total = proto.equilibrate + width + proto.relax
    for i in range(trials):
        for sign in (1.0, -1.0):
            j = cmtj_junction(voltage, proto.equilibrate, proto.equilibrate + width, sign, seed=2 * i + (sign > 0) + 7)
            j.runSimulation(total, proto.dt, 1e-10, solverMode=cmtj.SolverMode.EulerHeun)
            mz = j.getLog()["free_mz"][-1]
            switched += int(np.sign(mz) != sign)
    return switched / (2 * trials)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20000, help="batch size of the engine")
    ap.add_argument("--steps", type=int, default=400, help="steps per timed engine run")
    ap.add_argument("--protocol-trials", type=int, default=200, help="trials per state and point of the sweep")
    ap.add_argument("--loop-trials", type=int, default=3)
    ap.add_argument("--cmtj-trials", type=int, default=20)
    ap.add_argument("--cmtj-check", type=int, default=150, help="trials per state of the cmtj P_sw cross-check (0: skip)")
    args = ap.parse_args(argv)
    import os
    load = os.getloadavg()[0]

    rates = {}
    rates["numpy float64"] = engine(args.trials, args.steps, "numpy", "float64")
    rates["numpy float32"] = engine(args.trials, args.steps, "numpy", "float32")
    try:
        import torch  # noqa: F401
        rates["torch float64"] = engine(args.trials, args.steps, "torch", "float64")
        rates["torch float32"] = engine(args.trials, args.steps, "torch", "float32")
        rates["torch float32 x5 batch"] = engine(5 * args.trials, args.steps, "torch", "float32")
        rates["torch float32 1 thread"] = engine(args.trials, args.steps, "torch", "float32", threads=1)
        rates["torch float32 x5 batch 1 thread"] = engine(5 * args.trials, args.steps, "torch", "float32", threads=1)
    except ImportError:
        pass
    rates["protocol sweep (numpy f64)"] = protocol(args.protocol_trials)
    loop = python_loop(args.loop_trials, 2000)
    cm = cmtj_speed(args.cmtj_trials, 6000)

    print(f"LLG macrospin, {args.trials} trials per batch, dt = 1 ps, 2.4 V, 300 K (trial-steps per second); "
          f"load average at start {load:.2f} on {os.cpu_count()} cores")
    print(f"  {'per-trial Python loop':<28} {loop:10.3g}")
    print(f"  {'cmtj, one trial per call':<28} " + (f"{cm:10.3g}" if cm else "  (cmtj not installed)"))
    for name, r in rates.items():
        ratio_c = f"  x{r / cm:7.1f} vs cmtj" if cm else ""
        print(f"  {'circuitlab ' + name:<40} {r:10.3g}  x{r / loop:8.0f} vs loop{ratio_c}")
    if cm and args.cmtj_check:
        proto = PulseProtocol(relax=2e-9)
        print("cross-check of P_sw with cmtj (pooled over both initial states; 4 sd of the difference):")
        for v, w in ((2.4, 2e-9), (2.7, 0.4e-9)):
            ours = switching_probability(P, (v,), (w,), args.cmtj_check, seed=11, protocol=proto).p_switch[0, 0]
            theirs = cmtj_switching(v, w, args.cmtj_check, proto)
            sd = math.sqrt(max(ours * (1 - ours), theirs * (1 - theirs), 0.01) / args.cmtj_check)
            verdict = "agree" if abs(ours - theirs) < 4 * sd else "DISAGREE"
            print(f"  {v} V, {w * 1e9:g} ns: circuitlab {ours:.3f}  cmtj {theirs:.3f}  ({verdict})")
    best_name = max(rates, key=rates.get)
    best = rates[best_name]
    target = 1.5e7
    summary = (f"summary: best {best:.3g} trial-steps/s ({best_name}) = x{best / loop:.0f} the Python loop"
               + (f", x{best / cm:.1f} cmtj" if cm else "") + f"; numpy float64 {rates['numpy float64']:.3g}; "
               f"target 1.5e7 {'met' if best >= target else 'NOT met'}")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
