"""Data-quality flags per respondent: straight-lining, failed attention check, speeding, heavy
missingness.

Flags are kept as columns next to the data (never silently deleted), counted in every output,
and by default the analysis leaves flagged respondents out (``keep_flagged=True`` keeps them).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from coprod.instrument.bank import as_bank
from coprod.instrument.model import SECTORS, Bank, Scale

from .canonical import DURATION, FLAG_COLUMNS, Schema, schema_for

__all__ = ["quality_flags", "flag_counts", "FLAG_COLUMNS"]


def quality_flags(table: pd.DataFrame, bank: Bank | None = None, *,
                  straightline_min_items: int = 4, straightline_share: float = 0.5,
                  speeding_fraction: float = 0.4, missing_max: float = 0.5,
                  dont_know: pd.DataFrame | None = None) -> pd.DataFrame:
    """Flag careless or unusable respondents.

    Parameters
    ----------
    table : DataFrame
        The canonical table (:attr:`ResponseData.table`, or :func:`simulate` output).
    bank : Bank, optional
        The item bank; :func:`instrument.load_bank` by default.
    straightline_min_items : int
        A block (one construct, the items asked of the respondent's sector) counts for
        straight-lining when at least this many of its items are answered.
    straightline_share : float
        Flag ``straightlining`` when the respondent gave the same answer to every item in at
        least this share of their countable blocks (and in at least one).
    speeding_fraction : float
        Flag ``speeding`` when the time taken is below this fraction of the median time of the
        respondent's sector (only where durations exist).
    missing_max : float
        Flag ``missingness`` when more than this share of the items asked of the respondent has
        no usable answer (missing or don't know).
    dont_know : DataFrame, optional
        The don't-know mask (:attr:`ResponseData.dont_know`): a don't-know on the attention check
        is a failed check.

    Returns
    -------
    DataFrame
        Same index as ``table``; boolean columns ``straightlining``, ``attention_failed``,
        ``speeding``, ``missingness`` and ``flagged`` (any of them).

    Notes
    -----
    The attention check fails when it is answered with anything but the instructed code
    (``bank.attention.expected``); an unanswered check is not a failure (missingness covers it).
    Straight-lining uses the raw answers, so reverse-keyed items make it a contradiction.

    Examples
    --------
    >>> from coprod.analysis.responses import simulate
    >>> flags = quality_flags(simulate(500, seed=3))
    >>> list(flags.columns)
    ['straightlining', 'attention_failed', 'speeding', 'missingness', 'flagged']
    >>> 0 < int(flags["flagged"].sum()) < 50
    True
    """
    bank = as_bank(bank)
    n = len(table)
    sector = table["sector"].to_numpy(dtype=object, na_value=None) if "sector" in table else \
        np.full(n, None, dtype=object)
    straight, missing = _block_flags(table, schema_for(bank), sector,
                                     min_items=straightline_min_items, share=straightline_share,
                                     missing_max=missing_max)
    att = _attention_failed(table, bank, dont_know)
    speed = _speeding(table, sector, speeding_fraction)
    out = pd.DataFrame({"straightlining": straight, "attention_failed": att, "speeding": speed,
                        "missingness": missing}, index=table.index)
    out["flagged"] = out.any(axis=1)
    return out[list(FLAG_COLUMNS)]


def _sector_groups(sector: np.ndarray) -> list[tuple[str | None, np.ndarray]]:
    """Row positions per sector, then (as sector ``None``) the rows of no known sector."""
    masks = {s: sector == s for s in SECTORS}
    groups: list[tuple[str | None, np.ndarray]] = [(s, np.flatnonzero(m)) for s, m in masks.items()]
    other = np.flatnonzero(~np.logical_or.reduce(list(masks.values())))
    if len(other):
        groups.append((None, other))
    return groups


def _blocks_asked(schema: Schema, sector: str | None) -> dict[str, list[str]]:
    """Item columns per construct asked of ``sector``; of no known sector: the items common to
    every sector."""
    if sector is not None:
        return schema.blocks(sector)
    blocks: dict[str, list[str]] = {}
    for c in schema.columns:
        if c.kind == "item" and set(c.sectors) >= set(SECTORS):
            blocks.setdefault(c.construct or "", []).append(c.name)
    return blocks


def _block_flags(table: pd.DataFrame, schema: Schema, sector: np.ndarray, *, min_items: int,
                 share: float, missing_max: float) -> tuple[np.ndarray, np.ndarray]:
    """``straightlining`` and ``missingness`` per respondent, each sector's rows against the
    blocks asked of that sector."""
    n = len(table)
    items = [c for c in schema.item_ids if c in table]
    pos = {c: k for k, c in enumerate(items)}
    X = table[items].to_numpy(dtype=float, na_value=np.nan)  # one pass over the item block
    straight = np.zeros(n, dtype=bool)
    missing = np.zeros(n, dtype=bool)
    for s, rows in _sector_groups(sector):
        n_elig = np.zeros(len(rows), dtype=int)
        n_flat = np.zeros(len(rows), dtype=int)
        n_items = 0
        n_missing = np.zeros(len(rows), dtype=int)
        for cols in _blocks_asked(schema, s).values():
            cols = [c for c in cols if c in pos]
            if not cols:
                continue
            answered, flat = _answered_and_flat(X, rows, [pos[c] for c in cols],
                                                schema.by_name[cols[0]].scale)
            n_items += len(cols)
            n_missing += len(cols) - answered
            if len(cols) < min_items:
                continue
            elig = answered >= min_items
            n_elig += elig
            n_flat += elig & flat
        straight[rows] = (n_flat > 0) & (n_flat >= share * np.maximum(n_elig, 1))
        if n_items:
            missing[rows] = n_missing / n_items > missing_max
    return straight, missing


def _answered_and_flat(X: np.ndarray, rows: np.ndarray, columns: list[int],
                       scale: Scale) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``rows``: how many of the block's ``columns`` hold an answer on the scale
    (99 = don't know is no answer), and whether every answer is the same."""
    answered = np.zeros(len(rows), dtype=np.int32)
    lo = np.full(len(rows), np.inf)
    hi = np.full(len(rows), -np.inf)
    for k in columns:  # column vectors: far faster than row-wise reductions
        x = X[rows, k]
        with np.errstate(invalid="ignore"):
            x = np.where((x >= scale.min) & (x <= scale.max), x, np.nan)  # 99 = don't know
        answered += ~np.isnan(x)
        np.fmin(lo, x, out=lo)
        np.fmax(hi, x, out=hi)
    return answered, lo == hi


def _attention_failed(table: pd.DataFrame, bank: Bank, dont_know: pd.DataFrame | None) -> np.ndarray:
    """An answer other than the instructed code, or a don't-know, on the attention check."""
    att = np.zeros(len(table), dtype=bool)
    a = bank.attention
    if a is not None and a.id in table:
        v = table[a.id].to_numpy(dtype=float, na_value=np.nan)
        att = ~np.isnan(v) & (v != a.expected)
        if dont_know is not None and a.id in dont_know:
            att |= dont_know[a.id].to_numpy(dtype=bool)
    return att


def _speeding(table: pd.DataFrame, sector: np.ndarray, fraction: float) -> np.ndarray:
    """Time taken below ``fraction`` of the sector's median (sectors with 5+ durations)."""
    speed = np.zeros(len(table), dtype=bool)
    if DURATION in table:
        d = table[DURATION].to_numpy(dtype=float, na_value=np.nan)
        for s in SECTORS:
            m = (sector == s) & ~np.isnan(d)
            if m.sum() >= 5:
                speed |= m & (d < fraction * float(np.median(d[m])))
    return speed


def flag_counts(flags: pd.DataFrame) -> dict[str, int]:
    """Respondents per flag (``flagged``: with any flag)."""
    return {c: int(flags[c].sum()) for c in FLAG_COLUMNS if c in flags}

