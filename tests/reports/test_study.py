"""The study report: numbers shown equal results.json rounded, escaping, browser, Danish, spec mode."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from coprod.instrument.bank import load_bank
from coprod.reports.study import render_study_report
from coprod.workflow import write_study_report

EVIL = "<script>alert(1)</script>"
CONFORMANCE = Path("/work/shared/conformance/political_democracy")


class _Cells(HTMLParser):
    """Text of every <td>/<th> by class, rows by data-* attribute, and every tag seen."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.by_class: dict[str, list[str]] = {}
        self.rows: dict[str, list[str]] = {}
        self._cell: list[str] | None = None
        self._cls = ""
        self._row: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "tr":
            self._row = a.get("data-scale") or a.get("data-hypothesis")
            if self._row:
                self.rows[self._row] = []
        if tag in ("td", "th"):
            self._cell, self._cls = [], a.get("class") or ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell).strip()
            for c in self._cls.split():
                self.by_class.setdefault(c, []).append(text)
            if self._row:
                self.rows[self._row].append(text)
            self._cell = None
        if tag == "tr":
            self._row = None


def _parse(html: str) -> _Cells:
    p = _Cells()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def result():
    from coprod.analysis.default import analyze_instrument
    from coprod.analysis.responses import simulate

    table = simulate(600, seed=5)
    table["municipality"] = table["municipality"].astype(object)
    table.loc[table.index[:40], "municipality"] = EVIL
    return analyze_instrument(table, bootstrap=50, invariance_by=("sector",))


@pytest.fixture(scope="module")
def html_en(result):
    return render_study_report(result, bank=load_bank(), lang="en")


def test_numbers_match_results_json(result, html_en):
    d = json.loads(json.dumps(result.to_dict()))  # what results.json holds
    p = _parse(html_en)
    cfi = d["cfa"]["fit"]["cfi"]
    assert p.by_class["cfi"][0] == f"{cfi:.3f}"
    assert p.by_class["rmsea"][0] == f"{d['cfa']['fit']['rmsea']:.3f}"
    alpha = d["reliability"]["INS_core"]["alpha"]
    assert p.rows["INS_core"][3] == f"{alpha:.2f}"
    h1 = next(h for h in d["hypotheses"] if h["id"] == "H1")
    want = {"supported": "supported", "not supported": "not supported"}[h1["verdict"]]
    assert p.rows["H1"][-1].endswith(want)
    assert p.rows["H1"][3] == f"{d['sem']['n_used']}"  # the n the path rests on
    assert p.rows["H1"][4].startswith(f"{h1['estimate']:.2f}")


def test_sections_present(html_en):
    for sid in ("sample", "items", "reliability", "factors", "invariance", "sem", "hypotheses",
                "ambivalence", "strategies", "warnings", "methods"):
        assert f'id="{sid}"' in html_en
    assert "means can be compared across sectors" in html_en or "compared across sectors" in html_en
    assert "Hu &amp; Bentler" in html_en


def test_hostile_text_is_escaped(result):
    evil = replace(result, warnings=result.warnings + (f"municipality {EVIL} has few answers",),
                   meta={**result.meta, "input_file": EVIL})
    html = render_study_report(evil, bank=load_bank(), lang="en")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "script" not in _parse(html).tags
    assert "<script>" not in html


def test_danish(result):
    html = render_study_report(result, bank=load_bank(), lang="da")
    for word in ("Stikprøve og udelukkelser", "Hypoteser", "støttet", "Hvad det viser"):
        assert word in html
    assert "What this shows" not in html


def test_browser_render(result, tmp_path):
    from coprod.reports.browser import chromium_available, render_png

    if not chromium_available():
        pytest.skip("chromium not installed")
    page = write_study_report(result, tmp_path / "report.html", bank=load_bank())
    rep = render_png(page, tmp_path / "report.png")
    assert (tmp_path / "report.png").stat().st_size > 0
    assert rep.console_errors == ()
    assert rep.network_requests == ()


@pytest.mark.skipif(not (CONFORMANCE / "spec.json").exists(), reason="conformance data missing")
def test_spec_mode(tmp_path):
    from coprod.workflow import analyze_file

    res = analyze_file(CONFORMANCE / "data.csv", spec=CONFORMANCE / "spec.json", out=tmp_path / "an")
    res = getattr(res, "result", res)
    out = write_study_report(res, tmp_path / "report.html", bank=None, lang="da")
    html = out.read_text(encoding="utf-8")
    assert 'id="sem"' in html and 'id="sample"' in html
    assert 'id="items"' not in html
    assert not list(tmp_path.glob(".report.html.*"))  # no temp file left behind


# ------------------------------------------------------------- detail tables (issue 11, item 2)
class _Tables(HTMLParser):
    """Every table by id: its rows as lists of cell texts (header row included)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id") or f"table-{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None


def _tables(html: str) -> dict[str, list[list[str]]]:
    p = _Tables()
    p.feed(html)
    return p.tables


def _f(x, d=2) -> str:
    """A number as the report prints it in English (the minus sign is U+2212)."""
    s = f"{x:,.{d}f}"
    return s[1:] if s.startswith("-") and not s.strip("-0.,") else s.replace("-", "\u2212")


def test_cfa_loadings_match_results_json(result, html_en):
    d = json.loads(json.dumps(result.to_dict()))
    rows = _tables(html_en)["tab-cfa-loadings"][1:]
    want = [e for e in d["cfa"]["estimates"] if e["op"] == "=~"]
    assert len(rows) == len(want)
    for row, e in zip(rows, want):
        assert row[1] == e["rhs"] and row[0].endswith(f"({e['lhs']})")
        assert row[2] == _f(e["est"]) and row[4] == _f(e["std_all"])
        assert row[3] == (_f(e["se"], 3) if e["se"] is not None else "–")
    assert '<details class="long-table" id="cfa-loadings">' in html_en


def test_efa_pattern_phi_and_communalities(result, html_en):
    sol = json.loads(json.dumps(result.to_dict()))["efa"]["solution"]
    tabs = _tables(html_en)
    header, *rows = tabs["tab-efa-pattern"]
    factors = list(next(iter(sol["loadings"].values())))
    assert header == ["Item", *factors, "h²"]
    for row in rows:
        item = row[0]
        assert row[1:-1] == [_f(sol["loadings"][item][f]) for f in factors]
        assert row[-1] == _f(sol["communalities"][item])
    phi = tabs["tab-efa-phi"]
    assert phi[2][1] == _f(sol["phi"][factors[1]][factors[0]]) and phi[2][3] == ""


def test_hints_omega_and_sem_n(result, html_en):
    d = json.loads(json.dumps(result.to_dict()))
    tabs = _tables(html_en)
    hints = sorted(d["cfa"]["modification_hints"], key=lambda h: -abs(h["residual_cor"]))[:10]
    rows = tabs["tab-cfa-hints"][1:]
    assert [r[0] for r in rows] == [f"{h['lhs']} ↔ {h['rhs']}" for h in hints]
    assert [r[1] for r in rows] == [_f(h["residual_cor"], 3) for h in hints]
    omega = {r[0]: r for r in tabs["tab-omega-h"][1:]}
    for sector, o in d["omega_hierarchical"].items():
        if o:
            row = next(r for k, r in omega.items() if k.lower().startswith(sector[:5]))
            assert row[3:] == [_f(o["omega_h"]), _f(o["omega_total"]), _f(o["alpha"]), _f(o["ecv"])]
    assert tabs["tab-sem-fit"][1][1] == f"{d['sem']['n_used']:,}"
    assert "estimator ML" in html_en


def test_invariance_and_group_paths_state_each_groups_n(result, html_en):
    d = json.loads(json.dumps(result.to_dict()))
    counts = d["invariance"]["meta"]["group_counts"]
    assert sum(counts.values()) == d["cfa"]["n_used"]  # the same listwise rows as the CFA
    captions = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<caption>(.*?)</caption>", html_en, re.S)]
    inv = next(c for c in captions if c.startswith("Measurement invariance by sectors"))
    assert inv == ("Measurement invariance by sectors ("
                   + "; ".join(f"{ {'voluntary': 'Voluntary', 'municipal': 'Municipal'}[g]} sector, n = {n}"
                               for g, n in counts.items()) + ")")
    head = _tables(html_en)["tab-sem-groups"][0]
    by = d["sem_by_sector"]["meta"]["group_counts"]
    assert head[1:] == [f"{s.capitalize()} sector (n = {by[s]}): {x}" for s in by for x in ("β", "p")]


def test_partial_invariance_shown(result):
    from coprod.analysis.run.records import Delta, LevelFit, PartialStep

    inv = result.sections.invariance_by["sector"]
    m = inv.scalar
    step = PartialStep(freed=("COM_C2 ~1", "REP_C1 ~1"), model=replace(m, chisq=401.5, cfi=0.9612),
                       lrt=None, delta=Delta(cfi=-0.0041, rmsea=0.0012, srmr=0.002), holds=True, limit=0.2)
    inv2 = replace(inv, partial={"scalar": step}, decision="partial_scalar")
    res = replace(result, sections=replace(result.sections, invariance_by={"sector": inv2}))
    html = render_study_report(res, bank=load_bank(), lang="en")
    row = next(r for rows in _tables(html).values() for r in rows if "COM_C2 ~1, REP_C1 ~1" in r)
    assert row == ["Scalar (equal intercepts)", "COM_C2 ~1, REP_C1 ~1", "401.50", f"{m.df}", "0.961",
                   _f(m.rmsea, 3), "−0.004", "0.001", "yes"]


@pytest.mark.skipif(not Path("/work/shared/conformance/likert_ordinal/spec.json").exists(),
                    reason="conformance data missing")
def test_ordinal_section(tmp_path):
    from coprod.workflow import analyze_file

    src = Path("/work/shared/conformance/likert_ordinal")
    spec = json.loads((src / "spec.json").read_text())
    spec.update(bootstrap=0, data=str(src / "data.csv"))
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    res = analyze_file(src / "data.csv", spec=tmp_path / "spec.json", out=tmp_path / "an")
    res = getattr(res, "result", res)
    d = json.loads(json.dumps(res.to_dict()))["ordinal"]
    html = render_study_report(res, bank=None, lang="en")
    tabs = _tables(html)
    fit = tabs["tab-wlsmv-fit"][1]
    assert fit[:4] == ["WLSMV", "500", _f(d["wlsmv_cfa"]["fit"]["chisq_scaled"]), "179"]
    assert fit[5] == _f(d["wlsmv_cfa"]["fit"]["cfi_scaled"], 3)
    alpha = {r[0]: r for r in tabs["tab-ordinal-alpha"][1:]}
    assert alpha["insufficiency"][2] == _f(d["ordinal_alpha"]["insufficiency"]["alpha"])
    assert alpha["insufficiency"][3] == _f(d["wlsmv_cfa"]["reliability"]["omega_ordinal_scale"]["insufficiency"])
    th = {r[0]: r for r in tabs["tab-thresholds"][1:]}
    assert th["ins1"] == ["ins1", "4", _f(d["thresholds"]["ins1|t1"]), _f(d["thresholds"]["ins1|t4"])]
    assert "estimated with WLSMV (delta parameterization)" in html
    da = render_study_report(res, bank=None, lang="da")
    assert "Ordinal analyse" in da and "Tærskler" in da


def test_not_tested_says_why_in_both_languages(result):
    from coprod.analysis.run.records import PathHypothesis

    s = result.sections
    npar = s.sem.fit.npar
    sem = replace(s.sem, n_used=npar)
    hyps = tuple(replace(h, verdict="not tested", reason="x") if isinstance(h, PathHypothesis) else h
                 for h in s.hypotheses)
    bad = replace(result, sections=replace(s, sem=sem, sem_by_sector=replace(s.sem_by_sector, converged=False),
                                           hypotheses=hyps))
    en, da = (render_study_report(bad, bank=load_bank(), lang=lang) for lang in ("en", "da"))
    assert _parse(en).rows["H1"][-1].startswith("not tested")
    assert f"the model rests on {npar} respondents, not more than its {npar} parameters" in en
    assert f"modellen bygger på {npar} respondenter, ikke flere end dens {npar} parametre" in da
    assert "Stierne pr. sektor vises ikke: modellen konvergerede ikke" in da
    assert 'id="tab-sem-groups"' not in da


def test_every_reason_has_its_words():
    from coprod.analysis.run.admissibility import REASONS
    from coprod.reports.i18n import CATALOGUE

    for code, en in REASONS.items():
        assert CATALOGUE[f"reason_{code}"]["en"] == en


def test_steps_that_lost_rows_are_in_a_box_at_the_top(result, html_en):
    """Item 1 of issue 11: a step that left out more than 20% of its rows is named with its numbers."""
    d = json.loads(json.dumps(result.to_dict()))
    sem = d["sem"]
    total = sem["n_used"] + sem["n_dropped"]
    box = html_en.index("Some steps rest on far fewer respondents")
    assert box < html_en.index('id="sample"')
    line = f"Structural model: {sem['n_used']:,} of {total:,} respondents used"
    assert (line in html_en) == (1 - sem["n_used"] / total > 0.20)
    full = replace(result, sections=replace(result.sections, sem=replace(result.sections.sem, n_dropped=0)))
    assert "Structural model: " not in render_study_report(full, bank=load_bank(), lang="en").split('id="sample"')[0]
    assert f"(n = {sem['n_used']:,})" in html_en.split('id="sem"')[1]
