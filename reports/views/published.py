"""The figures a comparison publishes, with small-cell suppression applied, as typed records.

:func:`publish` is the one place that reads a ``ComparisonResult`` (from
:func:`coprod.analysis.compare.compare_groups`) for the comparison; both the pages
(:mod:`coprod.reports.views.compare`) and ``results.json`` (:meth:`Published.to_dict`) are made
from its :class:`Published`, so a page can never show a figure that ``results.json`` hides.
Values are JSON-safe (NaN is ``None``) and unrounded.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from coprod.analysis._result import jsonable
from coprod.analysis.run.records import (AlignedFactor, ComparisonAlignment, ComparisonInvariance, GroupPaths,
                                         GroupStats, MeanCi, NoPaths, opt)
from coprod.reports.disclosure import cross_mask, disclosure_masks, public_provenance, scrub_warnings
from coprod.reports.suppression import suppress_columns, total_is_small

from ._shared import check_bank

__all__ = ["MeanCell", "GroupSem", "PublishedGroup", "PublishedOverall", "PublishedAlignment", "Published",
           "publish", "masks", "sector_mask"]

_MEAN_KEYS = ("n", "mean", "sd", "lower", "upper")


@dataclass(frozen=True, slots=True)
class MeanCell:
    """One construct's mean in one group (or overall), as published.

    ``full``: mean, SD and CI are published (the observed mean of every group shown); otherwise only
    the valid ``n``. ``suppressed``: nothing is published.
    """

    suppressed: bool = False
    full: bool = False
    n: Any = None
    mean: Any = None
    sd: Any = None
    lower: Any = None
    upper: Any = None

    @classmethod
    def of(cls, m: MeanCi, *, full: bool) -> MeanCell:
        if full:
            return cls(full=True, **{k: _clean(getattr(m, k)) for k in _MEAN_KEYS})
        return cls(n=m.n)

    def to_dict(self) -> dict:
        if self.suppressed:
            return {"suppressed": True}
        if self.full:
            return {k: getattr(self, k) for k in _MEAN_KEYS}
        return {"n": self.n}


@dataclass(frozen=True, slots=True)
class GroupSem:
    """The structural model estimated within one group, or why there is none (``error``)."""

    n: Any = None
    converged: Any = None
    paths: dict | None = None  # "lhs ~ rhs" -> {"est", "std_all", "pvalue", ...}
    fit: Any = None
    error: str | None = None

    def to_dict(self) -> dict:
        if self.error is not None:
            return {"error": self.error}
        return {"n": self.n, "converged": self.converged, "paths": self.paths, "fit": self.fit}


@dataclass(frozen=True, slots=True)
class PublishedGroup:
    """One group's published figures; a suppressed group publishes nothing but that fact."""

    suppressed: bool
    n: int | None = None
    means: dict[str, MeanCell] | None = None
    by_sector: dict[str, int | None] | None = None
    effect_vs_rest: dict[str, Any] | None = None  # only when means are comparable
    sem: GroupSem | None = None
    analytic: bool | None = None  # at the analytic minimum (None: the result does not say)

    def to_dict(self) -> dict:
        if self.suppressed:
            return {"n": None, "suppressed": True}
        out: dict[str, Any] = {"n": self.n, "suppressed": False}
        if self.analytic is not None:
            out["analytic"] = self.analytic
        out.update({"means": {c: m.to_dict() for c, m in self.means.items()}, "by_sector": self.by_sector})
        if self.effect_vs_rest is not None:
            out["effect_vs_rest"] = self.effect_vs_rest
        out["sem"] = self.sem.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class PublishedOverall:
    suppressed: bool
    n: Any = None
    means: dict[str, MeanCell] | None = None

    def to_dict(self) -> dict:
        if self.suppressed:
            return {"n": None, "suppressed": True}
        return {"n": self.n, "suppressed": False, "means": {c: m.to_dict() for c, m in self.means.items()}}


@dataclass(frozen=True, slots=True)
class PublishedAlignment:
    """Latent means by alignment, or (``withheld``) none because a suppressed group was aligned.

    A group hidden for privacy that took part in the alignment would be placed by it relative to
    the groups shown, so then no aligned figure of any group is published.
    """

    groups: tuple[str, ...]
    min_groups: int
    trust_share: float
    factors: dict[str, AlignedFactor]
    errors: dict[str, str]
    withheld: bool = False

    def to_dict(self) -> dict:
        if self.withheld:
            return {"withheld": True, "min_groups": self.min_groups, "trust_share": self.trust_share}
        return {"withheld": False, "groups": list(self.groups), "min_groups": self.min_groups,
                "trust_share": self.trust_share, "factors": {c: f.to_dict() for c, f in self.factors.items()},
                "errors": dict(self.errors)}


@dataclass(frozen=True, slots=True)
class Published:
    """Everything a comparison may show, suppression applied."""

    by: str
    min_cell: int
    means_comparable: bool
    reason: str
    decision: str  # the invariance test's decision ("not tested" when it did not run)
    min_group: int  # respondents a group needed to enter the test
    n_tested: int  # groups that entered the test (suppressed ones included: a count, not names)
    invariance: dict  # the public part of the invariance test, as results.json holds it
    groups: dict[str, PublishedGroup]
    overall: PublishedOverall
    warnings: tuple[str, ...]
    meta: dict
    constructs: tuple[str, ...]  # constructs someone answered, in the result's order
    hidden: frozenset[str]
    hide_total: bool
    alignment: PublishedAlignment | None = None  # 5 or more groups at the analytic minimum

    def to_dict(self) -> dict:
        """The content of the comparison's ``results.json`` (JSON-safe)."""
        out = {
            "by": self.by, "min_cell": self.min_cell, "means_comparable": self.means_comparable,
            "reason": self.reason, "invariance": self.invariance,
            "groups": {g: d.to_dict() for g, d in self.groups.items()}, "overall": self.overall.to_dict(),
            "warnings": list(self.warnings), "meta": self.meta}
        if self.alignment is not None:
            out["alignment"] = self.alignment.to_dict()
        return jsonable(out)


# --------------------------------------------------------------------------- privacy
def masks(result, min_cell: int) -> tuple[pd.Series, pd.DataFrame, bool]:
    """(group mask, group x construct cell mask, total hidden) of ``result`` at ``min_cell``.

    The group mask is the disclosure layer's (:func:`coprod.reports.disclosure.disclosure_masks`),
    the same as ``coprod analyze`` computes for this grouping from the same rows."""
    labels = list(result.groups)
    counts = pd.Series({g: int(result.groups[g].n or 0) for g in labels}, dtype="int64")
    constructs = _constructs(result)
    if not labels:
        return pd.Series(dtype=bool), pd.DataFrame(), False
    row = disclosure_masks({"groups": counts}, min_cell)["groups"]
    hide_total = total_is_small(counts, min_cell)
    valid = pd.DataFrame({c: [_n_of(result.groups[g].means, c) for g in labels] for c in constructs},
                         index=labels, dtype="int64")
    cells = suppress_columns(valid, min_cell) if constructs else valid.astype(bool)
    cells = cells.apply(lambda col: _close_column(col | row, valid[col.name], min_cell))
    return row, cells, hide_total


def _close_column(mask: pd.Series, n: pd.Series, min_cell: int) -> pd.Series:
    """Extend a column's hidden cells until their valid n cannot be recovered from the total.

    The group mask and the per-construct mask are each safe alone; their union, counted in a
    construct's valid n (which missing answers make smaller than the group n), must be too.
    """
    mask = mask.copy()
    while True:
        hidden = n[mask & (n > 0)]
        if hidden.empty or not (len(hidden) == 1 or hidden.sum() < min_cell):
            return mask
        rest = n[~mask & (n > 0)]
        if rest.empty:
            return mask
        mask[rest.sort_values(kind="stable").index[0]] = True


def sector_mask(result, row: pd.Series, min_cell: int) -> pd.DataFrame:
    """Which group x sector cells to hide: the group's split by sector on its page, checked against
    the sector totals the study report publishes (rule 2 of :mod:`coprod.reports.disclosure`)."""
    sectors: list[str] = []
    for d in result.groups.values():
        sectors += [str(s) for s in (d.by_sector or {}) if str(s) not in sectors]
    cross = pd.DataFrame({s: [int((result.groups[g].by_sector or {}).get(s, 0) or 0) for g in result.groups]
                          for s in sectors}, index=list(result.groups), dtype="int64")
    return cross_mask(cross, min_cell, rows=row.reindex(cross.index).fillna(True))


def _n_of(means, c: str) -> int:
    m = means.get(c)
    return int(m.n or 0) if m is not None else 0


def _constructs(result) -> list[str]:
    seen: list[str] = []
    for d in result.groups.values():
        for c in d.means:
            if c not in seen:
                seen.append(c)
    for c in result.overall.means:
        if c not in seen:
            seen.append(c)
    return seen


def _answered(result) -> tuple[str, ...]:
    """Constructs somebody answered in some group (e.g. sector-specific items may have none)."""
    return tuple(c for c in _constructs(result) if _n_of(result.overall.means, c)
                 or any(_n_of(d.means, c) for d in result.groups.values()))


def _clean(x: Any) -> Any:
    if isinstance(x, float) and x != x:
        return None
    return x


def _public_invariance(inv: ComparisonInvariance, hidden: set[str]) -> dict:
    keep: dict[str, Any] = {"decision": inv.decision}
    if opt(inv.rule) is not None:
        keep["rule"] = inv.rule
    keep["min_group"] = inv.min_group
    keep["groups_tested"] = [g for g in inv.groups_tested if g not in hidden]
    if any(g in hidden for g in inv.groups_tested):
        # a hidden group was fitted: N = exp((BIC - AIC)/npar + 2) minus the groups shown would
        # give its n, so no fit statistic of the test is published, only its decision
        keep["withheld"] = True
        return jsonable(keep)
    for level in ("configural", "metric", "scalar", "strict"):
        fit = opt(getattr(inv, level))
        if fit is not None:
            keep[level] = {k: v for k, v in fit.to_dict().items() if k != "chisq_by_group"}
    for k in ("lrt", "delta", "partial"):
        value = opt(getattr(inv, k))
        if value is not None:
            keep[k] = {level: x.to_dict() for level, x in value.items()}
    return jsonable(keep)


# --------------------------------------------------------------------------- publishing
def _group_sem(sem: GroupPaths | NoPaths) -> GroupSem:
    if isinstance(sem, NoPaths):
        return GroupSem(error=sem.error)
    d = jsonable(sem.to_dict())  # JSON-safe values (NaN -> None), as results.json holds them
    return GroupSem(n=d["n"], converged=d["converged"], paths=d["paths"], fit=d["fit"])


def _published_group(g: str, d: GroupStats, cells: pd.DataFrame, comparable: bool,
                     min_cell: int, sectors: pd.DataFrame) -> PublishedGroup:
    # observed means with CIs for every group shown; whether they may be compared is the pages' note
    means = {c: (MeanCell(suppressed=True) if bool(cells.at[g, c]) else MeanCell.of(m, full=True))
             for c, m in d.means.items()}
    by_sector = {k: (None if bool(sectors.at[g, str(k)]) else int(v)) for k, v in (d.by_sector or {}).items()}
    effects = None
    if comparable and opt(d.effect_vs_rest):
        effects = {c: (None if bool(cells.at[g, c]) else _clean(v)) for c, v in d.effect_vs_rest.items()}
    return PublishedGroup(suppressed=False, n=int(d.n), means=means, by_sector=by_sector,
                          effect_vs_rest=effects, sem=_group_sem(d.sem), analytic=opt(d.analytic))


def _published_alignment(al: ComparisonAlignment | None, hidden: frozenset[str],
                         cells: pd.DataFrame) -> PublishedAlignment | None:
    if al is None:
        return None
    withheld = any(g in hidden for g in al.groups)
    # a construct whose cell is hidden in an aligned group is not published for any group
    factors = {c: f for c, f in (opt(al.factors) or {}).items()
               if not any(c in cells.columns and g in cells.index and bool(cells.at[g, c]) for g in al.groups)}
    return PublishedAlignment(groups=tuple(al.groups), min_groups=al.min_groups, trust_share=al.trust_share,
                              factors={} if withheld else factors,
                              errors={} if withheld else dict(opt(al.errors) or {}), withheld=withheld)


def publish(result, *, bank, min_cell: int = 5, meta: dict | None = None) -> Published:
    """The figures of ``result`` that may be published at ``min_cell``.

    ``bank`` is the bank the groups were compared with (checked to be one).

    Examples
    --------
    >>> pub = publish(result, bank=bank, min_cell=5)  # doctest: +SKIP
    >>> pub.groups["Tinyby"].suppressed, pub.groups["Tinyby"].n  # doctest: +SKIP
    (True, None)
    """
    check_bank(bank)
    row, cells, hide_total = masks(result, min_cell)
    comparable = bool(result.means_comparable)
    hidden = frozenset(g for g in result.groups if bool(row.get(g, False)))
    sectors = sector_mask(result, row, min_cell) if result.groups else pd.DataFrame()
    groups = {g: (PublishedGroup(suppressed=True) if g in hidden
                  else _published_group(g, d, cells, comparable, min_cell, sectors))
              for g, d in result.groups.items()}
    if hide_total:
        overall = PublishedOverall(suppressed=True)
    else:
        overall = PublishedOverall(suppressed=False, n=result.overall.n,
                                   means={c: MeanCell.of(m, full=True) for c, m in result.overall.means.items()})
    return Published(
        by=result.by, min_cell=min_cell, means_comparable=comparable, reason=result.reason,
        decision=result.invariance.decision, min_group=result.invariance.min_group,
        n_tested=len(result.invariance.groups_tested), invariance=_public_invariance(result.invariance, hidden), groups=groups, overall=overall,
        warnings=scrub_warnings(result.warnings, {result.by: hidden}),
        meta=jsonable(public_provenance({**(result.meta or {}), **(meta or {})})), constructs=_answered(result),
        hidden=hidden, hide_total=hide_total,
        alignment=_published_alignment(getattr(result, "alignment", None), hidden, cells))
