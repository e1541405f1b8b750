"""The section builders shared by spec mode, the instrument analysis and ``coprod compare``.

Each turns one fitted statistic into the typed record of its section (:mod:`.records`), built
from the estimator's own ``to_dict()`` so that results.json holds exactly what the estimator
reports; the numbers are never rounded here.
"""
from __future__ import annotations

import os
from typing import Mapping, Sequence

import pandas as pd

from ..efa import efa, factorability, parallel_analysis
from ..reliability import omega_hierarchical
from ..residuals import largest_residuals, residual_correlations
from ..sem import fit_sem, measurement_invariance
from ..validity import ave, composite_reliability, fornell_larcker, htmt, latent_correlations
from .records import CfaSection, EfaSection, Htmt, Hint, InvarianceSection, Omega, SemSection
from .steps import Progress

__all__ = ["cfa_section", "invariance_section", "sem_fit_section", "sem_section", "omega_h_section",
           "efa_section", "htmt_section"]


def cfa_section(df: pd.DataFrame, model: str, missing: str = "listwise", *, estimator: str | None = None,
                cluster: str | None = None) -> CfaSection:
    """A CFA's results.json section: fit and estimates, composite reliability, AVE, Fornell–Larcker
    and the largest residual correlations (``estimator="MLR"``/``cluster``: robust SEs and fit)."""
    res = fit_sem(df, model, missing=missing, estimator=_robust(estimator, cluster), cluster=cluster)
    d = res.to_dict()
    d["model"] = model
    est = res.estimates
    cr = composite_reliability(est, df, missing=missing)
    av = ave(est, df, missing=missing)
    d["composite_reliability"] = cr.to_dict()["values"]
    d["ave"] = av.to_dict()["values"]
    d["warnings"] = list(d.get("warnings", [])) + list(cr.warnings) + list(av.warnings)
    d["modification_hints"] = _hints(df, res)
    try:
        d["fornell_larcker"] = fornell_larcker(av, latent_correlations(est)).to_dict()
    except (ValueError, KeyError) as exc:
        d["warnings"].append(f"Fornell-Larcker: {exc}")
    return CfaSection.from_dict(d)


def _hints(df: pd.DataFrame, res) -> list[Hint]:
    """Largest residual correlations of a single-group model (complete rows)."""
    implied = res.implied_cov()
    if implied is None or isinstance(implied, dict):
        return []
    return [Hint.from_dict(h) for h in largest_residuals(residual_correlations(df, implied))]


def invariance_section(df: pd.DataFrame, model: str, group: str, missing: str = "listwise") -> InvarianceSection:
    """Measurement invariance as results.json holds it: ``<level>.{chisq, df, cfi, rmsea}`` beside
    ``decision``, ``lrt``, ``delta``, ``partial`` and ``rule``."""
    d = measurement_invariance(df, model, group, missing=missing).to_dict()
    models = d.pop("models")
    return InvarianceSection.from_dict({**models, **d, "group": group, "model": model})


def sem_fit_section(df: pd.DataFrame, model: str, *, missing: str = "listwise", bootstrap: int = 0,
                    seed: int | None = None, progress: Progress | None = None, group: str | None = None,
                    group_equal: tuple[str, ...] = (), n_jobs: int | None = None,
                    estimator: str | None = None, cluster: str | None = None) -> SemSection:
    """Fit a structural model (bootstrap on both cores by default) and return its section."""
    res = fit_sem(df, model, group=group, group_equal=group_equal, missing=missing, bootstrap=bootstrap,
                  seed=seed, n_jobs=min(2, os.cpu_count() or 1) if n_jobs is None else n_jobs,
                  progress=progress, estimator=_robust(estimator, cluster), cluster=cluster)
    d = _sem_dict(res)
    d["model"] = model
    if group is not None:
        d["group_equal"] = list(group_equal)
    return SemSection.from_dict(d)


def _robust(estimator: str | None, cluster: str | None) -> str | None:
    """``None`` (fit_sem's default, ML) unless MLR is asked for or implied by a cluster column."""
    if cluster is not None:
        return "MLR"
    return None if estimator is None or str(estimator).upper() == "ML" else estimator


def sem_section(res) -> SemSection:
    """A fitted structural model's section (see :func:`_sem_dict`)."""
    return SemSection.from_dict(_sem_dict(res))


def _sem_dict(res) -> dict:
    """``res.to_dict()`` with lavaan's ``se = "bootstrap"`` reporting of defined parameters.

    ``sem.defined[].se`` stays the delta-method SE; ``ci_lower``/``ci_upper`` are the bootstrap
    percentile CI when draws were made (lavaan's ``boot.ci.type = "perc"``), the delta-method
    Wald CI otherwise; ``ci_method`` says which, and the Wald CI is kept as ``wald_ci_*``.
    """
    d = res.to_dict()
    for row in d.get("defined", []):
        row["wald_ci_lower"], row["wald_ci_upper"] = row.get("ci_lower"), row.get("ci_upper")
        if row.get("boot_ci_lower") is not None and row.get("boot_ci_upper") is not None:
            row["ci_lower"], row["ci_upper"] = row["boot_ci_lower"], row["boot_ci_upper"]
            row["ci_method"] = "bootstrap percentile"
        else:
            row["ci_method"] = "delta method (Wald)"
    return d


def omega_h_section(df: pd.DataFrame, items: Sequence[str], n_groups: int, missing: str) -> Omega:
    """Omega hierarchical of ``items`` taken as one battery of ``n_groups`` group factors."""
    return Omega.from_dict(omega_hierarchical(df, items=list(items), n_groups=n_groups, missing=missing).to_dict())


def efa_section(df: pd.DataFrame, items: Sequence[str], *, n_factors: int | None, fallback: int,
                method: str, rotation: str | None, n_iter: int, seed: int, missing: str) -> EfaSection:
    """Factorability (KMO, Bartlett), parallel analysis and the EFA solution of ``items``.

    The solution has ``n_factors`` factors, else as many as parallel analysis retains, else
    ``fallback``.
    """
    items = list(items)
    out = factorability(df, items=items, missing=missing).to_dict()
    par = parallel_analysis(df, items=items, n_iter=n_iter, seed=seed, missing=missing).to_dict()
    k = n_factors or par.get("n_factors") or fallback
    out["parallel"] = par
    out["n_factors_parallel"] = par.get("n_factors")
    out["solution"] = efa(df, items=items, n_factors=int(k), method=method, rotation=rotation,
                          missing=missing).to_dict()
    return EfaSection.from_dict(out)


def htmt_section(df: pd.DataFrame, scales: Mapping[str, Sequence[str]], **options) -> Htmt:
    """The heterotrait–monotrait ratios of ``scales`` (``options``: ``missing``)."""
    return Htmt.from_dict(htmt(df, {k: list(v) for k, v in scales.items()}, **options).to_dict())
