"""The named steps of the XLSForm and LimeSurvey writers (kobo.py, limesurvey.py): each step's
rows where the form needs them, and the modules' examples."""
from __future__ import annotations

import csv
import doctest
import importlib
import io

import pytest

from coprod.instrument.generator import build_questionnaire
from coprod.instrument.platforms import kobo, limesurvey


@pytest.mark.parametrize("name", ["coprod.instrument.platforms.kobo",
                                  "coprod.instrument.platforms.limesurvey"])
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ XLSForm
def test_choices_list_written_once_where_first_used(bank):
    q = build_questionnaire(bank)
    choices = kobo._Choices(q.languages)
    scales = [m.scale for b in q.blocks for m in b.matrices]
    assert len(scales) > len({s.id for s in scales})  # scales are shared by blocks
    names = [choices.scale_list(s) for s in scales]
    assert names == [s.id for s in scales]
    listed = [r["list_name"] for r in choices.rows]
    firsts = list(dict.fromkeys(listed))
    assert firsts == list(dict.fromkeys(s.id for s in scales))
    for s in {s.id: s for s in scales}.values():  # each list once: its points and don't know
        assert [r["name"] for r in choices.rows if r["list_name"] == s.id] == \
            [str(p.code) for p in s.points] + [str(s.dont_know)]


def test_filtered_choices_carry_sector_tags(mini_bank):
    q = build_questionnaire(mini_bank)
    role = next(f for f in q.context if f.id == "role")
    choices = kobo._Choices(q.languages)
    row = kobo._context_row(q, role, choices)
    assert row["type"] == "select_one role"
    assert "${sector} = 'municipal' and m = 1" in row["choice_filter"]
    tags = {r["name"]: (r["m"], r["v"]) for r in choices.rows}
    assert tags == {"manager": (1, 0), "frontline_volunteer": (0, 1)}


def test_integer_constraint_from_bounds(mini_bank):
    q = build_questionnaire(mini_bank)
    years = next(f for f in q.context if f.id == "years_coproduction")
    c = kobo._integer_constraint(q, years)
    assert c["constraint"] == ". >= 0 and . <= 60"
    assert {k for k in c if k.startswith("constraint_message::")} == \
        {kobo.language_column("constraint_message", lang) for lang in q.languages}
    municipality = next(f for f in q.context if f.id == "municipality")
    assert kobo._integer_constraint(q, municipality) == {}  # no bounds, no constraint


def test_partner_calculates_follow_the_sector_answer(bank):
    q = build_questionnaire(bank)
    assert any(f.dynamic for f in q.context)
    survey = kobo._Sheet()
    kobo._context_group(q, survey, kobo._Choices(q.languages), "${consent} = 'yes'")
    names = [r["name"] for r in survey.rows]
    at = names.index("sector") + 1
    helpers = [r for r in survey.rows[at:] if r.get("type") == "calculate"]
    assert helpers and [r["name"] for r in survey.rows[at:at + len(helpers)]] == \
        [r["name"] for r in helpers]
    assert all(r["name"].startswith("partner_") and r["calculation"].startswith("if(")
               for r in helpers)
    # a sector-specific form records its sector instead, before the group, with no helpers
    q1 = build_questionnaire(bank, sector="voluntary")
    survey = kobo._Sheet()
    kobo._context_group(q1, survey, kobo._Choices(q1.languages), "${consent} = 'yes'")
    assert survey.rows[0] == {"type": "calculate", "name": "sector", "calculation": "'voluntary'"}
    assert not any(str(r["name"]).startswith("partner_") for r in survey.rows)


@pytest.mark.parametrize("sector", [None, "municipal"])
def test_rating_block_routing(bank, sector):
    q = build_questionnaire(bank, sector=sector)
    b = q.blocks[0]
    survey = kobo._Sheet()
    kobo._rating_block(q, b, survey, kobo._Choices(q.languages), "C")
    begin, *questions, end = survey.rows
    assert begin["relevant"] == ("C" if sector else f"C and ${{sector}} = '{b.sector}'")
    assert end == {"type": "end_group", "name": begin["name"]}
    assert len(questions) == sum(len(m.rows) for m in b.matrices)


# ------------------------------------------------------------------ LimeSurvey
def _rows(q) -> list[dict[str, str]]:
    text = limesurvey.to_limesurvey(q).files[".txt"].decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


@pytest.mark.parametrize("sector", [None, "voluntary"])
def test_limesurvey_same_groups_in_every_language(bank, sector):
    q = build_questionnaire(bank, sector=sector)
    rows = _rows(q)
    langs = (q.lang, *q.other_languages())
    shape = {lang: [(r["class"], r["type/scale"]) for r in rows
                    if r["language"] == lang and r["class"] in ("G", "Q", "SQ", "A")]
             for lang in langs}
    first = shape[q.lang]
    assert all(s == first for s in shape.values())
    groups = [int(t) for c, t in first if c == "G"]
    assert groups == list(range(1, len(q.blocks) + 3))  # consent, context, one per block
    assert [r["class"] for r in rows[:4]] == ["S"] * 4


def test_limesurvey_sector_validation_lists_each_sectors_options(mini_bank):
    q = build_questionnaire(mini_bank)
    role = next(f for f in q.context if f.id == "role")
    v = limesurvey._sector_validation(q, role, "role", "en")
    assert v["em_validation_q"] == (
        'is_empty(role.NAOK) or (sector.NAOK == "A1" and (role.NAOK == "A1")) or '
        '(sector.NAOK == "A2" and (role.NAOK == "A2"))')
    assert v["em_validation_q_tip"]


def test_limesurvey_fixed_sector_is_a_hidden_equation(bank):
    q = build_questionnaire(bank, sector="municipal")
    rows: list[dict[str, str]] = []
    limesurvey._context_group(q, rows, "en")
    eq = next(r for r in rows if r.get("name") == limesurvey.SECTOR)
    assert eq["type/scale"] == "*" and eq["hidden"] == "1"
    assert eq["text"] == '{"A%d"}' % q.sector_choice("municipal").code
