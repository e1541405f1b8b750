"""`coprod report --tables xlsx|csv` writes every table of the study report; `--pdf` prints it."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from coprod.reports import browser
from coprod.reports.study import build_context
from coprod.reports.tables import study_tables
from coprod.workflow import ReportExportError, analyze_file, report_file

CONFORMANCE = Path("/work/shared/conformance/likert_ordinal")
pytestmark = pytest.mark.skipif(not (CONFORMANCE / "spec.json").exists(), reason="conformance data missing")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("an")
    spec = json.loads((CONFORMANCE / "spec.json").read_text())
    spec.update(bootstrap=0, data=str(CONFORMANCE / "data.csv"))
    (out / "spec.json").write_text(json.dumps(spec))
    analyze_file(CONFORMANCE / "data.csv", spec=out / "spec.json", out=out / "run")
    return out / "run" / "results.json"


def test_tables_hold_the_unrounded_numbers(results):
    from coprod.analysis.pipeline import AnalysisResult

    d = json.loads(results.read_text())
    view = build_context(AnalysisResult.from_dict(d), bank=None)
    tables = {t.name: t for t in study_tables(view)}
    loadings = tables["factors.loadings"]
    assert loadings.columns == ("factor", "item", "est", "se", "std_all", "pvalue")
    want = [(e["lhs"], e["rhs"], e["est"], e["std_all"]) for e in d["cfa"]["estimates"] if e["op"] == "=~"]
    assert [(r[0], r[1], r[2], r[4]) for r in loadings.rows] == want
    assert tables["sem.fit"].rows[0][1] == d["sem"]["n_used"]
    assert {"factors.cfa", "sem.paths", "sem.defined", "reliability", "ordinal.thresholds", "ordinal.alpha"} <= set(tables)


def test_csv_and_xlsx(results, tmp_path):
    from openpyxl import load_workbook

    out = report_file(results, out=tmp_path / "r" / "report.html", tables="csv")
    folder = tmp_path / "r" / "report-tables"
    rows = list(csv.reader((folder / "factors.loadings.csv").open(encoding="utf-8")))
    assert rows[0] == ["factor", "item", "est", "se", "std_all", "pvalue"] and len(rows) > 5
    assert (tmp_path / "r" / "report.html") in out.files and folder / "sem.paths.csv" in out.files
    out = report_file(results, out=tmp_path / "x" / "report.html", tables="xlsx", lang="da")
    wb = load_workbook(tmp_path / "x" / "report.xlsx")
    assert "factors.loadings" in wb.sheetnames and len(wb.sheetnames) == len(list(folder.glob("*.csv")))
    assert wb["factors.loadings"].cell(1, 1).value == "factor"


def test_pdf(results, tmp_path):
    if not browser.chromium_available():
        pytest.skip("chromium not installed")
    out = report_file(results, out=tmp_path / "report.html", pdf=True)
    assert out.files[-1] == tmp_path / "report.pdf"
    assert (tmp_path / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert not list(tmp_path.glob(".*.tmp"))


def test_pdf_without_chromium_says_so_and_writes_nothing(results, tmp_path, monkeypatch):
    monkeypatch.setattr(browser, "chromium_available", lambda: False)
    with pytest.raises(ReportExportError, match="--pdf needs headless Chromium, which is not installed"):
        report_file(results, out=tmp_path / "report.html", pdf=True)
    assert list(tmp_path.iterdir()) == []
