"""What a platform stores for one question: a :class:`Codebook` (its codes, and the label texts
accepted in their place, "Strongly agree", "Helt enig"), built from the bank's scales and choices.

The platform descriptions (:mod:`coprod.instrument.platforms.base`) give every export column one;
:func:`coprod.analysis.responses.decode.decode` applies it to a column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import Choice, Scale

__all__ = ["Codebook", "scale_codebook", "choice_codebook", "integer_codebook", "text_codebook",
           "norm_label"]


def norm_label(text: Any) -> str:
    """Labels compare case-insensitively, with runs of spaces collapsed and curly quotes
    straightened (spreadsheets like to turn ``Don't`` into ``Don’t``)."""
    s = str(text).replace("\u2019", "'").replace("\u00a0", " ")
    return " ".join(s.split()).casefold()


@dataclass(frozen=True, slots=True)
class Codebook:
    """How one question's values are stored.

    ``kind``: ``scale`` (integer codes of a response scale), ``choice`` (select_one; canonical
    value is the choice name), ``integer`` (a number in ``lo..hi``) or ``text``.
    ``codes`` maps the platform's stored value (as text, e.g. ``"7"``, ``"A7"``, ``"integration"``)
    to the canonical value; ``labels`` maps normalised label text to the canonical value.
    ``expected`` describes the allowed codes for messages (``1..7 (or 99 = don't know)``).
    ``dont_know`` is the canonical don't-know code (scales only).
    """

    kind: str
    codes: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)
    expected: str = ""
    dont_know: int | None = None
    lo: int | None = None
    hi: int | None = None
    label_examples: tuple[str, ...] = ()
    name: str = ""  # question id, for messages


def scale_codebook(scale: Scale, *, codes: dict[int, str] | None = None, name: str = "") -> Codebook:
    """A response scale. ``codes`` maps each canonical code (1..7, 99) to what the platform stores
    (default: the code itself)."""
    canon = [p.code for p in scale.points] + [scale.dont_know]
    stored = {c: (codes or {}).get(c, str(c)) for c in canon}
    labels: dict[str, Any] = {}
    for p in scale.points:
        for t in p.label.values():
            labels[norm_label(t)] = p.code
    for t in scale.dont_know_label.values():
        labels[norm_label(t)] = scale.dont_know
        # "Don't know / not relevant": accept the first half alone too
        labels.setdefault(norm_label(t.split("/")[0]), scale.dont_know)
    lo, hi = stored[scale.points[0].code], stored[scale.points[-1].code]
    expected = f"{lo}..{hi} (or {stored[scale.dont_know]} = don't know)"
    ex = [scale.points[-1].label.get(lang) for lang in ("en", "da")]
    return Codebook("scale", codes={v: c for c, v in stored.items()}, labels=labels,
                    expected=expected, dont_know=scale.dont_know,
                    label_examples=tuple(x for x in ex if x), name=name)


def choice_codebook(choices: tuple[Choice, ...], *, codes: dict[str, str] | None = None,
                    name: str = "", accept_names: bool = True, accept_codes: bool = False) -> Codebook:
    """A select_one question. ``codes`` maps choice name -> stored value (default: the name).
    ``accept_codes`` also accepts the bank's numeric codes (SPSS/Stata, hand-made CSVs)."""
    table: dict[str, Any] = {}
    for ch in choices:
        table[str((codes or {}).get(ch.name, ch.name))] = ch.name
        if accept_names:
            table.setdefault(ch.name, ch.name)
        if accept_codes:
            table.setdefault(str(ch.code), ch.name)
    labels = {norm_label(t): ch.name for ch in choices for t in ch.label.values()}
    # name/code lookups are exact; labels case-insensitive. Names also case-insensitively.
    for ch in choices:
        labels.setdefault(norm_label(ch.name), ch.name)
    shown = ", ".join(str((codes or {}).get(ch.name, ch.name)) for ch in choices)
    return Codebook("choice", codes=table, labels=labels, expected=shown, name=name)


def integer_codebook(lo: int | None, hi: int | None, *, name: str = "") -> Codebook:
    rng = f"{lo if lo is not None else ''}..{hi if hi is not None else ''}"
    return Codebook("integer", expected=rng, lo=lo, hi=hi, name=name)


def text_codebook(*, name: str = "") -> Codebook:
    return Codebook("text", name=name)
