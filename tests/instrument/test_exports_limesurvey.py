"""LimeSurvey TSV export, checked against LimeSurvey's import rules (there is no offline
importer): encoding, codes, per-language blocks, class order, relevance references."""
from __future__ import annotations

import csv
import io
import re

import pytest

from coprod.instrument import naming
from coprod.instrument.exports import export
from coprod.instrument.platforms.limesurvey import COLUMNS
from coprod.instrument.generator import build_questionnaire
from coprod.instrument.model import SECTOR_TAG

FORMS = [(s, lang) for s in (None, "municipal", "voluntary") for lang in ("en", "da")]
BLOCK_CLASSES = ("G", "Q", "SQ", "A")


def parse(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM"
    text = data.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", ""), "CRLF line ends only"
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter="\t", quotechar='"'))
    assert list(rows[0]) == list(COLUMNS)
    return rows


def check_rules(rows: list[dict[str, str]]) -> dict[str, list[dict]]:
    """LimeSurvey's rules (fielding-formats.md 2.1); returns the G..A rows per language."""
    s = {r["name"]: r["text"] for r in rows if r["class"] == "S"}
    langs = [s["language"], *s["additional_languages"].split()]
    assert s["format"] == "G" and s["anonymized"] == "Y"
    assert s["datestamp"] == "Y" and s["savetimings"] == "Y"  # durations (issue 15, item 2)
    classes = [r["class"] for r in rows]
    # class order: S, then SL, then the per-language blocks
    first_block = next(k for k, c in enumerate(classes) if c in BLOCK_CLASSES)
    assert set(classes[:first_block]) == {"S", "SL"}
    assert classes[:first_block] == sorted(classes[:first_block], key=["S", "SL"].index)
    assert set(classes[first_block:]) <= set(BLOCK_CLASSES)
    for lang in langs:
        assert {r["name"] for r in rows if r["class"] == "SL" and r["language"] == lang} >= {
            "surveyls_title", "surveyls_description"}
    blocks: dict[str, list[dict]] = {}
    for r in rows[first_block:]:
        blocks.setdefault(r["language"], []).append(r)
    assert list(blocks) == langs, "base language block first, then each additional language"
    # group names are translated; groups are matched by their sequence key (type/scale)
    shape = [[(r["class"], r["type/scale"], "" if r["class"] == "G" else r["name"]) for r in blocks[lang]]
             for lang in langs]
    assert all(x == shape[0] for x in shape), "same rows in the same order in every language"

    for lang in langs:
        block = blocks[lang]
        assert block[0]["class"] == "G"
        questions: dict[str, dict] = {}
        parent = None
        for r in block:
            c = r["class"]
            if c == "G":
                parent = None
            elif c == "Q":
                code = r["name"]
                assert re.fullmatch(naming.LIMESURVEY_CODE, code) and len(code) <= 20, code
                assert code.upper() not in naming.LIMESURVEY_RESERVED, code
                assert code.lower() not in {k.lower() for k in questions}, f"duplicate code {code}"
                assert r["type/scale"] in {"L", "F", "N", "S", "*"}
                parent = questions[code] = {"type": r["type/scale"], "row": r, "sq": [], "a": []}
            else:
                assert parent is not None, f"{c} row outside a question"
                if c == "SQ":
                    assert parent["type"] == "F" and not parent["a"], "subquestions before answers"
                    assert re.fullmatch(r"[A-Za-z0-9]+", r["name"]) and r["name"] != "time"
                    parent["sq"].append(r["name"])
                else:
                    assert re.fullmatch(r"[A-Za-z0-9]{1,5}", r["name"]), r["name"]
                    parent["a"].append(r["name"])
        for code, qd in questions.items():
            assert len(set(qd["sq"])) == len(qd["sq"]) and len(set(qd["a"])) == len(qd["a"]), code
            if qd["type"] in {"L", "F"}:
                assert qd["a"], f"{code} has no answers"
            if qd["type"] == "F":
                assert qd["sq"], f"{code} has no subquestions"
        # every reference in relevance, validation and text names an existing question and answer
        for r in block:
            for col in ("relevance", "em_validation_q", "text"):
                for qcode, value in re.findall(r'(\w+)\.NAOK\s*==\s*"([^"]*)"', r[col]):
                    assert qcode in questions, f"{col} refers to unknown question {qcode}"
                    target = questions[qcode]
                    if target["type"] == "*":
                        assert target["row"]["text"] == f'{{"{value}"}}'
                    else:
                        assert value in target["a"], f"{col}: {qcode} has no answer {value}"
                for qcode in re.findall(r"(\w+)\.NAOK", r[col]):
                    assert qcode in questions
        blocks[lang] = block
    return blocks


@pytest.fixture(scope="module")
def files(bank):
    return {(s, lang): export(bank, "limesurvey", sector=s, lang=lang).files[".txt"] for s, lang in FORMS}


@pytest.mark.parametrize("sector,lang", FORMS)
def test_rules(files, sector, lang):
    rows = parse(files[(sector, lang)])
    blocks = check_rules(rows)
    s = {r["name"]: r["text"] for r in rows if r["class"] == "S"}
    assert s["language"] == lang and s["additional_languages"] == {"en": "da", "da": "en"}[lang]
    assert list(blocks) == [lang, {"en": "da", "da": "en"}[lang]]


@pytest.mark.parametrize("sector,lang", FORMS)
def test_each_item_once_per_sector(files, bank, sector, lang, expected_fields):
    q = build_questionnaire(bank, sector=sector, lang=lang)
    blocks = check_rules(parse(files[(sector, lang)]))
    for block in blocks.values():
        columns, question = [], None
        for r in block:
            if r["class"] == "Q":
                question = r["name"]
            elif r["class"] == "SQ":
                columns.append(naming.limesurvey_column(question, r["name"]))
        att = q.bank.attention
        block_of = {i.id: i.construct for i in q.bank.items} | {att.id: att.block}
        want = [naming.limesurvey_column(naming.limesurvey_question(block_of[i], s),
                                         naming.limesurvey_subquestion(i, block_of[i]))
                for i, s in expected_fields(q)]
        assert sorted(columns) == sorted(want)


def test_routing_and_codes(files, bank):
    rows = parse(files[(None, "en")])
    en = check_rules(rows)["en"]
    groups = [r for r in en if r["class"] == "G"]
    assert groups[0]["relevance"] == "1"
    assert groups[1]["relevance"] == 'consent.NAOK == "A1"'
    # block groups: consent and the sector's answer code
    sector_codes = {s: f"A{c.code}" for s in ("municipal", "voluntary")
                    for c in next(x for x in bank.context if x.id == "sector").choices if c.name == s}
    qs = [r for r in en if r["class"] == "Q" and r["type/scale"] == "F"]
    assert [r["name"] for r in qs][:2] == ["INSm", "COMm"] and "INSv" in [r["name"] for r in qs]
    for g in groups[2:]:
        assert g["relevance"].startswith('consent.NAOK == "A1" and sector.NAOK == "')
    m_group = groups[2]
    assert m_group["relevance"].endswith(f'"{sector_codes["municipal"]}"')
    # scale answers A1..A7 and DK for don't know
    ins = en[[r["name"] for r in en].index("INSm"):]
    answers = [r["name"] for r in ins if r["class"] == "A"][:8]
    assert answers == ["A1", "A2", "A3", "A4", "A5", "A6", "A7", "DK"]
    by_code = {r["name"]: r for r in en if r["class"] == "Q"}
    assert by_code["servicearea"]["type/scale"] == "L"
    assert by_code["yearscoproduction"]["min_num_value_n"] == "0"
    assert by_code["yearscoproduction"]["max_num_value_n"] == "60"
    assert "{if(sector.NAOK ==" in by_code["contactfrequency"]["text"]
    assert by_code["role"]["em_validation_q"].startswith("is_empty(role.NAOK) or ")
    assert by_code["instrumentversion"]["text"] == f'{{"{bank.version}"}}'
    assert by_code["instrumentversion"]["hidden"] == "1"


def test_sector_form_records_sector(files):
    en = check_rules(parse(files[("voluntary", "en")]))["en"]
    by_code = {r["name"]: r for r in en if r["class"] == "Q"}
    assert by_code["sector"]["type/scale"] == "*" and by_code["sector"]["text"] == '{"A2"}'
    assert not [c for c in by_code if c.endswith(SECTOR_TAG["municipal"]) and c[:3].isupper()]
    assert all("sector.NAOK" not in r["relevance"] for r in en if r["class"] == "G")


@pytest.mark.parametrize("sector,lang", FORMS)
def test_danish_letters_and_version(files, bank, sector, lang):
    rows = parse(files[(sector, lang)])
    da = " ".join(r["text"] for r in rows if r["language"] == "da")
    assert all(ch in da for ch in "æøå")
    assert bank.version in " ".join(r["text"] for r in rows if r["name"] == "surveyls_description")


def test_mini_bank(mini_bank, expected_fields):
    rows = parse(export(mini_bank, "limesurvey").files[".txt"])
    en = check_rules(rows)["en"]
    assert [r["name"] for r in en if r["class"] == "SQ"] == ["C1", "ATT1", "C2", "M1", "M1", "C1", "ATT1", "C2", "V1"]
