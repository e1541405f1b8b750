"""View-models of the study report: one frozen dataclass or NamedTuple per section.

:func:`study_view` is the one place that reads an ``AnalysisResult`` (its section records,
``warnings``, ``errors``, ``not_supported``, ``meta``, ``data_summary``) for the report; the
templates in ``reports/templates/study/`` read only the attributes of :class:`StudyView`.
Each section is ``None`` (or empty) when its data is missing, so a ``--spec`` result renders too.
"""
from __future__ import annotations

import re

import math
from dataclasses import dataclass, fields
from typing import Any, Mapping, NamedTuple

import pandas as pd

from coprod.analysis.run.records import (DataSummary, Hypothesis, IndirectHypothesis, ItemAnalysis, MeanHypothesis,
                                         Sections, StrategyStat, opt)
from coprod.analysis.run.admissibility import Problem, model_problems
from coprod.reports import figures as F
from coprod.reports.env import fmt_num
from coprod.reports.i18n import CATALOGUE, t
from coprod.reports.disclosure import PRIVACY_REASON, resuppress
from coprod.reports.suppression import SUPPRESSED
from coprod.reports.warning_text import translate_warnings

from ._shared import ProvenanceEntry, TocEntry, check_bank, choice_label, construct_label, num, sector_label, short, text
from .study_details import OrdinalView, ordinal_view, reason_texts
from .study_words import test_label
from .study_n import LossRow, row_losses
from .study_models import FactorsView, InvarianceView, SemView, factors_view, invariance_views, sem_view

__all__ = ["StudyView", "SampleView", "CountRow", "ReasonRow", "ItemFigure", "ItemGroup", "ReliabilityRow",
           "HypothesisRow", "AmbivalenceView", "SectorR", "StrategyRow", "StrategyPanel", "MethodsView",
           "ProvenanceEntry", "TocEntry", "study_view"]


# ------------------------------------------------------------------------------------- sample
class CountRow(NamedTuple):
    """A category with its (possibly suppressed) count and share."""

    label: str
    n: Any
    share: Any


class ReasonRow(NamedTuple):
    reason: str
    n: Any


@dataclass(frozen=True, slots=True)
class SampleView:
    n_file: Any
    n_analysed: Any
    n_dropped: Any
    missing: Any
    reasons: tuple[ReasonRow, ...]
    by_sector: tuple[CountRow, ...]
    by_area: tuple[CountRow, ...]
    n_municipalities: Any
    n_flagged: Any
    keep_flagged: Any
    dont_know: Any


def _count_rows(counts: dict, min_cell: int, label, total: int | None = None) -> tuple[CountRow, ...]:
    """Counts (``None``: suppressed when results.json was written) suppressed again at ``min_cell``,
    with their share of ``total`` (the analysed respondents)."""
    if not counts:
        return ()
    raw = {str(k): (None if v is None else int(v)) for k, v in counts.items()}
    mask = resuppress(raw, min_cell, total=total if total is not None else sum(v for v in raw.values() if v))
    if total is None:
        total = sum(v for v in raw.values() if v is not None)
    return tuple(CountRow(label(k), SUPPRESSED if mask[k] else v,
                          SUPPRESSED if mask[k] else (v / total if total else None)) for k, v in raw.items())


def _exclusion(reason: str, lang: str) -> str:
    """An exclusion reason (a data-quality flag) in words."""
    key = f"study_excl_{reason}"
    return t(key, lang) if key in CATALOGUE else reason.replace("_", " ")


def sample_view(sections: Sections, ds: DataSummary | None, bank, lang: str, min_cell: int) -> SampleView | None:
    """Who was analysed: from the instrument's ``sample`` section, else spec mode's data summary."""
    s = sections.sample
    if s is None:
        if ds is None:
            return None
        missing = opt(ds.missing)
        if f"study_missing_{missing}" in CATALOGUE:
            missing = t(f"study_missing_{missing}", lang)
        return SampleView(n_file=ds.n_rows_file, n_analysed=ds.n_used, n_dropped=opt(ds.n_dropped),
                          missing=missing, reasons=(), by_sector=(), by_area=(), n_municipalities=None,
                          n_flagged=None, keep_flagged=None, dont_know=None)
    reasons = tuple(ReasonRow(_exclusion(k, lang), v) for k, v in s.excluded_by_reason.items() if k != "flagged")
    return SampleView(
        n_file=s.n_file, n_analysed=s.n_analysed, n_dropped=s.n_file - s.n_analysed, missing=None, reasons=reasons,
        by_sector=_count_rows(s.by_sector, min_cell, lambda k: sector_label(bank, k, lang), s.n_analysed),
        by_area=_count_rows(s.by_service_area, min_cell, lambda k: choice_label(bank, "service_area", k, lang),
                            s.n_analysed),
        n_municipalities=s.n_municipalities, n_flagged=s.n_flagged, keep_flagged=s.keep_flagged,
        dont_know=s.dont_know)


# -------------------------------------------------------------------------------------- items
class ItemFigure(NamedTuple):
    svg: Any
    caption: str
    ids: str


@dataclass(frozen=True, slots=True)
class ItemGroup:
    """One sector's answer distributions: a figure per construct."""

    sector: str
    n: Any
    figures: tuple[ItemFigure, ...]


def _by_construct(cats: dict, bank) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for item_id in cats:
        construct = item_id.split("_")[0]
        if bank is not None:
            try:
                construct = bank.item(item_id).construct
            except KeyError:
                pass
        groups.setdefault(construct, []).append(item_id)
    return groups


def _distribution(cats: dict, ids: list[str], construct: str, bank) -> pd.DataFrame:
    dist = pd.DataFrame({i: cats[i] for i in ids}).T.fillna(0)
    dist = dist[sorted(dist.columns, key=lambda c: float(c) if num(c) is not None else math.inf)]
    if bank is not None and construct in bank.constructs:
        # one sector's item table spans scales (7-point ratings, 5-point frequencies):
        # keep only the points of this construct's scale
        codes = {str(c) for c in bank.scales[bank.constructs[construct].scale].codes}
        dist = dist[[c for c in dist.columns if str(c) in codes]]
    return dist


def _item_labels(ids: list[str], columns, sector: str, bank, lang: str) -> tuple[list[str], list | None]:
    """Each item's shortened wording (its id without a bank) and the legend of the scale points."""
    labels, legend = [], None
    for i in ids:
        wording = ""
        if bank is not None:
            try:
                item = bank.item(i)
                wording = bank.fill(text(item.text, lang), sector if sector in bank.partner else None, lang)
                by_code = {str(p.code): text(p.label, lang) for p in bank.scales[item.scale].points}
                legend = [by_code.get(str(c), str(c)) for c in columns]
            except (KeyError, AttributeError):
                wording = ""
        labels.append(short(wording) if wording else i)
    return labels, legend


def _item_group(sector: str, res: ItemAnalysis, cats: Mapping, bank, lang: str) -> ItemGroup:
    figs = []
    for construct, ids in _by_construct(cats, bank).items():
        dist = _distribution(cats, ids, construct, bank)
        labels, legend = _item_labels(ids, dist.columns, sector, bank, lang)
        name = construct_label(bank, construct, lang)
        title = t("study_items_fig_title", lang, construct=name, sector=sector_label(bank, sector, lang))
        desc = t("study_items_fig_desc", lang, items=", ".join(f"{i}: {lab}" for i, lab in zip(ids, labels)))
        svg = F.diverging_stacked_bars(dist, labels, title=title, desc=desc, categories=legend, lang=lang)
        figs.append(ItemFigure(svg, title, ", ".join(ids)))
    return ItemGroup(sector=sector_label(bank, sector, lang), n=res.n_rows, figures=tuple(figs))


def item_groups(sections: Sections, bank, lang: str) -> tuple[ItemGroup, ...]:
    """Answer distributions per sector (sectors without categories are left out)."""
    return tuple(_item_group(sector, res, res.categories, bank, lang)
                 for sector, res in (sections.items or {}).items() if res is not None and res.categories)


# -------------------------------------------------------------------------------- reliability
class ReliabilityRow(NamedTuple):
    key: str
    label: str
    k: Any
    n: Any
    alpha: Any
    lo: Any
    hi: Any
    omega: Any
    ok: bool


def reliability_rows(sections: Sections, bank, lang: str) -> tuple[ReliabilityRow, ...]:
    rows = []
    for key, r in (sections.reliability or {}).items():
        if r is None:
            continue
        ci = r.alpha_ci
        sector = opt(r.sector)
        label = key
        if r.construct and bank is not None:
            scope = sector_label(bank, sector, lang) if sector else t("study_core_items", lang)
            label = f"{construct_label(bank, r.construct, lang)}, {scope}"
        rows.append(ReliabilityRow(key, label, r.k, r.n, r.alpha, ci.lower if ci else None, ci.upper if ci else None,
                                   r.omega_total, num(r.alpha) is not None and r.alpha >= 0.70))
    return tuple(rows)


# --------------------------------------------------------------------------------- hypotheses
VERDICT_KEYS = {"supported": "study_supported", "not supported": "study_not_supported",
                "not tested": "study_not_tested"}


class HypothesisRow(NamedTuple):
    id: Any
    statement: Any
    test: Any
    estimate: Any
    kind: str | None  # "std" (a standardized path), "diff" (a mean difference) or None
    p: Any
    lo: Any
    hi: Any
    g: Any
    verdict: str
    verdict_text: str
    cls: str
    reason: str | None = None  # why "not tested", in the report's language
    n: tuple[int, ...] = ()  # the rows the test rests on: the model's n, or the two groups' n


def _statement(h: Hypothesis, bank, lang: str):
    """The statement in the report's language from the bank analysed with; results.json keeps the
    English one (a result from another bank, or spec mode, shows what the result holds)."""
    if bank is None or not h.id:
        return h.statement
    try:
        return bank.hypothesis_statement(str(h.id), lang)
    except KeyError:
        return h.statement


def _reason(h: Hypothesis, problems: tuple[Problem, ...], lang: str) -> str | None:
    """Why ``h`` was not tested: the model's problems, a missing path, or too few answers."""
    if (h.verdict or "not tested") != "not tested":
        return None
    if opt(h.reason) == PRIVACY_REASON:
        return t("reason_privacy", lang)
    if isinstance(h, MeanHypothesis):
        return t("reason_few_answers", lang)
    return reason_texts(problems or (Problem("no_path"),), lang)


def _hypothesis_row(h: Hypothesis, bank, lang: str, problems: tuple[Problem, ...] = (),
                    n_model: int | None = None) -> HypothesisRow:
    lo = hi = g = None
    p = None
    n: tuple[int, ...] = (n_model,) if isinstance(n_model, int) else ()
    if isinstance(h, MeanHypothesis):
        estimate, kind, p, g = h.diff, ("diff" if h.diff is not None else None), h.p, h.g
        n = (h.n1, h.n2)
    else:
        estimate = opt(h.estimate)
        kind = "std" if estimate is not None and h.test.startswith("SEM path") else None
        if isinstance(h, IndirectHypothesis):
            lo, hi = (h.ci or (None, None))[:2]
        else:
            p = opt(h.p)
    verdict = h.verdict or "not tested"
    return HypothesisRow(h.id, _statement(h, bank, lang), test_label(h.test, bank, lang), estimate, kind, p, lo, hi, g, verdict,
                         t(VERDICT_KEYS.get(verdict, "study_not_tested"), lang), verdict.replace(" ", "-"),
                         _reason(h, problems, lang), n)


def hypothesis_rows(sections: Sections, bank, lang: str) -> tuple[HypothesisRow, ...]:
    """The hypotheses; a "not tested" one says why (the reasons re-derived from the SEM section, so
    they read in the report's language)."""
    problems = model_problems(sections.sem)
    n_model = sections.sem.n_used if sections.sem is not None else None
    return tuple(_hypothesis_row(h, bank, lang, problems, n_model) for h in sections.hypotheses or ())


# ---------------------------------------------------------------------- ambivalence, strategies
class SectorR(NamedTuple):
    sector: str
    r: Any


@dataclass(frozen=True, slots=True)
class AmbivalenceView:
    r: Any
    n: Any
    by_sector: tuple[SectorR, ...]


def ambivalence_view(sections: Sections, bank, lang: str) -> AmbivalenceView | None:
    g = opt(sections.scores.griffin_vs_felt) if sections.scores else None
    if not g or num(g.get("r")) is None:
        return None
    by = tuple(SectorR(sector_label(bank, k, lang), v) for k, v in g.items() if k not in ("n", "r"))
    return AmbivalenceView(r=g["r"], n=g.get("n"), by_sector=by)


class StrategyRow(NamedTuple):
    strategy: str
    n: Any
    mean: Any


@dataclass(frozen=True, slots=True)
class StrategyPanel:
    sector: str
    svg: Any
    rows: tuple[StrategyRow, ...]


def _scale_range(vals: dict, bank) -> tuple[int, int]:
    lo, hi = 1, 5
    if bank is not None:
        for k in vals:
            if k in bank.constructs:
                sc = bank.scales[bank.constructs[k].scale]
                lo, hi = sc.min, sc.max
    return lo, hi


def _strategy_panel(sector: str, vals: dict[str, StrategyStat], bank, lang: str, min_cell: int) -> StrategyPanel:
    values = pd.Series({construct_label(bank, k, lang): v.mean for k, v in vals.items()}, dtype=float)
    small = {k for k, v in vals.items() if (v.n or 0) < min_cell}
    hidden = [construct_label(bank, k, lang) for k in vals if k in small]
    lo, hi = _scale_range(vals, bank)
    label = sector_label(bank, sector, lang)
    svg = F.bar_chart(values, title=t("study_strat_fig_title", lang, sector=label),
                      desc=t("study_strat_fig_desc", lang, lo=lo, hi=hi), lang=lang, xmax=hi,
                      suppressed=hidden, xlabel=t("study_strat_axis", lang, lo=lo, hi=hi))
    rows = tuple(StrategyRow(construct_label(bank, k, lang), SUPPRESSED if k in small else v.n,
                             SUPPRESSED if k in small else v.mean) for k, v in vals.items())
    return StrategyPanel(sector=label, svg=svg, rows=rows)


def strategy_panels(sections: Sections, bank, lang: str, min_cell: int) -> tuple[StrategyPanel, ...]:
    """Strategy means per sector (strategies answered by fewer than ``min_cell`` suppressed)."""
    sectors: dict[str, dict[str, StrategyStat]] = {}
    for sid, by in (sections.strategies or {}).items():
        for sector, v in by.items():
            sectors.setdefault(sector, {})[sid] = v
    return tuple(_strategy_panel(sector, vals, bank, lang, min_cell) for sector, vals in sectors.items())


# ------------------------------------------------------------------------ methods, provenance
@dataclass(frozen=True, slots=True)
class MethodsView:
    seed: Any
    bootstrap: Any
    estimator: Any
    missing: Any
    ordinal_estimator: Any = None
    ordinal_parameterization: Any = None
    se: Any = None  # MLR: robust.huber.white or robust.cluster
    cluster: Any = None
    n_clusters: Any = None  # clusters over all groups
    cluster_auto: Any = None  # the fewest clusters the default rule clusters by, when it chose the column


def methods_view(sections: Sections, meta: dict) -> MethodsView:
    """The estimators actually used: the models' own ``meta`` (and the WLSMV CFA's when ``ordered``)."""
    model = sections.sem or sections.cfa
    model_meta = model.meta if model is not None else {}
    w = opt(sections.ordinal.wlsmv_cfa) if sections.ordinal is not None else None
    return MethodsView(seed=meta.get("seed"), bootstrap=meta.get("bootstrap", (meta.get("spec") or {}).get("bootstrap")),
                       estimator=model_meta.get("estimator"), missing=model_meta.get("missing"),
                       ordinal_estimator=w.estimator if w is not None else None,
                       ordinal_parameterization=w.parameterization if w is not None else None,
                       se=model_meta.get("se"), cluster=model_meta.get("cluster"),
                       n_clusters=sum((model_meta.get("n_clusters") or {}).values()) or None,
                       cluster_auto=_auto_clusters(meta.get("cluster_rule")))


def _auto_clusters(rule: Any) -> int | None:
    """The number in results.json's ``cluster_rule`` ("municipality with at least 20 values")."""
    m = re.search(r"at least (\d+)", rule) if isinstance(rule, str) else None
    return int(m.group(1)) if m else None


def provenance(meta: dict, lang: str) -> tuple[ProvenanceEntry, ...]:
    """Label -> value of what produced the report (mode, instrument, input file, seed, versions...)."""
    m = meta or {}
    out: list[ProvenanceEntry] = []

    def add(key: str, value: Any) -> None:
        out.append(ProvenanceEntry(t(key, lang), value))

    if m.get("mode"):
        add("study_prov_mode", m["mode"])
    if m.get("instrument_version"):
        add("study_prov_instrument", f"{m.get('instrument_id') or ''} {m['instrument_version']}".strip())
    if m.get("input_file"):
        add("study_prov_file", m["input_file"])
    if m.get("input_sha256"):
        add("study_prov_sha", m["input_sha256"])
    if m.get("seed") is not None:
        add("study_prov_seed", m["seed"])
    boot = m.get("bootstrap", (m.get("spec") or {}).get("bootstrap"))
    if boot is not None:
        add("study_prov_boot", boot)
    if m.get("versions"):
        add("study_prov_versions", ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v))
    if m.get("timings_sec"):
        add("study_prov_timings", ", ".join(f"{k} {fmt_num(v, 1, lang=lang)} s" for k, v in m["timings_sec"].items()))
    return tuple(out)


# --------------------------------------------------------------------------------- the report
@dataclass(frozen=True, slots=True)
class StudyView:
    """Everything the study report shows; its fields are the variables of ``study/report.html.j2``."""

    title: str
    meta: str
    toc: tuple[TocEntry, ...]
    min_cell: int
    sample: SampleView | None
    item_groups: tuple[ItemGroup, ...]
    reliability: tuple[ReliabilityRow, ...]
    factors: FactorsView | None
    invariance: tuple[InvarianceView, ...]
    ordinal: OrdinalView | None
    sem: SemView | None
    hypotheses: tuple[HypothesisRow, ...]
    ambivalence: AmbivalenceView | None
    strategies: tuple[StrategyPanel, ...]
    warnings: tuple[str, ...]
    errors: tuple[str, ...]
    not_supported: tuple[str, ...]
    provenance: tuple[ProvenanceEntry, ...]
    methods: MethodsView
    losses: tuple[LossRow, ...] = ()  # steps that left out more than 20% of their rows

    def context(self) -> dict[str, Any]:
        """The template variables: one per field (shallow; the section views stay typed)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


SECTION_ORDER = ("sample", "item_groups", "reliability", "factors", "invariance", "ordinal", "sem", "hypotheses",
                 "ambivalence", "strategies")


def study_view(result, *, bank, lang: str = "en", min_cell: int = 5) -> StudyView:
    """The view-model of the study report of ``result``, with the wording of ``bank`` (or none).

    Examples
    --------
    >>> view = study_view(result, bank=None, lang="da")  # doctest: +SKIP
    >>> view.reliability[0].alpha                          # doctest: +SKIP
    0.8312...
    """
    check_bank(bank)
    s, meta = result.sections, result.meta or {}
    parts = dict(sample=sample_view(s, result.data_summary, bank, lang, min_cell),
                 item_groups=item_groups(s, bank, lang), reliability=reliability_rows(s, bank, lang),
                 factors=factors_view(s, bank, lang), invariance=invariance_views(s, bank, lang),
                 ordinal=ordinal_view(s, bank, lang),
                 sem=sem_view(s, bank, lang), hypotheses=hypothesis_rows(s, bank, lang),
                 ambivalence=ambivalence_view(s, bank, lang), strategies=strategy_panels(s, bank, lang, min_cell))
    toc_ids = [("items" if k == "item_groups" else k) for k in SECTION_ORDER if parts[k]] + ["warnings", "methods"]
    title = t("study_title", lang)
    if bank is not None:
        title = f"{title}: {text(bank.title, lang)}"
    ds = result.data_summary
    return StudyView(title=title, meta=t("study_meta", lang, n=fmt_num(ds.n_used, 0, lang=lang)) if ds else "",
                     toc=tuple(TocEntry(k, t(f"study_sec_{k}", lang)) for k in toc_ids), min_cell=min_cell,
                     warnings=translate_warnings(result.warnings, lang),
                     errors=translate_warnings(result.errors, lang),
                     not_supported=translate_warnings(getattr(result, "not_supported", ()) or (), lang),
                     provenance=provenance(meta, lang), methods=methods_view(s, meta),
                     losses=row_losses(s, s.sample.n_analysed if s.sample else (ds.n_used if ds else None), bank, lang),
                     **parts)

