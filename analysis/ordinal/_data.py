"""Ordinal responses at the boundary: checked once, complete rows recoded to category indices.

Shared by :mod:`.polychoric` (thresholds, polychoric correlations) and :mod:`.wls` (their
asymptotic covariance); every problem is collected before one :class:`ResponseDataError` is raised.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from coprod.analysis.errors import Problem, ResponseDataError


@dataclass(frozen=True, slots=True)
class _Ordinal:
    """Listwise-complete responses recoded to 0-based category indices (lavaan's ``ordered()``)."""

    items: tuple[str, ...]
    codes: np.ndarray  # n × p, int
    levels: tuple[np.ndarray, ...]  # observed values per item, sorted
    n: int
    n_dropped: int
    warnings: tuple[str, ...]

    @property
    def ncat(self) -> np.ndarray:
        return np.array([len(lv) for lv in self.levels], dtype=int)


def _prepare(responses: pd.DataFrame, items: Sequence[str] | None) -> _Ordinal:
    """Validate once at the boundary; collect every problem before raising."""
    if not isinstance(responses, pd.DataFrame):
        raise ResponseDataError([Problem("", "", "responses",
                                         f"expected a pandas DataFrame, got {type(responses).__name__}")])
    items = tuple(responses.columns if items is None else items)
    problems, missing = _item_list_problems(responses, items)
    cols: dict[str, pd.Series] = {}
    labels: dict[str, np.ndarray] = {}  # category labels of ordered categoricals, by code
    for col in items:
        if col in missing:
            continue
        s, label, problem = _numeric_column(responses[col], col)
        if problem is not None:
            problems.append(problem)
            continue
        if label is not None:
            labels[col] = label
        cols[col] = s
    if problems:
        raise ResponseDataError(problems)

    values = np.column_stack([cols[c].to_numpy() for c in items])
    complete = ~np.isnan(values).any(axis=1)
    n_dropped = int((~complete).sum())
    values = values[complete]
    n = values.shape[0]
    if n < 2:
        raise ResponseDataError([Problem("", "", ",".join(map(str, items)),
                                         f"{n} complete row(s); at least 2 are needed")])
    warnings: list[str] = []
    if n_dropped:
        warnings.append(f"{n_dropped} row(s) with missing responses dropped (listwise, as lavaan's "
                        "default for ordered items)")
    codes, levels, notes = _codes_and_levels(values, items, labels)
    warnings += notes
    return _Ordinal(items, codes, tuple(levels), n, n_dropped, tuple(warnings))


def _item_list_problems(responses: pd.DataFrame, items: tuple) -> tuple[list[Problem], list]:
    """Duplicated, unknown or no items; returns the problems and the items not in the responses."""
    problems: list[Problem] = []
    if len(set(items)) != len(items):
        dup = sorted({i for i in items if items.count(i) > 1})
        problems.append(Problem("", "", "items", f"items listed more than once: {dup}"))
    missing = [i for i in items if i not in responses.columns]
    for col in missing:
        problems.append(Problem("", "", str(col), "item is not a column of the responses"))
    if not items:
        problems.append(Problem("", "", "items", "no items given"))
    return problems, missing


def _numeric_column(s: pd.Series, col) -> tuple[pd.Series | None, np.ndarray | None, Problem | None]:
    """One item as floats (ordered categoricals by code); returns ``(values, labels, problem)``."""
    label = None
    if isinstance(s.dtype, pd.CategoricalDtype):
        if not s.cat.ordered:
            return None, None, Problem("", "", str(col),
                                       "categorical column is not ordered; ordinal analyses need an order")
        label = np.asarray(s.cat.categories, dtype=object)
        s = pd.Series(np.where(s.cat.codes.to_numpy() < 0, np.nan, s.cat.codes.to_numpy()),
                      index=s.index, dtype=float)
    elif pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        s = s.astype(float)
    else:
        num = pd.to_numeric(s, errors="coerce")
        bad = s.notna() & num.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
            return None, None, Problem("", f"row {row}", str(col),
                                       f"value {s[bad].iloc[0]!r} is not numeric "
                                       f"({int(bad.sum())} such value(s) in this column)")
        s = num.astype(float)
    if np.isinf(s.to_numpy()).any():
        return None, None, Problem("", "", str(col), "infinite values are not valid responses")
    return s, label, None


def _codes_and_levels(values: np.ndarray, items: tuple,
                      labels: dict[str, np.ndarray]) -> tuple[np.ndarray, list, list[str]]:
    """0-based category codes of the observed values per item, the levels, and warnings about
    single categories and empty ones (lavaan uses the observed categories only)."""
    warnings: list[str] = []
    codes = np.empty(values.shape, dtype=np.int64)
    levels = []
    for j, col in enumerate(items):
        lv, inv = np.unique(values[:, j], return_inverse=True)
        codes[:, j] = inv
        name = (lambda v, col=col: str(labels[col][int(v)])) if col in labels else _fmt
        levels.append(labels[col][lv.astype(int)] if col in labels else lv)
        if len(lv) == 1:
            warnings.append(f"item {col}: a single observed category ({name(lv[0])}); it has no "
                            "thresholds and its polychoric correlations are undefined (NaN). "
                            "lavaan stops here")
        elif np.all(lv == np.round(lv)) and (lv[-1] - lv[0] + 1) > len(lv):
            gaps = sorted(set(range(int(lv[0]), int(lv[-1]) + 1)) - set(lv.astype(int).tolist()))
            warnings.append(f"item {col}: no responses in category {', '.join(map(name, gaps))}; as "
                            f"lavaan with ordered=, only the {len(lv)} observed categories are used "
                            f"({len(lv) - 1} thresholds)")
    return codes, levels, warnings


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))
