"""Circuits used by several test modules (one of every element kind, for golden-file tests)."""
from circuitlab.netlist import (AC, CCCS, CCVS, DC, PWL, VCCS, VCVS, BSource, Capacitor, Circuit, CurrentSource,
                                Diode, Inductor, Instance, Measure, Model, Mosfet, Op, Pulse, Resistor, Sin,
                                Subcircuit, Tran, TrRandom, VoltageSource)


def every_element() -> Circuit:
    """A circuit that uses every card the writer knows (it need not be a sensible circuit)."""
    div = Subcircuit("div", ("a", "b", "m"), [Resistor("1", "a", "m", "rtop"), Resistor("2", "m", "b", "rbot")],
                     params={"rtop": 1e3, "rbot": 2e3})
    return Circuit(
        "every element",
        elements=[
            VoltageSource("dd", "vdd", "0", dc=1.8),
            VoltageSource("p", "p", "0", waveform=Pulse(0, 1.8, 1e-9, 1e-11, 1e-11, 5e-9, 1e-8, count=3)),
            VoltageSource("w", "w", "0", waveform=PWL([(0, 0), (1e-9, 0.5), (2e-9, 0.5)])),
            VoltageSource("s", "s", "0", dc=0.9, ac=1.0, waveform=Sin(0.9, 0.1, 1e6)),
            CurrentSource("n", "0", "nz", waveform=TrRandom(2, 1e-10, 0.0, 1e-6, 0.0)),
            Resistor("nz", "nz", "0", 1e3),
            Resistor("p", "p", "0", 50.0), Resistor("w", "w", "0", 50.0), Resistor("s", "s", "sense", 1.0),
            VoltageSource("sense", "sense", "0", dc=0),
            Capacitor("1", "vdd", "0", 1e-12, ic=1.8),
            Inductor("1", "vdd", "li", 1e-9), Resistor("li", "li", "0", 1e6),
            BSource("exp", "bx", "0", voltage="v(p) * 0.5 + exp(-v(w))"), Resistor("bx", "bx", "0", 1e4),
            VCVS("1", "e", "0", "p", "0", 2.0), Resistor("e", "e", "0", 1e3),
            VCCS("1", "g", "0", "w", "0", 1e-3), Resistor("g", "g", "0", 1e3),
            CCCS("1", "f", "0", "sense", 0.5), Resistor("f", "f", "0", 1e3),
            CCVS("1", "h", "0", "Vsense", 10.0), Resistor("h", "h", "0", 1e3),
            Diode("1", "vdd", "dk", "dmod", {"area": 2}), Resistor("dk", "dk", "0", 1e3),
            Mosfet("1", "md", "p", "0", "0", "nch", {"W": 1e-6, "L": 1.8e-7}), Resistor("md", "vdd", "md", 1e4),
            Instance("1", "div", ("vdd", "0", "mid"), {"rtop": 3e3}), Capacitor("mid", "mid", "0", 1e-15),
        ],
        subcircuits=[div],
        models=[Model("dmod", "d", {"is": 1e-14, "n": 1.0}),
                Model("nch", "nmos", {"level": 1, "vto": 0.5, "kp": 2e-4})],
        params={"vsupply": 1.8, "scale": "vsupply/2"},
        options={"reltol": 1e-4, "gmin": 1e-12, "noacct": True},
        initial_conditions={"mid": 0.0},
        analyses=[Op(), DC("Vdd", 0.0, 1.8, 0.1), Tran(1e-11, 2e-8, max_step=1e-10), AC("dec", 10, 1e3, 1e9)],
        measures=[Measure("tran", "vmax", "MAX v(bx)")],
    )
