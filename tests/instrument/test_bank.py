"""Loader: the shipped and fixture banks load; every broken variant reports every problem with
file, item and field."""
from __future__ import annotations

import re

import pytest
import yaml

from coprod.instrument.bank import load_bank
from coprod.instrument.errors import ItemBankError
from coprod.instrument.model import SECTORS


def _edit(directory, name, fn):
    path = directory / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _problems(directory):
    with pytest.raises(ItemBankError) as exc:
        load_bank(directory)
    return exc.value


def _has(err, file, where, field, message):
    hits = [p for p in err.problems
            if p.file == file and p.where == where and p.field == field and re.search(message, p.message)]
    assert hits, f"no problem {file}, {where}, {field}: /{message}/ among:\n{err}"
    # the rendered message names file, item and field too
    assert str(hits[0]) in str(err)


def test_shipped_bank_loads(bank):
    assert bank.id and bank.version.startswith(bank.base_version + "+")
    assert set(bank.languages) >= {"en", "da"}
    assert {i.construct for i in bank.items} == set(bank.constructs)
    ids = [i.id for i in bank.items]
    assert len(ids) == len(set(ids))


def test_fixture_bank_loads(mini_bank):
    assert mini_bank.id == "coprod-mini"
    assert [i.id for i in mini_bank.items_for("voluntary", "INS")] == ["INS_C1", "INS_C2", "INS_V1"]


def test_version_follows_content(mini_copy, mini_bank):
    assert load_bank(mini_copy).version == mini_bank.version
    _edit(mini_copy, "items.yaml", lambda items: items[0]["text"].update(en="Changed wording."))
    changed = load_bank(mini_copy).version
    assert changed != mini_bank.version and changed.startswith("0.1+")


def test_missing_translation(mini_copy):
    _edit(mini_copy, "items.yaml", lambda items: items[0]["text"].pop("da"))
    err = _problems(mini_copy)
    _has(err, "items.yaml", "INS_C1", "text.da", "missing translation")
    assert len(err.problems) == 1


def test_empty_translation(mini_copy):
    _edit(mini_copy, "constructs.yaml", lambda c: c["INS"]["instruction"].update(da="  "))
    _has(_problems(mini_copy), "constructs.yaml", "INS", "instruction.da", "non-empty string")


def test_unknown_construct(mini_copy):
    _edit(mini_copy, "items.yaml", lambda items: items[2].update(construct="XYZ"))
    err = _problems(mini_copy)
    _has(err, "items.yaml", "INS_M1", "construct", "unknown construct 'XYZ'")
    assert len(err.problems) == 1, "no follow-on problem (e.g. an unknown inherited scale)"


def test_unknown_scale(mini_copy):
    _edit(mini_copy, "constructs.yaml", lambda c: c["SEL"].update(scale="freq9"))
    _edit(mini_copy, "items.yaml", lambda items: items[1].update(scale="agree9"))
    err = _problems(mini_copy)
    _has(err, "constructs.yaml", "SEL", "scale", "unknown scale 'freq9'")
    _has(err, "items.yaml", "INS_C2", "scale", "unknown scale 'agree9'")


def test_unknown_construct_scale_reported_once(mini_copy):
    _edit(mini_copy, "constructs.yaml", lambda c: c["INS"].update(scale="agree9"))
    err = _problems(mini_copy)
    _has(err, "constructs.yaml", "INS", "scale", "unknown scale 'agree9'")
    assert [p.file for p in err.problems] == ["constructs.yaml"], "items inheriting it stay quiet"


def test_duplicate_id(mini_copy):
    _edit(mini_copy, "items.yaml", lambda items: items[3].update(id="INS_C1", sectors=list(SECTORS),
                                                                  facet="core"))
    _has(_problems(mini_copy), "items.yaml", "INS_C1", "id", "duplicate id 'INS_C1'")


@pytest.mark.parametrize("file,edit,where,field,message", [
    ("items.yaml", lambda d: d[0].update(reverse="maybe"), "INS_C1", "reverse",
     "expected true or false, got str 'maybe'"),
    ("context.yaml", lambda d: d["questions"][0]["choices"][0].update(code="x"), "sector choice 1",
     "code", "expected an integer, got str 'x'"),
    ("context.yaml", lambda d: d["questions"][5].update(min="zero"), "years_coproduction", "min",
     "expected an integer"),
    ("scales.yaml", lambda d: d["agree7"]["points"][0].update(code=True), "agree7 point 1", "code",
     "integer code"),
])
def test_wrong_type(mini_copy, file, edit, where, field, message):
    _edit(mini_copy, file, edit)
    err = _problems(mini_copy)
    _has(err, file, where, field, re.escape(message))
    assert len(err.problems) == 1, str(err)


def test_unknown_field(mini_copy):
    _edit(mini_copy, "items.yaml", lambda items: items[0].update(colour="blue"))
    _has(_problems(mini_copy), "items.yaml", "INS_C1", "colour", "unknown field")


def test_every_problem_is_listed(mini_copy):
    """One bank with all the faults above: one error listing each of them."""
    def items(d):
        d[0]["text"].pop("da")
        d[0]["colour"] = "blue"
        d[1]["reverse"] = "maybe"
        d[2]["construct"] = "XYZ"
        d[3].update(id="INS_C1", sectors=list(SECTORS), facet="core")
        d[4]["scale"] = "agree9"
    _edit(mini_copy, "items.yaml", items)
    _edit(mini_copy, "constructs.yaml", lambda c: c["SEL"].update(scale="freq9"))
    _edit(mini_copy, "context.yaml", lambda d: d["questions"][0]["choices"][0].update(code="x"))
    err = _problems(mini_copy)
    expected = [
        ("items.yaml", "INS_C1", "text.da", "missing translation"),
        ("items.yaml", "INS_C1", "colour", "unknown field"),
        ("items.yaml", "INS_C2", "reverse", "true or false"),
        ("items.yaml", "INS_M1", "construct", "unknown construct"),
        ("items.yaml", "INS_C1", "id", "duplicate id"),
        ("items.yaml", "SEL_M1", "scale", "unknown scale 'agree9'"),
        ("constructs.yaml", "SEL", "scale", "unknown scale 'freq9'"),
        ("context.yaml", "sector choice 1", "code", "an integer"),
    ]
    for file, where, field, message in expected:
        _has(err, file, where, field, message)
    assert f"{len(err.problems)} problem(s)" in str(err)
    assert len(err.problems) >= len(expected)


def test_missing_file_and_bad_yaml(mini_copy):
    (mini_copy / "scales.yaml").unlink()
    (mini_copy / "meta.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    err = _problems(mini_copy)
    _has(err, "scales.yaml", "", "", "file is missing")
    assert any(p.file == "meta.yaml" and "not valid YAML" in p.message for p in err.problems)


def test_error_is_a_value_error(mini_copy):
    _edit(mini_copy, "items.yaml", lambda items: items[0].update(reverse="maybe"))
    with pytest.raises(ValueError):
        load_bank(mini_copy)


def test_answer_label_of_coded_and_free_values():
    from coprod.instrument.bank import load_bank

    bank = load_bank()
    assert bank.answer_label("service_area", "elderly_care", "da") == "Ældreområdet"
    assert bank.answer_label("sector", "voluntary", "en") == "Voluntary sector"
    assert bank.answer_label("municipality", "Aarhus", "en") is None  # free text has no label
