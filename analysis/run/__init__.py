"""One way to run an analysis: the step runner, the result and its provenance, the shared
section builders, and the three entry points built on them.

- :mod:`.steps`: :class:`Steps`, the runner (named, timed steps; failures recorded, not raised);
- :mod:`.results`: :class:`AnalysisResult`, :func:`collect_warnings`, :func:`provenance`;
- :mod:`.sections`: the CFA, invariance, SEM, EFA, omega and HTMT sections every mode shares;
- :mod:`.spec_mode`: :func:`analyze`, a spec on any table;
- :mod:`.instrument_mode`: :func:`analyze_instrument`, a plan generated from the bank plus the
  instrument's own sections (:mod:`.instrument_sections`, :mod:`.hypotheses`);
- :mod:`.compare`: :func:`compare_groups`, per-group statistics.
"""
from __future__ import annotations

from .compare import ComparisonResult, compare_groups
from .hypotheses import evaluate_hypotheses
from .instrument_mode import DEFAULT_BOOTSTRAP, InstrumentPlan, analyze_instrument, instrument_plan
from .instrument_sections import reverse_keyed
from .results import AnalysisResult, collect_warnings, package_versions, provenance
from .spec_mode import analyze
from .steps import Steps, one_blas_thread

__all__ = ["analyze", "analyze_instrument", "compare_groups", "instrument_plan", "InstrumentPlan",
           "AnalysisResult", "ComparisonResult", "Steps", "collect_warnings", "provenance",
           "package_versions", "one_blas_thread", "evaluate_hypotheses", "reverse_keyed",
           "DEFAULT_BOOTSTRAP"]
