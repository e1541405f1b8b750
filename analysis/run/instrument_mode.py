"""The default analysis of the coprod instrument (``coprod analyze DATA`` without ``--spec``).

It is a plan generated from the bank (:func:`instrument_plan`: which items enter the EFA, which
CFA and SEM models are fitted, by which groups invariance is tested, with which options), run by
the shared step runner and section builders exactly as spec mode runs a spec, plus the sections
only the instrument has (sample, items, per-sector reliability, scores, strategies, hypotheses).
Reverse-keyed items are reverse-scored (``min + max - x``) before any statistic.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

import pandas as pd

from coprod.instrument.bank import as_bank
from coprod.instrument.model import SECTORS, Bank

from ..errors import ModelSpecError
from ..models import measurement_model, scale_items, structural_model
from ..responses import ResponseData, from_table
from .hypotheses import evaluate_hypotheses
from .instrument_sections import (describe_scores, items_section, reliability_section, reverse_keyed,
                                  sample_section, score_table, strategy_use)
from .records import DataSummary, Sections, Validity
from .results import AnalysisResult, collect_warnings, provenance
from .sections import (cfa_section, efa_section, htmt_section, invariance_section, omega_h_section,
                       sem_fit_section)
from .steps import Progress, Steps, one_blas_thread

__all__ = ["analyze_instrument", "instrument_plan", "InstrumentPlan", "DEFAULT_BOOTSTRAP"]

DEFAULT_BOOTSTRAP = 500
#: invariance levels that license equal loadings in the by-sector structural model
_METRIC_OR_BETTER = ("metric", "scalar", "partial_scalar")


@dataclass(frozen=True, slots=True)
class InstrumentPlan:
    """What the instrument analysis fits, generated from the bank (the instrument's "spec").

    ``cfa``/``sem`` are the pooled models on the core items; ``cfa_by_sector`` each sector's full
    scales; ``sem_by_sector`` the unlabelled structural model fitted across sectors (a label
    would force a path to be equal in every group).
    """

    latent: tuple[str, ...]
    efa_items: tuple[str, ...]
    omega_items: Mapping[str, tuple[str, ...]]
    htmt_scales: Mapping[str, tuple[str, ...]]
    cfa: str
    cfa_by_sector: Mapping[str, str]
    sem: str
    sem_by_sector: str
    invariance_by: tuple[str, ...]
    missing: str = "fiml"
    bootstrap: int = DEFAULT_BOOTSTRAP
    seed: int = 2021
    estimator: str = "MLR"  # of the CFAs and structural models (invariance stays ML)
    cluster: str | None = None
    cluster_auto: bool = False  # the cluster column was chosen by the rule of AUTO_CLUSTER
    n_jobs: int | None = None
    parallel_n_iter: int = 20


def instrument_plan(bank: Bank, *, missing: str = "fiml", bootstrap: int = DEFAULT_BOOTSTRAP,
                    seed: int = 2021, invariance_by: tuple[str, ...] = ("sector", "service_area"),
                    n_jobs: int | None = None, estimator: str = "MLR",
                    cluster: str | None = None, cluster_auto: bool = False) -> InstrumentPlan:
    """The models and options of the instrument analysis of ``bank``.

    Examples
    --------
    >>> from coprod.instrument.bank import load_bank
    >>> plan = instrument_plan(load_bank())
    >>> plan.latent, plan.cfa.splitlines()[0]
    (('INS', 'VIN', 'COM', 'REP', 'AMB'), 'INS =~ INS_C1 + INS_C2 + INS_C3 + INS_C4')
    """
    latent = bank.latent_order
    core = {c: tuple(scale_items(bank, c, None)) for c in latent}
    return InstrumentPlan(
        latent=latent, efa_items=tuple(i for c in latent for i in core[c]),
        omega_items={s: tuple(i for c in latent for i in scale_items(bank, c, s)) for s in SECTORS},
        htmt_scales=core, cfa=measurement_model(bank, latent, None),
        cfa_by_sector={s: measurement_model(bank, latent, s) for s in SECTORS},
        sem=structural_model(bank, None), sem_by_sector=structural_model(bank, None, labels=False),
        invariance_by=tuple(invariance_by), missing=missing, bootstrap=bootstrap, seed=seed, n_jobs=n_jobs,
        estimator="MLR" if cluster else str(estimator).upper(), cluster=cluster, cluster_auto=cluster_auto)


#: ``cluster="auto"`` (the default): respondents are clustered by this column when it has at least
#: :data:`MIN_CLUSTERS` values -- with fewer, cluster-robust SEs are themselves unreliable
AUTO_CLUSTER = "municipality"
MIN_CLUSTERS = 20


def resolve_cluster(cluster: str | None, estimator: str, df: pd.DataFrame) -> tuple[str | None, bool]:
    """The cluster column to use and whether the default rule chose it.

    ``"auto"``: :data:`AUTO_CLUSTER` when the estimator is MLR and the column has at least
    :data:`MIN_CLUSTERS` values; ``None`` or ``"none"``: no clusters; else the column named.

    Examples
    --------
    >>> import pandas as pd
    >>> resolve_cluster("auto", "MLR", pd.DataFrame({"municipality": [f"m{i % 20}" for i in range(60)]}))
    ('municipality', True)
    >>> resolve_cluster("auto", "MLR", pd.DataFrame({"municipality": ["a", "b"]}))
    (None, False)
    """
    if cluster is None or str(cluster).lower() == "none":
        return None, False
    if cluster != "auto":
        return cluster, False
    if str(estimator).upper() != "MLR" or AUTO_CLUSTER not in df.columns:
        return None, False
    return (AUTO_CLUSTER, True) if df[AUTO_CLUSTER].nunique(dropna=True) >= MIN_CLUSTERS else (None, False)


@one_blas_thread
def analyze_instrument(data, *, bank: Bank | None = None, keep_flagged: bool = False,
                       bootstrap: int = DEFAULT_BOOTSTRAP, seed: int = 2021,
                       progress: Progress | None = None, meta: dict | None = None,
                       invariance_by: tuple[str, ...] = ("sector", "service_area"),
                       n_jobs: int | None = None, missing: str = "fiml", estimator: str = "MLR",
                       cluster: str | None = "auto") -> AnalysisResult:
    """Analyse responses to the coprod instrument.

    Parameters
    ----------
    data : ResponseData or DataFrame
        What :func:`analysis.responses.read_responses` returned, or a canonical table.
    bank : Bank, optional
        The item bank (the shipped one by default).
    keep_flagged : bool
        Keep respondents flagged by the data-quality checks (excluded by default).
    bootstrap, seed : int
        Bootstrap draws for the indirect effects, and the seed of every random step.
    n_jobs : int, optional
        Worker processes for the bootstrap (default: up to 2); the results do not depend on it.
    missing : {"fiml", "listwise"}
        Full-information ML for the CFA, SEM and invariance models (the default: a don't-know
        answer is missing by design, and listwise deletion over a model's items leaves out most
        respondents; pairwise correlations for reliability and EFA, as psych), or listwise
        deletion per step (lavaan's default).
    estimator : {"MLR", "ML"}
        MLR (the default; it matches lavaan's ``estimator = "MLR"`` with ``missing = "ml"``): the
        CFAs and structural models get Huber–White SEs and the Yuan–Bentler scaled test with
        scaled and robust fit indices, because Likert answers are not normal; invariance stays ML.
    cluster : str, optional
        A column whose respondents are not independent: cluster-robust SEs for the CFAs and
        structural models (lavaan's ``cluster =``; implies MLR). ``"auto"`` (the default):
        ``municipality`` when it has at least :data:`MIN_CLUSTERS` values and the estimator is MLR
        (:func:`resolve_cluster`); ``None`` or ``"none"``: no clusters.

    Returns
    -------
    AnalysisResult
        Sections ``sample``, ``items``, ``reliability``, ``efa``, ``omega_hierarchical``, ``cfa``,
        ``cfa_by_sector``, ``validity``, ``invariance`` (by sector), ``invariance_by``, ``sem``,
        ``sem_by_sector``, ``scores``, ``strategies``, ``hypotheses``.

    Examples
    --------
    >>> from coprod.analysis.responses import simulate
    >>> res = analyze_instrument(simulate(300, seed=2), bootstrap=0)  # doctest: +SKIP
    >>> [h.id for h in res.sections.hypotheses][:3]                    # doctest: +SKIP
    ['H1', 'H2', 'H3a']
    """
    bank = as_bank(bank)
    rd = data if isinstance(data, ResponseData) else from_table(data, bank=bank, strict=False)
    table = rd.analysis_table(keep_flagged=keep_flagged)
    df = reverse_keyed(table, bank)
    cluster, auto = resolve_cluster(cluster, estimator, df)
    plan = instrument_plan(bank, missing=missing, bootstrap=bootstrap, seed=seed, invariance_by=invariance_by,
                           n_jobs=n_jobs, estimator=estimator, cluster=cluster, cluster_auto=auto)
    if cluster is not None and cluster not in df.columns:
        raise ModelSpecError(f"cluster column '{cluster}' is not in the responses (columns include: "
                             + ", ".join(c for c in ("municipality", "sector", "service_area", "wave")
                                         if c in df.columns) + ")")
    steps = Steps()
    sections: dict[str, Any] = {"sample": sample_section(rd, df, keep_flagged=keep_flagged)}
    sections["items"] = steps.section("items", lambda: items_section(table, bank, rd.dont_know))
    sections["reliability"] = steps.section("reliability", lambda: reliability_section(df, bank, missing))
    sections.update(run_plan(df, plan, steps, progress=progress))
    scores = steps.run("scores", lambda: score_table(table, bank))
    if scores is not None:
        sections["scores"] = describe_scores(scores, df, bank)
        sections["strategies"] = strategy_use(scores, df, bank)
        sections["hypotheses"] = evaluate_hypotheses(bank, sections["sem"], scores, df)
    m = provenance({"seed": seed, "bootstrap": bootstrap, "missing": missing,
                    **({"estimator": plan.estimator, "cluster": plan.cluster} if plan.estimator != "ML" else {}),
                    **({"cluster_rule": f"{AUTO_CLUSTER} with at least {MIN_CLUSTERS} values"} if plan.cluster_auto
                       else {})}, timings=steps.timings,
                   source={"instrument_version": bank.version,
                           "data_instrument_version": rd.source.get("instrument_version"),
                           "instrument_id": bank.id, "input_sha256": rd.source.get("sha256"),
                           "mode": "instrument"}, extra=meta)
    return AnalysisResult(sections=Sections.of(sections),
                          warnings=collect_warnings(sections, first=[f"data: {w}" for w in rd.warnings]),
                          errors=tuple(steps.errors), not_supported=(), meta=m,
                          data_summary=DataSummary(n_rows_file=sections["sample"].n_file, n_used=len(df)))


def run_plan(df: pd.DataFrame, plan: InstrumentPlan, steps: Steps, *,
             progress: Progress | None = None) -> dict[str, Any]:
    """The sections the plan's models make, each a step of ``steps``, in results.json order."""
    by_sector = {s: df[df["sector"] == s] for s in SECTORS}
    out: dict[str, Any] = {}
    out["efa"] = steps.section("efa", lambda: replace(efa_section(
        df, plan.efa_items, n_factors=len(plan.latent), fallback=len(plan.latent), method="ml",
        rotation="oblimin", n_iter=plan.parallel_n_iter, seed=plan.seed, missing=plan.missing),
        items=tuple(plan.efa_items)))
    out["omega_hierarchical"] = {
        s: steps.section(f"omega_h[{s}]", lambda s=s: omega_h_section(
            by_sector[s], plan.omega_items[s], len(plan.latent), plan.missing)) for s in SECTORS}
    robust = {"estimator": plan.estimator, "cluster": plan.cluster}
    out["cfa"] = steps.section("cfa", lambda: cfa_section(df, plan.cfa, plan.missing, **robust))
    out["cfa_by_sector"] = {
        s: steps.section(f"cfa[{s}]", lambda s=s: cfa_section(by_sector[s], plan.cfa_by_sector[s], plan.missing,
                                                              **robust))
        for s in SECTORS}
    out["validity"] = Validity(htmt=steps.run("htmt", lambda: htmt_section(df, plan.htmt_scales)))
    inv = {g: steps.section(f"invariance[{g}]", lambda g=g: invariance_section(df, plan.cfa, g, plan.missing))
           for g in plan.invariance_by if g in df and df[g].nunique() >= 2}
    out["invariance"] = inv.get("sector")
    out["invariance_by"] = inv
    out["sem"] = steps.section("sem", lambda: sem_fit_section(
        df, plan.sem, bootstrap=plan.bootstrap, seed=plan.seed, progress=progress, n_jobs=plan.n_jobs,
        missing=plan.missing, **robust))
    # equal loadings across sectors only where metric invariance holds (constructs.md)
    equal = ("loadings",) if getattr(inv.get("sector"), "decision", None) in _METRIC_OR_BETTER else ()
    out["sem_by_sector"] = steps.section("sem[by sector]", lambda: sem_fit_section(
        df, plan.sem_by_sector, bootstrap=0, seed=plan.seed, progress=None, group="sector",
        group_equal=equal, missing=plan.missing, **robust))
    return out
