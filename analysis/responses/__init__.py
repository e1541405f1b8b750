"""Response data: read platform exports back, validate, flag, score, and simulate.

Pipeline::

    data = read_responses("export.csv")            # platform detected, canonical table
    flags = quality_flags(data.table)              # also in data.flags
    scores = score(data.analysis_table())          # flagged respondents left out

    report = validate_responses("export.csv")      # every problem; report.exit_code 0/1/2

    table = simulate(1200, seed=1)                 # synthetic canonical table
    write_simulated(table, "kobo.csv", "kobo")     # in a platform's own export format

Row numbers in messages are the rows a user sees when opening the file: the header is row 1
(so the first respondent of a plain CSV is row 2); see :mod:`analysis.responses.problems`.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coprod.instrument.model import Bank

from ..errors import ResponseDataError, UnreadableFileError
from .canonical import ResponseData, Schema, schema_for
from .platforms import PLATFORMS, detect_platform, is_known_anywhere, platform_for
from .problems import RULES, ResponseProblem
from .quality import flag_counts, quality_flags
from .readers import RawTable, read_raw
from .scoring import griffin, score
from .simulate import MUNICIPALITIES, Simulation, SimulationParams, simulate, simulate_population
from .report import ValidationReport, report_from, unreadable_report
from .validate import to_canonical
from .writers import FORMATS, write_simulated

__all__ = [
    "read_responses", "from_table", "validate_responses", "quality_flags", "flag_counts", "score",
    "griffin", "simulate", "simulate_population", "write_simulated", "ResponseData",
    "ValidationReport", "ResponseProblem", "SimulationParams", "Simulation", "Schema",
    "schema_for", "PLATFORMS", "FORMATS", "RULES", "MUNICIPALITIES",
]

_ALIASES = {"odk": "kobo", "kobotoolbox": "kobo", "xlsform": "kobo", "surveycto": "kobo",
            "sav": "canonical", "spss": "canonical", "stata": "canonical", "csv": "canonical"}


def _bank(bank: Bank | None) -> Bank:
    if bank is not None:
        return bank
    from coprod.instrument.bank import load_bank
    return load_bank()


def _no_match(raw: RawTable, bank: Bank) -> UnreadableFileError:
    cols = [c for c in raw.header if c]
    shown = ", ".join(cols[:8]) + (" ..." if len(cols) > 8 else "")
    hint = ""
    if any(c in ("_uuid", "_submission_time", "__version__") for c in cols):
        hint = ("; the headers look like question labels: export from KoboToolbox with "
                "'XML values and headers'")
    elif any(__import__("re").match(r"^\d+X\d+X\d+", c) for c in cols):
        hint = "; these are LimeSurvey SGQA headings: export with headings 'Question code'"
    return UnreadableFileError(f"{raw.file}: none of the columns belongs to instrument {bank.id} "
                               f"in any known export (columns: {shown}){hint}")


def _load_codebook(codebook: Any) -> dict | None:
    if codebook is None or isinstance(codebook, dict):
        return codebook
    import json

    p = Path(codebook)
    try:
        return json.loads(p.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise UnreadableFileError(f"{p.name}: cannot read the codebook ({exc})") from None


def read_responses(path, *, bank: Bank | None = None, platform: str = "auto",
                   strict: bool = True, codebook: Any = None) -> ResponseData:
    """Read a response file into the canonical table.

    Parameters
    ----------
    path : str or Path
        CSV/TSV (``,`` ``;`` or tab; UTF-8, UTF-8 with BOM, UTF-16 or Windows-1252, detected),
        XLSX, SPSS ``.sav`` or Stata ``.dta``: the canonical table or a KoboToolbox/ODK,
        LimeSurvey, REDCap or Qualtrics response export. The file is only read.
    bank : Bank, optional
        The item bank the file was collected with; :func:`instrument.load_bank` by default.
    platform : str
        ``"auto"`` (detected from the columns) or one of ``canonical``, ``kobo``,
        ``limesurvey``, ``redcap``, ``qualtrics``.
    strict : bool
        Raise :class:`ResponseDataError` listing every problem when the file has any (default).
        With ``strict=False`` the problems are returned in ``data.problems`` and bad cells are
        missing.
    codebook : dict or path, optional
        The codebook JSON of the form as fielded (``coprod instrument build --format codebook``).
        Needed only when the form was built with ``--sector`` or ``--seed``; by default the
        combined form in bank order is assumed.

    Returns
    -------
    ResponseData
        ``table`` (canonical, don't know missing), ``dont_know`` mask, ``source`` (file,
        sha256, platform, encoding, delimiter, instrument version...), ``problems``,
        ``warnings`` and ``flags`` (:func:`quality_flags` with defaults).

    Raises
    ------
    ResponseDataError
        With ``strict``, when the file breaks any rule (all problems listed).
    UnreadableFileError
        When the file cannot be read at all (empty, binary, unknown encoding, no column of the
        instrument).
    FileNotFoundError
        When there is no such file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "kobo.csv"
    >>> _ = write_simulated(simulate(30, seed=1), path, "kobo")
    >>> data = read_responses(path)
    >>> data.source["platform"], data.source["delimiter"], data.n, data.problems
    ('kobo', ';', 30, ())
    >>> list(data.table.columns[:3])
    ['respondent_id', 'sector', 'role']
    """
    bank = _bank(bank)
    cb = _load_codebook(codebook)
    name = _ALIASES.get(platform, platform)
    if name != "auto" and name not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r} (allowed: auto, {', '.join(PLATFORMS)})")

    def choose(header: list[str]):
        if name != "auto":
            return platform_for(bank, name, cb), 1
        return detect_platform(bank, header, cb)

    def hints(header: list[str]) -> dict[str, str]:
        plat, _ = choose(header)
        return {h: "category" for h in header
                if (f := plat.field_for(h)) is not None and f.codebook.kind in ("choice", "text")}

    raw = read_raw(Path(path), is_known_anywhere(bank, cb), hints)
    plat, n_fields = choose(raw.header)
    if n_fields == 0:
        raise _no_match(raw, bank)
    return _finish(to_canonical(raw, plat, bank), bank, strict)


def _finish(data: ResponseData, bank: Bank, strict: bool) -> ResponseData:
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
    bank = _bank(bank)
    frame = table.reset_index(drop=True).copy()
    header = [str(c) for c in frame.columns]
    frame.columns = range(frame.shape[1])
    raw = RawTable(file, frame, header, np.arange(2, len(frame) + 2), "memory", "")
    return _finish(to_canonical(raw, platform_for(bank, "canonical"), bank), bank, strict)


def validate_responses(path_or_data: Any, *, bank: Bank | None = None,
                       codebook: Any = None) -> ValidationReport:
    """Check a response file (or already-read data) and list every problem.

    Parameters
    ----------
    path_or_data : str, Path, ResponseData or DataFrame
        A file (read with ``strict=False``), data from :func:`read_responses`, or a canonical
        table.
    bank : Bank, optional
        :func:`instrument.load_bank` by default.
    codebook : dict or path, optional
        See :func:`read_responses`.

    Returns
    -------
    ValidationReport
        ``problems`` (each with file, row, column, value, rule and message), ``warnings``,
        ``counts`` (respondents, don't knows, quality flags), ``exit_code`` (0 clean, 1 problems,
        2 unreadable) and ``to_dict()`` for ``--json``.

    Examples
    --------
    >>> validate_responses("no-such-file.csv").exit_code
    2
    """
    if isinstance(path_or_data, ResponseData):
        return report_from(path_or_data)
    if isinstance(path_or_data, pd.DataFrame):
        return report_from(from_table(path_or_data, bank=bank, strict=False))
    path = Path(path_or_data)
    try:
        data = read_responses(path, bank=bank, strict=False, codebook=codebook)
    except FileNotFoundError:
        return unreadable_report(path.name, UnreadableFileError("no such file"))
    except (IsADirectoryError, PermissionError) as exc:
        return unreadable_report(path.name, UnreadableFileError(exc.strerror or str(exc)))
    except UnreadableFileError as exc:
        return unreadable_report(path.name, exc)
    return report_from(data)
