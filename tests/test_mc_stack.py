"""Stacked netlists: runs written already expanded (R, C, L, V, I, B only) give exactly the numbers of
the same runs written as subcircuit instances, which ngspice expands itself (real ngspice, both ways)."""
from __future__ import annotations

import numpy as np
import pytest

from circuitlab.montecarlo import netlists
from circuitlab.montecarlo.extract import measure_values
from circuitlab.montecarlo.launch import finish_text, start_text
from circuitlab.netlist import (PWL, BSource, Capacitor, Circuit, CurrentSource, Inductor, Measure, Model,
                                Pulse, Resistor, Tran, VoltageSource)
from circuitlab.netlist.elements import Diode

pytestmark = pytest.mark.ngspice


def mixed(k: int) -> Circuit:
    """Every expandable kind; B expressions with v(a,b), i(source) and time; per-run values."""
    r = 1e3 * (1 + 0.05 * k)
    return Circuit(
        f"mixed {k}",
        elements=(VoltageSource("in", "in", "0", waveform=Pulse(0.0, 1.0, 5e-9, 1e-9, 1e-9, 40e-9, 100e-9)),
                  Resistor("1", "in", "mid", r),
                  Inductor("1", "mid", "out", 1e-6 * (1 + 0.1 * k), ic=0.0),
                  Capacitor("1", "out", "0", 2e-11, ic=0.0),
                  CurrentSource("bias", "0", "out", waveform=PWL(((0.0, 0.0), (50e-9, 1e-5 * k)))),
                  BSource("sink", "out", "0", current=f"{1e-4 * (1 + k)!r}*v(out,mid)^2 + 1e-3*i(vin)"),
                  BSource("mon", "mon", "0", voltage="v(out)*(1+0.1*sin(1e8*time))"),
                  Resistor("mon", "mon", "0", 1e6)),
        analyses=(Tran(1e-10, 2e-7),),
        measures=(Measure("tran", "vmax", "MAX v(out)"), Measure("tran", "imax", "MAX i(vin)")))


def run(text, tags, tmp_path):
    names = ["time", *(netlists.rename_probes(v, t) for t in tags for v in ("v(out)", "v(mon)", "i(vin)"))]
    out, error = finish_text(start_text(text, tmp_path, None), 60)
    assert error is None, error
    return {n: out.plots[0][n] for n in names}, measure_values(out.stdout)


def test_expanded_runs_equal_subcircuit_instances_bit_for_bit(tmp_path):
    circuits = [mixed(k) for k in range(4)]
    tags = [f"{k}p0" for k in range(4)]
    save = ["v(out)", "v(mon)", "i(vin)"]
    expanded = netlists.stack(circuits, tags, save)
    wrapped = netlists.stack(circuits, tags, save, expand=False)
    assert ".subckt" not in expanded and expanded.count(".subckt") == 0 and wrapped.count(".subckt c") == 4
    assert "B.x2p0.Bsink x2p0.out 0 I=0.00030000000000000003*v(x2p0.out,x2p0.mid)^2 + 1e-3*i(v.x2p0.vin)" in expanded
    a, ma = run(expanded, tags, tmp_path)
    b, mb = run(wrapped, tags, tmp_path)
    for name in a:
        assert np.array_equal(a[name], b[name]), name
    assert ma == mb and len(ma) == 8
    assert np.max(np.abs(a["i(v.x3p0.vin)"])) > 1e-5  # real currents, not zeros


def test_runs_that_need_the_wrapper_keep_it():
    base = mixed(1)
    with_model = base.with_(elements=base.elements + (Diode("1", "out", "0", "dmod"),),
                            models=(Model("dmod", "d", {"is": 1e-14}),))
    with_params = base.with_(params={"scale": 2.0})
    with_gnd = base.with_(elements=base.elements[:-1] + (Resistor("mon", "mon", "gnd", 1e6),))
    for c in (with_model, with_params, with_gnd):
        text = netlists.stack([c, c], ["0p0", "1p0"], ["v(out)"])
        assert text.count(".subckt c") == 2, c.title
    text = netlists.stack([base, with_params], ["0p0", "1p0"], ["v(out)"])
    assert text.count(".subckt c") == 1 and "R.x0p0.R1 x0p0.in x0p0.mid" in text
