"""The comparative reports of ``coprod compare``: groups side by side, one page per group.

:func:`build_comparison` renders the result of :func:`coprod.analysis.compare.compare_groups` as
these files, in memory (``coprod.workflow.compare_file`` reads the response file and writes them):

* ``index.html`` -- the groups side by side (group sizes, heatmap, and -- only where the means are
  comparable -- construct means with 95% CIs, effect sizes and strategy profiles),
* ``group-<slug>.html`` -- one page per group (ASCII slug, ``Høje-Taastrup`` ->
  ``group-hoeje-taastrup.html``; collisions get ``-2``, ``-3`` ...),
* ``results.json`` -- the published figures; ``groups`` maps each group's value to its results,
  each with ``n`` and ``suppressed``.

Privacy
-------
Group sizes go through :func:`reports.suppression.suppress_small_cells` (primary: fewer than
``min_cell`` respondents; secondary: further groups hidden so that a small one cannot be worked
out from the total). A suppressed group -- primary or secondary, the report does not say which,
since that would tell that the group is small -- shows **no figures anywhere**: not its n, means,
CIs, effect sizes, strategy profile, sector split or structural paths. In ``results.json`` it is
``{"n": null, "suppressed": true}``; on the index and the heatmap it is hatched "suppressed", which
looks different from "no data" (a construct nobody in the group answered). Single cells (valid n of
one construct within a shown group) are suppressed the same way, per construct
(:func:`reports.suppression.suppress_columns`), and the split by sector within a group too. If all
groups together are fewer than ``min_cell``, the overall figures are hidden as well. Invariance
details that name group sizes (per-group chi-square, meta) are not published.

Means
-----
Construct means, their CIs and effect sizes are compared between groups only when
``ComparisonResult.means_comparable`` (scalar invariance for every group). Otherwise the pages say
so, explain why in plain language, and show no dot/CI plot, no effect sizes and no means heatmap:
the index heatmap then shows the valid number of answers per group and construct instead.
Strategy profiles are means too: on the index they are compared only when means are comparable; a
group page always shows its own profile, labelled as a descriptive profile of that group when
means are not comparable. Structural paths are estimated within each group and shown on its page
when its model exists.

No respondent-level rows and no free-text answers are written: only the aggregates of
``ComparisonResult``.
"""
from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import pandas as pd

from .env import render
from .i18n import t
from .suppression import SUPPRESSED, suppress_columns, suppress_small_cells, total_is_small

__all__ = ["build_comparison", "hidden_groups", "slugify", "group_slugs", "published_results"]

_TRANSLIT = {"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa", "ß": "ss",
             "ö": "oe", "ä": "ae", "ü": "ue", "Ö": "Oe", "Ä": "Ae", "Ü": "Ue", "đ": "d", "ł": "l"}


# --------------------------------------------------------------------------- slugs
def slugify(value: str) -> str:
    """A safe ASCII slug: ``slugify("Høje-Taastrup") == "hoeje-taastrup"``; never empty."""
    text = "".join(_TRANSLIT.get(ch, ch) for ch in str(value))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return text[:60].strip("-") or "group"


def group_slugs(labels) -> dict[str, str]:
    """One unique slug per label, in order; collisions get ``-2``, ``-3`` ..."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for label in labels:
        base = slugify(label)
        slug, k = base, 1
        while slug in used:
            k += 1
            slug = f"{base}-{k}"
        used.add(slug)
        out[label] = slug
    return out


# --------------------------------------------------------------------------- privacy
def _masks(result, min_cell: int) -> tuple[pd.Series, pd.DataFrame, bool]:
    """(group mask, group x construct cell mask, total hidden)."""
    labels = list(result.groups)
    counts = pd.Series({g: int(result.groups[g].get("n") or 0) for g in labels}, dtype="int64")
    constructs = _constructs(result)
    if not labels:
        return pd.Series(dtype=bool), pd.DataFrame(), False
    row = suppress_small_cells(counts, min_cell)
    hide_total = total_is_small(counts, min_cell)
    if hide_total:
        row[:] = True
    valid = pd.DataFrame({c: [int(((result.groups[g].get("means") or {}).get(c) or {}).get("n") or 0)
                              for g in labels] for c in constructs}, index=labels, dtype="int64")
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


def _constructs(result) -> list[str]:
    seen: list[str] = []
    for d in result.groups.values():
        for c in (d.get("means") or {}):
            if c not in seen:
                seen.append(c)
    for c in (result.overall.get("means") or {}):
        if c not in seen:
            seen.append(c)
    return seen


def _clean(x: Any) -> Any:
    if isinstance(x, float) and x != x:
        return None
    return x


def _public_invariance(inv: dict, hidden: set[str]) -> dict:
    keep = {k: inv[k] for k in ("decision", "rule", "min_group") if k in inv}
    keep["groups_tested"] = [g for g in inv.get("groups_tested", []) if g not in hidden]
    for level in ("configural", "metric", "scalar", "strict"):
        if isinstance(inv.get(level), dict):
            keep[level] = {k: v for k, v in inv[level].items() if k != "chisq_by_group"}
    for k in ("lrt", "delta", "partial"):
        if k in inv:
            keep[k] = inv[k]
    return keep


def published_results(result, *, min_cell: int = 5, meta: dict | None = None) -> dict:
    """The JSON-safe figures the reports publish, with suppression applied (``results.json``)."""
    from coprod.analysis._result import jsonable

    row, cells, hide_total = _masks(result, min_cell)
    comparable = bool(result.means_comparable)
    groups: dict[str, dict] = {}
    for g, d in result.groups.items():
        if bool(row.get(g, False)):
            groups[g] = {"n": None, "suppressed": True}
            continue
        means = {}
        for c, m in (d.get("means") or {}).items():
            if bool(cells.at[g, c]):
                means[c] = {"suppressed": True}
            elif comparable or _is_strategy(c, result):
                means[c] = {k: _clean(m.get(k)) for k in ("n", "mean", "sd", "lower", "upper")}
            else:  # not comparable: publish only the valid n of latent constructs
                means[c] = {"n": m.get("n")}
        sectors = pd.Series(d.get("by_sector") or {}, dtype="int64")
        by_sector = {}
        if len(sectors):
            smask = suppress_small_cells(sectors, min_cell)
            by_sector = {k: (None if smask[k] else int(v)) for k, v in sectors.items()}
        out: dict[str, Any] = {"n": int(d["n"]), "suppressed": False, "means": means, "by_sector": by_sector}
        if comparable and d.get("effect_vs_rest"):
            out["effect_vs_rest"] = {c: (None if bool(cells.at[g, c]) else _clean(v))
                                     for c, v in d["effect_vs_rest"].items()}
        sem = d.get("sem") or {}
        out["sem"] = ({"n": sem.get("n"), "converged": sem.get("converged"), "paths": sem.get("paths"),
                       "fit": sem.get("fit")} if "paths" in sem else {"error": sem.get("error", "no model")})
        groups[g] = out
    if hide_total:
        overall: dict[str, Any] = {"n": None, "suppressed": True}
    else:
        overall = {"n": result.overall.get("n"), "suppressed": False,
                   "means": {c: ({k: _clean(m.get(k)) for k in ("n", "mean", "sd", "lower", "upper")})
                             for c, m in (result.overall.get("means") or {}).items()}}
    hidden = {g for g in result.groups if bool(row.get(g, False))}
    return jsonable({
        "by": result.by, "min_cell": min_cell, "means_comparable": comparable, "reason": result.reason,
        "invariance": _public_invariance(result.invariance or {}, hidden),
        "groups": groups, "overall": overall, "warnings": [w for w in result.warnings
                                                          if not any(h in w for h in hidden)],
        "meta": {**(result.meta or {}), **(meta or {})},
    })


# --------------------------------------------------------------------------- view model
def _bank():
    from coprod.instrument.bank import load_bank  # cached by the loader

    return load_bank()


def _is_strategy(c: str, result) -> bool:
    kinds = (result.meta or {}).get("construct_kinds")
    if kinds and c in kinds:
        return kinds[c] == "strategy"
    try:
        con = _bank().constructs.get(c)
    except Exception:  # noqa: BLE001 -- no bank: treat unknown ids as latent
        con = None
    return con is not None and con.kind == "strategy"


def _construct_info(c: str, lang: str) -> dict:
    try:
        bank = _bank()
        con = bank.constructs.get(c)
    except Exception:  # noqa: BLE001
        con = None
    if con is None:
        return {"id": c, "name": c, "lo": None, "hi": None, "strategy": False}
    sc = bank.scales.get(con.scale)
    return {"id": c, "name": con.name.get(lang) or con.name.get("en") or c,
            "lo": sc.min if sc else None, "hi": sc.max if sc else None, "strategy": con.kind == "strategy"}


def _reason_text(result, lang: str) -> str:
    inv = result.invariance or {}
    decision = str(inv.get("decision", "not tested"))
    min_group = inv.get("min_group", 50)
    level = decision.replace("_", " ")
    if result.means_comparable:
        return t("cmp_reason_ok", lang, level=level)
    if decision == "not tested":
        return t("cmp_reason_not_tested", lang, min_group=min_group)
    if decision in ("scalar", "partial_scalar"):
        return t("cmp_reason_partial", lang, min_group=min_group)
    return t("cmp_reason_not_invariant", lang, level=level)


def _display(by: str, value: str, lang: str) -> str:
    """What a reader sees for a group value: the questionnaire's answer label for coded groupings
    (``elderly_care`` -> "Elderly care"), the value itself for free text (municipality)."""
    try:
        bank = _bank()
    except Exception:  # noqa: BLE001 -- a broken or custom bank must not stop the report
        return str(value)
    return bank.answer_label(by, value, lang) or str(value)


def _figures_for_index(pub: dict, result, infos: dict, row: pd.Series, lang: str, min_cell: int):
    from . import figures as F

    labels = sorted(result.groups, key=lambda g: (str(g).casefold(), str(g)))
    comparable = pub["means_comparable"]
    latent = [c for c in infos if not infos[c]["strategy"]]
    strategies = [c for c in infos if infos[c]["strategy"]]
    heat_cols = latent + (strategies if comparable else [])
    if not labels or not heat_cols:
        return [], [], None
    sup = pd.DataFrame(False, index=labels, columns=heat_cols)
    vals = pd.DataFrame(index=labels, columns=heat_cols, dtype=float)
    for g in labels:
        pg = pub["groups"][g]
        for c in heat_cols:
            if pg["suppressed"] or (pg["means"].get(c) or {}).get("suppressed"):
                sup.at[g, c] = True
                continue
            m = pg["means"].get(c) or {}
            v = m.get("mean") if comparable else (m.get("n") or None)
            vals.at[g, c] = float(v) if v is not None else float("nan")
    title = t("cmp_heatmap", lang)
    shown = {g: _display(result.by, g, lang) for g in labels}
    sup, vals = sup.rename(index=shown), vals.rename(index=shown)
    heats = []
    if comparable:
        # one heatmap per response scale, so colours mean the same thing within a figure
        scales: dict[tuple, list[str]] = {}
        for c in heat_cols:
            scales.setdefault((infos[c]["lo"], infos[c]["hi"]), []).append(c)
        for (lo, hi), cols in scales.items():
            heats.append(F.heatmap(vals[cols], title=f"{title} ({lo}–{hi})", desc=t("cmp_heatmap_means_caption", lang),
                                   suppressed_mask=sup[cols], lang=lang, min_cell=min_cell, vmin=lo, vmax=hi))
        heat_caption = t("cmp_heatmap_means_caption", lang)
    else:
        heats.append(F.heatmap(vals, title=title, desc=t("cmp_heatmap_counts_caption", lang),
                               suppressed_mask=sup, lang=lang, min_cell=min_cell, digits=0))
        heat_caption = t("cmp_heatmap_counts_caption", lang)
    dots = []
    if comparable:
        for c in latent + strategies:
            rows = []
            for g in labels:
                pg = pub["groups"][g]
                m = pg.get("means", {}).get(c) or {}
                hidden = pg["suppressed"] or m.get("suppressed", False)
                rows.append({"group": _display(result.by, g, lang), "mean": None if hidden else m.get("mean"),
                             "lower": None if hidden else m.get("lower"),
                             "upper": None if hidden else m.get("upper"), "suppressed": hidden})
            est = pd.DataFrame(rows)
            info = infos[c]
            ref = ((pub["overall"].get("means") or {}).get(c) or {}).get("mean") if not pub["overall"]["suppressed"] else None
            xlim = (info["lo"], info["hi"]) if info["lo"] is not None else None
            svg = F.dot_ci_plot(est, title=f"{c}: {info['name']}", desc=t("cmp_means_ci_caption", lang, construct=info["name"]),
                                lang=lang, xlim=xlim, reference=ref, xlabel=f"{info['name']} ({info['lo']}–{info['hi']})"
                                if info["lo"] is not None else info["name"])
            dots.append({"id": c, "svg": svg, "caption": t("cmp_means_ci_caption", lang, construct=f"{c} ({info['name']})")})
    return heats, dots, heat_caption


def _group_page_ctx(g: str, pub: dict, result, infos: dict, lang: str, min_cell: int) -> dict:
    from . import figures as F

    pg = pub["groups"][g]
    comparable = pub["means_comparable"]
    ctx: dict[str, Any] = {"group": _display(result.by, g, lang), "suppressed": pg["suppressed"], "n": pg.get("n"),
                           "means_rows": [], "dots": None, "bars": None, "bars_caption": "",
                           "sector_rows": [], "paths": [], "path_svg": None, "fit": None, "sem_note": None}
    if pg["suppressed"]:
        return ctx
    ctx["sector_rows"] = [{"sector": k, "n": SUPPRESSED if v is None else v} for k, v in pg["by_sector"].items()]
    latent = [c for c in infos if not infos[c]["strategy"]]
    strategies = [c for c in infos if infos[c]["strategy"]]
    if comparable:
        rows, est = [], []
        for c in latent + strategies:
            m = pg["means"].get(c) or {}
            sup = bool(m.get("suppressed"))
            rows.append({"id": c, "name": infos[c]["name"], "suppressed": sup, "n": m.get("n"),
                         "mean": m.get("mean"), "lower": m.get("lower"), "upper": m.get("upper"),
                         "g": (pg.get("effect_vs_rest") or {}).get(c)})
            if c in latent:
                est.append({"group": f"{c}", "mean": None if sup else m.get("mean"),
                            "lower": None if sup else m.get("lower"), "upper": None if sup else m.get("upper"),
                            "suppressed": sup})
        ctx["means_rows"] = rows
        if est:
            lo = min((infos[c]["lo"] for c in latent if infos[c]["lo"] is not None), default=None)
            hi = max((infos[c]["hi"] for c in latent if infos[c]["hi"] is not None), default=None)
            ctx["dots"] = F.dot_ci_plot(pd.DataFrame(est), title=f"{t('cmp_means', lang)}: {g}",
                                        desc=t("cmp_group_means_caption", lang), lang=lang,
                                        xlim=(lo, hi) if lo is not None else None)
    if strategies:
        vals, hid = {}, []
        for c in strategies:
            m = pg["means"].get(c) or {}
            vals[c] = None if m.get("suppressed") else m.get("mean")
            if m.get("suppressed"):
                hid.append(c)
        if any(v is not None for v in vals.values()) or hid:
            labels = [f"{c} {infos[c]['name']}" for c in strategies]
            hi = max((infos[c]["hi"] or 0) for c in strategies) or None
            lo = min((infos[c]["lo"] or 0) for c in strategies)
            ctx["bars"] = F.bar_chart(pd.Series(vals, dtype="object"), labels=labels, suppressed=hid,
                                      title=f"{t('cmp_strategies', lang)}: {g}",
                                      desc=t("cmp_strategy_caption", lang, lo=lo, hi=hi), lang=lang, xmax=hi)
            ctx["bars_caption"] = t("cmp_strategy_caption", lang, lo=lo, hi=hi)
    sem = pg.get("sem") or {}
    if sem.get("paths"):
        edges = []
        for name, p in sem["paths"].items():
            lhs, rhs = [s.strip() for s in name.split("~", 1)]
            est = p.get("std_all") if p.get("std_all") is not None else p.get("est")
            ctx["paths"].append({"path": f"{rhs} → {lhs}", "est": _clean(p.get("est")),
                                 "std": _clean(p.get("std_all")), "p": _clean(p.get("pvalue"))})
            if est is not None:
                edges.append({"source": rhs, "target": lhs, "est": est, "pvalue": p.get("pvalue")})
        if edges:
            try:
                ctx["path_svg"] = F.path_diagram([], edges, title=f"{t('cmp_paths', lang)}: {g}",
                                                 desc=t("std_estimate", lang), lang=lang)
            except Exception:  # noqa: BLE001 -- the table still shows the paths
                ctx["path_svg"] = None
        fit = sem.get("fit") or {}
        from .env import fmt_num

        ctx["fit"] = t("cmp_fit", lang, **{k: fmt_num(fit.get(k), 3, lang=lang) for k in ("cfi", "rmsea", "srmr")})
    else:
        err = str(sem.get("error", ""))
        why = (t("cmp_paths_small", lang, n=(result.invariance or {}).get("min_group", 50))
               if "fewer than" in err else t("cmp_paths_failed", lang))
        ctx["sem_note"] = t("cmp_paths_none", lang, why=why)
    return ctx


def build_comparison(result, *, min_cell: int = 5, lang: str = "en", meta: dict | None = None) -> dict[str, str]:
    """All files of the comparison, in memory: file name -> text."""
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
        raise ValueError(f"min_cell must be a positive integer, got {min_cell!r}")
    pub = published_results(result, min_cell=min_cell, meta=meta)
    row, _cells, hide_total = _masks(result, min_cell)
    labels = sorted(result.groups, key=lambda g: (str(g).casefold(), str(g)))  # display order
    slugs = group_slugs(labels)
    # constructs nobody answered in any group (e.g. sector-specific items) are left out
    infos = {c: _construct_info(c, lang) for c in _constructs(result)
             if ((result.overall.get("means") or {}).get(c) or {}).get("n")
             or any(((d.get("means") or {}).get(c) or {}).get("n") for d in result.groups.values())}
    by_label = t(f"cmp_by_{result.by}", lang) if result.by in ("service_area", "municipality", "sector", "role") else result.by
    heats, dots, heat_caption = _figures_for_index(pub, result, infos, row, lang, min_cell)
    comparable = pub["means_comparable"]
    reason = _reason_text(result, lang)
    inst = (pub["meta"] or {}).get("instrument_version", "")
    provenance = {"coprod": _version(), t("cmp_grouping", lang): by_label, "min. n": min_cell,
                  "instrument": inst}
    if (pub["meta"] or {}).get("input_file"):
        provenance["input"] = pub["meta"]["input_file"]
    provenance = {k: v for k, v in provenance.items() if v not in ("", None)}
    groups_view = []
    latent = [c for c in infos if not infos[c]["strategy"]]
    strategies = [c for c in infos if infos[c]["strategy"]]
    for g in labels:
        pg = pub["groups"][g]
        groups_view.append({"label": _display(result.by, g, lang), "href": f"group-{slugs[g]}.html",
                            "suppressed": pg["suppressed"],
                            "n": pg.get("n"), "means": pg.get("means", {}), "g": pg.get("effect_vs_rest") or {}})
    files: dict[str, str] = {}
    common = dict(by=result.by, by_label=by_label, comparable=comparable, reason=reason,
                  technical=result.reason, min_cell=min_cell, provenance=provenance,
                  meta=t("cmp_no_free_text", lang))
    files["index.html"] = render(
        "compare_index.html.j2", lang=lang, title=t("cmp_title", lang, by=by_label), groups=groups_view,
        heats=heats, heat_caption=heat_caption, dots=dots, infos=infos, latent=latent, strategies=strategies,
        overall=pub["overall"], hide_total=hide_total, warnings=pub["warnings"],
        toc=[{"id": "groups", "title": t("cmp_overview", lang)},
             {"id": "overview", "title": t("cmp_heatmap", lang)},
             {"id": "means", "title": t("cmp_means", lang)}]
        + ([{"id": "effects", "title": t("cmp_effects", lang)}] if comparable else []),
        **common)
    for g in labels:
        ctx = _group_page_ctx(g, pub, result, infos, lang, min_cell)
        files[f"group-{slugs[g]}.html"] = render(
            "compare_group.html.j2", lang=lang, title=t("cmp_group_title", lang, by=by_label.capitalize(), group=g),
            infos=infos, **ctx, **common)
    files["results.json"] = json.dumps(pub, ensure_ascii=False, indent=1, allow_nan=False)
    return files


def _version() -> str:
    from coprod import __version__

    return __version__


def hidden_groups(result, min_cell: int = 5) -> set[str]:
    """The groups whose figures are suppressed (primary or secondary) at ``min_cell``."""
    row, _, _ = _masks(result, min_cell)
    return {g for g in result.groups if bool(row.get(g, False))}
