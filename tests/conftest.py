"""Shared pytest set-up: the ``ngspice`` and ``slow`` markers.

Tests marked ``ngspice`` fail loudly (never skip) when the simulator is missing and
``CIRCUITLAB_REQUIRE_NGSPICE=1`` (set by ``make test`` and CI); elsewhere they skip. ``slow`` tests run
only with ``--runslow``.
"""
from __future__ import annotations

import os
import shutil

import pytest


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
