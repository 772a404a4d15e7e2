"""RRAM crossbar sweeps: IR drop, SL settling, ADC transfer and energy per MVM (seed: neurram_cim_slides.txt).

The programming/relaxation campaign runs through the Monte Carlo engine (``rram_relaxation.toml``,
builder in :mod:`.rram_relaxation`). The array-level sweeps here are specified in small strict TOML
files (``characterisation/rram_{ir_drop,settling,adc,energy}.toml``: ``kind``, ``seed``, ``samples`` and
the keys of :data:`KEYS`); each Monte Carlo sample draws a fresh array and input vector from
``SeedSequence(seed).spawn``. Arrays are NeuRRAM-like: G in [1, 40] uS, inputs X in [-1, 1]
(V_read 0.1 V around V_ref 0.9 V); ``g_distribution`` 'uniform' draws G uniformly, 'sparse' maps
Laplace-distributed trained weights (scale 0.15 of full range) onto G_min + |w| (G_max - G_min), so
most cells sit near 1 uS as in a trained network.

Assumed wiring (130 nm, about 1.5 um cell pitch): 0.3 fF per BL segment (metal at about 0.2 fF/um),
0.8 fF per SL segment (metal plus the access transistor's junction, about 0.5 fF for W = 1 um), C_sample
17 fF on each SL (seed), BL driver 1 kOhm (a small 130 nm inverter at 0.1 V swing).
"""
from __future__ import annotations

import time
import tomllib
from pathlib import Path
from typing import Dict

import numpy as np

from ..errors import ConfigError
from .crossbar import CrossbarSpec, build_crossbar, ideal_sl_voltages, sense_nodes

G_MIN, G_MAX = 1e-6, 40e-6
C_BL, C_SL, C_SAMPLE, R_DRIVER = 0.3e-15, 0.8e-15, 17e-15, 1e3
SEED_SETTLE, SEED_E_VOLTAGE, SEED_E_CURRENT = 2.32e-9, 2.16e-15, 7.81e-15
T_CURRENT_MODE = 10e-9   # s, array activation time of current-mode designs (seed slide: 10 ns)

KEYS = {
    "ir_drop": {"sizes": list, "r_wire": list, "r_driver": float, "g_distribution": str,
                "ngspice_max_size": int},
    "settling": {"sizes": list, "r_driver": float, "g_distribution": str, "stop": float, "step": float,
                 "tolerance": float},
    "adc": {"bits": list, "clip": list, "size": int, "g_distribution": str},
    "energy": {"size": int, "r_driver": float, "g_distribution": str, "t_voltage": float, "t_current": float,
               "step": float},
}


def load_sweep(path) -> Dict[str, object]:
    """Parse a sweep spec strictly: unknown or missing keys and wrong types raise ConfigError."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}")
    kind = data.get("kind")
    if kind not in KEYS:
        raise ConfigError(f"{path}: kind={kind!r} must be one of {', '.join(KEYS)}")
    allowed = dict(KEYS[kind], name=str, kind=str, seed=int, samples=int)
    unknown = sorted(set(data) - set(allowed))
    missing = sorted(set(allowed) - set(data))
    if unknown or missing:
        raise ConfigError(f"{path}: unknown keys {unknown} / missing keys {missing}; a {kind} sweep takes "
                          f"exactly {', '.join(sorted(allowed))}")
    for k, typ in allowed.items():
        v = data[k]
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) if typ is float else isinstance(v, typ)
        if not ok or (typ is int and isinstance(v, bool)):
            raise ConfigError(f"{path}: {k}={v!r} must be a {typ.__name__}")
    if data["g_distribution"] not in ("uniform", "sparse"):
        raise ConfigError(f"{path}: g_distribution={data['g_distribution']!r} must be 'uniform' or 'sparse'")
    if data["samples"] < 1:
        raise ConfigError(f"{path}: samples={data['samples']!r} must be >= 1")
    return data


def draw_array(rng: np.random.Generator, m: int, n: int, dist: str = "uniform"):
    """Conductances (S, (m, n)) and inputs (m,) of one Monte Carlo sample."""
    if dist == "uniform":
        g = rng.uniform(G_MIN, G_MAX, (m, n))
    else:
        w = np.minimum(np.abs(rng.laplace(0.0, 0.15, (m, n))), 1.0)
        g = G_MIN + w * (G_MAX - G_MIN)
    return g, rng.uniform(-1.0, 1.0, m)


def _rngs(spec, samples=None):
    n = spec["samples"] if samples is None else samples
    return [np.random.default_rng(s) for s in np.random.SeedSequence(spec["seed"]).spawn(n)]


# --- IR drop ----------------------------------------------------------------------------------------
def run_ir_drop(spec, samples=None) -> Dict[str, np.ndarray]:
    """Error of the SL voltages (normalised to V_read) vs size and wire resistance; direct solver for all,
    ngspice for sizes <= ngspice_max_size (the largest |solver - ngspice| is kept)."""
    from ..sim import simulate
    from .crossbar_solver import solve_operating_point
    sizes, rw = [int(s) for s in spec["sizes"]], [float(r) for r in spec["r_wire"]]
    rngs = _rngs(spec, samples)
    rms = np.zeros((len(sizes), len(rw), len(rngs)))
    worst = np.zeros_like(rms)
    solve_s = np.zeros(len(sizes))
    ng_diff = np.zeros((len(sizes), len(rw)))
    for a, n in enumerate(sizes):
        for s, rng in enumerate(rngs):
            g, x = draw_array(rng, n, n, spec["g_distribution"])
            ideal = ideal_sl_voltages(g, x)
            for b, r in enumerate(rw):
                cs = CrossbarSpec(g, x, r_driver=spec["r_driver"], r_bl=r, r_sl=r)
                t0 = time.perf_counter()
                v = solve_operating_point(cs)
                solve_s[a] = max(solve_s[a], time.perf_counter() - t0)
                err = (v - ideal) / cs.v_read
                rms[a, b, s], worst[a, b, s] = np.sqrt(np.mean(err ** 2)), np.max(np.abs(err))
                if s == 0 and n <= spec["ngspice_max_size"]:
                    res = simulate(build_crossbar(cs), timeout=120)
                    vng = np.array([res[f"v({node})"][0] for node in sense_nodes(cs)])
                    ng_diff[a, b] = np.max(np.abs(vng - v))
    return {"sizes": np.array(sizes), "r_wire": np.array(rw), "rms": rms, "worst": worst,
            "solve_s": solve_s, "ngspice_diff": ng_diff}


def solve_memory(n: int, r: float = 1.0, seed: int = 0) -> Dict[str, float]:
    """Time (s) and memory (bytes: matrix plus SuperLU factors) of one n x n direct solve with wires."""
    import tracemalloc
    from .crossbar_solver import solve_operating_point
    g, x = draw_array(np.random.default_rng(seed), n, n)
    cs = CrossbarSpec(g, x, r_driver=R_DRIVER, r_bl=r, r_sl=r)
    tracemalloc.start()
    t0 = time.perf_counter()
    solve_operating_point(cs)
    dt = time.perf_counter() - t0
    py_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # SuperLU's factors are C allocations, invisible to tracemalloc: count them from a refactorisation
    return {"n": n, "seconds": dt, "python_peak_bytes": float(py_peak), "lu_bytes": _lu_bytes(cs),
            "nodes": float(2 * n * n)}


def _lu_bytes(cs) -> float:
    """Bytes of the SuperLU factors of the solver's matrix (12 bytes per non-zero: value + index)."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu
    m, n = cs.conductances.shape
    idx = np.arange(m * n).reshape(m, n)
    rows, cols, vals = [], [], []

    def add(a, b, g):
        rows.extend([a, b, a, b])
        cols.extend([a, b, b, a])
        vals.extend([g, g, -g, -g])
    for (i, j), g in np.ndenumerate(cs.conductances):
        add(idx[i, j], m * n + idx[i, j], g)
    for i in range(m):
        for j in range(n - 1):
            add(idx[i, j], idx[i, j + 1], 1 / cs.r_bl)
    for i in range(m - 1):
        for j in range(n):
            add(m * n + idx[i, j], m * n + idx[i + 1, j], 1 / cs.r_sl)
    a = sp.csc_matrix((vals, (rows, cols)), shape=(2 * m * n, 2 * m * n)) + sp.eye(2 * m * n) * 1e-3
    lu = splu(a.tocsc(), permc_spec="COLAMD")
    return 12.0 * (lu.L.nnz + lu.U.nnz) + 12.0 * a.nnz


# --- settling ---------------------------------------------------------------------------------------
def settle_time(t, v, final, tol) -> np.ndarray:
    """Per column: the last time (s) at which |v - final| exceeds ``tol`` (V), interpolated linearly."""
    out = np.zeros(v.shape[1])
    for j in range(v.shape[1]):
        dev = np.abs(v[:, j] - final[j])
        idx = np.nonzero(dev > tol)[0]
        if len(idx) == 0:
            continue
        k = idx[-1]
        if k + 1 >= len(t):
            out[j] = np.inf
            continue
        d0, d1 = dev[k], dev[k + 1]
        out[j] = t[k] + (t[k + 1] - t[k]) * (d0 - tol) / (d0 - d1)
    return out


def settling_spec(g, x, r_driver=R_DRIVER) -> CrossbarSpec:
    """The array used for settling and energy: lumped lines (the wires' own RC, under 0.1 ns even at
    256 x 256 and 1 ohm/segment, is neglected) carrying every segment's capacitance."""
    return CrossbarSpec(g, x, r_driver=r_driver, c_bl=C_BL, c_sl=C_SL, c_sample=C_SAMPLE)


def run_settling(spec, samples=None) -> Dict[str, np.ndarray]:
    """ngspice transients of the SL voltages after the BL step; settling time per column and sample."""
    from ..sim import simulate
    from .crossbar_solver import solve_operating_point
    sizes = [int(s) for s in spec["sizes"]]
    rngs = _rngs(spec, samples)
    times = np.full((len(sizes), len(rngs)), np.nan, dtype=object)
    med = np.zeros((len(sizes), len(rngs)))
    worst = np.zeros_like(med)
    tau = np.zeros_like(med)
    for a, n in enumerate(sizes):
        for s, rng in enumerate(rngs):
            g, x = draw_array(rng, n, n, spec["g_distribution"])
            cs = settling_spec(g, x, spec["r_driver"])
            res = simulate(build_crossbar(cs, transient=spec["stop"], step=spec["step"]), timeout=300)
            v = np.stack([np.asarray(res[f"v({node})"]) for node in sense_nodes(cs)], axis=1)
            ts = settle_time(np.asarray(res.time), v, solve_operating_point(cs), spec["tolerance"])
            times[a, s] = ts
            med[a, s], worst[a, s] = np.median(ts), np.max(ts)
            tau[a, s] = np.median((n * C_SL + C_SAMPLE) / g.sum(axis=0))
    out = {"sizes": np.array(sizes), "median": med, "worst": worst, "tau_rc": tau}
    out.update({f"columns_{n}": np.concatenate(list(times[a])).astype(float) for a, n in enumerate(sizes)})
    return out


# --- ADC ---------------------------------------------------------------------------------------------
def adc_transfer(v, bits: int, v_clip: float) -> np.ndarray:
    """Mid-rise uniform ADC on [-v_clip, v_clip] (V, relative to V_ref): 2^bits levels, LSB = 2 v_clip/2^bits,
    output at the centre of the level; inputs beyond the range clip to the end levels."""
    if bits < 1:
        raise ConfigError(f"bits={bits!r} must be >= 1")
    levels = 2 ** int(bits)
    lsb = 2 * v_clip / levels
    k = np.clip(np.floor((np.asarray(v, float) + v_clip) / lsb), 0, levels - 1)
    return -v_clip + (k + 0.5) * lsb


def run_adc(spec, samples=None) -> Dict[str, np.ndarray]:
    """MVM error of the ADC alone (ideal array) vs bits and clip level (fraction of V_read)."""
    bits, clip = [int(b) for b in spec["bits"]], [float(c) for c in spec["clip"]]
    rngs = _rngs(spec, samples)
    v = []
    for rng in rngs:
        g, x = draw_array(rng, spec["size"], spec["size"], spec["g_distribution"])
        v.append(ideal_sl_voltages(g, x) - 0.9)
    v = np.concatenate(v)
    rms = np.zeros((len(bits), len(clip)))
    clipped = np.zeros(len(clip))
    for b, nb in enumerate(bits):
        for c, fc in enumerate(clip):
            rms[b, c] = np.sqrt(np.mean((adc_transfer(v, nb, fc * 0.1) - v) ** 2)) / 0.1
    for c, fc in enumerate(clip):
        clipped[c] = np.mean(np.abs(v) > fc * 0.1)
    return {"bits": np.array(bits), "clip": np.array(clip), "rms": rms, "clipped": clipped,
            "v_std": np.array(np.std(v))}


# --- energy ------------------------------------------------------------------------------------------
def source_energy(res, names, t_end) -> float:
    """Energy (J) delivered by the named voltage sources over [0, t_end]: integral of -v i dt."""
    t = np.asarray(res.time)
    keep = t <= t_end * (1 + 1e-9)
    total = 0.0
    for name in names:
        p = -np.asarray(res[f"v({name[1]})"] if name[1] != "0" else 0.0) * np.asarray(res[f"i({name[0]})"])
        total += np.trapezoid(p[keep], t[keep])
    return float(total)


def mvm_energy(cs: CrossbarSpec, mode: str, t_act: float, step: float) -> float:
    """Array energy (J) of one MVM from an ngspice transient: BL drivers (and, in current mode, the SL
    virtual-ground sources at V_ref) integrated over the activation time ``t_act`` (s)."""
    from ..sim import simulate
    circuit = build_crossbar(cs, transient=t_act, step=step, sensing=mode)
    res = simulate(circuit, timeout=300)
    m, n = cs.conductances.shape
    drive = [(f"vbl{i}", f"drv{i}" if cs.r_driver > 0 else f"bl{i}") for i in range(m)]
    if mode == "current":
        drive += [(f"vsense{j}", f"sl{j}") for j in range(n)]
    return source_energy(res, drive, t_act)


def run_energy(spec, samples=None) -> Dict[str, np.ndarray]:
    """Energy per MVM and per MAC, voltage mode (activation ``t_voltage``) and current mode (``t_current``)."""
    n = int(spec["size"])
    rngs = _rngs(spec, samples)
    ev, ec = np.zeros(len(rngs)), np.zeros(len(rngs))
    for s, rng in enumerate(rngs):
        g, x = draw_array(rng, n, n, spec["g_distribution"])
        cs = settling_spec(g, x, spec["r_driver"])
        ev[s] = mvm_energy(cs, "voltage", spec["t_voltage"], spec["step"])
        ec[s] = mvm_energy(cs, "current", spec["t_current"], spec["step"])
    return {"size": np.array(n), "e_voltage": ev, "e_current": ec, "mac_voltage": ev / n ** 2,
            "mac_current": ec / n ** 2}
