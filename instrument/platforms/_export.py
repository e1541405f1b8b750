"""What the simulated-export writers of the platform modules share: cells as text, times,
the question columns of a platform for a canonical table, atomic CSV writing.

Every format the readers accept can be written (each platform module has its
``write_simulated``), so each reader is tested by a round trip; files are written atomically
(temporary file + ``os.replace``).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..files import write_with
from ..model import Bank
from .base import Field, Platform
from .schema import DURATION, schema_for

__all__ = ["atomic", "text_file", "csv_text", "cells", "field_values", "labeller", "times", "iso",
           "export_frame", "consent_values"]

_T0 = np.datetime64("2025-03-03T08:00:00")
_TZ = "+01:00"


def atomic(path: Path, write: Callable[[Path], None]) -> Path:
    return write_with(path, write)


def text_file(path: Path, text: str, *, bom: bool = False) -> None:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        f.write(text)


def csv_text(rows: list[list[Any]], *, delimiter: str = ",", quote_all: bool = False) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n",
                   quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    w.writerows(rows)
    return buf.getvalue()


def cells(values: pd.Series) -> np.ndarray:
    """Canonical values -> strings for a file ('' for missing, whole numbers without '.0')."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        x = values.to_numpy(dtype=float, na_value=np.nan)
        nan = np.isnan(x)
        whole = nan | (x == np.floor(x))
        if whole.all():
            out = np.where(nan, 0, x).astype(np.int64).astype(str).astype(object)
        else:
            out = np.array([repr(float(v)) for v in x], dtype=object)
        out[nan] = ""
        return out
    v = values.to_numpy(dtype=object, na_value=None)
    return np.array(["" if x is None else str(x) for x in v], dtype=object)


def field_values(table: pd.DataFrame, f: Field, sector: np.ndarray,
                  label_of: Callable[[Field, Any], str] | None = None) -> np.ndarray:
    """The stored values of field ``f`` for every respondent ('' where not asked/answered)."""
    src = table[f.target]
    asked = np.isin(sector, list(f.sectors))
    kind = f.codebook.kind
    if kind in ("integer", "text"):
        out = cells(src)
    else:
        mapping = {k: (label_of(f, k) if label_of is not None else str(v)) for k, v in f.store.items()}
        if kind == "scale":
            mapping = {float(k): v for k, v in mapping.items()}
            src = pd.Series(src.to_numpy(dtype=float, na_value=np.nan), index=src.index)
        out = src.map(mapping).to_numpy(dtype=object, na_value="")
    return np.where(asked, out, "").astype(object)


def labeller(bank: Bank, lang: str) -> Callable[[Field, Any], str]:
    schema = schema_for(bank)
    consent = bank.consent

    def label(f: Field, x: Any) -> str:
        col = schema.by_name.get(f.target)
        if f.codebook.kind == "scale":
            sc = col.scale if col is not None else None
            if sc is None:
                return str(x)
            if x == sc.dont_know:
                return sc.dont_know_label.get(lang, str(x))
            return next((p.label.get(lang, str(x)) for p in sc.points if p.code == x), str(x))
        choices = col.choices if col is not None else consent.choices
        return next((c.label.get(lang, c.name) for c in choices if c.name == x), str(x))

    return label


def times(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic start/end times (30 days of fieldwork) from the row order and durations."""
    n = len(table)
    offs = (np.arange(n) * (30 * 86400 / max(n, 1))).astype("int64")
    start = _T0 + offs.astype("timedelta64[s]")
    dur = table[DURATION].to_numpy(dtype=float, na_value=np.nan) if DURATION in table else np.full(n, np.nan)
    has = ~np.isnan(dur)
    end = start + np.where(has, dur, 600).astype("int64").astype("timedelta64[s]")
    return start, end, has


def iso(t: np.ndarray, fmt: str = "iso") -> np.ndarray:
    s = np.datetime_as_string(t, unit="s")
    if fmt == "iso":
        return np.char.add(np.char.add(s.astype(str), ".000"), _TZ).astype(object)
    return np.char.replace(s.astype(str), "T", " ").astype(object)


def export_frame(table: pd.DataFrame, platform: Platform, bank: Bank, *,
                 labels: str | None = None) -> pd.DataFrame:
    """The question columns of ``platform`` for ``table`` (strings; '' = empty cell)."""
    sector = table["sector"].to_numpy(dtype=object, na_value=None)
    label_of = labeller(bank, labels) if labels else None
    cols: dict[str, np.ndarray] = {}
    if platform.consent is not None:
        cols[platform.consent.column] = consent_values(table, platform.consent, label_of)
    for f in platform.fields:
        cols[f.column] = field_values(table, f, sector, label_of)
    return pd.DataFrame(cols, index=table.index)


def consent_values(table: pd.DataFrame, f: Field, label_of) -> np.ndarray:
    yes = "yes"
    v = label_of(f, yes) if label_of is not None else str(f.store.get(yes, yes))
    return np.full(len(table), v, dtype=object)
