"""Small-cell suppression for published group figures (privacy).

A group with fewer than ``min_cell`` respondents shows no figures (*primary* suppression). Because
reports also publish the overall total (or overall mean), hiding one small group is not enough:
its count could be recovered as ``total - sum(shown groups)``. *Secondary* suppression therefore
hides further groups, smallest first, until what is hidden can no longer be recovered.

The rule, applied to one set of mutually exclusive groups that add up to a published total:

1. primary: every group with ``1 <= n < min_cell`` is suppressed. A group with ``n == 0`` has no
   data and nothing to protect; it is shown as "no data", not suppressed.
2. secondary: while the suppressed groups are *recoverable* -- exactly one group is suppressed
   (its n is the total minus the shown groups), or the suppressed groups add up to fewer than
   ``min_cell`` (total minus shown gives a small aggregate) -- also suppress the smallest
   group still shown (ties: the first in the table's order). Stop when nothing is recoverable
   or every group is suppressed.

If even all groups together are fewer than ``min_cell``, every group is suppressed and the caller
must suppress the overall total as well (:func:`total_is_small`).

The same reasoning protects group *means*: with the overall mean and n published, one hidden
group's mean follows from the others', so apply the mask computed from the groups' n to their
means too.

Example
-------
>>> import pandas as pd
>>> suppress_small_cells(pd.Series({"A": 3, "B": 40, "C": 41})).to_dict()
{'A': True, 'B': True, 'C': False}

A (3) is suppressed first; alone it would be 84 - 40 - 41 = 3, so B, the next-smallest, is
suppressed too: A + B = 43 is now all an observer can recover.

>>> suppress_small_cells(pd.Series({"A": 3, "B": 2, "C": 50})).to_dict()
{'A': True, 'B': True, 'C': False}
>>> suppress_small_cells(pd.Series({"A": 10, "B": 12})).to_dict()
{'A': False, 'B': False}
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "SUPPRESSED",
    "apply_suppression",
    "suppress_columns",
    "suppress_small_cells",
    "total_is_small",
]


class _Suppressed:
    """Marker for a suppressed value in a table; templates test it with ``v is suppressed``."""

    _instance: "_Suppressed | None" = None

    def __new__(cls) -> "_Suppressed":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SUPPRESSED"

    def __reduce__(self):
        return (_Suppressed, ())


SUPPRESSED = _Suppressed()


def _check_counts(counts: pd.Series, min_cell: int) -> pd.Series:
    if not isinstance(counts, pd.Series):
        raise TypeError(f"counts must be a pandas Series of group sizes, got {type(counts).__name__}")
    if isinstance(min_cell, bool) or not isinstance(min_cell, (int, np.integer)) or min_cell < 1:
        raise ValueError(f"min_cell must be a positive integer, got {min_cell!r}")
    values = pd.to_numeric(counts, errors="coerce")
    bad = values.isna() | (values < 0) | (values != np.floor(values))
    if bad.any():
        where = ", ".join(f"{k!r}: {counts[k]!r}" for k in counts.index[bad.to_numpy()])
        raise ValueError(f"counts must be non-negative whole numbers; got {where}")
    if not counts.index.is_unique:
        raise ValueError("counts has duplicate group labels; each group must appear once")
    return values.astype("int64")


def suppress_small_cells(counts: pd.Series, min_cell: int = 5) -> pd.Series:
    """Which groups to hide: primary plus secondary small-cell suppression.

    Parameters
    ----------
    counts : pandas.Series
        Respondents per group (index = group labels), groups mutually exclusive and adding up to
        a total that the report publishes.
    min_cell : int, default 5
        Smallest group size that may be shown.

    Returns
    -------
    pandas.Series of bool
        Same index as ``counts``; True where the group's figures must be hidden.

    Raises
    ------
    ValueError
        If a count is missing, negative or fractional, labels repeat, or ``min_cell < 1``.

    Notes
    -----
    See the module docstring for the rule and a worked example.

    Examples
    --------
    >>> suppress_small_cells(pd.Series({"A": 1, "B": 1, "C": 9, "D": 30})).to_dict()
    {'A': True, 'B': True, 'C': True, 'D': False}
    """
    n = _check_counts(counts, min_cell)
    mask = (n >= 1) & (n < min_cell)
    while mask.any():
        hidden = n[mask]
        recoverable = len(hidden) == 1 or hidden.sum() < min_cell
        if not recoverable:
            break
        candidates = n[~mask & (n > 0)]
        if candidates.empty:
            break
        # stable sort: ties go to the group listed first, so the result is deterministic
        mask[candidates.sort_values(kind="stable").index[0]] = True
    return mask.astype(bool)


def total_is_small(counts: pd.Series, min_cell: int = 5) -> bool:
    """True when all groups together have fewer than ``min_cell`` respondents (hide the total too).

    >>> total_is_small(pd.Series({"A": 1, "B": 2}))
    True
    """
    n = _check_counts(counts, min_cell)
    return bool(0 < n.sum() < min_cell)


def suppress_columns(counts: pd.DataFrame, min_cell: int = 5) -> pd.DataFrame:
    """:func:`suppress_small_cells` applied to each column (e.g. valid n per group x construct).

    Use it when each column has its own published total, as a heatmap of construct means by group
    does when missing answers make the valid n differ between constructs.

    >>> df = pd.DataFrame({"COM": [3, 40, 41], "REP": [6, 40, 41]}, index=["A", "B", "C"])
    >>> suppress_columns(df).to_dict("list")
    {'COM': [True, True, False], 'REP': [False, False, False]}
    """
    if not isinstance(counts, pd.DataFrame):
        raise TypeError(f"counts must be a pandas DataFrame, got {type(counts).__name__}")
    return pd.DataFrame(
        {col: suppress_small_cells(counts[col], min_cell) for col in counts.columns},
        index=counts.index,
    )


def apply_suppression(table: pd.DataFrame | pd.Series, mask: pd.DataFrame | pd.Series):
    """A copy of ``table`` whose masked values are replaced by :data:`SUPPRESSED`.

    Parameters
    ----------
    table : DataFrame or Series
        Figures by group (rows = groups).
    mask : Series of bool indexed like ``table``'s rows (hides whole rows), or a DataFrame of bool
        shaped like ``table`` (hides single cells).

    Returns
    -------
    Same type as ``table``, object dtype, with :data:`SUPPRESSED` in hidden places. Missing values
    stay missing, so templates can tell "suppressed" (``v is suppressed``) from "no data".

    Examples
    --------
    >>> t = pd.DataFrame({"mean": [4.2, 5.1]}, index=["A", "B"])
    >>> apply_suppression(t, pd.Series({"A": True, "B": False}))["mean"].tolist()
    [SUPPRESSED, 5.1]
    """
    if isinstance(mask, pd.Series):
        missing = table.index.difference(mask.index)
        if len(missing):
            raise ValueError(f"mask has no entry for rows {list(missing)}")
        rows = mask.reindex(table.index).astype(bool).to_numpy()
        if isinstance(table, pd.DataFrame):
            full = np.repeat(rows[:, None], table.shape[1], axis=1)
            mask_df = pd.DataFrame(full, index=table.index, columns=table.columns)
        else:
            mask_df = pd.Series(rows, index=table.index)
    elif isinstance(mask, pd.DataFrame):
        if not isinstance(table, pd.DataFrame):
            raise TypeError("a DataFrame mask needs a DataFrame table")
        mask_df = mask.reindex(index=table.index, columns=table.columns)
        if mask_df.isna().any().any():
            raise ValueError("mask does not cover every cell of table")
        mask_df = mask_df.astype(bool)
    else:
        raise TypeError(f"mask must be a pandas Series or DataFrame, got {type(mask).__name__}")
    out = table.astype(object).copy()
    return out.mask(mask_df, SUPPRESSED)
