"""One errors module: problem codes are an Enum, errors carry their problems as data."""
from __future__ import annotations

import subprocess
import sys

import pytest

import coprod.analysis.errors as analysis_errors
from coprod.analysis.responses import RULES, ProblemCode, simulate
from coprod.analysis.spec import load_spec, spec_from_dict
from coprod.instrument import errors
from coprod.instrument.bank import load_bank
from coprod.responses import validate_responses, write_simulated


def test_one_home_for_every_error():
    for name in ("CoprodError", "ResponseDataError", "ModelSpecError", "UnreadableFileError", "Problem"):
        assert getattr(analysis_errors, name) is getattr(errors, name)
    for cls in (errors.ItemBankError, errors.ResponseDataError, errors.ModelSpecError,
                errors.UnreadableFileError):
        assert issubclass(cls, errors.CoprodError) and issubclass(cls, ValueError)


def test_problem_codes_are_enum_members():
    assert RULES == {c.value: c.description for c in ProblemCode}
    assert ProblemCode("out_of_range") is ProblemCode.OUT_OF_RANGE == "out_of_range"
    with pytest.raises(ValueError):
        errors.problem("a.csv", "no_such_rule", "message")


def test_every_reported_rule_is_a_member(tmp_path):
    bank = load_bank()
    path = write_simulated(simulate(10, seed=1, bank=bank), tmp_path / "r.csv", "csv", bank=bank)
    lines = path.read_text("utf-8").splitlines()
    head = lines[0].split(",")
    cells = lines[2].split(",")
    cells[head.index("INS_C1")] = "9"
    cells[head.index("respondent_id")] = lines[1].split(",")[head.index("respondent_id")]
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines + ["Total"]) + "\n", encoding="utf-8")
    report = validate_responses(path, bank=bank)
    rules = [p.rule for p in (*report.problems, *report.warnings)]
    assert {"out_of_range", "duplicate_id", "summary_row"} <= set(rules)
    assert all(isinstance(r, ProblemCode) for r in rules)
    assert all(isinstance(p["rule"], str) and type(p["rule"]) is str for p in report.to_dict()["problems"])


def test_model_spec_error_carries_its_problems():
    with pytest.raises(errors.ModelSpecError) as info:
        spec_from_dict({"bogus": 1, "bootstrap": -2, "scales": {"s": []}}, source="spec.yaml")
    got = [(p.file, p.where, p.field) for p in info.value.problems]
    assert got == [("spec.yaml", "", "bogus"), ("spec.yaml", "scales", "s"), ("spec.yaml", "", "bootstrap")]
    assert info.value.problems[2].message == "must be 0 or more"
    assert info.value.problems[1].message == "expected a non-empty list of column names"
    assert str(info.value) == ("problems in the analysis spec:\n"
                               + "\n".join(f"  - {p}" for p in info.value.problems))


def test_model_spec_error_from_a_message_or_a_file(tmp_path):
    exc = errors.ModelSpecError("unknown variable x")
    assert str(exc) == "unknown variable x" and exc.problems == ()
    bad = tmp_path / "s.yaml"
    bad.write_text("scales: [unclosed\n")
    with pytest.raises(errors.ModelSpecError) as info:
        load_spec(bad)
    (p,) = info.value.problems
    assert p.file == str(bad) and p.message.startswith("not valid YAML")
    assert str(info.value).startswith(f"{bad}: not valid YAML")


def test_cli_prints_a_spec_error_as_before(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("bootstrap: -3\n")
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,2\n")
    proc = subprocess.run([sys.executable, "-m", "coprod", "analyze", str(data), "--spec", str(spec),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr == "error: problems in the analysis spec:\n  - spec.yaml, bootstrap: must be 0 or more\n"


@pytest.mark.parametrize("name", ["coprod.responses", "coprod.analysis.responses"])
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    import doctest
    import importlib

    monkeypatch.chdir(tmp_path)
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
