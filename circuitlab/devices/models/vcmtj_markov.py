"""Behavioural MeRAM cell: the state flips per gate pulse with probability P_sw(V, t_pulse).

The flip is decided by comparing P_sw with a uniform random number u in (0, 1) that the caller
supplies on input ``in_u`` (one value per pulse, e.g. a PWL drawn from a seeded numpy generator), so
a Monte Carlo run is reproducible and independent of the simulator's random state.

States (all smooth, no events):

- w   (s): width of the current pulse, dw/dt = on - (1 - on) w/tau_reset
- vpk (V): peak gate voltage of the current pulse, dvpk/dt = on max(0, V - vpk)/tau_pk - (1 - on) vpk/tau_reset
- xl  (1): state latched before the pulse, dxl/dt = step((V_latch - V)/dV_on)(x - xl)/tau_x
- x   (1): magnetic state (0 = P, 1 = AP), dx/dt = on (target - x)/tau_x,
  target = xl + F (1 - 2 xl),  F = step((P_sw(vpk, w) - u)/eps_u)
with on = step((V - V_on)/dV_on) and step(z) = (1 + tanh z)/2. P_sw is the bilinear interpolation of
the table (clamped to its grid); V and w below the first grid point give P_sw = 0 by the table's
zero row and column. Resistance as :mod:`.vcmtj` with mz = 1 - 2x.

Default table: the built-in ``vcmtj_psw`` model (macrospin LLG on the VC-MTJ card
``circuits/cards/vcmtj.toml``, 2000 trials per initial state, P_sw = (P_P->AP + P_AP->P)/2) read at this
grid and rounded to 3 decimals; ``tests/test_vcmtj_card.py`` checks that the two agree, so the cell and the
LLG engine describe the same device. Other tables: :func:`build`. TMR0, Vh, RA and the diameter are
the vcmtj device's (the card's).
"""
from __future__ import annotations

from typing import Sequence

import sympy as sp

from . import vcmtj
from ..core import Branch, DeviceModel, Input, Param, Quantity, State, smooth_step

SHARED = ("TMR0", "Vh", "RA", "diameter")
"""Parameters taken from the vcmtj device (hence from the VC-MTJ card): the resistance of the cell."""

TABLE_SRC = "built-in vcmtj_psw (macrospin LLG on the vcmtj card, 2000 trials per state)"
VOLTAGES = (0.0, 2.1, 2.4, 2.7)                      # V
WIDTHS = (0.0, 0.4e-9, 0.6e-9, 1e-9, 2e-9, 4e-9)     # s
TABLE = ((0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
         (0.0, 0.002, 0.002, 0.006, 0.005, 0.007),
         (0.0, 0.124, 0.322, 0.379, 0.358, 0.359),
         (0.0, 0.771, 0.964, 0.979, 0.514, 0.574))


def _hats(x, grid: Sequence[float]):
    """Piece-wise linear hat functions of the (clamped) coordinate x on ``grid`` (sum to 1)."""
    xc = sp.Min(sp.Max(x, grid[0]), grid[-1])
    out = []
    for i, gi in enumerate(grid):
        parts = []
        if i > 0:
            parts.append((xc - grid[i - 1]) / (gi - grid[i - 1]))
        if i < len(grid) - 1:
            parts.append((grid[i + 1] - xc) / (grid[i + 1] - gi))
        out.append(sp.Max(0, sp.Min(1, *parts)) if len(parts) > 1 else sp.Max(0, sp.Min(1, parts[0])))
    return out


def _params(voltages, widths, table):
    base = (
        Param("V_on", 1.0, "V", "gate voltage above which a pulse counts", "circuitlab", lo=0.0, open_lo=True),
        Param("V_latch", 0.5, "V", "gate voltage below which the latch follows the state (< V_on: no race "
              "at the falling edge)", "circuitlab", lo=0.0),
        Param("dV_on", 0.02, "V", "width of the smooth on/off step", "circuitlab", lo=0.0, open_lo=True),
        Param("tau_x", 2e-12, "s", "time constant of the state update", "circuitlab", lo=0.0, open_lo=True),
        Param("tau_pk", 1e-12, "s", "time constant of the peak tracker", "circuitlab", lo=0.0, open_lo=True),
        Param("tau_reset", 0.2e-9, "s", "reset time of w and vpk between pulses (keep gaps > 10 tau_reset)",
              "circuitlab", lo=0.0, open_lo=True),
        Param("eps_u", 1e-3, "1", "width of the smooth comparison P_sw - u (draw u in (eps_u, 1))",
              "circuitlab", lo=0.0, open_lo=True),
        Param("x_init", 0.0, "1", "initial state (0 = P, 1 = AP)", "circuitlab", lo=0.0, hi=1.0),
    ) + tuple(next(p for p in vcmtj.PARAMS if p.name == n) for n in SHARED)
    cells = tuple(Param(f"P_v{i}_w{j}", float(table[i][j]), "1",
                        f"P_sw at {voltages[i]:g} V, {widths[j] * 1e9:g} ns", TABLE_SRC, lo=0.0, hi=1.0,
                        sweep=(0.0, 1.0) if table[i][j] > 0 else (0.0, 0.0))
                  for i in range(len(voltages)) for j in range(len(widths)))
    return base + cells


def build(voltages: Sequence[float] = VOLTAGES, widths: Sequence[float] = WIDTHS,
          table: Sequence[Sequence[float]] = TABLE, name: str = "vcmtj_markov") -> DeviceModel:
    """The model for a P_sw table on the grid ``voltages`` (V) x ``widths`` (s); entries in [0, 1]."""
    params = _params(voltages, widths, table)
    p = {x.name: x.symbol for x in params}
    br = Branch("pn", "p", "n")
    V = br.symbol
    w, vpk, xl, x, u = (sp.Symbol(n, real=True) for n in ("w", "vpk", "xl", "x", "u"))
    S = {n: sp.Symbol(n, real=True) for n in ("on", "Psw", "flip", "Rmtj")}
    hv, hw = _hats(vpk, voltages), _hats(w, widths)
    psw = sum(hv[i] * hw[j] * p[f"P_v{i}_w{j}"] for i in range(len(voltages)) for j in range(len(widths))
              if table[i][j] != 0 or True)
    area = 3.141592653589793 / 4 * p["diameter"] ** 2
    bias = 1 + V ** 2 / p["Vh"] ** 2
    quantities = (
        Quantity("on", smooth_step(V - p["V_on"], p["dV_on"]), "1", "pulse on (smooth)"),
        Quantity("Psw", psw, "1", "switching probability of the current pulse so far"),
        Quantity("flip", smooth_step(S["Psw"] - u, p["eps_u"]), "1", "1 if this pulse switches the cell"),
        Quantity("Rmtj", p["RA"] / area * (bias + p["TMR0"]) / (bias + p["TMR0"] * (1 - x)), "ohm",
                 "bias- and state-dependent resistance"),
        Quantity("Imtj", V / S["Rmtj"], "A", "cell current p -> n"),
    )
    on = S["on"]
    states = (
        State("w", "s", 1e-9, "x_init", on - (1 - on) * w / p["tau_reset"], "width of the current pulse",
              test_range=(0.0, 5e-9)),
        State("vpk", "V", 1.0, "x_init", on * sp.Max(0, V - vpk) / p["tau_pk"] - (1 - on) * vpk / p["tau_reset"],
              "peak gate voltage of the current pulse", test_range=(0.0, 3.0)),
        State("xl", "1", 1.0, "x_init", smooth_step(p["V_latch"] - V, p["dV_on"]) * (x - xl) / p["tau_x"], "state latched before the pulse",
              test_range=(0.0, 1.0)),
        State("x", "1", 1.0, "x_init", on * (xl + S["flip"] * (1 - 2 * xl) - x) / p["tau_x"],
              "magnetic state (0 = P, 1 = AP)", test_range=(0.0, 1.0)),
    )
    return DeviceModel(
        name=name, title="behavioural MeRAM cell: per-pulse flip with P_sw(V, t_pulse) and external draws",
        doc=__doc__, citations=(TABLE_SRC, "seed meram_diffusion_paper.txt"), terminals=("p", "n"),
        branches=(br,), params=params, quantities=quantities, contributions=(("pn", "Imtj"),), states=states,
        inputs=(Input("u", "1", 1.0, "uniform random number of the current pulse, in (eps_u, 1)",
                      test_range=(0.0, 1.0)),),
        voltage_ranges={"pn": (0.0, 3.0)},
        # two 2.4 V / 2 ns pulses (1 ns and 6 ns; P_sw = 0.36): u = 0.8 > P_sw keeps the state, u = 0.2 flips it;
        # 50 ps edges on u keep the reference solve_ivp fast (1 ps edges made it take > 10 min)
        test_pulses={"p": (0.0, 2.4, 1e-9, 20e-12, 20e-12, 2e-9, 5e-9),
                     "in_u": (0.2, 0.8, 0.0, 50e-12, 50e-12, 5e-9, 10e-9)}, test_stop=10e-9,
        test_card={"tau_x": 20e-12, "tau_pk": 10e-12, "dV_on": 0.1})
