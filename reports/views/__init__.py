"""Typed view-models of the reports: what each template shows, built from the analysis results.

:mod:`.study` holds the sections of the study report, :mod:`.compare` the pages of the comparison.
They are the one place that reads ``AnalysisResult.sections`` (typed records,
:mod:`coprod.analysis.run.records`) and ``ComparisonResult``; templates read only the attributes
of these frozen dataclasses and NamedTuples, so a misspelt field raises (``AttributeError`` in a
view, ``StrictUndefined`` in a template) instead of printing nothing.
"""
__all__: list[str] = []
