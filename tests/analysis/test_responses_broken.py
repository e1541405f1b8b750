"""Broken response files, each with the message the user gets, and the validation rules.

The files are generated in ``tmp_path`` from a small simulated study written as the canonical
CSV (or a platform export) and then damaged the way real files get damaged.
"""
from __future__ import annotations

import hashlib
import json
import os

import pandas as pd
import pytest

from coprod.analysis.errors import ResponseDataError, UnreadableFileError
from coprod.analysis.responses import RULES, simulate
from coprod.responses import read_responses, validate_responses, write_simulated
from coprod.instrument.bank import load_bank


@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.fixture(scope="module")
def table(bank):
    t = simulate(12, seed=5, bank=bank)
    t.loc[:3, "municipality"] = ["Høje-Taastrup", "Ærø", "Næstved", "Tårnby"]
    return t


@pytest.fixture()
def base(table, bank, tmp_path):
    """The canonical CSV as text, its header cells and its lines."""
    text = write_simulated(table, tmp_path / "base.csv", "csv", bank=bank).read_text("utf-8")
    return text


def header(text: str) -> list[str]:
    return text.splitlines()[0].split(",")


def set_cell(text: str, row: int, column: str, value: str) -> str:
    """``row`` as the user sees it (header = row 1)."""
    lines = text.splitlines(keepends=True)
    cells = lines[row - 1].rstrip("\n").split(",")
    cells[header(text).index(column)] = value
    lines[row - 1] = ",".join(cells) + "\n"
    return "".join(lines)


def write(tmp_path, name: str, content) -> os.PathLike:
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return p


def texts(report) -> list[str]:
    return [str(p) for p in report.problems]


def warnings(report) -> list[str]:
    return [str(p) for p in report.warnings]


# ------------------------------------------------------------------ file-level damage
def test_semicolons(base, bank, tmp_path):
    p = write(tmp_path, "responses.csv", base.replace(",", ";"))
    data = read_responses(p, bank=bank)
    assert data.source["delimiter"] == ";" and data.n == 12


def test_tabs(base, bank, tmp_path):
    data = read_responses(write(tmp_path, "responses.tsv", base.replace(",", "\t")), bank=bank)
    assert data.source["delimiter"] == "\t" and data.n == 12


def test_utf8_bom(base, bank, tmp_path):
    data = read_responses(write(tmp_path, "responses.csv", b"\xef\xbb\xbf" + base.encode()), bank=bank)
    assert data.source["encoding"] == "utf-8-sig"
    assert data.table["respondent_id"].iloc[0] == "1"


def test_windows_1252_detected_not_assumed(base, bank, tmp_path):
    p = write(tmp_path, "responses.csv", base.encode("cp1252"))
    report = validate_responses(p, bank=bank)
    assert report.exit_code == 0
    assert warnings(report) == ["responses.csv: the file is not UTF-8; read it as Windows-1252 "
                                "(Æ, å, æ, ø found)"]
    data = read_responses(p, bank=bank)
    assert data.source["encoding"] == "cp1252"
    assert data.table["municipality"].tolist()[:4] == ["Høje-Taastrup", "Ærø", "Næstved", "Tårnby"]


def test_utf16(base, bank, tmp_path):
    data = read_responses(write(tmp_path, "responses.csv", base.encode("utf-16")), bank=bank)
    assert data.source["encoding"] == "utf-16"
    assert data.table["municipality"].iloc[0] == "Høje-Taastrup"


def test_converted_twice(base, bank, tmp_path):
    garbled = base.encode("utf-8").decode("cp1252").encode("utf-8")
    report = validate_responses(write(tmp_path, "responses.csv", garbled), bank=bank)
    assert report.exit_code == 1
    assert texts(report) == ["responses.csv: the text looks converted to UTF-8 twice "
                             "('HÃ¸je-Taastrup' should read 'Høje-Taastrup'); export the file "
                             "again as UTF-8 without converting it"]


def test_title_row_above_header(base, bank, tmp_path):
    text = "Coproduction survey, export 3 March 2025\n" + set_cell(base, 2, "COM_C3", "9")
    report = validate_responses(write(tmp_path, "responses.csv", text), bank=bank)
    assert warnings(report) == ["responses.csv: the header is on row 2; row 1 above it "
                                "('Coproduction survey') was skipped"]
    # rows are counted as the user sees them: the first respondent is now on row 3
    assert texts(report) == ["responses.csv, row 3, column COM_C3: value 9 is outside 1..7 "
                             "(or 99 = don't know)"]


def test_totals_row_at_the_bottom(base, bank, tmp_path):
    cells = ["Total"] + [""] * (len(header(base)) - 1)
    for k, name in enumerate(header(base)):
        if name.startswith("INS_"):
            cells[k] = "57"
    report = validate_responses(write(tmp_path, "responses.csv", base + ",".join(cells) + "\n"),
                                bank=bank)
    assert texts(report) == ["responses.csv, row 14: this looks like a totals row ('Total'), not a "
                             "respondent; it was left out (delete it from the file)"]
    assert report.counts["n_respondents"] == 12 and report.source["dropped"] == {"summary": 1}


def test_totals_row_without_label(base, bank, tmp_path):
    cells = [""] * len(header(base))
    for k, name in enumerate(header(base)):
        if name.startswith("COM_"):
            cells[k] = "61"
    report = validate_responses(write(tmp_path, "responses.csv", base + ",".join(cells) + "\n"),
                                bank=bank)
    assert [p.rule for p in report.problems] == ["summary_row"]
    assert "no respondent id, and 61 is not an answer code" in texts(report)[0]


def test_codes_mixed_with_labels(base, bank, tmp_path):
    text = set_cell(set_cell(set_cell(base, 2, "INS_C1", "Strongly agree"), 3, "INS_C1", "Helt enig"),
                    4, "INS_C1", " uenig ")
    p = write(tmp_path, "responses.csv", text)
    report = validate_responses(p, bank=bank)
    assert report.exit_code == 0
    assert warnings(report) == ["responses.csv, column INS_C1: the column mixes codes and labels; "
                                "3 label(s) were read as their codes"]
    assert read_responses(p, bank=bank).table["INS_C1"].tolist()[:3] == [7, 7, 2]
    report = validate_responses(write(tmp_path, "r2.csv", set_cell(text, 5, "INS_C1", "Meget enig")),
                                bank=bank)
    assert texts(report) == ["r2.csv, row 5, column INS_C1: unknown label 'Meget enig' (expected "
                             "1..7 (or 99 = don't know), or a label of the scale such as "
                             "'Strongly agree' / 'Helt enig')"]


def test_dont_know_label_and_code(base, bank, tmp_path):
    text = set_cell(set_cell(base, 2, "INS_C1", "Ved ikke / ikke relevant"), 3, "INS_C1", "99")
    data = read_responses(write(tmp_path, "responses.csv", text), bank=bank)
    assert data.table["INS_C1"].iloc[:2].isna().all()
    assert data.dont_know["INS_C1"].iloc[:2].all()


def test_duplicated_ids(base, bank, tmp_path):
    text = set_cell(set_cell(base, 4, "respondent_id", "1"), 9, "respondent_id", "1")
    report = validate_responses(write(tmp_path, "responses.csv", text), bank=bank)
    assert texts(report) == [
        "responses.csv, row 4, column respondent_id: respondent id '1' is also on row 2",
        "responses.csv, row 9, column respondent_id: respondent id '1' is also on row 2"]


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_file(content, bank, tmp_path):
    report = validate_responses(write(tmp_path, "responses.csv", content), bank=bank)
    assert report.exit_code == 2
    assert texts(report) == ["responses.csv: the file is empty"]
    with pytest.raises(UnreadableFileError, match="the file is empty"):
        read_responses(tmp_path / "responses.csv", bank=bank)


def test_header_only(base, bank, tmp_path):
    report = validate_responses(write(tmp_path, "responses.csv", base.splitlines()[0] + "\n"), bank=bank)
    assert report.exit_code == 1
    assert texts(report) == ["responses.csv: no respondents: the file has a header but no data rows"]


def test_unreadable_files(bank, tmp_path):
    cases = {
        "binary.csv": (bytes(range(256)) * 8, "this is not a text file"),
        "foreign.csv": ("name,age\nAnna,41\n", "none of the columns belongs to instrument"),
        "old.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old Excel .xls workbook"),
        "fake.sav": ("respondent_id\n1\n", "not a valid SPSS file"),
    }
    for name, (content, message) in cases.items():
        report = validate_responses(write(tmp_path, name, content), bank=bank)
        assert report.exit_code == 2, name
        assert message in texts(report)[0], name
    report = validate_responses(tmp_path / "missing.csv", bank=bank)
    assert (report.exit_code, texts(report)) == (2, ["missing.csv: no such file"])


def test_kobo_label_headers_hint(table, bank, tmp_path):
    p = write_simulated(table, tmp_path / "k.csv", "kobo", bank=bank)
    df = pd.read_csv(p, sep=";", dtype=str)
    df.columns = [c if c.startswith("_") else f"Question {k}" for k, c in enumerate(df.columns)]
    df.to_csv(tmp_path / "labels.csv", sep=";", index=False)
    report = validate_responses(tmp_path / "labels.csv", bank=bank)
    assert report.exit_code == 2
    assert "export from KoboToolbox with 'XML values and headers'" in texts(report)[0]


# ------------------------------------------------------------------ validation rules
def test_every_problem_is_listed_in_house_style(base, bank, tmp_path):
    text = set_cell(base, 2, "COM_C3", "9")
    text = set_cell(text, 3, "INS_C2", "4.5")
    text = set_cell(text, 4, "service_area", "elderly")
    text = set_cell(text, 6, "sector", "")
    text = set_cell(text, 7, "years_coproduction", "75")
    p = write(tmp_path, "responses.csv", text)
    before = (hashlib.sha256(p.read_bytes()).hexdigest(), os.stat(p).st_mtime_ns)
    report = validate_responses(p, bank=bank)
    assert report.exit_code == 1
    assert texts(report) == [
        "responses.csv, row 2, column COM_C3: value 9 is outside 1..7 (or 99 = don't know)",
        "responses.csv, row 3, column INS_C2: value 4.5 is not a whole number (expected 1..7 (or "
        "99 = don't know))",
        "responses.csv, row 4, column service_area: 'elderly' is not a choice of service_area "
        "(expected one of elderly_care, integration, other)",
        "responses.csv, row 6, column sector: sector is missing, so the answers to sector-specific "
        "questions cannot be assigned",
        "responses.csv, row 7, column years_coproduction: value 75 is outside 0..60",
    ]
    first = report.problems[0]
    assert (first.file, first.row, first.column, first.value, first.rule) == (
        "responses.csv", 2, "COM_C3", "9", "out_of_range")
    # the input file is never modified
    assert (hashlib.sha256(p.read_bytes()).hexdigest(), os.stat(p).st_mtime_ns) == before
    d = json.loads(json.dumps(report.to_dict()))
    assert d["exit_code"] == 1 and d["n_problems"] == 5
    assert d["problems"][0] == {"file": "responses.csv", "row": 2, "column": "COM_C3", "value": "9",
                                "rule": "out_of_range", "severity": "error",
                                "message": "value 9 is outside 1..7 (or 99 = don't know)",
                                "text": texts(report)[0]}
    assert set(d["by_rule"]) <= set(RULES) and d["rules"]["out_of_range"] == RULES["out_of_range"]
    # strict reading raises with every problem; lenient reading keeps the data
    with pytest.raises(ResponseDataError) as exc:
        read_responses(p, bank=bank)
    assert len(exc.value.problems) == 5
    data = read_responses(p, bank=bank, strict=False)
    assert pd.isna(data.table["COM_C3"].iloc[0]) and len(data.problems) == 5


def test_items_of_the_other_sector(table, bank, tmp_path):
    t = table.copy()
    vol = t.index[t["sector"] == "voluntary"][0]
    mun = t.index[t["sector"] == "municipal"][0]
    t.loc[vol, "INS_M1"] = 5  # a municipal facet item answered by a volunteer
    t.loc[mun, "role"] = "frontline_volunteer"
    p = write_simulated(t, tmp_path / "responses.csv", "csv", bank=bank)
    report = validate_responses(p, bank=bank)
    assert f"responses.csv, row {vol + 2}, column INS_M1: value 5 answered, but INS_M1 is asked of " \
           "municipal respondents only (this respondent is voluntary)" in texts(report)
    assert f"responses.csv, row {mun + 2}, column role: 'frontline_volunteer' is not offered to " \
           "municipal respondents (choices for municipal: manager, frontline_employee, " \
           "volunteer_coordinator)" in texts(report)


def test_other_sector_field_in_a_platform_export(table, bank, tmp_path):
    p = write_simulated(table, tmp_path / "kobo.csv", "kobo", bank=bank)
    df = pd.read_csv(p, sep=";", dtype=str, keep_default_na=False)
    k = df.index[df["sector"] == "municipal"][0]
    df.loc[k, "INS_C1_v"] = "6"
    df.to_csv(p, sep=";", index=False)
    report = validate_responses(p, bank=bank)
    assert texts(report) == [f"kobo.csv, row {k + 2}, column INS_C1_v: value 6 answered, but "
                             "INS_C1_v is asked of voluntary respondents only (this respondent is "
                             "municipal)"]


def test_unknown_and_missing_columns(base, bank, tmp_path):
    lines = base.splitlines(keepends=True)
    h = header(base)
    j = h.index("INS_C2")
    out = []
    for k, line in enumerate(lines):
        cells = line.rstrip("\n").split(",")
        del cells[j]
        cells.insert(1, "Q99" if k == 0 else "x")
        out.append(",".join(cells) + "\n")
    path = write(tmp_path, "responses.csv", "".join(out))
    report = validate_responses(path, bank=bank)
    assert texts(report) == ["responses.csv, column INS_C2: column INS_C2 (INS_C2) is missing"]
    assert [str(w) for w in report.warnings] == [
        "responses.csv: 1 column(s) that are not part of instrument coprod-ambivalence were kept "
        "aside, not read: Q99 (validate --strict reports them as problems)"]
    strict = validate_responses(path, bank=bank, strict_columns=True)
    assert texts(strict) == [
        "responses.csv, column Q99: unknown column (not a column of instrument coprod-ambivalence "
        "in a canonical-table file)",
        "responses.csv, column INS_C2: column INS_C2 (INS_C2) is missing"]


def test_renamed_item_column_gets_a_suggestion(bank, tmp_path):
    """A hand-renamed item column is not a custom column: it names the missing one (issue 15,
    item 4); a municipality's own question is kept aside and the file analyses."""
    from coprod.analysis.responses import simulate

    p = write_simulated(simulate(30, seed=4, bank=bank), tmp_path / "kobo.csv", "kobo", bank=bank)
    df = pd.read_csv(p, sep=";", dtype=str, keep_default_na=False)
    df = df.rename(columns={"COM_C2_m": "com_c2_M "})
    df.insert(5, "kommune_egen_q1", "ja")
    df.to_csv(p, sep=";", index=False)
    report = validate_responses(p, bank=bank)
    assert texts(report) == [
        "kobo.csv, column com_c2_M: unknown column (not a column of instrument coprod-ambivalence "
        "in a KoboToolbox/ODK file); did you mean COM_C2_m? (column COM_C2_m is missing)",
        "kobo.csv, column COM_C2_m: column COM_C2_m (COM_C2) is missing"]
    assert [w.rule for w in report.warnings] == ["unknown_column"]
    assert "kept aside, not read: kommune_egen_q1 (" in report.warnings[0].message


def test_duplicated_column(base, bank, tmp_path):
    lines = [line.rstrip("\n") + "," + line.split(",")[1] + "\n" for line in base.splitlines()]
    lines[0] = lines[0].rstrip("\n").rsplit(",", 1)[0] + ",sector\n"
    report = validate_responses(write(tmp_path, "responses.csv", "".join(lines)), bank=bank)
    assert [p.rule for p in report.problems] == ["duplicate_column"]


def test_different_instrument_version(base, bank, tmp_path):
    report = validate_responses(write(tmp_path, "old.csv", base.replace(bank.version, "0.9+abc")),
                                bank=bank)
    assert texts(report) == [f"old.csv, column instrument_version: the file was collected with "
                             f"instrument version 0.9+abc, but the item bank is version "
                             f"{bank.version}; check that items and codes still match"]
    report = validate_responses(write(tmp_path, "edited.csv", base.replace(
        bank.version, bank.base_version + "+0000")), bank=bank)
    assert report.exit_code == 0 and [w.rule for w in report.warnings] == ["version_mismatch"]


def test_qualtrics_previews_and_consent(table, bank, tmp_path):
    t = table.copy()
    p = write_simulated(t, tmp_path / "q.csv", "qualtrics", bank=bank)
    df = pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False, header=None)
    consent_col = list(df.iloc[0]).index("consent")
    df.iloc[5, consent_col] = "2"  # "no" (second choice)
    df.to_csv(p, header=False, index=False, encoding="utf-8-sig")
    data = read_responses(p, bank=bank)
    assert data.n == 11 and data.source["dropped"] == {"preview": 2, "no_consent": 1}
    assert sorted(w.message for w in data.warnings) == [
        "1 respondent(s) who did not consent were left out",
        "2 preview response(s) (Status column) were left out"]


def test_blank_rows_are_skipped_but_counted(base, bank, tmp_path):
    lines = base.splitlines(keepends=True)
    text = "".join(lines[:4] + ["\n", "," * (len(header(base)) - 1) + "\n"] + lines[4:])
    text = set_cell(text, 8, "COM_C1", "0")
    report = validate_responses(write(tmp_path, "responses.csv", text), bank=bank)
    assert report.source["dropped"] == {"blank": 2}
    assert texts(report) == ["responses.csv, row 8, column COM_C1: value 0 is outside 1..7 "
                             "(or 99 = don't know)"]


def test_report_counts_and_summary(table, bank, tmp_path):
    p = write_simulated(table, tmp_path / "responses.csv", "csv", bank=bank)
    report = validate_responses(p, bank=bank)
    assert report.exit_code == 0 and report.ok
    assert report.summary().startswith("responses.csv: 12 respondent(s), canonical table, no problems")
    c = report.counts
    assert c["n_respondents"] == 12 and set(c["flags"]) == {
        "straightlining", "attention_failed", "speeding", "missingness", "flagged"}
    assert c["dont_know"] == sum(c["dont_know_by_column"].values())
    assert report.to_frame().empty


def test_xlsx_with_title_and_totals_rows(table, bank, tmp_path):
    import openpyxl

    p = write_simulated(table, tmp_path / "r.xlsx", "xlsx", bank=bank)
    wb = openpyxl.load_workbook(p)
    ws = wb.active
    ws.insert_rows(1)
    ws.cell(row=1, column=1, value="Responses exported 3 March 2025")
    last = ws.max_row + 1
    ws.cell(row=last, column=1, value="I alt")
    names = [c.value for c in ws[2]]
    ws.cell(row=last, column=names.index("INS_C1") + 1, value=60)
    ws.cell(row=4, column=names.index("REP_C2") + 1, value=8)
    wb.save(p)
    report = validate_responses(p, bank=bank)
    assert warnings(report) == ["r.xlsx: the header is on row 2; row 1 above it ('Responses "
                                "exported 3 March 2025') was skipped"]
    assert texts(report) == [
        "r.xlsx, row 4, column REP_C2: value 8 is outside 1..7 (or 99 = don't know)",
        f"r.xlsx, row {last}: this looks like a totals row ('I alt'), not a respondent; it was "
        "left out (delete it from the file)"]


def test_spss_value_labels_with_other_codes(table, bank, tmp_path):
    import pyreadstat

    p = write_simulated(table, tmp_path / "r.sav", "sav", bank=bank)
    df, meta = pyreadstat.read_sav(str(p), user_missing=True)
    labels = dict(meta.variable_value_labels)
    df["service_area"] = df["service_area"] * 10  # codes 10/20/30, labels kept
    labels["service_area"] = {k * 10: v for k, v in labels["service_area"].items()}
    pyreadstat.write_sav(df, str(p), variable_value_labels=labels,
                         missing_ranges={k: [99.0] for k in labels if k not in
                                         ("sector", "role", "service_area", "organisation_type",
                                          "contact_frequency", "coproduction_level")})
    data = read_responses(p, bank=bank)
    assert data.table["service_area"].tolist() == table["service_area"].tolist()
    assert data.source["container"] == "sav"


def test_limesurvey_incomplete_and_sgqa(table, bank, tmp_path):
    p = write_simulated(table, tmp_path / "ls.csv", "limesurvey", bank=bank)
    df = pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    df.loc[2, "submitdate"] = ""
    df.to_csv(p, index=False, encoding="utf-8-sig")
    report = validate_responses(p, bank=bank)
    assert report.exit_code == 0
    assert [w.message for w in report.warnings] == [
        "1 incomplete response(s) (no submitdate) were kept; the missingness flag marks those "
        "with most items unanswered"]
    df.columns = ["id", "submitdate", "lastpage", "startlanguage", "seed"] + [
        f"123456X{k}X{k + 10}" for k in range(len(df.columns) - 5)]
    df.to_csv(tmp_path / "sgqa.csv", index=False, encoding="utf-8-sig")
    report = validate_responses(tmp_path / "sgqa.csv", bank=bank)
    assert report.exit_code == 2
    assert "LimeSurvey SGQA headings: export with headings 'Question code'" in texts(report)[0]


def test_municipality_spellings_are_grouped_and_reported(bank, tmp_path):
    """'aarhus kommune' beside 'Aarhus' is one municipality, said once per spelling (issue 15,
    item 5); a groups file maps what normalising cannot."""
    from coprod.analysis.responses import simulate

    sim = simulate(40, seed=8, bank=bank)
    sim["municipality"] = ["Aarhus"] * 20 + ["aarhus kommune"] * 12 + [" Aarhus  Kommune"] * 3 \
        + ["Århus"] * 2 + ["Odense"] * 3
    p = write_simulated(sim, tmp_path / "kobo.csv", "kobo", bank=bank)
    report = validate_responses(p, bank=bank)
    assert report.exit_code == 0
    assert [str(w) for w in report.warnings if w.rule == "group_spelling"] == [
        "kobo.csv, column municipality: 'aarhus kommune' (12 rows) grouped with 'Aarhus'",
        "kobo.csv, column municipality: 'Aarhus  Kommune' (3 rows) grouped with 'Aarhus'"]
    groups = write(tmp_path, "groups.csv", "spelling,group\nÅrhus,Aarhus\n")
    data = read_responses(p, bank=bank, groups=groups, strict=False)
    assert data.table["municipality"].value_counts().to_dict() == {"Aarhus": 37, "Odense": 3}
    assert "'Århus' (2 rows) grouped with 'Aarhus' (by the groups file)" in [
        w.message for w in data.warnings]
    bad = write(tmp_path, "bad.csv", "Århus,Aarhus\nodense\n")
    assert validate_responses(p, bank=bank, groups=bad).problems[0].message == (
        "bad.csv, row 2: expected two cells, a spelling and its group (got 'odense')")
