"""Monte Carlo engine throughput vs a naive PySpice loop and vs raw ngspice; memory growth.

Run: ``.venv/bin/python benchmarks/bench_mc.py [--samples 16000] [--naive 200] [--rounds 3]``. Everything
is measured in one run on the same machine and reported as ratios; the last line is a one-line summary.
The timings are taken in interleaved rounds (raw, naive, engine on 1 worker, naive, engine on 2
workers, naive, then again) and each ratio is computed within its round, each engine run against the
mean of the naive loops just before and just after it: a shared host's speed drifts by up to 40 %
over tens of seconds, which would otherwise show up as a difference between methods. The summary gives
the median over rounds and the range.

* naive: per sample, build a PySpice circuit and run its transient in PySpice's shared ngspice.
* engine: ``run_campaign`` (stacked mode, local pool) in a fresh Python process each time, so that every
  run pays the pool's start-up (fork server, imports) the way a ``circuitlab mc run`` does; wall time
  from the call to the finished file.
* raw: the same stacked netlists (same groups, same numbers) written beforehand and run by hand with
  ``ngspice -b`` one after the other (only the ngspice processes are timed).
* memory: peak RSS of the coordinator and of its worker (VmHWM, polled: workers are children of the
  fork server) for campaigns of N and 4N samples, in fresh processes; the growth per 1000 samples is
  extrapolated linearly to 100,000 samples.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from circuitlab.resources import builtin_spec  # noqa: E402 (after the path insert)

SPEC = builtin_spec("rc_bsource").read_text()


def bench_spec(stack: int = 100, batch: int = 500):
    from circuitlab.montecarlo import parse_spec
    text = SPEC.replace("stack_size = 50", f"stack_size = {stack}").replace("batch_size = 200", f"batch_size = {batch}")
    return parse_spec(text)


def naive(n: int) -> float:
    """Seconds per sample of a build-and-simulate PySpice loop (same circuit, same draws)."""
    import logging
    logging.disable(logging.CRITICAL)
    from PySpice.Spice.Netlist import Circuit
    from PySpice.Spice.NgSpice.Shared import NgSpiceShared
    from circuitlab.montecarlo.sampling import draw_sample
    from circuitlab.sim.ngspice import ngspice_library
    NgSpiceShared.LIBRARY_PATH = ngspice_library()
    spec = bench_spec()
    shared = NgSpiceShared.new_instance()
    t0 = time.perf_counter()
    for k in range(n):
        p = draw_sample(spec, k).points[0]
        c = Circuit("naive rc b-source")
        c.PulseVoltageSource("in", "in", c.gnd, initial_value=0, pulsed_value=p["vdd"], delay_time=10e-9,
                             rise_time=1e-9, fall_time=1e-9, pulse_width=200e-9, period=400e-9)
        c.R(1, "in", "out", p["r"])
        c.C(1, "out", c.gnd, p["c"])
        c.BehavioralSource("nl", "out", c.gnd, current_expression=f"{p['g3']!r}*v(out)^3")
        sim = c.simulator(simulator="ngspice-shared", ngspice_shared=shared)
        analysis = sim.transient(step_time=1e-9, end_time=1e-6)
        float(max(analysis["out"]))
    return (time.perf_counter() - t0) / n


_ENGINE_CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from benchmarks.bench_mc import bench_spec
from circuitlab.montecarlo.engine import run_campaign
if __name__ == "__main__":
    t0 = time.perf_counter()
    run_campaign(bench_spec(), sys.argv[1], samples=int(sys.argv[2]), workers=int(sys.argv[3]), progress=False)
    print(json.dumps({{"seconds": time.perf_counter() - t0}}))
"""


def engine(n: int, workers: int, out: Path) -> float:
    """Seconds of ``run_campaign`` for n samples on ``workers`` workers, in a fresh process."""
    if out.exists():
        out.unlink()
    got = subprocess.run([sys.executable, "-c", _ENGINE_CHILD.format(root=str(ROOT)), str(out), str(n), str(workers)],
                         capture_output=True, text=True, check=True)
    return json.loads(got.stdout.strip().splitlines()[-1])["seconds"]


def raw(n: int, workdir: Path) -> float:
    """Seconds of ngspice alone on the engine's stacked netlists for samples 0..n-1."""
    from circuitlab.montecarlo import netlists
    from circuitlab.montecarlo.sampling import draw_sample
    from circuitlab.sim.backend_subprocess import control_block
    spec = bench_spec()
    files = []
    for g in range(0, n, spec.stack_size):
        draws = [draw_sample(spec, k) for k in range(g, min(g + spec.stack_size, n))]
        circuits = [netlists.build_circuit(spec, d.points[0]) for d in draws]
        tags = [f"{d.index}p0" for d in draws]
        text = netlists.stack(circuits, tags, ["v(out)", "v(in)"])
        body = text.rstrip().rsplit("\n", 1)[0]
        path = workdir / f"g{g}.cir"
        path.write_text("\n".join([body, *control_block(f"g{g}.raw", 1), ".end"]) + "\n")
        files.append(path)
    t0 = time.perf_counter()
    for path in files:
        subprocess.run(["ngspice", "-b", path.name], cwd=workdir, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


_MEM_CHILD = """
import json, os, resource, sys, threading, time
sys.path.insert(0, {root!r})
from benchmarks.bench_mc import bench_spec, descendants_peak_kib
from circuitlab.montecarlo.engine import run_campaign

peak, done = {{}}, threading.Event()
def watch():  # workers are children of the fork server, not of this process: poll their VmHWM
    while not done.is_set():
        peak.update({{k: max(v, peak.get(k, 0)) for k, v in descendants_peak_kib(os.getpid()).items()}})
        time.sleep(0.05)
if __name__ == "__main__":
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    run_campaign(bench_spec(), sys.argv[1], samples=int(sys.argv[2]), workers=1, progress=False)
    done.set()
    t.join()
    workers = [v for k, v in peak.items() if k[1] == "worker"]
    print(json.dumps({{"self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "children": max(workers or [0])}}))
"""


def descendants_peak_kib(root: int) -> dict:
    """{(pid, role): peak RSS in kB (VmHWM)} of every process below ``root`` (Linux /proc)."""
    parent, out = {}, {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
                parent[int(d.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    below, grew = {root}, True
    while grew:
        new = {p for p, pp in parent.items() if pp in below} - below
        below |= new
        grew = bool(new)
    for pid in below - {root}:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        hwm = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")]
        if hwm:
            server = parent.get(pid) == root and b"forkserver import main" in cmd  # workers share its cmdline
            tracker = b"resource_tracker" in cmd
            out[(pid, "forkserver" if server else "tracker" if tracker else "worker")] = hwm[0]
    return out


def memory(n: int, workdir: Path) -> dict:
    """Peak RSS (kB) of the coordinator and of its worker process for n samples (fresh process)."""
    out = subprocess.run([sys.executable, "-c", _MEM_CHILD.format(root=str(ROOT)), str(workdir / f"m{n}.h5"), str(n)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    import statistics
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=16000)
    ap.add_argument("--naive", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the four timings")
    ap.add_argument("--memory", type=int, default=2000, help="N for the memory check (N and 4N samples)")
    args = ap.parse_args()
    n = args.samples
    rounds = []
    with tempfile.TemporaryDirectory(prefix="bench-mc-") as tmp:
        tmp = Path(tmp)
        for r in range(args.rounds):
            t_raw = raw(n, tmp)
            before = naive(args.naive)  # the naive loop right before and right after each engine run
            t1 = engine(n, 1, tmp / "e1.h5")
            between = naive(args.naive)
            t2 = engine(n, 2, tmp / "e2.h5")
            after = naive(args.naive)
            n1, n2 = (before + between) / 2, (between + after) / 2
            rounds.append({"x1": n1 * n / t1, "x2": n2 * n / t2, "raw": t1 / t_raw, "scale": t1 / t2})
            print(f"round {r + 1}: naive {before * 1e3:.2f} / {between * 1e3:.2f} / {after * 1e3:.2f} ms/sample "
                  f"({args.naive} samples each); raw ngspice on the stacked netlists {t_raw / n * 1e3:.3f} ms/sample; "
                  f"engine {t1 / n * 1e3:.3f} ms/sample on 1 worker ({t1:.2f} s), {t2 / n * 1e3:.3f} on 2 ({t2:.2f} s) "
                  f"-> {rounds[-1]['x1']:.1f}x / {rounds[-1]['x2']:.1f}x naive, engine/raw {rounds[-1]['raw']:.2f}, "
                  f"2w/1w {rounds[-1]['scale']:.2f}", flush=True)
        m1 = memory(args.memory, tmp)
        m4 = memory(4 * args.memory, tmp)
        per_k = {k: (m4[k] - m1[k]) / (3 * args.memory / 1000) for k in ("self", "children")}
        at_100k = {k: m4[k] + per_k[k] * (100_000 - 4 * args.memory) / 1000 for k in per_k}
        print(f"peak RSS coordinator: {m1['self'] / 1024:.1f} MiB at {args.memory} samples, {m4['self'] / 1024:.1f} MiB "
              f"at {4 * args.memory}; growth {per_k['self']:.1f} kB per 1000 samples -> "
              f"{at_100k['self'] / 1024:.1f} MiB extrapolated to 100,000")
        print(f"peak RSS worker: {m1['children'] / 1024:.1f} MiB -> {m4['children'] / 1024:.1f} MiB; "
              f"extrapolated to 100,000: {at_100k['children'] / 1024:.1f} MiB")

    def med(key):
        values = [r[key] for r in rounds]
        return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"
    print(f"SUMMARY: median (range) of {len(rounds)} rounds: engine {med('x1')}x naive on 1 worker (target >= 10), "
          f"{med('x2')}x on 2 (target >= 18); engine/raw ngspice {med('raw')} (target <= 1.2); 2 workers "
          f"{med('scale')}x 1 (target >= 1.7); coordinator RSS growth {per_k['self']:.0f} kB/1000 samples")


if __name__ == "__main__":
    main()
