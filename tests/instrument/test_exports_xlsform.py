"""XLSForm export: pyxform + ODK Validate accept it; our own completeness checks; read-back."""
from __future__ import annotations

import io
import re
import shutil

import pytest
from openpyxl import load_workbook

from coprod.instrument.exports import export
from coprod.instrument.platforms.kobo import form_version, language_column
from coprod.instrument.generator import build_questionnaire
from coprod.instrument.model import SECTOR_TAG, SECTORS

pyxform = pytest.importorskip("pyxform")
from pyxform.xls2xform import convert  # noqa: E402

JAVA = shutil.which("java") is not None
FORMS = [(s, lang) for s in (None, "municipal", "voluntary") for lang in ("en", "da")]
NO_LABEL = {"calculate", "end_group", "start", "end"}  # metadata fields have no label


def _sheets(data: bytes) -> dict[str, list[dict]]:
    wb = load_workbook(io.BytesIO(data))
    out = {}
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        header = rows[0]
        out[ws.title] = [dict(zip(header, r)) for r in rows[1:]]
    return out


@pytest.fixture(scope="module")
def files(bank):
    return {(s, lang): export(bank, "xlsform", sector=s, lang=lang).files[".xlsx"] for s, lang in FORMS}


@pytest.mark.parametrize("sector,lang", FORMS)
def test_pyxform_and_odk_validate_accept(files, tmp_path, sector, lang):
    path = tmp_path / "form.xlsx"
    path.write_bytes(files[(sector, lang)])
    result = convert(str(path), validate=JAVA)
    assert result.warnings == []
    assert 'lang="Danish (da)"' in result.xform and 'lang="English (en)"' in result.xform
    default = {"en": "English (en)", "da": "Danish (da)"}[lang]
    assert re.findall(r'<translation lang="([^"]+)" default="true\(\)"', result.xform) == [default]


@pytest.mark.parametrize("sector", [None, "municipal"])
def test_mini_bank_form_validates(mini_bank, tmp_path, sector):
    path = tmp_path / "mini.xlsx"
    path.write_bytes(export(mini_bank, "xlsform", sector=sector).files[".xlsx"])
    assert convert(str(path), validate=JAVA).warnings == []


def test_bad_choice_filter_column_passes_pyxform_but_not_our_check():
    """Why we check choice_filter columns ourselves: pyxform passes a filter on a column that
    does not exist (the list just comes out empty)."""
    md = """
    | survey  |
    |         | type              | name   | label  | choice_filter |
    |         | select_one sector | sector | Sector |               |
    |         | select_one role   | role   | Role   | mm = 1        |
    | choices |
    |         | list_name | name      | label     | m |
    |         | sector    | municipal | Municipal |   |
    |         | role      | manager   | Manager   | 1 |
    """
    assert convert(md).warnings == []  # pyxform is silent
    assert not _filter_columns("mm = 1") <= {"list_name", "name", "label", "m"}  # we are not
    assert _filter_columns("(${sector} = 'municipal' and m = 1) or (${sector} = 'voluntary' and v = 1)") == {"m", "v"}


def test_sector_filter_scheme_validates():
    """The choice_filter scheme on its own, as pyxform's inline markdown: one 1/0 column per
    sector tag, so a choice offered to both sectors passes either filter."""
    md = """
    | survey   |
    |          | type              | name   | label::English (en) | label::Danish (da) | choice_filter |
    |          | select_one sector | sector | Sector              | Sektor             |               |
    |          | select_one role   | role   | Role                | Rolle              | (${sector} = 'municipal' and m = 1) or (${sector} = 'voluntary' and v = 1) |
    | choices  |
    |          | list_name | name      | label::English (en) | label::Danish (da) | m | v |
    |          | sector    | municipal | Municipal           | Kommunal           |   |   |
    |          | sector    | voluntary | Voluntary           | Frivillig          |   |   |
    |          | role      | manager   | Manager             | Leder              | 1 | 0 |
    |          | role      | volunteer | Volunteer           | Frivillig          | 0 | 1 |
    |          | role      | both      | Coordinator         | Koordinator        | 1 | 1 |
    | settings |
    |          | form_title | form_id | version | default_language |
    |          | Filter     | filter  | 1       | Danish (da)      |
    """
    result = convert(md, validate=JAVA)
    assert result.warnings == []
    assert "[( /data/sector  = 'municipal' and m = 1) or ( /data/sector  = 'voluntary' and v = 1)]" in result.xform


def _filter_columns(expr: str) -> set[str]:
    expr = re.sub(r"\$\{[^}]*\}", "", expr)
    expr = re.sub(r"'[^']*'", "", expr)
    return set(re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*=", expr))


@pytest.mark.parametrize("sector,lang", FORMS)
def test_completeness(files, bank, sector, lang):
    sheets = _sheets(files[(sector, lang)])
    survey, choices, settings = sheets["survey"], sheets["choices"], sheets["settings"]
    label_cols = [language_column("label", lg) for lg in bank.languages]
    for row in survey:
        if row["type"] in NO_LABEL:
            continue
        for col in label_cols:
            assert row.get(col) and str(row[col]).strip(), f"{row['name']}: empty {col}"
    for row in choices:
        for col in label_cols:
            assert row.get(col) and str(row[col]).strip(), f"{row['list_name']}/{row['name']}: empty {col}"
    # hint and constraint message columns exist for every language, and hints are paired
    header = set(survey[0])
    for base in ("hint", "constraint_message"):
        cols = [language_column(base, lg) for lg in bank.languages]
        assert all(c in header for c in cols)
        for row in survey:
            filled = [bool(row.get(c)) for c in cols]
            assert all(filled) or not any(filled), f"{row['name']}: {base} in some languages only"
    # every choice_filter refers to columns that exist on the choices sheet
    choice_cols = set(choices[0])
    for row in survey:
        if row.get("choice_filter"):
            cols = _filter_columns(row["choice_filter"])
            assert cols and cols <= choice_cols, row["choice_filter"]
    # list names exist; names unique across the form
    lists = {c["list_name"] for c in choices}
    for row in survey:
        if str(row["type"]).startswith("select_one "):
            assert row["type"].split()[1] in lists
    names = [r["name"] for r in survey if r["type"] != "end_group"]
    assert len(names) == len(set(names))
    (s,) = settings
    assert s["default_language"] == {"en": "English (en)", "da": "Danish (da)"}[lang]
    assert s["style"] == "pages" and isinstance(s["version"], str)
    assert s["version"] == form_version(bank.version) and bank.version in s["form_title"]
    assert s["form_id"] == "coprod_ambivalence" + ("" if sector is None else "_" + SECTOR_TAG[sector])


@pytest.mark.parametrize("sector,lang", FORMS)
def test_each_item_once_per_sector(files, bank, sector, lang, expected_fields):
    survey = _sheets(files[(sector, lang)])["survey"]
    q = build_questionnaire(bank, sector=sector, lang=lang)
    rated = [r["name"] for r in survey if re.fullmatch(r"[A-Z]{3}_[A-Z]?\d{1,2}_[mv]", str(r["name"]))]
    want = sorted(f"{i}_{SECTOR_TAG[s]}" for i, s in expected_fields(q))
    assert sorted(rated) == want
    for r in survey:
        if r["name"] in want:
            assert r["required"] == "yes" and r["appearance"] == "likert"


def test_routing(files, bank):
    survey = _sheets(files[(None, "en")])["survey"]
    by_name = {r["name"]: r for r in survey if r["type"] != "end_group"}
    assert by_name["consent"]["type"] == "select_one consent"
    assert by_name["context"]["relevant"] == "${consent} = 'yes'"
    for s in SECTORS:
        g = by_name[f"INS_{SECTOR_TAG[s]}"]
        assert g["type"] == "begin_group" and g["appearance"] == "field-list"
        assert g["relevant"] == f"${{consent}} = 'yes' and ${{sector}} = '{s}'"
    assert by_name["sector"]["type"] == "select_one sector"
    names = [r["name"] for r in survey]
    assert names.index("consent") < names.index("sector") < names.index("role") < names.index("INS_m")
    # dynamic partner noun in the combined form
    assert "${partner_en}" in by_name["contact_frequency"][language_column("label", "en")]
    assert "${partner_da}" in by_name["contact_frequency"][language_column("label", "da")]
    calc = by_name["partner_da"]["calculation"]
    assert "'de frivillige'" in calc and "'kommunen'" in calc
    assert by_name["years_coproduction"]["constraint"] == ". >= 0 and . <= 60"
    assert by_name["instrument_version"]["calculation"] == f"'{bank.version}'"


def test_choice_filter_offers_each_sector_its_choices(files, bank):
    """Evaluate the filter the way a form engine would: each sector sees exactly its choices."""
    sheets = _sheets(files[(None, "en")])
    survey = {r["name"]: r for r in sheets["survey"]}
    for qid in ("role", "organisation_type"):
        expr = survey[qid]["choice_filter"]
        bank_q = next(c for c in bank.context if c.id == qid)
        for s in SECTORS:
            offered = set()
            for ch in (c for c in sheets["choices"] if c["list_name"] == qid):
                py = (expr.replace("${sector}", repr(s)).replace(" = ", " == ")
                      .replace("m == 1", f"{ch['m']} == 1").replace("v == 1", f"{ch['v']} == 1"))
                if eval(py):  # noqa: S307 -- our own generated expression, simple and/or/==
                    offered.add(ch["name"])
            assert offered == {c.name for c in bank_q.choices if s in c.sectors}


def test_sector_form_fixes_sector(files, bank):
    survey = _sheets(files[("municipal", "da")])["survey"]
    by_name = {r["name"]: r for r in survey if r["type"] != "end_group"}
    assert by_name["sector"]["type"] == "calculate" and by_name["sector"]["calculation"] == "'municipal'"
    assert not any(str(r["name"]).endswith("_v") for r in survey)
    assert "choice_filter" not in survey[0] or not any(r.get("choice_filter") for r in survey)
    assert all(not str(r.get("relevant") or "").count("${sector}") for r in survey)
    assert bank.partner["municipal"]["da"] in by_name["contact_frequency"][language_column("label", "da")]


@pytest.mark.parametrize("sector,lang", FORMS)
def test_danish_letters_and_version(files, bank, sector, lang):
    sheets = _sheets(files[(sector, lang)])
    cells = " ".join(str(v) for rows in sheets.values() for r in rows for v in r.values() if v)
    assert all(ch in cells for ch in "æøå")
    assert bank.version in cells
