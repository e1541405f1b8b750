"""Item data shared by the psychometric modules (efa, factorability, reliability, validity, items).

Option checks, item selection with clear errors, listwise/pairwise correlations, singularity
and squared multiple correlations: the small numeric core every factor-type analysis starts from.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from coprod.analysis.errors import ModelSpecError, Problem, ResponseDataError

MISSING_OPTIONS = ("listwise", "pairwise", "fiml")


def _check_choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not one of {list(allowed)!r}")


def _select_items(responses: pd.DataFrame, items: Sequence[str] | None, where: str) -> pd.DataFrame:
    """Return the item columns as float, raising one error that lists every problem found."""
    if not isinstance(responses, pd.DataFrame):
        raise TypeError(f"{where}: responses must be a pandas DataFrame, got {type(responses).__name__}")
    if items is None:
        items = list(responses.columns)
    if isinstance(items, str):
        raise ModelSpecError(f"{where}: items must be a list of column names, got the string {items!r}")
    items = list(items)
    dup = sorted({i for i in items if items.count(i) > 1})
    if dup:
        raise ModelSpecError(f"{where}: items listed more than once: {dup}")
    unknown = [i for i in items if i not in responses.columns]
    if unknown:
        raise ModelSpecError(f"{where}: items not in the responses: {unknown} "
                             f"(columns are {list(map(str, responses.columns))[:30]})")
    problems: list[Problem] = []
    out = {}
    for it in items:
        col = responses[it]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            out[it] = pd.to_numeric(col, errors="coerce").astype(float)
            continue
        num = pd.to_numeric(col, errors="coerce")
        bad = col.notna() & num.isna()
        for row, val in col[bad].head(5).items():
            problems.append(Problem("", f"row {row}", str(it), f"value {val!r} is not a number"))
        if bad.sum() > 5:
            problems.append(Problem("", "", str(it), f"... {int(bad.sum()) - 5} more non-numeric values"))
        out[it] = num.astype(float)
    if problems:
        raise ResponseDataError(problems)
    return pd.DataFrame(out, index=responses.index)


def _normalise_missing(missing: str) -> str:
    """``fiml`` in a spec means *psych pairwise* for correlation-based statistics (README)."""
    _check_choice("missing", missing, MISSING_OPTIONS)
    return "pairwise" if missing == "fiml" else missing


_RELIABILITY_MISSING = ("listwise", "fiml", "pairwise")


def _norm_missing(missing: str) -> str:
    """Reliability's reading of ``missing``: ``pairwise`` is an alias of ``fiml`` (module notes there)."""
    _check_choice("missing", missing, _RELIABILITY_MISSING)
    return "fiml" if missing == "pairwise" else missing


def _constant_items(X: pd.DataFrame) -> list[str]:
    sd = X.std(ddof=1)
    return [c for c in X.columns if not (sd[c] > 0)]


def _correlation(X: pd.DataFrame, missing: str) -> np.ndarray:
    """Pearson correlations: complete rows (listwise) or R's ``cor(use = "pairwise")``."""
    if missing == "listwise":
        X = X.dropna()
    # pandas' pairwise corr uses the pair's own means and SDs, exactly like R's pairwise.complete.obs
    return X.corr(min_periods=2).to_numpy(dtype=float)


def _usable_items(responses: pd.DataFrame, items: Sequence[str] | None, where: str
                  ) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The selected items without constant ones (psych drops them too), with a warning naming them."""
    X = _select_items(responses, items, where)
    warnings: list[str] = []
    const = _constant_items(X) if X.dropna(how="all").shape[0] >= 2 else []
    if const:
        warnings.append(f"items with no variance were left out: {const}")
        X = X.drop(columns=const)
    return X, const, warnings


def _is_singular(R: np.ndarray) -> bool:
    if not np.all(np.isfinite(R)):
        return True
    ev = np.linalg.eigvalsh(R)
    return bool(ev.min() <= 1e-10 * max(1.0, ev.max()))


def _smc(R: np.ndarray) -> np.ndarray:
    """psych::smc: 1 − 1/diag(R⁺) with a pseudo-inverse, clamped to [0, 1]."""
    smc = 1.0 - 1.0 / np.diag(np.linalg.pinv(R))
    return np.clip(smc, 0.0, 1.0)
