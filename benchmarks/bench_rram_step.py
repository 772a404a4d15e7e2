"""ResNet-20 training step (batch 64, 32x32x3, CPU) with every RRAM effect on vs the plain torch step.

Issue 16 target: at most 1.5x the ideal step. "Every effect on": a converted model, programmed (write-verify,
relaxation, frozen IR drop) is not trainable, so the training step runs the noise-resilient training
forward -- weight noise sigma = 0.1 max|W|, 3-bit DAC, 6-bit ADC per tile column with sum(G)
normalisation, tiling to 256x256 -- and a separate line times an inference step of the programmed chip
(read noise on). IBM's aihwkit-lightning runs a similar configuration side by side (weight noise 0.1, 8-bit
DAC and ADC) when installed: `make bench` installs it (the `bench` extra); nn.md's anchor on this machine
kind is about 11.4x the plain step. The last line is a one-line summary.

    OMP_NUM_THREADS=2 python benchmarks/bench_rram_step.py [--batch 64] [--repeats 10]
"""
from __future__ import annotations

import argparse
import importlib.util
import time

import torch
import torch.nn as nn


def alternating(a, b, repeats):
    """Median times of steps ``a`` and ``b`` run alternately (a shared, loaded machine drifts slowly: pairs
    see the same load)."""
    for _ in range(2):
        a(), b()
    ta, tb = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a()
        t1 = time.perf_counter()
        b()
        t2 = time.perf_counter()
        ta.append(t1 - t0)
        tb.append(t2 - t1)
    ratios = sorted(y / x for x, y in zip(ta, tb))
    return sorted(ta)[len(ta) // 2], sorted(tb)[len(tb) // 2], ratios[len(ratios) // 2]


def timed(step, repeats):
    for _ in range(2):
        step()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    return ts[len(ts) // 2]


def train_step(model, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return step


def main():
    from circuitlab.nn.resnet20 import ResNet20
    from circuitlab.nn.rram_convert import calibrate, convert, program, set_train_noise
    from circuitlab.nn.rram_layers import RRAMConfig

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=None)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x, y = torch.rand(a.batch, 3, 32, 32), torch.randint(0, 10, (a.batch,))
    ideal = ResNet20()
    rram = convert(ideal, "rram_cim", RRAMConfig())
    calibrate(rram, [x])
    set_train_noise(rram, 0.1)
    ideal.train(), rram.train()
    t_ideal, t_rram, ratio = alternating(train_step(ideal, x, y), train_step(rram, x, y), a.repeats)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch {a.batch}")
    print(f"ideal ResNet-20 training step            {t_ideal * 1e3:8.1f} ms (median)")
    print(f"RRAM (noise, DAC 3b, ADC 6b, IR, tiles)  {t_rram * 1e3:8.1f} ms   ratio {ratio:5.2f}x "
          f"(median of paired ratios; target <= 1.5x)")
    chip = convert(ideal, "rram_cim", RRAMConfig())
    calibrate(chip, [x])
    program(chip, generator=torch.Generator().manual_seed(0))
    ideal.eval(), chip.eval()
    with torch.no_grad():
        t_inf, t_chip, r_inf = alternating(lambda: ideal(x), lambda: chip(x), a.repeats)
    print(f"inference: ideal {t_inf * 1e3:.1f} ms, programmed chip (all effects) {t_chip * 1e3:.1f} ms "
          f"ratio {r_inf:.2f}x")
    r_aihw = None
    if importlib.util.find_spec("aihwkit_lightning") is None:
        print("aihwkit-lightning: not installed (optional; pip install -e '.[bench]' to compare)")
    else:
        r_aihw = _aihwkit(ideal, x, y, a.repeats, t_ideal)
    print(f"summary: RRAM training step / ideal step {ratio:.2f}x (target <= 1.5x), programmed-chip inference "
          f"{r_inf:.2f}x" + ("" if r_aihw is None else f", aihwkit-lightning training step {r_aihw:.2f}x"))


def _aihwkit(model, x, y, repeats, t_ideal):
    """aihwkit-lightning: weight noise + 8-bit input/output quantisation (the nn.md anchor's configuration);
    returns its step time over the ideal one, or None when its run fails."""
    try:
        from aihwkit_lightning.nn.conversion import convert_to_analog
        from aihwkit_lightning.simulator.configs import TorchInferenceRPUConfig, WeightNoiseInjectionType
        cfg = TorchInferenceRPUConfig()
        cfg.forward.inp_res = 2 ** 8 - 2                 # 8-bit DAC
        cfg.forward.out_res = 2 ** 8 - 2                 # 8-bit ADC, which needs an output bound and input ranges
        cfg.forward.out_bound = 10.0
        cfg.pre_post.input_range.enable = True
        cfg.pre_post.input_range.init_from_data = 0      # fixed initial range (3.0): timing, not accuracy
        cfg.forward.out_noise = 0.0
        cfg.clip.sigma = 2.5
        cfg.modifier.noise_type = WeightNoiseInjectionType.ADD_NORMAL
        cfg.modifier.std_dev = 0.1                       # weight noise 0.1 max|W|, as circuitlab's line above
        analog = convert_to_analog(model, cfg)
        analog.train()
        t = timed(train_step(analog, x, y), repeats)
        print(f"aihwkit-lightning (noise, 8b in/out)     {t * 1e3:8.1f} ms   ratio {t / t_ideal:5.2f}x "
              f"(its own median vs the ideal median: not paired)")
        return t / t_ideal
    except Exception as exc:  # an optional reference: report, never fail
        print(f"aihwkit-lightning: installed but its run failed ({type(exc).__name__}: {exc})")
        return None


if __name__ == "__main__":
    main()
