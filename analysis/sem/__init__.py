"""Structural equation modelling (CFA/SEM) with lavaan's definitions.

Public API: :func:`fit_sem`, :func:`factor_scores`, :func:`measurement_invariance`, :func:`modification_indices`,
:func:`score_tests`,
:class:`SemResult`, :class:`InvarianceResult`, :class:`ModIndicesResult`, :func:`parse_model`.

Modules, one stage each: ``syntax`` (lavaan syntax → formulas), ``partable`` (lavaan's defaults
and equality constraints → parameter table), ``model`` (LISREL matrices, implied moments,
Jacobian), ``start`` (starting values), ``ml`` / ``fiml`` (discrepancies and the optimiser),
``engine`` (data preparation, one fit), ``dwls`` (WLSMV for ordered indicators,
``fit_sem(..., ordered=)``) and ``dwls_fit`` (its tests and fit measures), ``fit`` (fit
measures), ``inference`` (SEs, standardized solution, R², ``:=``), ``bootstrap``, ``api``
(``fit_sem``), ``invariance``, ``modindices`` (lavaan's ``modindices``, ``lavTestScore``), ``scores`` (``lavPredict``), ``results``. Checked
against R lavaan 0.6.14: tests/analysis/test_sem_*.py.
"""
from coprod.analysis.sem.api import fit_sem
from coprod.analysis.sem.invariance import measurement_invariance
from coprod.analysis.sem.modindices import ModIndicesResult, modification_indices, score_tests
from coprod.analysis.sem.results import InvarianceResult, SemResult
from coprod.analysis.sem.scores import factor_scores
from coprod.analysis.sem.syntax import parse_model

__all__ = ["fit_sem", "factor_scores", "measurement_invariance", "modification_indices", "score_tests", "SemResult",
           "InvarianceResult", "ModIndicesResult", "parse_model"]
