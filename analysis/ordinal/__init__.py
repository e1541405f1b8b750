"""Ordinal-item statistics as lavaan computes them for ``ordered=``: thresholds, two-step
polychoric correlations, ordinal alpha, and the asymptotic covariance (Γ) of those sample
statistics that a DWLS/WLSMV estimator needs."""
from analysis.ordinal.polychoric import (
    OrdinalAlphaResult,
    PolychoricResult,
    bivariate_normal_cdf,
    ordinal_alpha,
    polychoric,
    thresholds,
)

__all__ = [
    "thresholds",
    "polychoric",
    "PolychoricResult",
    "ordinal_alpha",
    "OrdinalAlphaResult",
    "bivariate_normal_cdf",
]
