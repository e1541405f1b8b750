"""Records of the sections only the instrument analysis has, and of the data summary of both modes."""
from __future__ import annotations

from typing import Any, Mapping

from ._base import ABSENT, Record, record

__all__ = ["DataSummary", "Sample", "ItemAnalysis", "ScoreStat", "Scores", "StrategyStat", "Hypothesis", "PathHypothesis",
           "IndirectHypothesis", "MeanHypothesis"]


@record
class DataSummary(Record):
    """Rows in the file and rows used (spec mode adds how many were dropped and why)."""

    n_rows_file: int | None
    n_used: int
    n_dropped: int = ABSENT
    missing: str = ABSENT
    group_counts: Mapping[str, int | None] = ABSENT  # None: suppressed for privacy


@record
class Sample(Record):
    """Who was read, who was excluded and why, and who was analysed."""

    n_file: int
    n_read: int
    n_flagged: int
    excluded_by_reason: Mapping[str, int]
    keep_flagged: bool
    n_analysed: int
    by_sector: Mapping[str, int | None]  # None: suppressed for privacy (coprod.reports.disclosure)
    by_service_area: Mapping[str, int | None]
    n_municipalities: int
    dont_know: int | None
    source: Mapping[str, Any]


@record
class ItemAnalysis(Record):
    """Item statistics and answer distributions of one sector (raw answers)."""

    items: tuple[str, ...]
    n_rows: int
    stats: Mapping[str, Mapping[str, Any]]
    categories: Mapping[str, Mapping[str, Any]]
    scale_range: Any
    missing: str
    warnings: tuple[str, ...]
    meta: Mapping[str, Any]


@record
class ScoreStat(Record):
    n: int
    mean: float | None
    sd: float | None = ABSENT


@record
class Scores(Record):
    """Construct means by sector, and felt vs Griffin ambivalence (``n``, ``r`` and r per sector)."""

    by_sector: Mapping[str, Mapping[str, ScoreStat]]
    griffin_vs_felt: Mapping[str, Any] = ABSENT


StrategyStat = ScoreStat


@record
class PathHypothesis(Record):
    """A hypothesis tested by a structural path: its estimate and p-value."""

    id: str
    statement: str
    test: str
    estimate: float | None = ABSENT  # absent when the model lacks the path ("not tested")
    p: float | None = ABSENT
    verdict: str
    reason: str | None = ABSENT  # why "not tested", in plain English; None when tested


@record
class IndirectHypothesis(Record):
    """A hypothesis tested by an indirect effect: its estimate and CI (bootstrap when drawn)."""

    id: str
    statement: str
    test: str
    estimate: float | None
    ci: tuple[float | None, ...] | None
    verdict: str
    reason: str | None = ABSENT


@record
class MeanHypothesis(Record):
    """A hypothesis tested by a difference of means between sectors (Welch's t, Hedges' g)."""

    id: str
    statement: str
    test: str
    n1: int | None  # None (and no figure): a group compared is suppressed for privacy
    n2: int | None
    mean1: float | None = ABSENT  # absent when a group has fewer than two answers
    mean2: float | None = ABSENT
    diff: float | None
    t: float | None
    df: float | None
    p: float | None
    g: float | None
    verdict: str
    reason: str | None = ABSENT


#: any of the three kinds (results.json tells them apart by their keys)
Hypothesis = PathHypothesis | IndirectHypothesis | MeanHypothesis
