"""Curve fits with Monte Carlo spread: synthetic truth, a real campaign file, and the fit CLI."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from circuitlab.export import load_model
from circuitlab.export.curve import curve_model
from circuitlab.fit import FitError
from circuitlab.fit.campaign import campaign_columns, fit_campaign, fit_curve

ROOT = Path(__file__).parents[1]


def test_fit_curve_recovers_truth_and_bounds_cover_as_stated():
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 2, 50000)
    y = 0.3 + 1.7 * x + rng.normal(0, 1, x.size) * (0.02 + 0.03 * x)
    cf = fit_curve(x, y, "polynomial", coverage=3.0)
    assert cf.result.family.degree == 1
    # the fitted line in the original variable: slope = c1 / scale, intercept at x = 0
    fam = cf.result.family
    slope = cf.result.params[1] / fam.scale
    assert slope == pytest.approx(1.7, abs=4 * cf.result.stderr[1] / fam.scale)
    lo, hi = cf.bounds(x)
    outside = np.mean((y < lo) | (y > hi))
    # +-3 sigma of a Gaussian leaves 0.27 % outside; 50000 points: binomial sd 0.023 %; the binned
    # sigma(x) is smoothed, so allow 0.1-0.5 %
    assert 0.001 < outside < 0.005


def test_unknown_family_and_column(tmp_path):
    with pytest.raises(FitError, match="cannot be fitted to campaign data"):
        fit_curve(np.arange(100.0), np.arange(100.0), "damped_switching")


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    out = tmp_path_factory.mktemp("fit") / "rc.h5"
    r = subprocess.run([sys.executable, "-m", "circuitlab.cli.main", "mc", "run", "rc_bsource",
                        "--out", out, "--samples", "150", "--workers", "1", "--no-progress"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return out


@pytest.mark.ngspice
def test_fit_campaign_and_its_model_file(campaign, tmp_path):
    cols, ok = campaign_columns(campaign)
    assert ok.sum() == 150 and set(cols) >= {"r", "c", "tdelay", "vmax"}
    cf = fit_campaign(campaign, "r", "tdelay", coverage="quantile")
    res = cf.result
    assert abs(np.mean(res.residuals)) < 1e-3 * np.mean(res.y)  # least squares with an intercept: zero mean
    grid = np.linspace(res.x.min(), res.x.max(), 512)
    assert cf.worst_case == pytest.approx(np.max(np.abs(res.y - res(res.x))) / np.ptp(res(grid)))
    path = tmp_path / "tdelay.h5"
    from circuitlab.export import save_model
    save_model(curve_model(cf), path)
    m = load_model(path, kind="curve")
    np.testing.assert_allclose(m.tables["mean"].values, res(m.tables["mean"].axes[0].values), rtol=1e-12)
    assert m.parameters["worst_case_variation"].value == cf.worst_case
    with pytest.raises(FitError, match="no column 'nosuch'"):
        fit_campaign(campaign, "r", "nosuch")


@pytest.mark.ngspice
def test_fit_cli_from_campaign(campaign, tmp_path):
    r = subprocess.run([sys.executable, "-m", "circuitlab.cli.main", "fit", campaign, "--x", "c", "--y", "vmax",
                        "--family", "monotone_spline", "--out", tmp_path / "vmax.h5"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "vmax.png").is_file() and load_model(tmp_path / "vmax.h5").kind == "curve"
    assert "worst-case variation" in r.stdout
    r = subprocess.run([sys.executable, "-m", "circuitlab.cli.main", "fit", campaign, "--x", "c", "--y", "vmax",
                        "--coverage", "-1", "--out", tmp_path / "bad.h5"], capture_output=True, text=True)
    assert r.returncode == 1 and "--coverage '-1' must be > 0" in r.stderr
    r = subprocess.run([sys.executable, "-m", "circuitlab.cli.main", "fit", campaign, "--x", "c", "--y", "nosuch",
                        "--out", tmp_path / "none.h5"], capture_output=True, text=True, timeout=120)
    # a FitError is a NumericalError (not a ConfigError) and reaches the user as one line
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "has no column 'nosuch'" in r.stderr
    assert not (tmp_path / "none.h5").exists()


def test_fit_error_is_numerical_not_config():
    from circuitlab.errors import CircuitlabError, ConfigError, NumericalError
    assert issubclass(FitError, NumericalError) and issubclass(FitError, CircuitlabError)
    assert not issubclass(FitError, ConfigError)
