"""The analysis's warnings, errors and notes in the report's language (issue 11, item 6).

results.json keeps them in English, the machine record; a report translates them as it renders,
with the catalogue of :mod:`coprod.reports._i18n_warnings` compiled here once into anchored
regular expressions.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from markupsafe import Markup, escape

from ._i18n_warnings import FRAGMENTS, GROUPINGS, LABELS, MESSAGES, VERBATIM

__all__ = ["translate_warning", "translate_warnings", "find_translation"]

_FIELD = re.compile(r"\{(\w+)\}")
_DECIMAL = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")
_BRACKETED = re.compile(r"(?P<base>[\w ]+?)\[(?P<arg>[^\]]+)\]")
_FILE = re.compile(r"\S+|.+\.\w{2,5}")  # one word, or a name with an extension
_BY = re.compile(r"invariance by (?P<by>\w+)")


def _compile(pairs) -> tuple[tuple[re.Pattern, str], ...]:
    """Each English template as an anchored pattern: literal text escaped, ``{name}`` any text, as
    short as the rest allows (``{name_}``: as long; the same name again: the same text)."""
    out = []
    for en, da in pairs:
        parts, seen, pos = [], set(), 0
        for m in _FIELD.finditer(en):
            parts.append(re.escape(en[pos:m.start()]))
            name = m.group(1)
            lazy = "" if name.endswith("_") else "?"  # "{msg_}": the longest text (see _i18n_warnings)
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*{lazy})")
            seen.add(name)
            pos = m.end()
        parts.append(re.escape(en[pos:]))
        out.append((re.compile("".join(parts), re.DOTALL), da))
    return tuple(out)


@lru_cache(maxsize=1)
def _catalogue():
    return _compile(MESSAGES), _compile(FRAGMENTS)


def _value(name: str, value: str) -> str:
    """A placeholder's text in Danish: a nested English fragment translated, a decimal number with a
    decimal comma, anything else (names, ids, group values) as it is."""
    frags = _catalogue()[1]
    head, sep, tail = value.rpartition(": ")  # a response problem's location before a fragment
    if sep and (loc := _location(head)) is not None and (inner := _match(tail, frags)) is not None:
        return f"{loc}: {inner}"
    if ", " in value:  # a list of parameters ("x1 ~~ x1 (group a), F1 ~~ F1 (group b)")
        done = [_match(p, frags) for p in value.split(", ")]
        if all(d is not None for d in done):
            return ", ".join(done)
    got = _match(value, frags)
    if got is None and name == "error":  # an exception's message ("wlsmv_cfa not fitted: {error}")
        got = find_translation(value)
    if got is not None:
        return got
    if name not in VERBATIM and _DECIMAL.fullmatch(value):
        return value.replace(".", ",")
    return value


def _match(text: str, patterns) -> str | None:
    for pat, da in patterns:
        m = pat.fullmatch(text)
        if m is not None:
            return _FIELD.sub(lambda f: _value(f.group(1), m.group(f.group(1))), da)
    return None


def _label(prefix: str) -> str | None:
    """A "name: " prefix in Danish (a section, a step, an invariance level), or None."""
    if prefix in LABELS:
        return LABELS[prefix]
    m = _BRACKETED.fullmatch(prefix)
    if m and m["base"] in LABELS:
        return f"{LABELS[m['base']]}[{GROUPINGS.get(m['arg'], m['arg'])}]"
    m = _BY.fullmatch(prefix)
    if m:
        return f"invarians efter {GROUPINGS.get(m['by'], m['by'])}"
    return None


def _location(head: str) -> str | None:
    """A response problem's location ("file.csv, row 3, column X") in Danish, or None."""
    parts = head.split(", ")
    if len(parts) < 2:
        return None
    done = [_match(p, _catalogue()[1]) for p in parts[1:]]
    if all(d is not None and d != p for d, p in zip(done, parts[1:])):
        return ", ".join([parts[0], *done])
    return None


def find_translation(text: str) -> str | None:
    """``text`` (one English warning, error or note as results.json holds it) in Danish, or None.

    Tried in turn: the whole text as a message; a known "name: " prefix (a section such as
    ``cfa`` or ``invariance[sector]``, an invariance level), translated, before the rest; a
    response file's location ("file.csv, row 3, column X: ") before a message.

    Examples
    --------
    >>> find_translation("sem: only 3 usable row(s) in group 'x': the model cannot be estimated")
    "SEM: kun 3 brugbare rækker i gruppen 'x': modellen kan ikke estimeres"
    >>> find_translation("something new") is None
    True
    """
    head, sep, rest = text.partition(": ")
    label = _label(head) if sep else None
    if label is not None and (inner := find_translation(rest)) is not None:
        return f"{label}: {inner}"  # before the whole text: "{n} factors ..." would take in "cfa: "
    splits = [(text[:m.start()], text[m.end():]) for m in re.finditer(": ", text)]
    for head, rest in splits:  # a response problem's location, before "{n} cell(s) ..." takes it in
        loc = _location(head)
        if loc is not None and (inner := _match(rest, _catalogue()[0])) is not None:
            return f"{loc}: {inner}"
    for head, rest in splits:  # a file's name ("export.csv: ..."), before "{n} ..." takes it in
        if _FILE.fullmatch(head) and (inner := _match(rest, _catalogue()[0])) is not None:
            return f"{head}: {inner}"
    return _match(text, _catalogue()[0])


def translate_warning(text: str, lang: str) -> str:
    """``text`` in ``lang``; English is returned as it is.

    A warning the catalogue does not know (written by an older coprod into an older results.json)
    is shown in English, marked ``lang="en"`` so that a screen reader reads it as English; the
    coverage test (tests/reports/test_warnings_da.py) keeps that from happening for current code.

    Examples
    --------
    >>> translate_warning("cfa: the factor extraction did not converge", "da")
    'CFA: faktorudtrækningen konvergerede ikke'
    >>> translate_warning("an old warning", "da")
    Markup('<span lang="en">an old warning</span>')
    """
    if lang == "en":
        return text
    got = find_translation(text)
    if got is None:
        return Markup('<span lang="en">{}</span>').format(escape(text))
    return got


def translate_warnings(texts: Iterable[str], lang: str) -> tuple[str, ...]:
    """:func:`translate_warning` of each of ``texts`` (a report's warnings, errors, notes)."""
    return tuple(translate_warning(t, lang) for t in texts)
