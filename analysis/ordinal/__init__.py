"""Ordinal-item statistics as lavaan computes them for ``ordered=``: thresholds, two-step
polychoric correlations, ordinal alpha, and the asymptotic covariance (Γ) of those sample
statistics that a DWLS/WLSMV estimator needs."""
from coprod.analysis.ordinal._bvn import bivariate_normal_cdf
from coprod.analysis.ordinal.polychoric import (
    OrdinalAlphaResult,
    PolychoricResult,
    ordinal_alpha,
    polychoric,
    thresholds,
)
from coprod.analysis.ordinal.wls import OrdinalMoments, sample_statistics

__all__ = [
    "thresholds",
    "polychoric",
    "PolychoricResult",
    "ordinal_alpha",
    "OrdinalAlphaResult",
    "bivariate_normal_cdf",
    "sample_statistics",
    "OrdinalMoments",
]
