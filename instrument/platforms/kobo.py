"""XLSForm (ODK Central, KoboToolbox, SurveyCTO, Ona): an ``.xlsx`` with ``survey``, ``choices``
and ``settings`` sheets, every language of the bank in ``label::English (en)`` columns.

Routing: ``relevant`` on the ``begin_group`` rows (``${consent} = 'yes' and ${sector} =
'municipal'``). Sector-limited choices (role, organisation type) carry one 1/0 column per sector
tag on the choices sheet (``m``, ``v``) and a ``choice_filter`` that lets a choice through when
the respondent's sector has a 1. A sector-specific form records the sector with a ``calculate``
field of the same name and lists only that sector's choices.

In the combined form, context questions that mention the partner get their noun from the
``calculate`` fields ``partner_en``/``partner_da`` (``partner_cap_*`` for ``{Partner}``), which
switch on the sector answer; these helper columns appear in the response export.

The response export (CSV, "XML values and headers", or labels; group prefixes ``grp/q``
accepted) is described by :data:`PLATFORM`; :func:`write_simulated` writes one for the simulator.
"""
from __future__ import annotations

import io
import re
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .. import naming
from ..formats import ExportResult
from ..generator import LANGUAGE_NAMES, Block, ContextField, Questionnaire, build_questionnaire
from ..model import SECTOR_TAG, Bank, Scale
from ._export import csv_text, export_frame, iso, text_file, times
from .base import Platform, from_codebook, norm_text
from .schema import ID

__all__ = ["to_xlsform", "limitations", "language_column", "form_version", "form_id", "PLATFORM",
           "KOBO_SYSTEM", "write_simulated"]


#: metadata fields the form records (ISO 8601 times of opening and finishing the form)
FORM_METADATA = ("start", "end")
#: the form's note fields (no answer; Kobo and ODK Central export them as empty columns)
INTRO_NOTE, OUTRO_NOTE = "intro_note", "outro_note"


def language_column(column: str, lang: str) -> str:
    """``label``, ``da`` -> ``label::Danish (da)``."""
    return f"{column}::{LANGUAGE_NAMES.get(lang, lang)} ({lang})"


def form_version(version: str) -> str:
    """A sortable form version from the instrument version: ``1.0+0ae8`` -> ``0001.0000-0ae8``.

    Numeric runs of the base version are zero-padded so versions sort as strings; the content
    hash keeps two different banks with the same base version apart.
    """
    base, _, digest = version.partition("+")
    padded = re.sub(r"\d+", lambda m: m.group().zfill(4), base)
    return f"{padded}-{digest}" if digest else padded


def form_id(q: Questionnaire) -> str:
    fid = re.sub(r"[^A-Za-z0-9_]", "_", q.id)
    return fid if q.sector is None else f"{fid}_{SECTOR_TAG[q.sector]}"


def _xpath_string(s: str) -> str:
    if "'" not in s:
        return f"'{s}'"
    if '"' not in s:
        return f'"{s}"'
    return "concat(" + ", \"'\", ".join(f"'{p}'" for p in s.split("'")) + ")"


def limitations(q: Questionnaire) -> tuple[str, ...]:
    out = ["Kobo: export with 'XML values and headers' so columns are field names and values are "
           "choice names (label exports differ by language); Kobo's CSV uses ';' as separator."]
    if q.combined and any(f.dynamic for f in q.context):
        out.append("the combined form adds helper columns partner_<lang> (calculate fields that "
                   "hold the partner noun shown in context questions); ignore them in analysis")
    return tuple(out)


class _Sheet:
    """Rows as dicts; the header is the union of their keys (see :func:`_write`)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []

    def add(self, **row: object) -> None:
        self.rows.append(row)

    def add_row(self, row: dict[str, object]) -> None:
        self.rows.append(row)


class _Choices(_Sheet):
    """The choices sheet: each list is written once, where the survey first uses it."""

    def __init__(self, langs: tuple[str, ...]) -> None:
        super().__init__()
        self.langs = langs
        self.done: set[str] = set()

    def add_list(self, name: str, items: list[tuple[str, dict]],
                 flags: dict[str, tuple[str, ...]] | None = None) -> None:
        """The choices of list ``name``; ``flags`` (choice -> sectors) adds one 1/0 column per
        sector tag for the ``choice_filter``."""
        if name in self.done:
            return
        self.done.add(name)
        for cname, label in items:
            row: dict[str, object] = {"list_name": name, "name": cname, **_labels(label, self.langs)}
            if flags is not None:
                for s, tag in SECTOR_TAG.items():
                    row[tag] = 1 if s in flags[cname] else 0
            self.add_row(row)

    def scale_list(self, scale: Scale) -> str:
        """The list of a rating scale (its points, then don't know); returns the list name."""
        self.add_list(scale.id, [(str(p.code), p.label) for p in scale.points]
                      + [(str(scale.dont_know), scale.dont_know_label)])
        return scale.id


def _labels(text: dict, langs: tuple[str, ...], column: str = "label") -> dict[str, str]:
    return {language_column(column, lang): text.get(lang, "") for lang in langs}


def _sector_is(sector: str) -> str:
    return f"${{sector}} = '{sector}'"


def _with_partner_fields(text: str, lang: str) -> str:
    """A label naming the partner as the combined form writes it: ``{partner}`` becomes a
    reference to the helper calculate (``${partner_da}``), which is also what Kobo's label
    exports show as the header."""
    return text.replace("{Partner}", f"${{partner_cap_{lang}}}").replace("{partner}", f"${{partner_{lang}}}")


def _dynamic_label(f: ContextField, langs: tuple[str, ...]) -> dict[str, str]:
    return {language_column("label", lang): _with_partner_fields(f.question.label[lang], lang)
            for lang in langs}


def to_xlsform(q: Questionnaire) -> ExportResult:
    """The questionnaire as an XLSForm workbook (``.xlsx``), every bank language included.

    ``q.lang`` becomes ``default_language``. See the module docstring for the routing scheme.

    Examples
    --------
    >>> from coprod.instrument.bank import load_bank
    >>> from coprod.instrument.generator import build_questionnaire
    >>> list(to_xlsform(build_questionnaire(load_bank())).files)
    ['.xlsx']
    """
    langs = q.languages
    consent_yes = f"${{{naming.xlsform_context('consent')}}} = '{q.consent_yes.name}'"
    survey = _Sheet()
    choices = _Choices(langs)
    for meta in FORM_METADATA:  # what the Kobo form builder adds by default: durations need them
        survey.add(type=meta, name=meta)
    survey.add(type="calculate", name=naming.VERSION_FIELD["xlsform"],
               calculation=_xpath_string(q.version))
    _consent_group(q, survey, choices)
    _context_group(q, survey, choices, consent_yes)
    for b in q.blocks:
        _rating_block(q, b, survey, choices, consent_yes)
    if q.outro:
        survey.add_row({"type": "note", "name": OUTRO_NOTE, **_labels(q.outro, langs),
                        "relevant": consent_yes})
    workbook = _workbook(survey, choices, _settings(q))
    return ExportResult(files={".xlsx": workbook}, warnings=q.warnings)


def _consent_group(q: Questionnaire, survey: _Sheet, choices: _Choices) -> None:
    """The intro group: the intro note and the consent question (always shown)."""
    langs = q.languages
    consent = naming.xlsform_context("consent")
    survey.add_row({"type": "begin_group", "name": "intro", **_labels(q.ui_text("consent_heading"), langs),
                    "appearance": "field-list"})
    if q.intro:
        survey.add_row({"type": "note", "name": INTRO_NOTE, **_labels(q.intro, langs)})
    choices.add_list(consent, [(c.name, c.label) for c in q.consent.choices])
    survey.add_row({"type": f"select_one {consent}", "name": consent, **_labels(q.consent.label, langs),
                    "required": "yes"})
    survey.add_row({"type": "end_group", "name": "intro"})


def _context_group(q: Questionnaire, survey: _Sheet, choices: _Choices, consent_yes: str) -> None:
    """The context group (shown after consent); a sector-specific form records its sector with a
    ``calculate`` field, the combined form adds the partner-noun calculates after the sector."""
    langs = q.languages
    dynamic = q.combined and any(f.dynamic for f in q.context)
    sector_field = q.sector_field
    if sector_field.fixed is not None:
        survey.add(type="calculate", name=naming.xlsform_context("sector"),
                   calculation=_xpath_string(sector_field.fixed.name))
    for f in q.context:  # a municipality-prefilled form records the name, never asks it
        if f.preset is not None:
            survey.add(type="calculate", name=naming.xlsform_context(f.id),
                       calculation=_xpath_string(f.preset))
    survey.add_row({"type": "begin_group", "name": "context", **_labels(q.ui_text("context_heading"), langs),
                    "relevant": consent_yes, "appearance": "field-list"})
    for f in q.context:
        if f.fixed is not None or f.preset is not None:
            continue
        survey.add_row(_context_row(q, f, choices))
        if f.id == "sector" and dynamic:
            # helper calculates right after the sector answer they depend on
            _partner_calculates(q, survey)
    survey.add_row({"type": "end_group", "name": "context"})


def _context_row(q: Questionnaire, f: ContextField, choices: _Choices) -> dict[str, object]:
    """The survey row of one context question (its choice list added to ``choices``)."""
    langs = q.languages
    name = naming.xlsform_context(f.id)
    row: dict[str, object] = {"name": name, **_labels(f.label, langs)}
    if f.dynamic:
        row.update(_dynamic_label(f, langs))
    if f.hint:
        row.update(_labels(f.hint, langs, "hint"))
    if f.question.required:
        row["required"] = "yes"
    if set(f.sectors) != set(q.sectors):
        row["relevant"] = " or ".join(_sector_is(s) for s in f.sectors)
    if f.type == "select_one":
        lst = name
        choices.add_list(lst, [(c.name, c.label) for c in f.choices],
                         {c.name: c.sectors for c in f.choices} if f.filtered else None)
        row["type"] = f"select_one {lst}"
        if f.filtered:
            row["choice_filter"] = " or ".join(
                f"({_sector_is(s)} and {SECTOR_TAG[s]} = 1)" for s in f.sectors)
    elif f.type == "rating":
        row["type"] = f"select_one {choices.scale_list(f.scale)}"
        row["appearance"] = "likert"
    elif f.type == "integer":
        row["type"] = "integer"
        row.update(_integer_constraint(q, f))
    else:
        row["type"] = "text"
    return row


def _integer_constraint(q: Questionnaire, f: ContextField) -> dict[str, object]:
    """``constraint`` and its message for an integer question's bounds (none without bounds)."""
    mn, mx = f.question.min, f.question.max
    bounds = [f". >= {mn}" if mn is not None else "", f". <= {mx}" if mx is not None else ""]
    if not any(bounds):
        return {}
    return {"constraint": " and ".join(b for b in bounds if b),
            **_labels(q.ui_text("integer_constraint", min=mn if mn is not None else "",
                                max=mx if mx is not None else ""), q.languages,
                      "constraint_message")}


def _partner_calculates(q: Questionnaire, survey: _Sheet) -> None:
    """``partner_<lang>`` / ``partner_cap_<lang>``: the partner noun for the sector answered,
    one field per language and capitalisation that a dynamic label uses."""
    for lang in q.languages:
        for cap, suffix in ((False, ""), (True, "cap_")):
            if not any(("{Partner}" if cap else "{partner}") in g.question.label[lang]
                       for g in q.context if g.dynamic):
                continue
            expr = "''"
            for s in reversed(q.sectors):
                noun = q.bank.partner[s][lang]
                noun = noun[:1].upper() + noun[1:] if cap else noun
                expr = f"if({_sector_is(s)}, {_xpath_string(noun)}, {expr})"
            survey.add(type="calculate", name=f"partner_{suffix}{lang}", calculation=expr)


def _rating_block(q: Questionnaire, b: Block, survey: _Sheet, choices: _Choices,
                  consent_yes: str) -> None:
    """One construct-by-sector block: a field-list group, relevant after consent (and, in the
    combined form, for its sector), one likert question per item."""
    langs = q.languages
    group = naming.xlsform_block(b.construct.id, b.sector)
    relevant = consent_yes if not q.combined else f"{consent_yes} and {_sector_is(b.sector)}"
    survey.add_row({"type": "begin_group", "name": group, **_labels(b.instruction, langs),
                    "relevant": relevant, "appearance": "field-list"})
    for m in b.matrices:
        lst = choices.scale_list(m.scale)
        for r in m.rows:
            survey.add_row({"type": f"select_one {lst}", "name": naming.xlsform_item(r.id, b.sector),
                            **_labels(r.text, langs), "required": "yes", "appearance": "likert"})
    survey.add_row({"type": "end_group", "name": group})


def _settings(q: Questionnaire) -> dict[str, object]:
    """The one row of the settings sheet."""
    return {"form_title": f"{q.title[q.lang]} ({q.version})", "form_id": form_id(q),
            "version": form_version(q.version),
            "default_language": f"{LANGUAGE_NAMES.get(q.lang, q.lang)} ({q.lang})",
            "style": "pages"}


def _workbook(survey: _Sheet, choices: _Sheet, settings: dict[str, object]) -> bytes:
    """The ``survey``, ``choices`` and ``settings`` sheets as ``.xlsx`` bytes."""
    from openpyxl import Workbook  # deferred: heavy

    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    _write(ws, survey.rows, ["type", "name"])
    _write(wb.create_sheet("choices"), choices.rows, ["list_name", "name"])
    _write(wb.create_sheet("settings"), [settings], list(settings))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _write(ws, rows: list[dict[str, object]], first: list[str]) -> None:
    columns = list(first)
    for r in rows:
        for k in r:
            if k not in columns:
                columns.append(k)
    ws.append(columns)
    for r in rows:
        ws.append([(None if r.get(c, "") == "" else r.get(c)) for c in columns])


# ------------------------------------------------------------------ the response export
KOBO_SYSTEM = frozenset({
    "start", "end", "today", "deviceid", "username", "phonenumber", "simserial", "subscriberid",
    "audit", "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
    "_submitted_by", "__version__", "_tags", "_index", "_parent_index", "_parent_table_name",
    "rootUuid", "instanceID", "deprecatedID", "instanceName", "_xform_id_string", "_attachments",
    "_geolocation", "_duration", "formhub/uuid", "uuid",
    # ODK Central / SurveyCTO
    "SubmissionDate", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
    "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion",
    "formdef_version", "review_status", "review_comments", "review_corrections", "review_quality",
    "CompletionDate", "duration",
    # the form's own fields that are not questions
    *FORM_METADATA, INTRO_NOTE, OUTRO_NOTE,
})


def _label_texts(bank: Bank, cb: dict) -> dict[str, dict[str, tuple[str, ...]]]:
    """Per language, every question label of the form (normalised) and the columns it heads,
    in form order: what Kobo's "Labels" export writes as headers. A label that names the
    partner appears as the combined form writes it (``${partner_da}``) and substituted."""
    by_lang: dict[str, dict[str, list[str]]] = {lang: {} for lang in bank.languages}

    def add(column: str, texts: dict) -> None:
        for lang, t in texts.items():
            if lang in by_lang and t:
                cols = by_lang[lang].setdefault(norm_text(t), [])
                if column not in cols:
                    cols.append(column)

    for note, text in ((INTRO_NOTE, bank.intro), (OUTRO_NOTE, bank.outro)):
        add(note, text or {})
    raw = {q.id: q for q in (bank.consent, *bank.context)}
    for q in cb["context"]:
        col = q["columns"]["xlsform"]
        add(col, q["label"])
        for t in q.get("label_by_sector", {}).values():
            add(col, t)
        if q.get("label_by_sector") and q["id"] in raw:
            add(col, {lang: _with_partner_fields(t, lang) for lang, t in raw[q["id"]].label.items()})
    for entry in (*cb["items"], cb["attention"]):
        for sector, col in entry["columns"]["xlsform"].items():
            add(col, entry.get("text_by_sector", {}).get(sector, {}))
    return {lang: {t: tuple(c) for t, c in table.items()} for lang, table in by_lang.items()}


def _describe(plat: Platform, bank: Bank, cb: dict) -> Platform:
    """The fields from the codebook, and the question labels for label headers."""
    return replace(from_codebook(plat, bank, cb), labels=_label_texts(bank, cb))

#: KoboToolbox, ODK Central, SurveyCTO: any XLSForm server
PLATFORM = Platform(
    name="kobo", label="KoboToolbox/ODK", file_kind="KoboToolbox/ODK export",
    id_columns=("_id", "_uuid", "KEY", "instanceID"),
    system=KOBO_SYSTEM,
    signature=frozenset({"_uuid", "_submission_time", "__version__", "_id", "SubmissionDate", "KEY",
                         "instanceID"}),
    system_pattern=re.compile(r"^(_.*|meta[/.-].*|formhub[/.-].*)$"), group_prefixes=True,
    codebook_key="xlsform", scale_codes="xlsform_names", duration_span=("start", "end"),
    describe=_describe)


def write_simulated(table: pd.DataFrame, bank: Bank, path: Path, plat: Platform, *,
                    labels: str | None = None, groups: bool = False) -> None:
    """A KoboToolbox CSV export (``;``-separated, every field quoted): "XML values and headers",
    or choice labels in ``labels``' language; ``groups`` writes group prefixes
    (``INS_m/INS_C1_m``)."""
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
        # the groups of the combined form in bank order (what ODK/Kobo prefix headers with)
        group_of = {naming.xlsform_item(r.id, b.sector): naming.xlsform_block(b.construct.id, b.sector)
                    for b in build_questionnaire(bank).blocks for r in b.rows}
        q.columns = [f"{group_of[c]}/{c}" if c in group_of else f"context/{c}" for c in q.columns]
    start, end, has = times(table)
    n = len(table)
    head = pd.DataFrame({"start": np.where(has, iso(start), ""), "end": np.where(has, iso(end), "")},
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
    text_file(path, csv_text(rows, delimiter=";", quote_all=True))
