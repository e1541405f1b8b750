"""Tabular files: delimited text (CSV/TSV) and XLSX workbooks, read into a :class:`RawTable`
whatever platform wrote them, and the canonical table as a platform of its own (the
``canonical`` CSV/XLSX the simulator writes and any hand-made table uses).

Reading: the cells as the file holds them, the header, and for every data row the row number
the user sees. Nothing here knows about items except through ``is_known`` (used to find the
header row) and the :class:`~.base.HeaderRows` of platforms that write rows under the header;
mapping columns to item ids is :mod:`coprod.analysis.responses.validate`'s job.
"""
from __future__ import annotations

import csv
import io
import itertools
import warnings as warnings_
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import ResponseProblem, UnreadableFileError, problem
from ..model import Bank
from . import _export
from ._limits import DEFAULT_LIMITS, Limits, bounded_rows, check_workbook
from ._workbook import workbook_notes
from .base import Field, HeaderRows, Platform, RawTable
from .codes import choice_codebook, integer_codebook, scale_codebook, text_codebook
from .schema import DURATION, ID, VERSION, schema_for
from .sniff import decode_text, find_header, looks_double_encoded, sniff_dialect

__all__ = ["PLATFORM", "read_text", "read_xlsx", "write_csv", "write_xlsx", "NA_VALUES"]

#: cells read as missing (LimeSurvey writes N/A, Stata/SAS users ".")
NA_VALUES = ["", "N/A", "#N/A", "NA", "NaN", "nan", "NULL", "null", "."]


def _header_rows(hooks: Sequence[HeaderRows], records: list[list[Any]],
                 h: int) -> tuple[list[int], HeaderRows | None]:
    """The rows a platform writes under the header (the first hook that finds some)."""
    for hook in hooks:
        extra = hook.extra(records, h)
        if extra:
            return extra, hook
    return [], None


def _texts(hook: HeaderRows | None, records: list[list[Any]], h: int, extra: list[int],
           width: int) -> list[str] | None:
    return hook.texts(records, h, extra, width) if hook is not None else None


def _title_warning(name: str, records: list[list[Any]], h: int) -> ResponseProblem:
    first = next((str(c) for r in records[:h] for c in r if c is not None and str(c).strip()), "")
    rows = "row 1" if h == 1 else f"rows 1-{h}"
    return problem(name, "title_row",
                   f"the header is on row {h + 1}; {rows} above it"
                   + (f" ({first[:40]!r})" if first else "")
                   + (" was" if h == 1 else " were") + " skipped", severity="warning")


def read_text(data: bytes, name: str, digest: str, is_known: Callable[[str], bool],
              dtype_hint: Callable[[list[str]], dict[str, str]] | None = None,
              header_rows: Sequence[HeaderRows] = ()) -> RawTable:
    """A delimited text file: encoding, delimiter and header row detected, never assumed.

    ``dtype_hint(header)`` may name columns to parse as ``category``; ``header_rows`` are the
    platforms' rows under the header (skipped; their question texts kept).
    """
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
    extra, hook = _header_rows(header_rows, records, h)
    if h > 0 and any(str(c).strip() for r in records[:h] for c in r):
        warnings.append(_title_warning(name, records, h))
    header = [str(c).strip().lstrip("\ufeff") for c in records[h]]
    skip = list(range(h)) + extra
    shape = _record_shape(text, dialect.delimiter)
    if shape.open_quote:
        data = data + '"'.encode(_quote_encoding(data, encoding))  # close it, so the rest is read
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
                skip_blank_lines=False, quotechar='"', dtype=dtypes or None,
                # a row longer than the header: its extra fields are left out (and reported),
                # not taken as an index column that shifts every cell
                **({"usecols": range(len(records[h])), "index_col": False}
                   if shape.longest > len(records[h]) else {}))
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
    texts = _texts(hook, records, h, extra, frame.shape[1])
    problems += _ragged_rows(name, shape, h, extra, rows, len(records[h]), text)
    return RawTable(name, frame, header, rows, "csv", digest, encoding=encoding,
                    delimiter=dialect.delimiter, header_row=h + 1, problems=problems,
                    warnings=warnings, header_texts=texts)


@dataclass(frozen=True, slots=True)
class _Shape:
    """How many fields each record of a text file has (``None`` for a blank record), whether
    the file ends inside a quoted field, and the longest record."""

    widths: list[int | None]
    open_quote: bool
    longest: int


def _record_shape(text: str, delimiter: str) -> _Shape:
    """Split the whole text as pandas will (same delimiter and quoting) and count fields."""
    widths: list[int | None] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, strict=False)
    last_start = 0
    try:
        while True:
            start = reader.line_num
            rec = next(reader)
            last_start = start
            widths.append(len(rec) if any(c.strip() for c in rec) else None)
    except StopIteration:
        pass
    except csv.Error:  # e.g. a field over the csv module's size limit: pandas reports it
        return _Shape(widths, False, max((w or 0 for w in widths), default=0))
    tail = "".join(itertools.islice(io.StringIO(text, newline=""), last_start, None))
    open_quote = False
    if widths and '"' in tail:
        try:
            for _ in csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter,
                                quotechar='"', doublequote=True, strict=True):
                pass
        except csv.Error as exc:
            open_quote = "unexpected end of data" in str(exc)
    return _Shape(widths, open_quote, max((w or 0 for w in widths), default=0))


def _quote_encoding(data: bytes, encoding: str) -> str:
    if encoding == "utf-16":
        return "utf-16-be" if data[:2] == b"\xfe\xff" else "utf-16-le"
    return "ascii"


def _ragged_rows(name: str, shape: _Shape, h: int, extra: list[int], rows: np.ndarray,
                 width: int, text: str) -> list[ResponseProblem]:
    """A problem for every data row with fewer or more fields than the header, and for a file
    that ends in the middle of a row (inside a quoted field, or without its last fields)."""
    skip = set(extra)
    data_records = [i for i in range(h + 1, len(shape.widths)) if i not in skip]
    if len(data_records) != len(rows):  # pandas split the file otherwise: nothing to add
        return []
    out: list[ResponseProblem] = []
    last = data_records[-1] if data_records else None
    ends_cut = not text.endswith(("\n", "\r"))
    for i, row in zip(data_records, rows):
        n = shape.widths[i]
        if i == last and shape.open_quote:
            out.append(problem(name, "cut_file", "the file ends inside a quoted field, so its "
                               f"last row is cut off: it has {n} of the header's {width} fields",
                               row=int(row)))
        elif n is None or n == width:
            continue
        elif n < width and i == last and ends_cut:
            out.append(problem(name, "cut_file", "the file ends in the middle of a row: its "
                               f"last row has {n} of the header's {width} fields", row=int(row)))
        elif n < width:
            out.append(problem(name, "short_row", f"the row has {n} of the header's {width} "
                               "fields; the rest is missing (a cut or damaged export)",
                               row=int(row)))
        else:
            out.append(problem(name, "long_row", f"the row has {n} fields, {n - width} more "
                               f"than the header's {width}; the extra fields were left out",
                               row=int(row)))
    return out


def _delim_name(d: str) -> str:
    return {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}.get(d, repr(d))


def _undo_mojibake(s: str) -> str | None:
    try:
        return s.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def read_xlsx(data: bytes, name: str, digest: str, is_known: Callable[[str], bool],
              header_rows: Sequence[HeaderRows] = (), limits: Limits = DEFAULT_LIMITS) -> RawTable:
    """An Excel workbook: the sheet whose header names most known columns (else the first).

    The zip directory is checked against ``limits`` before anything is unpacked, and each sheet
    while it is streamed; other sheets and formulas without a saved value are reported.
    """
    import openpyxl  # deferred: only for workbooks
    from openpyxl.utils.exceptions import InvalidFileException

    check_workbook(data, name, limits)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise UnreadableFileError(f"{name}: not a readable Excel workbook ({exc})") from None
    try:
        chosen = None
        sheets = []
        for ws in wb.worksheets:
            rows = bounded_rows(ws.iter_rows(values_only=True), name, limits, ws.title)
            if not rows:
                continue
            sheets.append(ws.title)
            h = find_header([list(r) for r in rows[:20]], is_known)
            score = sum(1 for c in rows[h] if c is not None and is_known(str(c).strip()))
            if chosen is None or score > chosen[0]:
                chosen = (score, ws.title, rows, h, getattr(ws, "_worksheet_path", None))
        if chosen is None:
            raise UnreadableFileError(f"{name}: the workbook is empty")
    finally:
        wb.close()
    _, sheet, rows, h, member = chosen
    problems, warnings = workbook_notes(data, name, sheets, sheet, rows, member)
    records = [list(r) for r in rows[:h + 4]]
    extra, hook = _header_rows(header_rows, records, h)
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
                    problems=problems, warnings=warnings,
                    header_texts=_texts(hook, records, h, extra, width))


# ------------------------------------------------------------------ the canonical table
def _from_schema(plat: Platform, bank: Bank, codebook: Mapping[str, Any] | None) -> Platform:
    """The canonical table's fields, from the schema (the codebook is not needed)."""
    schema = schema_for(bank)
    fields: list[Field] = []
    for c in schema.columns:
        if c.kind in ("id", "duration"):
            continue
        if c.kind == "select_one":
            cbk = choice_codebook(c.choices, name=c.name, accept_codes=True)
            store = {ch.name: ch.name for ch in c.choices}
        elif c.coded:
            store = {code: str(code) for code in [*c.scale.codes, c.scale.dont_know]}
            cbk = scale_codebook(c.scale, codes=store, name=c.name)
        elif c.kind == "integer":
            cbk, store = integer_codebook(c.min, c.max, name=c.name), {}
        else:
            cbk, store = text_codebook(name=c.name), {}
        fields.append(Field(c.name, c.name, c.sectors, cbk, store))
    cq = bank.consent
    consent = Field(cq.id, cq.id, tuple(cq.sectors),
                    choice_codebook(cq.choices, name=cq.id, accept_codes=True),
                    {ch.name: ch.name for ch in cq.choices})
    return plat.with_fields(fields, version_column=VERSION, consent=consent)


#: the canonical table (also the columns of the SPSS/Stata files the simulator writes)
PLATFORM = Platform(name="canonical", label="canonical-table", file_kind="canonical table",
                    id_columns=(ID,),
                    system=frozenset({ID, DURATION, VERSION}), signature=frozenset({ID}),
                    exact_headers=True, duration_seconds=DURATION, describe=_from_schema)


def write_csv(table: pd.DataFrame, bank: Bank, path: Path) -> None:
    schema = schema_for(bank)
    df = pd.DataFrame({c: _export.cells(table[c]) for c in schema.names})
    df[VERSION] = bank.version
    _export.text_file(path, df.to_csv(index=False, lineterminator="\n"))


def write_xlsx(table: pd.DataFrame, bank: Bank, path: Path) -> None:
    import openpyxl  # deferred: only for workbooks

    schema = schema_for(bank)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("responses")
    ws.append(schema.names + [VERSION])
    cols = [table[c].to_numpy(dtype=object, na_value=None) for c in schema.names]
    for i in range(len(table)):
        row = []
        for c in cols:
            x = c[i]
            if isinstance(x, (float, np.floating)):
                x = None if np.isnan(x) else (int(x) if float(x).is_integer() else float(x))
            elif isinstance(x, np.integer):
                x = int(x)
            row.append(x)
        ws.append(row + [bank.version])
    wb.save(str(path))
