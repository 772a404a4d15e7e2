"""Shared pytest set-up: the ``ngspice`` and ``slow`` markers, and the ``pinned_sympy`` fixture.

Tests marked ``ngspice`` fail loudly (never skip) when the simulator is missing and
``CIRCUITLAB_REQUIRE_NGSPICE=1`` (set by ``make test`` and CI); elsewhere they skip. ``slow`` tests run
only with ``--runslow``.
"""
from __future__ import annotations

import os
import re
import shutil
import tomllib
from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run tests marked slow")


def pytest_collection_modifyitems(config, items):
    have_ngspice = shutil.which("ngspice") is not None
    required = os.environ.get("CIRCUITLAB_REQUIRE_NGSPICE") == "1"
    for item in items:
        if "slow" in item.keywords and not config.getoption("--runslow"):
            item.add_marker(pytest.mark.skip(reason="slow test: run with --runslow"))
        if "ngspice" in item.keywords and not have_ngspice and not required:
            item.add_marker(pytest.mark.skip(reason="ngspice not installed"))


def extra_pin(package: str) -> str:
    """The exact version ``package==X`` pinned in pyproject.toml's ``[test]`` extras."""
    extras = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]["test"]
    for req in extras:
        m = re.fullmatch(rf"{re.escape(package)}==([0-9][0-9A-Za-z.]*)", req.replace(" ", ""))
        if m:
            return m.group(1)
    raise LookupError(f"pyproject.toml's [test] extras pin no exact version of {package}")


@pytest.fixture
def pinned_sympy():
    """For tests that compare text printed by sympy (committed .va files, netlists holding device
    subcircuits) with freshly printed text. sympy's printer and its Float arithmetic (mpmath) are pure
    Python, so the text is the same on every CPU and OS; but term order and number printing may change
    between sympy releases. The committed files are therefore tied to the version pinned in the [test]
    extras, and a different version fails here with that reason instead of a text diff."""
    import sympy
    want = extra_pin("sympy")
    if sympy.__version__ != want:
        pytest.fail(f"committed generated text was printed by sympy {want} (pinned in pyproject [test] extras); "
                    f"this is sympy {sympy.__version__}: install '.[test]', or regenerate the files with it "
                    "(circuitlab devices emit NAME --write; circuitlab netlist generate --all; "
                    "CIRCUITLAB_UPDATE_GOLDEN=1) and update the pin")


# --- pytest.approx without its hidden absolute tolerance ------------------------------------------
# pytest.approx(expected, rel=r) also accepts anything within abs=1e-12 of expected. In SI units that is
# no tolerance at all for energies (fJ = 1e-15 J), currents (pA), times (ns) and conductances: e.g.
# approx(2.8e-13 J, rel=1e-12) accepted 3.5e-13 J. Here every approx without an explicit ``abs`` has
# abs=0 (then rel, default 1e-6, is the whole tolerance); a test comparing with 0 must say its abs.
_pytest_approx = pytest.approx


def _approx_without_hidden_abs(expected, rel=None, abs=None, nan_ok=False):
    if abs is None:   # pytest ignores rel when only abs is given: keep its default rel explicitly
        return _pytest_approx(expected, rel=1e-6 if rel is None else rel, abs=0.0, nan_ok=nan_ok)
    return _pytest_approx(expected, rel=rel, abs=abs, nan_ok=nan_ok)


pytest.approx = _approx_without_hidden_abs
