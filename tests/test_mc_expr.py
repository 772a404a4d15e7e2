"""Derived-scalar expressions evaluated for many runs at once (circuitlab.montecarlo.expr)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from circuitlab.errors import ConfigError
from circuitlab.montecarlo.expr import check_expression, evaluate, names_in

FUNCS = ("mean", "max", "min", "std", "final", "initial", "ptp")


def ev(text, scalars=None, vectors=None, rows=1):
    return evaluate(check_expression(text, "test"), scalars or {}, vectors or {}, rows)


def test_vector_functions_reduce_each_row_like_numpy():
    rng = np.random.default_rng(3)
    y = rng.normal(size=(5, 201))
    ref = {"mean": y.mean(1), "max": y.max(1), "min": y.min(1), "std": y.std(1), "final": y[:, -1],
           "initial": y[:, 0], "ptp": y.max(1) - y.min(1)}
    for f in FUNCS:
        got = ev(f"{f}('V(OUT)')", vectors={"v(out)": y}, rows=5)
        assert got.shape == (5,)
        np.testing.assert_allclose(got, ref[f], rtol=1e-14, atol=0, err_msg=f)


def test_a_rows_value_does_not_depend_on_the_other_rows():
    """Bit for bit: a run evaluated with 99 others equals the same run evaluated alone."""
    rng = np.random.default_rng(4)
    y = rng.normal(size=(100, 1001)) * rng.uniform(0.1, 10, size=(100, 1))
    x = rng.uniform(0.5, 2.0, 100)
    for f in FUNCS:
        text = f"{f}('v(out)') / x + x ** 2 - sqrt(x)"
        many = ev(text, {"x": x}, {"v(out)": y}, rows=100)
        alone = np.array([ev(text, {"x": x[i]}, {"v(out)": y[i:i + 1]})[0] for i in range(100)])
        assert np.array_equal(many, alone), f


def test_scalars_arithmetic_and_chained_comparisons():
    x = np.array([-1.0, 0.5, 1.5, 3.0])
    assert np.array_equal(ev("0 < x < 2", {"x": x}, rows=4), [0.0, 1.0, 1.0, 0.0])
    assert np.array_equal(ev("x >= 1.5", {"x": x}, rows=4), [0.0, 0.0, 1.0, 1.0])
    np.testing.assert_allclose(ev("-x * 2 + abs(x) % 1", {"x": x}, rows=4), -2 * x + np.abs(x) % 1, rtol=0, atol=0)
    np.testing.assert_allclose(ev("log10(100) + exp(0) + tanh(0)"), [3.0], rtol=0, atol=0)
    assert ev("3", rows=3).tolist() == [3.0, 3.0, 3.0]  # constants broadcast to every run


def test_missing_names_and_vectors_are_nan_and_bad_arithmetic_is_quiet():
    assert np.isnan(ev("nope + 1", {"x": 1.0}))[0]
    assert np.isnan(ev("max('v(missing)')", vectors={"v(out)": np.ones((1, 3))}))[0]
    assert np.isnan(ev("'text' * 2"))[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inv = ev("1 / x", {"x": np.array([0.0, 2.0])}, rows=2)
        log = ev("log(x)", {"x": np.array([0.0, -1.0])}, rows=2)
    assert inv.tolist() == [np.inf, 0.5] and log[0] == -np.inf and np.isnan(log[1])


def test_names_in_lists_scalar_names_once_and_check_rejects_calls():
    assert names_in(check_expression("a * b + a / max('v(out)')", "t")) == ("a", "b")
    with pytest.raises(ConfigError, match="not allowed"):
        check_expression("open('x')", "t")
