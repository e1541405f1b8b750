"""analysis.yaml: the latent order, the groups and the hypotheses are bank data, checked like the
rest of the bank (file, entry, field, what is wrong), in English and Danish."""
from __future__ import annotations

import re
import shutil

import pytest
import yaml

from coprod.instrument.bank import default_bank_dir, load_bank
from coprod.instrument.errors import ItemBankError
from coprod.instrument.model import HYPOTHESIS_TESTS


@pytest.fixture
def bank_copy(tmp_path):
    """A writable copy of the shipped bank, analysis.yaml included."""
    d = tmp_path / "bank"
    shutil.copytree(default_bank_dir(), d)
    return d


def _edit_design(directory, fn):
    path = directory / "analysis.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _problems(directory):
    with pytest.raises(ItemBankError) as exc:
        load_bank(directory)
    return exc.value.problems


def _hyp(data, hid):
    return next(h for h in data["hypotheses"] if h["id"] == hid)


def test_shipped_design(bank):
    assert bank.latent_order == ("INS", "VIN", "COM", "REP", "AMB")
    s = bank.structural
    assert [(r.outcome, r.causes) for r in s.regressions] == [
        ("COM", (("INS", "a1"),)), ("REP", (("VIN", "a2"),)), ("AMB", (("COM", "b1"), ("REP", "b2")))]
    assert s.strategies_on == "AMB" and s.labels == ("a1", "a2", "b1", "b2")
    assert dict(s.defined) == {"ind_INS_COM_AMB": "a1*b1", "ind_VIN_REP_AMB": "a2*b2",
                               "ind_difference": "a1*b1 - a2*b2"}
    assert [h.id for h in bank.hypotheses] == ["H1", "H2", "H3a", "H3b", "H4-{outcome}", "ind_INS_COM_AMB",
                                               "ind_VIN_REP_AMB", "R1", "R2", "R3", "R4", "R5"]
    assert {h.test for h in bank.hypotheses} == set(HYPOTHESIS_TESTS)
    assert bank.groups["managers"].values == ("manager", "volunteer_manager")
    assert bank.groups["others"].complement_of == "managers"
    assert bank.hypothesis("H4-SEP").id == "H4-{outcome}"
    with pytest.raises(KeyError):
        bank.hypothesis("H9")


def test_every_statement_and_group_label_is_in_english_and_danish(bank):
    for h in bank.hypotheses:
        assert h.statement["en"].strip() and h.statement["da"].strip(), h.id
        assert h.statement["da"] != h.statement["en"] or h.test == "defined", h.id
    for g in bank.groups.values():
        assert g.label["en"].strip() and g.label["da"].strip(), g.id


def test_the_design_does_not_change_the_instrument_version(bank, bank_copy):
    # the version is what exported forms carry; respondents never see the hypotheses
    _edit_design(bank_copy, lambda d: _hyp(d, "H1")["statement"].update(en="Reworded."))
    changed = load_bank(bank_copy)
    assert changed.version == bank.version
    assert changed.hypothesis("H1").statement["en"] == "Reworded."  # and the edit is read


def test_a_bank_without_design_has_no_hypotheses(mini_bank):
    assert mini_bank.hypotheses == () and dict(mini_bank.groups) == {}
    assert mini_bank.latent_order == tuple(c.id for c in mini_bank.constructs.values() if c.kind == "latent")


def test_missing_danish_statement(bank_copy):
    _edit_design(bank_copy, lambda d: _hyp(d, "R2")["statement"].pop("da"))
    problems = _problems(bank_copy)
    assert [str(p) for p in problems] == ["analysis.yaml, R2, statement.da: missing translation"]


@pytest.mark.parametrize("edit,where,field,message", [
    (lambda d: _hyp(d, "H1").update(path="COM -> INS"), "H1", "path", "is not 'lhs ~ rhs'"),
    (lambda d: _hyp(d, "H2").update(path="REP ~ XYZ"), "H2", "path", "unknown construct 'XYZ'"),
    (lambda d: _hyp(d, "H3a").update(test="anova"), "H3a", "test", "unknown test 'anova'"),
    (lambda d: _hyp(d, "R1").update(compare=["managers", "bosses"]), "R1", "compare", "unknown group 'bosses'"),
    (lambda d: _hyp(d, "R1").pop("variable"), "R1", "variable", "required for a welch test"),
    (lambda d: _hyp(d, "R3").update(variable="height"), "R3", "variable", "neither a construct nor"),
    (lambda d: _hyp(d, "H1").update(parameter="a1"), "H1", "parameter", "not used by a sem_path test"),
    (lambda d: _hyp(d, "R4")["statement"].update(en="{SEL} more common"), "R4", "statement.en",
     "unknown placeholder {SEL}"),
    (lambda d: _hyp(d, "H4-{outcome}").update(path="SEP ~ AMB"), "H4-{outcome}", "id",
     "exactly when the path is a pattern"),
    (lambda d: d["hypotheses"][1].update(id="H1"), "H1", "id", "duplicate id 'H1'"),
    (lambda d: d["groups"]["managers"].update(values=["manager", "boss"]), "groups.managers", "values",
     "'boss' is not an answer of role"),
    (lambda d: d["groups"]["others"].update(complement_of="chiefs"), "groups.others", "complement_of",
     "unknown group 'chiefs'"),
    (lambda d: d["groups"]["voluntary"].update(column="sektor"), "groups.voluntary", "column",
     "unknown context question 'sektor'"),
    (lambda d: d["latent_order"].append("SEL"), "latent_order", "SEL", "not a latent construct"),
    (lambda d: d.update(colour="blue"), "analysis", "colour", "unknown field"),
    (lambda d: d["structural"]["regressions"][0].update(outcome="XYZ"), "structural.regressions #1", "outcome",
     "unknown construct 'XYZ'"),
    (lambda d: d["structural"]["regressions"][2]["causes"].update(REP="b 2"), "structural.regressions #3",
     "causes", "'b 2' (the label of REP) is not a parameter name"),
    (lambda d: d["structural"]["defined"].update(ind_difference="a1*b1 - a2*b9"), "structural.defined",
     "ind_difference", "unknown path label(s) b9"),
    (lambda d: d["structural"]["defined"].update(ind_difference="a1*b1; a2"), "structural.defined",
     "ind_difference", "is not an expression of path labels"),
    (lambda d: d["structural"].update(strategies_on="AMX"), "structural", "strategies_on", "unknown construct 'AMX'"),
    (lambda d: _hyp(d, "H3a").update(path="AMB ~ INS"), "H3a", "path", "AMB ~ INS is not a path of the structural model"),
    (lambda d: _hyp(d, "ind_VIN_REP_AMB").update(parameter="ind_other"), "ind_VIN_REP_AMB", "parameter",
     "'ind_other' is not a defined effect of the structural model"),
])
def test_broken_design_is_reported_precisely(bank_copy, edit, where, field, message):
    _edit_design(bank_copy, edit)
    problems = _problems(bank_copy)
    hits = [p for p in problems if (p.file, p.where, p.field) == ("analysis.yaml", where, field)
            and re.search(re.escape(message), p.message)]
    assert hits, "\n".join(map(str, problems))
    assert len(problems) == 1, "\n".join(map(str, problems))


def test_every_design_problem_is_listed_with_the_rest_of_the_bank(bank_copy):
    _edit_design(bank_copy, lambda d: (_hyp(d, "H1").update(path="nonsense"), _hyp(d, "R5")["statement"].pop("da")))
    items = bank_copy / "items.yaml"
    items.write_text(items.read_text(encoding="utf-8").replace("reverse: false", "reverse: maybe", 1),
                     encoding="utf-8")
    files = {p.file for p in _problems(bank_copy)}
    assert files == {"analysis.yaml", "items.yaml"}


def test_statement_of_a_reported_hypothesis(bank):
    assert bank.hypothesis_statement("H1", "da") == "Utilstrækkelighed gør partneren tiltrækkende"
    assert bank.hypothesis_statement("H4-DEM", "en") == "Ambivalence drives DEM boundary work"
    assert bank.hypothesis_statement("H4-DEM", "fr") == "Ambivalence drives DEM boundary work"
    with pytest.raises(KeyError):
        bank.hypothesis_statement("H4-", "en")
