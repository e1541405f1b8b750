"""Records of a comparison between groups (``coprod compare``): per-group means, paths and the
invariance test that decides whether means may be compared."""
from __future__ import annotations

from typing import Any, Mapping

from ._base import ABSENT, Record, record
from .models import Delta, LevelFit, LevelStep, Lrt, PartialStep

__all__ = ["MeanCi", "PathEstimate", "PathFit", "GroupPaths", "NoPaths", "GroupStats", "Overall",
           "ComparisonInvariance", "AlignedFactor", "ComparisonAlignment", "GroupRate", "ResponseRates",
           "WaveGroup", "WaveStats", "ChangeCell", "WaveChange"]


@record
class MeanCi(Record):
    """A construct score's mean with its t-based 95% CI, in one group or overall."""

    n: int
    mean: float | None
    sd: float | None
    lower: float | None
    upper: float | None


@record
class PathEstimate(Record):
    est: float | None
    std_all: float | None
    pvalue: float | None


@record
class PathFit(Record):
    cfi: float | None
    rmsea: float | None
    srmr: float | None


@record
class GroupPaths(Record):
    """The structural model fitted within one group: its paths (``"lhs ~ rhs"``) and fit."""

    n: int
    converged: bool
    paths: Mapping[str, PathEstimate]
    fit: PathFit
    warnings: tuple[str, ...]


@record
class NoPaths(Record):
    """Why a group has no structural model (too few respondents, or a model that failed)."""

    error: str
    n: int = ABSENT


@record
class GroupStats(Record):
    """One group's respondents, construct means, effect sizes against the rest and paths."""

    n: int
    means: Mapping[str, MeanCi]
    by_sector: Mapping[str, int]
    effect_vs_rest: Mapping[str, float | None] = ABSENT  # only when means are comparable
    sem: GroupPaths | NoPaths
    analytic: bool = ABSENT  # at least the analytic minimum: in the invariance test and alignment


@record
class Overall(Record):
    n: int
    means: Mapping[str, MeanCi]


@record
class ComparisonInvariance(Record):
    """The groups large enough to test, and the invariance test across them (when it ran)."""

    groups_tested: tuple[str, ...]
    min_group: int
    configural: LevelFit = ABSENT
    metric: LevelFit = ABSENT
    scalar: LevelFit = ABSENT
    strict: LevelFit = ABSENT
    lrt: Mapping[str, Lrt] = ABSENT
    delta: Mapping[str, Delta] = ABSENT
    decision: str
    partial: Mapping[str, PartialStep] = ABSENT
    rule: str = ABSENT
    warnings: tuple[str, ...] = ABSENT
    groups: tuple[Any, ...] = ABSENT
    meta: Mapping[str, Any] = ABSENT
    steps: Mapping[str, LevelStep] = ABSENT
    reason: str = ABSENT
    highest_level: str = ABSENT
    group: str = ABSENT
    model: str = ABSENT
    withheld: bool = ABSENT  # as InvarianceSection's (the comparison never fits with it set)


@record
class AlignedFactor(Record):
    """One construct's aligned factor means and variances (:func:`coprod.analysis.alignment.align`).

    ``mean``/``variance`` per group are standardised over the aligned groups (their mean of means
    0, mean variance 1), so a mean is in SD units from the average group.
    """

    items: tuple[str, ...]
    method: str
    mean: Mapping[str, float]
    variance: Mapping[str, float]
    noninvariant_share: float
    r2_loadings: float | None
    r2_intercepts: float | None
    trusted: bool
    converged: bool


@record
class ComparisonAlignment(Record):
    """Latent means by alignment across the groups that reach the analytic minimum (5 or more)."""

    groups: tuple[str, ...]
    min_groups: int
    trust_share: float
    factors: Mapping[str, AlignedFactor] = ABSENT
    errors: Mapping[str, str] = ABSENT


@record
class GroupRate(Record):
    """One group's response rate: respondents in the comparison / invited (``coprod study invited``).

    ``rate`` is ``None`` (with ``reason``) when the invited counts do not cover every sector the
    group has respondents in: a rate over part of the group would tell that part's n.
    """

    n: int
    invited: int | None
    rate: float | None
    reason: str = ABSENT


@record
class ResponseRates(Record):
    """Response rates per group of one wave (``None``: every wave of the comparison)."""

    by: str
    wave: str | None
    groups: Mapping[str, GroupRate]
    overall: GroupRate


@record
class WaveGroup(Record):
    """One group's respondents and observed construct means in one wave."""

    n: int
    means: Mapping[str, MeanCi]


@record
class WaveStats(Record):
    """Observed construct means per group in one wave, and overall."""

    wave: str
    groups: Mapping[str, WaveGroup]
    overall: WaveGroup


@record
class ChangeCell(Record):
    """Later wave minus earlier wave of one construct's observed mean in one group, with Welch's
    95% CI (the waves as independent samples)."""

    diff: float | None
    lower: float | None
    upper: float | None
    df: float | None


@record
class WaveChange(Record):
    """Change per group between two waves, gated by invariance across the waves.

    ``invariance`` is the test with the wave as the group (core-items model, FIML, pooled over
    the groups); ``comparable`` is true when scalar (or partial scalar) invariance holds, and only
    then are the changes meant to be read as change (the reports layer shows none otherwise).
    """

    by: str
    waves: tuple[str, ...]
    stats: Mapping[str, WaveStats]
    invariance: ComparisonInvariance
    comparable: bool
    reason: str
    change: Mapping[str, Mapping[str, ChangeCell]]
