"""Questionnaire generator: turn the checked item bank into the questionnaire that is fielded.

:func:`build_questionnaire` is the one step between the bank and every export. It decides what
is asked of whom and in which order; the exports only render that decision in a platform's
format, and the codebook records it.

Layout (``sector=None``, the combined form):

1. consent; everything after it is shown only if the respondent consents;
2. the context block, the sector question first; ``role`` and ``organisation_type`` offer only
   the choices of the respondent's sector;
3. per sector, one block per construct asked of that sector, shown only to that sector (routing
   on the sector answer): INS, COM, REP, VIN, AMB, then the strategies in bank order.

A sector-specific form (``sector="municipal"``) has no sector question (the sector is still
recorded, as a fixed value), offers that sector's choices only and leaves out the other
sector's blocks.

Each block is the construct's instruction (partner noun substituted) followed by its items for
that sector: core items first, then facet items, in bank order, with the attention check in the
middle of its block; or, when ``seed`` is given, shuffled within the block. A block whose items
use more than one response scale is split into one matrix per scale (not the case in the
shipped bank).
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from typing import Mapping

from .errors import CoprodError, ItemBankError, Problem
from .model import (SECTOR_TAG, SECTORS, AttentionCheck, Bank, Choice, Construct, ContextQuestion,
                    Item, Scale, Text)

__all__ = [
    "build_questionnaire", "Questionnaire", "Block", "Matrix", "Row", "ContextField",
    "OptionError", "LATENT_ORDER", "UI_TEXT", "LANGUAGE_NAMES",
]

#: order of the latent blocks; the strategies follow in bank order
LATENT_ORDER: tuple[str, ...] = ("INS", "COM", "REP", "VIN", "AMB")

#: language names used by platforms that need one (XLSForm ``label::Danish (da)``)
LANGUAGE_NAMES: Mapping[str, str] = {"en": "English", "da": "Danish"}

#: Fixed wording of the questionnaire's furniture (headings, instructions to respondents).
#: Item and question wording always comes from the bank.
UI_TEXT: Mapping[str, Mapping[str, str]] = {
    "consent_heading": {"en": "Consent", "da": "Samtykke"},
    "context_heading": {"en": "About you and your work", "da": "Om dig og dit arbejde"},
    "part": {"en": "Part {n}", "da": "Del {n}"},
    "section": {"en": "Questions for: {sector}", "da": "Spørgsmål til: {sector}"},
    "section_instruction": {
        "en": "Answer this section only if you answered “{answer}” to the question “{question}”.",
        "da": "Besvar kun dette afsnit, hvis du svarede »{answer}« på spørgsmålet »{question}«."},
    "form_for": {"en": "This questionnaire is for: {sector}", "da": "Dette spørgeskema er til: {sector}"},
    "integer_constraint": {"en": "Enter a whole number from {min} to {max}.",
                           "da": "Skriv et helt tal fra {min} til {max}."},
    "tick_one": {"en": "Tick one box.", "da": "Sæt ét kryds."},
    "tick_row": {"en": "Tick one box in each row.", "da": "Sæt ét kryds i hver række."},
    "write_answer": {"en": "Write your answer:", "da": "Skriv dit svar:"},
    "write_number": {"en": "Write a whole number ({min}–{max}):", "da": "Skriv et helt tal ({min}–{max}):"},
    "consent_stop": {"en": "If you answered “{answer}”, please stop here. Thank you.",
                     "da": "Hvis du svarede »{answer}«, skal du ikke svare på flere spørgsmål. Tak."},
    "version": {"en": "Instrument version {version}", "da": "Instrumentversion {version}"},
    "choice_sector": {"en": "{label} ({sector})", "da": "{label} ({sector})"},
    "choice_invalid": {"en": "Please choose an option that fits where you work.",
                       "da": "Vælg en mulighed, der passer til, hvor du arbejder."},
    "statement": {"en": "Statement", "da": "Udsagn"},
}

_PLACEHOLDER = re.compile(r"\{[Pp]artner\}")


class OptionError(CoprodError, ValueError):
    """An option (format, language, sector, seed) is not one of the allowed values."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Row:
    """One rated row of a matrix: an item, or the attention check, asked of one sector."""

    id: str
    kind: str  # "item" | "attention"
    construct: str
    sector: str
    scale: Scale
    text: Text  # partner noun substituted, every language
    item: Item | None = None
    expected: int | None = None  # attention check only


@dataclass(frozen=True, slots=True)
class Matrix:
    """Consecutive rows on one response scale: one platform matrix question."""

    construct: str
    sector: str
    part: int  # 1-based; > 1 only when a block mixes scales
    scale: Scale
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Block:
    """One construct asked of one sector: instruction and one or more matrices."""

    construct: Construct
    sector: str
    number: int  # 1-based position among the blocks of this sector ("Part 3")
    instruction: Text
    matrices: tuple[Matrix, ...]

    @property
    def key(self) -> str:
        """``INS_m``: the block's name in group/section names and the codebook."""
        return f"{self.construct.id}_{SECTOR_TAG[self.sector]}"

    @property
    def rows(self) -> tuple[Row, ...]:
        return tuple(r for m in self.matrices for r in m.rows)


@dataclass(frozen=True, slots=True)
class ContextField:
    """A context question as asked in this form.

    ``label`` is the wording to use where the text cannot depend on the respondent's sector;
    when the bank's label mentions the partner and the form is combined, it uses the bank's
    neutral partner noun (``partner_neutral``) and ``label_by_sector`` holds the exact text per
    sector for platforms that can switch on the sector answer (``dynamic`` is then True).
    ``choices`` are the choices offered in this form; ``filtered`` says they must be filtered
    by the sector answer. ``fixed`` is set for the sector question of a sector-specific form:
    the value recorded without asking; ``preset`` likewise for a text question (the municipality
    of a municipality-prefilled form).
    """

    question: ContextQuestion
    label: Text
    label_by_sector: Mapping[str, Text]
    dynamic: bool
    hint: Text
    choices: tuple[Choice, ...]
    filtered: bool
    sectors: tuple[str, ...]  # fielded sectors that are asked this question
    scale: Scale | None = None
    fixed: Choice | None = None
    preset: str | None = None

    @property
    def id(self) -> str:
        return self.question.id

    @property
    def type(self) -> str:
        return self.question.type


@dataclass(frozen=True, slots=True)
class Questionnaire:
    """The questionnaire as fielded: what is asked, of whom, in which order.

    Texts are kept in every language of the bank; ``lang`` is the language asked for (the base
    language of exports that carry several, the only one of those that carry one).
    """

    bank: Bank
    sector: str | None
    lang: str
    seed: int | None
    sectors: tuple[str, ...]  # sectors that receive this form
    intro: Text
    outro: Text
    consent: ContextField
    consent_yes: Choice
    context: tuple[ContextField, ...]
    blocks: tuple[Block, ...]
    warnings: tuple[str, ...] = ()
    options: Mapping[str, object] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.bank.id

    @property
    def version(self) -> str:
        return self.bank.version

    @property
    def title(self) -> Text:
        return self.bank.title

    @property
    def languages(self) -> tuple[str, ...]:
        return self.bank.languages

    @property
    def combined(self) -> bool:
        return self.sector is None

    def other_languages(self) -> tuple[str, ...]:
        return tuple(lang for lang in self.languages if lang != self.lang)

    def blocks_for(self, sector: str) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.sector == sector)

    def field(self, question_id: str) -> ContextField:
        for f in (self.consent, *self.context):
            if f.id == question_id:
                return f
        raise KeyError(question_id)

    @property
    def sector_field(self) -> ContextField:
        return self.field("sector")

    def sector_choice(self, sector: str) -> Choice:
        """The sector question's choice for ``sector`` (its ``name`` is the sector)."""
        return next(c for c in self.bank_sector_question.choices if c.name == sector)

    @property
    def bank_sector_question(self) -> ContextQuestion:
        return next(q for q in self.bank.context if q.id == "sector")

    def item_order(self) -> dict[str, list[str]]:
        """Row ids per block (``INS_m``), in the order asked."""
        return {b.key: [r.id for r in b.rows] for b in self.blocks}

    def static_choice_label(self, f: ContextField, choice: Choice, lang: str) -> str:
        """A choice's label for platforms that cannot filter choices by the sector answer: a
        sector-limited choice of a filtered list names its sector(s)."""
        if not f.filtered or set(choice.sectors) >= set(f.sectors):
            return choice.label[lang]
        sectors = ", ".join(self.bank.sector_label[s][lang] for s in choice.sectors)
        return self.ui("choice_sector", lang, label=choice.label[lang], sector=sectors)

    def ui(self, key: str, lang: str | None = None, **kw: object) -> str:
        texts = UI_TEXT[key]
        return texts.get(lang or self.lang, texts["en"]).format(**kw)

    def ui_text(self, key: str, **kw: object) -> Text:
        """A UI string in every language of the questionnaire."""
        return {lang: self.ui(key, lang, **kw) for lang in self.languages}


# ---------------------------------------------------------------------------------- building
def _fill_with(text: str, noun: str) -> str:
    return text.replace("{Partner}", noun[:1].upper() + noun[1:]).replace("{partner}", noun)


def _fill_all(bank: Bank, text: Text, sector: str) -> Text:
    return {lang: bank.fill(t, sector, lang) for lang, t in text.items()}


def _fill_for(bank: Bank, text: Text, sectors: tuple[str, ...]) -> tuple[Text, dict[str, Text], bool]:
    """Fill ``text`` for a set of sectors: (fallback text, text per sector, depends on sector?)."""
    by_sector = {s: _fill_all(bank, text, s) for s in sectors}
    if not any(_PLACEHOLDER.search(t) for t in text.values()):
        return dict(text), by_sector, False
    if len(sectors) == 1:
        return by_sector[sectors[0]], by_sector, False
    # the bank's neutral noun ("the other side (the volunteers or the municipality)"); both
    # nouns joined if a bank has none
    neutral = {lang: bank.fill(t, None, lang) if bank.partner_neutral.get(lang)
               else _fill_with(t, " / ".join(bank.partner[s][lang] for s in sectors))
               for lang, t in text.items()}
    return neutral, by_sector, True


def _consent_yes(bank: Bank) -> Choice:
    for c in bank.consent.choices:
        if c.name == "yes":
            return c
    raise ItemBankError([Problem("context.yaml", "consent", "choices",
                                 "the consent question needs a choice named 'yes'")])


def _context_field(bank: Bank, q: ContextQuestion, sectors: tuple[str, ...], sector: str | None,
                   warnings: list[str], municipality: str | None = None) -> ContextField | None:
    asked = tuple(s for s in sectors if s in q.sectors)
    if not asked:
        return None
    label, by_sector, dynamic = _fill_for(bank, q.label, asked)
    hint, _, hint_dynamic = _fill_for(bank, q.hint, asked) if q.hint else ({}, {}, False)
    if hint_dynamic:
        warnings.append(f"context question {q.id!r}: its hint mentions the partner; the combined "
                        "form uses the neutral partner noun there")
    choices = tuple(replace(c, label=_fill_for(bank, c.label, asked)[0]) for c in q.choices
                    if any(s in c.sectors for s in asked))
    filtered = any(set(asked) - set(c.sectors) for c in choices)
    scale = bank.scales[q.scale] if q.type == "rating" and q.scale else None
    fixed = None
    if q.id == "sector" and sector is not None:
        fixed = next(c for c in q.choices if c.name == sector)
    return ContextField(question=q, label=label, label_by_sector=by_sector, dynamic=dynamic,
                        hint=hint, choices=choices, filtered=filtered, sectors=asked, scale=scale,
                        fixed=fixed, preset=municipality if q.id == "municipality" else None)


def _construct_order(bank: Bank) -> list[Construct]:
    latent = [c for c in bank.constructs.values() if c.kind == "latent"]
    rank = {cid: k for k, cid in enumerate(LATENT_ORDER)}
    latent.sort(key=lambda c: rank.get(c.id, len(rank)))  # stable: unknown latents keep bank order
    return latent + [c for c in bank.constructs.values() if c.kind != "latent"]


def _rows_for(bank: Bank, con: Construct, sector: str) -> list[Row]:
    items = bank.items_for(sector, con.id)
    ordered = [i for i in items if i.is_core] + [i for i in items if not i.is_core]
    return [Row(id=i.id, kind="item", construct=con.id, sector=sector, scale=bank.scales[i.scale],
                text=_fill_all(bank, i.text, sector), item=i) for i in ordered]


def _attention_row(bank: Bank, att: AttentionCheck, sector: str) -> Row:
    return Row(id=att.id, kind="attention", construct=att.block, sector=sector,
               scale=bank.scales[att.scale], text=_fill_all(bank, att.text, sector),
               expected=att.expected)


def _block(bank: Bank, con: Construct, sector: str, number: int, seed: int | None) -> Block | None:
    rows = _rows_for(bank, con, sector)
    if not rows:
        return None
    att = bank.attention
    # one matrix per scale: the construct's scale first, then others in order of appearance
    scale_ids = list(dict.fromkeys([con.scale, *(r.scale.id for r in rows)]))
    groups = {sid: [r for r in rows if r.scale.id == sid] for sid in scale_ids}
    if att.block == con.id:
        # middle of its matrix, so it is neither the first nor the last row seen
        g = groups.setdefault(att.scale, [])
        g.insert(len(g) // 2, _attention_row(bank, att, sector))
    matrices = []
    for sid, group in groups.items():
        if not group:
            continue
        part = len(matrices) + 1
        if seed is not None:
            # a stream per block: the order of a block does not depend on which other blocks
            # the form holds, so a sector form and the combined form agree for one seed
            random.Random(f"{seed}:{con.id}:{sector}:{part}").shuffle(group)
        matrices.append(Matrix(construct=con.id, sector=sector, part=part,
                               scale=bank.scales[sid], rows=tuple(group)))
    return Block(construct=con, sector=sector, number=number,
                 instruction=_fill_all(bank, con.instruction, sector), matrices=tuple(matrices))


def build_questionnaire(bank: Bank, *, sector: str | None = None, lang: str = "en",
                        seed: int | None = None, municipality: str | None = None) -> Questionnaire:
    """Build the questionnaire fielded to one or both sectors.

    Parameters
    ----------
    bank : Bank
        The checked item bank (:func:`instrument.load_bank`).
    sector : {"municipal", "voluntary"}, optional
        ``None`` (default) builds the combined form that routes on the sector answer; a sector
        builds the form for that sector only.
    lang : str
        Language the form is produced in (``"en"`` or ``"da"``); texts of every bank language
        are kept, for platforms that carry several.
    seed : int, optional
        Shuffle the rows within each block, reproducibly. ``None`` keeps bank order (core items
        first, then facets, attention check in the middle of its block).
    municipality : str, optional
        A form for one municipality: its name is recorded as a fixed hidden value instead of
        asking (so spellings cannot diverge).

    Returns
    -------
    Questionnaire

    Raises
    ------
    OptionError
        For a sector, language or seed that is not allowed.

    Examples
    --------
    >>> from coprod.instrument.bank import load_bank
    >>> q = build_questionnaire(load_bank(), sector="voluntary")
    >>> q.blocks[0].key, q.blocks[0].rows[0].id
    ('INS_v', 'INS_C1')
    """
    if sector is not None and sector not in SECTORS:
        raise OptionError(f"unknown sector {sector!r} (allowed: {', '.join(SECTORS)}, or none "
                          "for the combined form)")
    if lang not in bank.languages:
        raise OptionError(f"unknown language {lang!r} (allowed: {', '.join(bank.languages)})")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise OptionError(f"seed must be an integer, got {seed!r}")
    if municipality is not None:
        municipality = " ".join(str(municipality).split())
        if not municipality or any(ch in municipality for ch in "'\"{}[]"):
            raise OptionError(f"municipality must be a name without quotes or brackets, got "
                              f"{municipality!r}")
    sectors = SECTORS if sector is None else (sector,)
    warnings: list[str] = []

    consent = _context_field(bank, bank.consent, sectors, sector, warnings)
    if consent is None or set(consent.sectors) != set(sectors):
        raise ItemBankError([Problem("context.yaml", "consent", "sectors",
                                     "the consent question is asked of every sector")])
    ordered = sorted(bank.context, key=lambda q: q.id != "sector")  # stable: sector first
    context = tuple(f for q in ordered
                    if (f := _context_field(bank, q, sectors, sector, warnings, municipality)) is not None)

    blocks: list[Block] = []
    for s in sectors:
        n = 0
        for con in _construct_order(bank):
            if s not in con.sectors:
                continue
            b = _block(bank, con, s, n + 1, seed)
            if b is not None:
                n += 1
                blocks.append(b)

    intro, _, intro_dyn = _fill_for(bank, bank.intro, sectors) if bank.intro else ({}, {}, False)
    outro, _, outro_dyn = _fill_for(bank, bank.outro, sectors) if bank.outro else ({}, {}, False)
    if intro_dyn or outro_dyn:
        warnings.append("the intro or outro mentions the partner; the combined form uses the "
                        "neutral partner noun there")
    return Questionnaire(
        bank=bank, sector=sector, lang=lang, seed=seed, sectors=sectors, intro=intro, outro=outro,
        consent=consent, consent_yes=_consent_yes(bank), context=context, blocks=tuple(blocks),
        warnings=tuple(warnings), options={"sector": sector, "lang": lang, "seed": seed,
                                           **({"municipality": municipality} if municipality else {})})
