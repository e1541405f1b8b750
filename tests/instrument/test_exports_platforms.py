"""One module per platform, both directions: each writes the form (where the platform has one),
describes its response export as data on a ``Platform``, and writes a simulated export that
reads back; the code that canonicalises never branches on a platform's name."""
from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pandas as pd
import pytest

from coprod.analysis.responses import from_table, simulate
from coprod.instrument.bank import load_bank
from coprod.instrument.exports import FORMATS, MODULES, export
from coprod.instrument.platforms import base, registry
from coprod.responses import read_responses, write_simulated

ROOT = Path(__file__).resolve().parents[2]
#: platform module -> (its form format, the simulated formats it writes, platform name)
MODULE_FORMS = {
    "kobo": ("xlsform", ("kobo",), "kobo"),
    "limesurvey": ("limesurvey", ("limesurvey",), "limesurvey"),
    "redcap": ("redcap", ("redcap",), "redcap"),
    "qualtrics": ("qualtrics", ("qualtrics",), "qualtrics"),
    "tabular": (None, ("csv", "xlsx"), "canonical"),
    "spss_stata": (None, ("sav", "dta"), "canonical"),
}
SUFFIX = {"xlsx": ".xlsx", "sav": ".sav", "dta": ".dta"}


@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.fixture(scope="module")
def sim(bank):
    return simulate(40, seed=8, bank=bank)


def test_every_simulated_format_and_platform_has_its_module():
    assert sorted(f for _, fmts, _ in MODULE_FORMS.values() for f in fmts) == sorted(registry.FORMATS)
    assert {name for *_, name in MODULE_FORMS.values()} == set(registry.PLATFORMS)
    platform_forms = {form for form, *_ in MODULE_FORMS.values() if form}
    # the QSF is a second form writer of the Qualtrics platform (its responses: the qualtrics reader)
    assert platform_forms == set(FORMATS) - {"html", "codebook", "qualtrics-qsf"}
    for module, (form, *_) in MODULE_FORMS.items():
        if form:
            assert MODULES[form] == f"coprod.instrument.platforms.{module}"


@pytest.mark.parametrize("module", sorted(MODULE_FORMS))
def test_module_has_both_directions(module, bank, sim, tmp_path):
    """Form writer, export description (PLATFORM) and simulated-export writer in one module; the
    simulated export reads back to the same table."""
    form, fmts, name = MODULE_FORMS[module]
    mod = importlib.import_module(f"coprod.instrument.platforms.{module}")
    if form:
        assert callable(getattr(mod, f"to_{form}"))
        assert export(bank, form).files
    if name != "canonical" or module == "tabular":
        assert isinstance(mod.PLATFORM, base.Platform) and mod.PLATFORM.name == name
        assert registry.TEMPLATES[name] is mod.PLATFORM
    expected = from_table(sim, bank=bank).table.reset_index(drop=True)
    skip = {"qualtrics": ["respondent_id"], "redcap": ["duration_s"]}.get(name, [])
    for fmt in fmts:
        path = write_simulated(sim, tmp_path / f"{fmt}{SUFFIX.get(fmt, '.csv')}", fmt, bank=bank)
        data = read_responses(path, bank=bank)
        assert data.source["platform"] == name and data.problems == ()
        pd.testing.assert_frame_equal(data.table.reset_index(drop=True).drop(columns=skip),
                                      expected.drop(columns=skip))


def test_platform_differences_are_data(bank):
    plats = {p.name: p for p in registry.all_platforms(bank)}
    assert plats["qualtrics"].status_column == "Status" and plats["qualtrics"].header_rows is not None
    assert plats["limesurvey"].completion.column == "submitdate"
    assert plats["kobo"].group_prefixes and plats["kobo"].duration_span == ("start", "end")
    assert plats["canonical"].exact_headers and plats["redcap"].duration_seconds is None
    assert plats["kobo"].key("INS_m/INS_C1_m") == "INS_C1_m" == plats["kobo"].field_for("INS_m/INS_C1_m").column
    assert plats["redcap"].is_system("survey_complete") and not plats["kobo"].is_system("survey_complete")
    # every platform described from its module's data, each with its own system columns
    assert len({p.system for p in plats.values()}) == len(plats)


def _name_branches(path: Path) -> list[str]:
    """``x.name == "..."`` comparisons (and ``!=``, ``in``) on a platform."""
    hits = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                if (isinstance(side, ast.Attribute) and side.attr == "name"
                        and isinstance(side.value, ast.Name) and side.value.id in ("plat", "platform", "p")):
                    hits.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return hits


def test_no_branch_on_a_platform_name():
    files = [*(ROOT / "analysis" / "responses").glob("*.py"), *(ROOT / "instrument" / "platforms").glob("*.py"),
             ROOT / "coprod" / "responses.py"]
    assert len(files) > 15
    assert [h for f in files for h in _name_branches(f)] == []


def test_name_branch_detector_finds_one(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    f = tmp_path / "probe.py"
    f.write_text('x = 1\nif plat.name == "qualtrics":\n    pass\n')
    assert _name_branches(f) == ["probe.py:2"]


def test_analysis_opens_no_files():
    """``analysis.responses`` is pure: no file is opened or read there."""
    bad = []
    for f in (ROOT / "analysis" / "responses").glob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if name in ("open", "read_bytes", "read_text", "read_csv", "read_excel", "write_text",
                            "load_workbook", "read_sav", "read_dta"):
                    bad.append(f"{f.name}:{node.lineno} {name}")
    assert bad == []


@pytest.mark.parametrize("name", ["coprod.instrument.errors", "coprod.instrument.platforms.registry"])
def test_docstring_examples_run(name):
    import doctest

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
