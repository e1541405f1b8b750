"""REDCap data dictionary: exact header, REDCap's rules (names, forms, matrices, branching),
read-back of every item per sector."""
from __future__ import annotations

import csv
import io
import re

import pytest

from coprod.instrument import naming
from coprod.instrument.exports import export
from coprod.instrument.platforms.codebook import build_codebook
from coprod.instrument.generator import build_questionnaire
from coprod.instrument.model import SECTOR_TAG

FORMS = [(s, lang) for s in (None, "municipal", "voluntary") for lang in ("en", "da")]
HEADER = ('Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"Choices, '
          'Calculations, OR Slider Labels",Field Note,Text Validation Type OR Show Slider Number,'
          'Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field only '
          'if...),Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group '
          'Name,Matrix Ranking?,Field Annotation')


def parse(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def choices(cell: str) -> dict[str, str]:
    out = {}
    for part in cell.split(" | "):
        code, _, label = part.partition(", ")
        assert re.fullmatch(r"[a-z0-9_]+", code) and label, part
        out[code] = label
    return out


def check_rules(rows: list[dict[str, str]]) -> dict[str, dict]:
    assert rows[0]["Variable / Field Name"] == "record_id" and rows[0]["Field Type"] == "text"
    names = [r["Variable / Field Name"] for r in rows]
    assert len(names) == len(set(names))
    for n in names:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", n) and len(n) <= 26, n
    forms = [r["Form Name"] for r in rows]
    seen: list[str] = []
    for f in forms:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", f)
        if not seen or seen[-1] != f:
            assert f not in seen, "rows of a form are contiguous"
            seen.append(f)
    fields = {r["Variable / Field Name"]: r for r in rows}
    for r in rows:
        assert r["Field Type"] in {"text", "radio", "descriptive"}
        assert r["Required Field?"] in {"", "y"}
        if r["Field Type"] == "radio":
            choices(r["Choices, Calculations, OR Slider Labels"])
        if r["Text Validation Type OR Show Slider Number"] == "integer":
            assert r["Text Validation Min"].isdigit() and r["Text Validation Max"].isdigit()
        # branching refers to existing fields and to codes among their choices
        for field, code in re.findall(r"\[(\w+)\] = '([^']*)'", r["Branching Logic (Show field only if...)"]):
            assert field in fields, field
            assert code in choices(fields[field]["Choices, Calculations, OR Slider Labels"])
            assert names.index(field) < names.index(r["Variable / Field Name"])
    # matrix groups: contiguous, radio, identical choices, section header on the first row only
    groups: dict[str, list[dict]] = {}
    previous = None
    for r in rows:
        g = r["Matrix Group Name"]
        if g:
            assert re.fullmatch(r"[a-z0-9_]+", g)
            if g != previous:
                assert g not in groups, f"matrix group {g} is split"
            groups.setdefault(g, []).append(r)
        previous = g
    for g, members in groups.items():
        assert {m["Field Type"] for m in members} == {"radio"}
        assert len({m["Choices, Calculations, OR Slider Labels"] for m in members}) == 1
        assert members[0]["Section Header"] and not any(m["Section Header"] for m in members[1:])
        assert "99" in choices(members[0]["Choices, Calculations, OR Slider Labels"])
        assert len({m["Branching Logic (Show field only if...)"] for m in members}) == 1
        assert all(m["Required Field?"] == "y" for m in members)
    return groups


@pytest.fixture(scope="module")
def files(bank):
    return {(s, lang): export(bank, "redcap", sector=s, lang=lang) for s, lang in FORMS}


@pytest.mark.parametrize("sector,lang", FORMS)
def test_header_exact(files, sector, lang):
    data = files[(sector, lang)].files[".csv"]
    assert data.split(b"\r\n", 1)[0] == HEADER.encode("ascii")
    assert not data.startswith(b"\xef\xbb\xbf")
    assert len(parse(data)[0]) == 18


@pytest.mark.parametrize("sector,lang", FORMS)
def test_rules_and_items(files, bank, sector, lang, expected_fields):
    rows = parse(files[(sector, lang)].files[".csv"])
    groups = check_rules(rows)
    q = build_questionnaire(bank, sector=sector, lang=lang)
    assert set(groups) == {naming.redcap_matrix(b.construct.id, b.sector) for b in q.blocks}
    rated = sorted(r["Variable / Field Name"] for r in rows if r["Matrix Group Name"])
    assert rated == sorted(f"{i.lower()}_{SECTOR_TAG[s]}" for i, s in expected_fields(q))
    # labels in the form's language, partner noun substituted for the row's sector
    texts = {r["Variable / Field Name"]: r["Field Label"] for r in rows}
    for b in q.blocks:
        for r in b.rows:
            assert texts[naming.redcap_item(r.id, b.sector)] == r.text[lang]


def test_branching(files, bank):
    rows = parse(files[(None, "en")].files[".csv"])
    f = {r["Variable / Field Name"]: r for r in rows}
    b = "Branching Logic (Show field only if...)"
    assert f["consent"][b] == "" and f["consent"]["Required Field?"] == "y"
    assert f["sector"][b] == "[consent] = '1'"
    assert f["ins_c1_m"][b] == "[consent] = '1' and [sector] = '1'"
    assert f["ins_c1_v"][b] == "[consent] = '1' and [sector] = '2'"
    assert f["att_1_m"]["Matrix Group Name"] == f"{bank.attention.block.lower()}_m"
    assert f["years_coproduction"]["Text Validation Type OR Show Slider Number"] == "integer"
    assert (f["years_coproduction"]["Text Validation Min"], f["years_coproduction"]["Text Validation Max"]) == ("0", "60")
    assert f["instrument_version"]["Field Annotation"] == f"@HIDDEN @READONLY @DEFAULT='{bank.version}'"
    assert choices(f["ins_c1_m"]["Choices, Calculations, OR Slider Labels"])["99"].startswith("Don't know")


def test_sector_form_hidden_sector(files):
    rows = parse(files[("municipal", "da")].files[".csv"])
    check_rules(rows)
    f = {r["Variable / Field Name"]: r for r in rows}
    assert f["sector"]["Field Annotation"] == "@HIDDEN @READONLY @DEFAULT='1'"
    assert f["ins_c1_m"]["Branching Logic (Show field only if...)"] == "[consent] = '1'"
    assert not any(n.endswith("_v") for n in f)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_one_language_warning_recorded(files, bank, lang):
    res = files[(None, lang)]
    other = {"en": "da", "da": "en"}[lang]
    assert any("Multi-Language Management" in w and other in w for w in res.warnings)
    cb = build_codebook(build_questionnaire(bank, lang=lang))
    assert any("Multi-Language Management" in m for m in cb["platform_limitations"]["redcap"])


@pytest.mark.parametrize("sector,lang", FORMS)
def test_danish_letters_and_version(files, bank, sector, lang):
    text = files[(sector, lang)].files[".csv"].decode("utf-8")
    assert bank.version in text
    if lang == "da":
        assert all(ch in text for ch in "æøå")
