"""Response files: read one into the canonical table, check one, write a simulated one.

The file-level entry of the workflow layer. The platform modules
(:mod:`coprod.instrument.platforms`) open the file and say which platform wrote it; the pure
analysis (:func:`coprod.analysis.responses.from_raw`) turns it into :class:`ResponseData`::

    data = read_responses("export.csv", bank=bank)         # platform detected, canonical table
    report = validate_responses("export.csv", bank=bank)   # every problem; report.exit_code 0/1/2
    write_simulated(simulate(1200, seed=1), "kobo.csv", "kobo", bank=bank)
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd

from coprod.analysis.responses import (ResponseData, ValidationReport, from_raw, from_table,
                                       report_from, unreadable_report)
from coprod.instrument.bank import as_bank
from coprod.instrument.errors import UnreadableFileError
from coprod.instrument.model import Bank
from coprod.instrument.platforms import registry
from coprod.instrument.platforms._limits import DEFAULT_LIMITS, Limits

__all__ = ["read_responses", "validate_responses", "write_simulated", "load_groups", "FORMATS"]

#: the formats :func:`write_simulated` writes
FORMATS = registry.FORMATS


def read_responses(path, *, bank: Bank | None = None, platform: str = "auto",
                   strict: bool = True, codebook: Any = None,
                   strict_columns: bool = False, groups: Any = None,
                   limits: Limits = DEFAULT_LIMITS) -> ResponseData:
    """Read a response file into the canonical table.

    Parameters
    ----------
    path : str or Path
        CSV/TSV (``,`` ``;`` or tab; UTF-8, UTF-8 with BOM, UTF-16 or Windows-1252, detected),
        XLSX, SPSS ``.sav`` or Stata ``.dta``: the canonical table or a KoboToolbox/ODK,
        LimeSurvey, REDCap or Qualtrics response export. The file is only read.
    bank : Bank, optional
        The item bank the file was collected with; :func:`coprod.instrument.load_bank` by
        default.
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
    strict_columns : bool
        Columns that are neither the instrument's, nor context, nor platform metadata are
        problems; by default they are kept aside (not read) with one warning listing them.
    groups : dict or path, optional
        Spellings of municipalities mapped to one name: a dict, or a CSV file of two columns
        (``spelling,group``; ``--groups FILE.csv``). Without it spellings that differ only in
        case, whitespace or a trailing "Kommune" are grouped; every merge is a warning.
    limits : Limits, optional
        The largest table read (rows, columns, cells; :mod:`coprod.instrument.platforms._limits`).

    Returns
    -------
    ResponseData
        ``table`` (canonical, don't know missing), ``dont_know`` mask, ``source`` (file,
        sha256, platform, encoding, delimiter, instrument version...), ``problems``,
        ``warnings`` and ``flags`` (``quality_flags`` with defaults).

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
    >>> from coprod.analysis.responses import simulate
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "kobo.csv"
    >>> _ = write_simulated(simulate(30, seed=1), path, "kobo")
    >>> data = read_responses(path)
    >>> data.source["platform"], data.source["delimiter"], data.n, data.problems
    ('kobo', ';', 30, ())
    >>> list(data.table.columns[:3])
    ['respondent_id', 'sector', 'role']
    """
    bank = as_bank(bank)
    cb = registry.load_codebook(codebook, bank)
    raw, plat = registry.read_export(Path(path), bank, platform=platform, codebook=cb, limits=limits)
    return from_raw(raw, plat, bank, strict=strict, strict_columns=strict_columns,
                    groups=load_groups(groups))


def load_groups(groups: Any) -> dict[str, str] | None:
    """Spelling -> group name, from a dict or a CSV file of two columns (``spelling,group``; a
    header row with these names is skipped).

    Raises
    ------
    UnreadableFileError
        The file cannot be read, a row has not two cells, or a spelling names two groups.

    Examples
    --------
    >>> load_groups({"aarhus k.": "Aarhus"})
    {'aarhus k.': 'Aarhus'}
    """
    if groups is None or isinstance(groups, dict):
        return groups
    p = Path(groups)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableFileError(f"{p.name}: cannot read the groups file ({exc})") from None
    out: dict[str, str] = {}
    for r, cells in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [x.strip() for x in cells]
        if not any(cells) or (r == 1 and [x.casefold() for x in cells] == ["spelling", "group"]):
            continue
        if len(cells) != 2 or not all(cells):
            raise UnreadableFileError(f"{p.name}, row {r}: expected two cells, a spelling and its "
                                      f"group (got {', '.join(map(repr, cells))})")
        if out.get(cells[0], cells[1]) != cells[1]:
            raise UnreadableFileError(f"{p.name}, row {r}: {cells[0]!r} is mapped to "
                                      f"{out[cells[0]]!r} and to {cells[1]!r}")
        out[cells[0]] = cells[1]
    return out


def validate_responses(path_or_data: Any, *, bank: Bank | None = None, codebook: Any = None,
                       strict_columns: bool = False, groups: Any = None,
                       limits: Limits = DEFAULT_LIMITS) -> ValidationReport:
    """Check a response file (or already-read data) and list every problem.

    Parameters
    ----------
    path_or_data : str, Path, ResponseData or DataFrame
        A file (read with ``strict=False``), data from :func:`read_responses`, or a canonical
        table.
    bank : Bank, optional
        :func:`coprod.instrument.load_bank` by default.
    codebook : dict or path, optional
        See :func:`read_responses`.
    strict_columns, groups, limits
        See :func:`read_responses` (``coprod validate --strict``, ``--groups FILE.csv``).

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
        data = read_responses(path, bank=bank, strict=False, codebook=codebook,
                              strict_columns=strict_columns, groups=groups, limits=limits)
    except FileNotFoundError:
        return unreadable_report(path.name, UnreadableFileError("no such file"))
    except (IsADirectoryError, PermissionError) as exc:
        return unreadable_report(path.name, UnreadableFileError(exc.strerror or str(exc)))
    except UnreadableFileError as exc:
        return unreadable_report(path.name, exc)
    return report_from(data)


def write_simulated(table: pd.DataFrame, path, fmt: str = "csv", *, bank: Bank | None = None,
                    labels: str | None = None, groups: bool = False,
                    codebook: dict | None = None) -> Path:
    """Write a canonical table (e.g. ``simulate`` output) as ``fmt``, atomically: ``csv`` (the
    canonical table), ``xlsx``, ``sav``, ``dta``, ``kobo``, ``limesurvey``, ``redcap`` or
    ``qualtrics``. See :func:`coprod.instrument.platforms.registry.write_simulated`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from coprod.analysis.responses import simulate
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "redcap.csv"
    >>> write_simulated(simulate(10, seed=3), out, "redcap").name
    'redcap.csv'
    """
    return registry.write_simulated(table, path, fmt, bank=bank, labels=labels, groups=groups,
                                    codebook=codebook)
