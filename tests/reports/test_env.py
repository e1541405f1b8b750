import math

import jinja2
import lxml.html
import numpy as np
import pandas as pd
import pytest
from report_sample import EVIL, render_sample

from coprod.reports.browser import external_references
from coprod.reports.env import (ReportError, fmt_ci, fmt_count, fmt_num, fmt_pct, fmt_pval, get_environment, render,
                         signif_stars)
from coprod.reports.i18n import CATALOGUE, LANGS, TranslationError, missing_translations, t
from coprod.reports.suppression import SUPPRESSED

NBSP = "\u00a0"


def from_string(src, lang="en", **ctx):
    return get_environment().from_string(src).render(lang=lang, **ctx)


# ------------------------------------------------------------------ filters as functions
@pytest.mark.parametrize("x, digits, lang, expected", [
    (0.12345, 2, "en", "0.12"),
    (0.12345, 2, "da", "0,12"),
    (0.125, 2, "en", "0.12"),            # round-half-even of the binary value, as Python does
    (1234.5, 1, "en", "1,234.5"),
    (1234.5, 1, "da", "1.234,5"),
    (-0.5, 2, "en", "\u22120.50"),       # true minus sign
    (-0.001, 2, "en", "0.00"),           # no negative zero
    (3, 0, "en", "3"),
    (np.float64(2.0), 3, "en", "2.000"),
    (np.int64(12345), 0, "da", "12.345"),
    (math.inf, 2, "en", "\u221e"),
])
def test_num(x, digits, lang, expected):
    assert fmt_num(x, digits, lang=lang) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT])
def test_missing_values_print_as_dash(missing):
    assert fmt_num(missing) == "\u2013"
    assert fmt_pval(missing) == "\u2013"
    assert fmt_pct(missing) == "\u2013"
    assert signif_stars(missing) == ""


def test_suppressed_value_prints_as_word_not_dash():
    assert fmt_num(SUPPRESSED) == "suppressed"
    assert fmt_num(SUPPRESSED, lang="da") == "skjult"


def test_non_numbers_are_refused():
    with pytest.raises(ReportError, match="expects a number"):
        fmt_num("0.5")
    with pytest.raises(ReportError, match="expects a number"):
        fmt_num(True)


@pytest.mark.parametrize("p, lang, expected", [
    (0.0004, "en", "< .001"), (0.0004, "da", "< 0,001"), (0.0234, "en", ".023"),
    (0.0234, "da", "0,023"), (0.05, "en", ".050"), (0.9999, "en", "> .999"), (0.001, "en", ".001"),
])
def test_pval(p, lang, expected):
    assert fmt_pval(p, lang=lang) == expected


def test_pval_out_of_range():
    with pytest.raises(ReportError, match=r"\[0, 1\]"):
        fmt_pval(1.2)


def test_pct_ci_stars_count():
    assert fmt_pct(0.123) == "12%"
    assert fmt_pct(0.123, lang="da") == f"12{NBSP}%"
    assert fmt_pct(0.1234, 1) == "12.3%"
    assert fmt_ci(0.7123, 0.8391) == "[0.71, 0.84]"
    assert fmt_ci(0.7123, 0.8391, lang="da") == "[0,71; 0,84]"
    assert fmt_ci((0.7123, 0.8391), digits=1) == "[0.7, 0.8]"
    assert fmt_ci(None, None) == "\u2013"
    assert [signif_stars(p) for p in (0.2, 0.05, 0.049, 0.009, 0.0009)] == ["", "", "*", "**", "***"]
    assert fmt_count(12345) == "12,345"


# ------------------------------------------------------------------ filters in templates
def test_filters_follow_template_language():
    src = "{{ x|num }} {{ p|pval }} {{ s|pct }} {{ lo|ci(hi) }} {{ p|stars }} {{ n|count }}"
    ctx = dict(x=0.12345, p=0.0004, s=0.5, lo=0.71, hi=0.84, n=1500)
    # "<" is HTML-escaped like any other output
    assert from_string(src, **ctx) == "0.12 &lt; .001 50% [0.71, 0.84] *** 1,500"
    assert from_string(src, "da", **ctx) == f"0,12 &lt; 0,001 50{NBSP}% [0,71; 0,84] *** 1.500"
    assert from_string("{{ x|num(3, lang='da') }}", x=0.12345) == "0,123"


def test_filter_without_lang_fails_loudly():
    with pytest.raises(ReportError, match="lang"):
        get_environment().from_string("{{ 1|num }}").render()


def test_render_unknown_language():
    with pytest.raises(ReportError, match="unknown report language 'fr'"):
        render("base.html.j2", lang="fr", title="x")


def test_strict_undefined():
    with pytest.raises(jinja2.UndefinedError):
        render("base.html.j2", lang="en")  # no title
    with pytest.raises(jinja2.UndefinedError):
        from_string("{{ nothing }}")


def test_one_environment():
    assert get_environment() is get_environment()
    env = get_environment()
    assert env.autoescape("base.html.j2") and env.autoescape("x.svg.j2")
    assert isinstance(env.loader, jinja2.PackageLoader)


# ------------------------------------------------------------------ i18n
def test_catalogue_complete():
    assert missing_translations() == []
    assert set(LANGS) == {"en", "da"}
    for key, texts in CATALOGUE.items():
        assert set(texts) == set(LANGS), key


def test_t():
    assert t("contents", "da") == "Indhold"
    assert "5" in t("suppressed_note", "en", min_cell=5)
    with pytest.raises(TranslationError, match="no UI string"):
        t("nope", "en")
    with pytest.raises(TranslationError, match="unknown report language"):
        t("contents", "de")
    assert from_string("{{ t('contents') }}", "da") == "Indhold"


# ------------------------------------------------------------------ escaping and page structure
def test_escaping_in_text_and_attributes():
    html = render("base.html.j2", lang="en", title=EVIL,
                  toc=[{"id": 'x" onmouseover="alert(1)', "title": EVIL}],
                  provenance={EVIL: EVIL})
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    doc = lxml.html.fromstring(html)
    assert doc.xpath("//script") == []
    assert doc.xpath("//h1")[0].text_content() == EVIL
    link = doc.xpath("//nav//a")[0]
    assert link.get("href") == '#x" onmouseover="alert(1)'  # stayed inside the attribute
    assert link.get("onmouseover") is None


@pytest.fixture(scope="module")
def page():
    html = render_sample("en")
    return html, lxml.html.fromstring(html)


def test_page_shell(page):
    html, doc = page
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert doc.get("lang") == "en"
    style = doc.xpath("//head/style")[0].text
    assert "@media print" in style and "break-before: page" in style
    assert doc.xpath("//link") == [] and doc.xpath("//script") == []
    assert external_references(html) == []
    skip = doc.xpath("//body//a[@class='skip-link']")[0]
    assert skip.get("href") == "#main" and doc.xpath("//main[@id='main']")
    assert [a.get("href") for a in doc.xpath("//nav[@class='toc']//a")] == \
        ["#overview", "#items", "#model", "#groups"]
    for sec in ("overview", "items", "model", "groups"):
        assert doc.xpath(f"//main/section[@id='{sec}']/h2[@id='{sec}-h']")
    assert "Provenance" in doc.xpath("//footer")[0].text_content()


def test_page_escapes_evil_name_everywhere(page):
    html, doc = page
    assert "<script>" not in html
    assert EVIL in doc.xpath("//h1")[0].text_content()
    assert EVIL in doc.xpath("//table//tbody/tr[1]/th")[0].text_content()
    svg_texts = [el.text for el in doc.xpath("//*[local-name()='svg']//*[local-name()='text']")]
    assert EVIL in svg_texts                       # heatmap and dot plot row labels
    titles = [el.text for el in doc.xpath("//*[local-name()='svg']/*[local-name()='title']")]
    assert any(EVIL in (x or "") for x in titles)  # figure title (text alternative)


def test_table_accessibility_and_formatting(page):
    _, doc = page
    table = doc.xpath("//table")[0]
    assert table.xpath("caption")[0].text_content() == "Construct means by municipality"
    assert {th.get("scope") for th in table.xpath("thead//th")} == {"col"}
    assert {th.get("scope") for th in table.xpath("tbody//th")} == {"row"}
    first = [c.text_content() for c in table.xpath("tbody/tr[1]/*")]
    assert first == [EVIL, "48", "4.21", "4.90", "< .001"]
    second = [c.text_content() for c in table.xpath("tbody/tr[2]/*")]
    assert second == ["Aarhus", "62", "5.10", "\u2013", ".023"]
    # Odense (3) suppressed and Lille Vildmose (40) suppressed secondarily; n hidden too
    for row in (3, 4):
        cells = table.xpath(f"tbody/tr[{row}]/td")
        assert [c.get("class") for c in cells] == ["suppressed"] * 4
        assert {c.text_content() for c in cells} == {"suppressed"}
    assert table.xpath("tbody/tr[2]/td[3]")[0].get("class") == "na"  # no data looks different


def test_figures_have_text_alternatives(page):
    _, doc = page
    figures = doc.xpath("//figure")
    assert len(figures) == 5
    for fig in figures:
        assert fig.xpath("figcaption")[0].text_content().strip()
        svg = fig.xpath(".//*[local-name()='svg']")[0]
        assert svg.get("role") == "img"
        title_id, desc_id = svg.get("aria-labelledby").split()
        assert svg.xpath(f"*[local-name()='title'][@id='{title_id}']")
        assert svg.xpath(f"*[local-name()='desc'][@id='{desc_id}']")


def test_danish_page():
    doc = lxml.html.fromstring(render_sample("da"))
    assert doc.get("lang") == "da"
    assert doc.xpath("//nav//h2")[0].text_content() == "Indhold"
    assert doc.xpath("//a[@class='skip-link']")[0].text_content() == "Spring til indhold"
    row = [c.text_content() for c in doc.xpath("//table/tbody/tr[1]/*")]
    assert row[2:] == ["4,21", "4,90", "< 0,001"]
    assert "skjult" in {c.text_content() for c in doc.xpath("//td[@class='suppressed']")}


def test_macros_cell_and_warning():
    src = ('{% import "_macros.html.j2" as m with context %}'
           '{{ m.cell(v, 1) }}|{{ m.cell(none) }}|{{ m.cell(s) }}|{{ m.cell(0.04, "pval") }}|'
           '{{ m.cell(0.5, "pct") }}|{{ m.cell(e) }}|{{ m.warning(e) }}')
    out = from_string(src, v=2.345, s=SUPPRESSED, e=EVIL)
    cells = out.split("|")
    assert cells[0] == '<td class="num">2.3</td>'
    assert cells[1] == '<td class="na">\u2013</td>'
    assert cells[2].startswith('<td class="suppressed" title="Suppressed to protect')
    assert cells[3] == '<td class="num">.040</td>'
    assert cells[4] == '<td class="num">50%</td>'
    assert cells[5] == "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"
    assert "<strong>Warning</strong>" in cells[6] and "&lt;script&gt;" in cells[6]


@pytest.mark.parametrize("module", ["coprod.reports.env", "coprod.reports.i18n", "coprod.reports.suppression", "coprod.reports.browser"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
