"""Every table of the study report as data: for ``coprod report --tables xlsx|csv``.

The tables come from the report's own view-model (:class:`~coprod.reports.views.study.StudyView`),
so a file holds exactly what the page shows, but with the numbers unrounded: each sequence of
rows (NamedTuples) is a table whose columns are the row's fields, each header-and-rows matrix (the
pattern matrix, Φ, HTMT, paths by sector) a table with its header. A suppressed value is written
as ``"suppressed"``; figures are left out.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import math
import re
from typing import Any, Iterator

from coprod.reports.suppression import SUPPRESSED

__all__ = ["Table", "study_tables", "tables_csv", "tables_xlsx", "TABLE_FORMATS"]

#: the formats ``--tables`` writes
TABLE_FORMATS = ("xlsx", "csv")


@dataclasses.dataclass(frozen=True, slots=True)
class Table:
    """One table: a name (``factors.loadings``), column names and rows of raw values."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]


def _cell(v: Any) -> Any:
    if v is SUPPRESSED:
        return "suppressed"
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (tuple, list)):
        return ", ".join(map(str, v))
    return v


def _is_rows(value: Any) -> bool:
    return (isinstance(value, tuple) and bool(value) and all(isinstance(r, tuple) and hasattr(r, "_fields")
                                                             for r in value))


def _walk(name: str, value: Any) -> Iterator[Table]:
    if _is_rows(value):
        flat = [f for f in value[0]._fields if not _nested(getattr(value[0], f))]
        yield Table(name, tuple(flat), tuple(tuple(_cell(getattr(r, f)) for f in flat) for r in value))
        return
    if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
        for i, v in enumerate(value):
            label = re.sub(r"\W+", "_", str(getattr(v, "group", None) or getattr(v, "sector", None) or i + 1))
            yield from _walk(f"{name}.{label}", v)
        return
    if hasattr(value, "_fields") and not _nested_any(value):  # one row (a fit)
        yield Table(name, tuple(value._fields), (tuple(_cell(x) for x in value),))
        return
    if dataclasses.is_dataclass(value):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        if {"header", "rows"} <= set(fields) and fields["rows"]:
            cols = tuple(str(h) or "" for h in fields["header"])
            yield Table(name, cols, tuple(tuple(_cell(x) for x in r) for r in fields["rows"]))
            return
        for k, v in fields.items():
            yield from _walk(f"{name}.{k}", v)


def _nested(v: Any) -> bool:
    return isinstance(v, tuple) and bool(v) and isinstance(v[0], tuple)


def _nested_any(row: Any) -> bool:
    return any(_nested(x) or dataclasses.is_dataclass(x) for x in row)


#: the view's fields that are tables (the rest is text, figures and provenance)
_SECTIONS = ("sample", "reliability", "factors", "invariance", "ordinal", "sem", "hypotheses", "ambivalence",
             "strategies")


def study_tables(view) -> tuple[Table, ...]:
    """Every table of the study report ``view``, in page order.

    Examples
    --------
    >>> [t.name for t in study_tables(view)][:2]  # doctest: +SKIP
    ['sample.reasons', 'sample.by_sector']
    """
    return tuple(t for s in _SECTIONS for t in _walk(s, getattr(view, s)) if t.rows)


def tables_csv(tables: tuple[Table, ...]) -> dict[str, str]:
    """One CSV text per table, named ``<table name>.csv``."""
    out = {}
    for t in tables:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(t.columns)
        w.writerows(["" if v is None else v for v in r] for r in t.rows)
        out[f"{t.name}.csv"] = buf.getvalue()
    return out


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31]
    out, i = base, 2
    while out in used:
        out = f"{base[:28]}~{i}"
        i += 1
    used.add(out)
    return out


def tables_xlsx(tables: tuple[Table, ...]) -> bytes:
    """One workbook, a sheet per table (sheet names cut to Excel's 31 characters)."""
    from openpyxl import Workbook  # deferred: heavy, and only --tables xlsx needs it

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for t in tables:
        ws = wb.create_sheet(_sheet_name(t.name, used))
        ws.append(list(t.columns))
        for r in t.rows:
            ws.append([v if v is None or isinstance(v, (int, float, str, bool)) else str(v) for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
