"""Qualtrics Advanced Format TXT: a tag-grammar checker, read-back of the matrices, and the
warnings about what the format cannot carry."""
from __future__ import annotations

import re

import pytest

from coprod.instrument import naming
from coprod.instrument.exports import export
from coprod.instrument.platforms.codebook import build_codebook
from coprod.instrument.generator import build_questionnaire

FORMS = [(s, lang) for s in (None, "municipal", "voluntary") for lang in ("en", "da")]
QUESTION_TYPES = {"MC:SingleAnswer:Vertical", "MC:SingleAnswer:Horizontal", "Matrix", "TE:SingleLine", "DB"}
TAG = re.compile(r"\[\[([^\[\]]*)\]\]")


def parse(text: str) -> tuple[dict[str, str], list[dict]]:
    """Check the tag grammar; return the embedded data and the questions (with their block)."""
    lines = text.split("\n")
    assert lines[0] == "[[AdvancedFormat]]"
    embedded: dict[str, str] = {}
    questions: list[dict] = []
    block = None
    current = None
    section = None  # "text" | "choices" | "answers"
    for n, line in enumerate(lines[1:], 2):
        m = TAG.fullmatch(line)
        if "[[" in line and not m:
            raise AssertionError(f"line {n}: a tag must stand alone on its line: {line!r}")
        if m:
            tag = m.group(1)
            assert " " not in tag, f"line {n}: no spaces inside tags"
            name, _, arg = tag.partition(":")
            if name == "ED":
                assert block is None, "embedded data before the first block"
                key, _, value = arg.partition(":")
                embedded[key] = value
            elif name == "Block":
                assert arg and current is None, f"line {n}: a block starts after a blank line"
                block = arg
            elif name == "PageBreak":
                assert current is None, f"line {n}: page break inside a question"
            elif name == "Question":
                assert block is not None, f"line {n}: question outside a block"
                assert current is None, f"line {n}: questions are separated by a blank line"
                assert arg in QUESTION_TYPES, f"line {n}: unknown question type {arg}"
                current = {"type": arg, "block": block, "id": None, "text": [], "choices": [], "answers": []}
                questions.append(current)
                section = "id"
            elif name == "ID":
                assert current is not None and section == "id", f"line {n}: [[ID]] right after [[Question]]"
                current["id"] = arg
                section = "text"
            elif name == "Choices":
                assert current and section == "text" and current["type"] not in {"TE:SingleLine", "DB"}
                section = "choices"
            elif name == "Answers":
                assert current and section == "choices" and current["type"] == "Matrix"
                section = "answers"
            else:
                raise AssertionError(f"line {n}: unknown tag {tag}")
            continue
        if line == "":
            current = None  # a blank line ends a question
            continue
        assert current is not None and section != "id", f"line {n}: text outside a question: {line!r}"
        current[section].append(line)
    ids = [q["id"] for q in questions]
    assert None not in ids and len(ids) == len(set(ids))
    for q in questions:
        assert len(q["text"]) == 1, f"{q['id']}: question text on one line"
        if q["type"].startswith("MC"):
            assert q["choices"] and not q["answers"]
        if q["type"] == "Matrix":
            assert q["choices"] and q["answers"]
        if q["type"] in {"TE:SingleLine", "DB"}:
            assert not q["choices"]
    return embedded, questions


@pytest.fixture(scope="module")
def results(bank):
    return {(s, lang): export(bank, "qualtrics", sector=s, lang=lang) for s, lang in FORMS}


@pytest.mark.parametrize("sector,lang", FORMS)
def test_grammar_and_items(results, bank, sector, lang, expected_fields):
    text = results[(sector, lang)].files[".txt"].decode("utf-8")
    embedded, questions = parse(text)
    assert embedded["instrument_version"] == bank.version
    q = build_questionnaire(bank, sector=sector, lang=lang)
    matrices = {x["id"]: x for x in questions if x["type"] == "Matrix"}
    assert list(matrices) == [naming.qualtrics_question(b.construct.id, b.sector) for b in q.blocks]
    seen = []
    for b in q.blocks:
        mx = matrices[naming.qualtrics_question(b.construct.id, b.sector)]
        assert mx["block"] == b.key
        assert mx["text"] == [b.instruction[lang]]
        assert mx["choices"] == [r.text[lang] for r in b.rows]  # row k is column INS_m_k
        scale = b.matrices[0].scale
        assert mx["answers"] == [p.label[lang] for p in scale.points] + [scale.dont_know_label[lang]]
        seen += [(r.id, b.sector) for r in b.rows]
    assert len(seen) == len(set(seen)) and set(seen) == expected_fields(q)


def test_shuffled_columns_follow_row_order(bank):
    q = build_questionnaire(bank, seed=99)
    _, questions = parse(export(q, "qualtrics").files[".txt"].decode("utf-8"))
    cb = build_codebook(q)
    texts = {x["id"]: x["choices"] for x in questions if x["type"] == "Matrix"}
    for item in cb["items"] + [cb["attention"]]:
        for s, col in item["columns"]["qualtrics"].items():
            qid, pos = col.rsplit("_", 1)
            assert texts[qid][int(pos) - 1] == item["text_by_sector"][s]["en"]


def test_context_questions(results, bank):
    _, questions = parse(results[(None, "da")].files[".txt"].decode("utf-8"))
    by_id = {x["id"]: x for x in questions}
    assert by_id["consent"]["block"] == "consent" and by_id["sector"]["block"] == "context"
    assert by_id["municipality"]["type"] == "TE:SingleLine"
    assert by_id["asymmetry"]["type"] == "MC:SingleAnswer:Horizontal"
    assert by_id["asymmetry"]["choices"][-1] == "Ved ikke / ikke relevant"
    assert len(by_id["role"]["choices"]) == len(next(c for c in bank.context if c.id == "role").choices)


def test_sector_form_embeds_sector(results, bank):
    embedded, questions = parse(results[("voluntary", "en")].files[".txt"].decode("utf-8"))
    assert embedded["sector"] == "2"
    ids = {x["id"] for x in questions}
    assert "sector" not in ids and not any(i.endswith("_m") for i in ids)
    role = next(x for x in questions if x["id"] == "role")
    assert role["choices"] == [c.label["en"] for c in next(c for c in bank.context if c.id == "role").choices
                               if "voluntary" in c.sectors]


def test_warnings_and_codebook_limitations(results, bank):
    warnings = results[(None, "en")].warnings
    assert any("Survey Flow" in w and "skip logic" in w for w in warnings)
    assert any("sector = 1" in w and "INS_m" in w for w in warnings)
    assert any("no translations" in w for w in warnings)
    cb = build_codebook(build_questionnaire(bank))
    assert set(warnings) <= set(cb["platform_limitations"]["qualtrics"])


@pytest.mark.parametrize("sector,lang", FORMS)
def test_danish_letters(results, sector, lang):
    text = results[(sector, lang)].files[".txt"].decode("utf-8")
    if lang == "da":
        assert all(ch in text for ch in "æøå")


def test_grammar_checker_catches_errors():
    with pytest.raises(AssertionError):
        parse("[[AdvancedFormat]]\n\n[[Block:a]]\n\n[[Question:Matrix]]\n[[ID:x]]\nText\n[[Answers]]\n1\n")
    with pytest.raises(AssertionError):
        parse("[[AdvancedFormat]]\n\n[[Block:a]]\n\n[[Question:MC]]\n[[ID:x]]\nText\n[[Choices]]\na\n")
    with pytest.raises(AssertionError):
        parse("[[AdvancedFormat]]\n\n[[Block:a]]\n\n[[ Question:DB]]\n[[ID:x]]\nText\n")
    with pytest.raises(AssertionError):  # two questions without a blank line between them
        parse("[[AdvancedFormat]]\n\n[[Block:a]]\n\n[[Question:DB]]\n[[ID:x]]\nA\n[[Question:DB]]\n[[ID:y]]\nB\n")
    parse("[[AdvancedFormat]]\n\n[[Block:a]]\n\n[[Question:DB]]\n[[ID:x]]\nA\n\n[[PageBreak]]\n\n"
          "[[Question:DB]]\n[[ID:y]]\nB\n")
