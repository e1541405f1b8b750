"""Typed, immutable view of the item bank.

The bank itself is data (``instrument/data/*.yaml``); :mod:`instrument.bank` reads and checks it
and returns a :class:`Bank`. Every other module (generator, exports, analysis) works on these
objects and never on raw YAML.

Texts are mappings from language code (``"en"``, ``"da"``) to a string. Item and instruction texts
may contain the placeholders ``{partner}`` and ``{Partner}`` (capitalised, at the start of a
sentence), replaced by the partner noun of the respondent's sector (``Bank.partner``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

__all__ = [
    "SECTORS", "LANGUAGES", "Choice", "Scale", "Construct", "Item", "ContextQuestion",
    "AttentionCheck", "Group", "Hypothesis", "HYPOTHESIS_TESTS", "Regression", "Structural", "Bank",
]

SECTORS: tuple[str, ...] = ("municipal", "voluntary")
LANGUAGES: tuple[str, ...] = ("en", "da")
#: short sector tags used in platform column names (``INS_C1_m``)
SECTOR_TAG: Mapping[str, str] = {"municipal": "m", "voluntary": "v"}

Text = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Choice:
    """One answer option. ``name`` is the value in the canonical table and XLSForm; ``code`` the
    integer stored by platforms that need numbers (REDCap, Qualtrics, SPSS)."""

    name: str
    code: int
    label: Text
    sectors: tuple[str, ...] = SECTORS  # offered to these sectors only (role, organisation type)


@dataclass(frozen=True, slots=True)
class Scale:
    """A response scale: ordered points ``min..max`` plus a separate don't-know code.

    The don't-know answer is stored as ``dont_know`` (e.g. 99) by platforms and becomes missing
    in analysis.
    """

    id: str
    kind: str  # "agreement" | "frequency"
    min: int
    max: int
    points: tuple[Choice, ...]
    dont_know: int
    dont_know_label: Text
    label: Text = field(default_factory=dict)

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(p.code for p in self.points)


@dataclass(frozen=True, slots=True)
class Construct:
    """A latent construct (INS, COM, REP, VIN, AMB) or a boundary-work strategy (SEL ... WEL)."""

    id: str
    kind: str  # "latent" | "strategy"
    name: Text
    definition: Text
    sectors: tuple[str, ...]
    scale: str
    instruction: Text  # block introduction, may contain {partner}


@dataclass(frozen=True, slots=True)
class Item:
    """One rated item.

    ``facet`` is ``"core"`` for mirrored items asked of both sectors with identical wording
    (partner noun substituted); otherwise the name of a sector-specific facet.
    """

    id: str
    construct: str
    facet: str
    sectors: tuple[str, ...]
    reverse: bool
    scale: str
    text: Text
    source: str

    @property
    def is_core(self) -> bool:
        return self.facet == "core"


@dataclass(frozen=True, slots=True)
class ContextQuestion:
    """A background question (sector, role, service area, ...), the consent question included.

    ``type`` is ``select_one``, ``integer``, ``text`` or ``rating`` (a single item on the response
    scale ``scale``, e.g. perceived asymmetry). ``choices`` is set for ``select_one``;
    ``min``/``max`` bound an ``integer``. ``sectors`` limits who is asked (all by default).
    """

    id: str
    type: str
    label: Text
    choices: tuple[Choice, ...] = ()
    required: bool = True
    min: int | None = None
    max: int | None = None
    sectors: tuple[str, ...] = SECTORS
    hint: Text = field(default_factory=dict)
    scale: str | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class AttentionCheck:
    """An instructed-response item placed inside a rating block; ``expected`` is the right code."""

    id: str
    block: str  # construct id whose block carries it
    scale: str
    text: Text
    expected: int


#: the tests a hypothesis of ``analysis.yaml`` can name
HYPOTHESIS_TESTS: tuple[str, ...] = ("sem_path", "defined", "welch")


@dataclass(frozen=True, slots=True)
class Group:
    """A named group of respondents: the rows whose ``column`` is one of ``values``, or (with
    ``complement_of``) every row not in that other group, rows without an answer included."""

    id: str
    column: str
    label: Text
    values: tuple[str, ...] = ()
    complement_of: str | None = None


@dataclass(frozen=True, slots=True)
class Hypothesis:
    """A hypothesis or research question of the study, with the test that decides it.

    ``test`` is one of :data:`HYPOTHESIS_TESTS`:

    - ``sem_path``: the structural path ``lhs ~ rhs`` is positive with p < .05; ``lhs`` may be
      ``"{outcome}"``, a pattern for every construct regressed on ``rhs`` (``id`` and
      ``statement`` then carry ``{outcome}`` too);
    - ``defined``: the 95% CI of the defined parameter ``parameter`` excludes 0;
    - ``welch``: Welch's t test of ``variable`` (a construct score or a context column) between
      the groups ``compare[0]`` and ``compare[1]``; the first minus the second is positive.

    ``note`` qualifies the test's description (e.g. "single item").
    """

    id: str
    test: str
    statement: Text
    lhs: str | None = None
    rhs: str | None = None
    parameter: str | None = None
    variable: str | None = None
    compare: tuple[str, ...] = ()
    note: Text = field(default_factory=dict)

    @property
    def is_pattern(self) -> bool:
        """True for a path pattern (``{outcome} ~ rhs``) that stands for several hypotheses."""
        return self.lhs == "{outcome}"


@dataclass(frozen=True, slots=True)
class Regression:
    """One equation of the structural model: ``outcome ~ cause1 + cause2``, each path with the
    label that names it in the defined effects (``None``: unlabelled)."""

    outcome: str
    causes: tuple[tuple[str, str | None], ...]  # (cause, label)


@dataclass(frozen=True, slots=True)
class Structural:
    """The structural model of the study (``analysis.yaml``, ``structural``).

    ``regressions`` in the order they are written; every boundary-work strategy in scope is
    regressed on ``strategies_on``; ``defined`` are the effects (name, lavaan expression of path
    labels) tested with bootstrap CIs. An empty one (a bank without the section) leaves the
    "structural model" a measurement model.
    """

    regressions: tuple[Regression, ...] = ()
    strategies_on: str | None = None
    defined: tuple[tuple[str, str], ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        """The path labels, in the order they are written."""
        return tuple(lab for r in self.regressions for _, lab in r.causes if lab)

    @staticmethod
    def names_in(expression: str) -> frozenset[str]:
        """The parameter names an expression of a defined effect uses: ``"a1*b1 - a2*b2"`` →
        ``{"a1", "b1", "a2", "b2"}``."""
        return frozenset(_NAME.findall(expression))


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.]*")


@dataclass(frozen=True, slots=True)
class Bank:
    """The whole item bank, checked. ``version`` is derived from the content of the data files."""

    id: str
    title: Text
    base_version: str
    version: str
    languages: tuple[str, ...]
    partner: Mapping[str, Text]  # sector -> language -> noun
    sector_label: Mapping[str, Text]
    scales: Mapping[str, Scale]
    constructs: Mapping[str, Construct]
    items: tuple[Item, ...]
    context: tuple[ContextQuestion, ...]
    consent: ContextQuestion
    attention: AttentionCheck
    intro: Text = field(default_factory=dict)
    outro: Text = field(default_factory=dict)
    #: partner noun when the sector is not known yet (context questions of the combined form)
    partner_neutral: Text = field(default_factory=dict)
    #: the latent constructs of the structural model in causal order (``analysis.yaml``)
    latent_order: tuple[str, ...] = ()
    #: named groups of respondents the hypotheses compare (``analysis.yaml``)
    groups: Mapping[str, Group] = field(default_factory=dict)
    #: the study's hypotheses and research questions, in the order they are reported
    hypotheses: tuple[Hypothesis, ...] = ()
    #: the structural model: regressions with path labels, strategies' predictor, defined effects
    structural: Structural = field(default_factory=Structural)

    def items_for(self, sector: str, construct: str | None = None) -> tuple[Item, ...]:
        """Items asked of ``sector`` (optionally of one construct), in bank order."""
        return tuple(i for i in self.items
                     if sector in i.sectors and (construct is None or i.construct == construct))

    def constructs_for(self, sector: str) -> tuple[Construct, ...]:
        return tuple(c for c in self.constructs.values() if sector in c.sectors)

    def hypothesis(self, hypothesis_id: str) -> Hypothesis:
        """The hypothesis ``hypothesis_id``; an id such as ``H4-SEP`` finds its pattern ``H4-{outcome}``."""
        for h in self.hypotheses:
            if h.id == hypothesis_id or (h.is_pattern and _matches(h.id, hypothesis_id)):
                return h
        raise KeyError(hypothesis_id)

    def hypothesis_statement(self, hypothesis_id: str, lang: str) -> str:
        """The statement of a reported hypothesis (``H1``, or ``H4-SEP`` of a pattern) in ``lang``
        (English when the bank lacks ``lang``).

        Examples
        --------
        >>> from coprod.instrument.bank import load_bank
        >>> load_bank().hypothesis_statement("H4-SEP", "da")
        'Ambivalens driver grænsearbejdet SEP'
        """
        h = self.hypothesis(hypothesis_id)
        text = h.statement.get(lang) or h.statement["en"]
        if h.is_pattern:
            head, _, tail = h.id.partition("{outcome}")
            text = text.replace("{outcome}", hypothesis_id[len(head):len(hypothesis_id) - len(tail)])
        return text

    def item(self, item_id: str) -> Item:
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(item_id)

    def answer_label(self, question: str, value: str, lang: str) -> str | None:
        """The label respondents saw for ``value`` of context question ``question`` (``sector``
        included), or ``None`` when the value is not a coded answer (free text, unknown)."""
        if question == "sector" and value in self.sector_label:
            return self.sector_label[value].get(lang) or self.sector_label[value].get("en")
        for q in self.context:
            if q.id == question:
                for ch in q.choices:
                    if ch.name == value:
                        return ch.label.get(lang) or ch.label.get("en")
        return None

    def fill(self, text: str, sector: str | None, lang: str) -> str:
        """Substitute the partner noun of ``sector`` in ``lang`` into ``text``.

        ``sector=None`` uses the neutral noun (``partner_neutral``), for questions asked before
        the respondent's sector is known.
        """
        noun = self.partner[sector][lang] if sector is not None else self.partner_neutral[lang]
        return text.replace("{Partner}", noun[:1].upper() + noun[1:]).replace("{partner}", noun)


def _matches(pattern: str, hypothesis_id: str) -> bool:
    head, _, tail = pattern.partition("{outcome}")
    return (len(hypothesis_id) > len(head) + len(tail) and hypothesis_id.startswith(head)
            and hypothesis_id.endswith(tail))
