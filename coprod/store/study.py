"""A study: a folder holding ``study.json`` and (by default) the DuckDB database of its imports.

::

    init_study("study", bank=bank)                       # study.json + study.duckdb
    init_study("study", db="postgresql://host/coprod")   # the tables on a team server
    with open_study("study") as st:
        st.imports()                                     # the provenance of every import
        data = st.responses(wave="2027")                 # ResponseData of the active imports

The study's rows are never updated or deleted: ``coprod study add --supersedes N`` stores a new
import and records that it replaces import N; the analysis reads the imports nobody supersedes.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from coprod import __version__
from coprod.analysis.responses import ResponseData, schema_for
from coprod.instrument.bank import as_bank
from coprod.instrument.model import Bank

from ._errors import StudyError
from .backend import Backend, connect, is_postgres_url, quote
from .tables import SCHEMA_VERSION, ddl, response_columns, response_data

__all__ = ["Study", "init_study", "open_study", "is_study", "STUDY_FILE"]

STUDY_FILE = "study.json"
DUCKDB_FILE = "study.duckdb"


def now_utc() -> str:
    """The time of an import, ISO 8601 in UTC to the second (the same text on every backend)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def is_study(path: Path) -> bool:
    """Whether ``path`` is a study folder (made by ``coprod study init``)."""
    path = Path(path)
    return path.is_dir() and (path / STUDY_FILE).is_file()


def _schema_name(folder: Path) -> str:
    """The PostgreSQL schema of a study: ``coprod_`` + the folder's name, as an identifier."""
    slug = re.sub(r"[^a-z0-9_]+", "_", folder.resolve().name.lower()).strip("_") or "study"
    return f"coprod_{slug}"[:63]


def init_study(folder: Path, *, db: str | None = None, bank: Bank | None = None) -> "Study":
    """Create a study in ``folder`` (made if missing; it must not hold a study already).

    Parameters
    ----------
    folder : Path
        The study folder: ``study.json`` (which database, which instrument) and, for DuckDB,
        ``study.duckdb``.
    db : str, optional
        ``None`` for a DuckDB file in the folder; ``postgresql://user@host/dbname`` for a
        PostgreSQL server (the study's tables go into a schema ``coprod_<folder name>``; give
        the password in ``PGPASSWORD`` or ``~/.pgpass``, not in the URL, which is stored).
    bank : Bank, optional
        The item bank the study's responses answer (the shipped one by default).

    Returns
    -------
    Study
        Open; close it (or use ``with``).

    Raises
    ------
    StudyError
        When ``folder`` is a study already, the server already holds that study's tables, or
        the database cannot be opened.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with init_study(pathlib.Path(tempfile.mkdtemp()) / "s") as st:
    ...     st.backend.name, len(st.imports())
    ('duckdb', 0)
    """
    folder = Path(folder)
    if (folder / STUDY_FILE).exists():
        raise StudyError(f"{folder}: is a study already (study.json exists); nothing was changed")
    if folder.exists() and not folder.is_dir():
        raise StudyError(f"{folder}: is a file, not a folder")
    if db is None:
        config = {"backend": "duckdb", "database": DUCKDB_FILE}
        if (folder / DUCKDB_FILE).exists():
            raise StudyError(f"{folder / DUCKDB_FILE}: exists already; nothing was changed")
    elif is_postgres_url(db):
        config = {"backend": "postgresql", "url": db, "schema": _schema_name(folder)}
    else:
        raise StudyError(f"--db {db!r}: give a postgresql://... URL (or no --db for a DuckDB file)")
    bank = as_bank(bank)
    schema = schema_for(bank)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        backend = connect(config, folder, create=True)
    except BaseException:
        if created:  # a failed init leaves nothing behind
            folder.rmdir()
        raise
    try:
        if "study_meta" in backend.tables():
            raise StudyError(f"{config.get('schema')}: the server holds this study's tables already; "
                             "nothing was changed")
        meta = {"schema_version": SCHEMA_VERSION, "created_at": now_utc(), "coprod_version": __version__,
                "instrument_id": bank.id, "instrument_version": bank.version,
                "columns": json.dumps(list(response_columns(schema)))}
        with backend.transaction():
            for stmt in ddl(schema):
                backend.execute(stmt)
            for k, v in meta.items():
                backend.execute("INSERT INTO study_meta (key, value) VALUES (?, ?)", (k, v))
    except BaseException:
        backend.close()
        if config["backend"] == "duckdb":
            (folder / DUCKDB_FILE).unlink(missing_ok=True)
        if created:
            folder.rmdir()
        raise
    (folder / STUDY_FILE).write_text(json.dumps({"format": "coprod-study", **config}, indent=1) + "\n",
                                     encoding="utf-8")
    return Study(folder, backend, config)


def open_study(folder: Path) -> "Study":
    """Open the study in ``folder``.

    Raises
    ------
    StudyError
        When ``folder`` is not a study (no ``study.json``), or its database cannot be opened or
        is of another store version.
    """
    folder = Path(folder)
    if not is_study(folder):
        raise StudyError(f"{folder}: not a study folder (no {STUDY_FILE}; create one with coprod study init)")
    try:
        config = json.loads((folder / STUDY_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StudyError(f"{folder / STUDY_FILE}: cannot be read ({exc})") from None
    backend = connect(config, folder)
    st = Study(folder, backend, config)
    version = st.meta().get("schema_version")
    if version != SCHEMA_VERSION:
        backend.close()
        raise StudyError(f"{folder}: a study store of version {version}; this coprod reads version "
                         f"{SCHEMA_VERSION}")
    return st


@dataclass
class Study:
    """An open study (see the module docs). Reading methods return DataFrames; the writing
    operations are :func:`coprod.store.add_export` and :func:`coprod.store.add_invited`."""

    folder: Path
    backend: Backend
    config: dict

    def __enter__(self) -> "Study":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.backend.close()

    @property
    def name(self) -> str:
        return Path(self.folder).name

    def meta(self) -> dict[str, str]:
        df = self.backend.query("SELECT key, value FROM study_meta")
        return dict(zip(df["key"], df["value"]))

    def check_bank(self, bank: Bank) -> None:
        """Refuse a bank other than the study's (its canonical columns are the table's)."""
        meta = self.meta()
        if (bank.id, bank.version) != (meta["instrument_id"], meta["instrument_version"]):
            raise StudyError(f"{self.folder}: the study holds responses to {meta['instrument_id']} "
                             f"version {meta['instrument_version']}, not {bank.id} version {bank.version}"
                             " (give the study's --bank)")

    def imports(self) -> pd.DataFrame:
        """Every import, oldest first, with ``superseded_by`` (the import replacing it, if any)."""
        df = self.backend.query("SELECT * FROM imports ORDER BY import_id")
        later = df.dropna(subset=["supersedes"])
        by = {int(s): int(i) for s, i in zip(later["supersedes"], later["import_id"])}
        df["superseded_by"] = pd.array([by.get(int(i)) for i in df["import_id"]], dtype="Int64")
        df["supersedes"] = pd.array(df["supersedes"], dtype="Int64")
        return df

    def active_imports(self, wave: str | None = None) -> pd.DataFrame:
        """The imports no later import supersedes (those analysed), optionally of one wave."""
        df = self.imports()
        df = df[df["superseded_by"].isna()]
        return df if wave is None else df[df["wave"] == str(wave)]

    def responses(self, *, wave: str | None = None, bank: Bank | None = None) -> ResponseData:
        """The canonical table of the active imports (of ``wave``), as the reader made it from
        each file: the table, the don't-know mask and the quality flags of each import.

        ``source`` describes the study: ``file`` (its folder name), ``sha256`` (of the active
        imports' hashes, so a new import changes it), ``platform`` ``"study"``, the imports.

        Raises
        ------
        StudyError
            When the study (or the wave) has no respondents.
        """
        bank = as_bank(bank)
        self.check_bank(bank)
        active = self.active_imports(wave)
        if active.empty:
            waves = sorted(set(self.active_imports()["wave"]))
            raise StudyError(f"{self.folder}: no respondents" + (
                f" in wave {wave} (waves: {', '.join(waves) or 'none'})" if wave is not None else
                " (add an export with coprod study add)"))
        ids = [int(i) for i in active["import_id"]]
        marks = ", ".join("?" for _ in ids)
        stored = self.backend.query(f"SELECT * FROM responses WHERE import_id IN ({marks}) "
                                    "ORDER BY import_id, file_row", ids)
        versions = sorted({v for v in active["instrument_version"].dropna()})
        digest = hashlib.sha256(",".join(active["sha256"]).encode()).hexdigest()
        source = {"file": self.name, "sha256": digest, "platform": "study",
                  "instrument_version": versions[0] if len(versions) == 1 else None,
                  "n_rows_file": int(active["n_rows_file"].sum()), "wave": wave,
                  "imports": [{"import_id": int(r.import_id), "file": r.file_name, "sha256": r.sha256,
                               "platform": r.platform, "municipality": r.municipality, "wave": r.wave,
                               "n_stored": int(r.n_stored)} for r in active.itertuples()]}
        return response_data(stored, schema_for(bank), source)

    def counts(self) -> pd.DataFrame:
        """Respondents of the active imports per municipality × wave × sector, with the number
        invited and the response rate where an invitation count was given."""
        ids = [int(i) for i in self.active_imports()["import_id"]]
        cols = ["municipality", "wave", "sector", "n", "invited", "response_rate"]
        if ids:
            marks = ", ".join("?" for _ in ids)
            n = self.backend.query(
                f"SELECT {quote('municipality')} AS municipality, wave, {quote('sector')} AS sector, "
                f"COUNT(*) AS n FROM responses WHERE import_id IN ({marks}) "
                "GROUP BY 1, 2, 3", ids)
        else:
            n = pd.DataFrame(columns=["municipality", "wave", "sector", "n"])
        n["n"] = n["n"].astype("int64")
        inv = self.invited()
        out = n.merge(inv, on=["municipality", "wave", "sector"], how="outer") if not inv.empty else n.assign(invited=pd.NA)
        out["n"] = out["n"].fillna(0).astype("int64")
        out["invited"] = pd.array(out["invited"], dtype="Int64")
        out["response_rate"] = (out["n"] / out["invited"].astype("Float64")).astype("Float64")
        return out[cols].sort_values(["municipality", "wave", "sector"], key=lambda s: s.astype(str)).reset_index(drop=True)

    def invited(self) -> pd.DataFrame:
        """The number invited per municipality × wave × sector: the latest upload of each key;
        a line without a wave applies to every wave that has respondents or is named elsewhere."""
        df = self.backend.query("SELECT upload_id, municipality, wave, sector, invited FROM invited "
                                "ORDER BY upload_id")
        if df.empty:
            return pd.DataFrame(columns=["municipality", "wave", "sector", "invited"])
        waves = sorted(set(self.active_imports()["wave"]) | set(df["wave"].dropna()))
        rows: dict[tuple, int] = {}
        for r in df.itertuples():
            for w in ([r.wave] if isinstance(r.wave, str) else waves):
                rows[(r.municipality, w, r.sector)] = int(r.invited)  # later uploads win
        return pd.DataFrame([(*k, v) for k, v in rows.items()],
                            columns=["municipality", "wave", "sector", "invited"])
