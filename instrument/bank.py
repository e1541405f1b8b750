"""Read and check the item bank.

The bank is data: five YAML files in ``instrument/data/`` (``meta``, ``scales``, ``constructs``,
``items``, ``context``), the questionnaire, plus the optional analysis design ``analysis.yaml``
(latent order, groups, hypotheses; read by :mod:`coprod.instrument._design`). :func:`load_bank`
reads them with a safe loader, checks them against the schema below and returns an immutable
:class:`~instrument.model.Bank`. A broken bank raises one :class:`~instrument.errors.ItemBankError`
listing *every* problem, each with file, item and field.

The schema lives here, once, as data (``_FIELDS``): the checker and its messages are derived
from it.
"""
from __future__ import annotations

import functools
import hashlib
import re
import string
from importlib import resources
from pathlib import Path
from typing import Any

from ._design import DESIGN_FIELDS, DESIGN_FILE, read_design
from .errors import ItemBankError, Problem
from .model import (SECTORS, AttentionCheck, Bank, Choice, Construct, ContextQuestion, Item,
                    Scale)

__all__ = ["load_bank", "as_bank", "BANK_FILES", "DESIGN_FILE", "default_bank_dir"]

#: the questionnaire: their content is the instrument version that forms and exports carry
BANK_FILES = ("meta.yaml", "scales.yaml", "constructs.yaml", "items.yaml", "context.yaml")
REQUIRED_LANGUAGES = ("en", "da")
ITEM_ID = re.compile(r"^[A-Z]{3}_[A-Z]?[0-9]{1,2}$")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
CONSTRUCT_KINDS = ("latent", "strategy")
SCALE_KINDS = ("agreement", "frequency")
CONTEXT_TYPES = ("select_one", "integer", "text", "rating")
PLACEHOLDERS = ("partner", "Partner")
#: context questions the generator and the analysis rely on
REQUIRED_CONTEXT = ("sector", "role", "service_area", "municipality", "organisation_type")

# field -> (required?, expected python type(s), description used in messages)
_FIELDS: dict[str, dict[str, tuple[bool, tuple[type, ...], str]]] = {
    "meta": {"id": (True, (str,), "a string"), "version": (True, (str,), "a quoted string"),
             "title": (True, (dict,), "a text per language"), "languages": (True, (list,), "a list"),
             "sectors": (True, (dict,), "a mapping"), "intro": (False, (dict,), "a text per language"),
             "outro": (False, (dict,), "a text per language"),
             "partner_neutral": (True, (dict,), "a text per language")},
    "scale": {"kind": (True, (str,), "one of " + ", ".join(SCALE_KINDS)),
              "label": (False, (dict,), "a text per language"), "points": (True, (list,), "a list"),
              "dont_know": (True, (dict,), "a mapping with code and label")},
    "construct": {"kind": (True, (str,), "one of " + ", ".join(CONSTRUCT_KINDS)),
                  "name": (True, (dict,), "a text per language"),
                  "definition": (True, (dict,), "a text per language"),
                  "sectors": (True, (list,), "a list of sectors"), "scale": (True, (str,), "a scale id"),
                  "instruction": (True, (dict,), "a text per language")},
    "item": {"id": (True, (str,), "a string"), "construct": (True, (str,), "a construct code"),
             "facet": (True, (str,), "a string"), "sectors": (True, (list,), "a list of sectors"),
             "reverse": (True, (bool,), "true or false"), "scale": (False, (str,), "a scale id"),
             "text": (True, (dict,), "a text per language"), "source": (True, (str,), "a quote")},
    "choice": {"name": (True, (str,), "a quoted string"), "code": (True, (int,), "an integer"),
               "label": (True, (dict,), "a text per language"), "sectors": (False, (list,), "a list")},
    "question": {"id": (True, (str,), "a string"), "type": (True, (str,), "one of " + ", ".join(CONTEXT_TYPES)),
                 "label": (True, (dict,), "a text per language"), "choices": (False, (list,), "a list"),
                 "required": (False, (bool,), "true or false"), "min": (False, (int,), "an integer"),
                 "max": (False, (int,), "an integer"), "sectors": (False, (list,), "a list of sectors"),
                 "hint": (False, (dict,), "a text per language"), "scale": (False, (str,), "a scale id"),
                 "source": (False, (str,), "a quote")},
    "attention": {"id": (True, (str,), "a string"), "block": (True, (str,), "a construct code"),
                  "scale": (True, (str,), "a scale id"), "text": (True, (dict,), "a text per language"),
                  "expected": (True, (int,), "an integer code")},
    **DESIGN_FIELDS,  # analysis.yaml (coprod.instrument._design)
}


def default_bank_dir() -> Path:
    """The bank shipped with the package."""
    return Path(str(resources.files("coprod.instrument") / "data"))


class _Checker:
    """Collects problems instead of stopping at the first."""

    def __init__(self, languages: tuple[str, ...]):
        self.problems: list[Problem] = []
        self.languages = languages

    def add(self, file: str, where: str, field: str, message: str) -> None:
        self.problems.append(Problem(file, where, field, message))

    def fields(self, kind: str, obj: Any, file: str, where: str) -> bool:
        """Check required fields, types and unknown fields of a mapping; True when usable."""
        if not isinstance(obj, dict):
            self.add(file, where, "", f"expected a mapping, got {type(obj).__name__}")
            return False
        schema = _FIELDS[kind]
        ok = True
        for name, (required, types, desc) in schema.items():
            if name not in obj or obj[name] is None:
                if required:
                    self.add(file, where, name, f"required field is missing (expected {desc})")
                    ok = False
                continue
            value = obj[name]
            # bool is an int subclass; don't let `true` pass as a code
            if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
                self.add(file, where, name, f"expected {desc}, got {type(value).__name__} {value!r}")
                ok = False
        for name in obj:
            if name not in schema:
                self.add(file, where, str(name), "unknown field (allowed: " + ", ".join(schema) + ")")
        return ok

    def text(self, value: Any, file: str, where: str, field: str, *,
             placeholders: bool | tuple[str, ...] = True) -> dict:
        """A translated text: every language present, non-empty, with only known placeholders
        (``{partner}``/``{Partner}`` by default; none when ``False``; else the given names)."""
        allowed = PLACEHOLDERS if placeholders is True else tuple(placeholders or ())
        if not isinstance(value, dict):
            self.add(file, where, field, "expected a text per language (en, da)")
            return {}
        for lang in self.languages:
            t = value.get(lang)
            if not isinstance(t, str) or not t.strip():
                self.add(file, where, f"{field}.{lang}", "missing translation" if t is None
                         else f"expected a non-empty string, got {t!r}")
                continue
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(t) if f is not None}
            except ValueError as exc:
                self.add(file, where, f"{field}.{lang}", f"malformed placeholder: {exc}")
                continue
            bad = names - set(allowed)
            if bad:
                self.add(file, where, f"{field}.{lang}",
                         "unknown placeholder " + ", ".join("{" + b + "}" for b in sorted(bad))
                         + (" (allowed: " + ", ".join("{" + a + "}" for a in allowed) + ")"
                            if allowed else ""))
        for lang in value:
            if lang not in self.languages:
                self.add(file, where, f"{field}.{lang}", f"language {lang!r} is not in meta.yaml languages")
        return {k: str(v) for k, v in value.items() if isinstance(v, str)}

    def sectors(self, value: Any, file: str, where: str, field: str = "sectors") -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            return SECTORS
        out = []
        for s in value:
            if s not in SECTORS:
                self.add(file, where, field, f"unknown sector {s!r} (expected one of {', '.join(SECTORS)})")
            elif s in out:
                self.add(file, where, field, f"sector {s!r} listed twice")
            else:
                out.append(s)
        return tuple(out) or SECTORS

    def choices(self, value: Any, file: str, where: str) -> tuple[Choice, ...]:
        out: list[Choice] = []
        if not isinstance(value, list) or not value:
            self.add(file, where, "choices", "a select_one question needs a non-empty list of choices")
            return ()
        names: set = set()
        codes: set = set()
        for k, ch in enumerate(value, 1):
            loc = f"{where} choice {k}"
            if not self.fields("choice", ch, file, loc):
                continue
            if not NAME.match(ch["name"]):
                self.add(file, loc, "name", f"{ch['name']!r} must be snake_case starting with a letter")
            if ch["name"] in names:
                self.add(file, loc, "name", f"duplicate choice name {ch['name']!r}")
            if ch["code"] in codes:
                self.add(file, loc, "code", f"duplicate choice code {ch['code']}")
            names.add(ch["name"])
            codes.add(ch["code"])
            out.append(Choice(name=ch["name"], code=ch["code"],
                              label=self.text(ch["label"], file, loc, "label"),
                              sectors=self.sectors(ch.get("sectors"), file, loc)))
        return tuple(out)


def _read_yaml(path: Path, checker: _Checker) -> Any:
    import yaml  # deferred: keeps `coprod --help` fast

    from ._yaml import MAX_YAML_BYTES, AliasRefused, safe_load

    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            checker.add(path.name, "", "", f"the file is {size:,} bytes; a bank file may be at "
                        f"most {MAX_YAML_BYTES:,} bytes")
            return None
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        checker.add(path.name, "", "", "file is missing")
        return None
    except UnicodeDecodeError as exc:
        checker.add(path.name, "", "", f"not UTF-8 ({exc})")
        return None
    try:
        return safe_load(text)
    except AliasRefused as exc:
        checker.add(path.name, f"line {exc.line}", "", str(exc).split(": ", 1)[1])
        return None
    except yaml.YAMLError as exc:
        checker.add(path.name, "", "", f"not valid YAML: {exc}")
        return None


def _content_version(base: str, directory: Path) -> str:
    h = hashlib.sha256()
    for name in BANK_FILES:
        p = directory / name
        h.update(name.encode())
        h.update(p.read_bytes() if p.exists() else b"")
    return f"{base}+{h.hexdigest()[:10]}"


def as_bank(bank: "Bank | str | Path | None") -> Bank:
    """The ``Bank`` given, the bank in folder ``bank``, or the shipped bank for ``None``: what
    every function taking ``bank=`` resolves it with.

    >>> as_bank(None) is load_bank()
    True
    """
    return bank if isinstance(bank, Bank) else load_bank(bank)


def load_bank(directory: str | Path | None = None) -> Bank:
    """Read and check the item bank.

    Parameters
    ----------
    directory : str or Path, optional
        Folder holding the five YAML files (and optionally ``analysis.yaml``); the bank shipped
        with coprod by default.

    Returns
    -------
    Bank
        The checked bank; ``bank.version`` is ``"<meta version>+<hash of the files>"``.

    Raises
    ------
    ItemBankError
        Listing every problem found (file, item, field, what is wrong).

    Examples
    --------
    >>> bank = load_bank()
    >>> sorted(bank.languages)
    ['da', 'en']
    >>> bank.fill("Working with {partner}", "voluntary", "en")
    'Working with the municipality'
    """
    d = Path(directory) if directory is not None else default_bank_dir()
    # parsing and checking takes ~0.1 s and every layer asks for the bank: keep one per folder
    # state, so an edited file is read again
    stamp = tuple((n, st.st_size, st.st_mtime_ns) if (st := _stat(d / n)) else (n, None, None)
                  for n in (*BANK_FILES, DESIGN_FILE))
    return _load_checked(d.resolve(), stamp)


def _stat(path: Path):
    try:
        return path.stat()
    except OSError:
        return None


@functools.lru_cache(maxsize=8)
def _load_checked(d: Path, stamp: tuple) -> Bank:
    c = _Checker(REQUIRED_LANGUAGES)
    raw = {name: _read_yaml(d / name, c) for name in BANK_FILES}

    meta = raw["meta.yaml"] or {}
    languages = REQUIRED_LANGUAGES
    partner: dict = {}
    sector_label: dict = {}
    if c.fields("meta", meta, "meta.yaml", "meta"):
        langs = meta["languages"]
        missing = [lang for lang in REQUIRED_LANGUAGES if lang not in langs]
        if missing:
            c.add("meta.yaml", "meta", "languages", "must include " + ", ".join(missing))
        languages = tuple(dict.fromkeys([*REQUIRED_LANGUAGES, *[str(x) for x in langs]]))
        c.languages = languages
        secs = meta["sectors"]
        for s in SECTORS:
            sd = secs.get(s)
            if not isinstance(sd, dict):
                c.add("meta.yaml", f"sectors.{s}", "", "sector is missing (needs label and partner)")
                continue
            sector_label[s] = c.text(sd.get("label"), "meta.yaml", f"sectors.{s}", "label")
            partner[s] = c.text(sd.get("partner"), "meta.yaml", f"sectors.{s}", "partner",
                                placeholders=False)
        for s in secs:
            if s not in SECTORS:
                c.add("meta.yaml", f"sectors.{s}", "", f"unknown sector {s!r}")
    title = c.text(meta.get("title"), "meta.yaml", "meta", "title") if isinstance(meta, dict) else {}
    partner_neutral = (c.text(meta.get("partner_neutral"), "meta.yaml", "meta", "partner_neutral",
                              placeholders=False) if isinstance(meta, dict) else {})

    scales = _scales(raw["scales.yaml"], c)
    constructs = _constructs(raw["constructs.yaml"], c, scales)
    items = _items(raw["items.yaml"], c, scales, constructs)
    context, consent, attention = _context(raw["context.yaml"], c, scales, constructs)
    if attention is not None and any(i.id == attention.id for i in items):
        c.add("context.yaml", "attention", "id", f"{attention.id!r} is also an item id")
    # the analysis design is optional (a bank of items alone is a valid bank)
    design = _read_yaml(d / DESIGN_FILE, c) if (d / DESIGN_FILE).exists() else None
    latent_order, groups, hypotheses, structural = read_design(design, c, constructs, context)

    if c.problems:
        raise ItemBankError(c.problems)
    return Bank(
        id=meta["id"], title=title, base_version=meta["version"],
        version=_content_version(meta["version"], d), languages=languages,
        partner=partner, sector_label=sector_label, scales=scales, constructs=constructs,
        items=items, context=context, consent=consent, attention=attention,
        intro=c.text(meta["intro"], "meta.yaml", "meta", "intro") if meta.get("intro") else {},
        outro=c.text(meta["outro"], "meta.yaml", "meta", "outro") if meta.get("outro") else {},
        partner_neutral=partner_neutral, latent_order=latent_order, groups=groups,
        hypotheses=hypotheses, structural=structural,
    )


def _mapping_of(data: Any, file: str, c: _Checker) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        c.add(file, "", "", f"expected a mapping at the top level, got {type(data).__name__}")
        return {}
    return data


def _scales(data: Any, c: _Checker) -> dict[str, Scale]:
    f = "scales.yaml"
    out: dict[str, Scale] = {}
    for sid, s in _mapping_of(data, f, c).items():
        if not c.fields("scale", s, f, str(sid)):
            continue
        if s["kind"] not in SCALE_KINDS:
            c.add(f, sid, "kind", f"unknown kind {s['kind']!r} (expected one of {', '.join(SCALE_KINDS)})")
        points = []
        for k, p in enumerate(s["points"], 1):
            loc = f"{sid} point {k}"
            if not isinstance(p, dict) or not isinstance(p.get("code"), int) or isinstance(p.get("code"), bool):
                c.add(f, loc, "code", "each point needs an integer code")
                continue
            points.append(Choice(name=str(p["code"]), code=p["code"],
                                 label=c.text(p.get("label"), f, loc, "label")))
        codes = [p.code for p in points]
        if codes and codes != list(range(codes[0], codes[0] + len(codes))):
            c.add(f, sid, "points", f"codes must be consecutive and ascending, got {codes}")
        if len(points) < 2:
            c.add(f, sid, "points", "a scale needs at least 2 points")
        dk = s["dont_know"]
        dk_code = dk.get("code") if isinstance(dk, dict) else None
        if not isinstance(dk_code, int) or isinstance(dk_code, bool):
            c.add(f, sid, "dont_know.code", "expected an integer code")
            dk_code = -1
        elif dk_code in codes:
            c.add(f, sid, "dont_know.code", f"code {dk_code} is also a scale point")
        dk_label = c.text(dk.get("label") if isinstance(dk, dict) else None, f, sid, "dont_know.label")
        if points:
            out[str(sid)] = Scale(id=str(sid), kind=s["kind"], min=codes[0], max=codes[-1],
                                  points=tuple(points), dont_know=dk_code, dont_know_label=dk_label,
                                  label=c.text(s["label"], f, sid, "label") if s.get("label") else {})
    return out


def _constructs(data: Any, c: _Checker, scales: dict) -> dict[str, Construct]:
    f = "constructs.yaml"
    out: dict[str, Construct] = {}
    for cid, x in _mapping_of(data, f, c).items():
        cid = str(cid)
        if not re.match(r"^[A-Z]{3}$", cid):
            c.add(f, cid, "", "construct codes are three capital letters")
        if not c.fields("construct", x, f, cid):
            continue
        if x["kind"] not in CONSTRUCT_KINDS:
            c.add(f, cid, "kind", f"unknown kind {x['kind']!r} (expected one of {', '.join(CONSTRUCT_KINDS)})")
        if x["scale"] not in scales:
            c.add(f, cid, "scale", f"unknown scale {x['scale']!r}")
        out[cid] = Construct(id=cid, kind=x["kind"], name=c.text(x["name"], f, cid, "name"),
                             definition=c.text(x["definition"], f, cid, "definition"),
                             sectors=c.sectors(x["sectors"], f, cid), scale=x["scale"],
                             instruction=c.text(x["instruction"], f, cid, "instruction"))
    return out


def _items(data: Any, c: _Checker, scales: dict, constructs: dict) -> tuple[Item, ...]:
    f = "items.yaml"
    if data is None:
        return ()
    if not isinstance(data, list):
        c.add(f, "", "", f"expected a list of items, got {type(data).__name__}")
        return ()
    out: list[Item] = []
    seen: set[str] = set()
    for k, x in enumerate(data, 1):
        where = str(x.get("id")) if isinstance(x, dict) and x.get("id") else f"item #{k}"
        if not c.fields("item", x, f, where):
            continue
        iid = x["id"]
        if not ITEM_ID.match(iid):
            c.add(f, where, "id", f"{iid!r} does not match {ITEM_ID.pattern}")
        if iid in seen:
            c.add(f, where, "id", f"duplicate id {iid!r}")
        seen.add(iid)
        con = constructs.get(x["construct"])
        if con is None:
            c.add(f, where, "construct", f"unknown construct {x['construct']!r}")
        sectors = c.sectors(x["sectors"], f, where)
        if con is not None:
            outside = [s for s in sectors if s not in con.sectors]
            if outside:
                c.add(f, where, "sectors", f"{', '.join(outside)} not among the sectors of {con.id}")
        if x["facet"] == "core" and set(sectors) != set(SECTORS):
            c.add(f, where, "sectors", "a core item is asked of both sectors")
        scale = x.get("scale") or (con.scale if con else None)
        # an inherited scale that is unknown is already reported on the construct (or the
        # construct itself is unknown): report only the item's own scale here
        if x.get("scale") and scale not in scales:
            c.add(f, where, "scale", f"unknown scale {scale!r}")
        out.append(Item(id=iid, construct=x["construct"], facet=x["facet"], sectors=sectors,
                        reverse=x["reverse"], scale=scale or "", text=c.text(x["text"], f, where, "text"),
                        source=x["source"]))
    return tuple(out)


def _question(x: Any, c: _Checker, f: str, where: str, scales: dict) -> ContextQuestion | None:
    if not c.fields("question", x, f, where):
        return None
    qtype = x["type"]
    if qtype not in CONTEXT_TYPES:
        c.add(f, where, "type", f"unknown type {qtype!r} (expected one of {', '.join(CONTEXT_TYPES)})")
    if not NAME.match(x["id"]):
        c.add(f, where, "id", f"{x['id']!r} must be snake_case starting with a letter")
    choices: tuple[Choice, ...] = ()
    if qtype == "select_one":
        choices = c.choices(x.get("choices"), f, where)
    elif x.get("choices"):
        c.add(f, where, "choices", f"only select_one questions have choices (type is {qtype})")
    if qtype == "rating" and x.get("scale") not in scales:
        c.add(f, where, "scale", f"a rating needs a known scale, got {x.get('scale')!r}")
    return ContextQuestion(
        id=x["id"], type=qtype, label=c.text(x["label"], f, where, "label"), choices=choices,
        required=x.get("required", True), min=x.get("min"), max=x.get("max"),
        sectors=c.sectors(x.get("sectors"), f, where),
        hint=c.text(x["hint"], f, where, "hint") if x.get("hint") else {},
        scale=x.get("scale"), source=x.get("source", ""))


def _context(data: Any, c: _Checker, scales: dict, constructs: dict):
    f = "context.yaml"
    data = _mapping_of(data, f, c)
    for key in data:
        if key not in ("consent", "questions", "attention"):
            c.add(f, str(key), "", "unknown section (allowed: consent, questions, attention)")
    consent = _question(data.get("consent"), c, f, "consent", scales) if "consent" in data else None
    if consent is None and "consent" not in data:
        c.add(f, "consent", "", "the consent question is missing")
    questions: list[ContextQuestion] = []
    seen: set[str] = set()
    broken: set[str] = set()  # questions with a problem already reported
    qs = data.get("questions")
    if not isinstance(qs, list):
        c.add(f, "questions", "", "expected a list of context questions")
        qs = []
    for k, x in enumerate(qs, 1):
        where = str(x.get("id")) if isinstance(x, dict) and x.get("id") else f"question #{k}"
        before = len(c.problems)
        q = _question(x, c, f, where, scales)
        if q is None:
            continue
        if len(c.problems) > before:
            broken.add(q.id)
        if q.id in seen:
            c.add(f, where, "id", f"duplicate id {q.id!r}")
        seen.add(q.id)
        questions.append(q)
    for rid in REQUIRED_CONTEXT:
        if rid not in seen:
            c.add(f, "questions", rid, "required context question is missing")
    sector_q = next((q for q in questions if q.id == "sector"), None)
    if (sector_q is not None and "sector" not in broken
            and sorted(ch.name for ch in sector_q.choices) != sorted(SECTORS)):
        c.add(f, "sector", "choices", f"choice names must be exactly {', '.join(SECTORS)}")
    attention = None
    a = data.get("attention")
    if a is None:
        c.add(f, "attention", "", "the attention-check item is missing")
    elif c.fields("attention", a, f, "attention"):
        if a["block"] not in constructs:
            c.add(f, "attention", "block", f"unknown construct {a['block']!r}")
        sc = scales.get(a["scale"])
        if sc is None:
            c.add(f, "attention", "scale", f"unknown scale {a['scale']!r}")
        elif a["expected"] not in sc.codes:
            c.add(f, "attention", "expected", f"code {a['expected']} is not a point of {sc.id}")
        if not ITEM_ID.match(a["id"]):
            c.add(f, "attention", "id", f"{a['id']!r} does not match {ITEM_ID.pattern}")
        attention = AttentionCheck(id=a["id"], block=a["block"], scale=a["scale"],
                                   text=c.text(a["text"], f, "attention", "text"), expected=a["expected"])
    return tuple(questions), consent, attention

