"""A printable questionnaire (``.html``): one language, one or both sectors, no external resources.

Rendered with jinja2 (autoescape, ``StrictUndefined``) from
``instrument/templates/questionnaire.html.j2``; the template receives the typed view objects
below, never raw dicts. Print CSS puts each block on its own page and draws tick boxes. The
combined form has one section per sector, each opened by an "answer this section only if ..."
instruction. Variable codes are left out by default, because an item's code names its construct
(and the attention check) to the respondent; the fieldwork copy (``show_codes=True``) prints each
question's XLSForm field name (``INS_C1_m``) in small print for data entry, and gives every rated
row ``data-item``/``data-var`` attributes.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import naming
from ..generator import ContextField, Questionnaire
from ..model import Scale
from . import ExportResult

__all__ = ["to_html", "limitations"]


@dataclass(frozen=True, slots=True)
class Option:
    label: str
    code: str


@dataclass(frozen=True, slots=True)
class Question:
    var: str
    kind: str  # "choice" | "scale" | "integer" | "text"
    label: str
    hint: str
    note: str
    options: tuple[Option, ...]


@dataclass(frozen=True, slots=True)
class MatrixRow:
    var: str
    item: str
    sector: str
    number: int
    text: str


@dataclass(frozen=True, slots=True)
class MatrixView:
    columns: tuple[Option, ...]
    rows: tuple[MatrixRow, ...]


@dataclass(frozen=True, slots=True)
class BlockView:
    key: str
    heading: str
    instruction: str
    matrices: tuple[MatrixView, ...]


@dataclass(frozen=True, slots=True)
class SectionView:
    sector: str
    heading: str
    instruction: str
    blocks: tuple[BlockView, ...]


@dataclass(frozen=True, slots=True)
class PageView:
    lang: str
    title: str
    subtitle: str
    version: str
    version_text: str
    intro: str
    outro: str
    consent_heading: str
    consent: Question
    consent_stop: str
    context_heading: str
    context: tuple[Question, ...]
    sections: tuple[SectionView, ...]
    statement: str
    tick_row: str
    show_codes: bool = False


def limitations(q: Questionnaire) -> tuple[str, ...]:
    out = ["paper form: routing is written as instructions; answers must be keyed in by hand "
           "(each row shows its XLSForm field name)"]
    if q.combined and any(f.dynamic for f in q.context):
        out.append("context questions that mention the partner use the neutral partner noun")
    return tuple(out)


def _options_for_scale(scale: Scale, lang: str) -> tuple[Option, ...]:
    return tuple(Option(p.label[lang], str(p.code)) for p in scale.points) + (
        Option(scale.dont_know_label[lang], str(scale.dont_know)),)


def _question(q: Questionnaire, f: ContextField, lang: str) -> Question:
    sector_note = ""
    if set(f.sectors) != set(q.sectors):
        sector_note = " (" + ", ".join(q.bank.sector_label[s][lang] for s in f.sectors) + ")"
    if f.type == "select_one":
        options = tuple(Option(q.static_choice_label(f, c, lang), c.name) for c in f.choices)
        kind, note = "choice", q.ui("tick_one", lang)
    elif f.type == "rating":
        kind, note, options = "scale", q.ui("tick_one", lang), _options_for_scale(f.scale, lang)
    elif f.type == "integer":
        kind, options = "integer", ()
        note = q.ui("write_number", lang, min=f.question.min if f.question.min is not None else "",
                    max=f.question.max if f.question.max is not None else "")
    else:
        kind, note, options = "text", q.ui("write_answer", lang), ()
    return Question(var=naming.xlsform_context(f.id), kind=kind, label=f.label[lang] + sector_note,
                    hint=f.hint.get(lang, ""), note=note, options=options)


def _page(q: Questionnaire, show_codes: bool = False) -> PageView:
    lang = q.lang
    sections = []
    sq = q.sector_field
    for s in q.sectors:
        blocks = []
        for b in q.blocks_for(s):
            mats = []
            number = 0
            for m in b.matrices:
                rows = []
                for r in m.rows:
                    number += 1
                    rows.append(MatrixRow(var=naming.xlsform_item(r.id, s), item=r.id, sector=s,
                                          number=number, text=r.text[lang]))
                mats.append(MatrixView(columns=_options_for_scale(m.scale, lang), rows=tuple(rows)))
            blocks.append(BlockView(key=b.key, heading=q.ui("part", lang, n=b.number),
                                    instruction=b.instruction[lang], matrices=tuple(mats)))
        label = q.bank.sector_label[s][lang]
        instruction = "" if not q.combined else q.ui(
            "section_instruction", lang, answer=q.sector_choice(s).label[lang], question=sq.label[lang])
        sections.append(SectionView(sector=s, heading=q.ui("section", lang, sector=label),
                                    instruction=instruction, blocks=tuple(blocks)))
    no = [c for c in q.consent.choices if c.name != q.consent_yes.name]
    subtitle = "" if q.combined else q.ui("form_for", lang, sector=q.bank.sector_label[q.sector][lang])
    return PageView(
        lang=lang, title=q.title[lang], subtitle=subtitle, version=q.version,
        version_text=q.ui("version", lang, version=q.version), intro=q.intro.get(lang, ""),
        outro=q.outro.get(lang, ""), consent_heading=q.ui("consent_heading", lang),
        consent=_question(q, q.consent, lang),
        consent_stop=q.ui("consent_stop", lang, answer=no[0].label[lang]) if no else "",
        context_heading=q.ui("context_heading", lang),
        context=tuple(_question(q, f, lang) for f in q.context if f.fixed is None and f.preset is None),
        sections=tuple(sections), statement=q.ui("statement", lang), tick_row=q.ui("tick_row", lang),
        show_codes=show_codes)


def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined  # deferred: not needed at import

    return Environment(loader=PackageLoader("coprod.instrument", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def to_html(q: Questionnaire, *, show_codes: bool = False) -> ExportResult:
    """The questionnaire as one printable HTML page in ``q.lang``.

    ``show_codes`` prints the variable codes (the fieldwork copy); the respondents' copy has none.
    """
    text = _environment().get_template("questionnaire.html.j2").render(page=_page(q, show_codes))
    return ExportResult(files={".html": text.encode("utf-8")}, warnings=q.warnings)
