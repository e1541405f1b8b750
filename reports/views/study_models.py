"""View-models of the model sections of the study report: factors (EFA, CFA), invariance, SEM.

Each builder is a small pure function of the analysis result's section records
(:mod:`coprod.analysis.run.records`); numbers stay unrounded (the templates round them).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from coprod.analysis.run.records import (CfaSection, Defined, EfaSection, Estimate, Fit, InvarianceSection, SemSection,
                                         Sections, Validity, opt)
from coprod.analysis.run.admissibility import model_problems
from coprod.reports import figures as F
from coprod.reports.env import fmt_count, signif_stars
from coprod.reports.i18n import CATALOGUE, t

from ._shared import FitRow, choice_label, construct_label, num, sector_label
from .study_words import rule_label
from .study_details import (HintRow, LoadingRow, MatrixView, OmegaRow, PartialRow, efa_pattern, efa_phi, hint_rows,
                            loading_rows, omega_rows, partial_rows, reason_texts)

__all__ = ["FitRow", "EfaView", "CrRow", "HtmtView", "FactorsView", "InvarianceStep", "InvarianceView",
           "SemPathRow", "DefinedRow", "R2Row", "SemByGroupView", "SemView",
           "factors_view", "invariance_views", "sem_view", "fit_row"]


def fit_row(label: str, fit: Fit, n: Any) -> FitRow:
    """The fit row of a model (``n``: the model's n used; the fit's ``nobs`` when missing)."""
    return FitRow(label, n if n is not None else fit.nobs, fit.chisq, fit.df, fit.pvalue, fit.cfi, fit.tli,
                  fit.rmsea, fit.rmsea_ci_lower, fit.rmsea_ci_upper, fit.srmr)


def robust_fit_rows(label: str, fit: Fit, n: Any, lang: str) -> tuple[FitRow, ...]:
    """An MLR fit's two further rows (none for ML): the Yuan–Bentler scaled χ² with the scaled
    CFI/TLI/RMSEA, and the same test with the robust indices (lavaan's ``*.scaled``, ``*.robust``)."""
    if opt(fit.chisq_scaled) is None:
        return ()
    n = n if n is not None else fit.nobs
    scaled = FitRow(t("study_fit_scaled", lang, model=label), n, fit.chisq_scaled, fit.df, fit.pvalue_scaled,
                    fit.cfi_scaled, fit.tli_scaled, fit.rmsea_scaled, fit.rmsea_ci_lower_scaled,
                    fit.rmsea_ci_upper_scaled, fit.srmr)
    robust = FitRow(t("study_fit_robust", lang, model=label), n, fit.chisq_scaled, fit.df, fit.pvalue_scaled,
                    fit.cfi_robust, fit.tli_robust, fit.rmsea_robust, fit.rmsea_ci_lower_robust,
                    fit.rmsea_ci_upper_robust, fit.srmr)
    return scaled, robust


# ------------------------------------------------------------------------------------ factors
@dataclass(frozen=True, slots=True)
class EfaView:
    kmo: Any
    chi2: Any
    df: Any
    p: Any
    n: Any
    n_factors: Any
    k: int


class CrRow(NamedTuple):
    """Composite reliability, AVE and the Fornell-Larcker verdict of one construct."""

    construct: str
    cr: Any
    ave: Any
    fornell_larcker: str | None


@dataclass(frozen=True, slots=True)
class HtmtView:
    """The lower triangle of the HTMT matrix: a header and one row per construct (its id first)."""

    header: tuple[str, ...]
    rows: tuple[tuple, ...]  # a square matrix: as many columns as constructs
    n: Any = None


@dataclass(frozen=True, slots=True)
class FactorsView:
    efa: EfaView | None
    cfa: FitRow | None
    by_sector: tuple[FitRow, ...]
    cr: tuple[CrRow, ...]
    htmt: HtmtView | None
    loadings: tuple[LoadingRow, ...] = ()
    pattern: MatrixView | None = None
    phi: MatrixView | None = None
    hints: tuple[HintRow, ...] = ()
    omega: tuple[OmegaRow, ...] = ()
    cfa_robust: tuple[FitRow, ...] = ()  # MLR: scaled and robust rows of the pooled CFA


def _efa_view(efa: EfaSection) -> EfaView:
    b = efa.bartlett
    return EfaView(kmo=efa.kmo, chi2=b.chi2, df=b.df, p=b.p, n=efa.n, n_factors=efa.n_factors_parallel,
                   k=len(efa.items))


def _cr_rows(cfa: CfaSection | None, bank, lang: str) -> tuple[CrRow, ...]:
    if cfa is None:
        return ()
    cr, av = cfa.composite_reliability, cfa.ave
    fl = cfa.fornell_larcker.passes if cfa.fornell_larcker else {}
    return tuple(CrRow(construct_label(bank, c, lang), cr.get(c), av.get(c),
                       t("study_yes", lang) if fl.get(c) else (t("study_no", lang) if c in fl else None))
                 for c in cr)


def _htmt_view(validity: Validity | None) -> HtmtView | None:
    ht = validity.htmt.matrix if validity is not None and validity.htmt is not None else None
    if not ht:
        return None
    names = list(ht)
    return HtmtView(header=("", *names),
                    rows=tuple((a, *(ht[a].get(b) if i > j else "" for j, b in enumerate(names)))
                               for i, a in enumerate(names)), n=validity.htmt.n)


def factors_view(sections: Sections, bank, lang: str) -> FactorsView | None:
    """EFA checks, CFA fit (pooled and by sector), CR/AVE and HTMT; ``None`` without EFA and CFA."""
    efa, cfa = sections.efa, sections.cfa
    if efa is None and cfa is None:
        return None
    by_sector = tuple(fit_row(sector_label(bank, sector, lang), res.fit, res.n_used)
                      for sector, res in (sections.cfa_by_sector or {}).items() if res is not None)
    return FactorsView(efa=_efa_view(efa) if efa is not None else None,
                       cfa=fit_row(t("study_pooled", lang), cfa.fit, cfa.n_used) if cfa is not None else None,
                       by_sector=by_sector, cr=_cr_rows(cfa, bank, lang), htmt=_htmt_view(sections.validity),
                       loadings=loading_rows(cfa, bank, lang), pattern=efa_pattern(efa, lang), phi=efa_phi(efa, lang),
                       hints=hint_rows(cfa, lang), omega=omega_rows(sections, bank, lang),
                       cfa_robust=(robust_fit_rows(t("study_pooled", lang), cfa.fit, cfa.n_used, lang)
                                   if cfa is not None else ()))


# ---------------------------------------------------------------------------------- invariance
LEVEL_KEYS = {"configural": "study_inv_configural", "metric": "study_inv_metric", "scalar": "study_inv_scalar"}
DECISION_KEYS = {"scalar": "study_inv_means_ok", "partial_scalar": "study_inv_means_partial",
                 "metric": "study_inv_metric_only", "configural": "study_inv_configural_only"}


class InvarianceStep(NamedTuple):
    """One level of the invariance sequence and its test against the level before."""

    level: str
    chisq: Any
    df: Any
    cfi: Any
    rmsea: Any
    chisq_diff: Any
    df_diff: Any
    p_diff: Any
    delta_cfi: Any
    delta_rmsea: Any


@dataclass(frozen=True, slots=True)
class InvarianceView:
    group: str
    steps: tuple[InvarianceStep, ...]
    decision: str
    plain: str
    means_ok: bool
    rule: Any
    groups: str
    partial: tuple[PartialRow, ...] = ()


def _steps(inv: InvarianceSection, lang: str) -> tuple[InvarianceStep, ...]:
    steps = []
    for level in ("configural", "metric", "scalar"):
        m = opt(getattr(inv, level))
        if m is None:
            continue
        lrt, d = inv.lrt.get(level), inv.delta.get(level)
        steps.append(InvarianceStep(t(LEVEL_KEYS[level], lang), m.chisq, m.df, m.cfi, m.rmsea,
                                    lrt.chisq_diff if lrt else None, lrt.df_diff if lrt else None,
                                    lrt.p_diff if lrt else None, d.cfi if d else None, d.rmsea if d else None))
    return tuple(steps)


def _invariance_view(group: str, inv: InvarianceSection, bank, lang: str) -> InvarianceView:
    decision = inv.decision or ""
    gname = str(group).replace("_", " ")
    named = t("study_group_" + group, lang) if group in ("sector", "service_area") else gname
    counts = inv.meta.get("group_counts") or {}

    def label(g) -> str:
        name = sector_label(bank, g, lang) if group == "sector" else choice_label(bank, group, g, lang)
        n = counts.get(str(g))
        return f"{name}, n = {fmt_count(n, lang=lang)}" if isinstance(n, int) else name
    groups = "; ".join(label(g) for g in inv.groups) if counts else ", ".join(label(g) for g in inv.groups)
    plain = t(DECISION_KEYS.get(decision, "study_inv_none"), lang, group=named)
    if opt(inv.withheld):
        plain += " " + t("study_inv_withheld", lang)
    return InvarianceView(group=named, steps=_steps(inv, lang), decision=decision, plain=plain,
                          means_ok=decision in ("scalar", "partial_scalar"), rule=rule_label(inv.rule, lang),
                          groups=groups,
                          partial=partial_rows(inv, lambda level: t(LEVEL_KEYS.get(level, "study_inv_" + level), lang),
                                               lang))


def invariance_views(sections: Sections, bank, lang: str) -> tuple[InvarianceView, ...]:
    """One view per grouping tested (``invariance_by``, or the single ``invariance`` of spec mode)."""
    by = dict(sections.invariance_by or {})
    if not by and sections.invariance is not None:
        inv = sections.invariance
        by = {inv.group or inv.meta.get("group") or "group": inv}
    return tuple(_invariance_view(group, inv, bank, lang) for group, inv in by.items() if inv is not None)


# ----------------------------------------------------------------------------------------- SEM
class SemPathRow(NamedTuple):
    path: str
    est: Any
    se: Any
    std_all: Any
    pvalue: Any
    stars: str


class DefinedRow(NamedTuple):
    """A defined parameter (indirect effect) with its bootstrap or delta-method CI."""

    name: Any
    est: Any
    lo: Any
    hi: Any
    boot: bool
    p: Any
    excl0: bool


class R2Row(NamedTuple):
    variable: str
    r2: Any


@dataclass(frozen=True, slots=True)
class SemByGroupView:
    """Standardized paths side by side per group: rows are (path, β1, p1, β2, p2, ...)."""

    header: tuple[str, ...]
    rows: tuple[tuple, ...]  # as wide as the groups: a column pair per group
    formats: tuple
    equal: str
    fit: FitRow | None
    problems: str = ""  # why the paths are not shown (an inadmissible model), in the report's language


@dataclass(frozen=True, slots=True)
class SemView:
    svg: Any
    paths: tuple[SemPathRow, ...]
    defined: tuple[DefinedRow, ...]
    fit: FitRow | None
    r2: tuple[R2Row, ...]
    boot: Any
    by_group: SemByGroupView | None
    fit_robust: tuple[FitRow, ...] = ()  # MLR: scaled and robust rows


def _sem_svg(est: tuple[Estimate, ...], latents: set, r2: dict, lang: str):
    paths = [e for e in est if e.op == "~"]
    if not paths:
        return None
    nodes = []
    for n in dict.fromkeys([x for e in paths for x in (e.rhs, e.lhs)]):
        node = {"id": n, "kind": "latent" if n in latents else "observed"}
        if num(r2.get(n)) is not None:
            node["r2"] = r2[n]
        nodes.append(node)
    edges = [(e.rhs, e.lhs, e.std_all if num(e.std_all) is not None else e.est, e.pvalue) for e in paths]
    desc = t("study_sem_fig_desc", lang, paths="; ".join(f"{s} \u2192 {d}" for s, d, _, _ in edges))
    return F.path_diagram(nodes, edges, title=t("study_sem_fig_title", lang), desc=desc, lang=lang)


def _defined_row(d: Defined) -> DefinedRow:
    lo, hi = opt(d.boot_ci_lower), opt(d.boot_ci_upper)
    boot = lo is not None
    if not boot:
        lo, hi = d.ci_lower, d.ci_upper
    excl0 = num(lo) is not None and num(hi) is not None and (lo > 0 or hi < 0)
    return DefinedRow(d.name, d.est, lo, hi, boot, d.pvalue, excl0)


def sem_view(sections: Sections, bank, lang: str) -> SemView | None:
    """The structural model: path diagram, fit, estimates, indirect effects, R², per-group paths."""
    sem = sections.sem
    if sem is None or not sem.estimates:
        return None
    est = sem.estimates
    latents = {e.lhs for e in est if e.op == "=~"}
    r2 = sem.r2
    paths = [e for e in est if e.op == "~"]
    rows = tuple(SemPathRow(f"{e.lhs} \u2190 {e.rhs}", e.est, e.se, e.std_all, e.pvalue, signif_stars(e.pvalue))
                 for e in paths)
    r2_rows = tuple(R2Row(k, v) for k, v in r2.items() if k in latents or any(k == e.lhs for e in paths))
    return SemView(svg=_sem_svg(est, latents, r2, lang), paths=rows,
                   defined=tuple(_defined_row(d) for d in sem.defined),
                   fit=fit_row(t("study_sem_model", lang), sem.fit, sem.n_used),
                   r2=r2_rows, boot=sem.bootstrap_info.n_requested if sem.bootstrap_info else None,
                   by_group=_sem_by_group(sections.sem_by_sector, bank, lang),
                   fit_robust=robust_fit_rows(t("study_sem_model", lang), sem.fit, sem.n_used, lang))


def _equal(what: str, lang: str) -> str:
    """A kind of parameter held equal across groups (lavaan's ``group.equal`` names) in words."""
    key = f"study_equal_{what}"
    return t(key, lang) if key in CATALOGUE else what


def _sem_by_group(mg: SemSection | None, bank, lang: str) -> SemByGroupView | None:
    """Standardized paths side by side per group of the multi-group model (instrument: by sector)."""
    if mg is None:
        return None
    groups = mg.groups
    est = [e for e in mg.estimates if e.op == "~"]
    if len(groups) < 2 or not est:
        return None
    problems = model_problems(mg)
    if problems:  # no estimates from an improper or unidentified model
        return SemByGroupView(header=(), rows=(), formats=(), equal="", fit=None,
                              problems=reason_texts(problems, lang))
    cell = {(e.lhs, e.rhs, int(e.group)): e for e in est}
    rows = []
    for lhs, rhs in dict.fromkeys((e.lhs, e.rhs) for e in est):
        row: list = [f"{lhs} \u2190 {rhs}"]
        for k in range(1, len(groups) + 1):
            e = cell.get((lhs, rhs, k))
            row += [e.std_all, e.pvalue] if e is not None else [None, None]
        rows.append(tuple(row))
    counts = (mg.meta or {}).get("group_counts") or {}
    names = [sector_label(bank, g, lang) + (f" (n = {fmt_count(counts[str(g)], lang=lang)})" if isinstance(counts.get(str(g)), int)
                                          else "") for g in groups]
    header = (t("study_path", lang), *(x for n in names for x in (f"{n}: \u03b2", f"{n}: p")))
    return SemByGroupView(header=header, rows=tuple(rows), formats=("text", *([2, "pval"] * len(groups))),
                          equal=", ".join(_equal(x, lang) for x in opt(mg.group_equal) or ()) or "–",
                          fit=fit_row(t("study_sem_model", lang), mg.fit, mg.n_used))
