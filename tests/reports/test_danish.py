"""The Danish study report has no English words: on the demo data and on a --spec result.

English is detected by a list of common English words that are not Danish (function words and the
report's vocabulary); proper names, statistic symbols and item/construct ids are allowed. The
provenance footer (file names, hashes, package versions, step timings) is machine data and left out.
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from coprod.instrument.bank import load_bank
from coprod.reports.study import render_study_report

CONFORMANCE = Path("/work/shared/conformance")

#: English words that are not also Danish words
ENGLISH = frozenset("""
the and of with not which this that from are was were been has have an on by or if than when where
what who why how each every all some only also items respondents answer answers question questions scale
scales sector sectors supported tested missing listwise reject rejected holds fit loadings loading
estimate estimates straightlining speeding attention failed warning warnings group groups rule level levels
configural metric scalar intercepts equal between within mean means could should would must
can cannot did does more less fewer below above least most good acceptable path paths tests percentile
method excludes includes effect effects none yes reading variable variables share used analysed analyzed
excluded flagged reason reasons both voluntary municipal municipality municipalities service area areas
elderly care other integration strategy strategies often never sometimes always agree disagree neither nor
strongly partly completely know converged converge residuals variance variances improper solution
identified parameters correlation correlations pattern thresholds threshold hierarchical freed partial
structural factor factors exploratory confirmatory reliability validity invariance hypothesis hypotheses
sample source file seed draws versions timings contents skip provenance generated figure table legend
suppressed significant response
""".split())
#: proper names and symbols that look English
ALLOW = frozenset("Hu Bentler Chen Cronbach McDonald Fornell Larcker Schmid Leiman lavaan semTools Welch".split())


class _Visible(HTMLParser):
    """The text a reader sees (and hears: title, aria-label, alt), without style, commands and provenance."""

    def __init__(self):
        super().__init__()
        self.chunks: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        # commands (<code>) are typed as they are; provenance is machine data
        if self._skip or tag in ("style", "script", "code") or "provenance" in (a.get("class") or ""):
            self._skip.append(tag)
            return
        self.chunks += [a[k] for k in ("title", "aria-label", "alt") if a.get(k)]

    def handle_endtag(self, tag):
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data):
        if not self._skip:
            self.chunks.append(data)


def english_words(html: str, allow: frozenset = frozenset()) -> dict[str, str]:
    """Each English word on the page with the text it occurs in."""
    p = _Visible()
    p.feed(html)
    hits: dict[str, str] = {}
    for chunk in p.chunks:
        for w in re.findall(r"[A-Za-zÆØÅæøå']+", chunk):
            if w.lower() in ENGLISH and w not in ALLOW | allow:
                hits.setdefault(w, " ".join(chunk.split())[:160])
    return hits


def test_the_detector_finds_english():
    html = "<p>Hypoteser</p><td>not tested</td><p class='provenance'>the file</p>"
    assert english_words(html) == {"not": "not tested", "tested": "not tested"}
    assert english_words("<p>Strukturel model, ω total, Chen (2007)</p>") == {}


@pytest.fixture(scope="module")
def demo_result():
    from coprod.analysis.default import analyze_instrument
    from coprod.analysis.responses import simulate

    return analyze_instrument(simulate(600, seed=5), bootstrap=20, invariance_by=("sector", "service_area"))


def test_danish_study_report_of_the_demo_data(demo_result):
    html = render_study_report(demo_result, bank=load_bank(), lang="da")
    assert english_words(html) == {}
    assert english_words(render_study_report(demo_result, bank=load_bank(), lang="en"))  # the detector works


@pytest.mark.parametrize("case", ["political_democracy", "likert_ordinal"])
def test_danish_study_report_of_a_spec_result(case, tmp_path):
    from coprod.workflow import analyze_file

    src = CONFORMANCE / case
    if not (src / "spec.json").exists():
        pytest.skip("conformance data missing")
    spec = json.loads((src / "spec.json").read_text())
    spec.update(bootstrap=0, data=str(src / "data.csv"))
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    res = analyze_file(src / "data.csv", spec=tmp_path / "spec.json", out=tmp_path / "an")
    res = getattr(res, "result", res)
    html = render_study_report(res, bank=None, lang="da")
    groups = frozenset(str(g) for g in (res.sections.invariance.groups if res.sections.invariance else ()))
    assert english_words(html, allow=groups) == {}  # the group values are the data's own
