"""Which rows of a file are respondents: blank rows, totals rows, previews/tests/spam (by the
platform's status column) and respondents who declined consent are left out and counted;
partial responses (by the platform's completion rule) are kept and counted."""
from __future__ import annotations

import numpy as np
import pandas as pd

from coprod.instrument.model import Bank
from coprod.instrument.platforms.base import Field, Platform, RawTable

from .decode import decode, to_floats
from .problems import Collector, show

__all__ = ["drop_rows", "TOTAL_WORDS"]

#: first-cell texts of a totals/summary row (English and Danish spreadsheet habits)
TOTAL_WORDS = frozenset({"total", "totals", "total:", "sum", "sum:", "i alt", "i alt:", "ialt",
                         "average", "mean", "gennemsnit", "samlet", "sum total", "grand total",
                         "count", "antal", "in all", "all"})


def _summary_rows(frame: pd.DataFrame, cols: list[int]) -> np.ndarray:
    """Rows whose first cell or id says Total/Sum/I alt..."""
    mask = np.zeros(len(frame), dtype=bool)
    for j in dict.fromkeys(cols):
        s = frame[j]
        if pd.api.types.is_numeric_dtype(s.dtype):
            continue
        norm = s.astype("str").str.strip().str.casefold()
        mask |= norm.isin(TOTAL_WORDS).to_numpy() | norm.str.startswith("total").fillna(False).to_numpy()
    return mask


def _last_row_is_totals(frame: pd.DataFrame, fields: list[tuple[int, Field]], id_j: int | None,
                        skip: np.ndarray) -> int | None:
    """The last row, when its id is empty and most of its numbers are not answer codes (sums)."""
    rest = np.flatnonzero(~skip)
    if not len(rest) or not fields:
        return None
    r = int(rest[-1])
    if id_j is not None and pd.notna(frame.iat[r, id_j]) and str(frame.iat[r, id_j]).strip():
        return None
    n_num = n_bad = 0
    for j, f in fields:
        if f.codebook.kind != "scale":
            continue
        x = to_floats(pd.Series([frame.iat[r, j]]))[0]
        if pd.isna(x):
            continue
        n_num += 1
        codes = {float(k) for k in f.codebook.codes if k.lstrip("-").isdigit()}
        n_bad += float(x) not in codes
    return r if n_num >= 3 and n_bad >= n_num / 2 else None


def drop_rows(raw: RawTable, plat: Platform, bank: Bank, c: Collector, frame: pd.DataFrame,
               fields: list[tuple[int, Field]], special: dict[str, int],
               id_j: int | None) -> tuple[np.ndarray, dict[str, int]]:
    """Rows that are not respondents: blank rows, totals rows, previews/tests/spam (by the
    platform's status column), respondents who declined consent. Returns the mask of rows to
    keep and counts by reason."""
    drop = np.zeros(len(frame), dtype=bool)
    dropped: dict[str, int] = {}
    _blank_and_summary_rows(raw, c, frame, fields, id_j, drop, dropped)
    _not_responses(plat, frame, special, drop, dropped, c)
    _no_consent(plat, bank, frame, special, drop, dropped, c)
    _incomplete(plat, frame, special, drop, c)
    return ~drop, dropped


def _blank_and_summary_rows(raw: RawTable, c: Collector, frame: pd.DataFrame,
                            fields: list[tuple[int, Field]], id_j: int | None, drop: np.ndarray,
                            dropped: dict[str, int]) -> None:
    n = len(frame)
    sec = next(((j, f) for j, f in fields if f.target == "sector"), None)
    if sec is not None:
        ok = decode(frame[sec[0]], sec[1].codebook).present
        cand = np.flatnonzero(~ok)  # a blank or totals row never holds a valid sector
    else:
        cand = np.arange(n)
    if not len(cand):
        return
    sub = frame.iloc[cand]
    blank_c = sub.isna().all(axis=1).to_numpy()
    if blank_c.any():
        drop[cand[blank_c]] = True
        dropped["blank"] = int(blank_c.sum())
    rest = cand[~blank_c]
    summary = np.zeros(n, dtype=bool)
    if len(rest):
        summary[rest] = _summary_rows(frame.iloc[rest], [x for x in (id_j, 0) if x is not None])
        last = _last_row_is_totals(frame, fields, id_j, drop | summary)
        if last is not None:
            summary[last] = True
    for r in np.flatnonzero(summary):
        first = next((str(v) for v in frame.iloc[r].tolist() if pd.notna(v) and str(v).strip()), "")
        has_id = id_j is not None and pd.notna(frame.iat[r, id_j]) and str(frame.iat[r, id_j]).strip()
        why = (f" ({first[:30]!r})" if has_id or id_j is None else
               f" (no respondent id, and {show(first)} is not an answer code)" if first else "")
        c.add("summary_row", "this looks like a totals row" + why + ", not a respondent; it "
              "was left out (delete it from the file)", row=int(raw.rows[r]))
    if summary.any():
        # a totals row is reported as one; that it is shorter or longer than the header is not news
        left_out = {int(raw.rows[r]) for r in np.flatnonzero(summary)}
        c.problems[:] = [p for p in c.problems
                         if not (p.rule in ("short_row", "long_row") and p.row in left_out)]
        dropped["summary"] = int(summary.sum())
        drop |= summary


def _not_responses(plat: Platform, frame: pd.DataFrame, special: dict[str, int], drop: np.ndarray,
                   dropped: dict[str, int], c: Collector) -> None:
    """Previews, tests and spam, by the platform's status column (Qualtrics ``Status``)."""
    col = plat.status_column
    if col is None or "sys:" + col not in special:
        return
    table = plat.not_responses
    kinds = frame[special["sys:" + col]].map(lambda v: table.get(
        v.strip().casefold() if isinstance(v, str)
        else (int(v) if pd.notna(v) and float(v).is_integer() else None))).to_numpy(dtype=object)
    for kind in ("preview", "test", "spam"):
        m = (kinds == kind) & ~drop
        if m.any():
            dropped[kind] = int(m.sum())
            c.warn("dropped_rows", f"{int(m.sum())} {kind} response(s) ({col} column) were "
                   "left out", column=col)
            drop |= m


def _no_consent(plat: Platform, bank: Bank, frame: pd.DataFrame, special: dict[str, int],
                drop: np.ndarray, dropped: dict[str, int], c: Collector) -> None:
    if "consent" not in special or plat.consent is None:
        return
    d = decode(frame[special["consent"]], plat.consent.codebook)
    yes = next((ch.name for ch in bank.consent.choices if ch.name == "yes"), None)
    no = d.present & (d.cat != (d.categories.index(yes) if yes in d.categories else -2)) & ~drop
    if no.any():
        dropped["no_consent"] = int(no.sum())
        c.warn("dropped_rows", f"{int(no.sum())} respondent(s) who did not consent were left out",
               column=plat.consent.column)
        drop |= no


def _incomplete(plat: Platform, frame: pd.DataFrame, special: dict[str, int], drop: np.ndarray,
                c: Collector) -> None:
    """Partial responses are kept (their answers count); say how many there are."""
    rule = plat.completion
    if rule is None or "sys:" + rule.column not in special:
        return
    s = frame[special["sys:" + rule.column]]
    if rule.values is None:  # a partial response has the column empty
        m = s.isna().to_numpy() & ~drop
    else:
        m = s.astype("str").str.strip().str.casefold().isin(sorted(rule.values)).to_numpy() & ~drop
    if m.any():
        c.warn("incomplete", f"{int(m.sum())} incomplete response(s) ({rule.note}) were kept; the "
               "missingness flag marks those with most items unanswered")
