"""The netlist IR: typed, immutable circuit descriptions written deterministically as ngspice input."""
from .analyses import AC, DC, Measure, Op, Tran
from .circuit import Circuit, Model, Subcircuit
from .elements import (BSource, CCCS, CCVS, Capacitor, CurrentSource, Diode, Element, Inductor, Instance,
                       Mosfet, Resistor, VCCS, VCVS, VoltageSource)
from .values import format_number, format_value
from .waveforms import PWL, Pulse, Sin, TrNoise, TrRandom

__all__ = [
    "AC", "DC", "Measure", "Op", "Tran", "Circuit", "Model", "Subcircuit", "BSource", "CCCS", "CCVS",
    "Capacitor", "CurrentSource", "Diode", "Element", "Inductor", "Instance", "Mosfet", "Resistor", "VCCS",
    "VCVS", "VoltageSource", "PWL", "Pulse", "Sin", "TrNoise", "TrRandom", "format_number", "format_value",
]
