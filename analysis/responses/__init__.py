"""Response data, pure: canonicalise a raw table, validate, flag, score, and simulate.

Files are opened elsewhere: the platform modules (:mod:`coprod.instrument.platforms`) read an
export into a raw table and say which platform wrote it, and :mod:`coprod.responses` is the
file-level entry (``read_responses``, ``validate_responses``, ``write_simulated``). Here::

    data = from_raw(raw, plat, bank)               # canonical table, every problem collected
    data = from_table(simulate(1200, seed=1))      # a canonical table held in memory
    flags = quality_flags(data.table)              # also in data.flags
    scores = score(data.analysis_table())          # flagged respondents left out
    report = report_from(data)                     # every problem; report.exit_code 0/1

Row numbers in messages are the rows a user sees when opening the file: the header is row 1
(so the first respondent of a plain CSV is row 2); see :mod:`coprod.analysis.responses.problems`.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping

import numpy as np
import pandas as pd

from coprod.instrument.bank import as_bank
from coprod.instrument.model import Bank
from coprod.instrument.platforms.base import Platform, RawTable
from coprod.instrument.platforms.registry import PLATFORMS, platform_for

from ..errors import ResponseDataError
from .canonical import ResponseData, Schema, schema_for
from .problems import RULES, ProblemCode, ResponseProblem
from .quality import flag_counts, quality_flags
from .report import ValidationReport, report_from, unreadable_report
from .scoring import griffin, score
from .simulate import MUNICIPALITIES, Simulation, SimulationParams, simulate, simulate_population
from .validate import to_canonical

__all__ = [
    "from_raw", "from_table", "report_from", "unreadable_report", "quality_flags", "flag_counts",
    "score", "griffin", "simulate", "simulate_population", "ResponseData", "ValidationReport",
    "ResponseProblem", "ProblemCode", "SimulationParams", "Simulation", "Schema", "schema_for",
    "PLATFORMS", "RULES", "MUNICIPALITIES",
]


def from_raw(raw: RawTable, plat: Platform, bank: Bank, *, strict: bool = True,
             strict_columns: bool = False, groups: Mapping[str, str] | None = None) -> ResponseData:
    """The canonical table of a raw table read as platform ``plat``, with its quality flags.

    Parameters
    ----------
    raw : RawTable
        The cells of one file (:func:`coprod.instrument.platforms.registry.read_export`).
    plat : Platform
        The platform that wrote it, described for ``bank``.
    bank : Bank
        The item bank the responses answer.
    strict : bool
        Raise :class:`ResponseDataError` listing every problem when there is any (default);
        otherwise they are in ``data.problems`` and bad cells are missing.
    strict_columns : bool
        Columns that are not the instrument's (a municipality's own questions) are problems;
        by default they are kept aside with one warning.
    groups : mapping, optional
        Spelling -> group name for free-text groups (the municipality), applied before the
        spellings are grouped by case, whitespace and a trailing "Kommune" (:mod:`.groups`).

    Returns
    -------
    ResponseData

    Examples
    --------
    >>> from coprod.instrument.bank import load_bank
    >>> bank = load_bank()
    >>> frame = simulate(5, seed=1, bank=bank)
    >>> raw = RawTable("t.csv", frame.set_axis(range(frame.shape[1]), axis=1),
    ...                list(frame.columns), np.arange(2, 7), "memory", "")
    >>> from_raw(raw, platform_for(bank, "canonical"), bank).n
    5
    """
    data = to_canonical(raw, plat, bank, strict_columns=strict_columns, groups=groups)
    flags = quality_flags(data.table, bank, dont_know=data.dont_know)
    data = replace(data, flags=flags)
    if strict and data.problems:
        raise ResponseDataError(data.problems)
    return data


def from_table(table: pd.DataFrame, *, bank: Bank | None = None, file: str = "<table>",
               strict: bool = True) -> ResponseData:
    """Check a canonical table held in memory (e.g. :func:`simulate` output) and return it as
    :class:`ResponseData`, exactly as if it had been read from a canonical CSV: don't know
    (99) becomes missing and is counted, every rule is checked. Rows are numbered as in a CSV
    (first respondent = row 2).

    Examples
    --------
    >>> data = from_table(simulate(20, seed=2))
    >>> int(data.dont_know_counts.sum()) > 0, bool(data.table["INS_C1"].max() <= 7)
    (True, True)
    """
    bank = as_bank(bank)
    frame = table.reset_index(drop=True).copy()
    header = [str(c) for c in frame.columns]
    frame.columns = range(frame.shape[1])
    raw = RawTable(file, frame, header, np.arange(2, len(frame) + 2), "memory", "")
    return from_raw(raw, platform_for(bank, "canonical"), bank, strict=strict)
