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
"""
from __future__ import annotations

import html

from .. import naming
from ..generator import ContextField, Questionnaire
from ..model import Scale
from . import ExportResult

__all__ = ["to_qualtrics", "limitations", "scale_recode", "choice_recode", "sector_recode"]


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
        if f.fixed is not None:
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
