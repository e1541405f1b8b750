"""Turn the values of one file column into canonical values, collecting every bad cell.

A :class:`~coprod.instrument.platforms.codes.Codebook` says what a platform stores for one
question (its codes) and which label texts are accepted in their place ("Strongly agree", "Helt
enig"); :func:`decode` applies it to a whole column at once. Work is done per *distinct* value (a column of 100,000 answers has a
handful), so reading stays close to the speed of the CSV parser.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coprod.instrument.platforms.codes import (Codebook, choice_codebook, integer_codebook,
                                               norm_label, scale_codebook, text_codebook)

__all__ = ["Codebook", "Bad", "Decoded", "decode", "scale_codebook", "choice_codebook",
           "integer_codebook", "text_codebook", "norm_label"]


@dataclass(frozen=True, slots=True)
class Bad:
    """Bad cells of one column: positions, the raw values, the rule and a message each."""

    positions: np.ndarray
    values: list
    rule: str
    messages: list[str]


@dataclass(frozen=True, slots=True)
class Decoded:
    """``values``: float codes (nan = missing) or object choice names / text (None = missing).
    For choices also ``cat`` (index into ``categories``, -1 = missing) so callers can compare
    integers instead of strings."""

    values: np.ndarray
    bad: list[Bad]
    n_codes: int = 0
    n_labels: int = 0
    cat: np.ndarray | None = None
    categories: tuple = ()

    @property
    def present(self) -> np.ndarray:
        if self.cat is not None:
            return self.cat >= 0
        if self.values.dtype == object:
            return ~pd.isna(self.values)
        return ~np.isnan(self.values)


def _with_categories(values: np.ndarray, per_unique: np.ndarray, codes: np.ndarray) -> tuple:
    """Category codes of canonical values given per distinct raw value (``codes`` index it)."""
    cats: dict[Any, int] = {}
    lut = np.full(len(per_unique), -1, dtype=np.int32)
    for k, v in enumerate(per_unique):
        if v is not None:
            lut[k] = cats.setdefault(v, len(cats))
    return lut[codes], tuple(cats)


def _fmt(v: Any) -> str:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)

def to_floats(values: pd.Series) -> np.ndarray:
    """``pd.to_numeric(values, errors="coerce")`` as floats, NaN where not a number. pandas'
    parser raises ``OverflowError`` on an integer of a few hundred digits even when coercing, so
    such a column is read cell by cell."""
    try:
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    except (OverflowError, TypeError, ValueError):
        return np.array([_float_or_nan(v) for v in values], dtype=float)


def _float_or_nan(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError, OverflowError):
        return np.nan


def _as_number(s: str) -> float | None:
    try:
        x = float(s.replace(",", ".")) if s.count(",") == 1 and "." not in s else float(s)
    except ValueError:
        return None
    return x if np.isfinite(x) else None


def decode(series: pd.Series, cb: Codebook) -> Decoded:
    """Decode one column. Missing cells stay missing; every bad cell is reported in ``bad``."""
    if cb.kind == "text":
        return _decode_text(series)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype) \
            and not isinstance(series.dtype, pd.CategoricalDtype):
        return _decode_numeric(series.to_numpy(dtype=float, na_value=np.nan), cb)
    return _decode_objects(series, cb)


def _codes(series: pd.Series) -> tuple[np.ndarray, Any]:
    """Distinct values and their codes (-1 = missing); free for a categorical column."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), series.cat.categories
    return pd.factorize(series, use_na_sentinel=True)


def _decode_text(series: pd.Series) -> Decoded:
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        x = series.to_numpy(dtype=float, na_value=np.nan)
        nan = np.isnan(x)
        if (x[~nan] == np.floor(x[~nan])).all():  # ids exported as numbers: no ".0"
            out = np.where(nan, 0, x).astype(np.int64).astype(str).astype(object)
            out[nan] = None
            return Decoded(out, [])
    codes, uniques = _codes(series)
    per = np.empty(len(uniques) + 1, dtype=object)
    per[-1] = None
    for k, u in enumerate(uniques):
        t = (u if isinstance(u, str) else _fmt(u)).strip()
        per[k] = t or None
    return Decoded(per[codes], [])


def _numeric_lookup(cb: Codebook) -> dict[float, Any]:
    lut: dict[float, Any] = {}
    for k, v in cb.codes.items():
        x = _as_number(k)
        if x is not None:
            lut[x] = v
    return lut


def _decode_numeric(x: np.ndarray, cb: Codebook) -> Decoded:
    present = ~np.isnan(x)
    bad: list[Bad] = []
    if cb.kind == "integer":
        frac = present & (np.floor(x) != x)
        if frac.any():
            pos = np.flatnonzero(frac)
            bad.append(Bad(pos, x[pos].tolist(), "not_integer",
                           [f"value {_fmt(v)} is not a whole number" for v in x[pos]]))
        with np.errstate(invalid="ignore"):
            oor = present & ~frac & (((x < cb.lo) if cb.lo is not None else False)
                                     | ((x > cb.hi) if cb.hi is not None else False))
        if np.any(oor):
            pos = np.flatnonzero(oor)
            bad.append(Bad(pos, x[pos].tolist(), "out_of_range",
                           [f"value {_fmt(v)} is outside {cb.expected}" for v in x[pos]]))
        y = x.copy()
        y[frac | oor] = np.nan
        return Decoded(y, bad, n_codes=int(present.sum()))
    lut = _numeric_lookup(cb)
    if cb.kind == "scale":
        return _decode_scale_numbers(x, present, lut, cb)
    # choice stored as numbers (REDCap, Qualtrics, SPSS)
    uniq, inv = np.unique(np.where(present, x, np.inf), return_inverse=True)
    out = np.empty(len(uniq), dtype=object)
    for k, u in enumerate(uniq):
        out[k] = None if np.isinf(u) else lut.get(u)
    inv = inv.reshape(-1)
    y = out[inv]
    cat, cats = _with_categories(y, out, inv)
    miss = present & (cat < 0)
    if miss.any():
        pos = np.flatnonzero(miss)
        bad.append(Bad(pos, x[pos].tolist(), "unknown_category",
                       [f"value {_fmt(v)} is not a choice of {cb.name} (expected one of {cb.expected})"
                        for v in x[pos]]))
    return Decoded(y, bad, n_codes=int((present & ~miss).sum()), cat=cat, categories=cats)


def _decode_scale_numbers(x: np.ndarray, present: np.ndarray, lut: dict[float, Any],
                          cb: Codebook) -> Decoded:
    """Numeric codes through a lookup table: a handful of array passes per column."""
    bad: list[Bad] = []
    ints = [k for k in lut if float(k).is_integer() and 0 <= k <= 10_000]
    top = int(max(ints)) + 1 if ints else 1
    table = np.full(top + 1, np.nan)
    for k in ints:
        table[int(k)] = lut[k]
    with np.errstate(invalid="ignore"):
        inside = (x >= 0) & (x < top)
    idx = np.where(inside, x, top).astype(np.intp)
    y = table[idx]
    miss = present & (np.isnan(y) | (idx != x))
    if miss.any():
        pos = np.flatnonzero(miss)
        y[pos] = np.nan
        vals = x[pos]
        frac = np.floor(vals) != vals
        for rule, sel in (("out_of_range", ~frac), ("not_integer", frac)):
            if sel.any():
                msg = ("value {v} is outside {e}" if rule == "out_of_range"
                       else "value {v} is not a whole number (expected {e})")
                bad.append(Bad(pos[sel], vals[sel].tolist(), rule,
                               [msg.format(v=_fmt(v), e=cb.expected) for v in vals[sel]]))
    return Decoded(y, bad, n_codes=int(present.sum()) - int(miss.sum()))


def _decode_objects(series: pd.Series, cb: Codebook) -> Decoded:
    codes, uniques = _codes(series)
    m = len(uniques)
    canon = np.empty(m + 1, dtype=object)
    canon[-1] = None
    status = np.zeros(m + 1, dtype=np.int8)  # 0 ok/missing, 1 code, 2 label, -1 bad
    reason: dict[int, tuple[str, str]] = {}
    lut = _numeric_lookup(cb) if cb.kind != "integer" else {}
    for k, u in enumerate(uniques):
        raw = u if isinstance(u, str) else _fmt(u)
        s = raw.strip()
        if not s:
            canon[k] = None
            continue
        if cb.kind == "integer":
            x = _as_number(s)
            if x is None:
                status[k] = -1
                reason[k] = ("not_integer", f"{raw!r} is not a number (expected {cb.expected})")
            elif not float(x).is_integer():
                status[k] = -1
                reason[k] = ("not_integer", f"value {s} is not a whole number")
            elif (cb.lo is not None and x < cb.lo) or (cb.hi is not None and x > cb.hi):
                status[k] = -1
                reason[k] = ("out_of_range", f"value {s} is outside {cb.expected}")
            else:
                canon[k] = float(x) if cb.kind == "integer" else x
                status[k] = 1
            continue
        if s in cb.codes:
            canon[k] = cb.codes[s]
            status[k] = 1
            continue
        x = _as_number(s)
        if x is not None:
            if x in lut:
                canon[k] = lut[x]
                status[k] = 1
            elif cb.kind == "scale":
                status[k] = -1
                rule = "out_of_range" if float(x).is_integer() else "not_integer"
                msg = (f"value {s} is outside {cb.expected}" if rule == "out_of_range"
                       else f"value {s} is not a whole number (expected {cb.expected})")
                reason[k] = (rule, msg)
            else:
                status[k] = -1
                reason[k] = ("unknown_category",
                             f"value {s} is not a choice of {cb.name} (expected one of {cb.expected})")
            continue
        lab = cb.labels.get(norm_label(s))
        if lab is not None:
            canon[k] = lab
            status[k] = 2
            continue
        status[k] = -1
        if cb.kind == "scale":
            ex = " / ".join(repr(e) for e in cb.label_examples)
            reason[k] = ("unknown_label", f"unknown label {raw!r} (expected {cb.expected}"
                         + (f", or a label of the scale such as {ex})" if ex else ")"))
        else:
            reason[k] = ("unknown_category",
                         f"{raw!r} is not a choice of {cb.name} (expected one of {cb.expected})")
    st = status[codes]
    bad: list[Bad] = []
    if reason:
        rows = np.flatnonzero(st == -1)
        ucode = codes[rows]
        by_rule: dict[str, list[int]] = {}
        for r, c in zip(rows.tolist(), ucode.tolist()):
            by_rule.setdefault(reason[c][0], []).append(r)
        for rule, pos in by_rule.items():
            p = np.asarray(pos)
            bad.append(Bad(p, [uniques[codes[i]] for i in pos], rule,
                           [reason[codes[i]][1] for i in pos]))
    n_codes, n_labels = int((st == 1).sum()), int((st == 2).sum())
    if cb.kind in ("scale", "integer"):
        vals = np.array([np.nan if v is None else float(v) for v in canon], dtype=float)[codes]
        return Decoded(vals, bad, n_codes=n_codes, n_labels=n_labels)
    cat, cats = _with_categories(canon[codes], canon, codes)
    return Decoded(canon[codes], bad, n_codes=n_codes, n_labels=n_labels, cat=cat, categories=cats)
