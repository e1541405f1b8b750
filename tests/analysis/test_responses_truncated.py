"""Truncated and ragged CSV exports are problems (issue 12, item 5): a row with fewer or more
fields than the header, a file cut in the middle of a row or inside a quoted field. Each is
reported with the file, the row (numbered as every other problem) and the field counts;
``coprod validate`` exits 1 and ``coprod analyze`` writes nothing."""
from __future__ import annotations

import subprocess
import sys

import pytest

from coprod.analysis.responses import ProblemCode, simulate
from coprod.responses import read_responses, validate_responses, write_simulated


@pytest.fixture(scope="module")
def lines(tmp_path_factory):
    path = write_simulated(simulate(40, seed=1), tmp_path_factory.mktemp("sim") / "r.csv", "csv")
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n") and '"' not in text
    out = text[:-1].split("\n")
    assert len(out[0].split(",")) == 87 and len(out) == 41
    return out


def _cut(rows, at, keep):
    fields = rows[at].split(",")
    return rows[:at] + [",".join(fields[:keep])] + rows[at + 1:]


def _cases(lines):
    short = _cut(lines, 6, 20)
    mid = _cut(lines, 40, 41)
    quote = _cut(lines, 40, 30)
    quote[-1] += ',"unfinished text'
    quote_nl = _cut(lines, 40, 30)
    quote_nl[-1] += ',"two\nlines'
    long = lines.copy()
    long[3] += ",9,9"
    first_long = lines.copy()
    first_long[1] += ",9"
    return {
        # name: (text, rule, the message)
        "short": ("\n".join(short) + "\n", "short_row",
                  "r.csv, row 7: the row has 20 of the header's 87 fields; the rest is missing "
                  "(a cut or damaged export)"),
        "mid_row": ("\n".join(mid), "cut_file",
                    "r.csv, row 41: the file ends in the middle of a row: its last row has 41 of "
                    "the header's 87 fields"),
        "open_quote": ("\n".join(quote), "cut_file",
                       "r.csv, row 41: the file ends inside a quoted field, so its last row is cut "
                       "off: it has 31 of the header's 87 fields"),
        "open_quote_newline": ("\n".join(quote_nl) + "\n", "cut_file",
                               "r.csv, row 41: the file ends inside a quoted field, so its last row "
                               "is cut off: it has 31 of the header's 87 fields"),
        "long": ("\n".join(long) + "\n", "long_row",
                 "r.csv, row 4: the row has 89 fields, 2 more than the header's 87; the extra "
                 "fields were left out"),
        "first_row_long": ("\n".join(first_long) + "\n", "long_row",
                           "r.csv, row 2: the row has 88 fields, 1 more than the header's 87; the "
                           "extra fields were left out"),
    }


CASES = ["short", "mid_row", "open_quote", "open_quote_newline", "long", "first_row_long"]


def _coprod(*args):
    proc = subprocess.run([sys.executable, "-m", "coprod", *args], capture_output=True, text=True)
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc


@pytest.mark.parametrize("case", CASES)
def test_validate_reports_the_row_and_its_field_count(tmp_path, lines, case):
    text, rule, message = _cases(lines)[case]
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    data = validate_responses(path)
    mine = [p for p in data.problems if p.rule == rule]
    assert [str(p) for p in mine] == [message]
    assert mine[0].row == int(message.split("row ")[1].split(":")[0])
    proc = _coprod("validate", str(path))
    assert proc.returncode == 1
    assert message in proc.stdout.splitlines()


@pytest.mark.parametrize("case", ["short", "mid_row", "open_quote", "long"])
def test_analyze_refuses_the_file_and_writes_nothing(tmp_path, lines, case):
    text, _, message = _cases(lines)[case]
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    proc = _coprod("analyze", str(path), "--out", str(out))
    assert proc.returncode == 1
    assert f"  {message}" in proc.stderr.splitlines()
    assert not out.exists()


def test_the_rest_of_a_long_row_is_read_in_place(tmp_path, lines):
    """The first data row one field too long is not taken as an index column (shifting cells)."""
    good = tmp_path / "good.csv"
    good.write_text("\n".join(lines) + "\n", encoding="utf-8")
    text, _, _ = _cases(lines)["first_row_long"]
    bad = tmp_path / "r.csv"
    bad.write_text(text, encoding="utf-8")
    a, b = read_responses(good), read_responses(bad, strict=False)
    assert a.table.equals(b.table) and a.table.notna().to_numpy().sum() > 1000
    assert [p.rule for p in b.problems] == [ProblemCode.LONG_ROW]


def test_a_complete_file_without_a_final_newline_is_clean(tmp_path, lines):
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert validate_responses(path).problems == ()


def test_a_short_totals_row_is_reported_once_as_a_totals_row(tmp_path, lines):
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines + ["Total,40"]) + "\n", encoding="utf-8")
    assert [p.rule for p in validate_responses(path).problems] == [ProblemCode.SUMMARY_ROW]


def test_tsv_rows_are_counted_with_tabs(tmp_path, lines):
    tsv = [ln.replace(",", "\t") for ln in _cut(lines, 10, 50)]
    path = tmp_path / "r.tsv"
    path.write_text("\n".join(tsv) + "\n", encoding="utf-8")
    assert [str(p) for p in validate_responses(path).problems] == [
        "r.tsv, row 11: the row has 50 of the header's 87 fields; the rest is missing (a cut or "
        "damaged export)"]
