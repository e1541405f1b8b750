"""Spec mode, ``coprod analyze --spec``: kept as the import path of :func:`analyze`.

The runner, the result and the shared section builders live in :mod:`coprod.analysis.run`.
"""
from __future__ import annotations

from ._result import jsonable
from .run.results import AnalysisResult, package_versions
from .run.sections import cfa_section, invariance_section, sem_fit_section, sem_section
from .run.spec_mode import _ordinal  # noqa: F401  (the WLSMV tests call the ordinal step alone)
from .run.spec_mode import analyze
from .run.steps import Steps, one_blas_thread

__all__ = ["analyze", "AnalysisResult", "package_versions", "one_blas_thread", "Steps", "cfa_section",
           "invariance_section", "sem_fit_section", "sem_section", "jsonable"]
