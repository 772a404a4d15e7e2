"""Per-run overhead of the two simulate() backends on a small RC transient (median of 20 runs).

Compares, in one run: a bare ``ngspice -b -r`` process on the same netlist (the floor), simulate() with
the subprocess backend, and simulate() with the PySpice shared-library worker (warm). Prints the
medians, the overhead above the bare process, and a one-line summary.
"""
from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from circuitlab import simulate
from circuitlab.circuits.basic import rc_step
from circuitlab.sim.ngspice import ngspice_executable

RUNS = 20


def median_time(fn, runs=RUNS) -> float:
    fn()  # warm-up (worker start, page cache)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    circuit = rc_step(points=1000)
    exe = ngspice_executable()
    with tempfile.TemporaryDirectory() as tmp:
        net = Path(tmp) / "rc.cir"
        net.write_text(circuit.to_text().replace(".meas", "*.meas"))  # no .meas with -r in batch mode
        bare = median_time(lambda: subprocess.run([exe, "-b", "-r", "out.raw", "rc.cir"], cwd=tmp,
                                                  capture_output=True, check=True))
    sub = median_time(lambda: simulate(circuit, backend="subprocess"))
    shared = median_time(lambda: simulate(circuit, backend="pyspice"))
    print(f"bare ngspice -b process : {bare * 1e3:7.2f} ms")
    print(f"simulate(subprocess)    : {sub * 1e3:7.2f} ms  (overhead {(sub - bare) * 1e3:+.2f} ms, x{sub / bare:.2f})")
    print(f"simulate(pyspice, warm) : {shared * 1e3:7.2f} ms  (overhead {(shared - bare) * 1e3:+.2f} ms, x{shared / bare:.2f})")
    print(f"SUMMARY bench_sim_overhead: RC transient 1000 steps, median of {RUNS}: bare {bare * 1e3:.2f} ms, "
          f"subprocess {sub * 1e3:.2f} ms (x{sub / bare:.2f}), pyspice {shared * 1e3:.2f} ms (x{shared / bare:.2f})")


if __name__ == "__main__":
    main()
