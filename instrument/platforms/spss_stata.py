"""SPSS ``.sav`` and Stata ``.dta`` files: the canonical table with numeric codes and value labels
(don't know = 99 a user-missing value in SPSS), read back through pyreadstat.

They are read as the canonical platform (:data:`.tabular.PLATFORM`): only the container differs.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UnreadableFileError
from ..model import Bank
from ._guard import in_child
from ._limits import DEFAULT_LIMITS, Limits, check_shape
from .base import RawTable
from .schema import VERSION, schema_for

__all__ = ["read_spss", "read_stata", "read_readstat", "write_sav", "write_dta"]


def _from_readstat(path: Path, digest: str, kind: str, limits: Limits = DEFAULT_LIMITS) -> RawTable:
    # in a child process: pyreadstat's C reader can crash on a damaged file (issue 12, item 3)
    df, labels, encoding = in_child(read_readstat, path, kind, limits, kind == "sav", name=path.name)
    header = [str(c) for c in df.columns]
    df.columns = range(df.shape[1])
    return RawTable(path.name, df, header, np.arange(1, len(df) + 1), kind, digest,
                    encoding=encoding, value_labels=labels)


def read_readstat(path: Path, kind: str, limits: Limits = DEFAULT_LIMITS, user_missing: bool = False,
                  name: str | None = None) -> tuple[pd.DataFrame, dict, str | None]:
    """``(frame, value labels, encoding)`` of a ``.sav`` (``user_missing``: user-missing codes
    kept as values) or ``.dta`` file; its size is checked against ``limits`` from the header
    before the data are read (messages name the file ``name``, its file name by default). Runs
    pyreadstat in this process: call it through :func:`._guard.in_child`."""
    name = path.name if name is None else name
    import pyreadstat  # deferred: only for SPSS/Stata files

    reader = pyreadstat.read_sav if kind == "sav" else pyreadstat.read_dta
    options = {"user_missing": True} if user_missing else {}
    _, meta = reader(str(path), metadataonly=True, **options)
    rows = meta.number_rows if meta.number_rows is not None and meta.number_rows >= 0 else 0
    check_shape(name, rows, meta.number_columns or 0, limits)
    df, meta = reader(str(path), **options)
    check_shape(name, len(df), df.shape[1], limits)
    labels = {str(k): dict(v) for k, v in (meta.variable_value_labels or {}).items()}
    return df, labels, getattr(meta, "file_encoding", None)


def read_spss(path: Path, digest: str, limits: Limits = DEFAULT_LIMITS) -> RawTable:
    """An SPSS ``.sav`` file; user-missing codes (don't know = 99) are kept as values."""
    return _from_readstat(path, digest, "sav", limits)


def read_stata(path: Path, digest: str, limits: Limits = DEFAULT_LIMITS) -> RawTable:
    """A Stata ``.dta`` file."""
    return _from_readstat(path, digest, "dta", limits)


def _canonical_for_stats(table: pd.DataFrame, bank: Bank):
    """Numeric codes + value labels for SPSS/Stata (choices stored as the bank's codes)."""
    schema = schema_for(bank)
    data: dict[str, Any] = {}
    value_labels: dict[str, dict] = {}
    col_labels: list[str] = []
    missing: dict[str, list] = {}
    for c in schema.columns:
        s = table[c.name]
        if c.kind == "select_one":
            codes = {ch.name: ch.code for ch in c.choices}
            data[c.name] = s.map(codes).astype(float)
            value_labels[c.name] = {float(ch.code): ch.label.get("en", ch.name) for ch in c.choices}
        elif c.coded:
            data[c.name] = s.to_numpy(dtype=float, na_value=np.nan)
            vl = {float(p.code): p.label.get("en", str(p.code)) for p in c.scale.points}
            vl[float(c.scale.dont_know)] = c.scale.dont_know_label.get("en", "Don't know")
            value_labels[c.name] = vl
            missing[c.name] = [float(c.scale.dont_know)]
        elif c.kind in ("integer", "duration"):
            data[c.name] = s.to_numpy(dtype=float, na_value=np.nan)
        else:
            data[c.name] = s.to_numpy(dtype=object, na_value=None)
            data[c.name] = np.array(["" if x is None else str(x) for x in data[c.name]], dtype=object)
        col_labels.append(c.name)
    df = pd.DataFrame(data)
    df[VERSION] = bank.version
    return df, value_labels, missing


def write_sav(table: pd.DataFrame, bank: Bank, path: Path) -> None:
    import pyreadstat  # deferred: only for SPSS/Stata files

    df, vl, missing = _canonical_for_stats(table, bank)
    pyreadstat.write_sav(df, str(path), variable_value_labels=vl, missing_ranges=missing,
                         file_label=f"{bank.id} {bank.version}")


def write_dta(table: pd.DataFrame, bank: Bank, path: Path) -> None:
    import pyreadstat  # deferred: only for SPSS/Stata files

    df, vl, _ = _canonical_for_stats(table, bank)
    vl = {k: {int(c): lab for c, lab in v.items()} for k, v in vl.items()}
    pyreadstat.write_dta(df, str(path), variable_value_labels=vl, version=15,
                         file_label=f"{bank.id} {bank.version}"[:80])
