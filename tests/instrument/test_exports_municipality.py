"""A municipality-prefilled form records the name as a fixed hidden value on every platform
(``coprod instrument build --municipality Aarhus``; issue 15, item 5)."""
from __future__ import annotations

import io
import json
import shutil

import pytest
from openpyxl import load_workbook

from coprod.instrument.generator import OptionError
from coprod.instrument.exports import export


def _survey(data: bytes) -> list[dict]:
    ws = load_workbook(io.BytesIO(data))["survey"]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_xlsform_records_the_municipality_as_a_calculate(bank, tmp_path):
    survey = _survey(export(bank, "xlsform", municipality="Aarhus").files[".xlsx"])
    rows = [r for r in survey if r["name"] == "municipality"]
    assert rows == [{**rows[0], "type": "calculate", "name": "municipality", "calculation": "'Aarhus'"}]
    pyxform = pytest.importorskip("pyxform.xls2xform")
    path = tmp_path / "form.xlsx"
    path.write_bytes(export(bank, "xlsform", municipality="Høje-Taastrup").files[".xlsx"])
    assert pyxform.convert(str(path), validate=shutil.which("java") is not None).warnings == []


def test_every_platform_hides_the_municipality(bank):
    red = export(bank, "redcap", municipality="Aarhus").files[".csv"].decode("utf-8-sig")
    line = next(x for x in red.splitlines() if x.startswith("municipality,"))
    assert line.split(",")[3] == "text" and line.endswith("@HIDDEN @READONLY @DEFAULT='Aarhus'")
    qua = export(bank, "qualtrics", municipality="Aarhus").files[".txt"].decode()
    assert "[[ED:municipality:Aarhus]]" in qua and "[[ID:municipality]]" not in qua
    ls = export(bank, "limesurvey", municipality="Aarhus").files[".txt"].decode("utf-8-sig")
    header, *rows = [x.split("\t") for x in ls.splitlines()]
    row = dict(zip(header, next(r for r in rows if r[0] == "Q" and r[2] == "municipality")))
    assert row["type/scale"] == "*" and row["hidden"] == "1" and "Aarhus" in row["text"]
    cb = json.loads(export(bank, "codebook", municipality="Aarhus").files[".json"])
    assert next(c for c in cb["context"] if c["id"] == "municipality")["fixed"] == "Aarhus"
    html = export(bank, "html", municipality="Aarhus").files[".html"].decode()
    assert "Which municipality do your answers concern?" not in html


def test_a_municipality_name_with_quotes_is_refused(bank):
    with pytest.raises(OptionError, match="municipality must be a name without quotes"):
        export(bank, "xlsform", municipality="Aar'hus")
