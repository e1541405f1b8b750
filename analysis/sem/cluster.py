"""The cluster column of lavaan's ``cluster =`` (single-level models), aligned with an engine's rows.

An :class:`~analysis.sem.engine.Engine` keeps, per group, the rows it uses (groups with a label,
then complete rows, or rows with any observed value under FIML). The cluster label of each of
those rows is what the cluster-robust sandwich sums scores over
(:func:`analysis.sem.robust.robust_terms`).

Examples
--------
>>> import pandas as pd
>>> from coprod.analysis.sem.engine import Engine
>>> df = pd.DataFrame({"x1": [1., 2, 3, 4], "x2": [2., 1, 4, 3], "x3": [1., 3, 2, None],
...                    "m": ["a", "a", "b", "b"]})
>>> cluster_labels(Engine(df, "f =~ x1 + x2 + x3"), df, "m")
(array(['a', 'a', 'b'], dtype=object),)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from coprod.analysis.errors import ModelSpecError

__all__ = ["cluster_labels"]


def cluster_labels(engine, data: pd.DataFrame, cluster: str) -> tuple[np.ndarray, ...]:
    """Per group, the value of ``cluster`` in each row the engine uses (same order as ``engine.x``)."""
    if cluster not in data.columns:
        raise ModelSpecError(f"cluster column '{cluster}' is not in the data")
    if cluster in engine.model.ov:
        raise ModelSpecError(f"cluster column '{cluster}' is a variable of the model")
    if engine.group_col is not None:
        data = data.loc[data[engine.group_col].notna().to_numpy()]
    x = engine._numeric(data[engine.model.ov])
    if engine.fiml:
        ok = ~np.all(np.isnan(x), axis=1)
        if engine.x_index:
            ok &= ~np.any(np.isnan(x[:, engine.x_index]), axis=1)
    else:
        ok = ~np.any(np.isnan(x), axis=1)
    lab = data[cluster].to_numpy(dtype=object)
    missing = pd.isna(data[cluster]).to_numpy() & ok
    if missing.any():
        raise ModelSpecError(f"cluster column '{cluster}' is empty in {int(missing.sum())} row(s) used by "
                             "the model; give every respondent a cluster or drop those rows")
    if engine.group_col is None:
        out = (lab[ok],)
    else:
        gcol = data[engine.group_col].to_numpy()
        out = tuple(lab[ok & (gcol == g)] for g in engine.groups)
    for g, (labels, xg) in enumerate(zip(out, engine.x)):
        if len(labels) != len(xg):  # the engine's row selection changed: refuse rather than misalign
            raise RuntimeError("cluster labels do not line up with the engine's rows")
        if len(set(labels)) < 2:
            where = f" in group {engine.groups[g]!r}" if engine.group_col else ""
            raise ModelSpecError(f"cluster column '{cluster}' has fewer than 2 clusters{where}: "
                                 "cluster-robust standard errors need at least 2")
    return out
