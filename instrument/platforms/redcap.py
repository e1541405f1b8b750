"""REDCap data dictionary (``.csv``, the 18 standard columns), one form, one language.

The first field is ``record_id``; ``instrument_version`` is a hidden text field filled by
``@DEFAULT``, ``survey_start`` a hidden one set to the time the survey is opened
(``@NOW-SERVER``, REDCap 13.10+ **(verify)**), so that the export with survey fields gives
durations. Choices are ``code, label`` pairs with the bank's integer codes (don't know as its
own code, 99). Each construct-by-sector block is a matrix group (``ins_m``) of radio fields
(``ins_c1_m``) sharing the scale's choices, the block's instruction as the section header of its
first row. REDCap has no group-level branching, so the consent and sector condition
(``[consent] = '1' and [sector] = '1'``) is repeated on every field of a block.

A sector-specific form keeps the ``sector`` field, hidden, with the sector's code as
``@DEFAULT``.

The response export (raw data, codes) is described by :data:`PLATFORM`; :func:`write_simulated`
writes one for the simulator.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .. import naming
from ..errors import ItemBankError, Problem
from ..formats import ExportResult
from ..generator import Questionnaire
from ..model import Bank, Choice, Scale
from ._export import csv_text, export_frame, iso, text_file, times
from .base import Platform, from_codebook
from .schema import ID

__all__ = ["to_redcap", "limitations", "HEADER", "form_name", "PLATFORM", "REDCAP_SYSTEM",
           "START_FIELD", "write_simulated"]

#: the exact header, in order; REDCap matches columns by position and header
HEADER: tuple[str, ...] = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?", "Custom Alignment",
    "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?", "Field Annotation",
)


#: hidden field set to the time the survey is opened (``@NOW-SERVER``, server time like the
#: ``<form>_timestamp`` of completion): with it the export gives each response's duration
START_FIELD = "survey_start"


def form_name(q: Questionnaire) -> str:
    return _form_name(q.id)


def _form_name(instrument_id: str) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", instrument_id.lower())
    return name if name[:1].isalpha() else f"f_{name}"


def limitations(q: Questionnaire) -> tuple[str, ...]:
    others = ", ".join(q.other_languages())
    out = [f"a data dictionary holds one language ({q.lang}); the other language(s) ({others}) must "
           "be added with REDCap's Multi-Language Management (MLM)",
           "no group-level branching: the consent and sector condition is repeated on every field",
           "export records as CSV with raw values and variable names as headers"]
    if q.combined:
        filtered = ", ".join(f.id for f in q.context if f.filtered)
        if filtered:
            out.append(f"answer options cannot be filtered by sector: {filtered} list every option "
                       "(field a sector-specific form to show one sector's options only)")
        dynamic = ", ".join(f.id for f in q.context if f.dynamic)
        if dynamic:
            out.append(f"labels cannot switch on the sector answer: {dynamic} use the neutral "
                       "partner noun (field a sector-specific form for exact wording)")
    else:
        out.append("the sector is recorded by a hidden field 'sector' filled by @DEFAULT")
    return tuple(out)


def _choices(pairs: list[tuple[int, str]], where: str) -> str:
    for _, label in pairs:
        if "|" in label:
            raise ItemBankError([Problem("", where, "label", f"REDCap choice labels cannot contain "
                                         f"'|': {label!r}")])
    return " | ".join(f"{code}, {label}" for code, label in pairs)


def _choice_pairs(choices: tuple[Choice, ...], lang: str) -> list[tuple[int, str]]:
    return [(c.code, c.label[lang]) for c in choices]


def _scale_pairs(scale: Scale, lang: str) -> list[tuple[int, str]]:
    return [(p.code, p.label[lang]) for p in scale.points] + [(scale.dont_know, scale.dont_know_label[lang])]


def to_redcap(q: Questionnaire) -> ExportResult:
    """The questionnaire as a REDCap data dictionary in ``q.lang``."""
    lang = q.lang
    form = form_name(q)
    rows: list[dict[str, str]] = []

    def add(name: str, ftype: str, label: str, **kw: str) -> None:
        rows.append({"Variable / Field Name": name, "Form Name": form, "Field Type": ftype,
                     "Field Label": label, **{_COL[k]: v for k, v in kw.items()}})

    consent = naming.redcap_context("consent")
    consented = f"[{consent}] = '{q.consent_yes.code}'"

    def sector_is(sectors: tuple[str, ...]) -> str:
        if set(sectors) == set(q.sectors):
            return consented
        cond = " or ".join(f"[sector] = '{q.sector_choice(s).code}'" for s in sectors)
        return f"{consented} and ({cond})" if len(sectors) > 1 else f"{consented} and {cond}"

    add("record_id", "text", "Record ID")
    add(naming.VERSION_FIELD["redcap"], "text", q.ui("version", version=q.version),
        annotation=f"@HIDDEN @READONLY @DEFAULT='{q.version}'")
    add(START_FIELD, "text", START_FIELD, validation="datetime_seconds_ymd",
        annotation="@HIDDEN @NOW-SERVER")
    if q.intro:
        add("intro", "descriptive", q.intro[lang], section=q.ui("consent_heading"))
    add(consent, "radio", q.consent.label[lang], section="" if q.intro else q.ui("consent_heading"),
        choices=_choices(_choice_pairs(q.consent.choices, lang), "consent"), required="y")

    section = q.ui("context_heading")
    for f in q.context:
        name = naming.redcap_context(f.id)
        if f.fixed is not None:
            add(name, "radio", f.label[lang],
                choices=_choices(_choice_pairs(q.bank_sector_question.choices, lang), f.id),
                annotation=f"@HIDDEN @READONLY @DEFAULT='{f.fixed.code}'")
            continue
        if f.preset is not None:
            add(name, "text", f.label[lang], annotation=f"@HIDDEN @READONLY @DEFAULT='{f.preset}'")
            continue
        kw = {"section": section, "note": f.hint.get(lang, ""), "branching": sector_is(f.sectors),
              "required": "y" if f.question.required else ""}
        section = ""
        if f.type == "select_one":
            pairs = [(c.code, q.static_choice_label(f, c, lang)) for c in f.choices]
            add(name, "radio", f.label[lang], choices=_choices(pairs, f.id), **kw)
        elif f.type == "rating":
            add(name, "radio", f.label[lang], choices=_choices(_scale_pairs(f.scale, lang), f.id),
                alignment="LH", **kw)
        elif f.type == "integer":
            add(name, "text", f.label[lang], validation="integer",
                vmin="" if f.question.min is None else str(f.question.min),
                vmax="" if f.question.max is None else str(f.question.max), **kw)
        else:
            add(name, "text", f.label[lang], **kw)

    for b in q.blocks:
        for m in b.matrices:
            group = naming.redcap_matrix(b.construct.id, b.sector, m.part)
            choices = _choices(_scale_pairs(m.scale, lang), group)
            for k, r in enumerate(m.rows):
                add(naming.redcap_item(r.id, b.sector), "radio", r.text[lang],
                    section=b.instruction[lang] if k == 0 else "", choices=choices,
                    branching=sector_is((b.sector,)), required="y", matrix=group)
    if q.outro:
        add("outro", "descriptive", q.outro[lang], branching=consented)

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    for r in rows:
        w.writerow([r.get(h, "") for h in HEADER])
    warnings = (*q.warnings, limitations(q)[0])
    return ExportResult(files={".csv": buf.getvalue().encode("utf-8")}, warnings=warnings)


_COL = {"section": "Section Header", "choices": "Choices, Calculations, OR Slider Labels",
        "note": "Field Note", "validation": "Text Validation Type OR Show Slider Number",
        "vmin": "Text Validation Min", "vmax": "Text Validation Max", "branching":
        "Branching Logic (Show field only if...)", "required": "Required Field?",
        "alignment": "Custom Alignment", "matrix": "Matrix Group Name", "annotation": "Field Annotation"}


# ------------------------------------------------------------------ the response export
REDCAP_SYSTEM = frozenset({"record_id", "redcap_event_name", "redcap_repeat_instrument",
                           "redcap_repeat_instance", "redcap_data_access_group",
                           "redcap_survey_identifier"})


def _describe(plat: Platform, bank: Bank, cb: dict) -> Platform:
    """The fields from the codebook; durations from the start field to the form's completion
    timestamp (``<form>_timestamp``, exported with "survey fields")."""
    return replace(from_codebook(plat, bank, cb),
                   duration_span=(START_FIELD, f"{_form_name(cb['instrument']['id'])}_timestamp"))


PLATFORM = Platform(
    name="redcap", label="REDCap", file_kind="REDCap export",
    id_columns=("record_id",), system=REDCAP_SYSTEM,
    signature=frozenset({"record_id", "redcap_survey_identifier", "redcap_event_name"}),
    system_pattern=re.compile(r"^(.+_complete|.+_timestamp|.+___[a-z0-9_]+)$"),
    codebook_key="redcap", scale_codes="redcap_codes", describe=_describe)


def write_simulated(table: pd.DataFrame, bank: Bank, path: Path, plat: Platform) -> None:
    """A REDCap raw-data CSV export (codes, ``record_id`` first)."""
    q = export_frame(table, plat, bank)
    start, end, has = times(table)
    form = _form_name(bank.id)
    df = pd.concat([pd.DataFrame({"record_id": table[ID].astype(str).to_numpy(),
                                  "redcap_survey_identifier": ""}, index=table.index), q], axis=1)
    df[plat.version_column] = bank.version
    df[START_FIELD] = np.where(has, iso(start, "plain"), "")
    df[f"{form}_timestamp"] = iso(end, "plain")
    df[f"{form}_complete"] = "2"
    rows = [list(df.columns)] + df.to_numpy(dtype=object).tolist()
    text_file(path, csv_text(rows))
