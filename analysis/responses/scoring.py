"""Scale scores per construct and respondent, and the Griffin ambivalence index.

Rules
-----
* **Reverse-keying**: an item marked ``reverse`` in the bank is scored ``min + max - x``
  (7 -> 1 on a 1..7 scale) before averaging.
* **Which items**: a respondent's scale is the construct's core items plus the facet items of
  the respondent's own sector (``constructs.md``, "Which items go where"); ``core_only=True``
  uses the mirrored core items only, which is what cross-sector comparisons need.
* **Minimum items**: the score is the mean of the answered items, computed only when at least
  ``min_items`` of the scale's items are answered; an ``int`` is a count, a ``float`` in
  ``(0, 1]`` a share of the scale's items rounded up. The default ``0.5`` asks for at least
  half the items (3 of 6, 4 of 7). Don't know counts as not answered. Otherwise the score is
  missing.
* **Griffin index** (Thompson, Zanna & Griffin 1995) from compellingness ``P = COM`` and
  repellence ``N = REP``: ``(P + N) / 2 - |P - N|``, on the scale scores as they are
  (1..7, so the index runs from -2 to 7); missing when either score is missing.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from coprod.instrument.bank import as_bank
from coprod.instrument.model import SECTORS, Bank

from .canonical import ID, schema_for

__all__ = ["score", "griffin", "GRIFFIN"]

GRIFFIN = "griffin"


def griffin(p, n):
    """Griffin ambivalence index ``(P + N) / 2 - |P - N|`` (element-wise).

    Examples
    --------
    >>> griffin(6.0, 6.0), griffin(7.0, 1.0), griffin(2.0, 2.0)
    (6.0, -2.0, 2.0)
    """
    return (p + n) / 2 - abs(p - n)


def _need(min_items: int | float, k: int) -> int:
    if isinstance(min_items, bool) or not isinstance(min_items, (int, float)):
        raise ValueError(f"min_items must be an int (a count) or a float in (0, 1] (a share), "
                         f"got {min_items!r}")
    if isinstance(min_items, float):
        if not 0 < min_items <= 1:
            raise ValueError(f"min_items as a share must be in (0, 1], got {min_items}")
        return max(1, math.ceil(min_items * k - 1e-9))
    if min_items < 1:
        raise ValueError(f"min_items as a count must be at least 1, got {min_items}")
    return min(int(min_items), k)


def score(table: pd.DataFrame, bank: Bank | None = None, *, min_items: int | float = 0.5,
          core_only: bool = False, keep_flagged: bool = False) -> pd.DataFrame:
    """Scale score per construct and respondent (on the respondent's sector scale), plus Griffin.

    Parameters
    ----------
    table : DataFrame
        The canonical table (don't know missing, or still coded 99: codes outside the scale are
        treated as not answered). When it carries a boolean ``flagged`` column
        (:meth:`ResponseData.analysis_table` with ``keep_flagged=True``, or a join with
        :func:`quality_flags`), flagged respondents are left out unless ``keep_flagged``.
    bank : Bank, optional
        :func:`instrument.load_bank` by default.
    min_items : int or float
        Minimum answered items for a score (see module notes). Default: half the scale.
    core_only : bool
        Score the mirrored core items only (for comparing sectors).
    keep_flagged : bool
        Keep respondents flagged by the data-quality checks.

    Returns
    -------
    DataFrame
        Same index as the rows kept; ``respondent_id``, ``sector``, one float column per
        construct (missing where the construct is not asked of the sector or too few items
        were answered) and ``griffin``.

    Examples
    --------
    >>> from coprod.analysis.responses import simulate
    >>> s = score(simulate(200, seed=1))
    >>> list(s.columns[:4])
    ['respondent_id', 'sector', 'INS', 'COM']
    """
    bank = as_bank(bank)
    schema = schema_for(bank)
    if "flagged" in table and not keep_flagged:
        table = table.loc[~table["flagged"].to_numpy(dtype=bool, na_value=False)]
    n = len(table)
    sector = table["sector"].to_numpy(dtype=object, na_value=None)
    items = [c for c in schema.item_ids if c in table]
    pos = {c: k for k, c in enumerate(items)}
    X = table[items].to_numpy(dtype=float, na_value=np.nan)  # one pass over the item block
    out = pd.DataFrame({ID: table[ID].to_numpy(), "sector": table["sector"].to_numpy()},
                       index=table.index)
    rows_of = {s: np.flatnonzero(sector == s) for s in SECTORS}
    scores: dict[str, np.ndarray] = {}
    for con in bank.constructs.values():
        res = np.full(n, np.nan)
        for s in SECTORS:
            rows = rows_of[s]
            if not len(rows) or s not in con.sectors:
                continue
            cols = [c for c in schema.blocks(s).get(con.id, [])
                    if c in pos and (not core_only or schema.by_name[c].core)]
            if not cols:
                continue
            answered = np.zeros(len(rows), dtype=np.int32)
            total = np.zeros(len(rows))
            for c in cols:  # column vectors: far faster than row-wise reductions
                col = schema.by_name[c]
                lo, hi = col.scale.min, col.scale.max
                x = X[rows, pos[c]]
                with np.errstate(invalid="ignore"):
                    ok = (x >= lo) & (x <= hi)  # NaN and a raw table's 99 fail
                answered += ok
                total += np.where(ok, (lo + hi - x) if col.reverse else x, 0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = total / answered
            res[rows] = np.where(answered >= _need(min_items, len(cols)), mean, np.nan)
        scores[con.id] = res
    out = pd.concat([out, pd.DataFrame(scores, index=table.index)], axis=1)
    if "COM" in out and "REP" in out:
        out[GRIFFIN] = griffin(out["COM"].to_numpy(), out["REP"].to_numpy())
    else:
        out[GRIFFIN] = np.nan
    return out
