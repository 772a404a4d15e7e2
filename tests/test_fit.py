"""The fitter recovers known parameters from synthetic data with known noise, within its uncertainties."""
import numpy as np
import pytest

from circuitlab.fit import (ConditionalNoise, DampedSwitching, FitError, MonotoneSpline, Polynomial, Saturating,
                            fit, make_family, select_polynomial, select_spline, worst_case_variation)
from circuitlab.errors import ConfigError


def within(result, truth, k=4.0):
    """Every estimate within k standard errors of the truth (k = 4: < 1e-4 false alarms per parameter)."""
    z = np.abs(result.params - np.asarray(truth)) / result.stderr
    assert np.all(z < k), f"z-scores {z} for {result.values} vs {truth}"


def test_polynomial_recovers_coefficients_and_its_errors_are_calibrated():
    rng = np.random.default_rng(1)
    truth = np.array([0.2, -1.5, 3.0])
    x = np.linspace(-1, 1, 400)
    zs = []
    for _ in range(200):  # the reported standard errors are right on average: z-scores have sd ~ 1
        y = Polynomial(2)(x, truth) + rng.normal(0, 0.05, x.size)
        r = fit(Polynomial(2), x, y)
        zs.append((r.params - truth) / r.stderr)
    zs = np.array(zs)
    # sd of 200 standard-normal z-scores is 1 +- 0.05 (1 sigma); allow 3 sigma
    assert np.all(np.abs(zs.std(axis=0) - 1) < 0.15) and np.all(np.abs(zs.mean(axis=0)) < 0.25)
    assert r.metrics["rmse"] == pytest.approx(0.05, rel=0.15)  # 400 residuals: rmse within ~3.5 % (1 sigma)
    assert r.metrics["r2"] > 0.99


def test_saturating_recovers_parameters():
    rng = np.random.default_rng(2)
    truth = [0.5, 0.4, 0.3, 0.15]
    x = rng.uniform(-0.5, 1.0, 600)
    y = Saturating()(x, truth) + rng.normal(0, 0.01, x.size)
    within(fit(Saturating(), x, y), truth)


def test_damped_switching_recovers_precession_period():
    rng = np.random.default_rng(3)
    truth = [0.5, 0.8e-9, 0.9e-9]  # p_inf, tau (s), period (s): a 2.7 V-like curve
    t = np.linspace(0.1e-9, 4e-9, 40)
    trials = 2000
    p = DampedSwitching()(t, truth)
    y = rng.binomial(trials, p) / trials
    sigma = np.sqrt(np.clip(p * (1 - p), 1e-4, None) / trials)
    r = fit(DampedSwitching(), t, y, sigma=sigma, absolute_sigma=True)
    within(r, truth)


def test_monotone_spline_is_monotone_and_exact_on_piecewise_linear_truth():
    rng = np.random.default_rng(4)
    knots = (0.0, 0.25, 0.5, 0.75, 1.0)
    truth = [0.1, 0.3, 0.0, 0.2, 0.4]  # a flat segment: the bound d >= 0 is active there
    x = rng.uniform(0, 1, 800)
    y = MonotoneSpline(knots)(x, truth) + rng.normal(0, 0.02, x.size)
    r = fit(MonotoneSpline(knots), x, y)
    assert np.all(r.params[1:] >= 0)
    grid = np.linspace(0, 1, 200)
    assert np.all(np.diff(r(grid)) >= -1e-12)
    # free parameters within 4 standard errors; the active-bound one within 3 noise sds of zero
    free = [0, 1, 3, 4]
    assert np.all(np.abs(r.params[free] - np.array(truth)[free]) < 4 * r.stderr[free])
    assert r.params[2] < 3 * 0.02


def test_cross_validation_picks_the_true_degree():
    rng = np.random.default_rng(5)
    x = np.linspace(-1, 1, 300)
    y = 1 - 2 * x + 0.5 * x ** 2 + 1.2 * x ** 3 + rng.normal(0, 0.05, x.size)
    assert select_polynomial(x, y, degrees=range(1, 9)).family.degree in (3, 4)
    s = select_spline(x, np.tanh(3 * x) + rng.normal(0, 0.02, x.size))
    assert len(s.family.knots) >= 5 and s.metrics["rmse"] < 0.03


def test_conditional_noise_recovers_heteroscedastic_sigma_and_quantiles():
    rng = np.random.default_rng(6)
    x = rng.uniform(0, 1, 40000)
    sigma_true = lambda v: 0.01 + 0.04 * v  # noise grows with x
    mean = lambda v: 2 * v
    y = mean(x) + rng.normal(0, 1, x.size) * sigma_true(x)
    noise = ConditionalNoise.from_samples(x, y, mean, bins=20)
    # 2000 samples per bin: relative sd error of a sd estimate ~ 1/sqrt(2n) = 1.6 %; the bin width adds
    # up to 2.5 % of spread; allow 8 %
    np.testing.assert_allclose(noise.sigma(noise.centres), sigma_true(noise.centres), rtol=0.08)
    lo, hi = noise.bounds(noise.centres, mean, coverage=3.0)
    np.testing.assert_allclose(hi - mean(noise.centres), 3 * sigma_true(noise.centres), rtol=0.08)
    # the empirical 0.135 % quantile of 2000 points is noisy (about 3 points below it): 25 %
    qlo, _ = noise.bounds(noise.centres, mean, coverage="quantile")
    np.testing.assert_allclose(mean(noise.centres) - qlo, 3 * sigma_true(noise.centres), rtol=0.25)


def test_worst_case_variation_definition():
    x = np.array([0.0, 0.5, 1.0, 1.0])
    y = np.array([0.0, 0.6, 1.0, 0.8])
    # mean y = x spans 1.0; the largest deviation is 0.2 at x = 1
    assert worst_case_variation(x, y, lambda v: v) == pytest.approx(0.2)


def test_fit_errors():
    with pytest.raises(FitError, match="cannot determine 3 parameters"):
        fit(Polynomial(2), [0, 1, 2], [1, 2, 3])
    with pytest.raises(FitError, match="NaN or infinite"):
        fit(Polynomial(1), [0, 1, 2, 3], [1, np.nan, 3, 4])
    with pytest.raises(ConfigError, match="unknown curve family 'cubic'"):
        make_family("cubic")
    with pytest.raises(ConfigError, match="strictly increasing"):
        MonotoneSpline((0.0, 0.0, 1.0))
    with pytest.raises(FitError, match="sigma must be positive"):
        fit(Polynomial(1), [0, 1, 2, 3], [0, 1, 2, 3], sigma=[1, 0, 1, 1])
