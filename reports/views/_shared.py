"""Shared pieces of the view-models: table-of-contents and provenance entries, and what a reader
sees for an id (the bank's wording of sectors, answers and constructs, or the id itself)."""
from __future__ import annotations

import math
from typing import Any, NamedTuple

from coprod.instrument.model import Bank


def check_bank(bank) -> None:
    """A renderer takes the ``Bank`` itself (or ``None``), never a folder to load one from."""
    if bank is not None and not isinstance(bank, Bank):
        raise TypeError(f"bank must be a Bank (coprod.load_bank(folder)) or None, not {type(bank).__name__}")


class TocEntry(NamedTuple):
    id: str
    title: str


class ProvenanceEntry(NamedTuple):
    """One line of a page's provenance footer."""

    label: str
    value: Any


LABEL_MAX = 70  # characters of item wording shown next to a bar


def num(x: Any) -> float | None:
    """``x`` as a float, or ``None`` for missing, non-numeric, boolean and NaN values."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def text(obj: Any, lang: str) -> str:
    """A bank text in ``lang`` (English when that language is missing)."""
    if isinstance(obj, dict):
        return str(obj.get(lang) or obj.get("en") or "")
    return "" if obj is None else str(obj)


def short(value: str, n: int = LABEL_MAX) -> str:
    """``value`` on one line, cut to ``n`` characters with an ellipsis."""
    value = " ".join(value.split())
    return value if len(value) <= n else value[: n - 1].rstrip() + "\u2026"


def sector_label(bank, sector: str, lang: str) -> str:
    if bank is not None and sector in getattr(bank, "sector_label", {}):
        return text(bank.sector_label[sector], lang)
    return str(sector).replace("_", " ")


def choice_label(bank, question: str, value, lang: str) -> str:
    """The questionnaire's answer label of a coded context value (``elderly_care`` -> "Elderly care")."""
    label = bank.answer_label(question, value, lang) if bank is not None else None
    return label or str(value).replace("_", " ")


def construct_label(bank, cid: str, lang: str) -> str:
    if bank is not None and cid in bank.constructs:
        return f"{text(bank.constructs[cid].name, lang)} ({cid})"
    return str(cid)


class FitRow(NamedTuple):
    """One model's fit: a row of the fit tables."""

    label: str
    n: Any
    chisq: Any
    df: Any
    pvalue: Any
    cfi: Any
    tli: Any
    rmsea: Any
    rmsea_lower: Any
    rmsea_upper: Any
    srmr: Any
