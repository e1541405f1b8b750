"""The response rates and wave changes a comparison publishes, with small-cell suppression.

Kept apart from :func:`coprod.reports.views.published.publish` (the groups' figures) so that both
can be routed through one disclosure layer; each function here takes the group mask that layer
computed and adds its own rule:

* :func:`publish_rates` -- a group hidden on the page shows no rate and no invited count (its
  invited count with the overall rate would not give its n, but a hidden group shows no figure at
  all); the overall rate only when the total is shown and every group's rate is known (a rate over
  a subset of the groups would publish that subset's n, from which a hidden n could follow).
* :func:`publish_change` -- suppression per group × wave: each wave's groups are masked as one
  comparison of their own (:func:`~coprod.reports.views.published.masks`: primary, secondary and
  per construct), since each wave's total may be published; the later wave's mask also hides
  what the page (the later wave's comparison) hides. A change is published only where both waves'
  cells are shown and the waves are comparable (scalar invariance across waves); wave totals only
  when not small.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from coprod.analysis._result import jsonable
from coprod.analysis.run.records import ResponseRates, WaveChange, opt

from .published import MeanCell, masks

__all__ = ["PublishedRate", "PublishedRates", "PublishedWaveCell", "PublishedChange", "publish_rates",
           "publish_change"]


@dataclass(frozen=True, slots=True)
class PublishedRate:
    suppressed: bool = False
    invited: int | None = None
    rate: float | None = None

    def to_dict(self) -> dict:
        if self.suppressed:
            return {"suppressed": True}
        return {"invited": self.invited, "rate": self.rate}


@dataclass(frozen=True, slots=True)
class PublishedRates:
    wave: str | None
    groups: dict[str, PublishedRate]
    overall: PublishedRate

    def to_dict(self) -> dict:
        return jsonable({"wave": self.wave, "groups": {g: r.to_dict() for g, r in self.groups.items()},
                         "overall": self.overall.to_dict()})


def publish_rates(rates: ResponseRates | None, hidden: frozenset[str], hide_total: bool) -> PublishedRates | None:
    """The rates that may be published, given the groups the page hides (``hidden``)."""
    if rates is None:
        return None
    groups = {g: (PublishedRate(suppressed=True) if g in hidden or hide_total
                  else PublishedRate(invited=opt(r.invited), rate=opt(r.rate)))
              for g, r in rates.groups.items()}
    every = all(r.rate is not None for r in rates.groups.values())
    o = rates.overall
    overall = (PublishedRate(invited=o.invited, rate=o.rate) if every and not hide_total and o.rate is not None
               else PublishedRate(suppressed=True))
    return PublishedRates(wave=rates.wave, groups=groups, overall=overall)


@dataclass(frozen=True, slots=True)
class PublishedWaveCell:
    """One group's figures of one construct: each wave's observed mean and the change."""

    before: MeanCell
    after: MeanCell
    change: dict[str, Any] | None = None  # diff, lower, upper; None: not published

    def to_dict(self) -> dict:
        out = {"before": self.before.to_dict(), "after": self.after.to_dict()}
        if self.change is not None:
            out["change"] = self.change
        return out


@dataclass(frozen=True, slots=True)
class PublishedChange:
    """What a comparison of two waves may show."""

    waves: tuple[str, str]
    comparable: bool
    reason: str
    decision: str
    invariance: dict
    n: dict[str, dict[str, int | None]]  # group -> wave -> n (None: suppressed or absent)
    totals: dict[str, int | None]  # wave -> total n (None: small)
    cells: dict[str, dict[str, PublishedWaveCell]]  # group -> construct (groups shown in a wave)
    hidden: dict[str, frozenset[str]]  # wave -> groups hidden in it

    def to_dict(self) -> dict:
        return jsonable({"waves": list(self.waves), "comparable": self.comparable, "reason": self.reason,
                         "invariance": self.invariance, "n": self.n, "totals": self.totals,
                         "groups": {g: {c: x.to_dict() for c, x in cs.items()} for g, cs in self.cells.items()}})


def _public_invariance(inv) -> dict:
    keep: dict[str, Any] = {"decision": inv.decision, "groups_tested": list(inv.groups_tested)}
    if opt(inv.rule) is not None:
        keep["rule"] = inv.rule
    for level in ("configural", "metric", "scalar"):
        fit = opt(getattr(inv, level))
        if fit is not None:
            keep[level] = {k: v for k, v in fit.to_dict().items() if k != "chisq_by_group"}
    for k in ("lrt", "delta"):
        value = opt(getattr(inv, k))
        if value is not None:
            keep[k] = {level: x.to_dict() for level, x in value.items()}
    return jsonable(keep)


def _cell(m, hidden: bool) -> MeanCell:
    if m is None:
        return MeanCell()
    return MeanCell(suppressed=True) if hidden else MeanCell.of(m, full=True)


def publish_change(change: WaveChange | None, *, min_cell: int, page_hidden: frozenset[str] = frozenset()) -> PublishedChange | None:
    """The change between the waves that may be published at ``min_cell``.

    ``page_hidden``: the groups the page (the later wave's comparison) hides; hidden in that wave
    here too, so the two never disagree.
    """
    if change is None:
        return None
    w1, w2 = change.waves
    rows, cellmasks, small = {}, {}, {}
    for w in (w1, w2):
        row, cells, hide_total = masks(change.stats[w], min_cell)
        if w == w2:
            for g in page_hidden & set(row.index):
                row[g] = True
                cells.loc[g, :] = True
        rows[w], cellmasks[w], small[w] = row, cells, hide_total
    hidden = {w: frozenset(g for g, h in rows[w].items() if bool(h)) for w in (w1, w2)}
    labels = list(dict.fromkeys([*change.stats[w1].groups, *change.stats[w2].groups]))
    n = {g: {w: (None if g in hidden[w] or g not in change.stats[w].groups else int(change.stats[w].groups[g].n))
             for w in (w1, w2)} for g in labels}
    totals = {w: (None if small[w] else int(change.stats[w].overall.n)) for w in (w1, w2)}
    out: dict[str, dict[str, PublishedWaveCell]] = {}
    for g in labels:
        per: dict[str, PublishedWaveCell] = {}
        s1, s2 = change.stats[w1].groups.get(g), change.stats[w2].groups.get(g)
        constructs = list(dict.fromkeys([*(s1.means if s1 else {}), *(s2.means if s2 else {})]))
        for c in constructs:
            h1 = s1 is None or bool(_at(cellmasks[w1], g, c))
            h2 = s2 is None or bool(_at(cellmasks[w2], g, c))
            before = _cell(s1.means.get(c) if s1 else None, h1 and s1 is not None)
            after = _cell(s2.means.get(c) if s2 else None, h2 and s2 is not None)
            ch = None
            cc = (change.change.get(g) or {}).get(c)
            if change.comparable and not h1 and not h2 and cc is not None and cc.diff is not None:
                ch = {"diff": cc.diff, "lower": opt(cc.lower), "upper": opt(cc.upper)}
            per[c] = PublishedWaveCell(before=before, after=after, change=ch)
        out[g] = per
    return PublishedChange(waves=(w1, w2), comparable=bool(change.comparable), reason=change.reason,
                           decision=change.invariance.decision, invariance=_public_invariance(change.invariance),
                           n=n, totals=totals, cells=out, hidden=hidden)


def _at(mask: pd.DataFrame, g: str, c: str) -> bool:
    if g not in mask.index or c not in mask.columns:
        return True  # a cell the mask does not know is not shown
    return bool(mask.at[g, c])
