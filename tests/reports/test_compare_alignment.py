"""Alignment, analytic minimum and benchmark pages of ``coprod compare`` on hand-built results.

The numbers on the pages are parsed back and compared with results.json; a benchmark page names
no other group and shows none of their figures; aligned figures are withheld when a suppressed
group took part in the alignment.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
from scipy.stats.mstats import hdquantiles

from coprod.analysis.compare import ComparisonResult
from coprod.instrument.bank import load_bank
from coprod.reports.compare import group_slugs
from coprod.reports.env import fmt_num
from coprod.workflow import write_comparison

from .test_compare import table_rows

GROUPS = {"Aarhus": 120, "Odense": 90, "Vejle": 75, "Aalborg": 66, "Næstved": 58, "Kolding": 52,
          "Ærø": 40, "Horsens": 31, "Lille": 3}
ALIGNED = [g for g, n in GROUPS.items() if n >= 50]


def _means(m, n):
    return {"n": n, "mean": m, "sd": 1.0, "lower": m - 0.2, "upper": m + 0.2}


def _result(groups=GROUPS, aligned=ALIGNED):
    gd = {}
    for k, (g, n) in enumerate(groups.items()):
        gd[g] = {"n": n, "means": {"INS": _means(4.0 + 0.1371 * k + 0.011 * k * k, n),
                                                 "COM": _means(3.5 + 0.2113 * k - 0.017 * k * k, n)},
                 "by_sector": {"municipal": n}, "sem": {"error": "fewer than 50 respondents for a structural model"},
                 "analytic": n >= 50}
    factors = {c: {"items": ["a", "b", "c"], "method": "fixed",
                   "mean": {g: round(off + 0.0917 * k + 0.0131 * k * k - 0.25, 6) for k, g in enumerate(aligned)},
                   "variance": {g: 1.0 + 0.01 * k for k, g in enumerate(aligned)},
                   "noninvariant_share": share, "r2_loadings": 0.7, "r2_intercepts": 0.8,
                   "trusted": share < 0.25, "converged": True}
               for c, off, share in (("INS", 0.0, 0.1), ("COM", 0.013, 0.3))}
    total = sum(groups.values())
    return ComparisonResult(
        by="municipality", groups=gd,
        invariance={"decision": "scalar", "min_group": 50, "groups_tested": aligned},
        means_comparable=False, reason="not every group could be tested",
        overall={"n": total, "means": {"INS": _means(4.1, total), "COM": _means(3.7, total)}},
        alignment={"groups": aligned, "min_groups": 5, "trust_share": 0.25, "factors": factors})


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("aligned")
    write_comparison(_result(), out, bank=load_bank(), min_cell=5, lang="en", meta={}, benchmark=True)
    return out, json.loads((out / "results.json").read_text(encoding="utf-8"))


def _page(out, prefix, g):
    slugs = group_slugs(sorted(GROUPS, key=lambda x: (x.casefold(), x)))
    return (out / f"{prefix}-{slugs[g]}.html").read_text(encoding="utf-8")


def test_alignment_in_results_json(written):
    _, res = written
    al = res["alignment"]
    assert al["withheld"] is False and al["groups"] == ALIGNED and al["min_groups"] == 5
    assert al["factors"]["INS"]["trusted"] is True and al["factors"]["COM"]["trusted"] is False
    assert res["groups"]["Ærø"]["analytic"] is False and res["groups"]["Aarhus"]["analytic"] is True
    assert res["groups"]["Lille"] == {"n": None, "suppressed": True}


def test_aligned_numbers_on_the_index_equal_results_json(written):
    out, res = written
    index = (out / "index.html").read_text(encoding="utf-8")
    factors = res["alignment"]["factors"]
    seen = 0
    for r in table_rows(index, "aligned-table")[1:]:
        g = r[0][2]
        for cell in r[1:]:
            v = factors[cell[1]["data-construct"]]["mean"][g]
            assert float(cell[1]["data-aligned-mean"]) == v
            assert cell[2] == fmt_num(v, 2, lang="en") and abs(float(cell[2].replace("−", "-")) - v) <= 0.005
            seen += 1
    assert seen == 2 * len(ALIGNED)
    summary = {r[0][2].split()[0]: [c[2] for c in r[1:]] for r in table_rows(index, "aligned-summary")[1:]}
    assert summary == {"INS": ["10%", "0.800", "trusted"], "COM": ["30%", "0.800", "not trusted"]}
    rule = ("Alignment optimization (Asparouhov &amp; Muthén 2014, FIXED) compares latent means when 5 or more "
            "groups reach the analytic minimum; it is trusted when under 25% of the aligned loadings and "
            "intercepts are approximately non-invariant.")
    assert rule in index
    assert ("Latent means of the 6 groups with at least 50 respondents are compared by alignment optimization "
            "instead (see Latent means by alignment).") in index


def test_group_pages_aligned_or_descriptive_only(written):
    out, res = written
    page = _page(out, "group", "Odense")
    rows = table_rows(page, "aligned-table")[1:]
    assert [(r[0][2].split()[0], float(r[1][1]["data-aligned-mean"]), r[3][2], r[4][2]) for r in rows] == [
        ("INS", res["alignment"]["factors"]["INS"]["mean"]["Odense"], "10%", "trusted"),
        ("COM", res["alignment"]["factors"]["COM"]["mean"]["Odense"], "30%", "not trusted")]
    small = _page(out, "group", "Ærø")
    assert ("This group has fewer than 50 respondents: it is shown with descriptive figures only, and is not part "
            "of the invariance test, the alignment or the structural model.") in small
    assert "This group has fewer than 50 respondents and was not aligned." in small
    assert 'id="aligned-table"' not in small
    # observed means are still there, labelled observed
    row = [r for r in table_rows(small, "means-table") if r[0][2].startswith("INS")][0]
    assert float(row[2][1]["data-mean"]) == res["groups"]["Ærø"]["means"]["INS"]["mean"]


def _numbers(text):
    return {float(x) for x in re.findall(r'data-[a-z0-9-]+="(-?[0-9.]+(?:e-?[0-9]+)?)"', text)}


@pytest.mark.parametrize("g", ["Aarhus", "Ærø", "Kolding"])
def test_benchmark_page_names_and_shows_no_other_group(written, g):
    out, res = written
    page = _page(out, "benchmark", g)
    others = [h for h in GROUPS if h != g]
    assert [h for h in others if h in page] == []
    assert "href=\"group-" not in page and "index.html" not in page
    values = _numbers(page)
    for h in others:
        d = res["groups"][h]
        if d["suppressed"]:
            continue
        for c in ("INS", "COM"):
            assert d["means"][c]["mean"] not in values
            if h in res["alignment"]["factors"][c]["mean"]:
                assert res["alignment"]["factors"][c]["mean"][h] not in values
    assert res["groups"][g]["means"]["INS"]["mean"] in values


def test_benchmark_quartiles_are_harrell_davis_of_the_others(written):
    out, res = written
    page = _page(out, "benchmark", "Vejle")
    shown = [h for h, d in res["groups"].items() if not d["suppressed"] and h != "Vejle"]
    rows = {r[0][2].split()[0]: r for r in table_rows(page, "benchmark-observed")[1:]}
    for c in ("INS", "COM"):
        q = hdquantiles(np.array([res["groups"][h]["means"][c]["mean"] for h in shown]), prob=[0.25, 0.5, 0.75])
        cells = rows[c]
        assert float(cells[2][1]["data-mean"]) == res["groups"]["Vejle"]["means"][c]["mean"]
        assert [float(cells[k][1][a]) for k, a in ((4, "data-q1"), (5, "data-median"), (6, "data-q3"))] == \
            pytest.approx(list(q), abs=1e-12)
    aligned = {r[0][2].split()[0]: r for r in table_rows(page, "benchmark-aligned")[1:]}
    f = res["alignment"]["factors"]["INS"]["mean"]
    q = hdquantiles(np.array([v for h, v in f.items() if h != "Vejle"]), prob=[0.25, 0.5, 0.75])
    assert float(aligned["INS"][3][1]["data-median"]) == pytest.approx(q[1], abs=1e-12)
    assert "Your figures beside the distribution of the other 6 municipalities" in page


def test_no_benchmark_page_for_a_suppressed_group(written):
    out, _ = written
    assert sorted(p.name for p in out.glob("benchmark-*.html")) == sorted(
        f"benchmark-{s}.html" for g, s in group_slugs(sorted(GROUPS, key=lambda x: (x.casefold(), x))).items()
        if g not in ("Lille", "Horsens"))


def test_alignment_withheld_when_a_suppressed_group_was_aligned(tmp_path):
    # Lille (3) is suppressed; secondary suppression then hides Horsens (31) too. Aligning Horsens
    # would place it relative to the groups shown, so nothing aligned is published
    r = _result(GROUPS, aligned=ALIGNED + ["Horsens"])
    write_comparison(r, tmp_path, bank=load_bank(), min_cell=5, lang="da", meta={}, benchmark=True)
    res = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert res["groups"]["Horsens"] == {"n": None, "suppressed": True}
    assert res["alignment"] == {"withheld": True, "min_groups": 5, "trust_share": 0.25}
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert ("De alignede gennemsnit vises ikke: en gruppe, der er skjult af hensyn til anonymiteten, indgik i "
            "alignment.") in index
    assert 'id="aligned-table"' not in index and "data-aligned-mean" not in index
