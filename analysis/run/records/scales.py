"""Records of the scale sections: reliability, omega hierarchical, EFA and discriminant validity."""
from __future__ import annotations

from typing import Any, Mapping

from ._base import ABSENT, Record, record

__all__ = ["AlphaCi", "Reliability", "Omega", "Bartlett", "Parallel", "EfaFit", "EfaSolution", "EfaSection",
           "Htmt", "Validity"]

Matrix = Mapping[str, Mapping[str, Any]]


@record
class AlphaCi(Record):
    lower: float | None
    upper: float | None
    level: float
    method: str


@record
class Reliability(Record):
    """Cronbach's alpha of one scale, as psych::alpha reports it, with omega total."""

    scale: str
    group: Any
    items: tuple[str, ...]
    k: int
    n: int
    n_rows: int
    missing: str
    alpha: float | None
    alpha_std: float | None
    alpha_ci: AlphaCi | None
    average_r: float | None
    g6_smc: float | None
    signal_noise: float | None
    alpha_ase: float | None
    scale_mean: float | None
    scale_sd: float | None
    omega_total: float | None
    omega_total_cfa: float | None
    item_stats: Matrix
    warnings: tuple[str, ...]
    meta: Mapping[str, Any]
    construct: str = ABSENT
    sector: str | None = ABSENT
    scope: str = ABSENT


@record
class Omega(Record):
    """Omega hierarchical of a battery (psych::omega, Schmid–Leiman)."""

    items: tuple[str, ...]
    n: int
    n_groups: int
    omega_h: float | None
    omega_total: float | None
    omega_limit: float | None
    alpha: float | None
    ecv: float | None
    loadings: Matrix
    group_omegas: Matrix
    warnings: tuple[str, ...]
    meta: Mapping[str, Any]


@record
class Bartlett(Record):
    chi2: float | None
    df: int
    p: float | None
    n: int


@record
class Parallel(Record):
    """Horn's parallel analysis (psych::fa.parallel)."""

    items: tuple[str, ...]
    n: int
    n_iter: int
    seed: int | None
    quantile: float
    n_factors: int | None
    observed_fa_values: tuple[float | None, ...]
    observed_pc_values: tuple[float | None, ...]
    simulated_fa_mean: tuple[float | None, ...]
    simulated_fa_threshold: tuple[float | None, ...]
    missing: str
    warnings: tuple[str, ...]


@record
class EfaFit(Record):
    objective: float | None
    chisq: float | None
    df: float | None
    pvalue: float | None
    rmsea: float | None
    tli: float | None
    bic: float | None
    n_obs: int
    null_chisq: float | None
    null_df: float | None


@record
class EfaSolution(Record):
    """One rotated EFA solution: pattern, structure, Φ, communalities (psych::fa)."""

    items: tuple[str, ...]
    n_factors: int
    method: str
    rotation: str | None
    n_obs: int
    loadings: Matrix
    structure: Matrix
    phi: Matrix | None
    loadings_unrotated: Matrix
    communalities: Mapping[str, float | None]
    uniquenesses: Mapping[str, float | None]
    variance: Matrix
    fit: EfaFit | None
    missing: str
    warnings: tuple[str, ...]


@record
class EfaSection(Record):
    """Factorability (KMO, Bartlett), parallel analysis and the EFA solution."""

    items: tuple[str, ...]
    n: int
    kmo: float | None
    kmo_per_item: Mapping[str, float | None]
    bartlett: Bartlett
    eigen: Mapping[str, Any]
    missing: str
    warnings: tuple[str, ...]
    parallel: Parallel
    n_factors_parallel: int | None
    solution: EfaSolution


@record
class Htmt(Record):
    matrix: Matrix
    htmt2: bool
    absolute: bool
    n: int
    missing: str
    warnings: tuple[str, ...]


@record
class Validity(Record):
    htmt: Htmt | None
