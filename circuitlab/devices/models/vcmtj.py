"""Voltage-controlled (VCMA) MTJ, the MeRAM cell: macrospin LLG with a fixed-interval thermal field.

Equations (seed meram_diffusion_paper.txt, eqs. 3-5; devices.md section 1), SI units, H in A/m:

- Hk(V) = 2 (Ki - xi V/t_ox) / (mu0 Ms t_FL)                         VCMA lowers the anisotropy
- Nz = 1/(2 t_FL/(r sqrt(pi)) + 1),  Nx = Ny = (1 - Nz)/2               thin-disk demagnetisation
- H = (Hx - Ms Nx mx + hx, -Ms Ny my + hy, (Hk - Ms Nz) mz + hz)        h: thermal field (inputs)
- dm/dt = -g' [m x H + alpha m x (m x H)] - k_norm (|m|^2 - 1) m,  g' = gamma0/(1 + alpha^2)
  (the last term keeps |m| = 1 smoothly against integration drift; zero on the unit sphere)
- sigma_th = sqrt(2 alpha kB T/(gamma0 mu0 Ms Vol dt_th)): rms of each thermal-field component,
  redrawn every dt_th (ngspice: TRRANDOM Gaussian sources inside the subcircuit, seeded by the
  simulation's ``.options seed``; see :func:`subcircuit`)
- R(mz, V) = R_P (1 + V^2/Vh^2 + TMR0)/(1 + V^2/Vh^2 + TMR0 (1 + mz)/2), R_P = RA/area; mz = +1 is P.

Defaults: the VC-MTJ card ``circuitlab/circuits/cards/vcmtj.toml`` (:func:`circuitlab.resources.vcmtj_card`),
the one source shared with the LLG engine (``circuitlab.physics.MacrospinParams``) and the Markov cell;
each parameter's source and status (seed, assumed, calibrated) is quoted from it. Positive V = V(p, n)
lowers Hk.
"""
from __future__ import annotations

import math

import sympy as sp

from ...resources import vcmtj_card
from ..core import KB, MU0, Branch, DeviceModel, Input, Param, Quantity, State

CARD = vcmtj_card()
"""The VC-MTJ card (``circuits/cards/vcmtj.toml``): the defaults below are read from it, never retyped."""
CARD_NAMES = {"t_FL": "t_fl", "t_ox": "t_ox", "Ms": "ms", "alpha": "alpha", "xi": "xi", "Ki": "ki", "Hx": "hx",
              "T_amb": "temperature", "diameter": "diameter", "TMR0": "tmr0", "Vh": "vh", "RA": "ra"}
"""Device parameter name -> card entry (the card uses the LLG engine's field names)."""


def _card(name: str, **bounds) -> Param:
    e = CARD[CARD_NAMES[name]]
    return Param(name, float(e["value"]), e["unit"], e["doc"], f"vcmtj card ({e['status']}): {e['source']}", **bounds)


def _p_state_tilt() -> float:
    """sin(theta) of the P-state minimum at V = 0: Hx / (Hk(0) - Ms (Nz - Nx)) (Stoner-Wohlfarth)."""
    v = {k: float(CARD[c]["value"]) for k, c in CARD_NAMES.items()}
    nz = 1 / (2 * v["t_FL"] / (v["diameter"] / 2 * math.sqrt(math.pi)) + 1)
    hk_eff = 2 * v["Ki"] / (MU0 * v["Ms"] * v["t_FL"]) - v["Ms"] * (nz - (1 - nz) / 2)
    return v["Hx"] / hk_eff


_MX0 = _p_state_tilt()

PARAMS = (
    _card("t_FL", lo=0.0, open_lo=True),
    _card("t_ox", lo=0.0, open_lo=True),
    _card("Ms", lo=0.0, open_lo=True),
    _card("alpha", lo=0.0, open_lo=True, hi=1.0),
    _card("xi", lo=0.0),
    _card("Ki", lo=0.0, open_lo=True),
    _card("Hx"),
    _card("T_amb", lo=0.0),
    _card("diameter", lo=0.0, open_lo=True),
    _card("TMR0", lo=0.0),
    _card("Vh", lo=0.0, open_lo=True),
    _card("RA", lo=0.0, open_lo=True),
    Param("gamma0", 2.211e5, "m/(A s)", "gyromagnetic ratio times mu0", "devices.md section 1", lo=0.0,
          open_lo=True),
    Param("k_norm", 1e10, "1/s", "rate of the smooth |m| = 1 restoring term (circuitlab choice)", "circuitlab",
          lo=0.0),
    Param("dt_th", 1e-12, "s", "interval of the thermal-field draws (one draw per interval)",
          "devices.md section 1 (1 ps step)", lo=0.0, open_lo=True),
    Param("mx_init", _MX0, "1", "initial mx (P-state equilibrium at V = 0)", "derived from the card",
          lo=-1.0, hi=1.0, sweep=(_MX0 - 0.05, _MX0 + 0.05)),
    Param("my_init", 0.0, "1", "initial my", "derived from the card", lo=-1.0, hi=1.0, sweep=(-0.05, 0.05)),
    Param("mz_init", math.sqrt(1 - _MX0 ** 2), "1", "initial mz (+1 = P)", "derived from the card",
          lo=-1.0, hi=1.0, sweep=(math.sqrt(1 - _MX0 ** 2) - 0.05, 1.0)),
)


def build() -> DeviceModel:
    p = {x.name: x.symbol for x in PARAMS}
    br = Branch("pn", "p", "n")
    V = br.symbol
    mx, my, mz = (sp.Symbol(n, real=True) for n in ("mx", "my", "mz"))
    hx, hy, hz = (sp.Symbol(n, real=True) for n in ("h_thx", "h_thy", "h_thz"))
    S = {n: sp.Symbol(n, real=True) for n in ("Hk", "Nz", "Hex", "Hey", "Hez", "cx", "cy", "cz", "gp", "norm2",
                                              "R_P", "Rmtj")}
    Nx = (1 - S["Nz"]) / 2
    area = math.pi / 4 * p["diameter"] ** 2
    bias = 1 + V ** 2 / p["Vh"] ** 2
    quantities = (
        Quantity("Hk", 2 * (p["Ki"] - p["xi"] * V / p["t_ox"]) / (MU0 * p["Ms"] * p["t_FL"]), "A/m",
                 "VCMA anisotropy field"),
        Quantity("Nz", 1 / (2 * p["t_FL"] / (p["diameter"] / 2 * math.sqrt(math.pi)) + 1), "1",
                 "out-of-plane demagnetising factor"),
        Quantity("Hex", p["Hx"] - p["Ms"] * Nx * mx + hx, "A/m", "effective field x"),
        Quantity("Hey", -p["Ms"] * Nx * my + hy, "A/m", "effective field y"),
        Quantity("Hez", (S["Hk"] - p["Ms"] * S["Nz"]) * mz + hz, "A/m", "effective field z"),
        Quantity("cx", my * S["Hez"] - mz * S["Hey"], "A/m", "(m x H)_x"),
        Quantity("cy", mz * S["Hex"] - mx * S["Hez"], "A/m", "(m x H)_y"),
        Quantity("cz", mx * S["Hey"] - my * S["Hex"], "A/m", "(m x H)_z"),
        Quantity("gp", p["gamma0"] / (1 + p["alpha"] ** 2), "m/(A s)", "reduced gyromagnetic ratio"),
        Quantity("norm2", mx ** 2 + my ** 2 + mz ** 2, "1", "|m|^2"),
        Quantity("sigma_th", sp.sqrt(2 * p["alpha"] * KB * p["T_amb"] / (
            p["gamma0"] * MU0 * p["Ms"] * area * p["t_FL"] * p["dt_th"])), "A/m",
            "rms thermal field per component and draw"),
        Quantity("R_P", p["RA"] / area, "ohm", "parallel resistance"),
        Quantity("Rmtj", S["R_P"] * (bias + p["TMR0"]) / (bias + p["TMR0"] * (1 + mz) / 2), "ohm",
                 "bias- and state-dependent resistance"),
        Quantity("Imtj", V / S["Rmtj"], "A", "MTJ current p -> n"),
    )
    c = (S["cx"], S["cy"], S["cz"])
    m = (mx, my, mz)
    mxc = (my * c[2] - mz * c[1], mz * c[0] - mx * c[2], mx * c[1] - my * c[0])
    states = tuple(
        State(name, "1", 1.0, f"{name}_init",
              -S["gp"] * (c[k] + p["alpha"] * mxc[k]) - p["k_norm"] * (S["norm2"] - 1) * m[k],
              f"magnetisation component {name[-1]}", test_range=(-1.0, 1.0))
        for k, name in enumerate(("mx", "my", "mz")))
    inputs = tuple(Input(n, "A/m", 1e3, f"thermal field {n[-1]} (TRRANDOM in the ngspice subcircuit)",
                         test_range=(-5e3, 5e3)) for n in ("h_thx", "h_thy", "h_thz"))
    return DeviceModel(
        name="vcmtj", title="VCMA MTJ (MeRAM): macrospin LLG with thermal field, bias-dependent R",
        doc=__doc__, citations=("seed meram_diffusion_paper.txt", "vcmtj card circuits/cards/vcmtj.toml (issue 13 recalibration)"), terminals=("p", "n"),
        branches=(br,), params=PARAMS, quantities=quantities, contributions=(("pn", "Imtj"),),
        states=states, inputs=inputs, voltage_ranges={"pn": (-1.0, 3.0)},
        # two 2.7 V / 0.4 ns gate pulses at T = 0 (inputs held at 0): precessional switching and back
        test_pulses={"p": (0.0, 2.7, 0.2e-9, 20e-12, 20e-12, 0.4e-9, 2e-9)}, test_stop=4e-9)


def subcircuit(card=None, *, thermal: bool = True, name: str = "vcmtj", probes=()):
    """The ngspice subcircuit with the thermal field driven inside it by three TRRANDOM sources.

    Each component is a Gaussian of rms ``sigma_th`` redrawn every ``dt_th`` seconds (``TRRANDOM``
    kind 2; keep the transient's maximum step <= dt_th). The sequence is fixed by the simulation's
    seed (``circuitlab.simulate(..., seed=N)`` writes ``.options seed=N``): the same seed gives the
    same trajectory, and every instance and component draws its own stream. (TRNOISE, used before,
    cannot be reseeded in ngspice 39.) ``thermal=False`` leaves h_thx, h_thy, h_thz as ports.
    """
    from ...netlist import TrRandom, VoltageSource
    from .. import get
    from ..ngspice import subcircuit as generic
    from ..printers import print_expr
    model = get("vcmtj")
    if not thermal:
        return generic(model, card, name=name, probes=probes)
    names = {p.name: p.name for p in model.params}
    rms = print_expr(model.flat("sigma_th"), "ngspice", names)
    sources = [VoltageSource(f"V_{i.name}", i.node, "0",
                             waveform=TrRandom(2, "dt_th", 0.0, f"({rms})/{i.scale!r}", 0.0))
               for i in model.inputs]
    return generic(model, card, name=name, probes=probes, extra_elements=sources,
                   hidden_inputs=[i.name for i in model.inputs])
