"""Codebook of a fielded questionnaire: JSON (complete, read back by the analysis) and CSV (flat,
for people). It records, for every question, each platform's column and codes (taken from the
platform modules), which is how the platforms' response exports are read back.

JSON keys
---------
``codebook_version``
    Version of this layout (1).
``instrument``
    ``id, version, base_version, languages, title, sectors`` (the bank's).
``generated``
    The options the questionnaire was built with (``sector, lang, seed``), the sectors fielded
    and ``item_order``: row ids per block (``INS_m``) in the order asked, which is what the
    Qualtrics column numbers refer to.
``version_columns``
    Per platform, the hidden field that stores the instrument version in every response.
``scales``
    Per scale id: points with labels, the don't-know code, and the platform codes
    ``xlsform_names`` (code -> choice name), ``redcap_codes``, ``limesurvey_codes``
    (code -> ``A1`` .. / ``DK``) and ``qualtrics_recode`` (code -> position, don't know = n + 1).
``constructs``
    In block order: ``id, kind, name, definition, scale, sectors, core_items`` and ``items``
    per sector (core first, bank order) and ``blocks`` (per sector and platform, the block's
    group/matrix name).
``items``
    Every item asked in this form: ``id, construct, facet, sectors, reverse, scale.{id, min,
    max, dont_know}, text`` (with the ``{partner}`` placeholder), ``text_by_sector``
    (substituted), ``source``, ``columns.{xlsform, redcap, limesurvey, qualtrics}.{sector}``
    (the response-export column, for the fielded sectors among the item's sectors) and
    ``position.{sector}`` (1-based row in its block).
``attention``
    The attention check, same shape as an item plus ``expected`` (the right code) and ``block``.
``consent``
    ``id`` and the ``yes`` choice (name, code).
``context``
    Consent first, then the context questions as asked: ``id, type, label, hint, required, min,
    max, sectors, scale, columns.{platform}``, and ``choices`` (``name, code, label, sectors,
    codes.{xlsform, redcap, limesurvey, qualtrics}``). ``fixed`` names the recorded value when
    a sector-specific form does not ask the question (or the municipality of a form built with
    ``--municipality``).
``helper_columns``
    Per platform, fields of our own that are not questions (REDCap ``record_id`` and
    ``survey_start``; XLSForm
    ``start`` and ``end``, and ``partner_<lang>`` in a combined form whose context questions name the partner). The
    platforms' own metadata columns (``_uuid``, ``submitdate``, ``ResponseId`` ...) are not listed.
``platform_limitations``
    Per platform (and ``html``), what the format cannot carry and what to do by hand.

CSV
---
One row per response variable and sector (UTF-8 with BOM so spreadsheet programs read æ, ø, å):
``kind`` (``version``, ``context``, ``item``, ``attention``), ``id``, ``construct``, ``facet``,
``sector``, ``block``, ``position``, ``reverse``, ``scale``, ``min``, ``max``, ``dont_know``, one
column per platform holding that platform's column name, ``text_<lang>`` per language (the text as
asked of that sector), ``source``.
"""
from __future__ import annotations

import csv
import io
import json

from .. import naming
from ..formats import ExportResult
from ..formats import html as html_export
from ..generator import ContextField, Questionnaire, Row
from ..model import SECTORS, Scale
from . import kobo as xlsform
from . import limesurvey, qualtrics, qualtrics_qsf, redcap

__all__ = ["to_codebook", "build_codebook", "PLATFORMS", "CODEBOOK_VERSION"]

CODEBOOK_VERSION = 1
PLATFORMS: tuple[str, ...] = ("xlsform", "redcap", "limesurvey", "qualtrics")


def _scale(scale: Scale) -> dict:
    codes = [p.code for p in scale.points] + [scale.dont_know]
    return {
        "id": scale.id, "kind": scale.kind, "label": dict(scale.label), "min": scale.min,
        "max": scale.max,
        "points": [{"code": p.code, "label": dict(p.label)} for p in scale.points],
        "dont_know": {"code": scale.dont_know, "label": dict(scale.dont_know_label)},
        "xlsform_names": {str(c): str(c) for c in codes},
        "redcap_codes": {str(c): c for c in codes},
        "limesurvey_codes": {str(c): v for c, v in limesurvey.answer_codes(scale).items()},
        "qualtrics_recode": {str(c): v for c, v in qualtrics.scale_recode(scale).items()},
    }


def _row_columns(q: Questionnaire, construct: str, sector: str, part: int, position: int, row_id: str) -> dict:
    lq = naming.limesurvey_question(construct, sector, part)
    return {
        "xlsform": naming.xlsform_item(row_id, sector),
        "redcap": naming.redcap_item(row_id, sector),
        "limesurvey": naming.limesurvey_column(lq, naming.limesurvey_subquestion(row_id, construct)),
        "qualtrics": naming.qualtrics_column(naming.qualtrics_question(construct, sector, part), position),
    }


def _placements(q: Questionnaire) -> dict[tuple[str, str], tuple[Row, int, int, str]]:
    """(row id, sector) -> (row, matrix part, position in its matrix, block key)."""
    out = {}
    for b in q.blocks:
        for m in b.matrices:
            for k, r in enumerate(m.rows, 1):
                out[(r.id, b.sector)] = (r, m.part, k, b.key)
    return out


def _context(q: Questionnaire, f: ContextField, ls_codes: dict[str, str]) -> dict:
    choices = q.bank_sector_question.choices if f.fixed is not None else f.choices
    qrec = qualtrics.sector_recode(q) if f.fixed is not None else qualtrics.choice_recode(f)
    entry = {
        "id": f.id, "type": f.type, "label": dict(f.label), "hint": dict(f.hint),
        "required": f.question.required, "min": f.question.min, "max": f.question.max,
        "sectors": list(f.sectors), "scale": f.scale.id if f.scale else None,
        "source": f.question.source,
        "columns": {"xlsform": naming.xlsform_context(f.id), "redcap": naming.redcap_context(f.id),
                    "limesurvey": ls_codes[f.id], "qualtrics": naming.qualtrics_context(f.id)},
        "choices": [{"name": c.name, "code": c.code, "label": dict(c.label), "sectors": list(c.sectors),
                     "codes": {"xlsform": c.name, "redcap": c.code,
                               "limesurvey": naming.limesurvey_answer(c.code),
                               "qualtrics": qrec.get(c.code)}}
                    for c in (choices if f.type == "select_one" else ())],
        "fixed": f.fixed.name if f.fixed is not None else f.preset,
    }
    if f.dynamic:
        entry["label_by_sector"] = {s: dict(t) for s, t in f.label_by_sector.items()}
    return entry


def build_codebook(q: Questionnaire) -> dict:
    """The codebook of ``q`` as a JSON-safe dict (see the module docstring for its keys)."""
    bank = q.bank
    placed = _placements(q)
    ls_codes = limesurvey.context_codes(q)

    def row_entry(row_id: str, sectors: tuple[str, ...], text: dict) -> dict:
        fielded = [s for s in q.sectors if s in sectors and (row_id, s) in placed]
        columns: dict[str, dict[str, str]] = {p: {} for p in PLATFORMS}
        position = {}
        by_sector = {}
        for s in fielded:
            r, part, k, _ = placed[(row_id, s)]
            for p, col in _row_columns(q, r.construct, s, part, k, row_id).items():
                columns[p][s] = col
            position[s] = k
            by_sector[s] = dict(r.text)
        return {"text": dict(text), "text_by_sector": by_sector, "columns": columns, "position": position}

    items = []
    for i in bank.items:
        if not any((i.id, s) in placed for s in q.sectors):
            continue
        sc = bank.scales[i.scale]
        items.append({"id": i.id, "construct": i.construct, "facet": i.facet, "sectors": list(i.sectors),
                      "reverse": i.reverse,
                      "scale": {"id": sc.id, "min": sc.min, "max": sc.max, "dont_know": sc.dont_know},
                      **row_entry(i.id, i.sectors, i.text), "source": i.source})
    att = bank.attention
    asc = bank.scales[att.scale]
    att_sectors = tuple(s for s in SECTORS if (att.id, s) in placed)
    attention = {"id": att.id, "block": att.block, "expected": att.expected, "sectors": list(att_sectors),
                 "scale": {"id": asc.id, "min": asc.min, "max": asc.max, "dont_know": asc.dont_know},
                 **row_entry(att.id, att_sectors, att.text)}

    constructs = []
    seen = []
    for b in q.blocks:
        if b.construct.id not in seen:
            seen.append(b.construct.id)
    for cid in seen:
        c = bank.constructs[cid]
        blocks = {b.sector: b for b in q.blocks if b.construct.id == cid}
        constructs.append({
            "id": c.id, "kind": c.kind, "name": dict(c.name), "definition": dict(c.definition),
            "scale": c.scale, "sectors": list(c.sectors),
            "core_items": [i.id for i in bank.items if i.construct == cid and i.is_core],
            "items": {s: [r.id for r in b.rows if r.kind == "item"] for s, b in blocks.items()},
            "blocks": {s: {"xlsform": naming.xlsform_block(cid, s), "redcap": naming.redcap_matrix(cid, s),
                           "limesurvey": naming.limesurvey_question(cid, s),
                           "qualtrics": naming.qualtrics_question(cid, s)} for s in blocks},
        })

    scales = {}
    for sid in dict.fromkeys([*(m.scale.id for b in q.blocks for m in b.matrices),
                              *(f.scale.id for f in q.context if f.scale is not None)]):
        scales[sid] = _scale(bank.scales[sid])

    helpers = list(xlsform.FORM_METADATA)
    if q.combined and any(f.dynamic for f in q.context):
        for lang in q.languages:
            helpers.append(f"partner_{lang}")
            if any("{Partner}" in f.question.label[lang] for f in q.context if f.dynamic):
                helpers.append(f"partner_cap_{lang}")

    return {
        "codebook_version": CODEBOOK_VERSION,
        "instrument": {"id": q.id, "version": q.version, "base_version": bank.base_version,
                       "languages": list(q.languages), "title": dict(q.title), "sectors": list(SECTORS),
                       "sector_labels": {s: dict(t) for s, t in bank.sector_label.items()},
                       "partner": {s: dict(t) for s, t in bank.partner.items()}},
        "generated": {"sector": q.sector, "lang": q.lang, "seed": q.seed, "sectors": list(q.sectors),
                      "shuffled": q.seed is not None, "item_order": q.item_order()},
        "version_columns": dict(naming.VERSION_FIELD),
        "scales": scales,
        "constructs": constructs,
        "items": items,
        "attention": attention,
        "consent": {"id": q.consent.id, "yes": {"name": q.consent_yes.name, "code": q.consent_yes.code}},
        "context": [_context(q, f, ls_codes) for f in (q.consent, *q.context)],
        "helper_columns": {"xlsform": helpers, "redcap": ["record_id", redcap.START_FIELD], "limesurvey": [], "qualtrics": []},
        "platform_limitations": {
            "xlsform": list(xlsform.limitations(q)), "redcap": list(redcap.limitations(q)),
            "limesurvey": list(limesurvey.limitations(q)), "qualtrics": list(qualtrics.limitations(q)),
            "qualtrics-qsf": list(qualtrics_qsf.limitations(q)),
            "html": list(html_export.limitations(q)),
        },
        "warnings": list(q.warnings),
    }


def _csv(q: Questionnaire, cb: dict) -> bytes:
    langs = list(q.languages)
    header = ["kind", "id", "construct", "facet", "sector", "block", "position", "reverse", "scale",
              "min", "max", "dont_know", *PLATFORMS, *(f"text_{lang}" for lang in langs), "source"]
    rows: list[dict] = [{"kind": "version", "id": "instrument_version",
                         **{p: naming.VERSION_FIELD[p] for p in PLATFORMS},
                         **{f"text_{lang}": q.version for lang in langs}}]
    for c in cb["context"]:
        rows.append({"kind": "context", "id": c["id"], "sector": " ".join(c["sectors"]),
                     "scale": c["scale"] or "", "min": c["min"], "max": c["max"], **c["columns"],
                     **{f"text_{lang}": c["label"].get(lang, "") for lang in langs},
                     "source": c["source"]})
    order = {(r, b.sector): b.key for b in q.blocks for r in (x.id for x in b.rows)}
    for kind, entries in (("item", cb["items"]), ("attention", [cb["attention"]])):
        for e in entries:
            for s in q.sectors:
                if s not in e["position"]:
                    continue
                rows.append({
                    "kind": kind, "id": e["id"], "construct": e.get("construct", e.get("block")),
                    "facet": e.get("facet", ""), "sector": s, "block": order[(e["id"], s)],
                    "position": e["position"][s], "reverse": e.get("reverse", ""),
                    "scale": e["scale"]["id"], "min": e["scale"]["min"], "max": e["scale"]["max"],
                    "dont_know": e["scale"]["dont_know"],
                    **{p: e["columns"][p][s] for p in PLATFORMS},
                    **{f"text_{lang}": e["text_by_sector"][s].get(lang, "") for lang in langs},
                    "source": e.get("source", "")})
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\r\n", restval="")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return buf.getvalue().encode("utf-8-sig")


def to_codebook(q: Questionnaire) -> ExportResult:
    """The codebook of ``q``: ``.json`` (complete) and ``.csv`` (one row per variable and sector)."""
    cb = build_codebook(q)
    data = json.dumps(cb, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    return ExportResult(files={".json": data, ".csv": _csv(q, cb)}, warnings=q.warnings)
