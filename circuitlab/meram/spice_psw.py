"""P_sw of the ngspice ``vcmtj`` subcircuit (macrospin LLG as B-sources, Python-drawn thermal field).

The cross-check of :func:`circuitlab.physics.switching_probability` by an independent integrator
(ngspice's trapezoidal rule with an adaptive step bounded by dt_th, instead of the fixed-step Heun
scheme): many independent MTJ instances are stacked in netlists of :data:`BATCH` + :data:`BATCH`,
half starting in the P well (mz > 0), half in the AP well (mz < 0), all driven by one gate source with the same protocol as
:class:`circuitlab.physics.protocol.PulseProtocol`: ``equilibrate`` at 0 V, a sharp pulse of
amplitude V and width t, ``relax`` at 0 V, then the state is the sign of mz. Every instance gets its
own thermal field. By default (``thermal="python"``) it is drawn in Python, as DESIGN.md asks of all
Monte Carlo randomness: N(0, 1) * sigma_th per component and dt_th interval from a numpy Generator
seeded by one SeedSequence child per instance (children of one child per netlist), written as held
PWL values on the thermal ports of ``subcircuit(thermal=False)``. ``thermal="trrandom"`` keeps the
older path (TRRANDOM kind 2 sources inside the subcircuit, fixed by the ngspice seed).

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


THERMAL = ("python", "trrandom")
STEP = 0.2   # PWL edge width as a fraction of dt_th, centred on each interval boundary


def thermal_sigma(dt_th: float, card=None) -> float:
    """rms (A/m) of one thermal-field component held for ``dt_th`` s: the vcmtj ``sigma_th`` equation."""
    from ..devices import get
    model = get("vcmtj")
    values = dict(model.card(card or {}), dt_th=float(dt_th))
    expr = model.flat("sigma_th")
    return float(expr.xreplace({s: values[s.name] for s in expr.free_symbols}))


def thermal_draws(seq: np.random.SeedSequence, instances: int, steps: int) -> np.ndarray:
    """Standard normals of shape (instances, 3, steps): one Generator per instance from ``seq.spawn``."""
    return np.stack([np.random.default_rng(c).standard_normal((3, steps)) for c in seq.spawn(instances)])


def held_pwl(values, dt: float):
    """PWL points holding ``values[i]`` on [i dt, (i + 1) dt], with linear edges :data:`STEP` dt wide
    centred on the boundaries: the integral over any run of whole intervals differs from the held
    values' only by (v_after - v_before) STEP dt / 8 at its two ends (and not at all over the whole run).

    Why edges of dt/5 rather than sharp steps: every PWL corner is an ngspice breakpoint, after which
    the step restarts at a tenth of the gap between breakpoints; 1e-3 dt edges gave 8000 time points
    and 24 s per 20 + 20 netlist, dt/5 edges 4500 points and 13 s (TRRANDOM: 2500 points, 7 s). The
    waveform is exactly the held one convolved with a box STEP dt wide, so at the frequencies of the
    LLG dynamics (precession periods of 100s of ps; dt = 5 ps) its spectrum is the held one's to within
    (pi f STEP dt)^2/6 (2e-4 at 10 GHz)."""
    from ..netlist import PWL
    e = STEP * dt / 2
    pts = [(0.0, values[0])]
    for i, v in enumerate(values):
        if i:
            pts.append((float(f"{i * dt + e:.12g}"), v))
        pts.append((float(f"{(i + 1) * dt - e:.12g}"), v))
    return PWL(tuple(pts))


def psw_circuit(voltage: float, width: float, trials: int, *, equilibrate: float = 1e-9, relax: float = 3e-9,
                dt_th: Optional[float] = None, draws: Optional[np.ndarray] = None):
    """The stacked netlist: ``trials`` vcmtj instances from P and ``trials`` from AP on one gate node.

    ``voltage`` in V, ``width``, ``equilibrate``, ``relax`` in s. The pulse starts at ``equilibrate``
    and its flat top plus one edge lasts ``width`` (edges of :data:`EDGE`), so the area equals an ideal
    pulse of ``width``. Measures ``mz_<k>`` (final mz of instance k; k < trials start in P).

    ``draws`` (standard normals, shape (2 trials, 3, n) with n * dt_th covering the run, e.g. from
    :func:`thermal_draws`): the thermal field is ``draws * sigma_th`` held per dt_th interval, written
    as PWL sources on the ports of ``subcircuit(thermal=False)``; None: TRRANDOM inside the subcircuit.
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
    if draws is not None:
        draws = np.asarray(draws, dtype=float)
        need = int(math.ceil((stop + dt) / dt * (1 - 1e-9)))
        if draws.ndim != 3 or draws.shape[:2] != (2 * trials, 3) or draws.shape[2] < need:
            raise ConfigError(f"draws must have shape ({2 * trials}, 3, >= {need}); got {draws.shape}")
        scale = thermal_sigma(dt) / get("vcmtj").inputs[0].scale    # port volts per unit normal
        held = np.array([float(f"{x:.7g}") for x in (draws[:, :, :need] * scale).ravel()]).reshape(
            2 * trials, 3, need)
    cells, meas = [gate], []
    for k in range(2 * trials):
        mz = mz0 if k < trials else -mz0
        params = {"mx_init": mx0, "mz_init": mz}
        if dt_th is not None:
            params["dt_th"] = dt
        ports = ("g", "0")
        if draws is not None:
            ports += tuple(f"h{c}_{k}" for c in "xyz")
            cells += [VoltageSource(f"h{c}_{k}", f"h{c}_{k}", "0", waveform=held_pwl(held[k, j], dt))
                      for j, c in enumerate("xyz")]
        cells.append(Instance(f"M{k}", "vcmtj", ports, params))
        meas.append(Measure("tran", f"mz_{k}", f"FIND v(xm{k}.s_mz) AT={stop!r}"))
    return Circuit(f"vcmtj P_sw {voltage:g} V {width * 1e9:g} ns, {trials} + {trials} instances", tuple(cells),
                   subcircuits=(subcircuit(thermal=draws is None),), measures=tuple(meas),
                   analyses=(Tran(dt, stop + dt, max_step=dt, uic=True),))   # past AT=stop


BATCH = 20   # instances per initial state in one netlist: ngspice's cost grows faster than linearly


def batch_seeds(seed: int, batches: int) -> list:
    """Independent ngspice seeds (non-negative 31-bit ints) for ``batches`` netlists, from SeedSequence(seed)."""
    return [int(s.generate_state(1, np.uint32)[0] >> np.uint32(1)) for s in np.random.SeedSequence(seed).spawn(batches)]


def spice_switching(voltage: float, width: float, trials: int, *, seed: int, timeout: float = 600.0,
                    batch: int = BATCH, thermal: str = "python", **protocol) -> SpicePsw:
    """Run :func:`psw_circuit` and count the switched instances.

    The ``trials`` instances per initial state are split into netlists of at most ``batch`` + ``batch``
    instances, each run with its own ngspice seed from :func:`batch_seeds` (``seed``): a 100 + 100
    netlist takes about 20 times as long as a 20 + 20 one (measured, ngspice 39), so batches give more
    trials per second; ``timeout`` (s) applies to each netlist. ``thermal``: "python" (default) draws
    the thermal field with :func:`thermal_draws` from the netlist's SeedSequence child; "trrandom" uses
    ngspice's TRRANDOM with the seed :func:`batch_seeds` takes from the same child.
    """
    import time
    from ..sim import simulate
    if batch < 1:
        raise ConfigError(f"batch={batch!r} must be >= 1")
    if thermal not in THERMAL:
        raise ConfigError(f"thermal={thermal!r} must be one of {THERMAL}")
    t0 = time.perf_counter()
    sizes = [min(batch, trials - b) for b in range(0, trials, batch)] if trials >= 1 else [trials]
    from_p = from_ap = 0
    children = np.random.SeedSequence(seed).spawn(len(sizes))
    for n, s, child in zip(sizes, batch_seeds(seed, len(sizes)), children):
        if thermal == "python":
            from ..devices import get
            dt = float(protocol.get("dt_th") or get("vcmtj").card()["dt_th"])
            stop = protocol.get("equilibrate", 1e-9) + width + EDGE + protocol.get("relax", 3e-9)
            draws = thermal_draws(child, 2 * n, int(math.ceil((stop + dt) / dt)) + 1)
            r = simulate(psw_circuit(voltage, width, n, draws=draws, **protocol), timeout=timeout)
        else:
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
                     workers: int = 2, thermal: str = "python", batch: int = BATCH):
    """ngspice vcmtj vs :func:`circuitlab.physics.switching_probability` on the same protocol.

    Both sides use the same fixed thermal interval ``dt_th`` (s; the LLG step), ``equilibrate`` and
    ``relax`` (s). Returns one dict per point: voltage, width, the two P_sw with their pooled counts
    and the two-sided p-value of the two-proportion z test (:func:`two_proportion_pvalue`).
    ``thermal`` selects the ngspice thermal field (see :func:`spice_switching`).
    """
    from concurrent.futures import ThreadPoolExecutor
    from ..physics import switching_probability
    from ..physics.protocol import PulseProtocol
    proto = PulseProtocol(dt=dt_th, equilibrate=equilibrate, relax=relax)
    with ThreadPoolExecutor(max_workers=workers) as pool:   # each run is its own ngspice process
        runs = list(pool.map(lambda vw: spice_switching(vw[0], vw[1], trials, seed=seed + 7919 * vw[2],
                                                        dt_th=dt_th, equilibrate=equilibrate, relax=relax,
                                                        thermal=thermal, batch=batch),
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
