"""Write a canonical table in a platform's own response-export format (for the simulator).

Every format the readers accept can be written, so each reader is tested by a round trip:
``canonical`` CSV, XLSX, SPSS ``.sav`` and Stata ``.dta`` (with value labels), KoboToolbox CSV
(``;``-separated, every field quoted, "XML values and headers" or labels), LimeSurvey CSV (UTF-8
with BOM, answer codes), REDCap raw CSV, and Qualtrics CSV (three header rows, plus two preview
responses the reader must drop). Files are written atomically (temporary file + ``os.replace``).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from coprod.instrument import naming
from coprod.instrument.generator import build_questionnaire
from coprod.instrument.model import Bank

from .canonical import DURATION, ID, VERSION, schema_for
from .platforms import Field, Platform, platform_for

__all__ = ["write_simulated", "FORMATS", "export_frame"]

FORMATS = ("csv", "xlsx", "sav", "dta", "kobo", "limesurvey", "redcap", "qualtrics")
_T0 = np.datetime64("2025-03-03T08:00:00")
_TZ = "+01:00"


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    from coprod.instrument.files import write_with

    return write_with(path, write)


def _text(path: Path, text: str, *, bom: bool = False) -> None:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        f.write(text)


def _csv(rows: list[list[Any]], *, delimiter: str = ",", quote_all: bool = False) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n",
                   quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    w.writerows(rows)
    return buf.getvalue()


def _cells(values: pd.Series) -> np.ndarray:
    """Canonical values -> strings for a file ('' for missing, whole numbers without '.0')."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        x = values.to_numpy(dtype=float, na_value=np.nan)
        nan = np.isnan(x)
        whole = nan | (x == np.floor(x))
        if whole.all():
            out = np.where(nan, 0, x).astype(np.int64).astype(str).astype(object)
        else:
            out = np.array([repr(float(v)) for v in x], dtype=object)
        out[nan] = ""
        return out
    v = values.to_numpy(dtype=object, na_value=None)
    return np.array(["" if x is None else str(x) for x in v], dtype=object)


def _field_values(table: pd.DataFrame, f: Field, sector: np.ndarray,
                  label_of: Callable[[Field, Any], str] | None = None) -> np.ndarray:
    """The stored values of field ``f`` for every respondent ('' where not asked/answered)."""
    src = table[f.target]
    asked = np.isin(sector, list(f.sectors))
    kind = f.codebook.kind
    if kind in ("integer", "text"):
        out = _cells(src)
    else:
        mapping = {k: (label_of(f, k) if label_of is not None else str(v)) for k, v in f.store.items()}
        if kind == "scale":
            mapping = {float(k): v for k, v in mapping.items()}
            src = pd.Series(src.to_numpy(dtype=float, na_value=np.nan), index=src.index)
        out = src.map(mapping).to_numpy(dtype=object, na_value="")
    return np.where(asked, out, "").astype(object)


def _labeller(bank: Bank, lang: str) -> Callable[[Field, Any], str]:
    schema = schema_for(bank)
    consent = bank.consent

    def label(f: Field, x: Any) -> str:
        col = schema.by_name.get(f.target)
        if f.codebook.kind == "scale":
            sc = col.scale if col is not None else None
            if sc is None:
                return str(x)
            if x == sc.dont_know:
                return sc.dont_know_label.get(lang, str(x))
            return next((p.label.get(lang, str(x)) for p in sc.points if p.code == x), str(x))
        choices = col.choices if col is not None else consent.choices
        return next((c.label.get(lang, c.name) for c in choices if c.name == x), str(x))

    return label


def _times(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic start/end times (30 days of fieldwork) from the row order and durations."""
    n = len(table)
    offs = (np.arange(n) * (30 * 86400 / max(n, 1))).astype("int64")
    start = _T0 + offs.astype("timedelta64[s]")
    dur = table[DURATION].to_numpy(dtype=float, na_value=np.nan) if DURATION in table else np.full(n, np.nan)
    has = ~np.isnan(dur)
    end = start + np.where(has, dur, 600).astype("int64").astype("timedelta64[s]")
    return start, end, has


def _iso(t: np.ndarray, fmt: str = "iso") -> np.ndarray:
    s = np.datetime_as_string(t, unit="s")
    if fmt == "iso":
        return np.char.add(np.char.add(s.astype(str), ".000"), _TZ).astype(object)
    return np.char.replace(s.astype(str), "T", " ").astype(object)


def export_frame(table: pd.DataFrame, platform: Platform, bank: Bank, *,
                 labels: str | None = None) -> pd.DataFrame:
    """The question columns of ``platform`` for ``table`` (strings; '' = empty cell)."""
    sector = table["sector"].to_numpy(dtype=object, na_value=None)
    label_of = _labeller(bank, labels) if labels else None
    cols: dict[str, np.ndarray] = {}
    if platform.consent is not None:
        cols[platform.consent.column] = _consent(table, platform.consent, label_of)
    for f in platform.fields:
        cols[f.column] = _field_values(table, f, sector, label_of)
    return pd.DataFrame(cols, index=table.index)


def _consent(table: pd.DataFrame, f: Field, label_of) -> np.ndarray:
    yes = "yes"
    v = label_of(f, yes) if label_of is not None else str(f.store.get(yes, yes))
    return np.full(len(table), v, dtype=object)


def _rid(seed_text: str) -> str:
    h = hashlib.sha256(seed_text.encode()).digest()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    num = int.from_bytes(h[:12], "big")
    out = []
    for _ in range(15):
        num, r = divmod(num, 62)
        out.append(alphabet[r])
    return "R_" + "".join(out)


# ------------------------------------------------------------------------------- writers
def _write_canonical_csv(table: pd.DataFrame, bank: Bank, path: Path) -> None:
    schema = schema_for(bank)
    df = pd.DataFrame({c: _cells(table[c]) for c in schema.names})
    df[VERSION] = bank.version
    _text(path, df.to_csv(index=False, lineterminator="\n"))


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


def _write_sav(table: pd.DataFrame, bank: Bank, path: Path) -> None:
    import pyreadstat

    df, vl, missing = _canonical_for_stats(table, bank)
    pyreadstat.write_sav(df, str(path), variable_value_labels=vl, missing_ranges=missing,
                         file_label=f"{bank.id} {bank.version}")


def _write_dta(table: pd.DataFrame, bank: Bank, path: Path) -> None:
    import pyreadstat

    df, vl, _ = _canonical_for_stats(table, bank)
    vl = {k: {int(c): lab for c, lab in v.items()} for k, v in vl.items()}
    pyreadstat.write_dta(df, str(path), variable_value_labels=vl, version=15,
                         file_label=f"{bank.id} {bank.version}"[:80])


def _write_xlsx(table: pd.DataFrame, bank: Bank, path: Path) -> None:
    import openpyxl

    schema = schema_for(bank)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("responses")
    ws.append(schema.names + [VERSION])
    cols = [table[c].to_numpy(dtype=object, na_value=None) for c in schema.names]
    for i in range(len(table)):
        row = []
        for c in cols:
            x = c[i]
            if isinstance(x, (float, np.floating)):
                x = None if np.isnan(x) else (int(x) if float(x).is_integer() else float(x))
            elif isinstance(x, np.integer):
                x = int(x)
            row.append(x)
        ws.append(row + [bank.version])
    wb.save(str(path))


def _write_kobo(table: pd.DataFrame, bank: Bank, path: Path, *, labels: str | None = None,
                groups: bool = False, codebook: dict | None = None) -> None:
    plat = platform_for(bank, "kobo", codebook)
    q = export_frame(table, plat, bank, labels=labels)
    # the combined form's helper calculates (partner noun per language) follow the sector answer
    sector = table["sector"].to_numpy(dtype=object, na_value=None)
    at = list(q.columns).index("sector") + 1
    for k, helper in enumerate(sorted(h for h in plat.system if h.startswith("partner_"))):
        lang = helper.rsplit("_", 1)[-1]
        nouns = {s: bank.partner[s].get(lang, "") for s in bank.partner}
        vals = np.array([nouns.get(x, "") for x in sector], dtype=object)
        if "_cap_" in helper:
            vals = np.array([v[:1].upper() + v[1:] for v in vals], dtype=object)
        q.insert(at + k, helper, vals)
    if groups:
        group_of = {naming.xlsform_item(r.id, b.sector): naming.xlsform_block(b.construct.id, b.sector)
                    for b in build_questionnaire(bank).blocks for r in b.rows}
        q.columns = [f"{group_of[c]}/{c}" if c in group_of else f"context/{c}" for c in q.columns]
    start, end, has = _times(table)
    n = len(table)
    head = pd.DataFrame({"start": np.where(has, _iso(start), ""), "end": np.where(has, _iso(end), "")},
                        index=table.index)
    ids = table[ID].astype(str).to_numpy()
    tail = pd.DataFrame({
        plat.version_column: bank.version,
        "_id": ids,
        "_uuid": [str(uuid.uuid5(uuid.NAMESPACE_URL, f"coprod:{i}")) for i in ids],
        "_submission_time": np.datetime_as_string(end - np.timedelta64(1, "h"), unit="s"),
        "_validation_status": "", "_notes": "", "_status": "submitted_via_web",
        "_submitted_by": "", "__version__": "vH7sWk3JqZp2", "_tags": "",
        "_index": np.arange(1, n + 1).astype(str),
    }, index=table.index)
    df = pd.concat([head, q, tail], axis=1)
    rows = [list(df.columns)] + df.to_numpy(dtype=object).tolist()
    _text(path, _csv(rows, delimiter=";", quote_all=True))


def _write_limesurvey(table: pd.DataFrame, bank: Bank, path: Path, *,
                      codebook: dict | None = None) -> None:
    plat = platform_for(bank, "limesurvey", codebook)
    q = export_frame(table, plat, bank)
    # LimeSurvey writes N/A for a question shown but not answered, '' for one not shown
    sector = table["sector"].to_numpy(dtype=object, na_value=None)
    for f in plat.fields:
        asked = np.isin(sector, list(f.sectors))
        col = q[f.column].to_numpy(dtype=object)
        q[f.column] = np.where(asked & (col == ""), "N/A", col)
    start, end, has = _times(table)
    n = len(table)
    lang = np.where(np.arange(n) % 5 == 0, "en", "da")
    rng = np.random.default_rng(0)
    head = pd.DataFrame({
        "id": table[ID].astype(str).to_numpy(), "submitdate": _iso(end, "plain"),
        "lastpage": str(len(build_questionnaire(bank).blocks_for("municipal")) + 2),
        "startlanguage": lang, "seed": rng.integers(10 ** 8, 10 ** 9, size=n).astype(str),
        "startdate": np.where(has, _iso(start, "plain"), ""), "datestamp": _iso(end, "plain"),
    }, index=table.index)
    df = pd.concat([head, q], axis=1)
    df[plat.version_column] = bank.version
    rows = [list(df.columns)] + df.to_numpy(dtype=object).tolist()
    _text(path, _csv(rows, quote_all=True), bom=True)


def _write_redcap(table: pd.DataFrame, bank: Bank, path: Path, *,
                  codebook: dict | None = None) -> None:
    plat = platform_for(bank, "redcap", codebook)
    q = export_frame(table, plat, bank)
    _, end, _ = _times(table)
    df = pd.concat([pd.DataFrame({"record_id": table[ID].astype(str).to_numpy(),
                                  "redcap_survey_identifier": ""}, index=table.index), q], axis=1)
    df[plat.version_column] = bank.version
    df["survey_timestamp"] = _iso(end, "plain")
    df["survey_complete"] = "2"
    rows = [list(df.columns)] + df.to_numpy(dtype=object).tolist()
    _text(path, _csv(rows))


_QUALTRICS_TEXT = {"StartDate": "Start Date", "EndDate": "End Date", "Status": "Response Type",
                   "IPAddress": "IP Address", "Progress": "Progress",
                   "Duration (in seconds)": "Duration (in seconds)", "Finished": "Finished",
                   "RecordedDate": "Recorded Date", "ResponseId": "Response ID",
                   "RecipientLastName": "Recipient Last Name",
                   "RecipientFirstName": "Recipient First Name", "RecipientEmail": "Recipient Email",
                   "ExternalReference": "External Data Reference",
                   "LocationLatitude": "Location Latitude", "LocationLongitude": "Location Longitude",
                   "DistributionChannel": "Distribution Channel", "UserLanguage": "User Language"}
_QUALTRICS_IMPORT = {"StartDate": "startDate", "EndDate": "endDate", "Status": "status",
                     "IPAddress": "ipAddress", "Progress": "progress",
                     "Duration (in seconds)": "duration", "Finished": "finished",
                     "RecordedDate": "recordedDate", "ResponseId": "_recordId",
                     "RecipientLastName": "recipientLastName",
                     "RecipientFirstName": "recipientFirstName", "RecipientEmail": "recipientEmail",
                     "ExternalReference": "externalDataReference",
                     "LocationLatitude": "locationLatitude", "LocationLongitude": "locationLongitude",
                     "DistributionChannel": "distributionChannel", "UserLanguage": "userLanguage"}


def _write_qualtrics(table: pd.DataFrame, bank: Bank, path: Path, *, previews: int = 2,
                     codebook: dict | None = None) -> None:
    plat = platform_for(bank, "qualtrics", codebook)
    if previews:
        table = pd.concat([table.iloc[:previews].assign(**{ID: [f"preview{k}" for k in range(previews)]}),
                           table], ignore_index=True)
    q = export_frame(table, plat, bank)
    n = len(table)
    start, end, has = _times(table)
    dur = table[DURATION].to_numpy(dtype=float, na_value=np.nan)
    rng = np.random.default_rng(1)
    status = np.array(["Survey Preview"] * previews + ["IP Address"] * (n - previews), dtype=object)
    head = pd.DataFrame({
        "StartDate": _iso(start, "plain"), "EndDate": _iso(end, "plain"), "Status": status,
        "IPAddress": np.where(status == "IP Address",
                              [f"192.0.2.{x}" for x in rng.integers(1, 255, size=n)], ""),
        "Progress": "100", "Duration (in seconds)": np.where(has, _cells(pd.Series(dur)), ""),
        "Finished": "1", "RecordedDate": _iso(end, "plain"),
        "ResponseId": [_rid(f"{bank.id}:{i}") for i in table[ID].astype(str)],
        "RecipientLastName": "", "RecipientFirstName": "", "RecipientEmail": "",
        "ExternalReference": "", "LocationLatitude": "", "LocationLongitude": "",
        "DistributionChannel": np.where(status == "IP Address", "anonymous", "preview"),
        "UserLanguage": np.where(np.arange(n) % 5 == 0, "EN", "DA"),
    }, index=table.index)
    df = pd.concat([head, q], axis=1)
    df[plat.version_column] = bank.version
    # row 2 (question text) and row 3 (ImportId) as Qualtrics writes them
    from .platforms import _default_cb

    cb = codebook if codebook is not None else _default_cb(bank)
    texts, imports = [], []
    qid: dict[str, str] = {}
    text_of: dict[str, tuple[str, str]] = {}
    for k, ctx in enumerate(cb["context"], 1):
        text_of[ctx["columns"]["qualtrics"]] = (ctx["label"].get("en", ctx["id"]), f"QID{k}")
    instruction = {(con.id, s): bank.fill(con.instruction.get("en", ""), s, "en")
                   for con in bank.constructs.values() for s in con.sectors}
    for entry in (*cb["items"], cb["attention"]):
        con = entry.get("construct", entry.get("block"))
        for sector, col in entry["columns"]["qualtrics"].items():
            tag, _, pos = col.rpartition("_")
            qid.setdefault(tag, f"QID{len(qid) + 100}")
            text = instruction.get((con, sector), "") + " - " + entry["text_by_sector"][sector].get("en", "")
            text_of[col] = (text, f"{qid[tag]}_{pos}")
    for c in df.columns:
        if c in _QUALTRICS_TEXT:
            texts.append(_QUALTRICS_TEXT[c])
            imp = {"ImportId": _QUALTRICS_IMPORT[c]}
            if c in ("StartDate", "EndDate", "RecordedDate"):
                imp["timeZone"] = "Europe/Copenhagen"
            imports.append(json.dumps(imp))
        elif c == plat.version_column:
            texts.append(c)
            imports.append(json.dumps({"ImportId": c}))
        else:
            t, i = text_of.get(c, (c, c))
            texts.append(t)
            imports.append(json.dumps({"ImportId": i}))
    rows = [list(df.columns), texts, imports] + df.to_numpy(dtype=object).tolist()
    _text(path, _csv(rows, quote_all=True), bom=True)


def write_simulated(table: pd.DataFrame, path, fmt: str = "csv", *, bank: Bank | None = None,
                    labels: str | None = None, groups: bool = False,
                    codebook: dict | None = None) -> Path:
    """Write a canonical table (e.g. :func:`simulate` output) as ``fmt``, atomically.

    Parameters
    ----------
    table : DataFrame
        Canonical table with don't know coded (99), as :func:`simulate` returns it.
    path : str or Path
        Output file; written via a temporary file in the same folder and ``os.replace``.
    fmt : str
        ``csv`` (the canonical table), ``xlsx``, ``sav``, ``dta``, ``kobo``, ``limesurvey``,
        ``redcap`` or ``qualtrics``.
    bank : Bank, optional
        :func:`instrument.load_bank` by default.
    labels : {"en", "da"}, optional
        Kobo only: write choice labels in this language instead of XML values.
    groups : bool
        Kobo only: headers with group prefixes (``INS_m/INS_C1_m``).
    codebook : dict, optional
        Platform formats: the codebook of the form as fielded (built with ``--sector`` or
        ``--seed``); the combined form in bank order by default.

    Returns
    -------
    Path
        The file written.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (allowed: {', '.join(FORMATS)})")
    if bank is None:
        from coprod.instrument.bank import load_bank
        bank = load_bank()
    missing = [c for c in schema_for(bank).names if c not in table.columns]
    if missing:
        raise ValueError("the table is not a canonical table of this bank; missing columns: "
                         + ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else ""))
    writers: dict[str, Callable[[Path], None]] = {
        "csv": lambda p: _write_canonical_csv(table, bank, p),
        "xlsx": lambda p: _write_xlsx(table, bank, p),
        "sav": lambda p: _write_sav(table, bank, p),
        "dta": lambda p: _write_dta(table, bank, p),
        "kobo": lambda p: _write_kobo(table, bank, p, labels=labels, groups=groups,
                                      codebook=codebook),
        "limesurvey": lambda p: _write_limesurvey(table, bank, p, codebook=codebook),
        "redcap": lambda p: _write_redcap(table, bank, p, codebook=codebook),
        "qualtrics": lambda p: _write_qualtrics(table, bank, p, codebook=codebook),
    }
    return _atomic(Path(path), writers[fmt])
