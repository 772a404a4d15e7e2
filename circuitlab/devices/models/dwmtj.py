"""Three-terminal spin-orbit-torque domain-wall MTJ (DW-MTJ): 1-D (q, phi) SOT + DMI wall dynamics.

Terminals: ``t1``-``t2`` is the heavy-metal write track (resistance R_track), ``t3``-``t2`` the read
MTJ, whose current leaves through the track to ``t2``. The wall is driven by the total track current
I = V(t1,t2)/R_track + I_read (both flow towards t2), so a read or a weight's MAC current moves the wall
unless it stays below the device's threshold I_th (seed: "The threshold current of the weight MDWMTJs
needs to be higher (I_TH2 > I_W,MAX)"). The wall obeys the 1-D collective-coordinate model of a
Dzyaloshinskii wall driven by damping-like SOT (:mod:`circuitlab.devices.dw_1d`; Thiaville et al. 2012,
Martinez et al. 2014, the seed's reference), pinning taken as a depinning threshold:

- I_eff = sgn(I) max(0, |I| - I_th);  H_SL = hbar theta_SH I_eff / (2 e mu0 Ms t_FL A_HM);  H_D = D/(mu0 Ms Delta)
- (1 + alpha^2) dphi/dt = gamma0 (pi/2) (H_SL cos phi - alpha H_D sin phi)          (phi: wall angle, rad)
  integrated as u = tan phi: du/dt = (1 + u^2) dphi/dt = gamma0 (pi/2) sqrt(1 + u^2) (H_SL - alpha H_D u)
  / (1 + alpha^2) has one equilibrium (phi in (-pi/2, pi/2), where the driven wall stays), so the DC
  operating point is unique (phi itself has one at every multiple of pi);
- dq/dt = Delta (gamma0 (pi/2) H_D sin phi + alpha dphi/dt), smoothly bounded to the track [0, L]
  (steady state: v = v_D / sqrt(1 + (I_D/I_eff)^2), saturating at v_D = (pi/2) gamma0 Delta H_D;
  phi relaxes with tau ~ 0.06-0.1 ns, comparable to the 60 ps write pulses, so the inertia is kept);
- TMR(V) = TMR0 / (1 + V^2/Vh^2),  G(q, V) = (1 - f) G_P + f G_P / (1 + TMR(V)),
  f = clip((q - x_L)/(x_R - x_L), 0, 1): by default the MTJ spans the whole track (seed: "At q = 0 and
  q = l_FL, MDWMTJ exhibits the lowest (R_P) and highest (R_AP) resistance").

Sources: seed dwmtj_p2m_snn_paper.txt (3 terminals, TMR 200 %, reset by a negative pulse, R_P at
q = 0 and R_AP at l_FL, I_TH2 > I_W,MAX); devices.md section 2 (R_P, R_AP, R_track, L, A_HM and the
depinning current density p0 = 8e10 A/m^2 x 60e-18 m^2 = 4.8 uA of the public kinematic model). The
1-D material constants (Ms, Delta, D, alpha, theta_SH, t_FL) and Vh are assumed, typical of Pt/Co/oxide
stacks: they give v_D = 251 m/s and I_D = 70 uA.
"""
from __future__ import annotations

import math

import sympy as sp

from ..core import MU0, Q_E, Branch, DeviceModel, Param, Quantity, State, bounded_rate
from ..dw_1d import GAMMA0, HBAR

SEED = "seed dwmtj_p2m_snn_paper.txt"
KIN = "public kinematic DW-MTJ model defaults (devices.md section 2)"
ONED = "assumed, Pt/Co/oxide-like (1-D model: Thiaville et al. EPL 100, 57002 (2012); Martinez et al. JAP 115, 213909 (2014))"
ASSUMED = "assumed (circuitlab)"

PARAMS = (
    Param("R_track", 3.9e3, "ohm", "heavy-metal write-track resistance t1-t2", KIN, lo=0.0, open_lo=True),
    Param("R_P", 10e3, "ohm", "parallel read resistance at zero bias", KIN, lo=0.0, open_lo=True),
    Param("TMR0", 2.0, "1", "zero-bias TMR (R_AP/R_P - 1; seed 200 %)", SEED, lo=0.0),
    Param("Vh", 0.5, "V", "bias at which the TMR halves", ASSUMED, lo=0.0, open_lo=True),
    Param("L", 120e-9, "m", "free-layer (track) length", KIN, lo=0.0, open_lo=True, sweep=(100e-9, 140e-9)),
    Param("x_L", 0.0, "m", "left edge of the MTJ (seed: R_P at q = 0)", SEED, lo=0.0, sweep=(0.0, 5e-9)),
    Param("x_R", 120e-9, "m", "right edge of the MTJ (seed: R_AP at q = l_FL)", SEED, lo=0.0, open_lo=True,
          sweep=(110e-9, 130e-9)),
    Param("I_th", 4.8e-6, "A", "threshold (depinning) current of the track", KIN + ": p0 * 60e-18 m^2", lo=0.0),
    Param("Ms", 1.1e6, "A/m", "free-layer saturation magnetisation", ONED, lo=0.0, open_lo=True),
    Param("Delta", 7e-9, "m", "wall width parameter sqrt(A/K_eff)", ONED, lo=0.0, open_lo=True),
    Param("D_dmi", 1.0e-3, "J/m^2", "interfacial DMI constant", ONED, lo=0.0, open_lo=True),
    Param("alpha", 0.3, "1", "Gilbert damping", ONED, lo=0.0, open_lo=True),
    Param("theta_SH", 0.1, "1", "spin Hall angle of the heavy metal", ONED, lo=0.0),
    Param("t_FL", 0.9e-9, "m", "free-layer thickness", ONED, lo=0.0, open_lo=True),
    Param("A_HM", 60e-18, "m^2", "heavy-metal cross-section", KIN, lo=0.0, open_lo=True),
    Param("q_init", 0.0, "m", "initial wall position", SEED, lo=0.0),
    Param("u_init", 0.0, "1", "initial tan(phi) of the wall angle (0: Neel wall at rest)", "circuitlab",
          sweep=(-0.5, 0.5)),
    Param("q_width", 0.1e-9, "m", "width of the smooth end stops (circuitlab choice)", "circuitlab",
          lo=0.0, open_lo=True),
    Param("rate_scale", 1e-6, "m/s", "width of the smooth sign switch of dq/dt (circuitlab choice)", "circuitlab",
          lo=0.0, open_lo=True),
)


def build() -> DeviceModel:
    p = {x.name: x.symbol for x in PARAMS}
    w, r = Branch("w", "t1", "t2"), Branch("r", "t3", "t2")
    q, u = sp.Symbol("q", real=True), sp.Symbol("u", real=True)
    S = {n: sp.Symbol(n, real=True) for n in ("Iwrite", "Itrack", "Ieff", "H_D", "H_SL", "cphi", "dphi", "vdw",
                                               "TMR_V", "Gread", "Iread")}
    half_pi_g = 0.5 * math.pi * GAMMA0   # (pi/2) gamma0, m/(A s)
    frac = sp.Min(1, sp.Max(0, (q - p["x_L"]) / (p["x_R"] - p["x_L"])))
    quantities = (
        Quantity("Iwrite", w.symbol / p["R_track"], "A", "write current t1 -> t2"),
        Quantity("TMR_V", p["TMR0"] / (1 + r.symbol ** 2 / p["Vh"] ** 2), "1", "bias-dependent TMR"),
        Quantity("Gread", (1 - frac) / p["R_P"] + frac / (p["R_P"] * (1 + S["TMR_V"])), "S",
                 "read conductance t3-t2"),
        Quantity("Iread", S["Gread"] * r.symbol, "A", "read current t3 -> t2"),
        Quantity("Rread", 1 / S["Gread"], "ohm", "read resistance t3-t2"),
        Quantity("Itrack", S["Iwrite"] + S["Iread"], "A", "total track current towards t2 (write + read)",
                 node_scale=1e-4),
        Quantity("Ieff", sp.sign(S["Itrack"]) * sp.Max(0, sp.Abs(S["Itrack"]) - p["I_th"]), "A",
                 "drive current beyond the depinning threshold"),
        Quantity("H_D", p["D_dmi"] / (MU0 * p["Ms"] * p["Delta"]), "A/m", "DMI field"),
        Quantity("H_SL", HBAR * p["theta_SH"] * S["Ieff"] / (2 * Q_E * MU0 * p["Ms"] * p["t_FL"] * p["A_HM"]),
                 "A/m", "damping-like SOT field"),
        Quantity("cphi", 1 / sp.sqrt(1 + u ** 2), "1", "cos phi of the wall angle (phi = atan u)"),
        Quantity("dphi", half_pi_g * (S["H_SL"] - p["alpha"] * S["H_D"] * u) * S["cphi"] / (1 + p["alpha"] ** 2),
                 "rad/s", "wall-angle rate (1-D model)", node_scale=1e9),
        Quantity("vdw", p["Delta"] * (half_pi_g * S["H_D"] * u * S["cphi"] + p["alpha"] * S["dphi"]), "m/s",
                 "domain-wall velocity before the end stops (1-D model)", node_scale=100.0),
    )
    # dead band of +-rate_scale (1e-6 m/s, 1e-15 m per ns): an exact zero at rest, so that the DC operating
    # point (where only a 1e-15 S hold fixes q) cannot turn a round-off angle into a wall shift
    moving = S["vdw"] - sp.Max(-p["rate_scale"], sp.Min(p["rate_scale"], S["vdw"]))
    rate = bounded_rate(moving, q, 0, p["L"], p["q_width"], p["rate_scale"])
    states = (State("q", "m", 1e-9, "q_init", rate, "domain-wall position along the track",
                    test_range=(0.0, 120e-9)),
              State("u", "1", 1.0, "u_init", (1 + u ** 2) * S["dphi"],
                    "tan phi, phi the in-plane angle of the wall magnetisation in (-pi/2, pi/2)",
                    test_range=(-3.0, 3.0)))
    return DeviceModel(
        name="dwmtj", title="3-terminal SOT domain-wall MTJ (1-D SOT+DMI wall dynamics, bias-dependent TMR)",
        doc=__doc__, citations=(SEED, KIN, ONED), terminals=("t1", "t2", "t3"), branches=(w, r), params=PARAMS,
        quantities=quantities, contributions=(("w", "Iwrite"), ("r", "Iread")), states=states,
        voltage_ranges={"w": (-0.5, 0.5), "r": (-1.0, 1.0)},
        # ten 100 ps write pulses of 0.3 V (about 15 nm each): the wall runs into the end stop
        test_pulses={"t1": (0.0, 0.3, 50e-12, 5e-12, 5e-12, 100e-12, 300e-12)}, test_stop=3e-9)

