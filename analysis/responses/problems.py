"""One problem in a response file: where it is (file, row, column), the value and the rule.

Messages follow the house style, e.g.
``responses.csv, row 17, column COM_C3: value 9 is outside 1..7 (or 99 = don't know)``.

Row numbers are the row a user sees when the file is opened in a spreadsheet: the header is
row 1 (or the row it is actually on, when a title row sits above it), so the first respondent
of a plain CSV is row 2. Qualtrics' three header rows make its first respondent row 4. For SPSS
and Stata files, which have no header row, the row is the case number (first case = row 1).

The classes live in :mod:`coprod.instrument.errors` (the readers of the platform modules report
problems too); this module re-exports them.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from coprod.instrument.errors import RULES, ProblemCode, ResponseProblem, problem
from coprod.instrument.errors import show_value as show
from coprod.instrument.platforms.base import RawTable

__all__ = ["ResponseProblem", "ProblemCode", "RULES", "problem", "Collector", "show"]


class Collector:
    """Every problem and warning found in one file, in the order found (with the reader's)."""

    def __init__(self, raw: RawTable):
        self.raw = raw
        self.file = raw.file
        self.problems: list[ResponseProblem] = list(raw.problems)
        self.warnings: list[ResponseProblem] = list(raw.warnings)
        self.rows = raw.rows

    def add(self, rule: str, message: str, **kw: Any) -> None:
        self.problems.append(problem(self.file, rule, message, **kw))

    def warn(self, rule: str, message: str, **kw: Any) -> None:
        self.warnings.append(problem(self.file, rule, message, severity="warning", **kw))

    def cells(self, positions: np.ndarray, column: str, values: list, rule: str,
              messages: list[str]) -> None:
        rows = self.rows[positions]
        for r, v, m in zip(rows.tolist(), values, messages):
            self.problems.append(problem(self.file, rule, m, row=int(r), column=column, value=v))
