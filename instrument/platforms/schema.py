"""The canonical response table of a bank, what every platform's export is read into: one row
per respondent, one column per question.

Columns, in this order (derived from the item bank, never hard-coded):

``respondent_id`` (text), ``sector``, ``role``, ``service_area``, ``municipality`` (free text:
any name, e.g. ``Høje-Taastrup``), ``organisation_type``, the bank's other context questions in
bank order, one integer column per item id in bank order, the attention check (``ATT_1``) and
``duration_s`` (seconds taken, missing when the platform records no times).

Dtypes: choices and text are pandas ``str`` (choice *names*, e.g. ``elderly_care``); items, the
attention check, rating and integer questions and ``duration_s`` are ``float64`` holding whole
numbers, ``NaN`` for missing. (Float rather than the nullable ``Int64``: every numeric library
downstream takes it as is, and one float block keeps reading 100,000 respondents fast.)
In ``ResponseData.table`` (:mod:`coprod.analysis.responses`) a don't-know answer is missing (``<NA>``) and marked in
``ResponseData.dont_know``. A canonical *file* (and :func:`~analysis.responses.simulate`)
keeps the scale's don't-know code (99) instead, as platforms store it, and adds an
``instrument_version`` column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..model import SECTORS, Bank, Choice, Scale

__all__ = ["ID", "REQUIRED_CONTEXT", "DURATION", "VERSION", "Column", "Schema", "schema_for"]

ID = "respondent_id"
REQUIRED_CONTEXT = ("sector", "role", "service_area", "municipality", "organisation_type")
DURATION = "duration_s"
VERSION = "instrument_version"


@dataclass(frozen=True, slots=True)
class Column:
    """One canonical column and the rule for its values.

    ``kind`` is ``id``, ``select_one``, ``text``, ``integer``, ``rating`` (context question on a
    response scale), ``item``, ``attention`` or ``duration``. ``sectors`` are the sectors asked.
    """

    name: str
    kind: str
    sectors: tuple[str, ...] = SECTORS
    scale: Scale | None = None
    choices: tuple[Choice, ...] = ()
    min: int | None = None
    max: int | None = None
    construct: str | None = None
    reverse: bool = False
    core: bool = False

    @property
    def coded(self) -> bool:
        """Answered on a response scale (don't-know possible)."""
        return self.kind in ("item", "attention", "rating")

    @property
    def dtype(self) -> str:
        return "str" if self.kind in ("id", "select_one", "text") else "float64"


@dataclass(frozen=True, slots=True)
class Schema:
    """The canonical columns of one bank."""

    bank: Bank
    columns: tuple[Column, ...]
    by_name: Mapping[str, Column] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def item_ids(self) -> list[str]:
        return [c.name for c in self.columns if c.kind == "item"]

    @property
    def coded(self) -> list[str]:
        return [c.name for c in self.columns if c.coded]

    @property
    def context(self) -> list[Column]:
        return [c for c in self.columns if c.kind in ("select_one", "text", "integer", "rating")]

    def dtypes(self) -> dict[str, str]:
        return {c.name: c.dtype for c in self.columns}

    def blocks(self, sector: str) -> dict[str, list[str]]:
        """Item columns per construct asked of ``sector`` (its scale: core + that sector's facets)."""
        out: dict[str, list[str]] = {}
        for c in self.columns:
            if c.kind == "item" and sector in c.sectors:
                out.setdefault(c.construct or "", []).append(c.name)
        return out


_CACHE: dict[int, tuple[Bank, Schema]] = {}


def schema_for(bank: Bank) -> Schema:
    """The canonical schema of ``bank`` (cached per bank object)."""
    hit = _CACHE.get(id(bank))
    if hit is not None and hit[0] is bank:
        return hit[1]
    cols: list[Column] = [Column(ID, "id")]
    by_id = {q.id: q for q in bank.context}
    ordered = [by_id[q] for q in REQUIRED_CONTEXT if q in by_id]
    ordered += [q for q in bank.context if q.id not in REQUIRED_CONTEXT]
    for q in ordered:
        kind = q.type if q.type in ("select_one", "text", "integer", "rating") else "text"
        cols.append(Column(q.id, kind, sectors=q.sectors, choices=q.choices, min=q.min, max=q.max,
                           scale=bank.scales.get(q.scale) if q.scale else None))
    for it in bank.items:
        cols.append(Column(it.id, "item", sectors=it.sectors, scale=bank.scales[it.scale],
                           construct=it.construct, reverse=it.reverse, core=it.is_core))
    att = bank.attention
    if att is not None:
        con = bank.constructs.get(att.block)
        cols.append(Column(att.id, "attention", sectors=con.sectors if con else SECTORS,
                           scale=bank.scales[att.scale], construct=att.block))
    cols.append(Column(DURATION, "duration"))
    schema = Schema(bank=bank, columns=tuple(cols), by_name={c.name: c for c in cols})
    if len(_CACHE) > 16:
        _CACHE.clear()
    _CACHE[id(bank)] = (bank, schema)
    return schema
