"""What each platform writes into its response export, derived from the questionnaire.

Column names come from :mod:`instrument.naming` and the order of matrix rows from
:func:`instrument.generator.build_questionnaire` (the same sources the exports and the codebook
use), so a file exported from a fielded form maps back to item ids without guessing.

A :class:`Platform` lists its :class:`Field` s (file column -> canonical column, the sectors the
field is asked of, and the codebook of stored values), its system columns (kept out of the
data, never reported as unknown), the respondent-id column and the signature columns used to
recognise it. The same description drives the readers and the simulator's writers.

Platforms: ``canonical`` (also SPSS/Stata), ``kobo`` (KoboToolbox, ODK Central, SurveyCTO: any
XLSForm server), ``limesurvey``, ``redcap``, ``qualtrics``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from instrument import naming
from instrument.generator import build_questionnaire
from instrument.model import SECTORS, Bank, Scale

from .canonical import DURATION, ID, VERSION, schema_for
from .decode import (Codebook, choice_codebook, integer_codebook, scale_codebook,
                     text_codebook)

__all__ = ["Field", "Platform", "PLATFORMS", "platform_for", "all_platforms", "detect_platform"]

PLATFORMS = ("canonical", "kobo", "limesurvey", "redcap", "qualtrics")

LABELS = {"canonical": "canonical table", "kobo": "KoboToolbox/ODK (XLSForm)",
          "limesurvey": "LimeSurvey", "redcap": "REDCap", "qualtrics": "Qualtrics"}

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
})
LIMESURVEY_SYSTEM = frozenset({"id", "submitdate", "lastpage", "startlanguage", "seed",
                               "startdate", "datestamp", "ipaddr", "refurl", "token",
                               "interviewtime"})
REDCAP_SYSTEM = frozenset({"record_id", "redcap_event_name", "redcap_repeat_instrument",
                           "redcap_repeat_instance", "redcap_data_access_group",
                           "redcap_survey_identifier"})
QUALTRICS_SYSTEM = frozenset({
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
    "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
    "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
    "DistributionChannel", "UserLanguage",
})
QUALTRICS_HEAD = ("StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
                  "Finished", "RecordedDate", "ResponseId", "RecipientLastName",
                  "RecipientFirstName", "RecipientEmail", "ExternalReference", "LocationLatitude",
                  "LocationLongitude", "DistributionChannel", "UserLanguage")
LIMESURVEY_HEAD = ("id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp")
KOBO_TAIL = ("_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
             "_submitted_by", "__version__", "_tags", "_index")

_SYSTEM_RE = {
    "kobo": re.compile(r"^(_.*|meta[/-].*|formhub[/-].*)$"),
    "limesurvey": re.compile(r"^(groupTime\d+|.+Time|.+\[other\]|.+\[comment\])$"),
    "redcap": re.compile(r"^(.+_complete|.+_timestamp|.+___[a-z0-9_]+)$"),
    "qualtrics": re.compile(r"^(Q_.*|.+_(DO|TEXT|First Click|Last Click|Page Submit|Click Count))$"),
    "canonical": None,
}


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


@dataclass(frozen=True, slots=True)
class Platform:
    name: str
    fields: tuple[Field, ...]
    id_columns: tuple[str, ...]
    system: frozenset[str]
    signature: frozenset[str]
    version_column: str | None
    consent: Field | None
    lookup: Mapping[str, Field] = field(default_factory=dict)
    group_prefixes: bool = False  # Kobo/ODK: "grp/q" and "grp-q" headers

    @property
    def label(self) -> str:
        return LABELS[self.name]

    def key(self, column: str) -> str:
        """The field name a header stands for (group prefixes removed for XLSForm servers)."""
        c = str(column).strip().lstrip("\ufeff")
        if self.group_prefixes and c not in self.system:
            c = re.split(r"[/-]", c)[-1] if not c.startswith(("meta", "formhub")) else c
        return c

    def field_for(self, column: str) -> Field | None:
        return self.lookup.get(self.key(column))

    def is_system(self, column: str) -> bool:
        """A platform column that is not a question (ids, timestamps, metadata)."""
        c = str(column).strip().lstrip("\ufeff")
        if c in self.system:
            return True
        pat = _SYSTEM_RE.get(self.name)
        return bool(pat and pat.match(c)) or self.key(c) in self.system

    def targets(self) -> dict[str, list[Field]]:
        out: dict[str, list[Field]] = {}
        for f in self.fields:
            out.setdefault(f.target, []).append(f)
        return out


def _scale_fields(scale: Scale, stored: Callable[[int], str], name: str) -> tuple[Codebook, dict]:
    canon = [p.code for p in scale.points] + [scale.dont_know]
    store = {c: stored(c) for c in canon}
    return scale_codebook(scale, codes=store, name=name), store


_CACHE: dict[tuple[int, str], tuple[Bank, Platform]] = {}


def platform_for(bank: Bank, name: str) -> Platform:
    """The description of platform ``name`` for ``bank`` (cached per bank object)."""
    hit = _CACHE.get((id(bank), name))
    if hit is not None and hit[0] is bank:
        return hit[1]
    if name not in PLATFORMS:
        raise ValueError(f"unknown platform {name!r} (allowed: {', '.join(PLATFORMS)})")
    p = _BUILDERS[name](bank)
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[(id(bank), name)] = (bank, p)
    return p


def all_platforms(bank: Bank) -> list[Platform]:
    return [platform_for(bank, n) for n in PLATFORMS]


def _finish(name: str, fields: list[Field], **kw) -> Platform:
    lookup = {f.column: f for f in fields}
    return Platform(name=name, fields=tuple(fields), lookup=lookup, **kw)


def _context_fields(bank: Bank, colname: Callable[[str], str],
                    choice_store: Callable[[Any, int, Any], str],
                    scale_store: Callable[[Scale, int], str], *, accept_codes: bool = False,
                    q=None) -> tuple[list[Field], Field | None]:
    """Fields of the context questions (and consent) in the combined form's order."""
    q = q or build_questionnaire(bank)
    out: list[Field] = []
    consent = None
    for cf in (q.consent, *q.context):
        qq = cf.question
        col = colname(qq.id)
        if qq.type == "select_one":
            choices = qq.choices
            store = {ch.name: choice_store(ch, pos, cf) for pos, ch in
                     enumerate(cf.choices if cf.choices else choices, 1)}
            cb = choice_codebook(choices, codes=store, name=qq.id, accept_codes=accept_codes)
        elif qq.type == "rating":
            sc = bank.scales[qq.scale]
            cb, store = _scale_fields(sc, lambda c, sc=sc: scale_store(sc, c), qq.id)
        elif qq.type == "integer":
            cb, store = integer_codebook(qq.min, qq.max, name=qq.id), {}
        else:
            cb, store = text_codebook(name=qq.id), {}
        f = Field(col, qq.id, tuple(qq.sectors), cb, store)
        if qq.id == bank.consent.id:
            consent = f
        else:
            out.append(f)
    return out, consent


def _row_fields(bank: Bank, column: Callable[[Any, Any, int], str],
                scale_store: Callable[[Scale, int], str]) -> list[Field]:
    """One field per (matrix row, sector) of the combined form; ``column(block, matrix, pos)``."""
    q = build_questionnaire(bank)
    out: list[Field] = []
    for b in q.blocks:
        for m in b.matrices:
            for pos, r in enumerate(m.rows, 1):
                sc = r.scale
                cb, store = _scale_fields(sc, lambda c, sc=sc: scale_store(sc, c), r.id)
                out.append(Field(column(m, r, pos), r.id, (b.sector,), cb, store))
    return out


def _canonical(bank: Bank) -> Platform:
    schema = schema_for(bank)
    fields: list[Field] = []
    consent = None
    for c in schema.columns:
        if c.kind in ("id", "duration"):
            continue
        if c.kind == "select_one":
            cb = choice_codebook(c.choices, name=c.name, accept_codes=True)
            store = {ch.name: ch.name for ch in c.choices}
        elif c.coded:
            cb, store = _scale_fields(c.scale, str, c.name)
        elif c.kind == "integer":
            cb, store = integer_codebook(c.min, c.max, name=c.name), {}
        else:
            cb, store = text_codebook(name=c.name), {}
        fields.append(Field(c.name, c.name, c.sectors, cb, store))
    cq = bank.consent
    consent = Field(cq.id, cq.id, tuple(cq.sectors),
                    choice_codebook(cq.choices, name=cq.id, accept_codes=True),
                    {ch.name: ch.name for ch in cq.choices})
    return _finish("canonical", fields, id_columns=(ID,), system=frozenset({ID, DURATION, VERSION}),
                   signature=frozenset({ID}), version_column=VERSION, consent=consent)


def _kobo(bank: Bank) -> Platform:
    ctx, consent = _context_fields(bank, naming.xlsform_context, lambda ch, pos, cf: ch.name,
                                   lambda sc, c: str(c))
    rows = _row_fields(bank, lambda m, r, pos: naming.xlsform_item(r.id, m.sector),
                       lambda sc, c: str(c))
    vcol = naming.VERSION_FIELD["xlsform"]
    return _finish("kobo", ctx + rows, id_columns=("_id", "_uuid", "KEY", "instanceID"),
                   system=KOBO_SYSTEM | {vcol},
                   signature=frozenset({"_uuid", "_submission_time", "__version__", "_id",
                                        "SubmissionDate", "KEY", "instanceID"}),
                   version_column=vcol, consent=consent, group_prefixes=True)


def _limesurvey(bank: Bank) -> Platform:
    ctx, consent = _context_fields(bank, naming.limesurvey_context,
                                   lambda ch, pos, cf: naming.limesurvey_answer(ch.code),
                                   lambda sc, c: naming.limesurvey_scale_answer(c, sc.dont_know))

    def col(m, r, pos):
        return naming.limesurvey_column(naming.limesurvey_question(m.construct, m.sector, m.part),
                                        naming.limesurvey_subquestion(r.id, m.construct))

    rows = _row_fields(bank, col, lambda sc, c: naming.limesurvey_scale_answer(c, sc.dont_know))
    vcol = naming.VERSION_FIELD["limesurvey"]
    return _finish("limesurvey", ctx + rows, id_columns=("id",), system=LIMESURVEY_SYSTEM | {vcol},
                   signature=frozenset({"submitdate", "lastpage", "startlanguage", "seed"}),
                   version_column=vcol, consent=consent)


def _redcap(bank: Bank) -> Platform:
    ctx, consent = _context_fields(bank, naming.redcap_context, lambda ch, pos, cf: str(ch.code),
                                   lambda sc, c: str(c))
    rows = _row_fields(bank, lambda m, r, pos: naming.redcap_item(r.id, m.sector),
                       lambda sc, c: str(c))
    vcol = naming.VERSION_FIELD["redcap"]
    return _finish("redcap", ctx + rows, id_columns=("record_id",), system=REDCAP_SYSTEM | {vcol},
                   signature=frozenset({"record_id", "redcap_survey_identifier",
                                        "redcap_event_name"}),
                   version_column=vcol, consent=consent)


def _qualtrics_scale(sc: Scale, c: int) -> str:
    codes = [p.code for p in sc.points]
    return str(len(codes) + 1) if c == sc.dont_know else str(codes.index(c) + 1)


def _qualtrics(bank: Bank) -> Platform:
    ctx, consent = _context_fields(bank, naming.qualtrics_context, lambda ch, pos, cf: str(pos),
                                   _qualtrics_scale)
    rows = _row_fields(bank, lambda m, r, pos: naming.qualtrics_column(
        naming.qualtrics_question(m.construct, m.sector, m.part), pos), _qualtrics_scale)
    vcol = naming.VERSION_FIELD["qualtrics"]
    return _finish("qualtrics", ctx + rows, id_columns=("ResponseId",),
                   system=QUALTRICS_SYSTEM | {vcol},
                   signature=frozenset({"ResponseId", "Duration (in seconds)", "RecordedDate",
                                        "DistributionChannel"}),
                   version_column=vcol, consent=consent)


_BUILDERS = {"canonical": _canonical, "kobo": _kobo, "limesurvey": _limesurvey,
             "redcap": _redcap, "qualtrics": _qualtrics}


def is_known_anywhere(bank: Bank) -> Callable[[str], bool]:
    """Predicate: does some platform know this header (a field or a signature column)?"""
    plats = all_platforms(bank)

    def known(name: str) -> bool:
        return any(p.field_for(name) is not None or name in p.signature for p in plats)

    return known


def detect_platform(bank: Bank, columns: list[str]) -> tuple[Platform, int]:
    """The platform whose fields and signature columns best match ``columns``.

    Returns the platform and how many of the columns are its fields (0: nothing matched).
    """
    best: tuple[float, int, Platform] | None = None
    for p in all_platforms(bank):
        n_fields = sum(1 for c in columns if p.field_for(c) is not None
                       and (p.name != "canonical" or c in p.lookup))
        n_sig = sum(1 for c in columns if str(c).strip().lstrip("\ufeff") in p.signature)
        # a few signature columns decide between platforms that share context names
        score = n_fields + 5 * n_sig
        if best is None or score > best[0]:
            best = (score, n_fields, p)
    return best[2], best[1]  # type: ignore[index]


__all__ += ["is_known_anywhere", "QUALTRICS_HEAD", "LIMESURVEY_HEAD", "KOBO_TAIL", "SECTORS"]
