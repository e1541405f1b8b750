"""Errors raised by the analysis package (all are :class:`instrument.errors.CoprodError`)."""
from __future__ import annotations

from coprod.instrument.errors import CoprodError, Problem

__all__ = ["ResponseDataError", "ModelSpecError", "UnreadableFileError", "Problem"]


class ResponseDataError(CoprodError, ValueError):
    """Response data break a rule. ``problems`` lists every problem found (file, row, column, value, rule)."""

    def __init__(self, problems, message: str | None = None):
        self.problems = tuple(problems)
        if message is None:
            lines = "\n".join(f"  - {p}" for p in self.problems[:200])
            more = "" if len(self.problems) <= 200 else f"\n  ... and {len(self.problems) - 200} more"
            message = f"{len(self.problems)} problem(s) in the response data:\n{lines}{more}"
        super().__init__(message)


class UnreadableFileError(CoprodError, ValueError):
    """The file cannot be read at all (exit code 2 in ``coprod validate``)."""

    exit_code = 2


class ModelSpecError(CoprodError, ValueError):
    """A model (lavaan syntax) or analysis spec is malformed or names unknown variables."""
