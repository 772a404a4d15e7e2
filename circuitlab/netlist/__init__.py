"""The netlist IR: typed, immutable circuit descriptions written deterministically as ngspice input."""
from .analyses import AC, DC, TF, Measure, Noise, Op, PoleZero, Sens, Tran
from .circuit import Circuit, Function, Model, Subcircuit
from .elements import (BSource, CCCS, CCVS, Capacitor, CurrentSource, Diode, Element, Inductor, Instance,
                       Mosfet, Resistor, VCCS, VCVS, VoltageSource)
from .more_elements import Bjt, Coupling, CSwitch, Jfet, TransmissionLine, VSwitch
from .spice_import import parse_netlist, parse_value
from .to_python import circuit_to_python
from .values import format_number, format_value
from .waveforms import PWL, Pulse, Sin, TrNoise, TrRandom

__all__ = [
    "AC", "DC", "TF", "Measure", "Noise", "Op", "PoleZero", "Sens", "Tran", "Circuit", "Function", "Model",
    "Subcircuit", "Bjt", "Coupling", "CSwitch", "Jfet", "TransmissionLine", "VSwitch", "BSource", "CCCS", "CCVS",
    "Capacitor", "CurrentSource", "Diode", "Element", "Inductor", "Instance", "Mosfet", "Resistor", "VCCS",
    "VCVS", "VoltageSource", "PWL", "Pulse", "Sin", "TrNoise", "TrRandom", "format_number", "format_value",
    "parse_netlist", "parse_value", "circuit_to_python",
]
