"""Stanford-PKU filamentary RRAM (gap dynamics, tunnelling current, local heating).

Equations (Jiang et al., "A compact model for metal-oxide resistive random access memory with
experiment verification", IEEE TED 63(5), 2016; Stanford-PKU RRAM model v1.0.0):

- I = I0 exp(-g/g0) sinh(V/V0)                                   (A)
- T = T0 + V I R_th  (quasi-static local heating; V I >= 0)       (K)
- gamma = gamma0 - beta (g / 1 nm)^3
- dg/dt = -vel0 exp(-q Ea/(kB T)) sinh(gamma a0 q V/(t_ox kB T))   (m/s), smoothly bounded to [g_min, g_max]

Positive V (top electrode high) narrows the gap (SET). Defaults: devices.md section 3 (the published
model card). Seed check: a 1.8 V / 100 ns SET from g = 1.7 nm ends near g = 0.2 nm, R_read(0.1 V)
about 540 Ohm.
"""
from __future__ import annotations

import sympy as sp

from ..core import KB, Q_E, Branch, DeviceModel, Param, Quantity, State, bounded_rate

SRC = "Stanford-PKU RRAM model v1.0.0 (Jiang et al., IEEE TED 2016); devices.md section 3"

PARAMS = (
    Param("I0", 1e-3, "A", "current prefactor", SRC, lo=0.0, open_lo=True),
    Param("g0", 0.25e-9, "m", "gap decay length of the current", SRC, lo=0.0, open_lo=True),
    Param("V0", 0.25, "V", "voltage scale of the current", SRC, lo=0.0, open_lo=True),
    Param("vel0", 10.0, "m/s", "gap velocity prefactor (v0 of the published card; renamed because SPICE names are case-insensitive)", SRC, lo=0.0, open_lo=True),
    Param("beta", 0.8, "1", "field-enhancement reduction with gap", SRC, lo=0.0),
    Param("gamma0", 16.0, "1", "local field enhancement factor", SRC, lo=0.0, open_lo=True),
    Param("Ea", 0.6, "eV", "activation energy of oxygen-vacancy migration", SRC, lo=0.0, open_lo=True),
    Param("a0", 0.25e-9, "m", "atomic hopping distance", SRC, lo=0.0, open_lo=True),
    Param("t_ox", 12e-9, "m", "oxide thickness", SRC, lo=0.0, open_lo=True),
    Param("T0", 298.0, "K", "ambient temperature", SRC, lo=0.0, open_lo=True),
    Param("R_th", 2.1e3, "K/W", "effective thermal resistance", SRC, lo=0.0),
    Param("g_min", 0.2e-9, "m", "smallest gap", SRC, lo=0.0, sweep=(0.18e-9, 0.22e-9)),
    Param("g_max", 1.7e-9, "m", "largest gap", SRC, lo=0.0, open_lo=True, sweep=(1.6e-9, 1.8e-9)),
    Param("g_init", 1.7e-9, "m", "initial gap (HRS)", SRC, lo=0.0),
    Param("g_width", 1e-12, "m", "width of the smooth end stops (circuitlab choice: overshoot < 10 pm)",
          "circuitlab", lo=0.0, open_lo=True),
    Param("rate_scale", 1e-9, "m/s", "width of the smooth sign switch of dg/dt (circuitlab choice)",
          "circuitlab", lo=0.0, open_lo=True),
)


def build() -> DeviceModel:
    p = {x.name: x.symbol for x in PARAMS}
    tb = Branch("tb", "te", "be")
    V = tb.symbol
    g = sp.Symbol("g", real=True)
    I = sp.Symbol("Icell", real=True)
    T = sp.Symbol("Tcell", real=True)
    gam = sp.Symbol("gamma", real=True)
    quantities = (
        Quantity("Icell", p["I0"] * sp.exp(-g / p["g0"]) * sp.sinh(V / p["V0"]), "A", "cell current te -> be"),
        Quantity("Tcell", p["T0"] + V * I * p["R_th"], "K", "filament temperature"),
        Quantity("gamma", p["gamma0"] - p["beta"] * (g / 1e-9) ** 3, "1", "field enhancement factor"),
        Quantity("vgap", -p["vel0"] * sp.exp(-Q_E * p["Ea"] / (KB * T))
                 * sp.sinh(gam * p["a0"] * Q_E * V / (p["t_ox"] * KB * T)), "m/s", "unbounded gap velocity"),
        Quantity("Rread", 0.1 / (p["I0"] * sp.exp(-g / p["g0"]) * sp.sinh(0.1 / p["V0"])), "ohm",
                 "read resistance at 0.1 V"),
    )
    rate = bounded_rate(sp.Symbol("vgap", real=True), g, p["g_min"], p["g_max"], p["g_width"], p["rate_scale"])
    state = State("g", "m", 1e-9, "g_init", rate, "tunnelling gap", test_range=(0.15e-9, 1.75e-9))
    return DeviceModel(
        name="rram", title="Stanford-PKU filamentary RRAM (gap model with local heating)", doc=__doc__,
        citations=(SRC,), terminals=("te", "be"), branches=(tb,), params=PARAMS, quantities=quantities,
        contributions=(("tb", "Icell"),), states=(state,), voltage_ranges={"tb": (-2.0, 2.0)},
        # gradual RESET train from a low gap: exercises the gap equation, heating and the field term
        test_pulses={"te": (0.0, -1.3, 5e-9, 1e-9, 1e-9, 10e-9, 30e-9)}, test_stop=200e-9,
        test_card={"g_init": 0.3e-9})
