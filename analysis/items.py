"""Item analysis: descriptive statistics, response distributions, missing and don't-know shares, and the
item–rest statistics of psych::alpha (corrected item-total r, alpha if item deleted).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from coprod.analysis._itemdata import _check_choice, _constant_items, _select_items
from coprod.analysis._result import jsonable
from coprod.analysis.reliability import _psych_alpha

__all__ = ["ItemAnalysisResult", "item_analysis"]

MISSING_OPTIONS = ("pairwise", "listwise")
_MAX_CATEGORIES = 20  # without scale_range, more distinct values than this means "not a rating item"


@dataclass(frozen=True, slots=True)
class ItemAnalysisResult:
    """Per-item statistics (``stats``) and response distributions (``categories``)."""

    items: tuple[str, ...]
    n_rows: int
    stats: pd.DataFrame          # index item; see :func:`item_analysis` for the columns
    categories: pd.DataFrame     # index item, one column per response category: counts
    scale_range: tuple[float, float] | None
    missing: str
    warnings: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        cats = {str(i): {_label(c): int(v) for c, v in row.items()} for i, row in self.categories.iterrows()}
        return jsonable({
            "items": list(self.items), "n_rows": self.n_rows,
            "stats": {str(i): r for i, r in self.stats.to_dict(orient="index").items()},
            "categories": cats, "scale_range": self.scale_range, "missing": self.missing,
            "warnings": list(self.warnings), "meta": self.meta,
        })

    def to_frame(self) -> pd.DataFrame:
        """One row per item: the statistics followed by the category counts (``cat_<value>``)."""
        cats = self.categories.rename(columns=lambda c: f"cat_{_label(c)}")
        return self.stats.join(cats).reset_index()


def _label(c) -> str:
    if isinstance(c, (float, np.floating)) and float(c).is_integer():
        return str(int(c))
    return str(c)


def item_analysis(responses: pd.DataFrame, *, items: Sequence[str], dont_know: pd.DataFrame | None = None,
                  scale_range: tuple[float, float] | None = None, missing: str = "pairwise") -> ItemAnalysisResult:
    """Describe each item and its relation to the rest of the item set.

    Parameters
    ----------
    responses : DataFrame
        One row per respondent; "don't know" answers already set to missing.
    items : list of str
        The items, treated as one scale for the item–rest statistics.
    dont_know : DataFrame of bool, optional
        Same rows (index) as ``responses``; True where the answer was "don't know" before it was set to
        missing. Items without a column here get NaN don't-know shares.
    scale_range : (low, high), optional
        The response scale, e.g. ``(1, 5)``: categories low..high are all counted (zeros included),
        floor/ceiling shares are reported and values outside the range are warned about.
    missing : {"pairwise", "listwise"}
        For the item–rest statistics: psych's pairwise treatment (default) or complete rows only.
        Descriptives always use each item's available answers.

    Returns
    -------
    ItemAnalysisResult
        ``stats`` columns: ``n``, ``n_missing``, ``missing_share`` (of all rows), ``n_dont_know``,
        ``dont_know_share`` (of all rows), ``mean``, ``sd`` (n − 1), ``median``, ``min``, ``max``,
        ``skew`` and ``kurtosis`` (psych's default type 3: Σ(x − x̄)³/(n·sd³) and Σ(x − x̄)⁴/(n·sd⁴) − 3),
        ``floor_share``/``ceiling_share`` (with ``scale_range``), ``r_drop`` (corrected item-total r),
        ``raw_r``, ``alpha_if_deleted_raw`` and ``alpha_if_deleted_std``. ``categories``: counts per
        response value.

    Notes
    -----
    Checked against R: ``psych::describe(x)`` (skew, kurtosis), ``psych::alpha(x)$item.stats`` and
    ``$alpha.drop`` (r.drop, raw_alpha, std.alpha), ``table(x)``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, None], "c": [1, 3, 3, 4, 5, 2]})
    >>> res = item_analysis(df, items=["a", "b", "c"], scale_range=(1, 5))  # R: psych::describe(df); psych::alpha(df)
    >>> res.stats.loc["b", ["n", "missing_share"]].tolist()
    [5.0, 0.16666666666666666]
    >>> res.categories.loc["a"].tolist()
    [1, 1, 2, 1, 1]
    """
    _check_choice("missing", missing, MISSING_OPTIONS)
    if isinstance(items, str) or items is None:
        raise ValueError("items must be a list of column names")
    X = _select_items(responses, items, "item_analysis")
    cols = list(X.columns)
    n_rows = int(X.shape[0])
    bounds = _scale_bounds(scale_range)
    dk, warnings = _dont_know_table(dont_know, X, cols)
    values = X.to_numpy(float).T  # one row per item (each row contiguous)
    stats, notes = _descriptives(X, values, dk, cols, n_rows, bounds)
    warnings += notes
    warnings += _add_item_rest(stats, X, cols, missing)
    categories, notes = _categories(X, values, cols, bounds)
    warnings += notes
    meta = {"skew_type": 3, "kurtosis_type": 3, "sd_ddof": 1, "checked_against": "psych 2.2.9"}
    return ItemAnalysisResult(tuple(cols), n_rows, stats, categories, bounds, missing, tuple(warnings), meta)


def _scale_bounds(scale_range) -> tuple[float, float] | None:
    if scale_range is None:
        return None
    lo, hi = (float(scale_range[0]), float(scale_range[1]))
    if not lo < hi:
        raise ValueError(f"scale_range={scale_range!r}: low must be below high")
    return lo, hi


def _dont_know_table(dont_know: pd.DataFrame | None, X: pd.DataFrame,
                     cols: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """1.0/0.0 where an answer was / was not "don't know", NaN for items without that information."""
    warnings: list[str] = []
    dk = pd.DataFrame(np.nan, index=X.index, columns=cols)
    if dont_know is None:
        return dk, warnings
    if not isinstance(dont_know, pd.DataFrame):
        raise TypeError("dont_know must be a boolean DataFrame with the rows of responses")
    if not dont_know.index.equals(X.index):
        if not set(dont_know.index) <= set(X.index) or not set(X.index) <= set(dont_know.index):
            raise ValueError("dont_know must have the same rows (index) as responses")
        dont_know = dont_know.reindex(X.index)
    present = [c for c in cols if c in dont_know.columns]
    absent = [c for c in cols if c not in dont_know.columns]
    if absent:
        warnings.append(f"no don't-know information for {absent}")
    if present:
        marked = dont_know[present].fillna(False).astype(bool)
        dk[present] = marked.astype(float)
        both = (marked & X[present].notna()).sum()
        for c in present:
            if both[c]:
                warnings.append(f"item {c}: {int(both[c])} cells are marked don't know but hold an answer")
    return dk, warnings


def _descriptives(X: pd.DataFrame, values: np.ndarray, dk: pd.DataFrame, cols: list[str], n_rows: int,
                  bounds: tuple[float, float] | None) -> tuple[pd.DataFrame, list[str]]:
    """psych::describe per item (available answers), don't-know shares and floor/ceiling shares."""
    warnings: list[str] = []
    n = X.notna().sum()
    dk_any = dk.notna().any()
    dk_sum, dk_mean = dk.sum(), dk.mean()
    rows = {}
    for j, c in enumerate(cols):
        x = values[j][~np.isnan(values[j])]
        m = x.mean() if x.size else math.nan
        sd = x.std(ddof=1) if x.size > 1 else math.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            skew = float(np.sum((x - m) ** 3) / (x.size * sd ** 3)) if x.size > 1 and sd > 0 else math.nan
            kurt = float(np.sum((x - m) ** 4) / (x.size * sd ** 4) - 3) if x.size > 1 and sd > 0 else math.nan
        rec = {
            "n": int(n[c]), "n_missing": int(n_rows - n[c]),
            "missing_share": (n_rows - n[c]) / n_rows if n_rows else math.nan,
            "n_dont_know": float(dk_sum[c]) if dk_any[c] else math.nan,
            "dont_know_share": float(dk_mean[c]) if dk_any[c] and n_rows else math.nan,
            "mean": m, "sd": sd, "median": float(np.median(x)) if x.size else math.nan,
            "min": float(x.min()) if x.size else math.nan, "max": float(x.max()) if x.size else math.nan,
            "skew": skew, "kurtosis": kurt,
        }
        if bounds is not None:
            lo, hi = bounds
            rec["floor_share"] = float(np.mean(x == lo)) if x.size else math.nan
            rec["ceiling_share"] = float(np.mean(x == hi)) if x.size else math.nan
            out = int(np.sum((x < lo) | (x > hi)))
            if out:
                warnings.append(f"item {c}: {out} values outside the scale range {lo:g}..{hi:g}")
        if x.size < 2:
            warnings.append(f"item {c}: fewer than 2 answers")
        rows[c] = rec
    stats = pd.DataFrame.from_dict(rows, orient="index")
    stats.index.name = "item"
    return stats, warnings


def _add_item_rest(stats: pd.DataFrame, X: pd.DataFrame, cols: list[str], missing: str) -> list[str]:
    """Add psych::alpha's item-rest columns to ``stats`` (NaN where undefined); returns warnings."""
    warnings: list[str] = []
    for k in ("r_drop", "raw_r", "alpha_if_deleted_raw", "alpha_if_deleted_std"):
        stats[k] = np.nan
    Xa = X.dropna() if missing == "listwise" else X.dropna(how="all")
    const = _constant_items(Xa) if Xa.shape[0] >= 2 else []
    if const:
        warnings.append(f"items with no variance get no item-rest statistics: {const}")
    usable = [c for c in cols if c not in const]
    C = Xa[usable].cov(min_periods=2).to_numpy(float) if len(usable) >= 2 else None
    if len(usable) >= 2 and Xa[usable].dropna().shape[0] >= 2 and np.all(np.isfinite(C)):
        _total, it = _psych_alpha(Xa[usable], C)
        for k in ("r_drop", "raw_r", "alpha_if_deleted_raw", "alpha_if_deleted_std"):
            stats.loc[usable, k] = it[k]
        if len(usable) == 2:
            warnings.append("with 2 items, 'alpha if deleted' follows psych's convention (C12/C22, r12)")
    else:
        warnings.append("item-rest statistics need at least 2 items with variance and 2 complete rows")
    return warnings


def _categories(X: pd.DataFrame, values: np.ndarray, cols: list[str],
                bounds: tuple[float, float] | None) -> tuple[pd.DataFrame, list[str]]:
    """Counts per response value: every category of the scale range, else the observed values."""
    warnings: list[str] = []
    if bounds is not None:
        lo, hi = bounds
        cats = [float(v) for v in np.arange(lo, hi + 1)] if float(lo).is_integer() and float(hi).is_integer() \
            else sorted(set(np.unique(X.to_numpy()[~np.isnan(X.to_numpy())]).tolist()))
    else:
        vals = X.to_numpy()
        cats = sorted(set(np.unique(vals[~np.isnan(vals)]).tolist()))
        if len(cats) > _MAX_CATEGORIES:
            warnings.append(f"{len(cats)} distinct values: no category table (pass scale_range for rating items)")
            cats = []
    categories = pd.DataFrame({cat: (values == cat).sum(axis=1) for cat in cats}, index=cols, dtype=int)
    categories.index.name = "item"
    return categories, warnings
