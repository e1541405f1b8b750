"""A sample report page using every figure, the macros and a hostile municipality name.

Shared by the tests of reports/ (imported by module name, so it is not called conftest).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from coprod.reports import figures as F
from coprod.reports.env import get_environment
from coprod.reports.suppression import apply_suppression, suppress_small_cells

EVIL = "<script>alert(1)</script>"

SAMPLE_PAGE = """\
{% extends "base.html.j2" %}
{% import "_macros.html.j2" as m with context %}
{% block content %}
{% call m.section("overview", toc[0].title) %}
<p>Respondents in {{ evil }} and three other municipalities rated their partner sector.</p>
{{ m.warning("Scalar invariance across sectors was not supported, so sector means are not compared.") }}
{{ m.table("Construct means by municipality", ["Municipality", "n", "INS", "COM", "p"], rows,
           formats=["text", "count", 2, 2, "pval"], note=t("suppressed_note", min_cell=5)) }}
{% endcall %}
{% call m.section("items", toc[1].title) %}
{{ m.figure(likert, "Answers to the compellingness items (municipal respondents).") }}
{% endcall %}
{% call m.section("model", toc[2].title) %}
{{ m.figure(path, "Standardized path coefficients of the structural model.", note=t("stars_note")) }}
{% endcall %}
{% call m.section("groups", toc[3].title) %}
{{ m.figure(heat, "Construct means by municipality.") }}
{{ m.figure(dots, "Mean compellingness with 95% confidence intervals.") }}
{{ m.figure(bars, "Share using each boundary-work strategy often or very often.") }}
{% endcall %}
{% endblock %}
"""


def sample_context(lang: str = "en") -> dict:
    munis = [EVIL, "Aarhus", "Odense", "Lille Vildmose"]
    counts = pd.Series([48, 62, 3, 40], index=munis)
    mask = suppress_small_cells(counts)  # Odense (3), and secondarily Lille Vildmose (40)
    table = pd.DataFrame({"n": counts, "INS": [4.213, 5.1, 3.9, 4.44], "COM": [4.9, np.nan, 5.0, 4.1],
                          "p": [0.0004, 0.0231, 0.5, 0.2]}, index=munis)
    shown = apply_suppression(table, mask)
    rows = [[name, *shown.loc[name].tolist()] for name in munis]

    cats = ["Strongly disagree", "Disagree", "Somewhat disagree", "Neither", "Somewhat agree",
            "Agree", "Strongly agree"]
    dist = pd.DataFrame(
        [[2, 4, 8, 12, 25, 30, 19], [10, 14, 16, 20, 18, 14, 8], [1, 2, 4, 10, 23, 35, 25],
         [20, 22, 18, 14, 12, 9, 5]],
        index=["COM_1", "COM_2", "COM_3", "COM_4"], columns=cats)
    items = ["Volunteers reach people we cannot reach", f"Volunteers in {EVIL} are spontaneous",
             "Volunteers build community around the people we serve",
             "Volunteers respond to needs without waiting for rules"]
    likert = F.diverging_stacked_bars(dist, items, title=f"Compellingness items, {EVIL}",
                                      desc="Share of answers per category for four items.", lang=lang)
    strategies = ["SEL", "IND", "SEP", "DEM", "WEL"]
    edges = [("INS", "COM", 0.46, 0.0001), ("VIN", "REP", 0.38, 0.002), ("COM", "AMB", 0.29, 0.01),
             ("REP", "AMB", 0.11, 0.21)] + [("AMB", k, v, p) for k, v, p in
                                             zip(strategies, [0.31, 0.22, 0.05, 0.27, -0.18],
                                                 [0.001, 0.02, 0.6, 0.004, 0.03])]
    nodes = [{"id": "INS"}, {"id": "VIN"}, {"id": "COM", "r2": 0.21}, {"id": "REP", "r2": 0.14},
             {"id": "AMB", "r2": 0.12}] + [{"id": k, "kind": "observed"} for k in strategies]
    path = F.path_diagram(nodes, edges, title="Structural model",
                          desc="INS and VIN predict COM and REP, which predict AMB, which predicts "
                               "five strategies.", lang=lang)
    means = pd.DataFrame({"INS": [4.2, 5.1, 3.9, 4.4], "COM": [4.9, np.nan, 5.0, 4.1],
                          "REP": [3.2, 3.8, 2.9, 3.0], "VIN": [2.8, 3.1, 3.3, 2.5],
                          "AMB": [4.0, 4.4, 4.1, 3.6]}, index=munis)
    heat = F.heatmap(means, title=f"Means by municipality incl. {EVIL}", desc="Groups by constructs.",
                     suppressed_mask=mask, lang=lang, vmin=1, vmax=7)
    est = pd.DataFrame({"group": munis, "mean": [4.9, np.nan, 5.0, 4.1], "lower": [4.6, np.nan, 4.2, 3.8],
                        "upper": [5.2, np.nan, 5.8, 4.4], "suppressed": mask.to_numpy()})
    dots = F.dot_ci_plot(est, title="COM by municipality", desc="Means and 95% CIs.", lang=lang,
                         xlim=(1, 7), reference=4, xlabel="Compellingness (1-7)")
    bars = F.bar_chart(pd.Series([0.42, 0.35, 0.12, 0.51, 0.64], index=strategies), percent=True,
                       title="Strategies", desc="Share using each strategy often.", lang=lang,
                       xmax=1)
    return {
        "title": f"Coproduction survey: {EVIL}",
        "subtitle": "Municipal respondents, 2025",
        "meta": "Sample report built by the test suite",
        "toc": [{"id": "overview", "title": "Overview"}, {"id": "items", "title": "Items"},
                {"id": "model", "title": "Structural model"}, {"id": "groups", "title": "Municipalities"}],
        "provenance": {"coprod": "0.1.0", "municipality filter": EVIL, "min_cell": 5},
        "evil": EVIL, "rows": rows, "likert": likert, "path": path, "heat": heat, "dots": dots,
        "bars": bars,
    }


def render_sample(lang: str = "en") -> str:
    return get_environment().from_string(SAMPLE_PAGE).render(lang=lang, **sample_context(lang))
