"""Residual correlations of a fitted model: where the model misses the data (modification hints).

lavaan's ``residuals(fit, type = "cor")`` (Bollen's definition): the observed correlation matrix
minus the model-implied one rescaled to a correlation matrix, ``cor(S) - cov2cor(Σ)``. Large
absolute residuals (|r| > .10 is the usual rule of thumb) point to a missing cross-loading or
residual covariance.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["residual_correlations", "largest_residuals"]


def residual_correlations(data: pd.DataFrame, implied: pd.DataFrame) -> pd.DataFrame:
    """``cor(S) - cov2cor(Σ)`` over the observed variables of ``implied`` (complete rows of ``data``).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4.0], "b": [2, 1, 4, 3.0]})
    >>> sigma = pd.DataFrame([[1.0, 0.0], [0.0, 1.0]], index=["a", "b"], columns=["a", "b"])
    >>> round(float(residual_correlations(d, sigma).loc["a", "b"]), 3)
    0.6
    """
    cols = list(implied.columns)
    x = data[cols].apply(pd.to_numeric, errors="coerce").dropna().to_numpy(float)
    r_obs = np.corrcoef(x, rowvar=False)
    s = implied.to_numpy(float)
    d = np.sqrt(np.diag(s))
    r_imp = s / np.outer(d, d)
    return pd.DataFrame(r_obs - r_imp, index=cols, columns=cols)


def largest_residuals(resid: pd.DataFrame, *, top: int = 10, threshold: float = 0.10) -> list[dict]:
    """The ``top`` largest absolute off-diagonal residual correlations, largest first."""
    cols = list(resid.columns)
    rows = [{"lhs": cols[i], "rhs": cols[j], "residual_cor": float(resid.iat[i, j]),
             "large": bool(abs(resid.iat[i, j]) > threshold)}
            for i in range(len(cols)) for j in range(i)]
    rows.sort(key=lambda r: -abs(r["residual_cor"]))
    return rows[:top]
