"""Every reader behind one error boundary, and every bad option a one-line message (issue 12,
item 2): a damaged workbook, a truncated SPSS file, a folder given as the data file give
``NAME: cannot be read (reason)`` and exit 2 in ``validate``, ``analyze`` and ``compare``; bad
``--out`` targets, ``--min-cell 0``, ``simulate --n 0``, a malformed ``--codebook`` and a spec
nested too deeply give one line and exit 2. Nothing is written, no traceback is printed."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from coprod.analysis.responses import simulate
from coprod.cli import main
from coprod.responses import write_simulated


def cli(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "coprod", *args], capture_output=True, text=True)
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """A small canonical table written as CSV, XLSX and SAV."""
    d = tmp_path_factory.mktemp("sim")
    table = simulate(40, seed=3)
    return {fmt: write_simulated(table, d / f"r.{fmt}", fmt) for fmt in ("csv", "xlsx", "sav")}


def _damaged_xlsx(src: Path, out: Path, kind: str) -> str:
    """A damaged copy of a workbook and the reason the boundary gives for it."""
    data = src.read_bytes()
    if kind == "cut":
        out.write_bytes(data[:len(data) // 2])
        return r"BadZipFile: File is not a zip file"
    zin = zipfile.ZipFile(src)
    sheet = "xl/worksheets/sheet1.xml"
    if kind == "crc":  # stored uncompressed, one byte of the sheet changed
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zout:
            for i in zin.infolist():
                zout.writestr(i.filename, zin.read(i.filename))
        b = bytearray(out.read_bytes())
        b[b.index(b"<sheetData>") + 3] ^= 0x01
        out.write_bytes(bytes(b))
        return rf"BadZipFile: Bad CRC-32 for file '{sheet}'"
    if kind == "xml":
        with zipfile.ZipFile(out, "w") as zout:
            for i in zin.infolist():
                d = zin.read(i.filename)
                zout.writestr(i.filename, d[:len(d) // 2] if i.filename == sheet else d)
        return "ParseError: no element found: line 1, column [0-9]+"
    raise AssertionError(kind)


COMMANDS = {
    "validate": lambda p, out: ["validate", str(p)],
    "analyze": lambda p, out: ["analyze", str(p), "--out", str(out), "--no-report"],
    "compare": lambda p, out: ["compare", str(p), "--by", "sector", "--out", str(out)],
}


def _run(capsys, args):
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _said(command: str, out: str, err: str, message: str) -> bool:
    """validate prints the problem (and its summary) to stdout; analyze/compare one error line.
    ``message`` is a regular expression."""
    if command == "validate":
        return re.fullmatch(message, out.splitlines()[0]) is not None
    return re.fullmatch(f"error: {message}\n", err) is not None


@pytest.mark.parametrize("kind", ["cut", "crc", "xml"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_damaged_workbook_cannot_be_read_in_every_command(sim, tmp_path, capsys, kind, command):
    p = tmp_path / "d.xlsx"
    reason = _damaged_xlsx(sim["xlsx"], p, kind)
    out = tmp_path / "out"
    code, stdout, stderr = _run(capsys, COMMANDS[command](p, out))
    assert code == 2
    assert _said(command, stdout, stderr, rf"d\.xlsx: cannot be read \({reason}\)"), (stdout, stderr)
    assert not out.exists()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_truncated_sav_cannot_be_read_in_every_command(sim, tmp_path, capsys, command):
    p = tmp_path / "cut.sav"
    b = sim["sav"].read_bytes()
    p.write_bytes(b[:len(b) // 2])
    out = tmp_path / "out"
    code, stdout, stderr = _run(capsys, COMMANDS[command](p, out))
    assert code == 2
    assert _said(command, stdout, stderr,
                 r"cut\.sav: cannot be read \(ReadstatError: File did not contain the expected "
                 r"number of rows\)")
    assert not out.exists()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_folder_as_the_data_file_cannot_be_read(tmp_path, capsys, command):
    d = tmp_path / "data.csv"
    d.mkdir()
    code, stdout, stderr = _run(capsys, COMMANDS[command](d, tmp_path / "out"))
    assert code == 2
    if command == "validate":
        assert stdout.splitlines()[0] == "data.csv: cannot be read (it is a folder, not a file)"
    else:
        assert stderr == f"error: {d}: cannot be read (it is a folder, not a file)\n"


def test_the_input_is_never_changed(sim, tmp_path, capsys):
    p = tmp_path / "d.xlsx"
    _damaged_xlsx(sim["xlsx"], p, "xml")
    before = p.read_bytes()
    for command, args in COMMANDS.items():
        _run(capsys, args(p, tmp_path / "out"))
    assert p.read_bytes() == before and sorted(x.name for x in tmp_path.iterdir()) == ["d.xlsx"]


# ----------------------------------------------------------------------------- bad options
def _usage(proc, command: str, message: str) -> None:
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == f"coprod {command}: error: {message} (see coprod {command} --help)\n"


@pytest.mark.parametrize("argv,command,message", [
    (["compare", "d.csv", "--by", "sector", "--out", "o", "--min-cell", "0"], "compare",
     "argument --min-cell: must be 1 or more, not 0"),
    (["report", "r.json", "--out", "r.html", "--min-cell", "-1"], "report",
     "argument --min-cell: must be 1 or more, not -1"),
    (["simulate", "--n", "0", "--seed", "1", "--out", "s.csv"], "simulate",
     "argument --n: must be 1 or more, not 0"),
    (["simulate", "--n", "many", "--seed", "1", "--out", "s.csv"], "simulate",
     "argument --n: not a whole number: 'many'"),
    (["demo", "--n", "0"], "demo", "argument --n: must be 1 or more, not 0"),
    (["validate", "d.csv", "--max-cells", "0"], "validate",
     "argument --max-cells: must be 1 or more, not 0"),
])
def test_a_bad_number_is_one_line_and_exit_2(tmp_path, argv, command, message):
    _usage(cli(*argv), command, message)


def test_bad_out_targets_are_refused_before_any_work(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    d = tmp_path / "adir"
    d.mkdir()
    data = tmp_path / "d.csv"
    data.write_text("a\n1\n")
    cases = [
        (["analyze", str(data), "--out", str(f)], "analyze", f"argument --out: {f} is a file, not a folder"),
        (["compare", str(data), "--by", "sector", "--out", str(f / "sub")], "compare",
         f"argument --out: cannot write {f / 'sub'}: {f} is a file, not a folder"),
        (["simulate", "--n", "5", "--seed", "1", "--out", str(d)], "simulate",
         f"argument --out: {d} is a folder; give the name of the file to write"),
        (["simulate", "--n", "5", "--seed", "1", "--out", str(f / "x.csv")], "simulate",
         f"argument --out: cannot write {f / 'x.csv'}: {f} is a file, not a folder"),
        (["report", str(data), "--out", str(d)], "report",
         f"argument --out: {d} is a folder; give the name of the file to write"),
        (["instrument", "build", "--format", "html", "--out", str(d)], "instrument build",
         f"argument --out: {d} is a folder; give the name of the file to write"),
        (["demo", "--out", str(f)], "demo", f"argument --out: {f} is a file, not a folder"),
    ]
    for argv, command, message in cases:
        _usage(cli(*argv), command, message)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["adir", "afile", "d.csv"]
    assert list(d.iterdir()) == [] and f.read_text() == "x"


@pytest.mark.parametrize("text,reason", [
    ("[1, 2]", "TypeError: a JSON object was expected, not list"),
    ('{"columns": 3}', "KeyError: 'consent'"),
])
@pytest.mark.parametrize("command", ["validate", "analyze"])
def test_a_malformed_codebook_is_one_line_and_exit_2(sim, tmp_path, capsys, text, reason, command):
    cb = tmp_path / "cb.json"
    cb.write_text(text)
    argv = COMMANDS[command](sim["csv"], tmp_path / "out") + ["--codebook", str(cb)]
    code, stdout, stderr = _run(capsys, argv)
    assert (code, stdout) == (2, "")
    assert stderr == (f"error: cb.json: not a codebook of instrument coprod-ambivalence as 'coprod "
                      f"instrument build --format codebook' writes it ({reason})\n")


def test_a_codebook_that_is_not_json_is_one_line(sim, tmp_path, capsys):
    cb = tmp_path / "cb.json"
    cb.write_text("{not json")
    code, stdout, stderr = _run(capsys, ["validate", str(sim["csv"]), "--codebook", str(cb)])
    assert code == 2
    assert stderr == ("error: cb.json: cannot read the codebook (Expecting property name enclosed in "
                      "double quotes: line 1 column 2 (char 1))\n")


@pytest.mark.parametrize("suffix,text,message", [
    (".yaml", "scales: " + "[" * 5000 + "]" * 5000 + "\n",
     "line 1: YAML nesting deeper than 50 levels is not allowed"),
    (".json", '{"scales": ' + "[" * 100_000 + "]" * 100_000 + "}",
     "the JSON is nested too deeply to be a spec"),
])
def test_a_deeply_nested_spec_is_one_line(sim, tmp_path, suffix, text, message):
    spec = tmp_path / f"spec{suffix}"
    spec.write_text(text)
    proc = cli("analyze", str(sim["csv"]), "--spec", str(spec), "--out", str(tmp_path / "out"))
    assert (proc.returncode, proc.stderr) == (1, f"error: {spec}: {message}\n")
    assert not (tmp_path / "out").exists()


def test_a_results_json_nested_too_deeply_is_one_line(tmp_path, capsys):
    r = tmp_path / "results.json"
    r.write_text("[" * 100_000 + "]" * 100_000)
    code, _, stderr = _run(capsys, ["report", str(r), "--out", str(tmp_path / "r.html")])
    assert (code, stderr) == (2, f"error: {r}: not the results.json of coprod analyze (nested too deeply)\n")


def test_an_output_that_cannot_be_written_after_all_is_one_line(sim, tmp_path, capsys, monkeypatch):
    import coprod.instrument.files as files

    def full(*a, **k):
        raise OSError(28, "No space left on device", str(tmp_path / "out" / "results.json"))

    monkeypatch.setattr(files.os, "replace", full)
    code, _, stderr = _run(capsys, ["analyze", str(sim["csv"]), "--out", str(tmp_path / "out"),
                                    "--no-report", "--bootstrap", "0"])
    assert (code, stderr) == (2, f"error: {tmp_path / 'out' / 'results.json'}: No space left on device\n")
    assert not (tmp_path / "out" / "results.json").exists()


def test_json_of_a_clean_run_is_unchanged_by_the_boundary(sim, capsys):
    code, stdout, _ = _run(capsys, ["validate", str(sim["csv"]), "--json"])
    assert code == 0 and json.loads(stdout)["problems"] == []


def test_a_spec_with_an_integer_of_5000_digits_is_one_line(sim, tmp_path):
    """Found by scripts/fuzz.py: PyYAML's int() raises ValueError past Python's 4,300 digits."""
    spec = tmp_path / "spec.yaml"
    spec.write_text("scales:\n  s: [INS_C1, INS_C2]\nscale_min: " + "9" * 5000 + "\n")
    proc = cli("analyze", str(sim["csv"]), "--spec", str(spec), "--out", str(tmp_path / "out"))
    assert (proc.returncode, proc.stderr) == (
        1, f"error: {spec}: not valid YAML: a value cannot be read (Exceeds the limit (4300 digits) for "
           "integer string conversion: value has 5000 digits; use sys.set_int_max_str_digits() to "
           "increase the limit)\n")
