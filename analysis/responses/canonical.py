"""The result of reading responses: :class:`ResponseData` holds the canonical table.

The canonical columns of a bank (:class:`Column`, :class:`Schema`, :func:`schema_for`) are
described in :mod:`coprod.instrument.platforms.schema`, next to the platforms whose exports are
read into them; they are re-exported here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from coprod.instrument.platforms.schema import (DURATION, ID, REQUIRED_CONTEXT, VERSION, Column,
                                                Schema, schema_for)

from .problems import ResponseProblem

__all__ = ["ID", "REQUIRED_CONTEXT", "DURATION", "VERSION", "Column", "Schema", "schema_for",
           "ResponseData", "empty_flags"]

#: quality flag columns (see :mod:`analysis.responses.quality`)
FLAG_COLUMNS = ("straightlining", "attention_failed", "speeding", "missingness", "flagged")


def empty_flags(index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame({c: np.zeros(len(index), dtype=bool) for c in FLAG_COLUMNS}, index=index)


@dataclass(frozen=True, slots=True)
class ResponseData:
    """Responses read from one file, in the canonical table.

    Attributes
    ----------
    table : DataFrame
        The canonical table (see module docs); don't-know answers are missing here.
    dont_know : DataFrame
        Boolean mask, same rows as ``table``, one column per coded question (items, attention
        check, rating questions): True where the respondent answered don't know.
    source : mapping
        ``file``, ``sha256``, ``platform``, ``container``, ``encoding``, ``delimiter``,
        ``header_row``, ``instrument_version`` (when the file carries it), ``n_rows_file``,
        ``dropped`` (rows left out, by reason: previews, summary rows, blank rows...).
    problems : tuple of ResponseProblem
        Every error found (empty for a clean file).
    warnings : tuple of ResponseProblem
        Things worth knowing that do not make the file wrong (title row skipped, labels mixed
        with codes, ...).
    flags : DataFrame
        Data-quality flags per respondent (:func:`~analysis.responses.quality_flags` with its
        defaults): ``straightlining``, ``attention_failed``, ``speeding``, ``missingness`` and
        ``flagged`` (any of them).
    """

    table: pd.DataFrame
    dont_know: pd.DataFrame
    source: Mapping[str, Any]
    problems: tuple[ResponseProblem, ...] = ()
    warnings: tuple[ResponseProblem, ...] = ()
    flags: pd.DataFrame | None = None

    @property
    def dont_know_counts(self) -> pd.Series:
        """Don't-know answers per column."""
        return self.dont_know.sum().astype(int)

    @property
    def n(self) -> int:
        return len(self.table)

    def analysis_table(self, *, keep_flagged: bool = False) -> pd.DataFrame:
        """The table with the flag columns appended; flagged respondents dropped unless
        ``keep_flagged``."""
        flags = self.flags if self.flags is not None else empty_flags(self.table.index)
        out = self.table.join(flags)
        return out if keep_flagged else out.loc[~flags["flagged"].to_numpy()]

    def counts(self) -> dict[str, Any]:
        """Summary counts (respondents, per sector, don't-knows, flags, problems)."""
        t = self.table
        flags = self.flags if self.flags is not None else empty_flags(t.index)
        return {
            "n_respondents": int(len(t)),
            "by_sector": {str(k): int(v) for k, v in t["sector"].value_counts().items()}
            if "sector" in t else {},
            "dont_know": int(self.dont_know.to_numpy().sum()),
            "dont_know_by_column": {k: int(v) for k, v in self.dont_know_counts.items() if v},
            "flags": {c: int(flags[c].sum()) for c in flags.columns},
            "problems": len(self.problems),
            "warnings": len(self.warnings),
        }
