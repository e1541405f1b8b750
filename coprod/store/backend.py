"""The two databases a study lives in, behind one small interface: DuckDB (a file in the study
folder, the default) and PostgreSQL (a team server).

Every statement the store runs is written once, in the SQL both understand, with ``?``
placeholders; the PostgreSQL backend turns them into psycopg's ``%s``. A backend executes
statements, appends a DataFrame to a table and returns a query as a DataFrame; a ``with``
block is one transaction (everything or nothing is written)::

    db = connect({"backend": "duckdb", "database": "study.duckdb"}, folder)
    with db.transaction():
        db.execute("INSERT INTO study_meta VALUES (?, ?)", ("k", "v"))
    db.query("SELECT * FROM study_meta")
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd

from ._errors import StudyError

__all__ = ["Backend", "connect", "quote", "is_postgres_url"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote(name: str) -> str:
    """A column or table name as an SQL identifier (item ids keep their case: ``"INS_C1"``)."""
    if not _IDENT.match(name):
        raise StudyError(f"{name!r} cannot be a column of the study store (letters, digits and _ only)")
    return f'"{name}"'


def is_postgres_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


def _cell(v: Any) -> Any:
    """A cell as the database driver takes it: missing as NULL, numpy scalars as Python ones."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


class Backend:
    """One open connection to a study's database."""

    name = ""

    def __init__(self, con: Any):
        self.con = con
        self._depth = 0

    # the SQL of a statement in this driver's parameter style
    def _sql(self, sql: str) -> str:
        return sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.con.execute(self._sql(sql), tuple(_cell(p) for p in params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        cur = self.con.execute(self._sql(sql), tuple(_cell(p) for p in params))
        cols = [d[0] for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=cols)

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        df = self.query(sql, params)
        return None if df.empty else _cell(df.iat[0, 0])

    def append(self, table: str, frame: pd.DataFrame) -> None:
        """Append ``frame``'s rows to ``table`` (columns by name)."""
        cols = ", ".join(quote(c) for c in frame.columns)
        marks = ", ".join("?" for _ in frame.columns)
        rows = [tuple(_cell(v) for v in row) for row in frame.itertuples(index=False, name=None)]
        if rows:
            self.con.executemany(self._sql(f"INSERT INTO {quote(table)} ({cols}) VALUES ({marks})"), rows)

    def tables(self) -> set[str]:
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator["Backend"]:
        """One transaction: committed at the end of the block, rolled back on any error."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self._begin()
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            self.con.rollback()
            raise
        self._depth = 0
        self.con.commit()

    def _begin(self) -> None:
        self.con.execute("BEGIN TRANSACTION")

    def close(self) -> None:
        self.con.close()


class DuckDBBackend(Backend):
    name = "duckdb"

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        # DuckDB hands a result to pandas column-wise, far faster than row tuples
        return self.con.execute(sql, tuple(_cell(p) for p in params)).df()

    def append(self, table: str, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        cols = ", ".join(quote(c) for c in frame.columns)
        self.con.register("_coprod_append", frame)
        try:
            self.con.execute(f"INSERT INTO {quote(table)} ({cols}) SELECT {cols} FROM _coprod_append")
        finally:
            self.con.unregister("_coprod_append")

    def tables(self) -> set[str]:
        return set(self.query("SELECT table_name FROM information_schema.tables "
                              "WHERE table_schema = current_schema()")["table_name"])


class PostgresBackend(Backend):
    name = "postgresql"

    def __init__(self, con: Any, schema: str):
        super().__init__(con)
        self.schema = schema

    def _sql(self, sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self.con.cursor() as cur:
            cur.execute(self._sql(sql), tuple(_cell(p) for p in params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        with self.con.cursor() as cur:
            cur.execute(self._sql(sql), tuple(_cell(p) for p in params))
            cols = [d[0] for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=cols)

    def append(self, table: str, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        cols = ", ".join(quote(c) for c in frame.columns)
        # COPY: one round trip for the whole export instead of one per row
        with self.con.cursor() as cur, cur.copy(f"COPY {quote(table)} ({cols}) FROM STDIN") as copy:
            for row in frame.itertuples(index=False, name=None):
                copy.write_row(tuple(_cell(v) for v in row))

    def _begin(self) -> None:
        pass  # psycopg opens a transaction with the first statement

    def tables(self) -> set[str]:
        return set(self.query("SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                              (self.schema,))["table_name"])


def connect(config: dict, folder: Path, *, create: bool = False) -> Backend:
    """Open the database a study's ``study.json`` names (``create``: at ``coprod study init``).

    Raises
    ------
    StudyError
        When the database cannot be opened (the reason named), or the PostgreSQL driver is not
        installed.
    """
    kind = config.get("backend")
    if kind == "duckdb":
        import duckdb  # deferred: only the backend a study uses is loaded

        path = Path(folder) / config["database"]
        if not create and not path.exists():
            raise StudyError(f"{folder}: the study's database {path.name} is missing")
        try:
            return DuckDBBackend(duckdb.connect(str(path)))
        except duckdb.Error as exc:
            raise StudyError(f"{path}: cannot open the study database ({exc})") from None
    if kind == "postgresql":
        try:
            import psycopg  # deferred: the optional extra coprod[postgresql]
        except ImportError:
            raise StudyError("a PostgreSQL study needs the psycopg driver: "
                             "pip install 'coprod[postgresql]'") from None
        schema = config["schema"]
        try:
            con = psycopg.connect(config["url"], autocommit=False)
        except psycopg.Error as exc:
            raise StudyError(f"cannot connect to {_redacted(config['url'])} ({' '.join(str(exc).split())})") from None
        with con.cursor() as cur:
            if create:
                cur.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
            cur.execute(f"SET search_path TO {quote(schema)}")
        con.commit()
        return PostgresBackend(con, schema)
    raise StudyError(f"{folder}: study.json names an unknown backend {kind!r} (duckdb or postgresql)")


def _redacted(url: str) -> str:
    """The URL without its password (never printed)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
