"""The study store: many response exports (municipalities, platforms, waves) in one database,
each import with its provenance, nothing ever updated in place.

::

    from coprod.store import init_study, open_study, add_export, add_invited
    init_study("study")                                   # DuckDB in study/study.duckdb
    with open_study("study") as st:
        add_export(st, "aarhus_kobo.csv", municipality="Aarhus", wave="2027")
        add_invited(st, "invited.csv")
        st.counts()                                       # n, invited, rate per group
        data = st.responses(wave="2027")                  # what coprod analyze STUDY reads
"""
from __future__ import annotations

from ._errors import StudyError
from .imports import ImportResult, add_export
from .invited import add_invited
from .study import STUDY_FILE, Study, init_study, is_study, open_study

__all__ = ["Study", "StudyError", "ImportResult", "init_study", "open_study", "is_study", "add_export",
           "add_invited", "STUDY_FILE"]
