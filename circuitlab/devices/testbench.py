"""Test benches shared by the equivalence tests and the CLI: operating-point grids and pulse trains.

- :func:`operating_points` draws (seeded) parameter cards, branch voltages, states and inputs;
- :func:`ngspice_outputs` evaluates every quantity of many operating points in ONE ngspice ``.op``
  (one probe instance per point, every node pinned by a voltage source);
- :func:`numpy_outputs` and :func:`verilogae_outputs` evaluate the same points with the generated
  Python and Verilog-A code.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional

import numpy as np

from ..netlist import Circuit, Instance, Op, VoltageSource
from .core import DeviceModel
from .ngspice import ports, subcircuit
from .numeric import Evaluator


@dataclass(frozen=True)
class OperatingPoints:
    """``params``: name -> array (n,); ``signals``: evaluator argument -> array (n,) in SI units;
    ``nodes``: node -> array (n,) of node voltages (the reference node is ground)."""
    params: Dict[str, np.ndarray]
    signals: Dict[str, np.ndarray]
    nodes: Dict[str, np.ndarray]
    reference: str

    @property
    def n(self) -> int:
        return len(next(iter(self.nodes.values())))


def _node_voltages(model: DeviceModel, branch_v: Mapping[str, np.ndarray], n: int):
    """Node voltages from branch voltages by walking the branch graph from the first branch's minus."""
    reference = model.branches[0].minus
    nodes = {reference: np.zeros(n)}
    pending = list(model.branches)
    while pending:
        progress = False
        for b in list(pending):
            if b.minus in nodes and b.plus not in nodes:
                nodes[b.plus] = nodes[b.minus] + branch_v[b.name]
            elif b.plus in nodes and b.minus not in nodes:
                nodes[b.minus] = nodes[b.plus] - branch_v[b.name]
            elif not (b.plus in nodes and b.minus in nodes):
                continue
            pending.remove(b)
            progress = True
        if not progress:
            for b in pending:  # a branch of a separate component: ground its minus
                nodes.setdefault(b.minus, np.zeros(n))
    for node in list(model.terminals) + list(model.internal_nodes):
        nodes.setdefault(node, np.zeros(n))
    return nodes, reference


def operating_points(model: DeviceModel, n: int = 240, seed: int = 0) -> OperatingPoints:
    """``n`` seeded operating points: parameters uniform in their sweep ranges, branch voltages in
    ``model.voltage_ranges``, states and inputs in their ``test_range`` (SI)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    params = {p.name: rng.uniform(*p.sweep_range, size=n) for p in model.params}
    branch_v = {b.name: rng.uniform(*model.voltage_ranges.get(b.name, (-1.0, 1.0)), size=n)
                for b in model.branches}
    nodes, reference = _node_voltages(model, branch_v, n)
    signals: Dict[str, np.ndarray] = {}
    for b in model.branches:
        signals[b.symbol.name] = nodes[b.plus] - nodes[b.minus]
    for s in model.states:
        signals[s.name] = rng.uniform(*s.test_range, size=n)
        nodes[s.node] = signals[s.name] / s.scale
    for i in model.inputs:
        signals[i.name] = rng.uniform(*i.test_range, size=n)
        nodes[i.node] = signals[i.name] / i.scale
    return OperatingPoints(params, signals, nodes, reference)


def probe_circuit(model: DeviceModel, points: OperatingPoints) -> Circuit:
    """One ``.op`` netlist: a probe instance per operating point, every port pinned by a source."""
    sub = subcircuit(model, probe=True, name=f"{model.name}_probe")
    elements = []
    port_list = ports(model, probe=True)
    for k in range(points.n):
        conn = []
        for node in port_list:
            if node == points.reference:
                conn.append("0")
                continue
            net = f"n{k}_{node}"
            conn.append(net)
            elements.append(VoltageSource(f"V{k}_{node}", net, "0", dc=float(points.nodes[node][k])))
        elements.append(Instance(f"X{k}", sub.name, tuple(conn),
                                 {p: float(v[k]) for p, v in points.params.items()}))
    return Circuit(f"{model.name} operating points", tuple(elements), subcircuits=(sub,), analyses=(Op(),))


def ngspice_outputs(model: DeviceModel, points: OperatingPoints, timeout: float = 60.0) -> Dict[str, np.ndarray]:
    """Every quantity at every operating point, evaluated by ngspice (``v(xk.o_<name>)``)."""
    from ..sim import simulate
    result = simulate(probe_circuit(model, points), timeout=timeout)
    return {q: np.array([result[f"v(x{k}.o_{q.lower()})"][0] for k in range(points.n)]) for q in model.outputs}


def numpy_outputs(model: DeviceModel, points: OperatingPoints, backend: str = "numpy") -> Dict[str, np.ndarray]:
    out = Evaluator(model, backend)(points.params, **points.signals)
    return {k: np.asarray(v, dtype=float) * np.ones(points.n) for k, v in out.items()}


def verilogae_outputs(model: DeviceModel, points: OperatingPoints, va_file: Optional[Path] = None,
                      temperature: float = 300.0) -> Dict[str, np.ndarray]:
    """Every retrieved quantity evaluated by verilogae from the committed (or given) ``.va`` file."""
    import verilogae

    from .veriloga import va_path
    module = verilogae.load(str(va_file or va_path(model.name)))
    # verilogae names a branch by its nodes: br_<plus><minus>, or br_<node> against ground
    voltages = {(f"br_{b.plus}" if b.minus == "0" else f"br_{b.plus}{b.minus}"): points.signals[b.symbol.name]
                for b in model.branches}
    voltages.update({f"br_{s.node}": points.nodes[s.node] for s in model.states})
    voltages.update({f"br_{i.node}": points.nodes[i.node] for i in model.inputs})
    out = {}
    for q in model.outputs:
        fn = module.functions[q]
        volts = {k: v for k, v in voltages.items() if k in fn.voltages}
        params = {k: v for k, v in points.params.items() if k in fn.parameters}
        out[q] = np.asarray(fn.eval(temperature=temperature, voltages=volts, **params), dtype=float) * np.ones(points.n)
    return out


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 0.0) -> float:
    """max |a - b| / max(|b|, floor): the residual reported by the equivalence tests."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    den = np.maximum(np.abs(b), floor)
    den = np.where(den == 0, 1.0, den)
    return float(np.max(np.abs(a - b) / den))


# --- pulse-train transients ------------------------------------------------------------------------
def pulse_value(t: np.ndarray, v1: float, v2: float, delay: float, rise: float, fall: float, width: float,
                period: float) -> np.ndarray:
    """The SPICE PULSE waveform at times ``t`` (s), as ngspice defines it."""
    t = np.asarray(t, dtype=float)
    tau = np.where(t < delay, -1.0, np.mod(t - delay, period))
    out = np.full_like(t, v1)
    on_rise = (tau >= 0) & (tau < rise)
    out = np.where(on_rise, v1 + (v2 - v1) * tau / rise, out)
    out = np.where((tau >= rise) & (tau < rise + width), v2, out)
    on_fall = (tau >= rise + width) & (tau < rise + width + fall)
    return np.where(on_fall, v2 + (v1 - v2) * (tau - rise - width) / fall, out)


def _node_drives(model: DeviceModel):
    """node -> callable(t) for every terminal and input node (pulses from ``test_pulses``, else 0 V)."""
    drives = {}
    for node in list(model.terminals) + list(model.input_nodes):
        spec = model.test_pulses.get(node)
        drives[node] = (lambda t, s=spec: pulse_value(t, *s)) if spec else (lambda t: np.zeros_like(np.asarray(t, float)))
    return drives


def transient_ngspice(model: DeviceModel, card: Optional[Mapping[str, float]] = None, points: int = 400,
                      timeout: float = 60.0, pulses: Optional[Mapping[str, tuple]] = None,
                      stop: Optional[float] = None, probes=()):
    """ngspice transient of the model under its test pulse train (or ``pulses``/``stop``);
    returns (t, {state: SI array, probe: array})."""
    from dataclasses import replace

    from ..netlist import Pulse, Tran
    from ..sim import simulate
    if pulses is not None or stop is not None:
        model = replace(model, test_pulses=dict(pulses or model.test_pulses), test_stop=stop or model.test_stop)
    card = model.card(dict(model.test_card, **(card or {})))
    sub = subcircuit(model, card, probes=probes)
    elements, conn = [], []
    for node in ports(model):
        if node == model.branches[0].minus:
            conn.append("0")
            continue
        conn.append(node)
        spec = model.test_pulses.get(node)
        wave = Pulse(*spec) if spec else None
        elements.append(VoltageSource(f"V_{node}", node, "0", dc=None if spec else 0.0, waveform=wave))
    elements.append(Instance("X0", sub.name, tuple(conn)))
    stop = model.test_stop
    circuit = Circuit(f"{model.name} pulse train", tuple(elements), subcircuits=(sub,),
                      options={"reltol": 1e-6, "abstol": 1e-15, "vntol": 1e-9, "chgtol": 1e-18, "trtol": 1},
                      analyses=(Tran(stop / points, stop, max_step=stop / points, uic=True),))
    result = simulate(circuit, timeout=timeout)
    t = result.time
    out = {s.name: np.asarray(result[f"v(x0.{s.node})"], float) * s.scale for s in model.states}
    out.update({q: np.asarray(result[f"v(x0.o_{q.lower()})"], float) for q in probes})
    return t, out


def transient_scipy(model: DeviceModel, t_eval: np.ndarray, card: Optional[Mapping[str, float]] = None,
                    rtol: float = 1e-8, method: str = "LSODA"):
    """``solve_ivp`` (LSODA) of the numpy evaluator under the same pulse train; returns {state: array}."""
    from scipy.integrate import solve_ivp
    card = model.card(dict(model.test_card, **(card or {})))
    ev = Evaluator(model)
    drives = _node_drives(model)
    reference = model.branches[0].minus

    def volts(t):
        node = {n: float(f(np.array(t))) for n, f in drives.items()}
        node[reference] = 0.0
        node["0"] = 0.0
        sig = {b.symbol.name: node.get(b.plus, 0.0) - node.get(b.minus, 0.0) for b in model.branches}
        sig.update({i.name: node[i.node] * i.scale for i in model.inputs})
        return sig

    fn = ev._fn  # scalar fast path: the same generated code evaluated with the math module

    def rhs(t, y):
        sig = volts(t)
        sig.update({s.name: y[k] * s.scale for k, s in enumerate(model.states)})
        out = fn(_SCALAR, max, min, **sig, **card)
        return [float(out[f"d{s.name}dt"]) / s.scale for s in model.states]

    y0 = [card[s.initial] / s.scale for s in model.states]
    breaks = _breakpoints(model, t_eval[-1])
    sol = solve_ivp(rhs, (0.0, float(t_eval[-1])), y0, method=method, t_eval=t_eval, rtol=rtol, atol=1e-10,
                    max_step=min(np.diff(breaks).min() if len(breaks) > 1 else np.inf, t_eval[-1] / 200))
    return {s.name: sol.y[k] * s.scale for k, s in enumerate(model.states)}


class _Scalar:
    """``xp`` for Python floats (10-50x faster than numpy on scalars inside solve_ivp)."""
    exp, sinh, cosh, tanh, sqrt, log = math.exp, math.sinh, math.cosh, math.tanh, math.sqrt, math.log
    sin, cos = math.sin, math.cos
    abs = staticmethod(abs)

    @staticmethod
    def sign(x):
        return float(int(x > 0) - int(x < 0))


_SCALAR = _Scalar()


def _breakpoints(model: DeviceModel, stop: float) -> np.ndarray:
    pts = {0.0, stop}
    for v1, v2, delay, rise, fall, width, period in model.test_pulses.values():
        t0 = delay
        while t0 < stop:
            for dt in (0.0, rise, rise + width, rise + width + fall):
                if t0 + dt < stop:
                    pts.add(t0 + dt)
            t0 += period
    return np.array(sorted(pts))
