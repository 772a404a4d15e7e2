"""A user module outside circuitlab for the safe-mode tests (tests/test_mc_trust.py): an evaluator."""
from __future__ import annotations


def square(values):
    """{y: x**2} for the run's parameter x."""
    return {"y": values["x"] ** 2}
