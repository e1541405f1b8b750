"""Records of the model sections: CFA, SEM, measurement invariance and the ordinal (WLSMV) CFA.

Field order is results.json's key order. Matrices and per-variable values (``r2``, ``latent``,
``chisq_by_group``) stay mappings keyed by variable or group name.
"""
from __future__ import annotations

from typing import Any, Mapping

from ._base import ABSENT, Record, record

__all__ = ["Fit", "Estimate", "Defined", "BootEstimate", "BootstrapInfo", "Hint", "FornellLarcker", "SemSection",
           "CfaSection", "LevelFit", "LevelStep", "Lrt", "Delta", "PartialStep", "InvarianceSection", "OrdinalAlpha",
           "WlsmvCfa", "OrdinalSection"]

Matrix = Mapping[str, Mapping[str, Any]]


@record
class Fit(Record):
    """ML fit measures as lavaan's ``fitMeasures`` names them (NaN/None where undefined)."""

    chisq: float | None
    df: int | None
    pvalue: float | None
    cfi: float | None
    tli: float | None
    rmsea: float | None
    rmsea_ci_lower: float | None
    rmsea_ci_upper: float | None
    srmr: float | None
    loglik: float | None
    loglik_h1: float | None
    aic: float | None
    bic: float | None
    npar: int
    nobs: int
    ngroups: int
    baseline_chisq: float | None
    baseline_df: int | None
    chisq_by_group: Mapping[str, float | None]
    # MLR / cluster-robust fits only (lavaan's ``*.scaled`` / ``*.robust``; older results lack them)
    chisq_scaled: float | None = ABSENT
    pvalue_scaled: float | None = ABSENT
    chisq_scaling_factor: float | None = ABSENT
    baseline_chisq_scaled: float | None = ABSENT
    baseline_chisq_scaling_factor: float | None = ABSENT
    cfi_scaled: float | None = ABSENT
    tli_scaled: float | None = ABSENT
    rmsea_scaled: float | None = ABSENT
    rmsea_ci_lower_scaled: float | None = ABSENT
    rmsea_ci_upper_scaled: float | None = ABSENT
    cfi_robust: float | None = ABSENT
    tli_robust: float | None = ABSENT
    rmsea_robust: float | None = ABSENT
    rmsea_ci_lower_robust: float | None = ABSENT
    rmsea_ci_upper_robust: float | None = ABSENT


@record
class Estimate(Record):
    """One row of the parameter table (lavaan's ``parameterEstimates`` with ``standardizedSolution``)."""

    lhs: str
    op: str
    rhs: str
    group: Any = ABSENT
    label: str | None = ABSENT
    est: float | None
    se: float | None
    z: float | None
    pvalue: float | None
    ci_lower: float | None
    ci_upper: float | None
    std_lv: float | None
    std_all: float | None
    free: Any


@record
class Defined(Record):
    """A defined parameter (``:=``) with its delta-method and, after a bootstrap, percentile CI."""

    name: str
    est: float | None
    se: float | None
    z: float | None
    pvalue: float | None
    ci_lower: float | None
    ci_upper: float | None
    boot_se: float | None = ABSENT
    boot_ci_lower: float | None = ABSENT
    boot_ci_upper: float | None = ABSENT
    wald_ci_lower: float | None = ABSENT
    wald_ci_upper: float | None = ABSENT
    ci_method: str = ABSENT


@record
class BootEstimate(Record):
    lhs: str
    op: str
    rhs: str
    group: Any = ABSENT
    label: str | None = ABSENT
    est: float | None
    boot_se: float | None
    boot_ci_lower: float | None
    boot_ci_upper: float | None


@record
class BootstrapInfo(Record):
    n_requested: int
    n_converged: int
    n_failed: int
    seed: int | None
    n_nonadmissible: int = ABSENT


@record
class Hint(Record):
    """A large residual correlation: where the model misfits."""

    lhs: str
    rhs: str
    residual_cor: float | None
    large: bool


@record
class FornellLarcker(Record):
    table: Matrix
    sqrt_ave: Mapping[str, float | None]
    max_abs_cor: Mapping[str, float | None]
    passes: Mapping[str, Any]
    warnings: tuple[str, ...]


@record
class SemSection(Record):
    """A fitted model: fit, estimates, defined parameters, R², latent moments, provenance."""

    fit: Fit
    estimates: tuple[Estimate, ...]
    defined: tuple[Defined, ...]
    r2: Mapping[str, Any]
    converged: bool
    warnings: tuple[str, ...]
    n_used: int
    n_dropped: int
    groups: tuple[Any, ...]
    bootstrap_info: BootstrapInfo | None
    bootstrap_estimates: tuple[BootEstimate, ...]
    latent: Mapping[str, Any]
    meta: Mapping[str, Any]
    model: str = ABSENT
    group_equal: tuple[str, ...] = ABSENT


@record
class CfaSection(SemSection):
    """A CFA with what is read off it: composite reliability, AVE, hints and Fornell–Larcker."""

    composite_reliability: Mapping[str, float | None]
    ave: Mapping[str, float | None]
    modification_hints: tuple[Hint, ...]
    fornell_larcker: FornellLarcker = ABSENT


@record
class LevelFit(Record):
    """The fit of one invariance level."""

    npar: int
    chisq: float | None
    df: int | None
    pvalue: float | None
    cfi: float | None
    tli: float | None
    rmsea: float | None
    srmr: float | None
    aic: float | None
    bic: float | None
    chisq_by_group: Mapping[str, float | None]
    converged: bool
    stop_reason: str = ABSENT  # why the optimiser stopped (results.json of coprod >= 0.x has it)
    optimizer_message: str = ABSENT


@record
class LevelStep(Record):
    """What became of one level: ``holds``, ``partial``, ``fails`` or ``not tested`` (and why)."""

    decision: str
    reason: str


@record
class Lrt(Record):
    chisq_diff: float | None
    df_diff: int | None
    p_diff: float | None


@record
class Delta(Record):
    cfi: float | None
    rmsea: float | None
    srmr: float | None


@record
class PartialStep(Record):
    """Partial invariance at one level: the constraints freed and the partial model's test."""

    freed: tuple[str, ...]
    model: LevelFit | None
    lrt: Lrt | None
    delta: Delta | None
    holds: bool
    limit: Any
    method: tuple[str, ...] = ABSENT  # per constraint freed: "score test" or "refit"
    score_tests: Any = ABSENT  # per constraint freed: {candidate: score-test X2}


@record
class InvarianceSection(Record):
    """Configural → metric → scalar (→ strict) across ``group``, and the decision."""

    configural: LevelFit
    metric: LevelFit = ABSENT
    scalar: LevelFit = ABSENT
    strict: LevelFit = ABSENT
    lrt: Mapping[str, Lrt]
    delta: Mapping[str, Delta]
    decision: str
    partial: Mapping[str, PartialStep]
    rule: str
    warnings: tuple[str, ...]
    groups: tuple[Any, ...]
    meta: Mapping[str, Any]
    steps: Mapping[str, LevelStep] = ABSENT
    reason: str = ABSENT  # why the decision is "not tested", when it is
    highest_level: str = ABSENT
    group: str
    model: str
    min_group: int = ABSENT
    groups_tested: tuple[Any, ...] = ABSENT
    withheld: bool = ABSENT  # fit statistics withheld: a group of the test is suppressed for privacy


@record
class OrdinalAlpha(Record):
    alpha: float | None
    average_r: float | None
    k: int
    items: tuple[str, ...]
    warnings: tuple[str, ...]


@record
class WlsmvCfa(Record):
    """The CFA on polychoric correlations (lavaan's WLSMV, delta parameterization)."""

    estimator: str
    parameterization: str
    converged: bool
    n_used: int
    n_dropped: int
    fit: Mapping[str, Any]
    estimates: tuple[Estimate, ...]
    r2: Mapping[str, Any]
    latent: Mapping[str, Any]
    reliability: Mapping[str, Mapping[str, float | None]]


@record
class OrdinalSection(Record):
    """Polychoric correlations, thresholds, ordinal alpha and the WLSMV CFA."""

    items: tuple[str, ...]
    n: int
    n_dropped: int
    matrix: Matrix
    thresholds: Mapping[str, float | None]
    empty_cell_pairs: Any
    warnings: tuple[str, ...]
    meta: Mapping[str, Any]
    ordinal_alpha: Mapping[str, OrdinalAlpha] = ABSENT
    wlsmv_cfa: WlsmvCfa | None = ABSENT
