"""coprod: a survey instrument and psychometrics toolkit for coproduction ambivalence.

The installed package holds three parts, each a folder of the repository:
``coprod.instrument`` (item bank, questionnaire, platform formats), ``coprod.analysis``
(validation, scoring, reliability, EFA, CFA, invariance, SEM) and ``coprod.reports`` (HTML
reports). The names below are the public Python API; importing ``coprod`` itself is cheap, each
is loaded on first use.

>>> import coprod
>>> coprod.__version__
'0.1.0'
>>> bank = coprod.load_bank()
>>> bank.id
'coprod-ambivalence'
"""
from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

# public name -> module that defines it (loaded lazily: `coprod --help` must stay instant)
_API = {
    "load_bank": "coprod.instrument.bank",
    "build_questionnaire": "coprod.instrument.generator",
    "export": "coprod.instrument.exports",
    "write_export": "coprod.instrument.exports",
    "read_responses": "coprod.responses",
    "validate_responses": "coprod.responses",
    "simulate": "coprod.analysis.responses",
    "analyze": "coprod.api",
    "respondent_scores": "coprod.api",
    "analyze_instrument": "coprod.analysis.default",
    "spec_from_dict": "coprod.analysis.spec",
    "load_spec": "coprod.analysis.spec",
    "fit_sem": "coprod.analysis.sem",
    "measurement_invariance": "coprod.analysis.sem",
    "modification_indices": "coprod.analysis.sem",
    "score_tests": "coprod.analysis.sem",
    "factor_scores": "coprod.analysis.sem",
    "compare_groups": "coprod.analysis.compare",
    "CoprodError": "coprod.instrument.errors",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        value = getattr(import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'coprod' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
