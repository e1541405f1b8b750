"""Hostile inputs to spec mode: YAML aliases and oversize specs refused, and every table the
spec-mode reader cannot read gives one line ``PATH: cannot be read (reason)``, exit 2, nothing
written (issue 12, items 2 and 4)."""
from __future__ import annotations

import subprocess
import sys
import zipfile

import pandas as pd
import pyreadstat
import pytest

from coprod.analysis.errors import ModelSpecError
from coprod.analysis.spec import load_spec
from coprod.instrument.bank import load_bank

SPEC = "scales: {s: [a, b]}\nscale_min: 1\nscale_max: 5\n"


def _table() -> pd.DataFrame:
    a = [1, 2, 3, 4, 5, 2, 3, 4, 1, 5, 3, 2, 4, 4, 5, 1, 2, 3, 5, 4]
    b = [2, 2, 3, 5, 4, 1, 3, 4, 2, 5, 3, 3, 4, 5, 5, 1, 1, 3, 4, 4]
    return pd.DataFrame({"a": a, "b": b, "g": ["x", "y"] * 10})


def _analyze(tmp_path, data, spec_text=SPEC):
    spec = tmp_path / "spec.yaml"
    if not spec.exists():
        spec.write_text(spec_text, encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "coprod", "analyze", str(data), "--spec", str(spec),
                           "--out", str(out), "--no-report"], capture_output=True, text=True)
    assert "Traceback" not in proc.stderr
    return proc, out


# ---------------------------------------------------------------------------- YAML specs
BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_a_spec_with_nested_aliases_is_refused_at_its_first_anchor(tmp_path):
    p = tmp_path / "bomb.yaml"
    p.write_text(BOMB)
    assert len(BOMB.encode()) < 500
    with pytest.raises(ModelSpecError) as info:
        load_spec(p)
    assert str(info.value) == (f"{p}: line 1: YAML anchor &a is not allowed (anchors & and "
                               "aliases * are refused; write the value out)")
    (pr,) = info.value.problems
    assert pr.file == str(p)


def test_an_alias_and_a_merge_key_are_refused_too(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("scale_min: 1\nscale_max: 5\nreverse:\n  - *x\n")
    with pytest.raises(ModelSpecError, match=r"line 4: YAML alias \*x is not allowed"):
        load_spec(p)
    p.write_text("scales: {s: [a, b]}\nbase: &base {a: 1}\nother:\n  <<: *base\n")
    with pytest.raises(ModelSpecError, match=r"line 2: YAML anchor &base is not allowed"):
        load_spec(p)


def test_a_spec_over_one_megabyte_is_refused_before_parsing(tmp_path):
    p = tmp_path / "big.yaml"
    p.write_text("reverse: [" + ", ".join(["a"] * 400_000) + "]\n")
    with pytest.raises(ModelSpecError) as info:
        load_spec(p)
    size = p.stat().st_size
    assert str(info.value) == f"{p}: the file is {size:,} bytes; a spec may be at most 1,000,000 bytes"


def test_a_plain_spec_still_loads_as_safe_load_would(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(SPEC + "cfa: |\n  s =~ a + b\n")
    spec = load_spec(p)
    assert spec.scales == {"s": ("a", "b")} and spec.scale_min == 1 and spec.cfa == "s =~ a + b\n"


def test_the_cli_refuses_the_alias_bomb_with_exit_1(tmp_path):
    data = tmp_path / "d.csv"
    _table().to_csv(data, index=False)
    proc, out = _analyze(tmp_path, data, BOMB)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (f"error: {tmp_path / 'spec.yaml'}: line 1: YAML anchor &a is not "
                                   "allowed (anchors & and aliases * are refused; write the value out)")
    assert not out.exists()


def test_the_bank_loader_refuses_aliases_with_file_and_line(bank_dir_copy):
    items = bank_dir_copy / "meta.yaml"
    items.write_text(items.read_text(encoding="utf-8") + "extra: &x 1\n", encoding="utf-8")
    from coprod.instrument.errors import ItemBankError

    with pytest.raises(ItemBankError) as info:
        load_bank(bank_dir_copy)
    line = items.read_text(encoding="utf-8").count("\n")
    # the file is then not read at all, so the problems of an empty meta.yaml follow
    assert str(info.value.problems[0]) == (
        f"meta.yaml, line {line}: YAML anchor &x is not allowed (anchors & and aliases * are "
        "refused; write the value out)")


@pytest.fixture
def bank_dir_copy(tmp_path):
    import shutil

    from coprod.instrument.bank import default_bank_dir

    d = tmp_path / "bank"
    shutil.copytree(default_bank_dir(), d)
    return d


# ---------------------------------------------------------------------- spec-mode tables
def _xlsx(tmp_path):
    p = tmp_path / "ok.xlsx"
    _table().to_excel(p, index=False)
    return p


def _damaged(tmp_path, kind):
    if kind == "not_zip":
        p = tmp_path / "d.xlsx"
        p.write_bytes(b"PK\x03\x04" + b"\0" * 200)
        return p, "BadZipFile: File is not a zip file"
    src = _xlsx(tmp_path).read_bytes()
    p = tmp_path / "d.xlsx"
    if kind == "cut":
        p.write_bytes(src[:len(src) // 2])
        return p, "BadZipFile: File is not a zip file"
    if kind == "crc":  # the sheet stored uncompressed, one byte of it changed: CRC mismatch
        zin = zipfile.ZipFile(_xlsx(tmp_path))
        with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_STORED) as zout:
            for i in zin.infolist():
                zout.writestr(i.filename, zin.read(i.filename))
        b = bytearray(p.read_bytes())
        at = b.index(b"<sheetData>") + 3
        b[at] ^= 0x01
        p.write_bytes(bytes(b))
        return p, "BadZipFile: Bad CRC-32 for file 'xl/worksheets/sheet1.xml'"
    if kind == "xml":
        zin = zipfile.ZipFile(_xlsx(tmp_path))
        with zipfile.ZipFile(p, "w") as zout:
            for i in zin.infolist():
                d = zin.read(i.filename)
                zout.writestr(i.filename, d[:len(d) // 2] if i.filename.endswith("sheet1.xml") else d)
        return p, "ParseError: no element found"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["not_zip", "cut", "crc", "xml"])
def test_a_damaged_workbook_cannot_be_read(tmp_path, kind):
    p, reason = _damaged(tmp_path, kind)
    proc, out = _analyze(tmp_path, p)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {p}: cannot be read ({reason}")
    assert proc.stderr.count("\n") == 1 and not out.exists()


def test_a_truncated_sav_cannot_be_read(tmp_path):
    good = tmp_path / "ok.sav"
    pyreadstat.write_sav(_table(), str(good))
    p = tmp_path / "cut.sav"
    b = good.read_bytes()
    p.write_bytes(b[:len(b) // 2])
    proc, out = _analyze(tmp_path, p)
    assert (proc.returncode, proc.stderr) == (
        2, f"error: {p}: cannot be read (ReadstatError: Unable to read from file)\n")
    assert not out.exists()


def test_a_header_only_csv_cannot_be_read(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("a,b,g\n")
    proc, out = _analyze(tmp_path, p)
    assert (proc.returncode, proc.stderr) == (
        2, f"error: {p}: cannot be read (the file has a header but no rows)\n")
    assert not out.exists()


def test_utf16_without_bom_cannot_be_read(tmp_path):
    p = tmp_path / "u.csv"
    p.write_bytes(_table().to_csv(index=False).encode("utf-16-le"))
    proc, out = _analyze(tmp_path, p)
    assert (proc.returncode, proc.stderr) == (
        2, f"error: {p}: cannot be read (this is not a text file (it contains NUL bytes) and not "
           "an XLSX, SPSS or Stata file)\n")
    assert not out.exists()


def _n(out):
    import json

    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def test_utf16_with_bom_is_read_as_validate_reads_it(tmp_path):
    p = tmp_path / "u.csv"
    p.write_bytes(_table().to_csv(index=False).encode("utf-16"))
    proc, out = _analyze(tmp_path, p)
    assert proc.returncode == 0, proc.stderr
    ref_csv = tmp_path / "ref" / "r.csv"
    ref_csv.parent.mkdir()
    _table().to_csv(ref_csv, index=False)
    ref_proc, ref_out = _analyze(ref_csv.parent, ref_csv)
    a, b = _n(out), _n(ref_out)
    a.pop("meta"), b.pop("meta")
    assert a == b


def test_a_cp1252_csv_is_decoded_with_the_warning_validate_gives(tmp_path):
    p = tmp_path / "c.csv"
    t = _table().assign(g=["Høje", "Ærø"] * 10)
    p.write_bytes(t.to_csv(index=False).encode("cp1252"))
    proc, out = _analyze(tmp_path, p)
    assert proc.returncode == 0, proc.stderr
    w = "c.csv: the file is not UTF-8; read it as Windows-1252 (Æ, ø found)"
    assert f"warning: {w}\n" in proc.stderr
    assert _n(out)["warnings"][0] == w
