"""A small RRAM layer computed by the crossbar circuit itself: the "SPICE chip" of chip-in-the-loop runs.

One tile: weights as differential pairs on two rows (G+ rows driven with +X, G- rows with -X; seed
neurram_cim_slides.txt, voltage-mode sensing), one column per output. For each input vector the SL
operating point comes from ngspice (``.op`` of :func:`~circuitlab.circuits.crossbar.build_crossbar`) or
from the sparse nodal solver (:func:`~circuitlab.circuits.crossbar_solver.solve_operating_point`, same
equations, fast). Returns normalised SL voltages y = (V_SL - V_ref) / V_read, the quantity the
behavioural layer's ADC reads (``RRAMLinear.column_voltages``), so the two can be compared directly.
numpy in and out; nothing here imports torch.
"""
from __future__ import annotations

import numpy as np

from ..errors import InvalidValueError
from .crossbar import CrossbarSpec, build_crossbar, sense_nodes
from .crossbar_solver import solve_operating_point

__all__ = ["crossbar_column_voltages", "CrossbarChip"]


def crossbar_column_voltages(g_pos, g_neg, x, *, r_wire: float = 0.0, r_driver: float = 0.0,
                             solver: str = "sparse", v_read: float = 0.1, v_ref: float = 0.9,
                             timeout: float = 60.0) -> np.ndarray:
    """Normalised SL voltages (B, out) of the pair array ``g_pos``/``g_neg`` (out, in) [S] for inputs ``x``
    (B, in) in [-1, 1]. ``solver``: 'sparse' (SuperLU nodal solve) or 'ngspice' (real ngspice ``.op``)."""
    if solver not in ("sparse", "ngspice"):
        raise InvalidValueError(f"solver={solver!r}: use 'sparse' or 'ngspice'")
    gp, gn = np.asarray(g_pos, float), np.asarray(g_neg, float)
    x = np.atleast_2d(np.asarray(x, float))
    if gp.shape != gn.shape or gp.ndim != 2 or x.shape[1] != gp.shape[1]:
        raise InvalidValueError(f"g_pos/g_neg must be (out, in) and x (B, in); got {gp.shape}, {gn.shape}, {x.shape}")
    g = np.concatenate([gp.T, gn.T], axis=0)            # (2 in, out): G+ rows then G- rows
    out = np.empty((x.shape[0], gp.shape[0]))
    for b, xb in enumerate(x):
        spec = CrossbarSpec(g, np.concatenate([xb, -xb]), v_read=v_read, v_ref=v_ref, r_driver=r_driver,
                            r_bl=r_wire, r_sl=r_wire)
        if solver == "sparse":
            v = solve_operating_point(spec)
        else:
            from ..sim import simulate
            res = simulate(build_crossbar(spec), timeout=timeout)
            v = np.array([res[f"v({node})"][0] for node in sense_nodes(spec)])
        out[b] = (v - v_ref) / v_read
    return out


class CrossbarChip:
    """A callable chip for :class:`circuitlab.nn.RRAMLinear` (its ``chip`` attribute):
    ``chip(g_pos, g_neg, x) -> y`` with numpy arrays as in :func:`crossbar_column_voltages`."""

    def __init__(self, *, r_wire: float = 1.0, r_driver: float = 0.0, solver: str = "sparse"):
        self.r_wire, self.r_driver, self.solver = r_wire, r_driver, solver

    def __call__(self, g_pos, g_neg, x):
        return crossbar_column_voltages(g_pos, g_neg, x, r_wire=self.r_wire, r_driver=self.r_driver,
                                        solver=self.solver)

    def __repr__(self):
        return f"CrossbarChip(r_wire={self.r_wire}, r_driver={self.r_driver}, solver={self.solver!r})"
