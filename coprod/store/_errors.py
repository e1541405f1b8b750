"""The error of the study store: a refused or impossible study operation (exit code 1)."""
from __future__ import annotations

from typing import Iterable

from coprod.instrument.errors import CoprodError, Problem

__all__ = ["StudyError"]


class StudyError(CoprodError, ValueError):
    """A study operation refused (a file already imported, ids already stored, no such import...)
    or impossible (no study there, a database that cannot be opened); the message says which.
    ``problems`` lists every problem of an input file (the invited counts), when there are any."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()):
        self.problems = tuple(problems)
        super().__init__(message)
