"""Builders of the small characterisation circuits used by the example campaigns and benchmarks.

A builder takes one run's values (a dict: parameters in SI units, sweep values, jitter waveforms)
and returns a :class:`~circuitlab.netlist.Circuit`.
"""
from __future__ import annotations

from typing import Mapping

from ..netlist import BSource, Capacitor, Circuit, Measure, Pulse, Resistor, Tran, VoltageSource


def rc_bsource(p: Mapping[str, object]) -> Circuit:
    """An RC low-pass driven by a pulse, loaded by a cubic B-source sink ``I = g3 * v(out)**3``.

    Values: ``r`` (ohm), ``c`` (F), ``g3`` (A/V^3), ``vdd`` (V); optional ``vin`` (a Pulse or PWL
    waveform, e.g. a jittered one). Transient of 1 us in 1 ns steps (about 1000 points); measures the
    50 % rise delay ``tdelay`` (s) and the peak output ``vmax`` (V). A negative ``g3`` makes the sink
    a runaway source, which ngspice cannot integrate (used to test non-converging samples).
    """
    vdd = float(p.get("vdd", 1.0))
    wave = p.get("vin") or Pulse(0.0, vdd, 10e-9, 1e-9, 1e-9, 200e-9, 400e-9)
    half = 0.5 * vdd
    return Circuit(
        "rc plus cubic b-source",
        elements=(VoltageSource("in", "in", "0", waveform=wave),
                  Resistor("1", "in", "out", float(p["r"])),
                  Capacitor("1", "out", "0", float(p["c"])),
                  BSource("nl", "out", "0", current=f"{float(p['g3'])!r}*v(out)^3")),
        analyses=(Tran(1e-9, 1e-6),),
        measures=(Measure("tran", "tdelay", f"TRIG v(in) VAL={half!r} RISE=1 TARG v(out) VAL={half!r} RISE=1"),
                  Measure("tran", "vmax", "MAX v(out)")))
