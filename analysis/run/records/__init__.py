"""Typed records of everything results.json holds, and :class:`Sections`, the sections of one run.

An analysis builds these records; renderers read their attributes; JSON is made of them only
when results.json is written (``AnalysisResult.to_dict``), and ``from_dict`` reads it back for
``coprod report``. A key the records do not know, in either direction, is an error.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterator, Mapping

from ._base import ABSENT, Record, RecordError, _convert, _emit, opt, record
from .compare import (AlignedFactor, ComparisonAlignment, ComparisonInvariance, GroupPaths, GroupStats, MeanCi, NoPaths, Overall, PathEstimate,
                      PathFit, GroupRate, ResponseRates, WaveGroup, WaveStats, ChangeCell, WaveChange)
from .instrument import (DataSummary, Hypothesis, IndirectHypothesis, ItemAnalysis, MeanHypothesis, PathHypothesis,
                         Sample, Scores, ScoreStat, StrategyStat)
from .models import (BootEstimate, BootstrapInfo, CfaSection, Defined, Delta, Estimate, Fit, FornellLarcker, Hint,
                     InvarianceSection, LevelFit, LevelStep, Lrt, OrdinalAlpha, OrdinalSection, PartialStep, SemSection, WlsmvCfa)
from .scales import AlphaCi, Bartlett, EfaFit, EfaSection, EfaSolution, Htmt, Omega, Parallel, Reliability, Validity

__all__ = ["Record", "RecordError", "ABSENT", "record", "opt", "Sections", "SECTION_TYPES",
           "AlignedFactor", "ComparisonAlignment",
           "DataSummary", "Sample", "ItemAnalysis", "ScoreStat", "Scores", "StrategyStat", "Hypothesis",
           "PathHypothesis", "IndirectHypothesis", "MeanHypothesis",
           "Fit", "Estimate", "Defined", "BootEstimate", "BootstrapInfo", "Hint", "FornellLarcker", "SemSection",
           "CfaSection", "LevelFit", "LevelStep", "Lrt", "Delta", "PartialStep", "InvarianceSection", "OrdinalAlpha", "WlsmvCfa",
           "OrdinalSection", "AlphaCi", "Reliability", "Omega", "Bartlett", "Parallel", "EfaFit", "EfaSolution",
           "EfaSection", "Htmt", "Validity", "MeanCi", "PathEstimate", "PathFit", "GroupPaths", "NoPaths",
           "GroupStats", "Overall", "ComparisonInvariance", "GroupRate", "ResponseRates", "WaveGroup",
           "WaveStats", "ChangeCell", "WaveChange"]

#: each section's record type, in the order the instrument analysis writes them
SECTION_TYPES: dict[str, Any] = {
    "sample": Sample,
    "items": Mapping[str, ItemAnalysis],
    "reliability": Mapping[str, Reliability | None],
    "efa": EfaSection,
    "omega_hierarchical": Omega | Mapping[str, Omega | None],  # spec mode: one battery
    "cfa": CfaSection,
    "cfa_by_sector": Mapping[str, CfaSection | None],
    "validity": Validity,
    "invariance": InvarianceSection,
    "invariance_by": Mapping[str, InvarianceSection | None],
    "sem": SemSection,
    "sem_by_sector": SemSection,
    "scores": Scores,
    "strategies": Mapping[str, Mapping[str, StrategyStat]],
    "hypotheses": tuple[Hypothesis, ...],
    "ordinal": OrdinalSection,
}


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Sections:
    """The sections one analysis computed: each ``None`` when not computed (or failed).

    ``order`` is the order results.json writes them in (spec mode and the instrument analysis
    differ), so a result read back writes the same file.

    Examples
    --------
    >>> s = Sections.of({"hypotheses": [{"id": "H1", "statement": "s", "test": "path",
    ...                                  "estimate": 0.3, "p": 0.01, "verdict": "supported"}]})
    >>> s.hypotheses[0].verdict, s.cfa, list(s.names())
    ('supported', None, ['hypotheses'])
    """

    sample: Sample | None = None
    items: Mapping[str, ItemAnalysis] | None = None
    reliability: Mapping[str, Reliability | None] | None = None
    efa: EfaSection | None = None
    omega_hierarchical: Omega | Mapping[str, Omega | None] | None = None
    cfa: CfaSection | None = None
    cfa_by_sector: Mapping[str, CfaSection | None] | None = None
    validity: Validity | None = None
    invariance: InvarianceSection | None = None
    invariance_by: Mapping[str, InvarianceSection | None] | None = None
    sem: SemSection | None = None
    sem_by_sector: SemSection | None = None
    scores: Scores | None = None
    strategies: Mapping[str, Mapping[str, StrategyStat]] | None = None
    hypotheses: tuple[Hypothesis, ...] | None = None
    ordinal: OrdinalSection | None = None
    order: tuple[str, ...] = ()

    @classmethod
    def of(cls, sections: Mapping[str, Any]) -> "Sections":
        """Sections from ``name → record or results.json object``; an unknown name is an error."""
        unknown = [k for k in sections if k not in SECTION_TYPES]
        if unknown:
            raise RecordError(f"unknown section {', '.join(map(repr, unknown))}")
        # a failed step leaves {} (results.json keeps it so): the section is None
        values = {k: (None if v is None or (isinstance(v, Mapping) and not v) else _convert(v, SECTION_TYPES[k], k))
                  for k, v in sections.items()}
        return cls(**values, order=tuple(sections))

    def names(self) -> Iterator[str]:
        """The names of the sections present (not ``None``), in results.json order."""
        return (k for k in self.order if getattr(self, k) is not None)

    def to_dict(self) -> dict:
        """The sections as results.json holds them (before ``jsonable``)."""
        return {k: {} if getattr(self, k) is None else _emit(getattr(self, k)) for k in self.order}
