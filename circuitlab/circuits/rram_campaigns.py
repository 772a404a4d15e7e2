"""RRAM crossbar campaigns: IR drop, SL settling, ADC transfer and energy per MVM (seed: neurram_cim_slides.txt).

The functions :func:`ir_drop`, :func:`settling`, :func:`adc` and :func:`energy` are Monte Carlo
*evaluators* (built-in specs ``rram_{ir_drop,settling,adc,energy}.toml``, run with ``circuitlab mc
run``; see :mod:`circuitlab.montecarlo.evaluate`): each takes one run's values and returns its measures.
Each sample draws one array and input vector per array size from ``default_rng([mc_seed, size])``
(:func:`sample_array`), so a sample uses the same array at every other sweep point (wire resistance,
ADC bits and clip level) and independent arrays at different sizes. Sample 0 is a random array too
(these specs vary nothing in the parameter table). The programming/relaxation campaign is a builder
campaign (``rram_relaxation.toml``, :mod:`.rram_relaxation`).

Arrays are NeuRRAM-like: G in [1, 40] uS, inputs X in [-1, 1] (V_read 0.1 V around V_ref 0.9 V). The
value ``sparse`` picks the conductances: 1 maps Laplace-distributed trained weights (scale 0.15 of
full range) onto G_min + |w| (G_max - G_min), so most cells sit near 1 uS as in a trained network; 0
draws G uniformly in [G_min, G_max].

Assumed wiring (130 nm, about 1.5 um cell pitch): 0.3 fF per BL segment (metal at about 0.2 fF/um),
0.8 fF per SL segment (metal plus the access transistor's junction, about 0.5 fF for W = 1 um), C_sample
17 fF on each SL (seed), BL driver 1 kOhm (a small 130 nm inverter at 0.1 V swing).
"""
from __future__ import annotations

import time
from typing import Dict, Mapping

import numpy as np

from ..errors import ConfigError
from .crossbar import CrossbarSpec, build_crossbar, ideal_sl_voltages, sense_nodes

G_MIN, G_MAX = 1e-6, 40e-6
V_READ, V_REF = 0.1, 0.9
C_BL, C_SL, C_SAMPLE, R_DRIVER = 0.3e-15, 0.8e-15, 17e-15, 1e3
SEED_SETTLE = 2.32e-9     # s, NeuRRAM SL settling (seed slide)


def draw_array(rng: np.random.Generator, m: int, n: int, dist: str = "uniform"):
    """Conductances (S, (m, n)) and inputs (m,) drawn from ``rng``; ``dist`` 'uniform' or 'sparse'."""
    if dist == "uniform":
        g = rng.uniform(G_MIN, G_MAX, (m, n))
    else:
        w = np.minimum(np.abs(rng.laplace(0.0, 0.15, (m, n))), 1.0)
        g = G_MIN + w * (G_MAX - G_MIN)
    return g, rng.uniform(-1.0, 1.0, m)


def _value(values: Mapping[str, object], name: str) -> float:
    if name not in values:
        raise ConfigError(f"value {name!r} is missing; add it to [parameters] or [sweep] of the campaign spec")
    return float(values[name])


def sample_array(values: Mapping[str, object]):
    """The run's size x size array and inputs: ``default_rng([mc_seed, size])``, ``sparse`` 0 or 1."""
    n, sparse = int(_value(values, "size")), _value(values, "sparse")
    if sparse not in (0.0, 1.0) or n < 1:
        raise ConfigError(f"size={n} must be >= 1 and sparse={sparse!r} 0 (uniform G) or 1 (trained weights)")
    rng = np.random.default_rng([int(values["mc_seed"]), n])
    return draw_array(rng, n, n, "sparse" if sparse else "uniform")


# --- IR drop ----------------------------------------------------------------------------------------
def ir_drop(values: Mapping[str, object]) -> Dict[str, float]:
    """Evaluator: SL-voltage error of the voltage-mode MVM with wire segments (direct SuperLU solve).

    Values: ``size``, ``r_wire`` (ohm per BL and SL segment), ``r_driver`` (ohm), ``sparse``. Returns
    ``rms`` and ``worst`` (largest |error| over columns) of (V_SL - closed form) / V_read [1]."""
    from .crossbar_solver import solve_operating_point
    g, x = sample_array(values)
    r = _value(values, "r_wire")
    cs = CrossbarSpec(g, x, r_driver=_value(values, "r_driver"), r_bl=r, r_sl=r)
    err = (solve_operating_point(cs) - ideal_sl_voltages(g, x)) / cs.v_read
    return {"rms": float(np.sqrt(np.mean(err ** 2))), "worst": float(np.max(np.abs(err)))}


CELL_MEASURES = ("rms_linear", "worst_linear", "rms_1t1r", "worst_1t1r", "rms_1t1r_no_wire", "worst_1t1r_no_wire",
                 "iterations")


def ir_drop_cells(values: Mapping[str, object]) -> Dict[str, float]:
    """Evaluator: the IR-drop error of 1T1R cells (rram_cim, Newton solve) beside linear cells of the same
    read conductance, on the array :func:`ir_drop` draws for the same sample and size.

    Values: ``size``, ``r_wire`` (ohm per segment), ``r_driver`` (ohm), ``sparse``. Returns ``rms_*`` and
    ``worst_*`` of (V_SL - closed form) / V_read for ``linear`` cells, ``1t1r`` cells and ``1t1r_no_wire``
    (ideal wires and drivers: the cell's own nonlinearity), and the Newton ``iterations`` of the 1T1R
    solve with wires (see :func:`circuitlab.circuits.crossbar_newton.ir_drop_1t1r`)."""
    from .crossbar_newton import ir_drop_1t1r
    g, x = sample_array(values)
    got = ir_drop_1t1r(g, x, r_wire=_value(values, "r_wire"), r_driver=_value(values, "r_driver"),
                       v_read=V_READ, v_ref=V_REF)
    return {k: float(got[k]) for k in CELL_MEASURES}  # no timings: results stay reproducible bit for bit


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
    """Per column: the last time (s) at which |v - final| exceeds ``tol`` (V), interpolated linearly;
    inf when the column is still outside the band at the end of the transient."""
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


def column_settling(cs: CrossbarSpec, stop: float, step: float, tol: float, timeout: float) -> np.ndarray:
    """Settling time (s) of every column: ngspice transient of the BL step against the direct solve's
    operating point."""
    from ..sim import simulate
    from .crossbar_solver import solve_operating_point
    res = simulate(build_crossbar(cs, transient=stop, step=step), timeout=timeout)
    v = np.stack([np.asarray(res[f"v({node})"]) for node in sense_nodes(cs)], axis=1)
    return settle_time(np.asarray(res.time), v, solve_operating_point(cs), tol)


def settling(values: Mapping[str, object]) -> Dict[str, float]:
    """Evaluator: SL settling after the BL step, voltage-mode sensing, one ngspice transient per run.

    Values: ``size``, ``r_driver`` (ohm), ``sparse``, ``stop`` and ``step`` (s, transient),
    ``tolerance`` (V, settled band). Returns ``settle_median`` and ``settle_worst`` over the columns (s)
    and ``tau_rc`` (s): the median lumped RC constant (size C_SL + C_sample) / sum_i G_ij."""
    g, x = sample_array(values)
    cs = settling_spec(g, x, _value(values, "r_driver"))
    ts = column_settling(cs, _value(values, "stop"), _value(values, "step"), _value(values, "tolerance"),
                         _value(values, "mc_timeout"))
    tau = np.median((g.shape[0] * C_SL + C_SAMPLE) / g.sum(axis=0))
    return {"settle_median": float(np.median(ts)), "settle_worst": float(np.max(ts)), "tau_rc": float(tau)}


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


def adc(values: Mapping[str, object]) -> Dict[str, float]:
    """Evaluator: MVM error of the ADC alone (ideal array voltages through :func:`adc_transfer`).

    Values: ``size``, ``sparse``, ``bits``, ``clip`` (range +-clip V_read). Returns ``rms``: RMS over the
    columns of (ADC output - V_SL) / V_read [1], and ``clipped``: the fraction of columns beyond the range.
    Every sample has ``size`` columns, so the campaign's RMS is sqrt(mean over samples of rms^2)."""
    g, x = sample_array(values)
    v = ideal_sl_voltages(g, x, V_READ, V_REF) - V_REF
    v_clip = _value(values, "clip") * V_READ
    out = adc_transfer(v, int(_value(values, "bits")), v_clip)
    return {"rms": float(np.sqrt(np.mean((out - v) ** 2)) / V_READ), "clipped": float(np.mean(np.abs(v) > v_clip))}


# --- energy ------------------------------------------------------------------------------------------
def source_energy(res, names, t_end, reference: float = 0.0) -> float:
    """Energy (J) delivered by the named voltage sources over [0, t_end]: integral of -(v - reference) i dt
    (``reference`` V: the rail the charge returns to; 0 = ground)."""
    t = np.asarray(res.time)
    keep = t <= t_end * (1 + 1e-9)
    total = 0.0
    for name in names:
        v = np.asarray(res[f"v({name[1]})"]) if name[1] != "0" else 0.0
        p = -(v - reference) * np.asarray(res[f"i({name[0]})"])
        total += np.trapezoid(p[keep], t[keep])
    return float(total)


def mvm_energy(cs: CrossbarSpec, mode: str, t_act: float, step: float, timeout: float = 300.0,
               reference: float = 0.0) -> float:
    """Array energy (J) of one MVM from an ngspice transient: BL drivers (and, in current mode, the SL
    virtual-ground sources at V_ref) integrated over the activation time ``t_act`` (s), voltages taken
    relative to ``reference`` (V; see :func:`source_energy`)."""
    from ..sim import simulate
    circuit = build_crossbar(cs, transient=t_act, step=step, sensing=mode)
    res = simulate(circuit, timeout=timeout)
    m, n = cs.conductances.shape
    drive = [(f"vbl{i}", f"drv{i}" if cs.r_driver > 0 else f"bl{i}") for i in range(m)]
    if mode == "current":
        drive += [(f"vsense{j}", f"sl{j}") for j in range(n)]
    return source_energy(res, drive, t_act, reference)


def energy(values: Mapping[str, object]) -> Dict[str, float]:
    """Evaluator: array energy per MVM (J) of the same array in both sensing modes (two ngspice transients).

    Values: ``size``, ``r_driver`` (ohm), ``sparse``, ``t_voltage`` and ``t_current`` (s, activation
    time of voltage mode, SL floating, and of current mode, SL held at V_ref), ``step`` (s). Returns
    ``e_voltage`` and ``e_current``; per MAC divide by size^2 (the spec's derived scalars)."""
    g, x = sample_array(values)
    cs = settling_spec(g, x, _value(values, "r_driver"))
    step, timeout = _value(values, "step"), _value(values, "mc_timeout")
    return {"e_voltage": mvm_energy(cs, "voltage", _value(values, "t_voltage"), step, timeout),
            "e_current": mvm_energy(cs, "current", _value(values, "t_current"), step, timeout)}
