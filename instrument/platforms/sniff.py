"""Find out what a file is before reading it: container, text encoding, delimiter, header row.

Nothing is assumed: the encoding is detected from the bytes (BOM, valid UTF-8, else
Windows-1252 when its letters are plausible), the delimiter from how consistently each
candidate splits the first rows, and the header row as the row naming the most known columns
(so a title row above the header is skipped and reported).
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from ..errors import UnreadableFileError

__all__ = ["sniff_container", "decode_text", "Dialect", "sniff_dialect",
           "find_header", "looks_double_encoded", "DELIMITERS"]

DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_BYTES = 256 * 1024
_SAMPLE_RECORDS = 40
#: letters a Danish/Nordic/German/French file in a legacy single-byte encoding may contain
_PLAUSIBLE_HIGH = set("æøåÆØÅäöüÄÖÜéèêëÉáàâíóôúñçßÞþðÐ«»°§€£½–—‘’“”…•´¨·µ")
#: UTF-8 text decoded as Windows-1252 once too often: "Ã¸" for "ø", "Ã¥" for "å"...
_MOJIBAKE = re.compile("Ã[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u2013-\u203a]"
                       "|Â[\u00a0-\u00bf]")


def sniff_container(data: bytes, name: str) -> str:
    """``text``, ``xlsx``, ``sav`` or ``dta``, from the leading bytes (the suffix only breaks ties)."""
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if data[:4] == b"PK\x03\x04":
        if suffix in ("ods",):
            raise UnreadableFileError(f"{name}: OpenDocument spreadsheets are not supported; "
                                      "save the sheet as .xlsx or CSV")
        return "xlsx"
    if data[:4] in (b"$FL2", b"$FL3"):
        return "sav"
    if data[:11] == b"<stata_dta>" or (suffix == "dta" and len(data) > 2 and 104 <= data[0] <= 119
                                       and data[1] in (1, 2)):
        return "dta"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UnreadableFileError(f"{name}: this is an old Excel .xls workbook; save it as .xlsx "
                                  "or CSV (UTF-8)")
    if suffix in ("sav", "zsav", "dta", "xlsx"):
        raise UnreadableFileError(f"{name}: the file ends in .{suffix} but is not a valid "
                                  f"{ {'sav': 'SPSS', 'zsav': 'SPSS', 'dta': 'Stata', 'xlsx': 'Excel'}[suffix]} file")
    return "text"


def decode_text(data: bytes, name: str) -> tuple[str, str, list[str]]:
    """Decode a text file: returns (text, encoding, notes).

    UTF-8 with or without BOM, UTF-16 with BOM, and Windows-1252 (a superset of Latin-1's
    printable characters, what Excel on Danish Windows writes) are recognised. Windows-1252 is
    chosen only when UTF-8 fails *and* the non-ASCII characters it yields are plausible letters;
    otherwise the file is reported unreadable rather than silently garbled.
    """
    notes: list[str] = []
    if not data.strip(b" \t\r\n\xef\xbb\xbf\xff\xfe\x00"):
        raise UnreadableFileError(f"{name}: the file is empty")
    if data[:3] == b"\xef\xbb\xbf":
        try:
            return data[3:].decode("utf-8"), "utf-8-sig", notes
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(f"{name}: the file starts with a UTF-8 BOM but byte "
                                      f"{exc.start + 3} is not UTF-8") from None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "utf-16", notes
        except UnicodeDecodeError:
            raise UnreadableFileError(f"{name}: the file starts with a UTF-16 BOM but is not "
                                      "valid UTF-16") from None
    if b"\x00" in data[:4096]:
        raise UnreadableFileError(f"{name}: this is not a text file (it contains NUL bytes) and "
                                  "not an XLSX, SPSS or Stata file")
    try:
        return data.decode("utf-8"), "utf-8", notes
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    try:
        text = data.decode("cp1252")
        enc = "cp1252"
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        enc = "latin-1"
    high = Counter(ch for ch in text if ord(ch) > 127)
    odd = sum(n for ch, n in high.items() if ch not in _PLAUSIBLE_HIGH and not ch.isalpha())
    total = sum(high.values())
    if total and odd / total > 0.2:
        raise UnreadableFileError(f"{name}: cannot tell the text encoding (byte {bad_at} is not "
                                  "UTF-8, and read as Windows-1252 the text is garbled); save the "
                                  "file as CSV UTF-8")
    found = "".join(sorted({ch for ch in high if ch in "æøåÆØÅ"}))
    notes.append("the file is not UTF-8; read it as Windows-1252"
                 + (f" ({', '.join(found)} found)" if found else ""))
    return text, enc, notes


def looks_double_encoded(text: str) -> str | None:
    """A sample of mojibake (``HÃ¸je-Taastrup``) when UTF-8 text was decoded as Windows-1252
    and saved again; ``None`` when the text looks clean."""
    if "\u00c3" not in text and "\u00c2" not in text:  # fast path: no "Ã"/"Â" at all
        return None
    m = _MOJIBAKE.search(text)
    if m is None:
        return None
    stops = ',;\t|"\r\n'
    a, b = m.start(), m.end()
    while a > 0 and text[a - 1] not in stops and m.start() - a < 40:
        a -= 1
    while b < len(text) and text[b] not in stops and b - m.end() < 40:
        b += 1
    return text[a:b]


@dataclass(frozen=True, slots=True)
class Dialect:
    delimiter: str
    records: list[list[str]]  # the first records of the sample, split


def _sample_lines(text: str) -> list[str]:
    sample = text[:_SAMPLE_BYTES]
    lines = sample.splitlines(keepends=True)
    if len(sample) < len(text) and lines:
        lines = lines[:-1]  # the last line may be cut in half
    return lines


def _records(lines: Iterable[str], delim: str, limit: int) -> list[list[str]]:
    out: list[list[str]] = []
    try:
        for rec in csv.reader(lines, delimiter=delim, quotechar='"', doublequote=True, strict=False):
            out.append(rec)
            if len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


def sniff_dialect(text: str, name: str) -> Dialect:
    """Choose the delimiter (``,`` ``;`` tab or ``|``) that splits the first rows into the most
    columns most consistently; rows with a single cell (titles, totals) do not vote."""
    lines = _sample_lines(text)
    best: tuple[float, int, str] | None = None
    recs_by: dict[str, list[list[str]]] = {}
    for d in DELIMITERS:
        recs = _records(lines, d, _SAMPLE_RECORDS)
        recs_by[d] = recs
        widths = [len(r) for r in recs if any(c.strip() for c in r)]
        multi = [w for w in widths if w > 1]
        if not multi:
            continue
        mode, count = Counter(multi).most_common(1)[0]
        score = (count / len(widths), mode)
        # consistency first, then width; a tie goes to the earlier (more common) delimiter
        key = (round(score[0], 2), mode, d)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None:
        if len(lines) and any(line.strip() for line in lines):
            raise UnreadableFileError(f"{name}: cannot find the column separator (tried comma, "
                                      "semicolon, tab and |); every row has one cell")
        raise UnreadableFileError(f"{name}: the file is empty")
    return Dialect(best[2], recs_by[best[2]])


def _norm(cell: object) -> str:
    return str(cell).strip().lstrip("\ufeff").strip('"').strip()


def find_header(records: list[list[object]], is_known) -> int:
    """Index of the header row among ``records``: the row naming the most known columns
    (``is_known(name)``); when no row names two, the first row as wide as the table."""
    scores = []
    for rec in records[:20]:
        cells = [_norm(c) for c in rec if c is not None and _norm(c)]
        scores.append(sum(1 for c in cells if is_known(c)))
    if scores and max(scores) >= 2:
        return scores.index(max(scores))
    widths = [sum(1 for c in r if c is not None and _norm(c)) for r in records[:20]]
    if not widths:
        return 0
    top = max(widths)
    return next(i for i, w in enumerate(widths) if w == top)
