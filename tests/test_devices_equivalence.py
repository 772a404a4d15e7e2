"""Equivalence of the three generated targets of every registered device model (issue 3).

For each model: verilogae's evaluation of the committed ``.va`` file, the numpy and torch evaluators
and the ngspice probe subcircuit agree on >= 200 seeded operating points that span the parameter
ranges; the ngspice transient of the state equations under a pulse train agrees with scipy's
``solve_ivp`` of the numpy evaluator; the committed ``.va`` files are up to date.
"""
from __future__ import annotations

import numpy as np
import pytest

from circuitlab import devices
from circuitlab.devices import testbench as tb
from circuitlab.devices.veriloga import emit_veriloga, va_path

MODELS = devices.names()
N_POINTS = 240
# All three targets evaluate the same double-precision expression; they differ only in the order of
# operations and in libm versus ngspice/numpy function implementations (a few ulp), amplified at most
# by the conditioning of exp/sinh of arguments of order 30. 1e-6 is the bound.
RTOL = 1e-6
# Smooth steps (1 + tanh z)/2 far in their tails are cancellation residues (absolute error ~ 1e-16 of the
# quantity's scale) whose digits differ between libm, numpy and ngspice; relative errors are
# therefore taken against max(|value|, FLOOR * max |value over the grid|).
FLOOR = 1e-9


def _err(a, ref):
    return tb.relative_error(a, ref, floor=FLOOR * float(np.max(np.abs(ref))))
# Transient: ngspice (trapezoidal, reltol 1e-6) against LSODA (rtol 1e-8); error relative to the swing.
TRAN_TOL = 1e-2


@pytest.fixture(scope="module", params=MODELS)
def model(request):
    return devices.get(request.param)


@pytest.fixture(scope="module")
def points(model):
    return tb.operating_points(model, N_POINTS, seed=3)


@pytest.fixture(scope="module")
def reference(model, points):
    return tb.numpy_outputs(model, points)


def test_committed_veriloga_is_up_to_date(model, pinned_sympy):
    path = va_path(model.name)
    assert path.is_file(), f"{path} missing: run `circuitlab devices emit {model.name} --target veriloga --write`"
    assert path.read_text() == emit_veriloga(model), \
        f"{path} is out of date: run `circuitlab devices emit {model.name} --target veriloga --write`"


def test_verilogae_matches_numpy(model, points, reference):
    pytest.importorskip("verilogae")
    va = tb.verilogae_outputs(model, points)
    for q in model.outputs:
        assert _err(va[q], reference[q]) < RTOL, q


def test_torch_matches_numpy(model, points, reference):
    pytest.importorskip("torch")
    th = tb.numpy_outputs(model, points, backend="torch")
    for q in model.outputs:
        assert _err(th[q], reference[q]) < RTOL, q


@pytest.mark.ngspice
def test_ngspice_operating_points_match_numpy(model, points, reference):
    ng = tb.ngspice_outputs(model, points)
    for q in model.outputs:
        assert _err(ng[q], reference[q]) < RTOL, q


@pytest.mark.ngspice
def test_ngspice_transient_matches_solve_ivp(model):
    if not model.states:
        pytest.skip(f"{model.name} has no state equation")
    t, ng = tb.transient_ngspice(model)
    ref = tb.transient_scipy(model, t)
    for s in model.states:
        swing = np.ptp(ref[s.name])
        assert swing > 0, f"{model.name}: the test pulse train does not move {s.name}"
        err = np.max(np.abs(ng[s.name] - ref[s.name])) / swing
        assert err < TRAN_TOL, (s.name, err)


def test_the_cached_ngspice_expressions_equal_a_fresh_print(model):
    # devices/ngspice.expression keeps each equation's text per model object (a campaign's builder asks
    # for the same ones for every sample); the kept text must be what substituting and printing gives.
    import dataclasses

    from circuitlab.devices import ngspice
    from circuitlab.devices.printers import print_expr
    keep = tuple(q.name for q in model.node_quantities)
    for q in model.all_equations():
        fresh = print_expr(model.flat(q.name, keep), "ngspice", ngspice.symbol_names(model))
        assert ngspice.expression(model, q.name) == fresh
        assert ngspice.expression(model, q.name) is ngspice.expression(model, q.name)
    # a changed copy of the model (other equations under the same name) is not served the old text
    first = model.all_equations()[0]
    other = dataclasses.replace(model, quantities=(dataclasses.replace(first, expr=first.expr * 2),)
                                + model.quantities[1:]) if model.quantities else model
    if other is not model:
        assert ngspice.expression(other, first.name) == print_expr(other.flat(first.name, keep), "ngspice",
                                                                   ngspice.symbol_names(other))
        assert ngspice.expression(other, first.name) != ngspice.expression(model, first.name)
