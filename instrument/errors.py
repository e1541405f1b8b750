"""Every error coprod raises on purpose, and the problems they carry, in one place.

One base, :class:`CoprodError` (the CLI prints it without a traceback); the specific errors
also subclass :class:`ValueError` (scikit-learn's ``exceptions.py``). Errors that collect
several problems carry them as data in ``exc.problems`` (a tuple of :class:`Problem`), pandera
style; a response-file problem names its rule with a :class:`ProblemCode` (pandera's
``SchemaErrorReason``).

``analysis`` and ``reports`` import these (``coprod.analysis.errors`` re-exports the ones the
analysis raises); ``instrument`` imports nothing of theirs.

>>> exc = ModelSpecError([Problem("spec.yaml", "", "bogus", "unknown key")])
>>> exc.problems[0].field, str(exc)
('bogus', 'problems in the analysis spec:\\n  - spec.yaml, bogus: unknown key')
>>> ProblemCode("out_of_range").description
'a value outside the response scale or the allowed range'
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable

__all__ = ["CoprodError", "ItemBankError", "ResponseDataError", "UnreadableFileError",
           "ModelSpecError", "Problem", "ProblemCode", "ResponseProblem", "RULES", "problem",
           "show_value"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found while checking an input: where it is and what rule it breaks."""

    file: str
    where: str  # item id, row number, column ...
    field: str
    message: str

    def __str__(self) -> str:
        loc = ", ".join(x for x in (self.file, self.where, self.field) if x)
        return f"{loc}: {self.message}" if loc else self.message

    def to_dict(self) -> dict:
        return {"file": self.file, "where": self.where, "field": self.field, "message": self.message}


class ProblemCode(StrEnum):
    """The rule a response-file problem breaks (the ``rule`` of every :class:`ResponseProblem`,
    also in ``--json``). A member is its code string (``ProblemCode.OUT_OF_RANGE ==
    "out_of_range"``); :attr:`description` says what it means."""

    UNREADABLE = "unreadable", "the file cannot be read at all"
    ENCODING = "encoding", "the text encoding is wrong or was converted twice"
    NO_ROWS = "no_rows", "the file has a header but no respondents"
    TITLE_ROW = "title_row", "rows above the header row were skipped"
    SHORT_ROW = "short_row", "a row with fewer fields than the header (cut short)"
    LONG_ROW = "long_row", "a row with more fields than the header"
    CUT_FILE = "cut_file", "the file ends in the middle of a row (it was cut off)"
    CONTROL_CHARS = "control_chars", "control characters (NUL, ESC ...) removed from text cells"
    FORMULA_NO_VALUE = "formula_no_value", "a workbook formula without a saved value (read as empty)"
    SEVERAL_SHEETS = "several_sheets", "a workbook with several sheets, of which one was read"
    UNKNOWN_PLATFORM = "unknown_platform", "the columns match no known export of this instrument"
    MISSING_COLUMN = "missing_column", "a column of the instrument is not in the file"
    UNKNOWN_COLUMN = "unknown_column", "a column that is not part of the instrument"
    DUPLICATE_COLUMN = "duplicate_column", "the same column appears twice"
    OUT_OF_RANGE = "out_of_range", "a value outside the response scale or the allowed range"
    NOT_INTEGER = "not_integer", "a number that is not a whole number"
    UNKNOWN_LABEL = "unknown_label", "text that is neither a code nor a label of the scale"
    UNKNOWN_CATEGORY = "unknown_category", "a value that is not one of the question's choices"
    CATEGORY_NOT_FOR_SECTOR = ("category_not_for_sector",
                               "a choice that is not offered to the respondent's sector")
    NOT_APPLICABLE = ("not_applicable",
                      "an item answered that does not apply to the respondent's sector")
    MISSING_SECTOR = ("missing_sector",
                      "the respondent's sector is missing, so items cannot be assigned")
    MISSING_ID = "missing_id", "the respondent id is empty"
    DUPLICATE_ID = "duplicate_id", "the same respondent id appears on more than one row"
    SUMMARY_ROW = "summary_row", "a totals or summary row, not a respondent"
    VERSION_MISMATCH = "version_mismatch", "the file was collected with a different instrument version"
    MIXED_CODES_LABELS = ("mixed_codes_labels",
                          "a column mixes codes and label text (labels were converted)")
    SECTOR_FORM = "sector_form", "the file holds the form of one sector only"
    COLUMN_TEXT = ("column_text",
                   "a Qualtrics column's question text is not the item the codebook puts there")
    LABEL_HEADERS = ("label_headers",
                     "the headers are question labels (matched to fields by their text)")
    GROUP_SPELLING = ("group_spelling",
                      "free-text group names spelled differently were grouped as one")
    DEFAULT_TAGS = ("default_tags",
                    "Qualtrics columns with default export tags, matched by ImportId or question text")
    DROPPED_ROWS = "dropped_rows", "rows left out on purpose (previews, no consent)"
    INCOMPLETE = "incomplete", "partial responses, kept"

    def __new__(cls, code: str, description: str) -> "ProblemCode":
        member = str.__new__(cls, code)
        member._value_ = code
        member.description = description
        return member


#: rule code -> what it means (:class:`ProblemCode` as a plain mapping, for ``--json``)
RULES: dict[str, str] = {c.value: c.description for c in ProblemCode}


@dataclass(frozen=True, slots=True)
class ResponseProblem(Problem):
    """A :class:`Problem` in a response file, with its parts kept apart.

    ``where`` is ``"row N"`` and ``field`` is ``"column X"`` so that ``str(problem)`` reads
    ``file, row N, column X: message``; ``row``, ``column`` and ``value`` carry the same facts
    as data, ``rule`` is a :class:`ProblemCode`; ``severity`` is ``"error"`` or ``"warning"``
    (warnings, e.g. a title row above the header, do not change the exit code).
    """

    rule: ProblemCode | str = ""
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = "error"

    def to_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": self.column, "value": self.value,
                "rule": str(self.rule), "severity": self.severity, "message": self.message,
                "text": str(self)}


def problem(file: str, rule: ProblemCode | str, message: str, *, row: int | None = None,
            column: str | None = None, value: object = None,
            severity: str = "error") -> ResponseProblem:
    """Build a problem; ``rule`` must be a :class:`ProblemCode` (or its code); ``value`` is shown
    as the file holds it (``None`` when not a cell).

    >>> str(problem("a.csv", "out_of_range", "value 9 is outside 1..7", row=17, column="COM_3"))
    'a.csv, row 17, column COM_3: value 9 is outside 1..7'
    """
    return ResponseProblem(
        file=file, where=f"row {row}" if row is not None else "",
        field=f"column {column}" if column is not None else "", message=message,
        rule=ProblemCode(rule), row=row, column=column,
        value=None if value is None else show_value(value), severity=severity)


def show_value(value: object) -> str:
    """A cell value as the file holds it (``3.0`` -> ``3``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class CoprodError(Exception):
    """Base class of every error coprod raises on purpose (the CLI prints these without traceback)."""

    exit_code = 1


def _listed(head: str, problems: tuple[Problem, ...], limit: int | None = None) -> str:
    shown = problems if limit is None else problems[:limit]
    lines = "\n".join(f"  - {p}" for p in shown)
    more = "" if limit is None or len(problems) <= limit else f"\n  ... and {len(problems) - limit} more"
    return f"{head}\n{lines}{more}"


class ItemBankError(CoprodError, ValueError):
    """The item bank breaks its schema. ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__(_listed(f"the item bank has {len(self.problems)} problem(s):", self.problems))


class ResponseDataError(CoprodError, ValueError):
    """Response data break a rule. ``problems`` lists every problem found (file, row, column, value, rule)."""

    def __init__(self, problems: Iterable[Problem], message: str | None = None):
        self.problems = tuple(problems)
        if message is None:
            message = _listed(f"{len(self.problems)} problem(s) in the response data:",
                              self.problems, limit=200)
        super().__init__(message)


class UnreadableFileError(CoprodError, ValueError):
    """The file cannot be read at all (exit code 2 in ``coprod validate``)."""

    exit_code = 2


class ModelSpecError(CoprodError, ValueError):
    """A model (lavaan syntax) or analysis spec is malformed or names unknown variables.

    Raised with a message (``ModelSpecError("unknown variable x")``) or with the problems found
    (``ModelSpecError([Problem(...), ...])``); ``problems`` is then a tuple of :class:`Problem`
    (file, location, field, message), else empty.
    """

    #: the message already lists the problems (the CLI prints it as it is, as before)
    message_lists_problems = True

    def __init__(self, problems: str | Iterable[Problem], message: str | None = None):
        if isinstance(problems, str):
            self.problems: tuple[Problem, ...] = ()
            message = problems if message is None else message
        else:
            self.problems = tuple(problems)
            if message is None:
                message = _listed("problems in the analysis spec:", self.problems)
        super().__init__(message)
