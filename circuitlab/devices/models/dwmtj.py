"""Three-terminal spin-orbit-torque domain-wall MTJ (DW-MTJ) with polynomial wall motion.

Terminals: ``t1``-``t2`` is the heavy-metal write track (resistance R_track), ``t3``-``t2`` the read
MTJ. The domain-wall position q (m, 0 = all parallel) moves with the write current I = V(t1,t2)/R_track:

- dq/dt = sgn(I) max(0, c1 (|I| - I_th) + c2 (|I| - I_th)^2)        (m/s; seed: 2nd-order fit to MuMax3)
  smoothly bounded to the track [0, L] (end stops); a negative current drives the wall back (reset).
- TMR(V) = TMR0 / (1 + V^2/Vh^2),  G_AP(V) = G_P / (1 + TMR(V))
- G(q, V) = (1 - f) G_P + f G_AP,  f = clip((q - x_L)/(x_R - x_L), 0, 1)   (MTJ over x_L..x_R)

Sources: seed dwmtj_p2m_snn_paper.txt (3 terminals, polynomial velocity fit, TMR 200 %, reset by a
negative pulse); devices.md section 2 (R_P, R_AP, R_track, L, MTJ span from the public kinematic
DW model; static-friction current density p0 = 8e10 A/m^2 over the 60e-18 m^2 heavy-metal section
gives I_th = 4.8 uA). c1, c2 and Vh are assumed (marked in their docs): about 200 m/s at 80 uA.
"""
from __future__ import annotations

import sympy as sp

from ..core import Branch, DeviceModel, Param, Quantity, State, bounded_rate

SEED = "seed dwmtj_p2m_snn_paper.txt"
KIN = "public kinematic DW-MTJ model defaults (devices.md section 2)"
ASSUMED = "assumed (circuitlab)"

PARAMS = (
    Param("R_track", 3.9e3, "ohm", "heavy-metal write-track resistance t1-t2", KIN, lo=0.0, open_lo=True),
    Param("R_P", 10e3, "ohm", "parallel read resistance at zero bias", KIN, lo=0.0, open_lo=True),
    Param("TMR0", 2.0, "1", "zero-bias TMR (R_AP/R_P - 1; seed 200 %)", SEED, lo=0.0),
    Param("Vh", 0.5, "V", "bias at which the TMR halves", ASSUMED, lo=0.0, open_lo=True),
    Param("L", 120e-9, "m", "free-layer (track) length", KIN, lo=0.0, open_lo=True, sweep=(100e-9, 140e-9)),
    Param("x_L", 20e-9, "m", "left edge of the MTJ", KIN, lo=0.0, sweep=(15e-9, 25e-9)),
    Param("x_R", 100e-9, "m", "right edge of the MTJ", KIN, lo=0.0, open_lo=True, sweep=(90e-9, 110e-9)),
    Param("I_th", 4.8e-6, "A", "threshold (depinning) current", KIN + ": p0 * 60e-18 m^2", lo=0.0),
    Param("c1", 2.0e6, "m/(s A)", "linear velocity coefficient", ASSUMED, lo=0.0),
    Param("c2", 1.0e10, "m/(s A^2)", "quadratic velocity coefficient", ASSUMED),
    Param("q_init", 0.0, "m", "initial wall position", SEED, lo=0.0),
    Param("q_width", 0.1e-9, "m", "width of the smooth end stops (circuitlab choice)", "circuitlab",
          lo=0.0, open_lo=True),
    Param("rate_scale", 1e-6, "m/s", "width of the smooth sign switch of dq/dt (circuitlab choice)", "circuitlab",
          lo=0.0, open_lo=True),
)


def build() -> DeviceModel:
    p = {x.name: x.symbol for x in PARAMS}
    w, r = Branch("w", "t1", "t2"), Branch("r", "t3", "t2")
    q = sp.Symbol("q", real=True)
    S = {n: sp.Symbol(n, real=True) for n in ("Iwrite", "vdw", "TMR_V", "Gread")}
    over = sp.Abs(S["Iwrite"]) - p["I_th"]
    frac = sp.Min(1, sp.Max(0, (q - p["x_L"]) / (p["x_R"] - p["x_L"])))
    quantities = (
        Quantity("Iwrite", w.symbol / p["R_track"], "A", "write current t1 -> t2"),
        Quantity("vdw", sp.sign(S["Iwrite"]) * sp.Max(0, p["c1"] * over + p["c2"] * over ** 2), "m/s",
                 "domain-wall velocity before the end stops"),
        Quantity("TMR_V", p["TMR0"] / (1 + r.symbol ** 2 / p["Vh"] ** 2), "1", "bias-dependent TMR"),
        Quantity("Gread", (1 - frac) / p["R_P"] + frac / (p["R_P"] * (1 + S["TMR_V"])), "S",
                 "read conductance t3-t2"),
        Quantity("Iread", S["Gread"] * r.symbol, "A", "read current t3 -> t2"),
        Quantity("Rread", 1 / S["Gread"], "ohm", "read resistance t3-t2"),
    )
    rate = bounded_rate(S["vdw"], q, 0, p["L"], p["q_width"], p["rate_scale"])
    state = State("q", "m", 1e-9, "q_init", rate, "domain-wall position along the track",
                  test_range=(0.0, 120e-9))
    return DeviceModel(
        name="dwmtj", title="3-terminal SOT domain-wall MTJ (polynomial wall motion, bias-dependent TMR)",
        doc=__doc__, citations=(SEED, KIN), terminals=("t1", "t2", "t3"), branches=(w, r), params=PARAMS,
        quantities=quantities, contributions=(("w", "Iwrite"), ("r", "Iread")), states=(state,),
        voltage_ranges={"w": (-0.5, 0.5), "r": (-1.0, 1.0)},
        # ten 100 ps write pulses of 0.3 V (about 20 nm each): the wall runs into the end stop
        test_pulses={"t1": (0.0, 0.3, 50e-12, 5e-12, 5e-12, 100e-12, 300e-12)}, test_stop=3e-9)
