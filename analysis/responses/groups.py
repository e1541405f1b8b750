"""Free-text group names (the municipality) as one spelling per group.

Respondents type their municipality, so "Aarhus", "aarhus kommune" and "Aarhus  Kommune" are
one municipality spelled three ways; grouped as they are, they would be three. Spellings are
grouped by :func:`group_key` (Unicode NFC, case, whitespace, a trailing "Kommune"), an explicit
mapping (``--groups FILE.csv``) first; each group is shown by its most frequent spelling (or the
mapping's name), and every merge is reported, so nothing is grouped silently.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

__all__ = ["Merge", "group_key", "spelling_key", "merge_spellings"]

_KOMMUNE = re.compile(r"\s*\bkommune$")


@dataclass(frozen=True, slots=True)
class Merge:
    """``rows`` cells spelled ``spelling`` were grouped with ``into`` (``explicit``: by the
    mapping given, else by :func:`group_key`)."""

    spelling: str
    rows: int
    into: str
    explicit: bool = False

    def __str__(self) -> str:
        how = " (by the groups file)" if self.explicit else ""
        return f"{self.spelling!r} ({self.rows} row{'s' if self.rows != 1 else ''}) grouped with {self.into!r}{how}"


def spelling_key(name: str) -> str:
    """A spelling compared exactly up to Unicode form, case and whitespace."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def group_key(name: str) -> str:
    """The key spellings of one group share: :func:`spelling_key` without a trailing
    "kommune".

    >>> group_key("Aarhus  Kommune") == group_key("aarhus") == "aarhus"
    True
    """
    s = spelling_key(name)
    return _KOMMUNE.sub("", s).strip() or s


def merge_spellings(values: np.ndarray, *, explicit: Mapping[str, str] | None = None
                    ) -> tuple[np.ndarray, tuple[Merge, ...]]:
    """``values`` (text, ``None`` missing) with every group written one way, and the merges.

    ``explicit`` maps spellings to group names (compared by :func:`spelling_key`); the others
    are grouped by :func:`group_key` and shown by their most frequent spelling (the first seen
    on a tie).

    >>> v, merges = merge_spellings(np.array(["Aarhus", "aarhus kommune", "Aarhus", None], dtype=object))
    >>> list(v), [str(m) for m in merges]
    (['Aarhus', 'Aarhus', 'Aarhus', None], ["'aarhus kommune' (1 row) grouped with 'Aarhus'"])
    """
    mapped = {spelling_key(k): v.strip() for k, v in (explicit or {}).items()}
    # work per distinct value: a column of 100,000 answers holds a few dozen spellings
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    n_of = np.bincount(codes[codes >= 0], minlength=len(uniques))
    counts: dict[str, int] = {}
    for u, k in zip(uniques, n_of):  # first-seen order
        t = str(u).strip()
        if t:
            counts[t] = counts.get(t, 0) + int(k)
    named: dict[str, str] = {group_key(t): t for t in mapped.values()}
    members: dict[str, list[str]] = {}
    target_of: dict[str, tuple[str, bool]] = {}
    for s in counts:
        t = mapped.get(spelling_key(s))
        key = group_key(t if t is not None else s)
        members.setdefault(key, []).append(s)
        target_of[s] = (key, t is not None)
    shown = {key: named.get(key) or max(spellings, key=lambda x: counts[x])
             for key, spellings in members.items()}
    lut = np.empty(len(uniques) + 1, dtype=object)
    lut[-1] = None
    for k, u in enumerate(uniques):
        t = str(u).strip()
        lut[k] = shown[target_of[t][0]] if t else u
    out = lut[codes]
    merges = tuple(Merge(s, counts[s], shown[key], explicit)
                   for s, (key, explicit) in target_of.items() if s != shown[key])
    return out, merges
