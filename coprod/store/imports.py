"""``coprod study add``: read an export, validate it and append it to a study with its provenance.

The export is read by :func:`coprod.responses.read_responses` (any supported platform, every
problem collected). With problems nothing is stored, unless ``keep_valid_rows``: then the rows
without a problem are stored and the rejected ones are written, with their problems, to
``STUDY/rejected/<import>-<file>.csv``. A file already imported (same SHA-256), or respondent ids
already stored for the municipality and wave, are refused; a correction names the import it
supersedes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from coprod.analysis.responses import ResponseData, schema_for
from coprod.instrument.bank import as_bank
from coprod.instrument.errors import ResponseDataError
from coprod.instrument.files import write_files
from coprod.instrument.model import Bank
from coprod.responses import read_responses

from ._errors import StudyError
from .backend import quote
from .study import Study, now_utc
from .tables import IMPORT_COLUMNS, stored_frame

__all__ = ["add_export", "ImportResult"]

#: ids listed in a refusal before "... and N more"
_SHOW = 10


@dataclass(frozen=True, slots=True)
class ImportResult:
    """One import as recorded: its provenance row and what was written besides."""

    record: dict[str, Any]
    warnings: tuple[str, ...] = ()
    rejected_file: Path | None = None

    @property
    def import_id(self) -> int:
        return int(self.record["import_id"])


def _label(text: str, what: str) -> str:
    text = str(text).strip()
    if not text:
        raise StudyError(f"--{what} is empty: name the {what} of the export")
    return text


def add_export(study: Study, path: Path, *, municipality: str, wave: str, platform: str = "auto",
               bank: Bank | None = None, codebook: Any = None, keep_valid_rows: bool = False,
               supersedes: int | None = None, note: str | None = None) -> ImportResult:
    """Validate an export and append it to ``study`` as one import (all of it or nothing).

    Parameters
    ----------
    study : Study
        Open (:func:`coprod.store.open_study`).
    path : Path
        A response export of any supported platform (see :func:`coprod.responses.read_responses`).
    municipality, wave : str
        Where and when it was fielded; the stored rows' ``municipality`` is this one (a warning
        says how many rows named another).
    platform : str
        ``"auto"`` (detected) or the platform that wrote the file.
    keep_valid_rows : bool
        Store the rows without a problem and write the rejected ones to ``STUDY/rejected/``
        (problems not tied to a row still refuse the file).
    supersedes : int, optional
        The import this one corrects: it stays stored but is no longer analysed, and its
        respondent ids may be imported again.

    Returns
    -------
    ImportResult

    Raises
    ------
    ResponseDataError
        When the export has problems (every one listed) and ``keep_valid_rows`` is not given, or
        problems that no row carries.
    StudyError
        When the same file was imported already, respondent ids are stored already for this
        municipality and wave, or ``supersedes`` names no active import.
    """
    municipality, wave = _label(municipality, "municipality"), _label(wave, "wave")
    bank = as_bank(bank)
    study.check_bank(bank)
    path = Path(path)
    imports = study.imports()
    _check_supersedes(imports, supersedes)
    data = read_responses(path, bank=bank, platform=platform, strict=False, codebook=codebook)
    digest = str(data.source["sha256"])  # of the file's bytes, as the reader hashed them
    _refuse_same_file(imports, path, digest)
    data, rejected = _split(data, keep_valid_rows)
    _refuse_stored_ids(study, data, municipality, wave, supersedes)
    warnings = [str(w) for w in data.warnings]
    other = data.table["municipality"].dropna()
    other = other[other != municipality]
    if len(other):
        names = ", ".join(sorted(set(other))[:5])
        warnings.append(f"{path.name}: {len(other)} row(s) name another municipality ({names}); "
                        f"stored as {municipality}")
    table = data.table.copy()
    table["municipality"] = pd.array([municipality] * len(table), dtype="str")
    data = ResponseData(table=table, dont_know=data.dont_know, source=data.source, problems=(),
                        warnings=data.warnings, flags=data.flags)
    schema = schema_for(bank)
    with study.backend.transaction():
        import_id = int(study.backend.scalar("SELECT COALESCE(MAX(import_id), 0) + 1 FROM imports"))
        rejected_file = None
        if rejected is not None:
            rejected_file = Path("rejected") / f"{import_id}-{path.stem}.csv"
        source = {k: v for k, v in dict(data.source).items() if k != "file"}
        record = {
            "import_id": import_id, "imported_at": now_utc(), "file_name": path.name, "sha256": digest,
            "platform": str(data.source.get("platform")),
            "instrument_version": data.source.get("instrument_version"), "bank_version": bank.version,
            "municipality": municipality, "wave": wave,
            "n_rows_file": int(data.source.get("n_rows_file") or 0),
            "n_read": int(len(data.table) + (0 if rejected is None else len(rejected))),
            "n_stored": int(len(data.table)), "n_rejected": 0 if rejected is None else int(len(rejected)),
            "rejected_file": None if rejected_file is None else rejected_file.as_posix(),
            "supersedes": supersedes, "note": note,
            "source_json": json.dumps(source, ensure_ascii=False, default=str),
        }
        study.backend.append("imports", pd.DataFrame([record], columns=list(IMPORT_COLUMNS)))
        study.backend.append("responses", stored_frame(data, schema, import_id=import_id, wave=wave))
        if rejected is not None:
            # written inside the transaction: if it fails, nothing is stored either
            write_files({Path(study.folder) / rejected_file: rejected.to_csv(index=False)})
    return ImportResult(record=record, warnings=tuple(warnings),
                        rejected_file=None if rejected_file is None else Path(study.folder) / rejected_file)


def _refuse_same_file(imports: pd.DataFrame, path: Path, digest: str) -> None:
    same = imports[imports["sha256"] == digest]
    if len(same):
        r = same.iloc[0]
        raise StudyError(f"{path}: this file was imported already (import {int(r.import_id)}, "
                         f"{r.file_name}, {r.municipality} wave {r.wave}, {r.imported_at}; same SHA-256 "
                         f"{digest[:12]}...); nothing was stored")


def _check_supersedes(imports: pd.DataFrame, supersedes: int | None) -> None:
    if supersedes is None:
        return
    row = imports[imports["import_id"] == supersedes]
    if row.empty:
        raise StudyError(f"--supersedes {supersedes}: there is no import {supersedes} "
                         "(coprod study list shows them)")
    later = row["superseded_by"].iloc[0]
    if not pd.isna(later):
        raise StudyError(f"--supersedes {supersedes}: import {supersedes} is superseded already "
                         f"(by import {int(later)}); supersede that one")


def _split(data: ResponseData, keep_valid_rows: bool) -> tuple[ResponseData, pd.DataFrame | None]:
    """The data to store, and the rejected rows (``None`` when every row is kept)."""
    if not data.problems:
        return data, None
    if not keep_valid_rows:
        raise ResponseDataError(data.problems)
    unplaced = [p for p in data.problems if p.row is None or p.row not in data.table.index]
    if unplaced:
        raise ResponseDataError(data.problems, message=(
            f"{len(unplaced)} problem(s) of the file are on no row, so no row can be kept:\n"
            + "\n".join(f"  - {p}" for p in unplaced) + "\nnothing was stored"))
    bad_rows = sorted({int(p.row) for p in data.problems})
    why: dict[int, list[str]] = {}
    for p in data.problems:
        why.setdefault(int(p.row), []).append(str(p))
    keep = ~data.table.index.isin(bad_rows)
    if not keep.any():
        raise ResponseDataError(data.problems, message=(
            f"every row of {data.source.get('file')} has a problem; nothing was stored"))
    rejected = data.table.loc[bad_rows].reset_index()
    rejected.insert(1, "problems", ["; ".join(why[r]) for r in bad_rows])
    flags = None if data.flags is None else data.flags.loc[keep]
    kept = ResponseData(table=data.table.loc[keep], dont_know=data.dont_know.loc[keep], source=data.source,
                        problems=(), warnings=data.warnings, flags=flags)
    return kept, rejected


def _refuse_stored_ids(study: Study, data: ResponseData, municipality: str, wave: str,
                       supersedes: int | None) -> None:
    """Respondent ids are unique per municipality and wave among the active imports."""
    active = study.active_imports(wave)
    active = active[(active["municipality"] == municipality) & (active["import_id"] != (supersedes or -1))]
    if active.empty:
        return
    ids = [int(i) for i in active["import_id"]]
    marks = ", ".join("?" for _ in ids)
    stored = study.backend.query(f"SELECT {quote('respondent_id')} AS rid, import_id FROM responses "
                                 f"WHERE import_id IN ({marks})", ids)
    seen = dict(zip(stored["rid"].astype(str), stored["import_id"]))
    dup = [str(r) for r in data.table["respondent_id"] if str(r) in seen]
    if dup:
        shown = ", ".join(f"{r!r} (import {int(seen[r])})" for r in dup[:_SHOW])
        more = f" and {len(dup) - _SHOW} more" if len(dup) > _SHOW else ""
        raise StudyError(
            f"{data.source.get('file')}: {len(dup)} respondent id(s) are stored already for "
            f"{municipality} wave {wave}: {shown}{more}; nothing was stored (a corrected export "
            "is added with --supersedes IMPORT)")
