"""View-models of the response rates and the change between waves on the comparison pages.

Built from :mod:`coprod.reports.views.published_waves` only; read by ``_compare_waves.html.j2``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from coprod.reports.i18n import level_text, t

from .published_waves import PublishedChange, PublishedRates

__all__ = ["RateRow", "RatesView", "ChangeCellView", "ChangeRow", "WavesIndexView", "WaveGroupRow",
           "WavesGroupView", "rates_view", "waves_index_view", "waves_group_view"]


class RateRow(NamedTuple):
    label: str
    suppressed: bool
    invited: Any
    rate: Any


@dataclass(frozen=True, slots=True)
class RatesView:
    """Response rates per group (one wave), and overall when it may be shown."""

    wave: str | None
    rows: tuple[RateRow, ...]
    overall: RateRow | None
    note: str


def rates_view(pr: PublishedRates | None, labels: list[str], shown: dict, lang: str) -> RatesView | None:
    if pr is None:
        return None
    rows = tuple(RateRow(shown.get(g, g), r.suppressed, r.invited, r.rate)
                 for g in labels if (r := pr.groups.get(g)) is not None)
    o = pr.overall
    overall = None if o.suppressed else RateRow(t("cmp_all_groups", lang), False, o.invited, o.rate)
    return RatesView(wave=pr.wave, rows=rows, overall=overall, note=t("cmp_rate_note", lang))


class ChangeCellView(NamedTuple):
    construct: str
    suppressed: bool
    diff: Any
    lower: Any
    upper: Any


class ChangeRow(NamedTuple):
    label: str
    n_before: Any  # None: suppressed or absent (see the *_hidden flags)
    n_after: Any
    hidden_before: bool
    hidden_after: bool
    cells: tuple[ChangeCellView, ...]


@dataclass(frozen=True, slots=True)
class WavesIndexView:
    """The index's change section: per group, each wave's n and the change per construct."""

    before: str
    after: str
    comparable: bool
    reason: str
    columns: tuple  # ConstructInfo of the latent constructs
    rows: tuple[ChangeRow, ...]
    note: str


def _reason(pc: PublishedChange, lang: str) -> str:
    w1, w2 = pc.waves
    if pc.comparable:
        return t("cmp_waves_ok", lang, before=w1, after=w2, level=level_text(pc.decision, lang))
    if pc.decision == "not tested":
        return t("cmp_waves_not_tested", lang, before=w1, after=w2)
    return t("cmp_waves_not_invariant", lang, before=w1, after=w2, level=level_text(pc.decision, lang))


def waves_index_view(pc: PublishedChange | None, infos: dict, labels: list[str], shown: dict,
                     lang: str) -> WavesIndexView | None:
    if pc is None:
        return None
    w1, w2 = pc.waves
    cols = tuple(i for i in infos.values() if not i.strategy)
    rows = []
    for g in labels:
        if g not in pc.n:
            continue
        hid1, hid2 = g in pc.hidden[w1], g in pc.hidden[w2]
        cells = []
        for c in cols:
            x = pc.cells.get(g, {}).get(c.id)
            ch = x.change if x is not None else None
            cells.append(ChangeCellView(c.id, hid1 or hid2 or (x is not None and (x.before.suppressed or x.after.suppressed)),
                                        *(ch["diff"], ch["lower"], ch["upper"]) if ch else (None, None, None)))
        rows.append(ChangeRow(shown.get(g, g), pc.n[g][w1], pc.n[g][w2], hid1, hid2, tuple(cells)))
    return WavesIndexView(before=w1, after=w2, comparable=pc.comparable, reason=_reason(pc, lang), columns=cols,
                          rows=tuple(rows), note=t("cmp_waves_note", lang))


class WaveGroupRow(NamedTuple):
    """One construct on a group's page: each wave's observed mean and CI, and the change."""

    id: str
    name: str
    before: Any  # MeanCell
    after: Any
    change: Any  # dict(diff, lower, upper) or None


@dataclass(frozen=True, slots=True)
class WavesGroupView:
    before: str
    after: str
    comparable: bool
    reason: str
    rows: tuple[WaveGroupRow, ...]
    hidden_before: bool
    note: str


def waves_group_view(pc: PublishedChange | None, g: str, infos: dict, lang: str) -> WavesGroupView | None:
    """A group's change section (``None`` without waves; a group hidden in the later wave has no page
    figures at all, so it gets none either)."""
    if pc is None or g not in pc.n or g in pc.hidden[pc.waves[1]]:
        return None
    cells = pc.cells.get(g, {})
    rows = tuple(WaveGroupRow(c, i.name, cells[c].before, cells[c].after, cells[c].change)
                 for c, i in infos.items() if not i.strategy and c in cells)
    return WavesGroupView(before=pc.waves[0], after=pc.waves[1], comparable=pc.comparable, reason=_reason(pc, lang),
                          rows=rows, hidden_before=g in pc.hidden[pc.waves[0]], note=t("cmp_waves_note", lang))
