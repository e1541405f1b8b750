"""Read a response file into a :class:`RawTable`: the cells as the file holds them, the header,
and for every data row the row number the user sees. One function per container format.

Nothing here knows about platforms or items except through ``is_known`` (used to find the
header row); mapping columns to item ids is :mod:`analysis.responses.validate`'s job.
"""
from __future__ import annotations

import hashlib
import io
import warnings as warnings_
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..errors import UnreadableFileError
from .detect import decode_text, find_header, looks_double_encoded, sniff_container, sniff_dialect
from .problems import ResponseProblem, problem

__all__ = ["RawTable", "read_raw", "read_text", "read_xlsx", "read_spss", "read_stata",
           "NA_VALUES"]

#: cells read as missing (LimeSurvey writes N/A, Stata/SAS users ".")
NA_VALUES = ["", "N/A", "#N/A", "NA", "NaN", "nan", "NULL", "null", "."]


@dataclass(slots=True)
class RawTable:
    """The cells of one file: ``frame`` has positional integer columns; ``header[j]`` is the
    name of column ``j`` as written in the file; ``rows[i]`` is the file row of data row ``i``."""

    file: str
    frame: pd.DataFrame
    header: list[str]
    rows: np.ndarray
    container: str
    sha256: str
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    #: Qualtrics' second header row (question text per column), when the file has it
    header_texts: list[str] | None = None
    problems: list[ResponseProblem] = field(default_factory=list)
    warnings: list[ResponseProblem] = field(default_factory=list)


def read_raw(path: Path, is_known: Callable[[str], bool],
             dtype_hint: Callable[[list[str]], dict[str, str]] | None = None) -> RawTable:
    """Read ``path`` whatever it is (CSV/TSV text, XLSX, SPSS, Stata).

    ``dtype_hint(header)`` may name columns to parse as ``category`` (choice and text questions:
    the CSV parser then builds the distinct values itself, which saves a pass later).

    Raises
    ------
    FileNotFoundError
        When there is no such file.
    UnreadableFileError
        When the file cannot be read at all (empty, binary, unknown encoding, broken workbook).
    """
    path = Path(path)
    data = path.read_bytes()
    name = path.name
    digest = hashlib.sha256(data).hexdigest()
    kind = sniff_container(data, name)
    if kind == "xlsx":
        return read_xlsx(data, name, digest, is_known)
    if kind == "sav":
        return read_spss(path, digest)
    if kind == "dta":
        return read_stata(path, digest)
    return read_text(data, name, digest, is_known, dtype_hint)


def _qualtrics_extra(records: list[list[Any]], h: int) -> list[int]:
    """Record indices of Qualtrics' 2nd and 3rd header rows (question text, ImportId JSON)."""
    def has_import_id(k: int) -> bool:
        return k < len(records) and any(str(c).lstrip().startswith('{"ImportId"')
                                        for c in records[k] if c is not None)

    head = [str(c).strip() for c in records[h]] if h < len(records) else []
    if has_import_id(h + 2):
        return [h + 1, h + 2]
    if has_import_id(h + 1):
        return [h + 1]
    if "ResponseId" in head and h + 1 < len(records):
        j = head.index("ResponseId")
        rec = records[h + 1]
        if j < len(rec) and str(rec[j]).strip() in ("Response ID", "ResponseID"):
            return [h + 1]  # legacy two-row export
    return []


def _title_warning(name: str, records: list[list[Any]], h: int) -> ResponseProblem:
    first = next((str(c) for r in records[:h] for c in r if c is not None and str(c).strip()), "")
    rows = "row 1" if h == 1 else f"rows 1-{h}"
    return problem(name, "title_row",
                   f"the header is on row {h + 1}; {rows} above it"
                   + (f" ({first[:40]!r})" if first else "")
                   + (" was" if h == 1 else " were") + " skipped", severity="warning")


def read_text(data: bytes, name: str, digest: str, is_known: Callable[[str], bool],
              dtype_hint: Callable[[list[str]], dict[str, str]] | None = None) -> RawTable:
    """A delimited text file: encoding, delimiter and header row detected, never assumed."""
    text, encoding, notes = decode_text(data, name)
    warnings = [problem(name, "encoding", n, severity="warning") for n in notes]
    problems: list[ResponseProblem] = []
    garbled = looks_double_encoded(text)
    if garbled is not None:
        fixed = _undo_mojibake(garbled)
        problems.append(problem(
            name, "encoding", f"the text looks converted to UTF-8 twice ({garbled.strip()!r}"
            + (f" should read {fixed.strip()!r}" if fixed else "") + "); export the file again as "
            "UTF-8 without converting it"))
    dialect = sniff_dialect(text, name)
    records = dialect.records
    h = find_header(records, is_known)
    extra = _qualtrics_extra(records, h)
    if h > 0 and any(str(c).strip() for r in records[:h] for c in r):
        warnings.append(_title_warning(name, records, h))
    header = [str(c).strip().lstrip("\ufeff") for c in records[h]]
    skip = list(range(h)) + extra
    dtypes = dtype_hint(header) if dtype_hint is not None else {}
    # only names pandas will see unchanged (no duplicates, no surrounding blanks)
    dtypes = {k: v for k, v in dtypes.items() if header.count(k) == 1 and k in records[h]}
    try:
        with warnings_.catch_warnings():
            # mixed types across chunks are decoded cell by cell later; no need to warn
            warnings_.simplefilter("ignore", pd.errors.DtypeWarning)
            frame = pd.read_csv(
                io.BytesIO(data), sep=dialect.delimiter, skiprows=skip or 0, header=0,
                encoding=encoding, keep_default_na=False, na_values=NA_VALUES,
                skip_blank_lines=False, quotechar='"', dtype=dtypes or None)
    except pd.errors.EmptyDataError:
        raise UnreadableFileError(f"{name}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        msg = str(exc).replace("Error tokenizing data. C error: ", "")
        raise UnreadableFileError(f"{name}: cannot split the file into columns with "
                                  f"{_delim_name(dialect.delimiter)} ({msg})") from None
    frame.columns = range(frame.shape[1])
    header = (header + [""] * frame.shape[1])[:frame.shape[1]]
    first = h + 1 + len(extra) + 1  # 1-based file row of the first data row
    rows = np.arange(first, first + len(frame))
    texts = _texts(records, h, extra, frame.shape[1])
    return RawTable(name, frame, header, rows, "csv", digest, encoding=encoding,
                    delimiter=dialect.delimiter, header_row=h + 1, problems=problems,
                    warnings=warnings, header_texts=texts)


def _texts(records: list[list[Any]], h: int, extra: list[int], width: int) -> list[str] | None:
    if not extra or extra[0] != h + 1 or h + 1 >= len(records):
        return None
    row = records[h + 1]
    if any(str(c).lstrip().startswith('{"ImportId"') for c in row if c is not None):
        return None
    return ([("" if c is None else str(c)) for c in row] + [""] * width)[:width]


def _delim_name(d: str) -> str:
    return {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}.get(d, repr(d))


def _undo_mojibake(s: str) -> str | None:
    try:
        return s.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def read_xlsx(data: bytes, name: str, digest: str, is_known: Callable[[str], bool]) -> RawTable:
    """An Excel workbook: the first sheet whose header names known columns (else the first)."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise UnreadableFileError(f"{name}: not a readable Excel workbook ({exc})") from None
    try:
        chosen = None
        for ws in wb.worksheets:
            rows = list(ws.iter_rows(values_only=True))
            if not rows:
                continue
            h = find_header([list(r) for r in rows[:20]], is_known)
            score = sum(1 for c in rows[h] if c is not None and is_known(str(c).strip()))
            if chosen is None or score > chosen[0]:
                chosen = (score, ws.title, rows, h)
        if chosen is None:
            raise UnreadableFileError(f"{name}: the workbook is empty")
    finally:
        wb.close()
    _, sheet, rows, h = chosen
    records = [list(r) for r in rows[:h + 4]]
    extra = _qualtrics_extra(records, h)
    warnings = []
    if h > 0 and any(c is not None and str(c).strip() for r in rows[:h] for c in r):
        warnings.append(_title_warning(name, records, h))
    width = len(rows[h])
    while width and rows[h][width - 1] is None:
        width -= 1
    header = [("" if c is None else str(c).strip()) for c in rows[h][:width]]
    start = h + 1 + len(extra)
    body = [r[:width] for r in rows[start:]]
    frame = pd.DataFrame.from_records(body, columns=range(width)) if body else \
        pd.DataFrame(columns=range(width))
    frame = frame.infer_objects()
    for j in frame.columns:
        s = frame[j]
        if s.dtype == object:
            # numbers stored as text in some cells and as numbers in others
            conv = pd.to_numeric(s, errors="coerce")
            if conv.notna().sum() == s.notna().sum():
                frame[j] = conv
    rows_no = np.arange(start + 1, start + 1 + len(frame))
    return RawTable(name, frame, header, rows_no, "xlsx", digest, header_row=h + 1,
                    warnings=warnings, header_texts=_texts(records, h, extra, width))


def _from_readstat(path: Path, digest: str, kind: str) -> RawTable:
    import pyreadstat

    try:
        if kind == "sav":
            df, meta = pyreadstat.read_sav(str(path), user_missing=True)
        else:
            df, meta = pyreadstat.read_dta(str(path))
    except Exception as exc:  # pyreadstat raises its own ReadstatError/PyreadstatError
        raise UnreadableFileError(f"{path.name}: cannot read the {'SPSS' if kind == 'sav' else 'Stata'} "
                                  f"file ({exc})") from None
    header = [str(c) for c in df.columns]
    df.columns = range(df.shape[1])
    labels = {str(k): dict(v) for k, v in (meta.variable_value_labels or {}).items()}
    return RawTable(path.name, df, header, np.arange(1, len(df) + 1), kind, digest,
                    encoding=getattr(meta, "file_encoding", None), value_labels=labels)


def read_spss(path: Path, digest: str) -> RawTable:
    """An SPSS ``.sav`` file; user-missing codes (don't know = 99) are kept as values."""
    return _from_readstat(path, digest, "sav")


def read_stata(path: Path, digest: str) -> RawTable:
    """A Stata ``.dta`` file."""
    return _from_readstat(path, digest, "dta")
