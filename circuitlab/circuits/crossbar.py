"""M x N RRAM crossbar with NeuRRAM voltage-mode sensing (seed: neurram_cim_slides.txt).

Rows are bit lines (BL) driven to V_ref + X_i V_read through a driver resistance; columns are source
lines (SL), pre-charged to V_ref and left floating, so each settles to the conductance-weighted mean
of its BL voltages:

    V_SL,j = V_read * sum_i X_i G_ij / sum_i G_ij + V_ref          (zero wire resistance)

Wire segments (``r_bl``/``r_sl`` ohm between neighbouring cells, ``c_bl``/``c_sl`` farad per segment)
model IR drop and settling; ``c_sample`` (F) loads each SL's sense node (NeuRRAM: C_sample 17 fF).
Cells are linear conductances, or any subcircuit with ports (bl, sl) given as ``cell``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..errors import InvalidValueError
from ..netlist import Capacitor, Circuit, Instance, Op, PWL, Resistor, Subcircuit, Tran, VoltageSource


@dataclass(frozen=True)
class CrossbarSpec:
    """Array and sensing parameters; SI units. Defaults from NeuRRAM (V_ref 0.9 V, inputs +-0.1 V)."""
    conductances: np.ndarray            # (M, N) siemens, 1-40 uS in NeuRRAM
    inputs: np.ndarray                  # (M,) dimensionless X_i in [-1, 1]
    v_read: float = 0.1                 # V
    v_ref: float = 0.9                  # V
    r_driver: float = 0.0               # ohm, BL driver output resistance
    r_bl: float = 0.0                   # ohm per BL segment between neighbouring cells
    r_sl: float = 0.0                   # ohm per SL segment
    c_bl: float = 0.0                   # F per BL segment to ground
    c_sl: float = 0.0                   # F per SL segment to ground
    c_sample: float = 17e-15            # F on each SL sense node
    cell: Optional[Subcircuit] = field(default=None, compare=False)

    def __post_init__(self):
        g = np.asarray(self.conductances, float)
        x = np.asarray(self.inputs, float)
        object.__setattr__(self, "conductances", g)
        object.__setattr__(self, "inputs", x)
        if g.ndim != 2 or x.shape != (g.shape[0],):
            raise InvalidValueError(f"conductances must be (M, N) and inputs (M,); got {g.shape} and {x.shape}")
        if not np.all(np.isfinite(g)) or np.any(g <= 0):
            raise InvalidValueError("every conductance must be finite and > 0 S (use 1e-9 S for an off cell)")
        if np.any(np.abs(x) > 1) or not np.all(np.isfinite(x)):
            raise InvalidValueError("inputs X_i must lie in [-1, 1]")
        for name in ("r_driver", "r_bl", "r_sl", "c_bl", "c_sl", "c_sample"):
            if getattr(self, name) < 0:
                raise InvalidValueError(f"{name}={getattr(self, name)!r} must be >= 0")


def ideal_sl_voltages(conductances, inputs, v_read: float = 0.1, v_ref: float = 0.9) -> np.ndarray:
    """Closed-form SL voltages (V) of the ideal array: V_read sum(X G)/sum(G) + V_ref per column."""
    g = np.asarray(conductances, float)
    return v_read * (np.asarray(inputs, float) @ g) / g.sum(axis=0) + v_ref


def _bl(i, j, spec):
    return f"bl{i}_{j}" if spec.r_bl > 0 else f"bl{i}"


def _sl(i, j, spec):
    return f"sl{i}_{j}" if spec.r_sl > 0 else f"sl{j}"


def build_crossbar(spec: CrossbarSpec, *, transient: Optional[float] = None, step: float = 1e-12,
                   sensing: str = "voltage") -> Circuit:
    """The crossbar netlist: ``.op`` by default, or a transient of ``transient`` seconds in which the BLs
    step from V_ref to their input voltage at t = 0 (10 ps edge) with every SL starting at V_ref.

    ``sensing`` 'voltage' leaves the SLs floating (NeuRRAM); 'current' holds each SL sense node at V_ref
    with a source ``vsense<j>`` (the virtual ground of a current-mode read-out)."""
    if sensing not in ("voltage", "current"):
        raise InvalidValueError(f"sensing={sensing!r} must be 'voltage' or 'current'")
    m, n = spec.conductances.shape
    el = []
    for i in range(m):
        v = spec.v_ref + spec.inputs[i] * spec.v_read
        drive = f"drv{i}" if spec.r_driver > 0 else _bl(i, 0, spec)
        wave = PWL([(0.0, spec.v_ref), (1e-11, v)]) if transient else None
        el.append(VoltageSource(f"bl{i}", drive, "0", dc=None if transient else v, waveform=wave))
        if spec.r_driver > 0:
            el.append(Resistor(f"drv{i}", drive, _bl(i, 0, spec), spec.r_driver))
        for j in range(n):
            if spec.r_bl > 0 and j < n - 1:
                el.append(Resistor(f"b{i}_{j}", _bl(i, j, spec), _bl(i, j + 1, spec), spec.r_bl))
            if spec.c_bl > 0:
                el.append(Capacitor(f"b{i}_{j}", _bl(i, j, spec), "0", spec.c_bl))
            if spec.cell is None:
                el.append(Resistor(f"c{i}_{j}", _bl(i, j, spec), _sl(i, j, spec), 1.0 / spec.conductances[i, j]))
            else:
                el.append(Instance(f"c{i}_{j}", spec.cell.name, (_bl(i, j, spec), _sl(i, j, spec)),
                                   {"g": float(spec.conductances[i, j])}))
            if spec.r_sl > 0 and i < m - 1:
                el.append(Resistor(f"s{i}_{j}", _sl(i, j, spec), _sl(i + 1, j, spec), spec.r_sl))
            if spec.c_sl > 0:
                el.append(Capacitor(f"s{i}_{j}", _sl(i, j, spec), "0", spec.c_sl))
    ics = {}
    for j in range(n):
        sense = _sl(m - 1, j, spec)
        if spec.c_sample > 0:
            el.append(Capacitor(f"sample{j}", sense, "0", spec.c_sample))
        if sensing == "current":
            el.append(VoltageSource(f"sense{j}", sense, "0", dc=spec.v_ref))
        else:
            ics[sense] = spec.v_ref
    analyses = [Tran(step, transient, max_step=step)] if transient else [Op()]
    return Circuit(f"rram crossbar {m}x{n} voltage-mode sensing", elements=el,
                   subcircuits=[spec.cell] if spec.cell is not None else [],
                   options={"reltol": 1e-6, "abstol": 1e-15, "vntol": 1e-9, "gmin": 1e-15},
                   initial_conditions=ics if transient else {}, analyses=analyses)


def sense_nodes(spec: CrossbarSpec) -> list:
    """Names of the SL sense nodes (one per column), in column order."""
    m, n = spec.conductances.shape
    return [_sl(m - 1, j, spec) for j in range(n)]


def example_crossbar() -> Circuit:
    """8 x 8 crossbar, 1-40 uS cells (seeded), inputs in {-1, -0.5, 0, 0.5, 1}, 1 ohm wire segments,
    100 ohm drivers: the operating point of one voltage-mode MVM (netlists/rram_crossbar.cir)."""
    rng = np.random.default_rng(8)
    g = np.round(rng.uniform(1e-6, 40e-6, (8, 8)), 9)
    x = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], 8)
    return build_crossbar(CrossbarSpec(g, x, r_driver=100.0, r_bl=1.0, r_sl=1.0))


def _register() -> None:
    from .basic import EXAMPLES
    EXAMPLES.setdefault("rram_crossbar", example_crossbar)


_register()
