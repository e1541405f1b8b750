"""What a workbook read as values hides: formulas whose value was never saved, and other sheets.

A workbook written by a script (or by a tool that does not calculate) may hold formulas without
a saved value; read as values they are empty cells, silently. And a workbook may hold several
sheets, of which one is read. :func:`workbook_notes` reports both, naming the sheet and cell.

>>> from openpyxl.utils import get_column_letter
>>> get_column_letter(28)
'AB'
"""
from __future__ import annotations

import io
import re
import zipfile
from typing import Any, Sequence

from ..errors import ResponseProblem, problem

__all__ = ["workbook_notes"]

#: a formula element, with or without a namespace prefix (``<f>``, ``<x:f t="shared" ...>``)
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_SHOWN = 20


Notes = list[ResponseProblem]


def workbook_notes(data: bytes, name: str, sheets: Sequence[str], chosen: str,
                   rows: Sequence[tuple[Any, ...]], member: str | None) -> tuple[Notes, Notes]:
    """``(problems, warnings)`` of the sheet ``chosen`` read as ``rows`` (values only).

    Problems: every formula cell of the sheet without a saved value (``sheet 'x', cell C4``),
    the first :data:`_SHOWN` one by one and a count of the rest. Warnings: the workbook has
    several sheets with cells, and which one was read.
    """
    warnings = []
    if len(sheets) > 1:
        others = ", ".join(repr(s) for s in sheets if s != chosen)
        warnings.append(problem(name, "several_sheets", f"the workbook has {len(sheets)} sheets; "
                                f"sheet {chosen!r} was read (the one naming most columns of the "
                                f"instrument), not {others}", severity="warning"))
    if member is None or not _has_formulas(data, member):
        return [], warnings
    return _uncached(data, name, chosen, rows), warnings


def _has_formulas(data: bytes, member: str) -> bool:
    """Whether the sheet's XML holds a formula element (streamed, so a large sheet costs only
    its unpacking)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        try:
            fh = zf.open(member.lstrip("/"))
        except KeyError:
            return False
        with fh:
            tail = b""
            while chunk := fh.read(1 << 20):
                if _FORMULA_TAG.search(tail + chunk):
                    return True
                tail = chunk[-16:]
    return False


def _uncached(data: bytes, name: str, sheet: str, rows: Sequence[tuple[Any, ...]]) -> list[ResponseProblem]:
    """Cells that hold a formula but no value: read the sheet again with formulas, and compare."""
    import openpyxl  # deferred: only for workbooks with formulas
    from openpyxl.utils import get_column_letter

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        found = []
        for i, row in enumerate(wb[sheet].iter_rows(values_only=True)):
            if i >= len(rows):
                break
            cached = rows[i]
            for j, v in enumerate(row):
                if isinstance(v, str) and v.startswith("=") and (j >= len(cached) or cached[j] is None):
                    found.append((i + 1, f"{get_column_letter(j + 1)}{i + 1}", v))
    finally:
        wb.close()
    out = [problem(name, "formula_no_value", f"sheet {sheet!r}, cell {ref}: the formula {f[:60]!r} "
                   "has no saved value, so the cell reads as empty; open the workbook in Excel "
                   "and save it (or export the sheet as CSV)", row=row)
           for row, ref, f in found[:_SHOWN]]
    if len(found) > _SHOWN:
        out.append(problem(name, "formula_no_value", f"sheet {sheet!r}: {len(found) - _SHOWN} "
                           "more formula cells have no saved value"))
    return out
