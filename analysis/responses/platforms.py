"""What each platform writes into its response export, read from the instrument's codebook.

Column names and stored codes come from the codebook (:mod:`instrument.exports.codebook`, built
from :mod:`instrument.naming` and the questionnaire generator, the same sources the exports
use), so a file exported from a fielded form maps back to item ids without guessing. By default
the codebook of the combined form in bank order is used; pass the codebook of the form as
fielded when it was built with ``--sector`` or ``--seed``.

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

from coprod.instrument.model import SECTORS, Bank

from .canonical import DURATION, ID, VERSION, schema_for
from .decode import (Codebook, choice_codebook, integer_codebook, norm_label, scale_codebook,
                     text_codebook)

__all__ = ["Field", "Platform", "PLATFORMS", "platform_for", "all_platforms", "detect_platform",
           "default_codebook", "is_known_anywhere"]

PLATFORMS = ("canonical", "kobo", "limesurvey", "redcap", "qualtrics")

LABELS = {"canonical": "canonical-table", "kobo": "KoboToolbox/ODK",
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
    #: the item's text as asked of this sector, every language (matrix rows; for Qualtrics,
    #: whose columns are numbered by position, the text in its second header row is checked)
    texts: tuple[str, ...] = ()


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


_CB_KEY = {"kobo": "xlsform", "limesurvey": "limesurvey", "redcap": "redcap", "qualtrics": "qualtrics"}
_SCALE_CODES = {"xlsform": "xlsform_names", "redcap": "redcap_codes", "limesurvey": "limesurvey_codes",
                "qualtrics": "qualtrics_recode"}
_CACHE: dict[tuple[int, str], tuple[Bank, Platform]] = {}


def default_codebook(bank: Bank) -> dict:
    """The codebook of the combined form in bank order (what ``coprod instrument build --format
    codebook`` writes without ``--sector``/``--seed``)."""
    from coprod.instrument.exports.codebook import build_codebook
    from coprod.instrument.generator import build_questionnaire

    return build_codebook(build_questionnaire(bank))


def platform_for(bank: Bank, name: str, codebook: Mapping[str, Any] | None = None) -> Platform:
    """The description of platform ``name`` for ``bank``.

    ``codebook`` is the codebook JSON of the form as fielded (``coprod instrument build --format
    codebook``, as a dict); needed only for forms built with ``--sector`` or ``--seed`` (Qualtrics
    numbers matrix rows by position). By default the combined form in bank order is assumed.
    """
    if name not in PLATFORMS:
        raise ValueError(f"unknown platform {name!r} (allowed: {', '.join(PLATFORMS)})")
    if codebook is None:
        hit = _CACHE.get((id(bank), name))
        if hit is not None and hit[0] is bank:
            return hit[1]
    p = _canonical(bank) if name == "canonical" else \
        _from_codebook(bank, name, codebook if codebook is not None else _default_cb(bank))
    if codebook is None:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[(id(bank), name)] = (bank, p)
    return p


_CB_CACHE: dict[int, tuple[Bank, dict]] = {}


def _default_cb(bank: Bank) -> dict:
    hit = _CB_CACHE.get(id(bank))
    if hit is not None and hit[0] is bank:
        return hit[1]
    cb = default_codebook(bank)
    _CB_CACHE.clear()
    _CB_CACHE[id(bank)] = (bank, cb)
    return cb


def all_platforms(bank: Bank, codebook: Mapping[str, Any] | None = None) -> list[Platform]:
    return [platform_for(bank, n, codebook) for n in PLATFORMS]


def _finish(name: str, fields: list[Field], **kw) -> Platform:
    lookup = {f.column: f for f in fields}
    return Platform(name=name, fields=tuple(fields), lookup=lookup, **kw)


def _scale_field(bank: Bank, cb: Mapping[str, Any], sid: str, key: str, name: str) -> tuple[Codebook, dict]:
    scale = bank.scales[sid]
    table = cb["scales"][sid][_SCALE_CODES[key]]
    store = {int(code): str(v) for code, v in table.items()}
    return scale_codebook(scale, codes=store, name=name), store


def _canonical(bank: Bank) -> Platform:
    schema = schema_for(bank)
    fields: list[Field] = []
    for c in schema.columns:
        if c.kind in ("id", "duration"):
            continue
        if c.kind == "select_one":
            cbk = choice_codebook(c.choices, name=c.name, accept_codes=True)
            store = {ch.name: ch.name for ch in c.choices}
        elif c.coded:
            store = {code: str(code) for code in [*c.scale.codes, c.scale.dont_know]}
            cbk = scale_codebook(c.scale, codes=store, name=c.name)
        elif c.kind == "integer":
            cbk, store = integer_codebook(c.min, c.max, name=c.name), {}
        else:
            cbk, store = text_codebook(name=c.name), {}
        fields.append(Field(c.name, c.name, c.sectors, cbk, store))
    cq = bank.consent
    consent = Field(cq.id, cq.id, tuple(cq.sectors),
                    choice_codebook(cq.choices, name=cq.id, accept_codes=True),
                    {ch.name: ch.name for ch in cq.choices})
    return _finish("canonical", fields, id_columns=(ID,), system=frozenset({ID, DURATION, VERSION}),
                   signature=frozenset({ID}), version_column=VERSION, consent=consent)


def _from_codebook(bank: Bank, name: str, cb: Mapping[str, Any]) -> Platform:
    """A platform's fields from the codebook: context (consent first), then every item and the
    attention check per fielded sector."""
    key = _CB_KEY[name]
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
            cbk, store = _scale_field(bank, cb, q["scale"], key, qid)
        elif q["type"] == "integer":
            cbk, store = integer_codebook(q["min"], q["max"], name=qid), {}
        else:
            cbk, store = text_codebook(name=qid), {}
        f = Field(col, qid, sectors, cbk, store)
        if qid == consent_id:
            consent = f
        else:
            fields.append(f)
    block = {c["id"]: k for k, c in enumerate(cb["constructs"])}
    rows = []
    for entry in (*cb["items"], cb["attention"]):
        con = entry.get("construct", entry.get("block"))
        for sector, col in entry["columns"][key].items():
            cbk, store = _scale_field(bank, cb, entry["scale"]["id"], key, entry["id"])
            order = (SECTORS.index(sector), block.get(con, 99), entry["position"].get(sector, 0))
            texts = tuple(norm_label(t) for t in entry.get("text_by_sector", {}).get(sector, {}).values())
            rows.append((order, Field(col, entry["id"], (sector,), cbk, store, texts)))
    fields += [f for _, f in sorted(rows, key=lambda t: t[0])]  # the order the form asks them
    helpers = frozenset(cb.get("helper_columns", {}).get(key, ()))
    vcol = cb["version_columns"][key]
    spec = _SPECS[name]
    return _finish(name, fields, id_columns=spec["id_columns"], system=spec["system"] | helpers | {vcol},
                   signature=spec["signature"], version_column=vcol, consent=consent,
                   group_prefixes=name == "kobo")


_SPECS: dict[str, dict[str, Any]] = {
    "kobo": {"id_columns": ("_id", "_uuid", "KEY", "instanceID"), "system": KOBO_SYSTEM,
             "signature": frozenset({"_uuid", "_submission_time", "__version__", "_id",
                                     "SubmissionDate", "KEY", "instanceID"})},
    "limesurvey": {"id_columns": ("id",), "system": LIMESURVEY_SYSTEM,
                   "signature": frozenset({"submitdate", "lastpage", "startlanguage", "seed"})},
    "redcap": {"id_columns": ("record_id",), "system": REDCAP_SYSTEM,
               "signature": frozenset({"record_id", "redcap_survey_identifier", "redcap_event_name"})},
    "qualtrics": {"id_columns": ("ResponseId",), "system": QUALTRICS_SYSTEM,
                  "signature": frozenset({"ResponseId", "Duration (in seconds)", "RecordedDate",
                                          "DistributionChannel"})},
}


def is_known_anywhere(bank: Bank, codebook: Mapping[str, Any] | None = None) -> Callable[[str], bool]:
    """Predicate: does some platform know this header (a field or a signature column)?"""
    plats = all_platforms(bank, codebook)

    def known(name: str) -> bool:
        return any(p.field_for(name) is not None or name in p.signature for p in plats)

    return known


def detect_platform(bank: Bank, columns: list[str],
                    codebook: Mapping[str, Any] | None = None) -> tuple[Platform, int]:
    """The platform whose fields and signature columns best match ``columns``.

    Returns the platform and how many of the columns are its fields (0: nothing matched).
    """
    best: tuple[float, int, Platform] | None = None
    for p in all_platforms(bank, codebook):
        n_fields = sum(1 for c in columns if p.field_for(c) is not None
                       and (p.name != "canonical" or c in p.lookup))
        n_sig = sum(1 for c in columns if str(c).strip().lstrip("\ufeff") in p.signature)
        # a few signature columns decide between platforms that share context names
        score = n_fields + 5 * n_sig
        if best is None or score > best[0]:
            best = (score, n_fields, p)
    return best[2], best[1]  # type: ignore[index]

