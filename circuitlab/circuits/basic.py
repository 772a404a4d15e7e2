"""Foundation examples with closed-form answers, used by the demo and the simulator tests.

- ``rc_step``: R = 1 kOhm, C = 1 nF (tau = 1 us) driven by a 1 V step; v_out = 1 - exp(-t/tau).
- ``rc_lowpass``: the same RC in AC; H(f) = 1 / (1 + j 2 pi f R C), corner 159.15 kHz.
- ``divider``: 1.8 V across 3 kOhm + 1 kOhm; v_mid = 0.45 V at the operating point.
- ``diode_sweep``: 1 kOhm + junction diode (Is = 1e-14 A, n = 1) swept 0..2 V, with ``.meas``.
- ``nmos_inverter``: level-1 NMOS with a 10 kOhm load, swept 0..1.8 V, switching point by ``.meas``.
"""
from __future__ import annotations

from typing import Callable, Dict

from ..errors import CircuitlabError
from ..netlist import (AC, DC, Capacitor, Circuit, Diode, Measure, Model, Mosfet, Op, Pulse, Resistor, Tran,
                       VoltageSource)

R_RC = 1e3     # ohm
C_RC = 1e-9    # farad


def rc_step(r: float = R_RC, c: float = C_RC, points: int = 1000) -> Circuit:
    """RC charged by a 1 V step at t = 0 (1 ps rise), simulated over 5 tau with ``points`` steps."""
    tau = r * c
    stop = 5 * tau
    return Circuit(
        "rc step response",
        elements=[VoltageSource("in", "in", "0", waveform=Pulse(0.0, 1.0, 0.0, 1e-12, 1e-12, 1.0, 2.0)),
                  Resistor("1", "in", "out", r), Capacitor("1", "out", "0", c)],
        analyses=[Tran(stop / points, stop, max_step=stop / points)],
        measures=[Measure("tran", "v_at_tau", f"FIND v(out) AT={tau!r}"),
                  Measure("tran", "t_rise", "TRIG v(out) VAL=0.1 RISE=1 TARG v(out) VAL=0.9 RISE=1")],
    )


def rc_lowpass(r: float = R_RC, c: float = C_RC) -> Circuit:
    """RC low-pass in AC from 1 kHz to 100 MHz, 20 points per decade."""
    return Circuit(
        "rc low-pass ac response",
        elements=[VoltageSource("in", "in", "0", dc=0.0, ac=1.0), Resistor("1", "in", "out", r),
                  Capacitor("1", "out", "0", c)],
        analyses=[AC("dec", 20, 1e3, 1e8)],
        measures=[Measure("ac", "f_3db", "WHEN vdb(out)=-3.0103 FALL=1")],
    )


def divider(v: float = 1.8, r_top: float = 3e3, r_bottom: float = 1e3) -> Circuit:
    """Resistive divider at its operating point."""
    return Circuit(
        "resistive divider",
        elements=[VoltageSource("dd", "vdd", "0", dc=v), Resistor("top", "vdd", "mid", r_top),
                  Resistor("bottom", "mid", "0", r_bottom)],
        analyses=[Op()],
    )


def diode_sweep(r: float = 1e3, i_s: float = 1e-14, n: float = 1.0) -> Circuit:
    """Series resistor and diode swept 0..2 V; measures the current at 1.5 V and where v(d) = 0.6 V."""
    return Circuit(
        "diode dc sweep",
        elements=[VoltageSource("in", "in", "0", dc=0.0), Resistor("s", "in", "d", r),
                  Diode("1", "d", "0", "dmod")],
        models=[Model("dmod", "d", {"is": i_s, "n": n})],
        analyses=[DC("Vin", 0.0, 2.0, 0.01)],
        measures=[Measure("dc", "i_at_1v5", "FIND i(vin) AT=1.5"),
                  Measure("dc", "vin_at_0v6", "WHEN v(d)=0.6 CROSS=1")],
    )


def nmos_inverter(vdd: float = 1.8, r_load: float = 10e3) -> Circuit:
    """Level-1 NMOS (VTO = 0.5 V, KP = 200 uA/V^2, W/L = 1 um/0.18 um) with a resistive load."""
    return Circuit(
        "nmos resistive-load inverter",
        elements=[VoltageSource("dd", "vdd", "0", dc=vdd), VoltageSource("in", "in", "0", dc=0.0),
                  Resistor("load", "vdd", "out", r_load),
                  Mosfet("1", "out", "in", "0", "0", "nch", {"W": 1e-6, "L": 0.18e-6})],
        models=[Model("nch", "nmos", {"level": 1, "vto": 0.5, "kp": 2e-4, "lambda": 0.0})],
        analyses=[DC("Vin", 0.0, vdd, 0.01)],
        measures=[Measure("dc", "v_switch", f"WHEN v(out)={vdd / 2!r} FALL=1")],
    )


EXAMPLES: Dict[str, Callable[[], Circuit]] = {
    "rc_step": rc_step,
    "rc_lowpass": rc_lowpass,
    "divider": divider,
    "diode_sweep": diode_sweep,
    "nmos_inverter": nmos_inverter,
}


def build_example(name: str) -> Circuit:
    """Build a registered example by name."""
    try:
        return EXAMPLES[name]()
    except KeyError:
        raise CircuitlabError(f"unknown example circuit {name!r}; known: {', '.join(sorted(EXAMPLES))}") from None
