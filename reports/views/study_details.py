"""View-models of the detail tables of the study report: what a reviewer checks behind the fit.

CFA loadings with SEs, the EFA pattern matrix with communalities and Φ, the largest residual
correlations, omega hierarchical, the partial-invariance steps and the ordinal (WLSMV) section.
Each builder is a small pure function of the section records; numbers stay unrounded.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple

from coprod.analysis.run.admissibility import Problem
from coprod.analysis.run.records import (CfaSection, EfaSection, InvarianceSection, Omega, OrdinalSection, Sections,
                                         opt)
from coprod.reports.i18n import t

from ._shared import FitRow, construct_label, num, sector_label

__all__ = ["LoadingRow", "MatrixView", "HintRow", "OmegaRow", "PartialRow", "ThresholdRow",
           "OrdinalAlphaRow", "OrdinalView", "loading_rows", "efa_pattern", "efa_phi", "hint_rows", "omega_rows",
           "partial_rows", "ordinal_view", "reason_texts", "N_HINTS"]

#: how many residual correlations the report lists (the largest in absolute value)
N_HINTS = 10


class LoadingRow(NamedTuple):
    """One loading of the CFA: unstandardized estimate, its SE, the standardized loading and p."""

    factor: str
    item: str
    est: Any
    se: Any
    std_all: Any
    pvalue: Any


def loading_rows(cfa: CfaSection | None, bank, lang: str) -> tuple[LoadingRow, ...]:
    """The ``=~`` rows of the pooled CFA, in the model's order."""
    if cfa is None:
        return ()
    return tuple(LoadingRow(construct_label(bank, e.lhs, lang), e.rhs, e.est, e.se, e.std_all, e.pvalue)
                 for e in cfa.estimates if e.op == "=~" and opt(e.group) in (None, 1))


@dataclass(frozen=True, slots=True)
class MatrixView:
    """A table of numbers: a header, rows whose first cell names the row, one format per column."""

    header: tuple[str, ...]
    rows: tuple[tuple, ...]
    formats: tuple


def efa_pattern(efa: EfaSection | None, lang: str) -> MatrixView | None:
    """The rotated pattern matrix, one row per item, with its communality (h²)."""
    sol = efa.solution if efa is not None else None
    if sol is None or not sol.loadings:
        return None
    factors = list(next(iter(sol.loadings.values())))
    rows = tuple((item, *(sol.loadings[item].get(f) for f in factors), sol.communalities.get(item))
                 for item in sol.loadings)
    return MatrixView(header=(t("study_item", lang), *factors, "h²"), rows=rows, formats=("text", *[2] * (len(factors) + 1)))


def efa_phi(efa: EfaSection | None, lang: str) -> MatrixView | None:
    """The factor correlations Φ of an oblique rotation (lower triangle), ``None`` when orthogonal."""
    phi = efa.solution.phi if efa is not None and efa.solution is not None else None
    if not phi:
        return None
    names = list(phi)
    rows = tuple((a, *(phi[a].get(b) if j <= i else "" for j, b in enumerate(names))) for i, a in enumerate(names))
    return MatrixView(header=(t("study_factor", lang), *names), rows=rows, formats=("text", *[2] * len(names)))


class HintRow(NamedTuple):
    """A residual correlation (observed minus model-implied) of two items."""

    pair: str
    residual_cor: Any
    large: str


def hint_rows(cfa: CfaSection | None, lang: str) -> tuple[HintRow, ...]:
    """The ``N_HINTS`` largest residual correlations of the CFA, largest first."""
    if cfa is None:
        return ()
    hints = sorted(cfa.modification_hints, key=lambda h: -abs(num(h.residual_cor) or 0.0))[:N_HINTS]
    return tuple(HintRow(f"{h.lhs} \u2194 {h.rhs}", h.residual_cor, t("study_yes" if h.large else "study_no", lang))
                 for h in hints)


class OmegaRow(NamedTuple):
    """Omega hierarchical of one battery (Schmid–Leiman): ω_h, ω total, α and the ECV."""

    battery: str
    k: int
    n: Any
    omega_h: Any
    omega_total: Any
    alpha: Any
    ecv: Any


def _omega_row(label: str, o: Omega) -> OmegaRow:
    return OmegaRow(label, len(o.items), o.n, o.omega_h, o.omega_total, o.alpha, o.ecv)


def omega_rows(sections: Sections, bank, lang: str) -> tuple[OmegaRow, ...]:
    """One row per battery: per sector (instrument analysis) or the one battery of a spec."""
    om = sections.omega_hierarchical
    if om is None:
        return ()
    if isinstance(om, Omega):
        return (_omega_row(t("study_all_items", lang), om),)
    return tuple(_omega_row(sector_label(bank, k, lang), o) for k, o in om.items() if o is not None)


class PartialRow(NamedTuple):
    """Partial invariance at one level: what was freed, the partial model's fit, whether it holds."""

    level: str
    freed: str
    chisq: Any
    df: Any
    cfi: Any
    rmsea: Any
    delta_cfi: Any
    delta_rmsea: Any
    holds: str


def partial_rows(inv: InvarianceSection, level_label, lang: str) -> tuple[PartialRow, ...]:
    """The partial-invariance search of ``inv``, one row per level searched (none when not needed)."""
    rows = []
    for level, step in inv.partial.items():
        m, d = step.model, step.delta
        rows.append(PartialRow(level_label(level), ", ".join(step.freed) or t("study_nothing_freed", lang),
                               m.chisq if m else None, m.df if m else None, m.cfi if m else None,
                               m.rmsea if m else None, d.cfi if d else None, d.rmsea if d else None,
                               t("study_yes" if step.holds else "study_no", lang)))
    return tuple(rows)


# ------------------------------------------------------------------------------------- ordinal
class ThresholdRow(NamedTuple):
    """One item's thresholds: how many, the lowest and the highest (z-scale)."""

    item: str
    k: int
    lowest: Any
    highest: Any


class OrdinalAlphaRow(NamedTuple):
    scale: str
    k: int
    alpha: Any
    omega_ordinal: Any
    omega_latent: Any


@dataclass(frozen=True, slots=True)
class OrdinalView:
    n: Any
    k: int
    thresholds: tuple[ThresholdRow, ...]
    alpha: tuple[OrdinalAlphaRow, ...]
    fit: FitRow | None
    estimator: Any
    parameterization: Any
    n_empty_pairs: int


def _thresholds(th: Mapping[str, Any]) -> tuple[ThresholdRow, ...]:
    by: dict[str, list] = {}
    for key, v in th.items():
        by.setdefault(key.split("|")[0], []).append(v)
    out = []
    for item, vals in by.items():
        ok = [v for v in vals if num(v) is not None]
        out.append(ThresholdRow(item, len(vals), min(ok) if ok else None, max(ok) if ok else None))
    return tuple(out)


def _ordinal_fit(w) -> FitRow | None:
    """The WLSMV fit: the scaled (mean- and variance-adjusted) test and the robust indices."""
    if w is None:
        return None
    f = w.fit
    return FitRow("WLSMV", w.n_used, f.get("chisq_scaled"), f.get("df_scaled"), f.get("pvalue_scaled"),
                  f.get("cfi_scaled"), f.get("tli_scaled"), f.get("rmsea_scaled"),
                  f.get("rmsea_ci_lower_scaled"), f.get("rmsea_ci_upper_scaled"), f.get("srmr"))


def ordinal_view(sections: Sections, bank, lang: str) -> OrdinalView | None:
    """Thresholds, ordinal alpha (with WLSMV omegas) and the WLSMV fit; ``None`` without ``ordered``."""
    o: OrdinalSection | None = sections.ordinal
    if o is None:
        return None
    w = opt(o.wlsmv_cfa)
    rel = w.reliability if w is not None else {}
    alpha = tuple(OrdinalAlphaRow(construct_label(bank, k, lang), a.k, a.alpha,
                                  rel.get("omega_ordinal_scale", {}).get(k),
                                  rel.get("omega_latent_response_scale", {}).get(k))
                  for k, a in (opt(o.ordinal_alpha) or {}).items())
    return OrdinalView(n=o.n, k=len(o.items), thresholds=_thresholds(o.thresholds), alpha=alpha,
                       fit=_ordinal_fit(w), estimator=w.estimator if w is not None else None,
                       parameterization=w.parameterization if w is not None else None,
                       n_empty_pairs=len(o.empty_cell_pairs or ()))


def reason_texts(problems: tuple[Problem, ...], lang: str) -> str:
    """The reasons a model cannot carry a verdict, in ``lang`` (the codes of ``admissibility.REASONS``)."""
    return "; ".join(t(f"reason_{p.code}", lang, **p.detail) for p in problems)
