"""The study report: numbers shown equal results.json rounded, escaping, browser, Danish, spec mode."""
from __future__ import annotations

import json
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
    assert p.rows["H1"][3].startswith(f"{h1['estimate']:.2f}")


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
