"""Helpers shared by the result dataclasses: JSON-safe conversion.

Every public result is a ``@dataclass(frozen=True, slots=True)`` with ``to_dict()`` (JSON-safe:
numpy scalars become Python numbers, NaN and inf become ``None``) and ``to_frame()``.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["jsonable"]


def jsonable(obj: Any) -> Any:
    """Convert ``obj`` recursively to plain JSON types; NaN/inf become ``None``; full precision kept."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else None
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, pd.DataFrame):
        return [jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if hasattr(obj, "to_dict"):
        return jsonable(obj.to_dict())
    if obj is pd.NA or obj is pd.NaT:
        return None
    return str(obj)
