"""Qualtrics Advanced Format TXT (``.txt``), one language per file.

Blocks: ``consent``, ``context``, then one block per construct and sector (``INS_m``) holding
one Matrix question ``[[ID:INS_m]]`` whose rows are the items in the order asked; its response
columns are ``INS_m_1`` .. ``INS_m_n`` by row position. Recodes are positional (``1..n`` in the
order shown, don't know last, so 8 on a 7-point scale): the codebook records the mapping back to
the bank's codes. The instrument version (and, in a sector-specific form, the sector) are set as
embedded data with ``[[ED:name:value]]``.

The format carries no display or skip logic and no translations: sector routing, the consent
branch and forced responses have to be added in the Qualtrics editor after import (the
returned warnings say exactly what to add).

The response export (CSV with three header rows: names, question texts, ImportIds) is described
by :data:`PLATFORM`: previews, tests and spam are marked in ``Status``, partial responses by
``Finished = 0``, and the second header row is kept so that matrix columns can be checked
against their item texts. :func:`write_simulated` writes one for the simulator.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .. import naming
from ..formats import ExportResult
from ..generator import ContextField, Questionnaire, build_questionnaire
from ..model import Bank, Scale
from ._export import cells, csv_text, export_frame, iso, text_file, times
from .base import Completion, HeaderRows, HeaderTexts, Platform, from_codebook, norm_text
from .schema import DURATION, ID

__all__ = ["to_qualtrics", "limitations", "scale_recode", "choice_recode", "sector_recode",
           "question_ids", "import_ids", "PLATFORM", "QUALTRICS_SYSTEM", "NOT_RESPONSES", "write_simulated"]


def scale_recode(scale: Scale) -> dict[int, int]:
    """Bank code -> Qualtrics recode (position): ``{1: 1, ..., 7: 7, 99: 8}``."""
    codes = [p.code for p in scale.points] + [scale.dont_know]
    return {c: k for k, c in enumerate(codes, 1)}


def choice_recode(f: ContextField) -> dict[int, int]:
    """Bank code -> Qualtrics recode of a context question's choices, as offered in this form."""
    if f.type == "rating" and f.scale is not None:
        return scale_recode(f.scale)
    return {c.code: k for k, c in enumerate(f.choices, 1)}


def sector_recode(q: Questionnaire) -> dict[int, int]:
    """Recodes of the sector question as the combined form asks it (also used for the embedded
    data value of a sector-specific form, so both forms record the same value)."""
    return {c.code: k for k, c in enumerate(q.bank_sector_question.choices, 1)}


def limitations(q: Questionnaire) -> tuple[str, ...]:
    lang = q.lang
    yes = [c.name for c in q.consent.choices].index(q.consent_yes.name) + 1
    out = []
    later = ", ".join(["context", *(b.key for b in q.blocks), *(["end"] if q.outro else [])])
    out.append("no skip logic in the TXT format: in Survey Flow, show blocks " + later
               + f" only if consent = {yes} ('{q.consent_yes.label[lang]}')")
    if q.combined:
        rec = sector_recode(q)
        for s in q.sectors:
            ch = q.sector_choice(s)
            keys = ", ".join(b.key for b in q.blocks_for(s))
            out.append(f"no skip logic: add a Survey Flow branch showing blocks {keys} only if "
                       f"sector = {rec[ch.code]} ('{ch.label[lang]}')")
        for f in q.context:
            if set(f.sectors) != set(q.sectors):
                out.append(f"no display logic: add display logic to '{f.id}' (asked of "
                           f"{', '.join(f.sectors)} only)")
            if f.filtered:
                out.append(f"answer options of '{f.id}' cannot be filtered by sector: add choice "
                           "display logic, or field a sector-specific form")
            if f.dynamic:
                out.append(f"'{f.id}' uses the neutral partner noun (no piping of the sector "
                           "answer in the TXT format)")
    else:
        out.append("the sector is set as embedded data [[ED:sector:...]]; check that it appears "
                   "in Survey Flow after import")
    others = ", ".join(q.other_languages())
    out.append(f"no translations: this file holds {lang} only; add {others} with Translate Survey")
    out.append("forced response and integer validation are not carried: switch on 'Force "
               "response' and add the numeric content validation in the editor")
    out.append("recodes are positional (1..n in the order shown, don't know = n + 1); export "
               "numeric values and map them back with the codebook")
    out.append("the instrument version is set as embedded data [[ED:instrument_version:...]] (a tag "
               "used by third-party generators, not in Qualtrics' documentation): check Survey Flow")
    out.append("whether [[ID:...]] sets the Data Export Tag is unverified: check the tags after "
               "import (columns are then INS_m_1 ... in row order)")
    return tuple(out)


def _t(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br />")


def to_qualtrics(q: Questionnaire) -> ExportResult:
    """The questionnaire as a Qualtrics Advanced Format TXT in ``q.lang``."""
    lang = q.lang
    out: list[str] = ["[[AdvancedFormat]]", ""]
    out.append(f"[[ED:{naming.VERSION_FIELD['qualtrics']}:{q.version}]]")
    if q.sector_field.fixed is not None:
        out.append(f"[[ED:{naming.qualtrics_context('sector')}:{sector_recode(q)[q.sector_field.fixed.code]}]]")
    out.extend(f"[[ED:{naming.qualtrics_context(f.id)}:{f.preset}]]" for f in q.context
               if f.preset is not None)
    out.append("")

    def question(qtype: str, qid: str, text: str, choices: list[str] = (), answers: list[str] = ()) -> None:
        out.extend([f"[[Question:{qtype}]]", f"[[ID:{qid}]]", _t(text)])
        if choices:
            out.append("[[Choices]]")
            out.extend(_t(c) for c in choices)
        if answers:
            out.append("[[Answers]]")
            out.extend(_t(a) for a in answers)
        out.append("")

    def scale_labels(scale: Scale) -> list[str]:
        return [p.label[lang] for p in scale.points] + [scale.dont_know_label[lang]]

    out.extend(["[[Block:consent]]", ""])
    title = q.title[lang] if q.combined else f"{q.title[lang]} – {q.bank.sector_label[q.sector][lang]}"
    intro = "\n\n".join(x for x in (title, q.intro.get(lang, ""), q.ui("version", version=q.version)) if x)
    question("DB", "intro", intro)
    question("MC:SingleAnswer:Vertical", naming.qualtrics_context("consent"), q.consent.label[lang],
             [c.label[lang] for c in q.consent.choices])

    out.extend(["[[Block:context]]", ""])
    for f in q.context:
        if f.fixed is not None or f.preset is not None:
            continue
        qid = naming.qualtrics_context(f.id)
        text = f.label[lang] + (f"\n{f.hint[lang]}" if f.hint.get(lang) else "")
        if f.type == "select_one":
            question("MC:SingleAnswer:Vertical", qid, text,
                     [q.static_choice_label(f, c, lang) for c in f.choices])
        elif f.type == "rating":
            question("MC:SingleAnswer:Horizontal", qid, text, scale_labels(f.scale))
        else:
            question("TE:SingleLine", qid, text)

    for b in q.blocks:
        out.extend([f"[[Block:{b.key}]]", ""])
        for k, m in enumerate(b.matrices):
            if k:
                out.extend(["[[PageBreak]]", ""])
            question("Matrix", naming.qualtrics_question(b.construct.id, b.sector, m.part),
                     b.instruction[lang], [r.text[lang] for r in m.rows], scale_labels(m.scale))
    if q.outro:
        out.extend(["[[Block:end]]", ""])
        question("DB", "outro", q.outro[lang])

    text = "\n".join(out).rstrip("\n") + "\n"
    return ExportResult(files={".txt": text.encode("utf-8")}, warnings=(*q.warnings, *limitations(q)))


# ------------------------------------------------------------------ the response export
QUALTRICS_SYSTEM = frozenset({
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
    "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
    "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
    "DistributionChannel", "UserLanguage",
})
#: ``Status`` values that are not real responses (text and numeric exports)
NOT_RESPONSES = {"survey preview": "preview", "survey test": "test", "spam": "spam",
                 "preview spam": "spam", "imported spam": "spam", "offline survey preview": "preview",
                 1: "preview", 2: "test", 8: "spam", 9: "spam", 12: "spam", 17: "preview"}


def _extra_header_rows(records: list[list[Any]], h: int) -> list[int]:
    """Record indices of Qualtrics' 2nd and 3rd header rows (question text, ImportId JSON)."""
    def has_import_id(k: int) -> bool:
        return k < len(records) and any(str(c).lstrip().startswith('{"ImportId"')
                                        for c in records[k] if c is not None)

    head = [str(c).strip() for c in records[h]] if h < len(records) else []
    if has_import_id(h + 2):
        return [h + 1, h + 2]
    if has_import_id(h + 1):
        return [h + 1]
    if "ResponseId" in head and h + 1 < len(records):
        j = head.index("ResponseId")
        rec = records[h + 1]
        if j < len(rec) and str(rec[j]).strip() in ("Response ID", "ResponseID"):
            return [h + 1]  # legacy two-row export
    return []


def _import_id(cell: Any) -> str:
    """``QID12_3`` from ``{"ImportId":"QID12_3"}`` ("" when the cell holds none)."""
    try:
        v = json.loads(str(cell))
    except ValueError:
        return ""
    return str(v.get("ImportId", "")) if isinstance(v, dict) else ""


def _header_texts(records: list[list[Any]], h: int, extra: list[int], width: int) -> HeaderTexts | None:
    if not extra or extra[0] != h + 1 or h + 1 >= len(records):
        return None
    row = records[h + 1]
    if any(str(c).lstrip().startswith('{"ImportId"') for c in row if c is not None):
        return None
    texts = HeaderTexts(([("" if c is None else str(c)) for c in row] + [""] * width)[:width])
    if len(extra) > 1 and extra[1] < len(records):
        ids = [_import_id(c) if c is not None else "" for c in records[extra[1]]]
        texts.import_ids = (ids + [""] * width)[:width]
    return texts


def question_ids(txt: str) -> dict[str, tuple[str, bool]]:
    """Each question of an Advanced Format TXT: its ``[[ID:]]`` -> (``QID<k>``, is a matrix).

    Qualtrics numbers the questions of an imported file ``QID1``, ``QID2`` ... in the order the
    file has them (descriptive text included) and gives them the default export tags ``Q1``,
    ``Q2`` ... in the same order **(verify with a real import)**; a response export carries the
    ``QID`` in its third header row whatever the tags are."""
    out: dict[str, tuple[str, bool]] = {}
    k = 0
    matrix = False
    for line in txt.splitlines():
        if line.startswith("[[Question:"):
            k += 1
            matrix = line == "[[Question:Matrix]]"
        elif line.startswith("[[ID:") and k:
            out[line[5:-2]] = (f"QID{k}", matrix)
    return out


def _form_of(bank: Bank, cb: Mapping[str, Any]) -> Questionnaire:
    """The questionnaire a codebook describes (its options), to number its questions."""
    g = cb.get("generated", {})
    preset = next((c.get("fixed") for c in cb["context"] if c["id"] == "municipality"), None)
    return build_questionnaire(bank, sector=g.get("sector"), lang=g.get("lang") or "en",
                               seed=g.get("seed"), municipality=preset)


def import_ids(bank: Bank, cb: Mapping[str, Any]) -> dict[str, str]:
    """Export column -> its ImportId (``INS_m_3`` -> ``QID12_3``, ``municipality`` ->
    ``QID6_TEXT``) for the form of codebook ``cb``, numbered as :func:`question_ids`."""
    ids = question_ids(to_qualtrics(_form_of(bank, cb)).files[".txt"].decode("utf-8"))
    types = {c["columns"]["qualtrics"]: c["type"] for c in cb["context"]}
    out: dict[str, str] = {}
    for tag, (qid, matrix) in ids.items():
        if not matrix:
            out[tag] = qid + ("_TEXT" if types.get(tag) == "text" else "")
    for entry in (*cb["items"], cb["attention"]):
        for col in entry["columns"]["qualtrics"].values():
            tag, _, pos = col.rpartition("_")
            if tag in ids:
                out[col] = f"{ids[tag][0]}_{pos}"
    return out


def _describe(plat: Platform, bank: Bank, cb: Mapping[str, Any]) -> Platform:
    """The fields from the codebook; for exports with Qualtrics' default export tags (``Q1``,
    ``Q13_1``) the ImportId of every column and the question texts of the second header row
    (matrix rows as ``question text - item text``)."""
    p = from_codebook(plat, bank, cb)
    texts: dict[str, dict[str, list[str]]] = {lang: {} for lang in bank.languages}

    def add(col: str, by_lang: Mapping[str, str]) -> None:
        for lang, t in by_lang.items():
            if lang in texts and t:
                cols = texts[lang].setdefault(norm_text(t), [])
                if col not in cols:
                    cols.append(col)

    for c in cb["context"]:
        add(c["columns"]["qualtrics"], c["label"])
    for entry in (*cb["items"], cb["attention"]):
        for sector, col in entry["columns"]["qualtrics"].items():
            add(col, entry.get("text_by_sector", {}).get(sector, {}))
    return replace(p, import_ids={v: k for k, v in import_ids(bank, cb).items()},
                   labels={lang: {t: tuple(c) for t, c in tab.items()} for lang, tab in texts.items()},
                   labels_in_texts=True)


PLATFORM = Platform(
    name="qualtrics", label="Qualtrics", file_kind="Qualtrics export",
    id_columns=("ResponseId",), system=QUALTRICS_SYSTEM,
    signature=frozenset({"ResponseId", "Duration (in seconds)", "RecordedDate", "DistributionChannel"}),
    system_pattern=re.compile(r"^(Q_.*|.+_(DO|TEXT|First Click|Last Click|Page Submit|Click Count))$"),
    codebook_key="qualtrics", scale_codes="qualtrics_recode", duration_seconds="Duration (in seconds)",
    status_column="Status", not_responses=NOT_RESPONSES,
    completion=Completion("Finished", frozenset({"0", "false", "0.0"}), "Finished = 0"),
    header_rows=HeaderRows(_extra_header_rows, _header_texts), describe=_describe)


def _rid(seed_text: str) -> str:
    h = hashlib.sha256(seed_text.encode()).digest()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    num = int.from_bytes(h[:12], "big")
    out = []
    for _ in range(15):
        num, r = divmod(num, 62)
        out.append(alphabet[r])
    return "R_" + "".join(out)


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


def write_simulated(table: pd.DataFrame, bank: Bank, path: Path, plat: Platform,
                    codebook: Mapping[str, Any], *, previews: int = 2) -> None:
    """A Qualtrics CSV export: three header rows (names, question texts, ImportIds), UTF-8 with
    BOM, plus ``previews`` preview responses the reader must drop."""
    if previews:
        table = pd.concat([table.iloc[:previews].assign(**{ID: [f"preview{k}" for k in range(previews)]}),
                           table], ignore_index=True)
    q = export_frame(table, plat, bank)
    n = len(table)
    start, end, has = times(table)
    dur = table[DURATION].to_numpy(dtype=float, na_value=np.nan)
    rng = np.random.default_rng(1)
    status = np.array(["Survey Preview"] * previews + ["IP Address"] * (n - previews), dtype=object)
    head = pd.DataFrame({
        "StartDate": iso(start, "plain"), "EndDate": iso(end, "plain"), "Status": status,
        "IPAddress": np.where(status == "IP Address",
                              [f"192.0.2.{x}" for x in rng.integers(1, 255, size=n)], ""),
        "Progress": "100", "Duration (in seconds)": np.where(has, cells(pd.Series(dur)), ""),
        "Finished": "1", "RecordedDate": iso(end, "plain"),
        "ResponseId": [_rid(f"{bank.id}:{i}") for i in table[ID].astype(str)],
        "RecipientLastName": "", "RecipientFirstName": "", "RecipientEmail": "",
        "ExternalReference": "", "LocationLatitude": "", "LocationLongitude": "",
        "DistributionChannel": np.where(status == "IP Address", "anonymous", "preview"),
        "UserLanguage": np.where(np.arange(n) % 5 == 0, "EN", "DA"),
    }, index=table.index)
    df = pd.concat([head, q], axis=1)
    df[plat.version_column] = bank.version
    texts, imports = _header_rows(list(df.columns), plat, bank, codebook)
    rows = [list(df.columns), texts, imports] + df.to_numpy(dtype=object).tolist()
    text_file(path, csv_text(rows, quote_all=True), bom=True)


def _header_rows(columns: list[str], plat: Platform, bank: Bank,
                 cb: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Row 2 (question text) and row 3 (ImportId) as Qualtrics writes them."""
    texts, imports = [], []
    ids = import_ids(bank, cb)
    text_of: dict[str, tuple[str, str]] = {}
    for ctx in cb["context"]:
        col = ctx["columns"]["qualtrics"]
        text_of[col] = (ctx["label"].get("en", ctx["id"]), ids.get(col, col))
    instruction = {(con.id, s): bank.fill(con.instruction.get("en", ""), s, "en")
                   for con in bank.constructs.values() for s in con.sectors}
    for entry in (*cb["items"], cb["attention"]):
        con = entry.get("construct", entry.get("block"))
        for sector, col in entry["columns"]["qualtrics"].items():
            text = instruction.get((con, sector), "") + " - " + entry["text_by_sector"][sector].get("en", "")
            text_of[col] = (text, ids.get(col, col))
    for c in columns:
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
    return texts, imports
