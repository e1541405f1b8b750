"""What a platform is, as data: :class:`Platform` (its system columns, id column, how it marks
previews, partial responses and durations, its header style) with its :class:`Field` s, and
:class:`RawTable`, the cells of one file as read.

Every platform module (:mod:`.kobo`, :mod:`.limesurvey`, :mod:`.redcap`, :mod:`.qualtrics`,
:mod:`.tabular`) declares its ``PLATFORM`` here-shaped; the fields of a given bank are filled in
by its ``describe`` hook (from the codebook, :func:`from_codebook`, or for the canonical table
from the schema). The code that reads a file into the canonical table
(:mod:`coprod.analysis.responses.validate`) asks these attributes, never a platform's name.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from ..errors import ResponseProblem
from ..model import SECTORS, Bank
from .codes import Codebook, choice_codebook, integer_codebook, norm_label, scale_codebook, text_codebook

__all__ = ["Field", "Platform", "Completion", "RawTable", "from_codebook", "HeaderRows", "Headers",
           "HeaderTexts", "norm_text", "GROUP_SEPARATORS"]

#: what XLSForm servers put between a group's name (or label) and a question's: Kobo lets the
#: user choose, ``/`` by default; ODK Central writes ``-``
GROUP_SEPARATORS = ("/", "-", ".")
_GROUP_SPLIT = re.compile(r"[/.\-]")


def norm_text(text: Any) -> str:
    """A header or label text compared exactly, after Unicode (NFC) and whitespace
    normalisation (runs of spaces, tabs, newlines and no-break spaces are one space).

    >>> norm_text(" Hvor  ofte\u00a0er du ") == norm_text("Hvor ofte er du")
    True
    """
    s = unicodedata.normalize("NFC", str(text)).replace("\\n", " ")
    return " ".join(s.split())


@dataclass(frozen=True, slots=True)
class Headers:
    """What a file's headers stand for: ``names[j]`` is the field (or platform column) name of
    column ``j``; ``lang`` the form language when the headers are question labels (Kobo's
    "Labels" export), with ``n_labels`` of them matched by their text."""

    names: tuple[str, ...]
    lang: str | None = None
    n_labels: int = 0
    #: columns named through their ImportId (Qualtrics' third header row)
    n_ids: int = 0
    #: the labels were the question texts under the header (Qualtrics' second row)
    from_texts: bool = False


class HeaderTexts(list):
    """The question text of every column, from the row under the header (Qualtrics' second
    header row), and ``import_ids``, the ImportId of every column from the row after it ("" where
    a cell has none), when the file has that row."""

    __slots__ = ("import_ids",)

    def __init__(self, texts=()):
        super().__init__(texts)
        self.import_ids: list[str] | None = None


@dataclass(frozen=True, slots=True)
class Field:
    """One column of a platform's export.

    ``target`` is the canonical column it feeds; ``sectors`` the respondents it is asked of (a
    rated item is one field per sector); ``store`` maps a canonical value to the stored value
    (used by the writers).
    """

    column: str
    target: str
    sectors: tuple[str, ...]
    codebook: Codebook
    store: Mapping[Any, Any] = field(default_factory=dict)
    #: the item's text as asked of this sector, every language (matrix rows; for Qualtrics,
    #: whose columns are numbered by position, the text in its second header row is checked)
    texts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Completion:
    """How a platform marks a partial response: its ``column`` is empty (``values`` is ``None``)
    or holds one of ``values``; ``note`` names the rule in the message (``no submitdate``)."""

    column: str
    values: frozenset[str] | None
    note: str


@dataclass(frozen=True, slots=True)
class HeaderRows:
    """Rows some exports write under the header (Qualtrics: question texts, ImportIds).

    ``extra(records, h)`` gives the record indices of those rows below header row ``h``;
    ``texts(records, h, extra, width)`` the question text of every column, when they hold it.
    """

    extra: Callable[[list[list[Any]], int], list[int]]
    texts: Callable[[list[list[Any]], int, list[int], int], list[str] | None]


@dataclass(frozen=True, slots=True)
class Platform:
    """One platform's response export, described as data.

    The first group of attributes is the platform's own (declared once in its module); the last
    group (``fields`` ... ``lookup``) is filled for a bank by :meth:`for_bank`.
    """

    name: str
    label: str
    #: what a file of it is called in summaries ("REDCap export", "canonical table")
    file_kind: str
    id_columns: tuple[str, ...]
    #: columns that are not questions (ids, timestamps, metadata), by name and by pattern
    system: frozenset[str]
    signature: frozenset[str]
    system_pattern: re.Pattern | None = None
    #: Kobo/ODK: "grp/q", "grp-q" and "grp.q" headers
    group_prefixes: bool = False
    #: a header counts towards detecting the platform only when spelled exactly (canonical table)
    exact_headers: bool = False
    #: the platform's key in the codebook (its columns and codes); ``None``: from the schema
    codebook_key: str | None = None
    #: the codebook's per-scale table of stored codes (``xlsform_names``)
    scale_codes: str | None = None
    #: seconds taken: a column holding seconds, else the span between two timestamp columns
    duration_seconds: str | None = None
    duration_span: tuple[str, str] | None = None
    #: a column marking rows that are not responses (previews, tests, spam) by these values
    status_column: str | None = None
    not_responses: Mapping[Any, str] = field(default_factory=dict)
    completion: Completion | None = None
    header_rows: HeaderRows | None = None
    #: fills the fields for a bank: ``describe(platform, bank, codebook)``
    describe: Callable[["Platform", Bank, Mapping[str, Any] | None], "Platform"] | None = None
    # ---- for a bank
    fields: tuple[Field, ...] = ()
    version_column: str | None = None
    consent: Field | None = None
    lookup: Mapping[str, Field] = field(default_factory=dict)
    #: label headers: language -> normalised question label -> the columns it heads, in form
    #: order (an item asked of both sectors has one text and two columns)
    labels: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    #: the labels are matched against the question texts under the header, not the header
    labels_in_texts: bool = False
    #: ImportId -> column (Qualtrics: ``QID12_3`` -> ``INS_m_3``)
    import_ids: Mapping[str, str] = field(default_factory=dict)

    def for_bank(self, bank: Bank, codebook: Mapping[str, Any] | None) -> "Platform":
        """This platform with the fields of ``bank`` (as fielded per ``codebook``)."""
        return self.describe(self, bank, codebook)

    def with_fields(self, fields: list[Field], **kw: Any) -> "Platform":
        return replace(self, fields=tuple(fields), lookup={f.column: f for f in fields}, **kw)

    def key(self, column: str) -> str:
        """The field name a header stands for (group prefixes removed for XLSForm servers)."""
        c = str(column).strip().lstrip("\ufeff")
        if self.group_prefixes and c not in self.system and c not in self.lookup:
            c = _GROUP_SPLIT.split(c)[-1] if not c.startswith(("meta", "formhub")) else c
        return c

    def known(self, name: str) -> bool:
        """A name of this platform's export: a field, the consent or version column, a system
        column."""
        k = self.key(name)
        return (k in self.lookup or k in self.system or self.is_system(name)
                or (self.consent is not None and k == self.consent.column)
                or k == self.version_column)

    def resolve(self, header: list[str], texts: list[str] | None = None) -> Headers:
        """The names ``header`` stands for. Names are kept. A header that is none of this
        platform's names is read, first, through its ImportId (``texts.import_ids``, when the
        platform has :attr:`import_ids`), then through its question label (:attr:`labels`):
        the header itself, or with :attr:`labels_in_texts` the question text under it
        (``texts``), exactly after :func:`norm_text`, in the language most of them are in, a
        group label before it allowed (``Group label/Question label``, ``Question - Item``).
        A label shared by several columns (an item asked of both sectors) names them in form
        order."""
        names = [str(h) for h in header]
        todo = [j for j, h in enumerate(names) if h.strip() and not self.known(h)]
        if not todo or not (self.labels or self.import_ids):
            return Headers(tuple(names))
        n_ids = 0
        ids = getattr(texts, "import_ids", None) if self.import_ids else None
        if ids is not None:
            for j in list(todo):
                col = self.import_ids.get(ids[j]) if j < len(ids) else None
                if col is not None:
                    names[j] = col
                    todo.remove(j)
                    n_ids += 1
        source = texts if self.labels_in_texts else names
        if source is None or not self.labels:
            return Headers(tuple(names), n_ids=n_ids)
        found = {j: norm_text(source[j]) for j in todo if j < len(source) and str(source[j]).strip()}
        votes = {lang: sum(1 for t in found.values() if _label_match(t, table) is not None)
                 for lang, table in self.labels.items()}
        lang = max(votes, key=lambda k: votes[k]) if votes else None
        if lang is None or votes[lang] == 0:
            return Headers(tuple(names), n_ids=n_ids)
        order = [lang, *(x for x in self.labels if x != lang)]
        used: dict[str, int] = {}
        n = 0
        for j, text in found.items():
            for x in order:
                hit = _label_match(text, self.labels[x])
                if hit is None:
                    continue
                key, columns = hit
                k = used.get(key, 0)
                used[key] = k + 1
                names[j] = columns[min(k, len(columns) - 1)]
                n += 1
                break
        return Headers(tuple(names), lang=lang, n_labels=n, n_ids=n_ids,
                       from_texts=self.labels_in_texts)

    def field_for(self, column: str) -> Field | None:
        return self.lookup.get(self.key(column))

    def is_system(self, column: str) -> bool:
        """A platform column that is not a question (ids, timestamps, metadata)."""
        c = str(column).strip().lstrip("\ufeff")
        if c in self.system:
            return True
        pat = self.system_pattern
        return bool(pat and pat.match(c)) or self.key(c) in self.system

    def targets(self) -> dict[str, list[Field]]:
        out: dict[str, list[Field]] = {}
        for f in self.fields:
            out.setdefault(f.target, []).append(f)
        return out


def _label_match(text: str, table: Mapping[str, tuple[str, ...]]) -> tuple[str, tuple[str, ...]] | None:
    """``text`` as a label of ``table``, whole or after a group label and separator (the
    longest such tail first)."""
    if text in table:
        return text, table[text]
    for k, ch in enumerate(text):
        if ch in GROUP_SEPARATORS:
            tail = text[k + 1:].strip()
            if tail in table:
                return tail, table[tail]
    return None


@dataclass(slots=True)
class RawTable:
    """The cells of one file: ``frame`` has positional integer columns; ``header[j]`` is the
    name of column ``j`` as written in the file; ``rows[i]`` is the file row of data row ``i``."""

    file: str
    frame: pd.DataFrame
    header: list[str]
    rows: np.ndarray
    container: str
    sha256: str
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    #: Qualtrics' second header row (question text per column), when the file has it
    header_texts: list[str] | None = None
    problems: list[ResponseProblem] = field(default_factory=list)
    warnings: list[ResponseProblem] = field(default_factory=list)


# ------------------------------------------------------------------ fields from the codebook
def _scale_field(bank: Bank, cb: Mapping[str, Any], sid: str, plat: Platform,
                 name: str) -> tuple[Codebook, dict]:
    scale = bank.scales[sid]
    table = cb["scales"][sid][plat.scale_codes]
    store = {int(code): str(v) for code, v in table.items()}
    return scale_codebook(scale, codes=store, name=name), store


def _context_fields(plat: Platform, bank: Bank, cb: Mapping[str, Any]) -> tuple[list[Field], Field | None]:
    key = plat.codebook_key
    fields: list[Field] = []
    consent = None
    consent_id = cb["consent"]["id"]
    for q in cb["context"]:
        col = q["columns"][key]
        qid = q["id"]
        sectors = tuple(q["sectors"])
        if q["type"] == "select_one":
            bq = bank.consent if qid == consent_id else next(x for x in bank.context if x.id == qid)
            store = {ch["name"]: str(ch["codes"][key]) for ch in q["choices"]
                     if ch["codes"].get(key) is not None}
            cbk = choice_codebook(bq.choices, codes=store, name=qid)
        elif q["type"] == "rating":
            cbk, store = _scale_field(bank, cb, q["scale"], plat, qid)
        elif q["type"] == "integer":
            cbk, store = integer_codebook(q["min"], q["max"], name=qid), {}
        else:
            cbk, store = text_codebook(name=qid), {}
        f = Field(col, qid, sectors, cbk, store)
        if qid == consent_id:
            consent = f
        else:
            fields.append(f)
    return fields, consent


def from_codebook(plat: Platform, bank: Bank, cb: Mapping[str, Any]) -> Platform:
    """A platform's fields from the codebook: context (consent first), then every item and the
    attention check per fielded sector."""
    key = plat.codebook_key
    fields, consent = _context_fields(plat, bank, cb)
    block = {c["id"]: k for k, c in enumerate(cb["constructs"])}
    rows = []
    for entry in (*cb["items"], cb["attention"]):
        con = entry.get("construct", entry.get("block"))
        for sector, col in entry["columns"][key].items():
            cbk, store = _scale_field(bank, cb, entry["scale"]["id"], plat, entry["id"])
            order = (SECTORS.index(sector), block.get(con, 99), entry["position"].get(sector, 0))
            texts = tuple(norm_label(t) for t in entry.get("text_by_sector", {}).get(sector, {}).values())
            rows.append((order, Field(col, entry["id"], (sector,), cbk, store, texts)))
    fields += [f for _, f in sorted(rows, key=lambda t: t[0])]  # the order the form asks them
    helpers = frozenset(cb.get("helper_columns", {}).get(key, ()))
    vcol = cb["version_columns"][key]
    return plat.with_fields(fields, system=plat.system | helpers | {vcol}, version_column=vcol,
                            consent=consent)
