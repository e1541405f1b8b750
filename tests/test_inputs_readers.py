"""Hostile files against the readers (issue 12, items 3-6): a ``.sav`` that crashes pyreadstat,
zip bombs and sheets that pad into millions of cells, tables over the limits (and the flags
raising them), formulas without a saved value and other sheets in a workbook, control characters
in free text, and temporary files left by a killed run."""
from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from coprod.analysis.responses import simulate
from coprod.cli import main
from coprod.instrument.errors import UnreadableFileError
from coprod.instrument.files import remove_stale_temps, write_files
from coprod.instrument.platforms._guard import in_child
from coprod.instrument.platforms._limits import Limits, check_workbook
from coprod.instrument.platforms.spss_stata import read_readstat
from coprod.responses import read_responses, validate_responses, write_simulated
from coprod.workflow import read_table


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    d = tmp_path_factory.mktemp("sim")
    table = simulate(40, seed=5)
    return {fmt: write_simulated(table, d / f"r.{fmt}", fmt) for fmt in ("csv", "xlsx", "sav", "dta")}


def _validate(capsys, *args):
    code = main(["validate", *map(str, args)])
    return code, capsys.readouterr().out


# ------------------------------------------------------------------ item 3: a reader that crashes
def _crashing_sav(path: Path) -> Path:
    """A valid .sav whose value-label record points at variable 43,574: pyreadstat 1.2 reads
    past its array and dies with SIGSEGV (found by flipping one byte of a simulated file)."""
    df = pd.DataFrame({"a": [1.0, 2.0, 1.0], "b": [2.0, 1.0, 2.0]})
    pyreadstat.write_sav(df, str(path), variable_value_labels={"b": {1.0: "no", 2.0: "yes"}})
    b = bytearray(path.read_bytes())
    at = b.index(b"\x04\x00\x00\x00\x01\x00\x00\x00") + 8  # record 4: one variable, its index
    b[at:at + 4] = struct.pack("<i", 43574)
    path.write_bytes(bytes(b))
    return path


def test_the_crashing_sav_does_kill_a_process_that_reads_it_directly(tmp_path):
    p = _crashing_sav(tmp_path / "bad.sav")
    proc = subprocess.run([sys.executable, "-c", "import pyreadstat, sys; pyreadstat.read_sav(sys.argv[1])",
                           str(p)], capture_output=True)
    assert proc.returncode == -11  # SIGSEGV: what the child process below absorbs


def test_a_reader_crash_is_cannot_be_read_in_validate(tmp_path, capsys):
    p = _crashing_sav(tmp_path / "bad.sav")
    code, out = _validate(capsys, p)
    assert code == 2
    assert out.splitlines()[0] == "bad.sav: cannot be read (the reader crashed: SIGSEGV)"


def test_a_reader_crash_is_cannot_be_read_in_spec_mode(tmp_path):
    p = _crashing_sav(tmp_path / "bad.sav")
    with pytest.raises(UnreadableFileError) as info:
        read_table(p)
    assert str(info.value) == f"{p}: cannot be read (the reader crashed: SIGSEGV)"


def test_a_reader_that_hangs_is_stopped():
    t0 = time.perf_counter()
    with pytest.raises(UnreadableFileError) as info:
        in_child(time.sleep, 30, name="slow.sav", timeout=1)
    assert str(info.value) == "slow.sav: cannot be read (the reader did not finish within 1 s)"
    assert time.perf_counter() - t0 < 5


def test_the_child_reads_what_the_reader_reads(sim):
    direct = read_readstat(sim["sav"], "sav", user_missing=True)
    child = in_child(read_readstat, sim["sav"], "sav", Limits(), True, name="r.sav")
    pd.testing.assert_frame_equal(child[0], direct[0])
    assert child[1:] == direct[1:]


# ------------------------------------------------------------------ item 4: limits
def _workbook_with_sheet(src: Path, out: Path, sheet: bytes, compress=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", compress) as zout:
        for i in zin.infolist():
            name = i.filename
            zout.writestr(name, sheet if name == "xl/worksheets/sheet1.xml" else zin.read(name))
    return out


HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData>')


def test_a_zip_bomb_is_refused_from_the_zip_directory_within_5_seconds(sim, tmp_path, capsys):
    row = b'<row><c t="n"><v>1</v></c></row>'
    p = _workbook_with_sheet(sim["xlsx"], tmp_path / "bomb.xlsx",
                             HEAD + row * (200_000_000 // len(row)) + b"</sheetData></worksheet>")
    assert p.stat().st_size < 1_000_000
    t0 = time.perf_counter()
    code, out = _validate(capsys, p)
    assert time.perf_counter() - t0 < 5
    assert code == 2
    assert out.splitlines()[0] == (
        "bomb.xlsx: cannot be read (xl/worksheets/sheet1.xml unpacks from 473.9 KB to 190.7 MB, "
        "412 times its size, the mark of a zip bomb; a workbook member may unpack to at most 100 "
        "times its size)")
    with pytest.raises(UnreadableFileError, match=r"the mark of a zip bomb"):
        read_table(p)  # spec mode checks it too


def test_a_workbook_over_the_unpacked_limit_is_refused(sim):
    with pytest.raises(UnreadableFileError) as info:
        check_workbook(sim["xlsx"].read_bytes(), "r.xlsx", Limits(max_unpacked=10_000))
    assert str(info.value).startswith("r.xlsx: cannot be read (the workbook unpacks to ")
    assert str(info.value).endswith("; the limit is 9.8 KB)")


def test_a_sheet_whose_cells_lie_far_apart_is_refused_within_5_seconds(sim, tmp_path, capsys):
    rows = b"".join(b'<row r="%d"><c r="A%d" t="n"><v>1</v></c><c r="XFD%d" t="n"><v>2</v></c></row>'
                    % (i, i, i) for i in range(1, 3000))
    p = _workbook_with_sheet(sim["xlsx"], tmp_path / "wide.xlsx", HEAD + rows + b"</sheetData></worksheet>")
    assert p.stat().st_size < 100_000
    t0 = time.perf_counter()
    code, out = _validate(capsys, p)
    assert time.perf_counter() - t0 < 5
    assert code == 2
    assert out.splitlines()[0] == (
        "wide.xlsx: cannot be read (sheet 'responses' has more than 10,000,000 cells (counting the "
        "empty cells the sheet spans) in its first 611 rows; the limit is 10,000,000: raise it with "
        "--max-cells)")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav", "dta"])
def test_rows_over_the_limit_are_refused_and_the_flag_raises_it(sim, capsys, fmt):
    p = sim[fmt]
    code, out = _validate(capsys, p, "--max-rows", "30")
    assert code == 2
    if fmt == "csv":
        assert out.splitlines()[0] == "r.csv: cannot be read (it has 41 lines; the limit is 30: raise it with --max-rows)"
    elif fmt == "xlsx":
        assert out.splitlines()[0] == ("r.xlsx: cannot be read (sheet 'responses' has more than 30 rows; "
                                       "the limit is 30: raise it with --max-rows)")
    else:
        assert out.splitlines()[0] == f"r.{fmt}: cannot be read (it has 40 rows; the limit is 30: raise it with --max-rows)"
    code, out = _validate(capsys, p, "--max-rows", "100")
    assert code in (0, 1) and "cannot be read" not in out


def test_columns_and_cells_over_the_limit_are_refused(sim, capsys):
    code, out = _validate(capsys, sim["sav"], "--max-columns", "50")
    assert (code, out.splitlines()[0]) == (
        2, "r.sav: cannot be read (it has 87 columns; the limit is 50: raise it with --max-columns)")
    code, out = _validate(capsys, sim["csv"], "--max-cells", "1000")
    assert (code, out.splitlines()[0]) == (
        2, "r.csv: cannot be read (it has about 3,567 cells; the limit is 1,000: raise it with --max-cells)")


def test_spec_mode_reads_within_the_limits_too(sim):
    with pytest.raises(UnreadableFileError) as info:
        read_table(sim["sav"], limits=Limits(max_rows=10))
    assert str(info.value) == f"{sim['sav']}: cannot be read (it has 40 rows; the limit is 10: raise it with --max-rows)"


# ------------------------------------------------------------------ item 5: what a workbook hides
def test_other_sheets_are_named_and_the_sheet_read_is_stated(sim, tmp_path):
    wb = openpyxl.load_workbook(sim["xlsx"])
    wb.create_sheet("notes").append(["exported by hand"])
    p = tmp_path / "two.xlsx"
    wb.save(p)
    report = validate_responses(p)
    texts = [str(w) for w in report.warnings]
    assert ("two.xlsx: the workbook has 2 sheets; sheet 'responses' was read (the one naming most "
            "columns of the instrument), not 'notes'") in texts


def test_a_formula_without_a_saved_value_is_a_problem_naming_sheet_and_cell(sim, tmp_path, capsys):
    wb = openpyxl.load_workbook(sim["xlsx"])
    ws = wb["responses"]
    col = next(c.column_letter for c in ws[1] if c.value == "INS_C1")
    ws[f"{col}5"] = "=2+1"  # openpyxl saves no value for it, as a script-made workbook would
    p = tmp_path / "f.xlsx"
    wb.save(p)
    code, out = _validate(capsys, p)
    assert code == 1
    assert (f"f.xlsx, row 5: sheet 'responses', cell {col}5: the formula '=2+1' has no saved value, "
            "so the cell reads as empty; open the workbook in Excel and save it (or export the sheet "
            "as CSV)") in out.splitlines()


def test_spec_mode_names_other_sheets_and_formulas(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(["a", "b"])
    for i in range(5):
        ws.append([i, i + 1])
    ws["B3"] = "=A3*2"
    wb.create_sheet("other").append([1])
    p = tmp_path / "t.xlsx"
    wb.save(p)
    from coprod.workflow import _read_table

    _, notes = _read_table(p)
    assert notes == [
        "t.xlsx: the workbook has 2 sheets; sheet 'data' was read (the one naming most columns of "
        "the instrument), not 'other'",
        "t.xlsx, row 3: sheet 'data', cell B3: the formula '=A3*2' has no saved value, so the cell "
        "reads as empty; open the workbook in Excel and save it (or export the sheet as CSV)"]


# ------------------------------------------------------------------ item 6: control characters, temp files
def test_control_characters_in_free_text_are_removed_with_a_warning(sim, tmp_path):
    lines = sim["csv"].read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    j = header.index("municipality")
    row = lines[30].split(",")
    row[j] = "K\x00\x1b[31mge"
    lines[30] = ",".join(row)
    p = tmp_path / "c.csv"
    p.write_text("\n".join(lines), encoding="utf-8")
    data = read_responses(p, strict=False)
    w = [str(x) for x in data.warnings if "control" in str(x)]
    assert w == ["c.csv, row 31, column municipality: 1 cell(s) held control characters (NUL, ESC); "
                 "they were removed"]
    assert data.table["municipality"].iloc[29] == "K[31mge"
    assert not any(isinstance(v, str) and "\x00" in v for v in data.table["municipality"])


def test_a_killed_runs_temp_files_are_removed_by_the_next_write(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(done.stdout)
    stale = tmp_path / f".results.json.coprod-{dead}-abc123.tmp"
    stale.write_text("half")
    live = tmp_path / f".report.html.coprod-{os.getppid()}-xyz.tmp"
    live.write_text("being written")
    other = tmp_path / ".notes.tmp"
    other.write_text("not ours")
    write_files({tmp_path / "results.json": "{}"})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name, "results.json"])
    assert remove_stale_temps(tmp_path) == []


def test_temp_files_are_named_for_the_next_run_to_find(tmp_path, monkeypatch):
    seen = []
    real = os.replace

    def spy(src, dst):
        seen.append(Path(src).name)
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_files({tmp_path / "a.txt": "x"})
    assert len(seen) == 1 and seen[0].startswith(f".a.txt.coprod-{os.getpid()}-") and seen[0].endswith(".tmp")


# ------------------------------------------------------------------ item 4: model size
def _wide_table(path: Path, rows: int, cols: int) -> list[str]:
    import numpy as np

    names = [f"x{i}" for i in range(cols)]
    pd.DataFrame(np.random.default_rng(1).integers(1, 6, (rows, cols)), columns=names).to_csv(path, index=False)
    return names


def test_a_model_with_200_factors_is_refused_before_it_is_allocated(tmp_path):
    data = tmp_path / "wide.csv"
    _wide_table(data, 300, 400)
    spec = tmp_path / "big.yaml"
    spec.write_text("cfa: |\n" + "".join(f"  F{k} =~ x{2 * k} + x{2 * k + 1}\n" for k in range(200)))
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "coprod", "analyze", str(data), "--spec", str(spec),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert time.perf_counter() - t0 < 30
    assert (proc.returncode, proc.stderr) == (
        1, "error: cfa: the model has 20,700 free parameters; at most 2,000 are estimated (the "
           "information matrix holds parameters² numbers)\n")
    assert not (tmp_path / "out").exists()


def test_a_model_with_more_parameters_than_rows_is_refused(tmp_path):
    from coprod.analysis.errors import ModelSpecError
    from coprod.analysis.sem.size import check_model_size

    names = [f"x{i}" for i in range(60)]
    model = "".join(f"F{k} =~ x{3 * k} + x{3 * k + 1} + x{3 * k + 2}\n" for k in range(20))
    with pytest.raises(ModelSpecError) as info:
        check_model_size(model, names, n_rows=300, what="cfa")
    assert str(info.value) == ("cfa: the model has 310 free parameters but the data have 300 rows; "
                               "a model needs at least as many rows as free parameters")
    check_model_size(model, names, n_rows=310, what="cfa")  # as many rows as parameters: fitted


def test_thousands_of_factors_are_refused_without_listing_their_covariances():
    from coprod.analysis.errors import ModelSpecError
    from coprod.analysis.sem.size import check_model_size

    model = "".join(f"F{k} =~ x{k} + y{k}\n" for k in range(5000))
    t0 = time.perf_counter()
    with pytest.raises(ModelSpecError, match=r"^cfa: the model has 5000 factors, whose covariances "
                                             r"alone are 12,497,500 free parameters"):
        check_model_size(model, [], n_rows=10, what="cfa")
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize("module", ["coprod.instrument.platforms._guard", "coprod.instrument.platforms._limits",
                                    "coprod.instrument.platforms._workbook", "coprod.analysis.sem.size"])
def test_the_examples_in_the_docstrings_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_a_number_of_400_digits_is_a_problem_not_a_traceback(sim, tmp_path, capsys):
    """Found by scripts/fuzz.py: pandas' to_numeric raises OverflowError even when coercing."""
    from coprod.instrument.platforms.schema import DURATION

    t = pd.read_csv(sim["csv"], dtype=str, keep_default_na=False)
    t.loc[3, DURATION] = "9" * 400
    t.loc[5, "INS_C1"] = "9" * 400
    p = tmp_path / "big.csv"
    t.to_csv(p, index=False)
    code, out = _validate(capsys, p)
    assert code == 1
    assert any(line.startswith("big.csv, row 7, column INS_C1: unknown label '999") for line in out.splitlines())
