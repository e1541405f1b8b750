"""Printable HTML questionnaire: parsed back with html.parser."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from coprod.instrument.exports import export
from coprod.instrument.generator import build_questionnaire

FORMS = [(s, lang) for s in (None, "municipal", "voluntary") for lang in ("en", "da")]


class Reader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows: list[tuple[str, str]] = []
        self.sections: list[str] = []
        self.blocks: list[str] = []
        self.questions: list[str] = []
        self.external: list[str] = []
        self.stack: list[str] = []
        self.text: dict[str, list[str]] = {}
        self.lang = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "tr" and "data-item" in a:
            self.rows.append((a["data-item"], a["data-sector"]))
        if tag == "section" and "data-sector" in a:
            self.sections.append(a["data-sector"])
        if tag == "section" and "data-block" in a:
            self.blocks.append(a["data-block"])
        if tag == "div" and a.get("class") == "question":
            self.questions.append(a["data-var"])
        for k in ("src", "href"):
            if k in a:
                self.external.append(a[k])
        if tag in {"link", "script", "img", "iframe"}:
            self.external.append(tag)
        self.stack.append(tag)

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if self.stack:
            self.text.setdefault(self.stack[-1], []).append(data)


def read(data: bytes) -> Reader:
    r = Reader()
    r.feed(data.decode("utf-8"))
    r.close()
    return r


@pytest.fixture(scope="module")
def pages(bank):
    # the fieldwork copy: its rows carry the item codes the checks below read
    return {(s, lang): export(bank, "html", sector=s, lang=lang, show_codes=True).files[".html"] for s, lang in FORMS}


@pytest.mark.parametrize("sector,lang", FORMS)
def test_items_once_per_sector(pages, bank, sector, lang, expected_fields):
    r = read(pages[(sector, lang)])
    q = build_questionnaire(bank, sector=sector, lang=lang)
    assert len(r.rows) == len(set(r.rows)) and set(r.rows) == expected_fields(q)
    assert r.sections == list(q.sectors)
    assert r.blocks == [b.key for b in q.blocks]
    assert r.questions[0] == "consent"
    assert r.lang == lang


@pytest.mark.parametrize("sector,lang", FORMS)
def test_self_contained_printable_versioned(pages, bank, sector, lang):
    data = pages[(sector, lang)]
    r = read(data)
    assert r.external == [], "no external resources"
    text = data.decode("utf-8")
    assert "@import" not in text and "url(" not in text
    assert "@media print" in text and "break-before: page" in text and 'class="box"' in text
    footer = " ".join(r.text.get("footer", []))
    assert bank.version in footer
    if lang == "da":
        assert all(ch in text for ch in "æøå")


def test_combined_form_routing_instructions(pages, bank):
    r = read(pages[(None, "en")])
    route = " ".join(r.text.get("p", []))
    sector_q = next(c for c in bank.context if c.id == "sector")
    for c in sector_q.choices:
        assert f"Answer this section only if you answered “{c.label['en']}”" in route
    assert "sector" in r.questions
    assert "Manager (Municipal sector)" in pages[(None, "en")].decode()


def test_sector_form_has_no_sector_question(pages, bank):
    r = read(pages[("municipal", "da")])
    assert "sector" not in r.questions
    assert "Dette spørgeskema er til: " + bank.sector_label["municipal"]["da"] in pages[("municipal", "da")].decode()


def test_text_is_escaped(mini_copy):
    import yaml
    from coprod.instrument.bank import load_bank

    items = yaml.safe_load((mini_copy / "items.yaml").read_text(encoding="utf-8"))
    items[0]["text"]["en"] = "Rules <b>&</b> {partner}"
    (mini_copy / "items.yaml").write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    html = export(load_bank(mini_copy), "html").files[".html"].decode()
    assert "Rules &lt;b&gt;&amp;&lt;/b&gt; the volunteers" in html


@pytest.mark.parametrize("sector,lang", FORMS)
def test_respondents_copy_hides_the_codes(bank, pages, sector, lang):
    """Codes name the constructs and the attention check: the default copy has none (issue 11, item 8)."""
    html = export(bank, "html", sector=sector, lang=lang).files[".html"].decode()
    fieldwork = pages[(sector, lang)].decode()
    q = build_questionnaire(bank, sector=sector, lang=lang)
    codes = {r.id for b in q.blocks for m in b.matrices for r in m.rows}
    assert codes and not [c for c in codes if c in html]
    assert 'class="var"' not in html and 'class="var"' in fieldwork
    assert all(c in fieldwork for c in codes)
    assert html.count('class="box"') == fieldwork.count('class="box"')  # the same questions and boxes
