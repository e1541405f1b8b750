"""Typed view-models of the reports: what each template shows, built from the analysis results.

:mod:`.study` holds the sections of the study report, :mod:`.compare` the pages of the comparison.
They are the one place that reads ``AnalysisResult.sections`` and ``ComparisonResult`` dicts;
templates read only the attributes of these frozen dataclasses and NamedTuples, so a misspelt
field raises (``StrictUndefined``) instead of printing nothing.
"""
__all__: list[str] = []
