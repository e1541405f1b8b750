"""How large a file coprod reads: rows, columns and cells, and what a workbook may unpack to.

A few small files can exhaust the machine: a 2 MB ``.xlsx`` whose sheet unpacks to 2 GB (a zip
bomb), a 30 KB sheet whose cells lie 16,000 columns apart (a 49-million-cell grid once padded).
So every table is measured before it is built, and refused with a message saying which limit it
broke and how to raise it (``--max-rows``, ``--max-columns``, ``--max-cells``):

- a workbook's members are checked in the zip directory before anything is unpacked
  (:func:`check_workbook`), and its rows are counted while they are streamed (:func:`bounded_rows`);
- a text file's lines are counted before it is parsed (:func:`check_text`);
- every table read is checked once more (:func:`check_shape`).

>>> check_shape("big.csv", 2_000_000, 3, Limits())
Traceback (most recent call last):
...
coprod.instrument.errors.UnreadableFileError: big.csv: cannot be read (it has 2,000,000 rows; the limit is 1,000,000: raise it with --max-rows)
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any, Iterable

from ..errors import UnreadableFileError

__all__ = ["Limits", "DEFAULT_LIMITS", "check_workbook", "bounded_rows", "check_text", "check_shape"]


@dataclass(frozen=True, slots=True)
class Limits:
    """The largest table read. The defaults hold a survey of 100,000 respondents with 100
    columns; raise them for more (each cell costs about 100 bytes once read)."""

    max_rows: int = 1_000_000
    max_columns: int = 10_000
    max_cells: int = 10_000_000
    #: a workbook's members together, unpacked (bytes)
    max_unpacked: int = 1 << 30
    #: unpacked size / packed size of one member larger than 1 MB unpacked; real sheets stay
    #: under 30, zip bombs are in the hundreds or thousands
    max_ratio: int = 100

    def __post_init__(self) -> None:
        for name in ("max_rows", "max_columns", "max_cells", "max_unpacked", "max_ratio"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be 1 or more, not {getattr(self, name)}")


DEFAULT_LIMITS = Limits()
_FLAG = {"max_rows": "--max-rows", "max_columns": "--max-columns", "max_cells": "--max-cells"}
_SMALL_MEMBER = 1 << 20


def _refuse(name: str, what: str) -> UnreadableFileError:
    return UnreadableFileError(f"{name}: cannot be read ({what})")


def _over(name: str, count: int, unit: str, limit: int, key: str, about: str = "") -> UnreadableFileError:
    return _refuse(name, f"it has {about}{count:,} {unit}; the limit is {limit:,}: "
                         f"raise it with {_FLAG[key]}")


def check_workbook(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a workbook whose zip directory promises more than ``limits`` allow, before any
    member is unpacked: one member unpacking to more than ``max_ratio`` times its packed size
    (a zip bomb), or all together to more than ``max_unpacked`` bytes.

    The directory's sizes are also what :mod:`zipfile` holds a member to when it unpacks it
    (it stops at the declared size), so a member cannot lie its way past this check.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = zf.infolist()
    total = 0
    for m in members:
        total += m.file_size
        if m.file_size > _SMALL_MEMBER and m.file_size > limits.max_ratio * max(m.compress_size, 1):
            ratio = m.file_size / max(m.compress_size, 1)
            raise _refuse(name, f"{m.filename} unpacks from {_size(m.compress_size)} to "
                                f"{_size(m.file_size)}, {ratio:,.0f} times its size, the mark of a zip "
                                f"bomb; a workbook member may unpack to at most {limits.max_ratio} times "
                                "its size")
    if total > limits.max_unpacked:
        raise _refuse(name, f"the workbook unpacks to {_size(total)}; the limit is "
                            f"{_size(limits.max_unpacked)}")


def bounded_rows(rows: Iterable[tuple[Any, ...]], name: str, limits: Limits = DEFAULT_LIMITS,
                 sheet: str | None = None) -> list[tuple[Any, ...]]:
    """The rows of a sheet as they are streamed, refused as soon as they exceed ``limits``
    (cells count as the sheet pads them: a row reaching column XFD holds 16,384)."""
    out: list[tuple[Any, ...]] = []
    cells = 0
    where = f"sheet {sheet!r} " if sheet else ""
    for row in rows:
        out.append(row)
        cells += len(row)
        if len(out) > limits.max_rows:
            raise _refuse(name, f"{where}has more than {limits.max_rows:,} rows; the limit is "
                                f"{limits.max_rows:,}: raise it with --max-rows")
        if cells > limits.max_cells:
            raise _refuse(name, f"{where}has more than {limits.max_cells:,} cells (counting the "
                                f"empty cells the sheet spans) in its first {len(out):,} rows; the "
                                f"limit is {limits.max_cells:,}: raise it with --max-cells")
    return out


def check_text(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a text file with more lines than ``max_rows`` allow (plus a header and a few
    title rows), or more cells by its first line's width, before it is parsed."""
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    if lines > limits.max_rows + 10:
        raise _over(name, lines, "lines", limits.max_rows, "max_rows", "")
    first = data[:data.find(b"\n")] if b"\n" in data[:1 << 20] else data[:1 << 20]
    width = 1 + max(first.count(d) for d in (b",", b";", b"\t", b"|"))
    if lines * width > limits.max_cells:
        raise _over(name, lines * width, "cells", limits.max_cells, "max_cells", "about ")


def check_shape(name: str, n_rows: int, n_columns: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a table of ``n_rows`` × ``n_columns`` beyond ``limits``."""
    if n_rows > limits.max_rows:
        raise _over(name, n_rows, "rows", limits.max_rows, "max_rows")
    if n_columns > limits.max_columns:
        raise _over(name, n_columns, "columns", limits.max_columns, "max_columns")
    if n_rows * n_columns > limits.max_cells:
        raise _over(name, n_rows * n_columns, "cells", limits.max_cells, "max_cells")


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,} bytes"
