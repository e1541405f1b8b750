"""The export dispatcher and atomic writing; properties every export shares."""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml
from openpyxl import load_workbook

import coprod.instrument
from coprod.instrument import FORMATS, ExportResult, OptionError, build_questionnaire, export, write_export
from coprod.instrument.bank import load_bank


def _text(fmt: str, files: dict[str, bytes]) -> str:
    if fmt == "xlsform":
        wb = load_workbook(io.BytesIO(files[".xlsx"]))
        return " ".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                        for v in row if v is not None)
    return " ".join(data.decode("utf-8-sig") for data in files.values())


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("sector", [None, "voluntary"])
def test_every_export_is_utf8_danish_and_versioned(bank, fmt, sector):
    res = export(bank, fmt, lang="da", sector=sector, seed=2)
    assert isinstance(res, ExportResult) and res.files
    text = _text(fmt, res.files)
    assert all(ch in text for ch in "æøå"), "Danish letters intact"
    assert bank.version in text, "instrument version stamped"


def test_limesurvey_starts_with_bom(bank):
    assert export(bank, "limesurvey").files[".txt"].startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("kw,message", [
    ({"fmt": "spss"}, "allowed: xlsform, limesurvey, redcap, qualtrics, qualtrics-qsf, html, codebook"),
    ({"fmt": "html", "lang": "sv"}, "allowed: en, da"),
    ({"fmt": "html", "sector": "private"}, "allowed: municipal, voluntary"),
])
def test_bad_options_list_allowed_values(bank, kw, message):
    fmt = kw.pop("fmt")
    with pytest.raises(OptionError, match=message):
        export(bank, fmt, **kw)


def test_export_accepts_a_questionnaire(bank):
    q = build_questionnaire(bank, sector="municipal", lang="da", seed=4)
    assert export(q, "redcap").files == export(bank, "redcap", sector="municipal", lang="da", seed=4).files
    with pytest.raises(OptionError):
        export(q, "redcap", sector="voluntary")


def test_exports_are_deterministic(bank):
    for fmt in ("limesurvey", "redcap", "qualtrics", "html", "codebook"):
        assert export(bank, fmt, seed=1).files == export(bank, fmt, seed=1).files


def test_write_export_paths(bank, tmp_path):
    cb = export(bank, "codebook")
    written = write_export(cb, tmp_path / "out" / "cb.json")
    assert written == [tmp_path / "out" / "cb.json", tmp_path / "out" / "cb.csv"]
    assert json.loads(written[0].read_text(encoding="utf-8"))["instrument"]["version"] == bank.version
    assert written[1].read_bytes() == cb.files[".csv"]
    assert write_export(export(bank, "xlsform"), tmp_path / "form") == [tmp_path / "form.xlsx"]
    assert write_export(export(bank, "html"), tmp_path / "q-1.0.html") == [tmp_path / "q-1.0.html"]
    assert write_export(cb, tmp_path / "x") == [tmp_path / "x.json", tmp_path / "x.csv"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["cb.csv", "cb.json"], "no temp files"
    mask = os.umask(0)
    os.umask(mask)
    assert written[0].stat().st_mode & 0o777 == 0o666 & ~mask, "the mode of a plainly opened file"


def test_write_export_leaves_nothing_on_failure(bank, tmp_path, monkeypatch):
    cb = export(bank, "codebook")
    calls = []

    def failing_fsync(fd):
        calls.append(fd)
        if len(calls) == 2:  # the second file fails while being written
            raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_export(cb, tmp_path / "cb.json")
    assert list(tmp_path.iterdir()) == [], "neither file nor temporary file is left"


def test_write_export_keeps_old_file_on_failure(bank, tmp_path, monkeypatch):
    target = tmp_path / "form.txt"
    target.write_bytes(b"old")

    def failing_replace(src, dst):
        raise OSError("cannot move")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_export(export(bank, "qualtrics"), target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["form.txt"]


def test_failed_export_writes_nothing(bank, tmp_path):
    with pytest.raises(OptionError):
        write_export(export(bank, "nope"), tmp_path / "x.txt")
    assert list(tmp_path.iterdir()) == []


def test_mixed_scale_block_in_every_export(mini_copy):
    items = yaml.safe_load((mini_copy / "items.yaml").read_text(encoding="utf-8"))
    items.append({"id": "INS_M9", "construct": "INS", "facet": "freq", "sectors": ["municipal"],
                  "reverse": False, "scale": "freq5", "text": {"en": "How often?", "da": "Hvor ofte?"},
                  "source": "x"})
    (mini_copy / "items.yaml").write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    bank = load_bank(mini_copy)
    ls = export(bank, "limesurvey").files[".txt"].decode("utf-8-sig")
    assert "\tINSm2\t" in ls and "\tINSm\t" in ls
    rc = export(bank, "redcap").files[".csv"].decode()
    assert "ins_m9_m" in rc and ",ins_m_2," in rc
    qt = export(bank, "qualtrics").files[".txt"].decode()
    assert "[[PageBreak]]\n\n[[Question:Matrix]]\n[[ID:INS_m2]]" in qt
    cb = json.loads(export(bank, "codebook").files[".json"])
    m9 = next(i for i in cb["items"] if i["id"] == "INS_M9")
    assert m9["columns"]["limesurvey"] == {"municipal": "INSm2[M9]"}
    assert m9["columns"]["qualtrics"] == {"municipal": "INS_m2_1"}
    assert m9["scale"]["id"] == "freq5"
    if shutil.which("java"):
        from pyxform.xls2xform import convert
        path = mini_copy / "form.xlsx"
        path.write_bytes(export(bank, "xlsform").files[".xlsx"])
        assert convert(str(path), validate=True).warnings == []


def test_import_is_light():
    code = ("import sys, instrument; print(sorted(m for m in ('pandas', 'openpyxl', 'jinja2', 'yaml', "
            "'numpy', 'pyxform') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_api():
    assert {"load_bank", "build_questionnaire", "export", "write_export", "ExportResult", "FORMATS",
            "Questionnaire", "ItemBankError", "OptionError"} <= set(coprod.instrument.__all__)
    assert all(hasattr(coprod.instrument, name) for name in coprod.instrument.__all__)
