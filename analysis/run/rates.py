"""Response rates per group: respondents in the comparison / the number invited.

The invited counts are per municipality × sector (× wave), as ``coprod study invited`` stores
them. A group's rate is published only when its invited counts cover every sector the group has
respondents in: a rate over part of a group (say its municipal staff) would tell that part's n,
which the sector split may suppress. The numerator is the n the comparison shows (respondents
analysed, after the data-quality exclusions unless ``--keep-flagged``), so a rate tells nothing
the page's n does not.
"""
from __future__ import annotations

import pandas as pd

from .records import GroupRate, ResponseRates

__all__ = ["response_rates", "RATE_GROUPINGS"]

#: the groupings invited counts can be summed to (they are kept per municipality and sector)
RATE_GROUPINGS = ("municipality", "sector")


def response_rates(table: pd.DataFrame, by: str, invited: pd.DataFrame, *, wave: str | None = None) -> ResponseRates | None:
    """Response rates per group of ``by`` (``None`` for a grouping invited counts do not give).

    Parameters
    ----------
    table : DataFrame
        The responses compared (columns ``by`` and ``sector``).
    invited : DataFrame
        ``municipality``, ``wave``, ``sector``, ``invited`` (``Study.invited()``).
    wave : str, optional
        The wave of ``table``; ``None`` when it holds every wave (invited summed over them).

    Examples
    --------
    >>> t = pd.DataFrame({"municipality": ["A"] * 3 + ["B"] * 2, "sector": ["municipal"] * 5})
    >>> inv = pd.DataFrame({"municipality": ["A", "B"], "wave": ["1", "1"], "sector": ["municipal"] * 2,
    ...                     "invited": [10, 8]})
    >>> r = response_rates(t, "municipality", inv, wave="1")
    >>> r.groups["A"].rate, r.groups["B"].invited, r.overall.rate
    (0.3, 8, 0.2777777777777778)
    """
    if by not in RATE_GROUPINGS or invited is None or invited.empty:
        return None
    inv = invited if wave is None else invited[invited["wave"].astype(str) == str(wave)]
    inv = inv.groupby(["municipality", "sector"], as_index=False)["invited"].sum()
    groups = {}
    for g in pd.unique(table[by].dropna()):
        rows = table[table[by] == g]
        groups[str(g)] = _rate(rows, inv[inv[by] == g])
    return ResponseRates(by=by, wave=None if wave is None else str(wave), groups=groups, overall=_rate(table, inv))


def _rate(rows: pd.DataFrame, inv: pd.DataFrame) -> GroupRate:
    n = len(rows)
    if inv.empty:
        return GroupRate(n=n, invited=None, rate=None, reason="no invited count")
    if "municipality" in rows:
        # each (municipality, sector) cell with respondents needs its own invited count
        have = set(zip(inv["municipality"].astype(str), inv["sector"].astype(str)))
        cells = set(zip(rows["municipality"].astype(str), rows["sector"].astype(str)))
        if not cells <= have:
            return GroupRate(n=n, invited=None, rate=None,
                             reason="invited counts do not cover every sector with respondents")
    total = int(inv["invited"].sum())
    return GroupRate(n=n, invited=total, rate=n / total if total else None)
