"""Per-group statistics behind ``coprod compare``: kept as the import path of
:func:`compare_groups` (defined in :mod:`coprod.analysis.run.compare`).
"""
from __future__ import annotations

from .run.compare import GROUPINGS, MIN_GROUP_FOR_MODEL, ComparisonResult, compare_groups

__all__ = ["compare_groups", "ComparisonResult", "GROUPINGS", "MIN_GROUP_FOR_MODEL"]
