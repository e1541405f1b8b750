"""The tables of a study and how responses are laid into them and read back.

``study_meta`` (key, value): what the study was created with (instrument, its canonical columns).
``imports``: one row per ``coprod study add``, with its provenance; a correction is a new row whose
``supersedes`` names the import it replaces (no row is ever updated or deleted).
``responses``: the canonical table of every import, one column per canonical column, plus the
import id, the wave, the file row and the data-quality flags computed when the file was read.
Don't know is stored as the scale's code (99), as a canonical file keeps it.
``invited``: the number invited per municipality × sector (× wave), one row per upload line.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from coprod.analysis.responses import ResponseData, Schema
from coprod.analysis.responses.quality import FLAG_COLUMNS

from .backend import quote

__all__ = ["ddl", "IMPORT_COLUMNS", "INVITED_COLUMNS", "stored_frame", "response_data"]

#: bumped when a table changes; a study of another version is refused, never migrated in place
SCHEMA_VERSION = "1"

IMPORT_COLUMNS = {
    "import_id": "INTEGER PRIMARY KEY", "imported_at": "TEXT NOT NULL", "file_name": "TEXT NOT NULL",
    "sha256": "TEXT NOT NULL", "platform": "TEXT NOT NULL", "instrument_version": "TEXT",
    "bank_version": "TEXT NOT NULL", "municipality": "TEXT NOT NULL", "wave": "TEXT NOT NULL",
    "n_rows_file": "INTEGER NOT NULL", "n_read": "INTEGER NOT NULL", "n_stored": "INTEGER NOT NULL",
    "n_rejected": "INTEGER NOT NULL", "rejected_file": "TEXT", "supersedes": "INTEGER",
    "note": "TEXT", "source_json": "TEXT NOT NULL",
}
INVITED_COLUMNS = {
    "upload_id": "INTEGER NOT NULL", "uploaded_at": "TEXT NOT NULL", "file_name": "TEXT NOT NULL",
    "sha256": "TEXT NOT NULL", "municipality": "TEXT NOT NULL", "wave": "TEXT",
    "sector": "TEXT NOT NULL", "invited": "INTEGER NOT NULL",
}
#: columns of ``responses`` before the canonical ones
KEY_COLUMNS = {"import_id": "INTEGER NOT NULL", "wave": "TEXT NOT NULL", "file_row": "INTEGER NOT NULL"}
FLAG_PREFIX = "flag_"


def _create(table: str, columns: dict[str, str]) -> str:
    return f"CREATE TABLE {quote(table)} (" + ", ".join(f"{quote(c)} {t}" for c, t in columns.items()) + ")"


def response_columns(schema: Schema) -> dict[str, str]:
    cols = dict(KEY_COLUMNS)
    cols.update({FLAG_PREFIX + f: "BOOLEAN NOT NULL" for f in FLAG_COLUMNS})
    cols.update({c.name: ("TEXT" if c.dtype == "str" else "DOUBLE PRECISION") for c in schema.columns})
    return cols


def ddl(schema: Schema) -> list[str]:
    """The CREATE TABLE statements of a new study for the canonical columns of ``schema``."""
    return [
        _create("study_meta", {"key": "TEXT PRIMARY KEY", "value": "TEXT NOT NULL"}),
        _create("imports", IMPORT_COLUMNS),
        _create("responses", response_columns(schema)),
        _create("invited", INVITED_COLUMNS),
    ]


def stored_frame(data: ResponseData, schema: Schema, *, import_id: int, wave: str) -> pd.DataFrame:
    """The rows of ``data`` as the ``responses`` table holds them (don't know back to its code)."""
    t = data.table
    out = {"import_id": np.full(len(t), import_id, dtype=np.int64),
           "wave": np.full(len(t), wave, dtype=object),
           "file_row": np.asarray(t.index, dtype=np.int64)}
    flags = data.flags
    for f in FLAG_COLUMNS:
        out[FLAG_PREFIX + f] = (flags[f].to_numpy(dtype=bool) if flags is not None
                                else np.zeros(len(t), dtype=bool))
    for c in schema.columns:
        if c.dtype == "str":
            out[c.name] = np.asarray(t[c.name].astype(object).where(t[c.name].notna(), None), dtype=object)
        else:
            v = t[c.name].to_numpy(dtype=float, na_value=np.nan).copy()
            if c.coded and c.name in data.dont_know:
                v[data.dont_know[c.name].to_numpy(dtype=bool)] = c.scale.dont_know
            out[c.name] = v
    return pd.DataFrame(out)


def response_data(stored: pd.DataFrame, schema: Schema, source: dict) -> ResponseData:
    """The :class:`ResponseData` of rows read back from ``responses`` (in the order given): the
    canonical table as the reader made it, the don't-know mask and the flags of each import."""
    index = pd.RangeIndex(len(stored))
    table: dict[str, object] = {}
    dk: dict[str, np.ndarray] = {}
    for c in schema.columns:
        col = stored[c.name]
        if c.dtype == "str":
            vals = np.array(col.astype(object), dtype=object)
            vals[pd.isna(vals)] = None
            table[c.name] = pd.array(vals, dtype="str")
        else:
            v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan).copy()
            if c.coded:
                mask = v == c.scale.dont_know
                v[mask] = np.nan
                dk[c.name] = mask
            table[c.name] = v
    frame = pd.DataFrame(table, index=index)
    dont_know = pd.DataFrame({k: dk.get(k, np.zeros(len(stored), dtype=bool)) for k in schema.coded},
                             index=index)
    flags = pd.DataFrame({f: stored[FLAG_PREFIX + f].to_numpy(dtype=bool) for f in FLAG_COLUMNS},
                         index=index)
    return ResponseData(table=frame, dont_know=dont_know, source=source, flags=flags)
