"""256 x 256 1T1R crossbar operating point (issue #6): time, Newton iterations, memory, and the IR-drop
error of 1T1R vs linear cells of the same read conductance.

Array: G uniform in [1, 40] uS (NeuRRAM, seed neurram_cim_slides.txt), inputs X uniform in [-1, 1],
V_ref 0.9 V, V_read 0.1 V, 1 ohm per BL and SL segment, 1 kOhm BL drivers (rram_campaigns' assumption).
Memory: the Jacobian (CSC) and SuperLU's L + U at 12 bytes per non-zero (SuperLU allocates in C, which
tracemalloc does not see), the Python-side peak from tracemalloc, and the process's peak RSS. Also the
agreement with ngspice at sizes where ngspice is quick. Usage: python benchmarks/bench_crossbar_1t1r.py [n]
"""
from __future__ import annotations

import resource
import statistics
import sys
import time
import tracemalloc

import numpy as np

from circuitlab.circuits.crossbar import CrossbarSpec, build_crossbar, sense_nodes
from circuitlab.circuits.crossbar_newton import (RramCimCell, cim_cell_subcircuit, ir_drop_1t1r,
                                                 programmed_for_read, solve_crossbar_newton)
from circuitlab.circuits.crossbar_solver import solve_operating_point

R_WIRE, R_DRIVER, RUNS = 1.0, 1e3, 3


def array(n: int, seed: int):
    rng = np.random.default_rng(seed)
    return rng.uniform(1e-6, 40e-6, (n, n)), rng.uniform(-1.0, 1.0, n)


def ngspice_diff(n: int, seed: int) -> float:
    """Largest |V_SL(Newton) - V_SL(ngspice .op)| (V) of an n x n 1T1R array with wires."""
    from circuitlab import simulate
    g, x = array(n, seed)
    spec = CrossbarSpec(g, x, r_driver=R_DRIVER, r_bl=R_WIRE, r_sl=R_WIRE, cell=cim_cell_subcircuit())
    res = simulate(build_crossbar(spec), timeout=300)
    v_ng = np.array([res[f"v({node})"][0] for node in sense_nodes(spec)])
    return float(np.max(np.abs(solve_crossbar_newton(spec).v_sense - v_ng)))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    g, x = array(n, seed=3)
    spec = CrossbarSpec(g, x, r_driver=R_DRIVER, r_bl=R_WIRE, r_sl=R_WIRE)
    t0 = time.perf_counter()
    law = RramCimCell(programmed_for_read(g))
    t_law = time.perf_counter() - t0
    tracemalloc.start()
    op = solve_crossbar_newton(spec, law)
    py_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    times = [op.seconds] + [solve_crossbar_newton(spec, law).seconds for _ in range(RUNS - 1)]
    t0 = time.perf_counter()
    solve_operating_point(spec)
    t_linear = time.perf_counter() - t0
    print(f"{n}x{n} 1T1R, {R_WIRE} ohm segments, {R_DRIVER:.0f} ohm drivers: {op.unknowns} unknowns")
    print(f"  Newton: {op.iterations} iterations, {min(times):.2f} s min / {statistics.median(times):.2f} s median "
          f"of {RUNS} (cell law built once in {t_law:.2f} s; linear solver crossbar_solver: {t_linear:.2f} s)")
    print(f"  memory: Jacobian {op.matrix_bytes / 1e6:.1f} MB, LU factors {op.lu_bytes / 1e6:.1f} MB, Python peak "
          f"{py_peak / 1e6:.1f} MB (tracemalloc), process peak RSS so far "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB; residual {op.residual:.1e} A")
    ir = ir_drop_1t1r(g, x, r_wire=R_WIRE, r_driver=R_DRIVER, uncompensated=True)
    print("  (V_SL - ideal)/V_read, same read conductance G:")
    for key, what in (("linear", "linear cells, wires"), ("1t1r", "1T1R cells, wires"),
                      ("1t1r_no_wire", "1T1R cells, no wires (nonlinearity alone)"),
                      ("uncompensated", "1T1R programmed to G (transistor ignored), wires")):
        print(f"    {what:52s} rms {ir[f'rms_{key}']:.4e}  worst {ir[f'worst_{key}']:.4e}")
    diffs = {m: ngspice_diff(m, seed=m) for m in (16, 32)}
    print("  |Newton - ngspice| max over SLs: " + ", ".join(f"{m}x{m} {d:.1e} V" for m, d in diffs.items()))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(f"SUMMARY n={n} iterations={op.iterations} seconds={min(times):.2f} lu_MB={op.lu_bytes / 1e6:.1f} "
          f"jacobian_MB={op.matrix_bytes / 1e6:.1f} rss_MB={rss:.0f} "
          f"rms_linear={ir['rms_linear']:.4e} rms_1t1r={ir['rms_1t1r']:.4e} worst_linear={ir['worst_linear']:.4e} "
          f"worst_1t1r={ir['worst_1t1r']:.4e} ngspice_diff_V={max(diffs.values()):.1e}")


if __name__ == "__main__":
    main()
