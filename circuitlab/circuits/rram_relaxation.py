"""RRAM programming variation and conductance relaxation: the model behind the ``rram_relaxation`` campaign.

How our relaxation table is built (devices.md section 3 gives the NeuRRAM-fitted polynomials):

1. Write-verify leaves the 1T1R cell (read at 0.2 V, SL at 0 V, WL at 3.3 V) within the 1 uS
   tolerance of its target; the residual is a truncated normal, sigma ``PROG_SIGMA`` = 0.25 uS clipped
   at 4 sigma = the tolerance (assumed: a uniform +-1 uS residual, sigma 0.58 uS, would exceed the
   0.35 uS that NeuRRAM reports at G -> 0 and t = 1 s).
2. Relaxation drifts the cell by dG ~ N(0, sigma_r(G, t)^2) with
   sigma_r^2 = b^2 + a G^p exp(-G/G1)   (uS, G in uS):
   a G-independent floor b plus a term that grows with the filament's vacancy count (a G^p) and falls
   as larger filaments become thermally more stable (exp(-G/G1)). The four numbers are calibrated per
   time (1 s and 1 day, :func:`calibrate`) by least squares so that sqrt(PROG_SIGMA^2 + sigma_r^2)
   follows the NeuRRAM polynomial on 1-40 uS; between the two times each number is interpolated
   linearly in log10(t) (outside them the nearest calibration is used: no extrapolation).
3. Read noise (1 %, relative) is added at every read through the cell's ``in_z`` input.
4. The campaign reads every sample through the ngspice ``rram_cim`` cell (access transistor included);
   the table is the measured spread of the read conductance around the target, with the read-noise
   variance removed. So the table agrees with the polynomial by construction of the four numbers; what
   the comparison tests is the form (4 numbers versus 5 polynomial coefficients per time) and the
   circuit read-out, not independent physics.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Dict, Mapping

import numpy as np

from ..devices.neurram import NEURRAM_POLY, READ_NOISE, T_DAY, US, neurram_sigma  # noqa: F401 (re-exported)
from ..netlist import Circuit, Instance, Measure, Tran, VoltageSource

PROG_SIGMA = 0.25 * US      # S, write-verify residual (truncated at VERIFY_TOL)
VERIFY_TOL = 1.0 * US       # S, NeuRRAM write-verify tolerance
V_VERIFY = 0.2              # V, verify read (NeuRRAM software)
V_WL = 3.3                  # V, word line during reads
# (b [uS], a [uS^(2-p)], G1 [uS], p) per calibration time: output of calibrate(), pinned by a test
RELAX_CARD = {1.0: (0.570498, 0.319108, 7.253313, 1.751969),
              T_DAY: (0.725440, 0.941731, 10.552263, 1.553130)}


def _form(q, g_us):
    b, a, g1, p = q
    return np.sqrt(b * b + a * g_us ** p * np.exp(-g_us / g1))


def calibrate(points: int = 79) -> Dict[float, tuple]:
    """Least-squares calibration of (b, a, G1, p) at each NeuRRAM time (see the module docstring)."""
    from scipy.optimize import least_squares
    g = np.linspace(1.0, 40.0, points)
    out = {}
    for t in NEURRAM_POLY:
        target = neurram_sigma(g * US, t) / US
        prog = PROG_SIGMA / US

        def resid(q):
            return np.sqrt(prog ** 2 + _form(q, g) ** 2) - target
        fit = least_squares(resid, [0.3, 1.0, 12.0, 1.0], bounds=([0, 0, 1, 0.3], [5, 100, 200, 4]))
        out[t] = tuple(float(v) for v in fit.x)
    return out


def relaxation_sigma(g, t: float, card: Mapping[float, tuple] = RELAX_CARD) -> np.ndarray:
    """Relaxation spread sigma_r (S) at programmed conductance ``g`` (S) after ``t`` seconds (t > 0)."""
    if not t > 0:
        raise ValueError(f"t={t!r} s must be > 0")
    times = sorted(card)
    lt = np.clip(np.log10(t), np.log10(times[0]), np.log10(times[-1]))
    w = (lt - np.log10(times[0])) / (np.log10(times[-1]) - np.log10(times[0]))
    q = [(1 - w) * a + w * b for a, b in zip(card[times[0]], card[times[-1]])]
    return _form(q, np.maximum(np.asarray(g, float), 0.0) / US) * US


def expected_sigma(g, t: float) -> np.ndarray:
    """Our total programmed-and-relaxed spread (S) without read noise (truncation of the residual
    at 4 sigma neglected: 0.1 % of its variance)."""
    return np.sqrt(PROG_SIGMA ** 2 + relaxation_sigma(g, t) ** 2)


# --- the 1T1R cell at the verify read (closed form of the rram_cim equations) ----------------------
def _k(card):
    return card["kp"] * card["W_L"]


@lru_cache(maxsize=1)
def _default_card() -> tuple:
    from .. import devices
    return tuple(devices.get("rram_cim").card().items())


def _card(card):
    if card is None:
        return dict(_default_card())
    from .. import devices
    return devices.get("rram_cim").card(card)


@lru_cache(maxsize=1)
def cell_subcircuit():
    """The default ngspice ``rram_cim`` subcircuit (generated once per process)."""
    from .. import devices
    from ..devices.ngspice import subcircuit
    return subcircuit(devices.get("rram_cim"))


def cell_conductance(g_elem, v: float = V_VERIFY, v_wl: float = V_WL, card=None) -> np.ndarray:
    """Conductance I/V (S) of the 1T1R cell: RRAM ``g_elem`` (S) in series with the linear-region access
    transistor, BL at ``v`` > 0 V, SL at 0 V, WL at ``v_wl`` (gate leak neglected)."""
    card = _card(card)
    g = np.asarray(g_elem, float)
    k, vov = _k(card), v_wl - card["V_t"]
    b = k * vov + g
    vds = (b - np.sqrt(b * b - 2 * k * g * v)) / k
    return g * (v - vds) / v


def element_for_cell(g_cell, v: float = V_VERIFY, v_wl: float = V_WL, card=None) -> np.ndarray:
    """The RRAM element conductance (S) whose 1T1R cell reads ``g_cell`` (S): inverse of
    :func:`cell_conductance` (I = g_cell v; Vds from the transistor law; g = I / (v - Vds))."""
    card = _card(card)
    i = np.asarray(g_cell, float) * v
    k, vov = _k(card), v_wl - card["V_t"]
    vds = vov - np.sqrt(vov * vov - 2 * i / k)
    return i / (v - vds)


def relaxation_read(p: Mapping[str, object]) -> Circuit:
    """One verify-condition read of a programmed, relaxed 1T1R cell (campaign ``rram_relaxation``).

    Values: ``g_target`` (S), ``t_read`` (s), ``u_prog``, ``z_rel``, ``z_read`` (standard-normal draws;
    ``u_prog`` truncated at VERIFY_TOL / PROG_SIGMA). Measures ``i_read`` (A, into the SL sense source).
    """
    g_t, t = float(p["g_target"]), float(p["t_read"])
    g_prog = g_t + PROG_SIGMA * float(p["u_prog"])
    g_relax = g_prog + relaxation_sigma(g_prog, t) * float(p["z_rel"])
    g_elem = float(element_for_cell(g_prog))
    dg = float(element_for_cell(max(g_relax, 0.2 * US))) - g_elem
    sub = cell_subcircuit()
    el = (VoltageSource("bl", "bl", "0", dc=V_VERIFY), VoltageSource("sl", "sl", "0", dc=0.0),
          VoltageSource("wl", "wl", "0", dc=V_WL), VoltageSource("dg", "dg", "0", dc=dg / US),
          VoltageSource("z", "z", "0", dc=float(p["z_read"])),
          Instance("cell", sub.name, ("bl", "sl", "wl", "dg", "z"), {"g": g_elem}))
    return Circuit("rram_cim verify read", el, subcircuits=(sub,), analyses=(Tran(0.1e-9, 1e-9),),
                   options={"reltol": 1e-7, "abstol": 1e-15},
                   measures=(Measure("tran", "i_read", "FIND i(vsl) AT=0.5e-9"),))
