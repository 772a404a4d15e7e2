"""Behavioural MeRAM cell: one pulse flips the state iff the external draw u < P_sw(V, t_pulse)."""
from __future__ import annotations

import pytest

from circuitlab import devices
from circuitlab.devices.models.vcmtj_markov import TABLE, VOLTAGES, WIDTHS
from circuitlab.devices.numeric import Evaluator

# grid points (V, t, the table's P_sw there): the default table is the built-in LLG vcmtj_psw read at the
# grid (tests/test_vcmtj_card.py checks that); here only the lookup and the flip rule are under test
CASES = [(VOLTAGES[i], WIDTHS[j], TABLE[i][j]) for i, j in ((2, 4), (3, 1), (3, 4), (1, 4))]


def test_table_lookup_reproduces_the_grid():
    ev = Evaluator(devices.get("vcmtj_markov"))
    for v, w, p in CASES:
        out = ev(None, V_pn=v, w=w, vpk=v, xl=0.0, x=0.0, u=0.5)
        assert float(out["Psw"]) == pytest.approx(p, abs=1e-12)


@pytest.mark.ngspice
def test_one_pulse_flips_iff_draw_below_switching_probability():
    from circuitlab import simulate
    from circuitlab.devices.ngspice import subcircuit
    from circuitlab.netlist import Circuit, Instance, Pulse, Tran, VoltageSource
    m = devices.get("vcmtj_markov")
    sub = subcircuit(m)
    elements, expected = [], []
    for k, (v, w, p) in enumerate(CASES):
        for j, u in enumerate((p - 0.05, p + 0.05)):
            if u <= 0.01:
                continue
            tag = f"{k}_{j}"
            elements += [VoltageSource(f"Vg{tag}", f"g{tag}", "0", waveform=Pulse(0.0, v, 0.2e-9, 20e-12, 20e-12, w, 1.0)),
                         VoltageSource(f"Vu{tag}", f"u{tag}", "0", dc=float(u)),
                         Instance(f"X{tag}", sub.name, (f"g{tag}", "0", f"u{tag}"))]
            expected.append((tag, u < p))
    circuit = Circuit("markov pulses", tuple(elements), subcircuits=(sub,),
                      analyses=(Tran(1e-12, 3.5e-9, max_step=5e-12, uic=True),))
    r = simulate(circuit, timeout=60)
    for tag, flips in expected:
        x = r[f"v(x{tag}.s_x)"][-1]
        assert x == pytest.approx(1.0 if flips else 0.0, abs=0.02), (tag, flips, x)
