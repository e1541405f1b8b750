"""LimeSurvey "TSV survey structure" (``.txt``): UTF-8 with BOM, tab-separated, ``"`` quoting,
CRLF line ends; import with "Import survey (.lss/.txt/.lsa)".

Layout: ``S`` rows (base language = ``lang``, the other bank languages as additional languages,
group-by-group format, anonymised responses), ``SL`` rows per language, then one block of
``G``/``Q``/``SQ``/``A`` rows per language, all with the same rows in the same order. Each
construct-by-sector block is one Array (flexible labels, type ``F``) question, ``INSm``, with
one subquestion per item, ``C1``; its response-export column is ``INSm[C1]``. Answer codes are
``A<code>`` and ``DK`` (see :mod:`instrument.naming`). Consent and sector routing are group
relevance equations (``consent.NAOK == "A1" and sector.NAOK == "A1"``).

In the combined form, partner nouns in context questions switch on the sector answer with an
``{if(...)}`` expression; answer options cannot be filtered by sector in LimeSurvey, so the
sector-limited lists (role, organisation type) show every option and a validation equation
rejects an option of the other sector.

The response export (CSV, headings "Question code", answer codes) is described by
:data:`PLATFORM` (a partial response has no ``submitdate``); :func:`write_simulated` writes one
for the simulator.
"""
from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import naming
from ..formats import ExportResult
from ..generator import Block, ContextField, Questionnaire, build_questionnaire
from ..model import Bank, Scale
from ._export import cells, csv_text, export_frame, iso, text_file, times
from .base import Completion, Platform, from_codebook
from .schema import DURATION, ID

__all__ = ["to_limesurvey", "limitations", "COLUMNS", "context_codes", "answer_codes", "PLATFORM",
           "LIMESURVEY_SYSTEM", "write_simulated"]

COLUMNS: tuple[str, ...] = (
    "class", "type/scale", "name", "relevance", "text", "help", "language", "validation",
    "mandatory", "other", "default", "same_default", "hidden", "min_num_value_n",
    "max_num_value_n", "num_value_int_only", "em_validation_q", "em_validation_q_tip",
)
CONSENT = naming.limesurvey_context("consent")
SECTOR = naming.limesurvey_context("sector")


def context_codes(q: Questionnaire) -> dict[str, str]:
    """LimeSurvey question code of every context question (and consent), by question id."""
    return {f.id: naming.limesurvey_context(f.id) for f in (q.consent, *q.context)}


def answer_codes(scale: Scale) -> dict[int, str]:
    """Bank code -> LimeSurvey answer code for a scale, don't know included."""
    codes = [p.code for p in scale.points] + [scale.dont_know]
    return {c: naming.limesurvey_scale_answer(c, scale.dont_know) for c in codes}


def limitations(q: Questionnaire) -> tuple[str, ...]:
    out = ["no offline validator: the structure is checked against LimeSurvey's rules by our tests, "
           "not by LimeSurvey's importer; import once into a test survey before fielding",
           "export responses as CSV with Headings 'Question code' and Responses 'Answer codes'"]
    if q.combined and any(f.filtered for f in q.context):
        ids = ", ".join(f.id for f in q.context if f.filtered)
        out.append(f"answer options cannot be filtered by sector: {ids} list every option; a "
                   "validation equation rejects an option of the other sector")
    if not q.combined:
        out.append("the sector is recorded by a hidden Equation question 'sector' holding its answer code")
    return tuple(out)


def _esc(text: str) -> str:
    # LimeSurvey texts are HTML; braces are left alone (ExpressionScript)
    return html.escape(text, quote=False).replace("\n", "<br />")


def _str(s: str) -> str:
    return f"'{s}'" if '"' in s else f'"{s}"'


def _is_sector(q: Questionnaire, sector: str) -> str:
    return f'{SECTOR}.NAOK == "{naming.limesurvey_answer(q.sector_choice(sector).code)}"'


def _partner_expr(q: Questionnaire, sectors: tuple[str, ...], lang: str, cap: bool) -> str:
    *head, last = sectors
    def noun(s: str) -> str:
        n = q.bank.partner[s][lang]
        return n[:1].upper() + n[1:] if cap else n
    expr = _str(noun(last))
    for s in reversed(head):
        expr = f"if({_is_sector(q, s)}, {_str(noun(s))}, {expr})"
    return "{" + expr + "}"


def _label(q: Questionnaire, f: ContextField, lang: str) -> str:
    if not f.dynamic:
        return _esc(f.label[lang])
    t = _esc(f.question.label[lang])
    return (t.replace("{Partner}", _partner_expr(q, f.sectors, lang, True))
            .replace("{partner}", _partner_expr(q, f.sectors, lang, False)))


def to_limesurvey(q: Questionnaire) -> ExportResult:
    """The questionnaire as a LimeSurvey TSV survey structure (``.txt``).

    Examples
    --------
    >>> from coprod.instrument.bank import load_bank
    >>> from coprod.instrument.generator import build_questionnaire
    >>> r = to_limesurvey(build_questionnaire(load_bank()))
    >>> r.files[".txt"].decode("utf-8-sig").split("\\r\\n")[0].split("\\t")[:3]
    ['class', 'type/scale', 'name']
    """
    rows: list[dict[str, str]] = []
    langs = (q.lang, *q.other_languages())
    _survey_settings(q, rows, langs)
    # one block of groups per language, all with the same rows in the same order
    for lang in langs:
        _consent_group(q, rows, lang)
        _context_group(q, rows, lang)
        for seq, b in enumerate(q.blocks, start=3):
            _block_group(q, b, seq, rows, lang)
    warnings = tuple(q.warnings) + tuple(m for m in limitations(q) if "cannot be filtered" in m)
    return ExportResult(files={".txt": _tsv(rows)}, warnings=warnings)


def _consented(q: Questionnaire) -> str:
    return f'{CONSENT}.NAOK == "{naming.limesurvey_answer(q.consent_yes.code)}"'


def _survey_settings(q: Questionnaire, rows: list[dict[str, str]], langs: tuple[str, ...]) -> None:
    """The ``S`` rows (languages, group-by-group format, anonymised), then ``SL`` rows per
    language (title, description with the version, welcome and end texts)."""
    add = rows.append
    add({"class": "S", "name": "language", "text": q.lang})
    add({"class": "S", "name": "additional_languages", "text": " ".join(q.other_languages())})
    add({"class": "S", "name": "format", "text": "G"})
    add({"class": "S", "name": "anonymized", "text": "Y"})
    # start and submit times, and the seconds taken (interviewtime): durations for speeding
    add({"class": "S", "name": "datestamp", "text": "Y"})
    add({"class": "S", "name": "savetimings", "text": "Y"})
    for lang in langs:
        title = q.title[lang] if q.combined else f"{q.title[lang]} – {q.bank.sector_label[q.sector][lang]}"
        add({"class": "SL", "name": "surveyls_title", "text": _esc(title), "language": lang})
        add({"class": "SL", "name": "surveyls_description",
             "text": _esc(q.ui("version", lang, version=q.version)), "language": lang})
        if q.intro:
            add({"class": "SL", "name": "surveyls_welcometext", "text": _esc(q.intro[lang]), "language": lang})
        if q.outro:
            add({"class": "SL", "name": "surveyls_endtext", "text": _esc(q.outro[lang]), "language": lang})


def _answers(rows: list[dict[str, str]], pairs: list[tuple[str, str]], lang: str) -> None:
    for code, text in pairs:
        rows.append({"class": "A", "type/scale": "0", "name": code, "text": _esc(text), "language": lang})


def _scale_answers(rows: list[dict[str, str]], scale: Scale, lang: str) -> None:
    codes_ = answer_codes(scale)
    _answers(rows, [(codes_[p.code], p.label[lang]) for p in scale.points]
             + [(codes_[scale.dont_know], scale.dont_know_label[lang])], lang)


def _equation(rows: list[dict[str, str]], code: str, value: str, lang: str) -> None:
    """A hidden Equation question holding ``value`` (the version; a fixed sector)."""
    rows.append({"class": "Q", "type/scale": "*", "name": code, "relevance": "1",
                 "text": "{" + _str(value) + "}", "language": lang, "mandatory": "N", "hidden": "1"})


def _consent_group(q: Questionnaire, rows: list[dict[str, str]], lang: str) -> None:
    """Group 1 (always shown): the version equation and the consent question."""
    rows.append({"class": "G", "type/scale": "1", "name": _esc(q.ui("consent_heading", lang)),
                 "relevance": "1", "language": lang})
    _equation(rows, naming.VERSION_FIELD["limesurvey"], q.version, lang)
    rows.append({"class": "Q", "type/scale": "L", "name": context_codes(q)["consent"], "relevance": "1",
                 "text": _esc(q.consent.label[lang]), "language": lang, "mandatory": "Y"})
    _answers(rows, [(naming.limesurvey_answer(c.code), c.label[lang]) for c in q.consent.choices], lang)


def _context_group(q: Questionnaire, rows: list[dict[str, str]], lang: str) -> None:
    """Group 2 (after consent): the context questions; a fixed one (the sector of a
    sector-specific form) is a hidden equation holding its answer code."""
    rows.append({"class": "G", "type/scale": "2", "name": _esc(q.ui("context_heading", lang)),
                 "relevance": _consented(q), "language": lang})
    codes = context_codes(q)
    for f in q.context:
        code = codes[f.id]
        if f.fixed is not None:
            _equation(rows, code, naming.limesurvey_answer(f.fixed.code), lang)
        elif f.preset is not None:
            _equation(rows, code, f.preset, lang)
        else:
            _context_question(q, f, code, rows, lang)


def _context_question(q: Questionnaire, f: ContextField, code: str, rows: list[dict[str, str]],
                      lang: str) -> None:
    """The ``Q`` row of one context question, then its ``A`` rows."""
    add = rows.append
    row = {"class": "Q", "name": code, "text": _label(q, f, lang), "language": lang,
           "relevance": " or ".join(_is_sector(q, s) for s in f.sectors)
           if set(f.sectors) != set(q.sectors) else "1",
           "help": _esc(f.hint.get(lang, "")),
           "mandatory": "Y" if f.question.required else "N"}
    if f.type == "select_one":
        row["type/scale"] = "L"
        if f.filtered:
            row.update(_sector_validation(q, f, code, lang))
        add(row)
        _answers(rows, [(naming.limesurvey_answer(c.code), q.static_choice_label(f, c, lang))
                        for c in f.choices], lang)
    elif f.type == "rating":
        row["type/scale"] = "L"
        add(row)
        _scale_answers(rows, f.scale, lang)
    elif f.type == "integer":
        row.update({"type/scale": "N", "num_value_int_only": "1"})
        if f.question.min is not None:
            row["min_num_value_n"] = str(f.question.min)
        if f.question.max is not None:
            row["max_num_value_n"] = str(f.question.max)
        add(row)
    else:
        row["type/scale"] = "S"
        add(row)


def _sector_validation(q: Questionnaire, f: ContextField, code: str, lang: str) -> dict[str, str]:
    """The validation equation that stands in for a sector filter on the options of ``f``:
    empty, or an option of the respondent's sector."""
    allowed = []
    for s in f.sectors:
        ok = " or ".join(f'{code}.NAOK == "{naming.limesurvey_answer(c.code)}"'
                         for c in f.choices if s in c.sectors)
        allowed.append(f"({_is_sector(q, s)} and ({ok}))")
    return {"em_validation_q": f"is_empty({code}.NAOK) or " + " or ".join(allowed),
            "em_validation_q_tip": _esc(q.ui("choice_invalid", lang))}


def _block_group(q: Questionnaire, b: Block, seq: int, rows: list[dict[str, str]], lang: str) -> None:
    """Group ``seq``: one construct-by-sector block, an Array (``F``) question per matrix with one
    subquestion per item and the scale's answers."""
    consented = _consented(q)
    relevance = consented if not q.combined else f"{consented} and {_is_sector(q, b.sector)}"
    add = rows.append
    add({"class": "G", "type/scale": str(seq), "name": _esc(q.ui("part", lang, n=b.number)),
         "relevance": relevance, "language": lang})
    for m in b.matrices:
        add({"class": "Q", "type/scale": "F",
             "name": naming.limesurvey_question(b.construct.id, b.sector, m.part),
             "relevance": "1", "text": _esc(b.instruction[lang]), "language": lang,
             "mandatory": "Y"})
        for r in m.rows:
            add({"class": "SQ", "type/scale": "0",
                 "name": naming.limesurvey_subquestion(r.id, b.construct.id),
                 "relevance": "1", "text": _esc(r.text[lang]), "language": lang})
        _scale_answers(rows, m.scale, lang)


def _tsv(rows: list[dict[str, str]]) -> bytes:
    """The rows under the :data:`COLUMNS` header: tab-separated, CRLF, UTF-8 with BOM."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([r.get(c, "") for c in COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


# ------------------------------------------------------------------ the response export
LIMESURVEY_SYSTEM = frozenset({"id", "submitdate", "lastpage", "startlanguage", "seed",
                               "startdate", "datestamp", "ipaddr", "refurl", "token",
                               "interviewtime"})

PLATFORM = Platform(
    name="limesurvey", label="LimeSurvey", file_kind="LimeSurvey export",
    id_columns=("id",), system=LIMESURVEY_SYSTEM,
    signature=frozenset({"submitdate", "lastpage", "startlanguage", "seed"}),
    system_pattern=re.compile(r"^(groupTime\d+|.+Time|.+\[other\]|.+\[comment\])$"),
    codebook_key="limesurvey", scale_codes="limesurvey_codes", duration_seconds="interviewtime",
    duration_span=("startdate", "submitdate"),
    completion=Completion("submitdate", None, "no submitdate"), describe=from_codebook)


def write_simulated(table: pd.DataFrame, bank: Bank, path: Path, plat: Platform) -> None:
    """A LimeSurvey CSV export (UTF-8 with BOM, every field quoted, answer codes)."""
    q = export_frame(table, plat, bank)
    # LimeSurvey writes N/A for a question shown but not answered, '' for one not shown
    sector = table["sector"].to_numpy(dtype=object, na_value=None)
    for f in plat.fields:
        asked = np.isin(sector, list(f.sectors))
        col = q[f.column].to_numpy(dtype=object)
        q[f.column] = np.where(asked & (col == ""), "N/A", col)
    start, end, has = times(table)
    n = len(table)
    lang = np.where(np.arange(n) % 5 == 0, "en", "da")
    rng = np.random.default_rng(0)
    head = pd.DataFrame({
        "id": table[ID].astype(str).to_numpy(), "submitdate": iso(end, "plain"),
        "lastpage": str(len(build_questionnaire(bank).blocks_for("municipal")) + 2),
        "startlanguage": lang, "seed": rng.integers(10 ** 8, 10 ** 9, size=n).astype(str),
        "startdate": np.where(has, iso(start, "plain"), ""), "datestamp": iso(end, "plain"),
    }, index=table.index)
    df = pd.concat([head, q], axis=1)
    df[plat.version_column] = bank.version
    # savetimings: the total seconds after the answers (per-group times are left out)
    df["interviewtime"] = np.where(has, cells(table[DURATION]), "")
    rows = [list(df.columns)] + df.to_numpy(dtype=object).tolist()
    text_file(path, csv_text(rows, quote_all=True), bom=True)
