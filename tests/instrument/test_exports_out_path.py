"""``--out`` is honoured: a path with another extension is an error naming the right one, not a
silently renamed file (issue 15, item 6)."""
from __future__ import annotations

from coprod.cli import main


def test_instrument_build_refuses_a_wrong_extension(tmp_path, capsys):
    out = tmp_path / "form.csv"
    assert main(["instrument", "build", "--format", "xlsform", "--out", str(out), "-q"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --out form.csv: this export is written as .xlsx, not .csv; use --out form.xlsx")
    assert list(tmp_path.iterdir()) == []
    assert main(["instrument", "build", "--format", "codebook", "--out", str(tmp_path / "cb.txt")]) == 2
    assert "written as .json and .csv, not .txt; use --out cb.json (writes cb.json and cb.csv)" in (
        capsys.readouterr().err)


def test_instrument_build_without_an_extension_adds_it(tmp_path):
    assert main(["instrument", "build", "--format", "xlsform", "--out", str(tmp_path / "form"), "-q"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["form.xlsx"]


def test_simulate_refuses_a_wrong_extension(tmp_path, capsys):
    argv = ["simulate", "--n", "5", "--seed", "1", "--out", str(tmp_path / "sim.xlsx"), "-q"]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --out sim.xlsx: a csv file is written as .csv, not .xlsx; use --out sim.csv "
        "(or --format for another format)")
    assert main([*argv, "--format", "xlsx"]) == 0 and (tmp_path / "sim.xlsx").is_file()
