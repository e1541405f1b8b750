"""Exception hierarchy shared by every coprod package.

``analysis`` and ``reports`` import these; ``instrument`` imports nothing of theirs.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CoprodError", "ItemBankError", "Problem"]


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


class CoprodError(Exception):
    """Base class of every error coprod raises on purpose (the CLI prints these without traceback)."""

    exit_code = 1


class ItemBankError(CoprodError, ValueError):
    """The item bank breaks its schema. ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the item bank has {len(self.problems)} problem(s):\n{lines}")
