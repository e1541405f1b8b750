"""The comparative reports of ``coprod compare`` (reports/compare.py).

One simulated study (800 respondents) is compared by municipality once per module, with a
3-respondent municipality, a hostile municipality name and ``Høje-Taastrup``. The SEM and the
invariance test are switched off there (``min_analytic`` huge) to keep the module fast; the
comparable case and the structural paths are checked on a hand-built ``ComparisonResult``.
"""
from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from coprod.analysis.compare import ComparisonResult
from coprod.analysis.responses import simulate
from coprod.instrument.bank import load_bank
from coprod.reports import compare as rc
from coprod.reports.compare import group_slugs, slugify
from coprod.workflow import compare_file, write_comparison
from coprod.reports.suppression import suppress_small_cells

EVIL = "<script>alert(1)</script>"
TINY = "Tinyby"


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def study(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("compare")
    df = simulate(800, seed=3)
    counts = df["municipality"].value_counts()
    # a 3-respondent municipality, taken from the largest one
    big = counts.index[0]
    idx = df.index[df["municipality"] == big][:3]
    df.loc[idx, "municipality"] = TINY
    # a hostile name on a mid-sized municipality (stays shown)
    df.loc[df["municipality"] == counts.index[6], "municipality"] = EVIL
    csv = tmp / "responses.csv"
    df.to_csv(csv, index=False)
    out = tmp / "out"
    run = compare_file(csv, by="municipality", out=out, min_cell=5, keep_flagged=True, min_analytic=10**9)
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    true_counts = df["municipality"].value_counts()
    return {"df": df, "out": out, "run": run, "results": results, "counts": true_counts}


def _html(path):
    return path.read_text(encoding="utf-8")


def _page_of(out, label):
    labels = sorted(json.loads(_html(out / "results.json"))["groups"], key=lambda g: (g.casefold(), g))
    return out / f"group-{group_slugs(labels)[label]}.html"


class _Rows(HTMLParser):
    """Table rows of one table (by id): list of [(tag, attrs, text)] per row."""

    def __init__(self, table_id):
        super().__init__()
        self.table_id, self.depth, self.rows, self.cell = table_id, 0, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == self.table_id:
            self.depth = 1
        elif self.depth:
            if tag == "tr":
                self.rows.append([])
            elif tag in ("td", "th") and self.rows:
                self.cell = [tag, a, ""]

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth = 0
        elif self.depth and tag in ("td", "th") and self.cell:
            self.rows[-1].append(tuple(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[2] += data


def table_rows(html, table_id):
    p = _Rows(table_id)
    p.feed(html)
    return [r for r in p.rows if r]


# ----------------------------------------------------------------------------- basics
def test_slugs():
    assert slugify("Høje-Taastrup") == "hoeje-taastrup"
    assert slugify("Ærø") == "aeroe"
    assert slugify(EVIL) == "script-alert-1-script"
    assert slugify("???") == "group"
    assert group_slugs(["A b", "a-b", "A  B"]) == {"A b": "a-b", "a-b": "a-b-2", "A  B": "a-b-3"}


def test_results_json_has_every_group(study):
    res, counts = study["results"], study["counts"]
    assert set(res["groups"]) == set(counts.index)
    mask = suppress_small_cells(counts.reindex(list(res["groups"])), 5)
    for g, d in res["groups"].items():
        assert set(d) >= {"n", "suppressed"}
        assert d["suppressed"] is bool(mask[g])
        if d["suppressed"]:
            assert d == {"n": None, "suppressed": True}
        else:
            assert d["n"] == counts[g]
    # every file listed, the set complete
    names = {p.name for p in study["run"].files}
    assert {"index.html", "results.json"} <= names
    assert len([n for n in names if n.startswith("group-")]) == len(counts)
    assert (study["out"] / "group-hoeje-taastrup.html").exists()


def test_no_respondent_rows(study):
    for p in study["run"].files:
        assert "respondent_id" not in _html(p)
    index = _html(study["out"] / "index.html")
    # one row per group plus the total, nothing per respondent
    assert len(table_rows(index, "groups-table")) == 1 + len(study["counts"]) + 1


# ----------------------------------------------------------------------------- privacy
def test_tiny_group_suppressed_everywhere(study):
    out, res = study["out"], study["results"]
    assert res["groups"][TINY] == {"n": None, "suppressed": True}
    page = _html(_page_of(out, TINY))
    assert "<svg" not in page and "data-n" not in page and "means-table" not in page
    assert "figures are not shown" in page
    index = _html(out / "index.html")
    row = [r for r in table_rows(index, "groups-table") if r[0][2] == TINY][0]
    assert row[1][1].get("class") == "suppressed" and "data-n" not in row[1][1]
    # heatmap cells of the group say "suppressed" and carry no value
    titles = re.findall(r"<title>([^<]*)</title>", index)
    tiny_titles = [x for x in titles if x.startswith(f"{TINY}, ")]
    assert tiny_titles and all(x.endswith(": suppressed") for x in tiny_titles)
    assert "cell-suppressed" in index


def test_secondary_suppression_hides_a_second_group(study):
    out, res, counts = study["out"], study["results"], study["counts"]
    hidden = [g for g, d in res["groups"].items() if d["suppressed"]]
    assert TINY in hidden and len(hidden) >= 2
    second = [g for g in hidden if g != TINY][0]
    n2 = int(counts[second])
    index = _html(out / "index.html")
    row = [r for r in table_rows(index, "groups-table") if r[0][2] == second][0]
    assert "suppressed" in row[1][2] and str(n2) not in row[1][2]
    titles = [x for x in re.findall(r"<title>([^<]*)</title>", index) if x.startswith(f"{second}, ")]
    assert titles and all(x.endswith(": suppressed") for x in titles)
    # shown n add up to the total minus at least min_cell: the hidden ones cannot be recovered
    shown = sum(d["n"] for d in res["groups"].values() if not d["suppressed"])
    assert res["overall"]["n"] - shown >= 5
    page = _html(_page_of(out, second))
    assert "<svg" not in page and f"{n2}" not in re.sub(r"<style>.*?</style>", "", page, flags=re.S)


def test_hostile_name_only_escaped(study):
    out = study["out"]
    for p in study["run"].files:
        assert EVIL not in _html(p) or p.suffix == ".json"
    index = _html(out / "index.html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert (out / "group-script-alert-1-script.html").exists()
    assert "&lt;script&gt;" in _html(out / "group-script-alert-1-script.html")


# ----------------------------------------------------------------------------- invariance
def test_not_comparable_pages_say_so(study):
    out, res = study["out"], study["results"]
    assert res["means_comparable"] is False
    index = _html(out / "index.html")
    assert "Means are not compared between groups" in index
    assert "dotci" not in index and 'id="effects-table"' not in index
    # observed means with CIs are shown for every group shown, labelled as observed
    assert 'id="means-table"' in index and "<caption>Observed scale means (Mean, 95% CI)</caption>" in index
    shown = [g for g, d in res["groups"].items() if not d["suppressed"]][0]
    page = _html(_page_of(out, shown))
    assert "Means are not compared between groups" in page
    assert 'id="ci-plot"' not in page and "dotci" not in page and 'id="means-table"' in page
    assert "<caption>Observed scale means</caption>" in page
    # the strategy profile is labelled descriptive
    if 'id="strategy-profile"' in page:
        assert "Descriptive profile of this group only" in page
    # results.json: observed means with CIs, no effect sizes; every group here is under the minimum
    for d in res["groups"].values():
        if not d["suppressed"]:
            assert set(d["means"]["COM"]) == {"n", "mean", "sd", "lower", "upper"} and "effect_vs_rest" not in d
            assert d["analytic"] is False
    assert "alignment" not in res
    note = ("This group has fewer than 1000000000 respondents: it is shown with descriptive figures only, and is "
            "not part of the invariance test, the alignment or the structural model.")
    assert note in page


def _means(m, n):
    return {"n": n, "mean": m, "sd": 1.0, "lower": m - 0.2, "upper": m + 0.2}


def _result(comparable=True, groups=None):
    groups = groups or {"Aarhus": 120, "Odense": 90, "Ærø": 40, "Lille": 3}
    gd = {}
    for k, (g, n) in enumerate(groups.items()):
        means = {"INS": _means(4.0 + 0.137 * k, n), "COM": _means(3.5 + 0.211 * k, n),
                 "DEM": _means(2.1 + 0.1 * k, n)}
        d = {"n": n, "means": means, "by_sector": {"municipal": n - 2, "voluntary": 2} if n > 10 else {"municipal": n}}
        if comparable:
            d["effect_vs_rest"] = {"INS": 0.123 * (k - 1), "COM": -0.05 * k, "DEM": 0.01}
        d["sem"] = ({"n": n, "converged": True, "paths": {"COM ~ INS": {"est": 0.4, "std_all": 0.35, "pvalue": 0.001},
                                                          "AMB ~ COM": {"est": 0.3, "std_all": 0.28, "pvalue": 0.2}},
                     "fit": {"cfi": 0.95, "rmsea": 0.04, "srmr": 0.05}, "warnings": []} if n >= 50 else {"error": "fewer than 50 complete responses"})
        gd[g] = d
    total = sum(groups.values())
    return ComparisonResult(by="municipality", groups=gd,
                            invariance={"decision": "scalar" if comparable else "metric", "min_group": 50,
                                        "groups_tested": list(groups)},
                            means_comparable=comparable,
                            reason="scalar invariance holds" if comparable else "scalar invariance fails",
                            overall={"n": total, "means": {"INS": _means(4.1, total), "COM": _means(3.7, total),
                                                           "DEM": _means(2.2, total)}})


def test_failed_invariance_from_result(tmp_path):
    write_comparison(_result(comparable=False), tmp_path, bank=load_bank(), min_cell=5, lang="en", meta={})
    index = _html(tmp_path / "index.html")
    assert "Means are not compared between groups" in index and "(highest level: metric)" not in index
    assert "equivalent only up to the level: metric" in index
    assert "dotci" not in index and 'id="effects-table"' not in index
    page = _html(tmp_path / "group-aarhus.html")
    assert "Means are not compared between groups" in page and "dotci" not in page
    res = json.loads(_html(tmp_path / "results.json"))
    # the observed mean and CI are published and printed, labelled observed
    assert res["groups"]["Aarhus"]["means"]["INS"] == {"n": 120, "mean": 4.0, "sd": 1.0, "lower": 3.8, "upper": 4.2}
    row = [r for r in table_rows(page, "means-table") if r[0][2].startswith("INS")][0]
    assert [c[2] for c in row[1:]] == ["120", "4.00", "[3.80, 4.20]"]
    assert "effect_vs_rest" not in res["groups"]["Aarhus"]


def test_numbers_in_html_equal_results_json(tmp_path):
    write_comparison(_result(), tmp_path, bank=load_bank(), min_cell=5, lang="en", meta={})
    res = json.loads(_html(tmp_path / "results.json"))
    assert res["means_comparable"] is True
    index = _html(tmp_path / "index.html")
    # group sizes
    for r in table_rows(index, "groups-table"):
        label, cell = r[0][2], r[1]
        if label in res["groups"]:
            d = res["groups"][label]
            if d["suppressed"]:
                assert cell[1].get("class") == "suppressed"
            else:
                assert int(cell[1]["data-n"]) == d["n"] and cell[2].replace(",", "") == str(d["n"])
    # means: attribute and printed value both match results.json
    rows = table_rows(index, "means-table")
    header = ["group", "INS", "COM", "DEM"]
    seen = 0
    for r in rows[1:]:
        label = r[0][2]
        d = res["groups"][label]
        for cname, cell in zip(header[1:], r[1:]):
            if d["suppressed"]:
                assert cell[1].get("class") == "suppressed"
                continue
            m = d["means"][cname]
            assert float(cell[1]["data-mean"]) == pytest.approx(m["mean"])
            assert cell[2].startswith(f"{m['mean']:.2f}")
            assert f"[{m['lower']:.2f}, {m['upper']:.2f}]" in cell[2]
            seen += 1
    assert seen == 6  # 2 shown groups (Aarhus, Odense) x 3 constructs
    # effects
    for r in table_rows(index, "effects-table")[1:]:
        d = res["groups"][r[0][2]]
        if not d["suppressed"]:
            assert r[1][2] == f"{d['effect_vs_rest']['INS']:.2f}".replace("-", "\u2212")
    # a group page
    page = _html(tmp_path / "group-odense.html")
    d = res["groups"]["Odense"]
    for r in table_rows(page, "means-table")[1:]:
        cid = r[0][2].split()[0]
        assert float(r[2][1]["data-mean"]) == pytest.approx(d["means"][cid]["mean"])
        assert r[2][2] == f"{d['means'][cid]['mean']:.2f}"
    assert 'id="ci-plot"' in page and "dotci" in page
    assert "COM → AMB" in page and "AMB → COM" not in page  # paths "AMB ~ COM" drawn source -> target
    assert "CFI 0.950" in page


def test_secondary_suppression_hides_means(tmp_path):
    write_comparison(_result(), tmp_path, bank=load_bank(), min_cell=5, lang="en", meta={})
    res = json.loads(_html(tmp_path / "results.json"))
    # Lille (3) primary; Ærø (40) secondary, as suppress_small_cells says
    assert res["groups"]["Lille"]["suppressed"] and res["groups"]["Ærø"]["suppressed"]
    index = _html(tmp_path / "index.html")
    k = 2  # Ærø's position: its means would print as these
    for v in (4.0 + 0.137 * k, 3.5 + 0.211 * k):
        assert f"{v:.2f}" not in index
    assert ">40<" not in index
    page = _html(tmp_path / "group-aeroe.html")
    assert "<svg" not in page and "4.27" not in page and "data-n" not in page


def test_danish(tmp_path):
    write_comparison(_result(), tmp_path, bank=load_bank(), min_cell=5, lang="da", meta={})
    index = _html(tmp_path / "index.html")
    assert '<html lang="da">' in index and "Sammenligning efter kommune" in index
    assert "skjult" in index and "Gennemsnit kan sammenlignes" in index


def test_atomic_nothing_half_written(tmp_path, monkeypatch):
    write_comparison(_result(), tmp_path, bank=load_bank(), min_cell=5, lang="en", meta={})
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    calls = {"n": 0}
    real = rc.render

    def flaky(name, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("boom")
        return real(name, **kw)

    monkeypatch.setattr(rc, "render", flaky)
    with pytest.raises(RuntimeError):
        write_comparison(_result(comparable=False), tmp_path, bank=load_bank(), min_cell=5, lang="en", meta={})
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before  # no temp files, nothing replaced


def test_cli_defaults():
    from coprod.cli import build_parser

    args = build_parser().parse_args(["compare", "x.csv", "--by", "municipality", "--out", "o"])
    assert args.min_cell == 5 and args.lang == "en"


# ----------------------------------------------------------------------------- browser
@pytest.mark.skipif(not __import__("coprod.reports.browser").reports.browser.chromium_available(),
                    reason="Chromium is not installed; report rendering not checked")
def test_pages_render_clean(study, tmp_path):
    from coprod.reports.browser import render_png

    out = study["out"]
    shown = [g for g, d in study["results"]["groups"].items() if not d["suppressed"]][0]
    for page in (out / "index.html", _page_of(out, shown)):
        rep = render_png(page, tmp_path / f"{page.stem}.png")
        assert rep.console_errors == ()
        assert rep.network_requests == ()
        assert rep.page_size[1] > 300


def test_cell_suppression_counts_valid_answers(tmp_path):
    # Lille (3) and Ærø (40) are hidden as groups; in COM, Ærø has only 1 valid answer, so the
    # hidden COM answers (3 + 1) could be recovered from the total: a further group is hidden there
    r = _result()
    aero = r.groups["Ærø"]
    r.groups["Ærø"] = replace(aero, means={**aero.means, "COM": replace(aero.means["COM"], n=1)})
    from coprod.reports.compare import published_results

    res = published_results(r, bank=load_bank(), min_cell=5)
    assert res["groups"]["Odense"]["means"]["COM"] == {"suppressed": True}
    assert "mean" in res["groups"]["Odense"]["means"]["INS"]
    assert "mean" in res["groups"]["Aarhus"]["means"]["COM"]


def test_group_pages_name_sectors_by_their_labels(tmp_path):
    """Labels, not codes (issue 11, item 6): the respondents-by-sector table names a sector by the
    bank's label in the page's language, never by its code."""
    bank = load_bank()
    for lang in ("en", "da"):
        write_comparison(_result(), tmp_path / lang, bank=bank, min_cell=5, lang=lang, meta={})
        page = _html(tmp_path / lang / "group-aarhus.html")
        assert f'<th scope="row">{bank.sector_label["municipal"][lang]}</th>' in page
        assert '<th scope="row">municipal</th>' not in page and '<th scope="row">voluntary</th>' not in page
