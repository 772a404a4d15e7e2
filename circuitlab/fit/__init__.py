"""The fitter: curve families, least-squares fits with uncertainties, cross-validated model selection
and conditional noise models (sigma(x), worst-case bounds)."""
from .curve_fit import FitError, FitResult, cross_validate, fit, select_polynomial, select_spline
from .families import (DampedSwitching, Family, MonotoneSpline, Polynomial, Saturating, make_family, scaled_polynomial,
                       uniform_knots)
from .noise import ConditionalNoise, worst_case_variation

__all__ = ["FitError", "FitResult", "cross_validate", "fit", "select_polynomial", "select_spline",
           "DampedSwitching", "Family", "MonotoneSpline", "Polynomial", "Saturating", "make_family",
           "uniform_knots", "scaled_polynomial", "ConditionalNoise", "worst_case_variation"]
