"""One problem in a response file: where it is (file, row, column), the value and the rule.

Messages follow the house style, e.g.
``responses.csv, row 17, column COM_C3: value 9 is outside 1..7 (or 99 = don't know)``.

Row numbers are the row a user sees when the file is opened in a spreadsheet: the header is
row 1 (or the row it is actually on, when a title row sits above it), so the first respondent
of a plain CSV is row 2. Qualtrics' three header rows make its first respondent row 4. For SPSS
and Stata files, which have no header row, the row is the case number (first case = row 1).
"""
from __future__ import annotations

from dataclasses import dataclass

from coprod.instrument.errors import Problem

__all__ = ["ResponseProblem", "RULES", "problem"]

#: rule code -> what it means (the ``rule`` field of every problem; also in ``--json``)
RULES: dict[str, str] = {
    "unreadable": "the file cannot be read at all",
    "encoding": "the text encoding is wrong or was converted twice",
    "no_rows": "the file has a header but no respondents",
    "title_row": "rows above the header row were skipped",
    "unknown_platform": "the columns match no known export of this instrument",
    "missing_column": "a column of the instrument is not in the file",
    "unknown_column": "a column that is not part of the instrument",
    "duplicate_column": "the same column appears twice",
    "out_of_range": "a value outside the response scale or the allowed range",
    "not_integer": "a number that is not a whole number",
    "unknown_label": "text that is neither a code nor a label of the scale",
    "unknown_category": "a value that is not one of the question's choices",
    "category_not_for_sector": "a choice that is not offered to the respondent's sector",
    "not_applicable": "an item answered that does not apply to the respondent's sector",
    "missing_sector": "the respondent's sector is missing, so items cannot be assigned",
    "missing_id": "the respondent id is empty",
    "duplicate_id": "the same respondent id appears on more than one row",
    "summary_row": "a totals or summary row, not a respondent",
    "version_mismatch": "the file was collected with a different instrument version",
    "mixed_codes_labels": "a column mixes codes and label text (labels were converted)",
    "sector_form": "the file holds the form of one sector only",
    "column_text": "a Qualtrics column's question text is not the item the codebook puts there",
    "dropped_rows": "rows left out on purpose (previews, no consent)",
    "incomplete": "partial responses, kept",
}


@dataclass(frozen=True, slots=True)
class ResponseProblem(Problem):
    """A :class:`~instrument.errors.Problem` with the parts of a response-file problem kept apart.

    ``where`` is ``"row N"`` and ``field`` is ``"column X"`` so that ``str(problem)`` reads
    ``file, row N, column X: message``; ``row``, ``column`` and ``value`` carry the same facts
    as data, ``rule`` is a key of :data:`RULES`; ``severity`` is ``"error"`` or ``"warning"``
    (warnings, e.g. a title row above the header, do not change the exit code).
    """

    rule: str = ""
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = "error"

    def to_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": self.column, "value": self.value,
                "rule": self.rule, "severity": self.severity, "message": self.message,
                "text": str(self)}


def problem(file: str, rule: str, message: str, *, row: int | None = None,
            column: str | None = None, value: object = None,
            severity: str = "error") -> ResponseProblem:
    """Build a problem; ``value`` is shown as the file holds it (``None`` when not a cell)."""
    return ResponseProblem(
        file=file, where=f"row {row}" if row is not None else "",
        field=f"column {column}" if column is not None else "", message=message,
        rule=rule, row=row, column=column, value=None if value is None else _show(value),
        severity=severity)


def _show(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
