"""Python cost of building, validating and writing a small netlist, as a Monte Carlo builder does per sample.

Builds :func:`circuitlab.montecarlo.examples.rc_bsource` (4 elements, a .tran, 2 .meas) from 2000
different value sets (``r``, ``c`` and ``g3`` drawn per sample, as a campaign does, so nothing keyed on
the values can be reused) and writes each with ``to_text()``. Reports the best of several repeats, in
microseconds per circuit, for: building (which validates), validation alone (``validate_circuit`` on
unvalidated copies of the circuits, elements copied too), ``to_text()`` alone on freshly built circuits,
and build + ``to_text()``. Absolute figures only: compare runs of this script on the same machine (the
old code is not importable beside the new one: run it on a checkout of each).
"""
from __future__ import annotations

import gc
import random
import time
from dataclasses import fields, replace

from circuitlab.montecarlo.examples import rc_bsource
from circuitlab.netlist.validate import validate_circuit

SAMPLES = 2000
REPEATS = 30


def value_sets(n: int, seed: int = 1):
    rng = random.Random(seed)
    return [{"r": 1e3 * (1 + 0.05 * rng.gauss(0, 1)), "c": 1e-12 * (1 + 0.05 * rng.gauss(0, 1)),
             "g3": 1e-4 * (1 + 0.05 * rng.gauss(0, 1)), "vdd": 1.0} for _ in range(n)]


def best_per_item(fn, items, repeats=REPEATS) -> float:
    """Best over ``repeats`` of the mean time of ``fn(item)`` over ``items``, in microseconds."""
    return best_per_fresh_item(fn, lambda: items, repeats)


def best_per_fresh_item(fn, make_items, repeats=REPEATS) -> float:
    """As :func:`best_per_item`, on new items from ``make_items()`` for each repeat (made untimed)."""
    best = float("inf")
    for _ in range(repeats):
        items = make_items()
        gc.collect()
        t0 = time.perf_counter()
        for it in items:
            fn(it)
        best = min(best, time.perf_counter() - t0)
    return best / len(items) * 1e6


def unvalidated_copy(circuit):
    """A copy of the circuit, not validated, its elements copied too (nothing computed on them yet)."""
    copy = object.__new__(type(circuit))  # skips __init__ and so __post_init__'s validation
    for f in fields(circuit):
        object.__setattr__(copy, f.name, getattr(circuit, f.name))
    object.__setattr__(copy, "elements", tuple(replace(e) for e in circuit.elements))
    return copy


def main() -> None:
    values = value_sets(SAMPLES)
    for p in values:  # warm-up (imports, the accepted-name caches, the CPU clock)
        rc_bsource(p).to_text()

    build = best_per_item(rc_bsource, values)
    built = [rc_bsource(p) for p in values]
    validate = best_per_fresh_item(validate_circuit, lambda: [unvalidated_copy(c) for c in built])
    # element cards are cached on the element after the first call: fresh circuits for each repeat
    text = best_per_fresh_item(lambda c: c.to_text(), lambda: [rc_bsource(p) for p in values])
    both = best_per_item(lambda p: rc_bsource(p).to_text(), values)

    print(f"build rc_bsource (validates) : {build:6.2f} us/circuit")
    print(f"  validate_circuit alone     : {validate:6.2f} us/circuit")
    print(f"to_text() of a fresh circuit : {text:6.2f} us/circuit")
    print(f"build + to_text()            : {both:6.2f} us/circuit")
    print(f"SUMMARY bench_netlist_build: rc_bsource x{SAMPLES} value sets, best of {REPEATS}: build {build:.2f} us "
          f"(validate {validate:.2f} us), to_text {text:.2f} us, build+to_text {both:.2f} us per circuit")


if __name__ == "__main__":
    main()
