"""The study report: ``results.json`` of ``coprod analyze`` as one self-contained HTML page.

:func:`render_study_report` turns an ``AnalysisResult`` into HTML with the wording of the item
bank it was analysed with. Each section of the page is its own template in
``reports/templates/study/`` and is shown only when its data exists, so a ``--spec`` result (only
reliability, EFA, CFA, invariance, SEM; rendered with ``bank=None``) renders as well as a full
instrument result.

The values shown are selected and arranged by the typed view-models of
:mod:`coprod.reports.views.study`; numbers reach the templates unrounded and are rounded there by
the filters of :mod:`coprod.reports.env`.
"""
from __future__ import annotations

from coprod.reports.env import ReportError, render
from coprod.reports.views.study import StudyView, study_view

__all__ = ["render_study_report", "render_view", "build_context", "ReportError"]


def build_context(result, *, bank, lang: str = "en", min_cell: int = 5) -> StudyView:
    """The view-model of the study report (raw numbers; the templates round them).

    ``bank`` is the :class:`~coprod.instrument.model.Bank` the result was analysed with, or
    ``None`` (spec mode: ids instead of wording).
    """
    return study_view(result, bank=bank, lang=lang, min_cell=min_cell)


def render_study_report(result, *, bank, lang: str = "en", min_cell: int = 5) -> str:
    """The study report of ``result`` as HTML.

    Parameters
    ----------
    result : AnalysisResult
        What ``coprod.analysis`` computed.
    bank : Bank or None
        The item bank the responses were analysed with (its wording labels items, sectors and
        constructs); ``None`` for a spec-mode result.
    lang : {"en", "da"}
        Report language.
    min_cell : int
        Counts below this are suppressed.

    Examples
    --------
    >>> html = render_study_report(result, bank=bank, lang="da")  # doctest: +SKIP
    """
    return render_view(study_view(result, bank=bank, lang=lang, min_cell=min_cell), lang=lang)


def render_view(view: StudyView, *, lang: str) -> str:
    """The study report of a view-model already built (:func:`build_context`)."""
    return render("study/report.html.j2", lang=lang, **view.context())
