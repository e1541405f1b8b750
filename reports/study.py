"""The study report: ``results.json`` of ``coprod analyze`` as one self-contained HTML page.

:func:`render_study_report` turns an :class:`analysis.pipeline.AnalysisResult` into HTML;
:func:`write_study_report` writes it atomically. Each section of the page is its own template in
``reports/templates/study/`` and is shown only when its data exists, so a ``--spec`` result (only
reliability, EFA, CFA, invariance, SEM) renders as well as a full instrument result.

This module only *selects and arranges* values: numbers reach the templates unrounded and are
rounded there by the filters of :mod:`reports.env`. Figures come from :mod:`reports.figures`
(already-escaped SVG Markup).
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from coprod.reports import figures as F
from coprod.reports.env import ReportError, render
from coprod.reports.i18n import t
from coprod.reports.suppression import SUPPRESSED, apply_suppression, suppress_small_cells

__all__ = ["render_study_report", "build_context"]

LABEL_MAX = 70  # characters of item wording shown next to a bar


def _num(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _bank():
    try:
        from coprod.instrument.bank import load_bank

        return load_bank()
    except Exception:  # noqa: BLE001 - a report without item wording is still a report
        return None


def _text(obj: Any, lang: str) -> str:
    if isinstance(obj, dict):
        return str(obj.get(lang) or obj.get("en") or "")
    return "" if obj is None else str(obj)


def _short(text: str, n: int = LABEL_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


def _sector_label(bank, sector: str, lang: str) -> str:
    if bank is not None and sector in getattr(bank, "sector_label", {}):
        return _text(bank.sector_label[sector], lang)
    return str(sector).replace("_", " ")


def _choice_label(bank, question: str, value, lang: str) -> str:
    """The questionnaire's answer label of a coded context value (``elderly_care`` -> "Elderly care")."""
    label = bank.answer_label(question, value, lang) if bank is not None else None
    return label or str(value).replace("_", " ")


def _construct_label(bank, cid: str, lang: str) -> str:
    if bank is not None and cid in bank.constructs:
        return f"{_text(bank.constructs[cid].name, lang)} ({cid})"
    return str(cid)


# ----------------------------------------------------------------------------------- sections

def _counts_rows(counts: dict, min_cell: int, label) -> list[list]:
    if not counts:
        return []
    s = pd.Series({str(k): int(v) for k, v in counts.items()})
    mask = suppress_small_cells(s, min_cell)
    shown = apply_suppression(s.astype(object), mask)
    total = s.sum()
    return [[label(k), shown[k], SUPPRESSED if mask[k] else (v / total if total else None)]
            for k, v in s.items()]


def _sample(result, bank, lang: str, min_cell: int) -> dict | None:
    s = result.sections.get("sample")
    ds = result.data_summary or {}
    if not s:
        if not ds:
            return None
        return {"n_file": ds.get("n_rows_file"), "n_analysed": ds.get("n_used"),
                "n_dropped": ds.get("n_dropped"), "missing": ds.get("missing"), "reasons": [],
                "by_sector": [], "by_area": [], "n_municipalities": None, "n_flagged": None,
                "keep_flagged": None, "dont_know": None}
    reasons = [[k.replace("_", " "), v] for k, v in (s.get("excluded_by_reason") or {}).items()
               if k != "flagged"]
    return {
        "n_file": s.get("n_file"), "n_analysed": s.get("n_analysed"), "n_flagged": s.get("n_flagged"),
        "n_dropped": (s.get("n_file") or 0) - (s.get("n_analysed") or 0),
        "keep_flagged": s.get("keep_flagged"), "reasons": reasons, "missing": None,
        "by_sector": _counts_rows(s.get("by_sector"), min_cell, lambda k: _sector_label(bank, k, lang)),
        "by_area": _counts_rows(s.get("by_service_area"), min_cell, lambda k: _choice_label(bank, "service_area", k, lang)),
        "n_municipalities": s.get("n_municipalities"), "dont_know": s.get("dont_know"),
    }


def _items(result, bank, lang: str) -> list[dict]:
    items = result.sections.get("items") or {}
    out = []
    for sector, res in items.items():
        cats = (res or {}).get("categories") or {}
        if not cats:
            continue
        groups: dict[str, list[str]] = {}
        for item_id in cats:
            construct = item_id.split("_")[0]
            if bank is not None:
                try:
                    construct = bank.item(item_id).construct
                except KeyError:
                    pass
            groups.setdefault(construct, []).append(item_id)
        figs = []
        for construct, ids in groups.items():
            dist = pd.DataFrame({i: cats[i] for i in ids}).T.fillna(0)
            dist = dist[sorted(dist.columns, key=lambda c: float(c) if _num(c) is not None else math.inf)]
            if bank is not None and construct in bank.constructs:
                # one sector's item table spans scales (7-point ratings, 5-point frequencies):
                # keep only the points of this construct's scale
                codes = {str(c) for c in bank.scales[bank.constructs[construct].scale].codes}
                dist = dist[[c for c in dist.columns if str(c) in codes]]
            labels, legend = [], None
            for i in ids:
                text = ""
                if bank is not None:
                    try:
                        item = bank.item(i)
                        text = bank.fill(_text(item.text, lang), sector if sector in bank.partner else None, lang)
                        sc = bank.scales[item.scale]
                        by_code = {str(p.code): _text(p.label, lang) for p in sc.points}
                        legend = [by_code.get(str(c), str(c)) for c in dist.columns]
                    except (KeyError, AttributeError):
                        text = ""
                labels.append(_short(text) if text else i)
            name = _construct_label(bank, construct, lang)
            title = t("study_items_fig_title", lang, construct=name, sector=_sector_label(bank, sector, lang))
            desc = t("study_items_fig_desc", lang, items=", ".join(f"{i}: {lab}" for i, lab in zip(ids, labels)))
            svg = F.diverging_stacked_bars(dist, labels, title=title, desc=desc, categories=legend, lang=lang)
            figs.append({"svg": svg, "caption": title, "ids": ", ".join(ids)})
        out.append({"sector": _sector_label(bank, sector, lang), "n": res.get("n_rows"), "figures": figs})
    return out


def _reliability(result, bank, lang: str) -> list[list]:
    rel = result.sections.get("reliability") or {}
    rows = []
    for key, r in rel.items():
        if not isinstance(r, dict):
            continue
        ci = r.get("alpha_ci") or {}
        sector = r.get("sector")
        label = key
        if r.get("construct") and bank is not None:
            scope = _sector_label(bank, sector, lang) if sector else t("study_core_items", lang)
            label = f"{_construct_label(bank, r['construct'], lang)}, {scope}"
        omega = r.get("omega_total")
        rows.append({"key": key, "label": label, "k": r.get("k"), "n": r.get("n"), "alpha": r.get("alpha"),
                     "lo": ci.get("lower"), "hi": ci.get("upper"), "omega": omega,
                     "ok": _num(r.get("alpha")) is not None and r["alpha"] >= 0.70})
    return rows


def _factors(result, bank, lang: str) -> dict | None:
    efa = result.sections.get("efa") or {}
    cfa = result.sections.get("cfa") or {}
    if not efa and not cfa:
        return None
    out: dict[str, Any] = {"efa": None, "cfa": None, "by_sector": [], "cr": [], "htmt": None}
    if efa:
        b = efa.get("bartlett") or {}
        out["efa"] = {"kmo": efa.get("kmo"), "chi2": b.get("chi2"), "df": b.get("df"), "p": b.get("p"),
                      "n": efa.get("n"), "n_factors": efa.get("n_factors_parallel",
                                                              (efa.get("parallel") or {}).get("n_factors")),
                      "k": len(efa.get("items") or [])}
    if cfa.get("fit"):
        out["cfa"] = _fit_row(t("study_pooled", lang), cfa["fit"], cfa.get("n_used"))
    for sector, res in (result.sections.get("cfa_by_sector") or {}).items():
        if res and res.get("fit"):
            out["by_sector"].append(_fit_row(_sector_label(bank, sector, lang), res["fit"], res.get("n_used")))
    cr, av = cfa.get("composite_reliability") or {}, cfa.get("ave") or {}
    fl = (cfa.get("fornell_larcker") or {}).get("passes") or {}
    for c in cr:
        out["cr"].append([_construct_label(bank, c, lang), cr.get(c), av.get(c),
                          t("study_yes", lang) if fl.get(c) else (t("study_no", lang) if c in fl else None)])
    ht = ((result.sections.get("validity") or {}).get("htmt") or {}).get("matrix")
    if ht:
        names = list(ht)
        out["htmt"] = {"header": [""] + names,
                       "rows": [[a] + [ht[a].get(b) if i > j else "" for j, b in enumerate(names)]
                                for i, a in enumerate(names)]}
    return out


def _fit_row(label: str, fit: dict, n: Any) -> list:
    return [label, n if n is not None else fit.get("nobs"), fit.get("chisq"), fit.get("df"), fit.get("pvalue"),
            fit.get("cfi"), fit.get("tli"), fit.get("rmsea"), fit.get("rmsea_ci_lower"),
            fit.get("rmsea_ci_upper"), fit.get("srmr")]


LEVEL_KEYS = {"configural": "study_inv_configural", "metric": "study_inv_metric", "scalar": "study_inv_scalar"}


def _invariance(result, bank, lang: str) -> list[dict]:
    by = dict(result.sections.get("invariance_by") or {})
    if not by and result.sections.get("invariance"):
        inv = result.sections["invariance"]
        by = {inv.get("group") or (inv.get("meta") or {}).get("group") or "group": inv}
    out = []
    for group, inv in by.items():
        if not inv or not inv.get("configural"):
            continue
        rows = []
        for level in ("configural", "metric", "scalar"):
            m = inv.get(level)
            if not m:
                continue
            lrt = (inv.get("lrt") or {}).get(level) or {}
            d = (inv.get("delta") or {}).get(level) or {}
            rows.append([t(LEVEL_KEYS[level], lang), m.get("chisq"), m.get("df"), m.get("cfi"), m.get("rmsea"),
                         lrt.get("chisq_diff"), lrt.get("df_diff"), lrt.get("p_diff"), d.get("cfi"),
                         d.get("rmsea")])
        decision = str(inv.get("decision") or "")
        key = {"scalar": "study_inv_means_ok", "partial_scalar": "study_inv_means_partial",
               "metric": "study_inv_metric_only", "configural": "study_inv_configural_only"}.get(
            decision, "study_inv_none")
        gname = str(group).replace("_", " ")
        out.append({"group": gname, "rows": rows, "decision": decision,
                    "plain": t(key, lang, group=t("study_group_" + group, lang) if group in ("sector", "service_area") else gname),
                    "means_ok": decision in ("scalar", "partial_scalar"), "rule": inv.get("rule"),
                    "groups": ", ".join(_sector_label(bank, g, lang) if group == "sector"
                                        else _choice_label(bank, group, g, lang) for g in inv.get("groups") or [])})
    return out


def _sem(result, bank, lang: str) -> dict | None:
    sem = result.sections.get("sem") or {}
    if not sem.get("estimates"):
        return None
    est = sem["estimates"]
    latents = {e["lhs"] for e in est if e.get("op") == "=~"}
    r2 = sem.get("r2") or {}
    paths = [e for e in est if e.get("op") == "~"]
    nodes = []
    for n in dict.fromkeys([x for e in paths for x in (e["rhs"], e["lhs"])]):
        node = {"id": n, "kind": "latent" if n in latents else "observed"}
        if _num(r2.get(n)) is not None:
            node["r2"] = r2[n]
        nodes.append(node)
    svg = None
    if paths:
        edges = [(e["rhs"], e["lhs"], e.get("std_all") if _num(e.get("std_all")) is not None else e.get("est"),
                  e.get("pvalue")) for e in paths]
        svg = F.path_diagram(nodes, edges, title=t("study_sem_fig_title", lang),
                             desc=t("study_sem_fig_desc", lang, paths="; ".join(
                                 f"{s} \u2192 {d}" for s, d, _, _ in edges)), lang=lang)
    rows = [[f"{e['lhs']} \u2190 {e['rhs']}", e.get("est"), e.get("se"), e.get("std_all"), e.get("pvalue"),
             F_stars(e.get("pvalue"))] for e in paths]
    defined = []
    for d in sem.get("defined") or []:
        lo, hi = d.get("boot_ci_lower"), d.get("boot_ci_upper")
        boot = lo is not None
        if not boot:
            lo, hi = d.get("ci_lower"), d.get("ci_upper")
        defined.append({"name": d.get("name"), "est": d.get("est"), "lo": lo, "hi": hi, "boot": boot,
                        "p": d.get("pvalue"),
                        "excl0": _num(lo) is not None and _num(hi) is not None and (lo > 0 or hi < 0)})
    r2_rows = [[k, v] for k, v in r2.items() if k in latents or any(k == e["lhs"] for e in paths)]
    return {"svg": svg, "rows": rows, "defined": defined, "fit": _fit_row(t("study_sem_model", lang), sem["fit"],
                                                                            sem.get("n_used")) if sem.get("fit") else None,
            "r2": r2_rows, "boot": (sem.get("bootstrap_info") or {}).get("n_requested"),
            "by_group": _sem_by_group(result.sections.get("sem_by_sector") or {}, bank, lang)}


def _sem_by_group(mg: dict, bank, lang: str) -> dict | None:
    """Standardized paths side by side per group of the multi-group model (instrument: by sector)."""
    groups = mg.get("groups") or []
    est = [e for e in mg.get("estimates") or [] if e.get("op") == "~"]
    if len(groups) < 2 or not est:
        return None
    cell: dict[tuple, dict] = {}
    for e in est:
        cell[(e["lhs"], e["rhs"], int(e["group"]))] = e
    keys = list(dict.fromkeys((e["lhs"], e["rhs"]) for e in est))
    rows = []
    for lhs, rhs in keys:
        row = [f"{lhs} \u2190 {rhs}"]
        for k in range(1, len(groups) + 1):
            e = cell.get((lhs, rhs, k)) or {}
            row += [e.get("std_all"), e.get("pvalue")]
        rows.append(row)
    names = [_sector_label(bank, g, lang) for g in groups]
    header = [t("study_path", lang)] + [x for n in names for x in (f"{n}: \u03b2", f"{n}: p")]
    return {"header": header, "rows": rows, "formats": ["text"] + [2, "pval"] * len(groups),
            "equal": ", ".join(mg.get("group_equal") or []) or "–",
            "fit": _fit_row(t("study_sem_model", lang), mg["fit"], mg.get("n_used")) if mg.get("fit") else None}


def F_stars(p: Any) -> str:
    from coprod.reports.env import signif_stars

    return signif_stars(p)


VERDICT_KEYS = {"supported": "study_supported", "not supported": "study_not_supported",
                "not tested": "study_not_tested"}


def _hypotheses(result, lang: str) -> list[dict]:
    out = []
    for h in result.sections.get("hypotheses") or []:
        ci = h.get("ci") or [None, None]
        estimate = h.get("estimate")
        kind = "std" if estimate is not None and str(h.get("test", "")).startswith("SEM path") else None
        if estimate is None and h.get("diff") is not None:
            estimate, kind = h.get("diff"), "diff"
        verdict = str(h.get("verdict") or "not tested")
        out.append({"id": h.get("id"), "statement": h.get("statement"), "test": h.get("test"),
                    "estimate": estimate, "kind": kind, "p": h.get("p"), "lo": ci[0], "hi": ci[1],
                    "g": h.get("g"), "verdict": verdict,
                    "verdict_text": t(VERDICT_KEYS.get(verdict, "study_not_tested"), lang),
                    "cls": verdict.replace(" ", "-")})
    return out


def _ambivalence(result, bank, lang: str) -> dict | None:
    g = (result.sections.get("scores") or {}).get("griffin_vs_felt")
    if not g or _num(g.get("r")) is None:
        return None
    by = [[_sector_label(bank, k, lang), v] for k, v in g.items() if k not in ("n", "r")]
    return {"r": g["r"], "n": g.get("n"), "by_sector": by}


def _strategies(result, bank, lang: str, min_cell: int) -> list[dict]:
    strat = result.sections.get("strategies") or {}
    sectors: dict[str, dict] = {}
    for sid, by in strat.items():
        for sector, v in by.items():
            sectors.setdefault(sector, {})[sid] = v
    out = []
    for sector, vals in sectors.items():
        values = pd.Series({_construct_label(bank, k, lang): v.get("mean") for k, v in vals.items()}, dtype=float)
        hidden = [_construct_label(bank, k, lang) for k, v in vals.items() if (v.get("n") or 0) < min_cell]
        lo, hi = 1, 5
        if bank is not None:
            for k in vals:
                if k in bank.constructs:
                    sc = bank.scales[bank.constructs[k].scale]
                    lo, hi = sc.min, sc.max
        label = _sector_label(bank, sector, lang)
        svg = F.bar_chart(values, title=t("study_strat_fig_title", lang, sector=label),
                          desc=t("study_strat_fig_desc", lang, lo=lo, hi=hi), lang=lang, xmax=hi,
                          suppressed=hidden, xlabel=t("study_strat_axis", lang, lo=lo, hi=hi))
        out.append({"sector": label, "svg": svg,
                    "rows": [[_construct_label(bank, k, lang), SUPPRESSED if (v.get("n") or 0) < min_cell else v.get("n"),
                              SUPPRESSED if (v.get("n") or 0) < min_cell else v.get("mean")]
                             for k, v in vals.items()]})
    return out


def _provenance(result, lang: str) -> dict:
    m = result.meta or {}
    prov: dict[str, Any] = {}
    if m.get("mode"):
        prov[t("study_prov_mode", lang)] = m["mode"]
    if m.get("instrument_version"):
        prov[t("study_prov_instrument", lang)] = f"{m.get('instrument_id') or ''} {m['instrument_version']}".strip()
    if m.get("input_file"):
        prov[t("study_prov_file", lang)] = m["input_file"]
    if m.get("input_sha256"):
        prov[t("study_prov_sha", lang)] = m["input_sha256"]
    if m.get("seed") is not None:
        prov[t("study_prov_seed", lang)] = m["seed"]
    boot = m.get("bootstrap", (m.get("spec") or {}).get("bootstrap"))
    if boot is not None:
        prov[t("study_prov_boot", lang)] = boot
    versions = m.get("versions") or {}
    if versions:
        prov[t("study_prov_versions", lang)] = ", ".join(f"{k} {v}" for k, v in versions.items() if v)
    timings = m.get("timings_sec") or {}
    if timings:
        from coprod.reports.env import fmt_num

        prov[t("study_prov_timings", lang)] = ", ".join(f"{k} {fmt_num(v, 1, lang=lang)} s" for k, v in timings.items())
    return prov


# ----------------------------------------------------------------------------------- public API

def build_context(result, *, lang: str = "en", min_cell: int = 5) -> dict:
    """The template variables of the study report (raw numbers; the templates round them)."""
    bank = _bank() if result.meta.get("mode") == "instrument" or result.sections.get("items") else None
    ctx: dict[str, Any] = {
        "min_cell": min_cell,
        "sample": _sample(result, bank, lang, min_cell),
        "item_groups": _items(result, bank, lang),
        "reliability": _reliability(result, bank, lang),
        "factors": _factors(result, bank, lang),
        "invariance": _invariance(result, bank, lang),
        "sem": _sem(result, bank, lang),
        "hypotheses": _hypotheses(result, lang),
        "ambivalence": _ambivalence(result, bank, lang),
        "strategies": _strategies(result, bank, lang, min_cell),
        "warnings": list(result.warnings), "errors": list(result.errors),
        "not_supported": list(getattr(result, "not_supported", ()) or ()),
        "provenance": _provenance(result, lang),
        "methods": {"seed": result.meta.get("seed"),
                    "bootstrap": result.meta.get("bootstrap", (result.meta.get("spec") or {}).get("bootstrap")),
                    "estimator": ((result.sections.get("sem") or result.sections.get("cfa") or {}).get("meta") or {}).get("estimator"),
                    "missing": ((result.sections.get("sem") or result.sections.get("cfa") or {}).get("meta") or {}).get("missing")},
    }
    order = [("sample", ctx["sample"]), ("items", ctx["item_groups"]), ("reliability", ctx["reliability"]),
             ("factors", ctx["factors"]), ("invariance", ctx["invariance"]), ("sem", ctx["sem"]),
             ("hypotheses", ctx["hypotheses"]), ("ambivalence", ctx["ambivalence"]),
             ("strategies", ctx["strategies"]), ("warnings", True), ("methods", True)]
    ctx["toc"] = [{"id": k, "title": t(f"study_sec_{k}", lang)} for k, v in order if v]
    title = t("study_title", lang)
    if bank is not None:
        title = f"{title}: {_text(bank.title, lang)}"
    ctx["title"] = title
    ctx["meta"] = t("study_meta", lang, n=result.data_summary.get("n_used", "?")) if result.data_summary else ""
    return ctx


def render_study_report(result, *, lang: str = "en", min_cell: int = 5) -> str:
    """The study report of ``result`` as HTML (``lang``: "en" or "da")."""
    return render("study/report.html.j2", lang=lang, **build_context(result, lang=lang, min_cell=min_cell))


_ = ReportError  # re-exported for callers catching report problems
