"""View-models of the comparison pages: the index (groups side by side) and one page per group.

Built from the suppressed figures of :class:`~coprod.reports.views.published.Published` only,
with the wording of the bank the groups were compared with; the templates
``compare_index.html.j2`` and ``compare_group.html.j2`` read only these attributes.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import pandas as pd

from coprod.reports import figures as F
from coprod.reports.env import fmt_num
from coprod.reports.i18n import level_text, t
from coprod.reports.suppression import SUPPRESSED
from coprod.reports.warning_text import translate_warnings

from ._shared import ProvenanceEntry, TocEntry, sector_label
from .published import MeanCell, Published, PublishedAlignment, PublishedGroup

__all__ = ["ConstructInfo", "PageCommon", "IndexCell", "GroupRow", "DotFigure", "IndexPage", "MeansRow",
           "SectorRow", "PathRow", "GroupPage", "AlignedCell", "AlignedRow", "AlignedSummary", "AlignmentView",
           "AlignedGroupRow", "construct_infos", "page_common", "index_page", "group_page", "display_label",
           "display_order", "alignment_rule"]

BY_KEYS = ("service_area", "municipality", "sector", "role")


class ConstructInfo(NamedTuple):
    id: str
    name: str
    lo: Any  # the response scale's lowest and highest point (None without a bank entry)
    hi: Any
    strategy: bool


@dataclass(frozen=True, slots=True)
class PageCommon:
    """What every page of the comparison shows (fields are template variables)."""

    by: str
    by_label: str
    comparable: bool
    reason: str
    technical: str
    min_cell: int
    provenance: tuple[ProvenanceEntry, ...]
    meta: str


def _context(view) -> dict[str, Any]:
    """A page's template variables: its own fields and those of its ``common`` part (shallow)."""
    out = {f.name: getattr(view, f.name) for f in fields(view) if f.name != "common"}
    out.update({f.name: getattr(view.common, f.name) for f in fields(view.common)})
    return out


# --------------------------------------------------------------------------- labels
def display_order(groups) -> list[str]:
    return sorted(groups, key=lambda g: (str(g).casefold(), str(g)))


def display_label(bank, by: str, value: str, lang: str) -> str:
    """What a reader sees for a group value: the questionnaire's answer label for coded groupings
    (``elderly_care`` -> "Elderly care"), the value itself for free text (municipality)."""
    if bank is None:
        return str(value)
    return bank.answer_label(by, value, lang) or str(value)


def _construct_info(c: str, bank, lang: str) -> ConstructInfo:
    con = bank.constructs.get(c) if bank is not None else None
    if con is None:
        return ConstructInfo(c, c, None, None, False)
    sc = bank.scales.get(con.scale)
    return ConstructInfo(c, con.name.get(lang) or con.name.get("en") or c, sc.min if sc else None,
                         sc.max if sc else None, con.kind == "strategy")


def construct_infos(pub: Published, bank, lang: str) -> dict[str, ConstructInfo]:
    """The answered constructs, latent ones first, then strategies (the order of every table)."""
    infos = {c: _construct_info(c, bank, lang) for c in pub.constructs}
    return {c: i for c, i in infos.items() if not i.strategy} | {c: i for c, i in infos.items() if i.strategy}


def _reason_text(pub: Published, lang: str) -> str:
    decision, min_group = pub.decision, pub.min_group
    level = level_text(decision, lang)  # the level in the page's language
    if pub.means_comparable:
        return t("cmp_reason_ok", lang, level=level)
    if decision == "not tested" and pub.n_tested >= 2:  # tested, but a model did not converge
        return t("cmp_reason_not_estimated", lang)
    if decision == "not tested":
        return t("cmp_reason_not_tested", lang, min_group=min_group)
    if decision in ("scalar", "partial_scalar"):
        return t("cmp_reason_partial", lang, min_group=min_group)
    return t("cmp_reason_not_invariant", lang, level=level)


def _aligned_sentence(pub: Published, lang: str) -> str:
    """What alignment adds when exact invariance does not license comparing every group."""
    al = pub.alignment
    if al is None or al.withheld or not al.factors or pub.means_comparable:
        return ""
    return " " + t("cmp_reason_aligned", lang, k=len(al.groups), n=pub.min_group)


def page_common(pub: Published, *, version: str, lang: str) -> PageCommon:
    by_label = t(f"cmp_by_{pub.by}", lang) if pub.by in BY_KEYS else pub.by
    prov = {"coprod": version, t("cmp_grouping", lang): by_label, "min. n": pub.min_cell,
            "instrument": pub.meta.get("instrument_version", "")}
    if pub.meta.get("input_file"):
        prov["input"] = pub.meta["input_file"]
    return PageCommon(by=pub.by, by_label=by_label, comparable=pub.means_comparable,
                      reason=_reason_text(pub, lang) + _aligned_sentence(pub, lang), technical=pub.reason, min_cell=pub.min_cell,
                      provenance=tuple(ProvenanceEntry(k, v) for k, v in prov.items() if v not in ("", None)),
                      meta=t("cmp_no_free_text", lang))


# --------------------------------------------------------------------------- the index
class IndexCell(NamedTuple):
    """One group's figures of one construct on the index (mean, CI, effect size vs the rest)."""

    construct: str
    suppressed: bool
    mean: Any
    lower: Any
    upper: Any
    g: Any


@dataclass(frozen=True, slots=True)
class GroupRow:
    label: str
    href: str
    suppressed: bool
    n: Any
    cells: tuple[IndexCell, ...]  # one per column of the index tables


class DotFigure(NamedTuple):
    id: str
    svg: Any
    caption: str


@dataclass(frozen=True, slots=True)
class IndexPage:
    title: str
    groups: tuple[GroupRow, ...]
    columns: tuple[ConstructInfo, ...]
    heats: tuple
    heat_caption: str | None
    dots: tuple[DotFigure, ...]
    overall_n: Any
    hide_total: bool
    warnings: tuple[str, ...]
    toc: tuple[TocEntry, ...]
    common: PageCommon
    alignment: AlignmentView | None = None
    rates: Any = None  # RatesView (views/waves.py): response rates, when invited counts are known
    waves: Any = None  # WavesIndexView: the change between two waves

    def context(self) -> dict[str, Any]:
        return _context(self)


# --------------------------------------------------------------------------- alignment
class AlignedCell(NamedTuple):
    construct: str
    mean: Any
    variance: Any


@dataclass(frozen=True, slots=True)
class AlignedRow:
    label: str
    cells: tuple[AlignedCell, ...]


class AlignedSummary(NamedTuple):
    """One construct's alignment: share of approximately non-invariant parameters, trusted or not."""

    id: str
    name: str
    share: Any
    r2_intercepts: Any
    trusted: bool
    verdict: str


@dataclass(frozen=True, slots=True)
class AlignmentView:
    """Latent means by alignment on the index: one row per aligned group, one column per construct."""

    columns: tuple[ConstructInfo, ...]
    rows: tuple[AlignedRow, ...]
    summary: tuple[AlignedSummary, ...]
    rule: str
    withheld: bool


def alignment_rule(al: PublishedAlignment, lang: str) -> str:
    """The rule of the alignment section, in plain words."""
    return t("cmp_aligned_rule", lang, groups=al.min_groups, share=round(100 * al.trust_share))


def _verdict(trusted: bool, lang: str) -> str:
    return t("cmp_aligned_trusted" if trusted else "cmp_aligned_not_trusted", lang)


def _summaries(al: PublishedAlignment, infos: dict, lang: str) -> tuple[AlignedSummary, ...]:
    return tuple(AlignedSummary(c, infos[c].name if c in infos else c, f.noninvariant_share, f.r2_intercepts,
                                bool(f.trusted), _verdict(bool(f.trusted), lang))
                 for c, f in al.factors.items())


def _alignment_view(pub: Published, infos: dict, labels: list[str], shown: dict, lang: str) -> AlignmentView | None:
    al = pub.alignment
    if al is None:
        return None
    cols = tuple(infos[c] if c in infos else ConstructInfo(c, c, None, None, False) for c in al.factors)
    rows = tuple(AlignedRow(shown[g], tuple(AlignedCell(c.id, al.factors[c.id].mean.get(g),
                                                        al.factors[c.id].variance.get(g)) for c in cols))
                 for g in labels if g in al.groups and not al.withheld)
    return AlignmentView(columns=cols, rows=rows, summary=_summaries(al, infos, lang),
                         rule=alignment_rule(al, lang), withheld=al.withheld)


def _cell(pg: PublishedGroup, c: str) -> MeanCell:
    """The group's published cell of ``c``: suppressed for a hidden group, empty when unanswered."""
    if pg.suppressed:
        return MeanCell(suppressed=True)
    return pg.means.get(c) or MeanCell()


def _group_row(g: str, pub: Published, infos: dict, href: str, label: str) -> GroupRow:
    pg = pub.groups[g]
    effects = pg.effect_vs_rest or {}
    cells = []
    for c in infos:
        m = _cell(pg, c)
        cells.append(IndexCell(c, m.suppressed, m.mean, m.lower, m.upper, effects.get(c)))
    return GroupRow(label=label, href=href, suppressed=pg.suppressed, n=pg.n, cells=tuple(cells))


def _heatmaps(pub: Published, infos: dict, labels: list[str], shown: dict, lang: str) -> tuple[tuple, str | None]:
    comparable = pub.means_comparable
    cols = [c for c in infos if comparable or not infos[c].strategy]
    if not labels or not cols:
        return (), None
    sup = pd.DataFrame(False, index=labels, columns=cols)
    vals = pd.DataFrame(index=labels, columns=cols, dtype=float)
    for g in labels:
        for c in cols:
            m = _cell(pub.groups[g], c)
            if m.suppressed:
                sup.at[g, c] = True
                continue
            v = m.mean if comparable else (m.n or None)
            vals.at[g, c] = float(v) if v is not None else float("nan")
    title = t("cmp_heatmap", lang)
    sup, vals = sup.rename(index=shown), vals.rename(index=shown)
    if not comparable:
        caption = t("cmp_heatmap_counts_caption", lang)
        return (F.heatmap(vals, title=title, desc=caption, suppressed_mask=sup, lang=lang,
                          min_cell=pub.min_cell, digits=0),), caption
    # one heatmap per response scale, so colours mean the same thing within a figure
    caption = t("cmp_heatmap_means_caption", lang)
    scales: dict[tuple, list[str]] = {}
    for c in cols:
        scales.setdefault((infos[c].lo, infos[c].hi), []).append(c)
    return tuple(F.heatmap(vals[cs], title=f"{title} ({lo}–{hi})", desc=caption, suppressed_mask=sup[cs],
                           lang=lang, min_cell=pub.min_cell, vmin=lo, vmax=hi)
                 for (lo, hi), cs in scales.items()), caption


def _dot_figure(c: str, info: ConstructInfo, pub: Published, labels: list[str], shown: dict, lang: str) -> DotFigure:
    rows = []
    for g in labels:
        m = _cell(pub.groups[g], c)
        rows.append({"group": shown[g], "mean": None if m.suppressed else m.mean,
                     "lower": None if m.suppressed else m.lower, "upper": None if m.suppressed else m.upper,
                     "suppressed": m.suppressed})
    ref = None if pub.overall.suppressed else (pub.overall.means.get(c) or MeanCell()).mean
    scale = info.lo is not None
    svg = F.dot_ci_plot(pd.DataFrame(rows), title=f"{c}: {info.name}",
                        desc=t("cmp_means_ci_caption", lang, construct=info.name), lang=lang,
                        xlim=(info.lo, info.hi) if scale else None, reference=ref,
                        xlabel=f"{info.name} ({info.lo}–{info.hi})" if scale else info.name)
    return DotFigure(c, svg, t("cmp_means_ci_caption", lang, construct=f"{c} ({info.name})"))


def index_page(pub: Published, common: PageCommon, *, bank, infos: dict, slugs: dict, lang: str) -> IndexPage:
    """The index: group sizes, the heatmap, and (only when comparable) means, CIs and effect sizes."""
    labels = display_order(pub.groups)
    shown = {g: display_label(bank, pub.by, g, lang) for g in labels}
    heats, heat_caption = _heatmaps(pub, infos, labels, shown, lang)
    comparable = pub.means_comparable and labels  # no groups: no figures at all
    dots = tuple(_dot_figure(c, i, pub, labels, shown, lang) for c, i in infos.items()) if comparable else ()
    toc = [TocEntry("groups", t("cmp_overview", lang)), TocEntry("overview", t("cmp_heatmap", lang)),
           TocEntry("means", t("cmp_observed_means", lang))]
    alignment = _alignment_view(pub, infos, labels, shown, lang)
    if alignment is not None:
        toc.append(TocEntry("aligned", t("cmp_aligned", lang)))
    if pub.means_comparable:
        toc.append(TocEntry("effects", t("cmp_effects", lang)))
    return IndexPage(title=t("cmp_title", lang, by=common.by_label),
                     groups=tuple(_group_row(g, pub, infos, f"group-{slugs[g]}.html", shown[g]) for g in labels),
                     columns=tuple(infos.values()), heats=heats, heat_caption=heat_caption, dots=dots,
                     overall_n=pub.overall.n, hide_total=pub.hide_total, warnings=translate_warnings(pub.warnings, lang), toc=tuple(toc),
                     common=common, alignment=alignment)


# --------------------------------------------------------------------------- a group's page
class MeansRow(NamedTuple):
    id: str
    name: str
    suppressed: bool
    n: Any
    mean: Any
    lower: Any
    upper: Any
    g: Any


class AlignedGroupRow(NamedTuple):
    """One construct's aligned latent mean and variance in one group, with its alignment's verdict."""

    id: str
    name: str
    mean: Any
    variance: Any
    share: Any
    verdict: str


class SectorRow(NamedTuple):
    sector: str
    n: Any


class PathRow(NamedTuple):
    path: str
    est: Any
    std: Any
    p: Any


@dataclass(frozen=True, slots=True)
class GroupPage:
    title: str
    group: str
    suppressed: bool
    n: Any
    means_rows: tuple[MeansRow, ...]
    dots: Any
    bars: Any
    bars_caption: str
    sector_rows: tuple[SectorRow, ...]
    paths: tuple[PathRow, ...]
    path_svg: Any
    fit: str | None
    sem_note: str | None
    common: PageCommon
    analytic_note: str | None = None  # under the analytic minimum: descriptive figures only
    aligned: tuple[AlignedGroupRow, ...] = ()
    aligned_rule: str | None = None
    aligned_withheld: bool = False
    aligned_note: str | None = None  # why this group has no aligned means
    rate: Any = None  # PublishedRate (views/published_waves.py) of this group
    waves: Any = None  # WavesGroupView: this group's means in each wave and the change

    def context(self) -> dict[str, Any]:
        return _context(self)


def _means_part(g: str, pg: PublishedGroup, infos: dict, lang: str) -> tuple[tuple[MeansRow, ...], Any]:
    """The means table and the dot/CI plot of the latent constructs (only when comparable)."""
    rows, est = [], []
    for c, info in infos.items():
        m = pg.means.get(c) or MeanCell()
        rows.append(MeansRow(c, info.name, m.suppressed, m.n, m.mean, m.lower, m.upper,
                             (pg.effect_vs_rest or {}).get(c)))
        if not info.strategy:
            hide = m.suppressed
            est.append({"group": f"{c}", "mean": None if hide else m.mean, "lower": None if hide else m.lower,
                        "upper": None if hide else m.upper, "suppressed": hide})
    if not est:
        return tuple(rows), None
    latent = [i for i in infos.values() if not i.strategy]
    lo = min((i.lo for i in latent if i.lo is not None), default=None)
    hi = max((i.hi for i in latent if i.hi is not None), default=None)
    dots = F.dot_ci_plot(pd.DataFrame(est), title=f"{t('cmp_means', lang)}: {g}",
                         desc=t("cmp_group_means_caption", lang), lang=lang, xlim=(lo, hi) if lo is not None else None)
    return tuple(rows), dots


def _strategy_bars(g: str, pg: PublishedGroup, infos: dict, lang: str) -> tuple[Any, str]:
    strategies = [c for c, i in infos.items() if i.strategy]
    if not strategies:
        return None, ""
    vals, hid = {}, []
    for c in strategies:
        m = pg.means.get(c) or MeanCell()
        vals[c] = None if m.suppressed else m.mean
        if m.suppressed:
            hid.append(c)
    if not (any(v is not None for v in vals.values()) or hid):
        return None, ""
    hi = max((infos[c].hi or 0) for c in strategies) or None
    lo = min((infos[c].lo or 0) for c in strategies)
    caption = t("cmp_strategy_caption", lang, lo=lo, hi=hi)
    svg = F.bar_chart(pd.Series(vals, dtype="object"), labels=[f"{c} {infos[c].name}" for c in strategies],
                      suppressed=hid, title=f"{t('cmp_strategies', lang)}: {g}", desc=caption, lang=lang, xmax=hi)
    return svg, caption


def _paths_part(g: str, pg: PublishedGroup, min_group: Any, lang: str) -> dict[str, Any]:
    """The group's structural paths (table, diagram, fit line), or a note why there are none."""
    sem = pg.sem
    if not (sem.error is None and sem.paths):
        why = t("cmp_paths_small", lang, n=min_group) if "fewer than" in str(sem.error or "") else t("cmp_paths_failed", lang)
        return {"paths": (), "path_svg": None, "fit": None, "sem_note": t("cmp_paths_none", lang, why=why)}
    rows, edges = [], []
    for name, p in sem.paths.items():
        lhs, rhs = [s.strip() for s in name.split("~", 1)]
        est = p.get("std_all") if p.get("std_all") is not None else p.get("est")
        rows.append(PathRow(f"{rhs} → {lhs}", p.get("est"), p.get("std_all"), p.get("pvalue")))
        if est is not None:
            edges.append({"source": rhs, "target": lhs, "est": est, "pvalue": p.get("pvalue")})
    svg = None
    if edges:
        try:
            svg = F.path_diagram([], edges, title=f"{t('cmp_paths', lang)}: {g}", desc=t("std_estimate", lang), lang=lang)
        except Exception:  # noqa: BLE001 -- the table still shows the paths
            svg = None
    fit = sem.fit or {}
    line = t("cmp_fit", lang, **{k: fmt_num(fit.get(k), 3, lang=lang) for k in ("cfi", "rmsea", "srmr")})
    return {"paths": tuple(rows), "path_svg": svg, "fit": line, "sem_note": None}


def group_page(g: str, pub: Published, common: PageCommon, *, bank, infos: dict, lang: str) -> GroupPage:
    """One group's page; a suppressed group's page says so and shows no figure."""
    pg = pub.groups[g]
    title = t("cmp_group_title", lang, by=common.by_label.capitalize(), group=g)
    empty = dict(means_rows=(), dots=None, bars=None, bars_caption="", sector_rows=(), paths=(), path_svg=None,
                 fit=None, sem_note=None)
    if pg.suppressed:
        return GroupPage(title=title, group=display_label(bank, pub.by, g, lang), suppressed=True, n=pg.n,
                         common=common, **empty)
    parts = dict(empty, sector_rows=tuple(SectorRow(sector_label(bank, k, lang), SUPPRESSED if v is None else v)
                                          for k, v in pg.by_sector.items()))
    parts["means_rows"], dots = _means_part(g, pg, infos, lang)
    if pub.means_comparable:
        parts["dots"] = dots
    if pg.analytic is False:
        parts["analytic_note"] = t("cmp_descriptive_only", lang, n=pub.min_group)
    al = pub.alignment
    if al is not None:
        parts["aligned_rule"], parts["aligned_withheld"] = alignment_rule(al, lang), al.withheld
        if g not in al.groups:
            parts["aligned_note"] = t("cmp_aligned_not_in", lang, n=pub.min_group)
        elif not al.withheld:
            parts["aligned"] = tuple(
                AlignedGroupRow(c, infos[c].name if c in infos else c, f.mean.get(g), f.variance.get(g),
                                f.noninvariant_share, _verdict(bool(f.trusted), lang))
                for c, f in al.factors.items())
    parts["bars"], parts["bars_caption"] = _strategy_bars(g, pg, infos, lang)
    parts.update(_paths_part(g, pg, pub.min_group, lang))
    return GroupPage(title=title, group=display_label(bank, pub.by, g, lang), suppressed=False, n=pg.n,
                     common=common, **parts)
