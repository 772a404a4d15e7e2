"""Read-regime 1T1R RRAM cell for crossbar inference (NeuRRAM-style compute-in-memory).

Terminals: ``bl`` (bit line, RRAM top electrode), ``sl`` (source line, transistor source/drain),
``wl`` (word line, transistor gate); internal node ``mid`` joins the RRAM and the access transistor.

RRAM element (programmed, read regime: no switching at |V| <= 0.3 V):

- G_cell = max(g + dG, g_off) * (1 + read_noise_rel * z)             (S)
- I_rram = G_cell * V(bl, mid)                                         (A)

``g`` is the programmed conductance (parameter; NeuRRAM 1-40 uS after write-verify to 1 uS), ``dG``
the relaxation drift since programming and ``z`` a standard-normal read-noise draw. dG and z are
external inputs (ports ``in_dg``, 1 V = 1 uS, and ``in_z``, 1 V = 1 sigma), so Monte Carlo draws them
in Python from seeded generators and the netlist stays deterministic.

Access transistor (symmetric square-law NMOS, long-channel; body effect and subthreshold conduction
neglected, a leak ``g_leak`` keeps an off cell defined):

- I_ds = k/2 [max(0, V_gs - V_t)^2 - max(0, V_gd - V_t)^2] + g_leak V_ds,  k = kp W/L,
  drain = ``mid``, source = ``sl``; V_gs = V(wl, sl), V_gd = V(wl, mid).

For V_gs, V_gd > V_t this is the linear-region law k (V_gs - V_t - V_ds/2) V_ds; either side may act as
source, so negative inputs (BL below SL) are handled. A gate leak g_leak V(wl, sl) keeps the
word-line node defined when nothing else loads it. Card: 130 nm thick-oxide (3.3 V) I/O NMOS as
used for 1T1R access devices that must stand forming/SET voltages (NeuRRAM: 130 nm CMOS, seed
neurram_cim_slides.txt): kp = mu_n C_ox = 100 uA/V^2 (C_ox = 4.9 mF/m^2 for t_ox = 7 nm, mu_n about
200 cm^2/Vs), V_t = 0.6 V, W/L = 1 um / 0.35 um (assumed), read word-line level 3.3 V. With SL at
V_ref = 0.9 V the on-resistance 1/(k (V_gs - V_t)) is about 1.9 kOhm (g R_on = 7.8 % at 40 uS).
"""
from __future__ import annotations

import sympy as sp

from ..core import Branch, DeviceModel, Input, Param, Quantity

NEURRAM = "seed neurram_cim_slides.txt; devices.md section 3 (NeuRRAM software: G 1-40 uS, 1 % read noise)"
MOS = "130 nm thick-oxide NMOS, square law (Sedra/Smith; C_ox from t_ox = 7 nm); W/L assumed (circuitlab)"

PARAMS = (
    Param("g", 20e-6, "S", "programmed conductance of the RRAM element", NEURRAM, lo=0.0, open_lo=True,
          sweep=(1e-6, 40e-6)),
    Param("g_off", 0.1e-6, "S", "floor of the drifted conductance (HRS limit)", "assumed (circuitlab)", lo=0.0,
          open_lo=True, sweep=(0.05e-6, 0.2e-6)),
    Param("read_noise_rel", 0.01, "1", "relative read-noise standard deviation", NEURRAM, lo=0.0,
          sweep=(0.0, 0.03)),
    Param("kp", 100e-6, "A/V^2", "transconductance parameter mu_n C_ox", MOS, lo=0.0, open_lo=True),
    Param("W_L", 2.857, "1", "access transistor aspect ratio W/L (1 um / 0.35 um)", MOS, lo=0.0, open_lo=True),
    Param("V_t", 0.6, "V", "threshold voltage", MOS, sweep=(0.5, 0.7)),
    Param("g_leak", 1e-12, "S", "drain-source leak (defines an off cell)", "assumed (circuitlab)", lo=0.0,
          sweep=(1e-12, 1e-12)),
)

DG_SCALE = 1e-6  # S per volt on in_dg
Z_SCALE = 1.0    # sigma per volt on in_z


def build() -> DeviceModel:
    p = {x.name: x.symbol for x in PARAMS}
    rr, ds, gs = Branch("rr", "bl", "mid"), Branch("ds", "mid", "sl"), Branch("gs", "wl", "sl")
    dg, z = sp.Symbol("dg", real=True), sp.Symbol("z", real=True)
    S = {n: sp.Symbol(n, real=True) for n in ("Gcell", "Vgd", "Ids", "Irram")}
    k = p["kp"] * p["W_L"]
    quantities = (
        Quantity("Gcell", sp.Max(p["g"] + dg, p["g_off"]) * (1 + p["read_noise_rel"] * z), "S",
                 "RRAM conductance at this read (drift and read noise applied)"),
        Quantity("Irram", S["Gcell"] * rr.symbol, "A", "RRAM current bl -> mid"),
        Quantity("Vgd", gs.symbol - ds.symbol, "V", "gate to mid-node voltage"),
        Quantity("Ids", k / 2 * (sp.Max(0, gs.symbol - p["V_t"]) ** 2 - sp.Max(0, S["Vgd"] - p["V_t"]) ** 2)
                 + p["g_leak"] * ds.symbol, "A", "access transistor current mid -> sl"),
        Quantity("Ron", 1 / (k * sp.Max(1e-3, gs.symbol - p["V_t"])), "ohm",
                 "small-signal on-resistance of the access transistor at V_ds = 0"),
        Quantity("Igate", p["g_leak"] * gs.symbol, "A", "gate leak wl -> sl (keeps the gate node defined)"),
    )
    return DeviceModel(
        name="rram_cim", title="read-regime 1T1R RRAM cell (programmed G, relaxation and read-noise inputs)",
        doc=__doc__, citations=(NEURRAM, MOS), terminals=("bl", "sl", "wl"), branches=(rr, ds, gs),
        params=PARAMS, quantities=quantities, contributions=(("rr", "Irram"), ("ds", "Ids"), ("gs", "Igate")),
        inputs=(Input("dg", "S", DG_SCALE, "conductance drift (relaxation) since programming, 1 V = 1 uS",
                      test_range=(-5e-6, 5e-6)),
                Input("z", "1", Z_SCALE, "standard-normal read-noise draw", test_range=(-4.0, 4.0))),
        internal_nodes=("mid",),
        voltage_ranges={"rr": (-0.3, 0.3), "ds": (-0.2, 0.2), "gs": (0.0, 3.3)})
