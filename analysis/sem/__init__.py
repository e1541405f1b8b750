"""Structural equation modelling (CFA/SEM) with lavaan's definitions.

Public API: :func:`fit_sem`, :func:`measurement_invariance`, :class:`SemResult`,
:class:`InvarianceResult`, :func:`parse_model`.
"""
from analysis.sem.api import fit_sem
from analysis.sem.invariance import measurement_invariance
from analysis.sem.results import InvarianceResult, SemResult
from analysis.sem.syntax import parse_model

__all__ = ["fit_sem", "measurement_invariance", "SemResult", "InvarianceResult", "parse_model"]
