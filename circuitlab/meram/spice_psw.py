"""P_sw of the ngspice ``vcmtj`` subcircuit (macrospin LLG as B-sources, TRRANDOM thermal field).

The cross-check of :func:`circuitlab.physics.switching_probability` by an independent integrator
(ngspice's trapezoidal rule with an adaptive step bounded by dt_th, instead of the fixed-step Heun
scheme): many independent MTJ instances are stacked in netlists of :data:`BATCH` + :data:`BATCH`,
half starting in the P well (mz > 0), half in the AP well (mz < 0), all driven by one gate source with the same protocol as
:class:`circuitlab.physics.protocol.PulseProtocol`: ``equilibrate`` at 0 V, a sharp pulse of
amplitude V and width t, ``relax`` at 0 V, then the state is the sign of mz. Every instance draws its
own thermal field (TRRANDOM kind 2), fixed by the simulation seed.

Checked against the engine (2.4 V, 0.4 ns, dt_th = 5 ps): at T = 0 the ngspice, Heun (0.1 ps) and
scipy trajectories agree within 1e-5; fed the SAME thermal-field sequence (read back from an ngspice
run) the Heun engine ends in the same state as ngspice for 240 of 240 instances.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import ConfigError

EDGE = 1e-12   # s, rise and fall time of the gate pulse (one thermal interval: "sharp")


@dataclass(frozen=True)
class SpicePsw:
    """Switching counts of one (voltage, width) point: ``trials`` instances from each initial state."""
    voltage: float
    width: float
    trials: int
    switched_from_p: int
    switched_from_ap: int
    seed: int
    seconds: float

    @property
    def p_switch(self) -> float:
        """P_sw = (P_P->AP + P_AP->P) / 2 (seed Methods)."""
        return (self.switched_from_p + self.switched_from_ap) / (2 * self.trials)


def psw_circuit(voltage: float, width: float, trials: int, *, equilibrate: float = 1e-9, relax: float = 3e-9,
                dt_th: Optional[float] = None):
    """The stacked netlist: ``trials`` vcmtj instances from P and ``trials`` from AP on one gate node.

    ``voltage`` in V, ``width``, ``equilibrate``, ``relax`` in s. The pulse starts at ``equilibrate``
    and its flat top plus one edge lasts ``width`` (edges of :data:`EDGE`), so the area equals an ideal
    pulse of ``width``. Measures ``mz_<k>`` (final mz of instance k; k < trials start in P).
    """
    from ..devices import get
    from ..devices.models.vcmtj import subcircuit
    from ..netlist import Circuit, Instance, Measure, Pulse, Tran, VoltageSource
    if trials < 1:
        raise ConfigError(f"trials={trials!r} must be >= 1")
    if not width > EDGE:
        raise ConfigError(f"pulse width={width!r} s must exceed the {EDGE} s edge")
    card = get("vcmtj").card()
    dt = float(card["dt_th"] if dt_th is None else dt_th)
    mx0, mz0 = float(card["mx_init"]), float(card["mz_init"])
    stop = equilibrate + width + EDGE + relax
    gate = VoltageSource("g", "g", "0", waveform=Pulse(0.0, float(voltage), equilibrate, EDGE, EDGE,
                                                       width - EDGE, 2 * stop))
    cells, meas = [gate], []
    for k in range(2 * trials):
        mz = mz0 if k < trials else -mz0
        params = {"mx_init": mx0, "mz_init": mz}
        if dt_th is not None:
            params["dt_th"] = dt
        cells.append(Instance(f"M{k}", "vcmtj", ("g", "0"), params))
        meas.append(Measure("tran", f"mz_{k}", f"FIND v(xm{k}.s_mz) AT={stop!r}"))
    return Circuit(f"vcmtj P_sw {voltage:g} V {width * 1e9:g} ns, {trials} + {trials} instances", tuple(cells),
                   subcircuits=(subcircuit(),), measures=tuple(meas),
                   analyses=(Tran(dt, stop + dt, max_step=dt, uic=True),))   # past AT=stop


BATCH = 20   # instances per initial state in one netlist: ngspice's cost grows faster than linearly


def batch_seeds(seed: int, batches: int) -> list:
    """Independent ngspice seeds (non-negative 31-bit ints) for ``batches`` netlists, from SeedSequence(seed)."""
    return [int(s.generate_state(1, np.uint32)[0] >> np.uint32(1)) for s in np.random.SeedSequence(seed).spawn(batches)]


def spice_switching(voltage: float, width: float, trials: int, *, seed: int, timeout: float = 600.0,
                    batch: int = BATCH, **protocol) -> SpicePsw:
    """Run :func:`psw_circuit` and count the switched instances.

    The ``trials`` instances per initial state are split into netlists of at most ``batch`` + ``batch``
    instances, each run with its own ngspice seed from :func:`batch_seeds` (``seed``): a 100 + 100
    netlist takes about 20 times as long as a 20 + 20 one (measured, ngspice 39), so batches give more
    trials per second; ``timeout`` (s) applies to each netlist.
    """
    import time
    from ..sim import simulate
    if batch < 1:
        raise ConfigError(f"batch={batch!r} must be >= 1")
    t0 = time.perf_counter()
    sizes = [min(batch, trials - b) for b in range(0, trials, batch)] if trials >= 1 else [trials]
    from_p = from_ap = 0
    for n, s in zip(sizes, batch_seeds(seed, len(sizes))):
        r = simulate(psw_circuit(voltage, width, n, **protocol), timeout=timeout, seed=s)
        mz = np.array([float(r.measures[f"mz_{k}"]) for k in range(2 * n)])
        if not np.all(np.isfinite(mz)) or np.any(np.abs(mz) > 1.01):
            raise ConfigError(f"vcmtj P_sw run at {voltage} V returned non-physical mz (|mz| > 1): "
                              f"max {np.nanmax(np.abs(mz)):.3g}")
        from_p += int(np.sum(mz[:n] < 0))
        from_ap += int(np.sum(mz[n:] > 0))
    return SpicePsw(float(voltage), float(width), int(trials), from_p, from_ap, int(seed),
                    time.perf_counter() - t0)


def two_proportion_pvalue(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z test (H0: equal probabilities).

    When both counts are 0 or both are full the proportions agree exactly and the p-value is 1.
    """
    p = (k1 + k2) / (n1 + n2)
    if p <= 0 or p >= 1:
        return 1.0
    z = (k1 / n1 - k2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return math.erfc(abs(z) / math.sqrt(2))


POINTS = ((2.1, 1e-9), (2.4, 0.4e-9), (2.7, 1e-9))   # (V, s): one width per seed voltage


def compare_with_llg(points=POINTS, trials: int = 60, llg_trials: int = 2000, *, seed: int,
                     dt_th: float = 5e-12, equilibrate: float = 0.3e-9, relax: float = 1.5e-9,
                     workers: int = 2):
    """ngspice vcmtj vs :func:`circuitlab.physics.switching_probability` on the same protocol.

    Both sides use the same fixed thermal interval ``dt_th`` (s; the LLG step), ``equilibrate`` and
    ``relax`` (s). Returns one dict per point: voltage, width, the two P_sw with their pooled counts
    and the two-sided p-value of the two-proportion z test (:func:`two_proportion_pvalue`).
    """
    from concurrent.futures import ThreadPoolExecutor
    from ..physics import switching_probability
    from ..physics.protocol import PulseProtocol
    proto = PulseProtocol(dt=dt_th, equilibrate=equilibrate, relax=relax)
    with ThreadPoolExecutor(max_workers=workers) as pool:   # each run is its own ngspice process
        runs = list(pool.map(lambda vw: spice_switching(vw[0], vw[1], trials, seed=seed + 7919 * vw[2],
                                                        dt_th=dt_th, equilibrate=equilibrate, relax=relax),
                             [(v, w, i) for i, (v, w) in enumerate(points)]))
    out = []
    for i, ((v, w), run) in enumerate(zip(points, runs)):
        table = switching_probability(voltages=(v,), widths=(w,), trials=llg_trials, seed=seed + i,
                                      protocol=proto)
        k_llg = int(table.switched_from_p[0, 0] + table.switched_from_ap[0, 0])
        k_sp = run.switched_from_p + run.switched_from_ap
        out.append({"voltage": v, "width": w, "spice_p": run.p_switch, "spice_k": k_sp, "spice_n": 2 * trials,
                    "llg_p": float(table.p_switch[0, 0]), "llg_k": k_llg, "llg_n": 2 * llg_trials,
                    "p_value": two_proportion_pvalue(k_sp, 2 * trials, k_llg, 2 * llg_trials),
                    "spice_seconds": run.seconds})
    return out
