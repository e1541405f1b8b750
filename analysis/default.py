"""The default analysis of the coprod instrument (``coprod analyze DATA`` without ``--spec``).

Which items go where follows constructs.md: within a sector a construct's scale is its core
items plus that sector's facets; across sectors (pooled CFA, invariance by sector, the pooled
structural model) only the mirrored core items are used. Reverse-keyed items are reverse-scored
(``min + max - x``) before any statistic.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import pandas as pd

from coprod.instrument.model import SECTORS, Bank

from .models import LATENT, measurement_model, scale_items, structural_model
from .pipeline import (AnalysisResult, _omega_h, _Steps, cfa_section, invariance_section,
                       one_blas_thread, package_versions, sem_fit_section)

__all__ = ["analyze_instrument", "reverse_keyed", "DEFAULT_BOOTSTRAP"]

DEFAULT_BOOTSTRAP = 500
Progress = Callable[[int, int], None]


def reverse_keyed(table: pd.DataFrame, bank: Bank) -> pd.DataFrame:
    """Item columns as floats with reverse-keyed items reverse-scored (``min + max - x``)."""
    out = table.copy()
    for item in bank.items:
        if item.id not in out.columns:
            continue
        col = pd.to_numeric(out[item.id], errors="coerce").astype(float)
        if item.reverse:
            sc = bank.scales[item.scale]
            col = sc.min + sc.max - col
        out[item.id] = col
    return out


def _strategies(bank: Bank, sector: str | None) -> list[str]:
    return [c.id for c in bank.constructs.values() if c.kind == "strategy"
            and (sector is None and set(c.sectors) == set(SECTORS) or sector in c.sectors)]


def _reliability(df: pd.DataFrame, bank: Bank, missing: str) -> dict:
    from .reliability import cronbach_alpha

    out: dict[str, Any] = {}
    by_sector: dict[str, pd.DataFrame] = {}  # each sector's rows, selected once
    for c in bank.constructs.values():
        for sector in c.sectors:
            if sector not in by_sector:
                by_sector[sector] = df[df["sector"] == sector]
            rows = by_sector[sector]
            items = scale_items(bank, c.id, sector)
            if len(items) >= 2 and len(rows) >= 3:
                r = cronbach_alpha(rows, items=items, scale=f"{c.id}_{sector}", missing=missing).to_dict()
                r.update(construct=c.id, sector=sector, scope="sector scale")
                out[f"{c.id}_{sector}"] = r
        core = scale_items(bank, c.id, None)
        if len(c.sectors) == len(SECTORS) and len(core) >= 2:
            r = cronbach_alpha(df, items=core, scale=f"{c.id}_core", missing=missing).to_dict()
            r.update(construct=c.id, sector=None, scope="core items, both sectors")
            out[f"{c.id}_core"] = r
    return out


def _items(df: pd.DataFrame, bank: Bank, dont_know: pd.DataFrame | None) -> dict:
    from .items import item_analysis

    out = {}
    for sector in SECTORS:
        rows = df[df["sector"] == sector]
        items = [i.id for i in bank.items if sector in i.sectors and i.id in df.columns]
        dk = dont_know.loc[rows.index, [i for i in items if i in dont_know.columns]] if dont_know is not None else None
        res = item_analysis(rows, items=items, dont_know=dk)
        out[sector] = res.to_dict()
    return out


def _efa(df: pd.DataFrame, bank: Bank, seed: int, missing: str) -> dict:
    from .efa import efa, factorability, parallel_analysis

    items = [i for c in LATENT for i in scale_items(bank, c, None)]
    out = factorability(df, items=items, missing=missing).to_dict()
    par = parallel_analysis(df, items=items, n_iter=20, seed=seed, missing=missing).to_dict()
    out["parallel"] = par
    out["n_factors_parallel"] = par.get("n_factors")
    out["solution"] = efa(df, items=items, n_factors=len(LATENT), method="ml", rotation="oblimin",
                          missing=missing).to_dict()
    out["items"] = items
    return out


def _htmt(df: pd.DataFrame, bank: Bank) -> dict:
    from .validity import htmt

    scales = {c: scale_items(bank, c, None) for c in LATENT}
    return htmt(df, scales).to_dict()


def _scores(df: pd.DataFrame, bank: Bank) -> pd.DataFrame:
    from .responses import score

    return score(df, bank, keep_flagged=True)


def _describe_scores(scores: pd.DataFrame, df: pd.DataFrame, bank: Bank) -> dict:
    """Construct and strategy means by sector, and felt vs Griffin ambivalence."""
    cols = [c for c in bank.constructs if c in scores.columns]
    by_sector = {}
    for sector in SECTORS:
        s = scores.loc[df["sector"] == sector, cols]
        by_sector[sector] = {c: {"n": int(s[c].notna().sum()), "mean": s[c].mean(), "sd": s[c].std()}
                             for c in cols if s[c].notna().any()}
    out: dict[str, Any] = {"by_sector": by_sector}
    if "griffin" in scores.columns and "AMB" in scores.columns:
        pair = scores[["AMB", "griffin"]].dropna()
        out["griffin_vs_felt"] = {"n": len(pair), "r": pair["AMB"].corr(pair["griffin"]) if len(pair) > 2 else None}
        for sector in SECTORS:
            p = pair[df.loc[pair.index, "sector"] == sector]
            out["griffin_vs_felt"][sector] = p["AMB"].corr(p["griffin"]) if len(p) > 2 else None
    return out


def _welch(a: pd.Series, b: pd.Series) -> dict:
    """Welch's t test with Hedges' g; the difference is mean(a) - mean(b)."""
    from scipy import stats

    a, b = a.dropna().astype(float), b.dropna().astype(float)
    if len(a) < 2 or len(b) < 2:
        return {"n1": len(a), "n2": len(b), "diff": None, "t": None, "df": None, "p": None, "g": None}
    t = stats.ttest_ind(a, b, equal_var=False)
    sp = math.sqrt(((len(a) - 1) * a.var() + (len(b) - 1) * b.var()) / (len(a) + len(b) - 2))
    j = 1 - 3 / (4 * (len(a) + len(b)) - 9)
    return {"n1": len(a), "n2": len(b), "mean1": a.mean(), "mean2": b.mean(), "diff": a.mean() - b.mean(),
            "t": float(t.statistic), "df": float(t.df), "p": float(t.pvalue),
            "g": j * (a.mean() - b.mean()) / sp if sp > 0 else None}


MANAGERS = ("manager", "volunteer_manager")


def _hypotheses(sections: dict, scores: pd.DataFrame, df: pd.DataFrame) -> list[dict]:
    """Each hypothesis of constructs.md with its test and verdict."""
    out: list[dict] = []
    sem = sections.get("sem") or {}
    est = {(e["lhs"], e["op"], e["rhs"]): e for e in sem.get("estimates", [])}
    defined = {d["name"]: d for d in sem.get("defined", [])}

    def path(hid, text, lhs, rhs):
        e = est.get((lhs, "~", rhs))
        if e is None:
            out.append({"id": hid, "statement": text, "test": f"SEM path {lhs} ~ {rhs}", "verdict": "not tested"})
            return
        ok = e.get("pvalue") is not None and e["pvalue"] < 0.05 and e["est"] > 0
        out.append({"id": hid, "statement": text, "test": f"SEM path {lhs} ~ {rhs}", "estimate": e.get("std_all"),
                    "p": e.get("pvalue"), "verdict": "supported" if ok else "not supported"})

    path("H1", "Insufficiency makes the partner compelling", "COM", "INS")
    path("H2", "Value incongruence makes the partner repelling", "REP", "VIN")
    path("H3a", "Compellingness feeds ambivalence", "AMB", "COM")
    path("H3b", "Repellence feeds ambivalence", "AMB", "REP")
    for lhs, op, rhs in est:
        if op == "~" and rhs == "AMB":
            path(f"H4-{lhs}", f"Ambivalence drives {lhs} boundary work", lhs, "AMB")
    for name, text in (("ind_INS_COM_AMB", "Indirect effect INS → COM → AMB"),
                       ("ind_VIN_REP_AMB", "Indirect effect VIN → REP → AMB")):
        d = defined.get(name)
        if d is None:
            continue
        lo, hi = d.get("boot_ci_lower"), d.get("boot_ci_upper")
        kind = "bootstrap percentile 95% CI"
        if lo is None:
            lo, hi, kind = d.get("ci_lower"), d.get("ci_upper"), "delta-method 95% CI"
        ok = lo is not None and (lo > 0 or hi < 0)
        out.append({"id": name, "statement": text, "test": kind, "estimate": d.get("est"),
                    "ci": [lo, hi], "verdict": "supported" if ok else "not supported"})

    role = df.get("role")
    if role is not None and "COM" in scores and "REP" in scores:
        mgr = role.isin(MANAGERS)
        t = _welch(scores.loc[mgr, "COM"], scores.loc[~mgr, "COM"])
        out.append({"id": "R1", "statement": "Managers report more compellingness than frontline staff and volunteers",
                    "test": "Welch t test (managers − others)", **t,
                    "verdict": _verdict(t, positive=True)})
        t = _welch(scores.loc[~mgr, "REP"], scores.loc[mgr, "REP"])
        out.append({"id": "R2", "statement": "Frontline staff and volunteers report more repellence than managers",
                    "test": "Welch t test (others − managers)", **t, "verdict": _verdict(t, positive=True)})
    if "asymmetry" in df:
        a = pd.to_numeric(df["asymmetry"], errors="coerce")
        t = _welch(a[df["sector"] == "voluntary"], a[df["sector"] == "municipal"])
        out.append({"id": "R3", "statement": "Voluntary respondents report more power asymmetry",
                    "test": "Welch t test (voluntary − municipal), single item", **t,
                    "verdict": _verdict(t, positive=True)})
    area = df.get("service_area")
    if area is not None:
        for sid, s, hi, lo in (("R4", "SEL", "integration", "elderly_care"), ("R5", "IND", "elderly_care", "integration")):
            if s in scores:
                t = _welch(scores.loc[area == hi, s], scores.loc[area == lo, s])
                out.append({"id": sid, "statement": f"{s} strategy more common in {hi} than in {lo}",
                            "test": f"Welch t test ({hi} − {lo}), municipal respondents", **t,
                            "verdict": _verdict(t, positive=True)})
    return out


def _verdict(t: dict, *, positive: bool) -> str:
    if t.get("p") is None:
        return "not tested"
    return "supported" if t["p"] < 0.05 and (t["diff"] > 0) == positive else "not supported"


def _strategy_use(scores: pd.DataFrame, df: pd.DataFrame, bank: Bank) -> dict:
    out: dict[str, Any] = {}
    for c in bank.constructs.values():
        if c.kind != "strategy" or c.id not in scores:
            continue
        out[c.id] = {s: {"n": int(scores.loc[df["sector"] == s, c.id].notna().sum()),
                         "mean": scores.loc[df["sector"] == s, c.id].mean()} for s in c.sectors}
    return out


@one_blas_thread
def analyze_instrument(data, *, bank: Bank | None = None, keep_flagged: bool = False,
                       bootstrap: int = DEFAULT_BOOTSTRAP, seed: int = 2021,
                       progress: Progress | None = None, meta: dict | None = None,
                       invariance_by: tuple[str, ...] = ("sector", "service_area"),
                       n_jobs: int | None = None, missing: str = "listwise") -> AnalysisResult:
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
    missing : {"listwise", "fiml"}
        Listwise deletion per step (lavaan's default), or full-information ML for the CFA, SEM
        and invariance models (pairwise correlations for reliability and EFA, as psych).

    Returns
    -------
    AnalysisResult
        Sections ``sample``, ``items``, ``reliability``, ``efa``, ``cfa``, ``cfa_by_sector``,
        ``validity``, ``invariance`` (by sector), ``invariance_by``, ``sem``, ``sem_by_sector``,
        ``scores``, ``strategies``, ``hypotheses``.
    """
    from coprod.instrument.bank import load_bank

    from .responses import ResponseData, flag_counts, from_table

    bank = bank or load_bank()
    rd = data if isinstance(data, ResponseData) else from_table(data, bank=bank, strict=False)
    table = rd.analysis_table(keep_flagged=keep_flagged)
    flags = rd.flags
    df = reverse_keyed(table, bank)
    steps = _Steps()
    sections: dict[str, Any] = {}
    counts = rd.counts()
    sections["sample"] = {
        "n_file": int(rd.source.get("n_rows_file", rd.n)) if rd.source.get("n_rows_file") is not None else rd.n,
        "n_read": rd.n, "n_flagged": int(flags["flagged"].sum()) if flags is not None else 0,
        "excluded_by_reason": flag_counts(flags) if flags is not None else {},
        "keep_flagged": keep_flagged, "n_analysed": len(df),
        "by_sector": {str(k): int(v) for k, v in df["sector"].value_counts().items()},
        "by_service_area": {str(k): int(v) for k, v in df["service_area"].value_counts().items()},
        "n_municipalities": int(df["municipality"].nunique()),
        "dont_know": counts.get("dont_know"), "source": dict(rd.source),
    }
    sections["items"] = steps.run("items", lambda: _items(table, bank, rd.dont_know)) or {}
    sections["reliability"] = steps.run("reliability", lambda: _reliability(df, bank, missing)) or {}
    sections["efa"] = steps.run("efa", lambda: _efa(df, bank, seed, missing)) or {}
    latent_items = {s: [i for c in LATENT for i in scale_items(bank, c, s)] for s in SECTORS}
    sections["omega_hierarchical"] = {
        s: steps.run(f"omega_h[{s}]", lambda s=s: _omega_h(df[df["sector"] == s], latent_items[s],
                                                           len(LATENT), missing)) or {}
        for s in SECTORS}
    core_model = measurement_model(bank, LATENT, None)
    sections["cfa"] = steps.run("cfa", lambda: cfa_section(df, core_model, missing)) or {}
    sections["cfa_by_sector"] = {
        s: steps.run(f"cfa[{s}]", lambda s=s: cfa_section(df[df["sector"] == s],
                                                          measurement_model(bank, LATENT, s), missing)) or {}
        for s in SECTORS}
    sections["validity"] = {"htmt": steps.run("htmt", lambda: _htmt(df, bank))}
    inv = {}
    for g in invariance_by:
        if g in df and df[g].nunique() >= 2:
            inv[g] = steps.run(f"invariance[{g}]", lambda g=g: invariance_section(df, core_model, g, missing)) or {}
    sections["invariance"] = inv.get("sector", {})
    sections["invariance_by"] = inv
    sem_model = structural_model(bank, None)
    sections["sem"] = steps.run("sem", lambda: sem_fit_section(df, sem_model, bootstrap=bootstrap, seed=seed,
                                                    progress=progress, n_jobs=n_jobs, missing=missing)) or {}
    metric = (inv.get("sector") or {}).get("decision") in ("metric", "scalar", "partial_scalar")
    sections["sem_by_sector"] = steps.run("sem[by sector]", lambda: sem_fit_section(
        df, structural_model(bank, None, labels=False), bootstrap=0, seed=seed, progress=None, group="sector",
        group_equal=("loadings",) if metric else (), missing=missing)) or {}
    sections["sem_by_sector"]["group_equal"] = ["loadings"] if metric else []
    scores = steps.run("scores", lambda: _scores(table, bank))
    if scores is not None:
        sections["scores"] = _describe_scores(scores, df, bank)
        sections["strategies"] = _strategy_use(scores, df, bank)
        sections["hypotheses"] = _hypotheses(sections, scores, df)
    warnings = list(steps.warnings)
    for w in rd.warnings:
        warnings.append(f"data: {w}")
    for name, sec in sections.items():
        if isinstance(sec, dict):
            for w in sec.get("warnings", []) or []:
                warnings.append(f"{name}: {w}")
    m = {"seed": seed, "bootstrap": bootstrap, "missing": missing, "versions": package_versions(), "timings_sec": steps.timings,
         "instrument_version": bank.version, "data_instrument_version": rd.source.get("instrument_version"),
         "instrument_id": bank.id, "input_sha256": rd.source.get("sha256"), "mode": "instrument"}
    m.update(meta or {})
    return AnalysisResult(sections=sections, warnings=tuple(warnings), errors=tuple(steps.errors),
                          not_supported=(), meta=m, data_summary={"n_rows_file": sections["sample"]["n_file"],
                                                                  "n_used": len(df)})
