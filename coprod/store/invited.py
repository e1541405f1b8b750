"""``coprod study invited``: how many were invited per municipality and sector (and wave).

A CSV with the columns ``municipality``, ``sector``, ``invited`` and optionally ``wave`` (a line
without a wave counts for every wave). Every line is checked first and all problems are listed;
an upload is appended, never merged: for each municipality × wave × sector the latest upload's
number counts, and the earlier ones stay recorded.
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pandas as pd

from coprod.instrument.errors import Problem, UnreadableFileError
from coprod.instrument.model import SECTORS
from coprod.instrument.platforms.sniff import decode_text

from ._errors import StudyError
from .study import Study, now_utc
from .tables import INVITED_COLUMNS

__all__ = ["add_invited", "read_invited"]

REQUIRED = ("municipality", "sector", "invited")


def read_invited(path: Path) -> pd.DataFrame:
    """The lines of an invited-counts CSV, checked: ``municipality``, ``wave`` (or missing),
    ``sector``, ``invited`` (a whole number ≥ 1).

    Raises
    ------
    StudyError
        With every problem (file, row, column, value) when a line breaks a rule.
    UnreadableFileError
        When the file is not readable text or has no lines.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "invited.csv"
    >>> _ = p.write_text("municipality,sector,invited\\nAarhus,municipal,120\\n")
    >>> read_invited(p).to_dict("records")
    [{'municipality': 'Aarhus', 'wave': None, 'sector': 'municipal', 'invited': 120}]
    """
    path = Path(path)
    text, _, _ = decode_text(path.read_bytes(), str(path))
    try:
        df = pd.read_csv(io.StringIO(text), sep=None, engine="python", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError) as exc:
        raise UnreadableFileError(f"{path}: cannot be read ({exc})") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise StudyError(f"{path}: no column {', '.join(missing)} (the columns are "
                         f"{', '.join(REQUIRED)} and optionally wave)")
    if df.empty:
        raise UnreadableFileError(f"{path}: cannot be read (the file has a header but no rows)")
    problems: list[Problem] = []
    out = []
    seen: dict[tuple, int] = {}
    for i, r in enumerate(df.to_dict("records")):
        row = i + 2  # the header is row 1
        add = lambda col, msg: problems.append(Problem(path.name, f"row {row}", f"column {col}", msg))  # noqa: E731
        mun = r["municipality"].strip()
        wave = r.get("wave", "").strip() or None
        sector = r["sector"].strip()
        if not mun:
            add("municipality", "the municipality is empty")
        if sector not in SECTORS:
            add("sector", f"value {sector!r} is not a sector ({' or '.join(SECTORS)})")
        raw = r["invited"].strip()
        n = int(raw) if raw.isdigit() else None
        if n is None or n < 1:
            add("invited", f"value {raw!r} is not a whole number of 1 or more")
        key = (mun, wave, sector)
        if key in seen:
            add("municipality", f"{mun} {sector}" + (f" wave {wave}" if wave else "")
                + f" is also on row {seen[key]}")
        seen.setdefault(key, row)
        out.append({"municipality": mun, "wave": wave, "sector": sector, "invited": n})
    if problems:
        raise StudyError(f"{path}: {len(problems)} problem(s); nothing was stored", problems)
    return pd.DataFrame(out, columns=["municipality", "wave", "sector", "invited"])


def add_invited(study: Study, path: Path) -> pd.DataFrame:
    """Append the invited counts of ``path`` to ``study`` as one upload; returns its lines.

    Raises
    ------
    StudyError
        See :func:`read_invited`; nothing is stored when a line has a problem.
    """
    path = Path(path)
    data = path.read_bytes()
    lines = read_invited(path)
    with study.backend.transaction():
        upload = int(study.backend.scalar("SELECT COALESCE(MAX(upload_id), 0) + 1 FROM invited"))
        rows = lines.assign(upload_id=upload, uploaded_at=now_utc(), file_name=path.name,
                            sha256=hashlib.sha256(data).hexdigest())
        study.backend.append("invited", rows[list(INVITED_COLUMNS)])
    return lines
