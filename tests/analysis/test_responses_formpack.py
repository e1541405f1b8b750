"""Exports made by KoboToolbox's own exporter (formpack) from coprod's XLSForm read back clean
(issue 15, item 1). The fixtures are made by ``scripts/make_formpack_fixtures.py``; each variant
must give the same canonical table as the "XML values and headers" export, which must give the
simulated table the submissions were made from."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.responses import from_table, simulate
from coprod.instrument.bank import load_bank
from coprod.responses import read_responses, validate_responses

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "formpack"
MANIFEST = json.loads((FIX / "manifest.json").read_text(encoding="utf-8"))
FILES = [(v["name"], f) for v in MANIFEST["variants"] for f in v["files"]]
CODEBOOK = FIX / MANIFEST["codebook"]


@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.fixture(scope="module")
def reference(bank):
    return read_responses(FIX / "kobo_xml.csv", bank=bank, codebook=CODEBOOK)


def _variant(name: str) -> dict:
    return next(v for v in MANIFEST["variants"] if v["name"] == name)


@pytest.mark.parametrize("name,file", FILES)
def test_every_formpack_variant_validates_clean(bank, reference, name, file):
    v = _variant(name)
    report = validate_responses(FIX / file, bank=bank, codebook=CODEBOOK)
    assert report.exit_code == 0, [str(p) for p in report.problems[:5]]
    assert report.counts["n_respondents"] == MANIFEST["n"]
    rules = [w.rule for w in report.warnings]
    if v["headers"] == "labels":
        lang = v["lang"]
        assert rules == ["label_headers"]
        assert report.warnings[0].message.startswith(f"the headers are question labels in {lang} (")
        assert report.source["headers"] == f"labels ({lang})"
        assert report.source["values"] == "labels"
    else:
        assert rules == [] and report.source["headers"] == "names"
        assert report.source["values"] == "codes"
    data = read_responses(FIX / file, bank=bank, codebook=CODEBOOK)
    pd.testing.assert_frame_equal(data.table.reset_index(drop=True),
                                  reference.table.reset_index(drop=True))
    assert data.dont_know.to_numpy().sum() == reference.dont_know.to_numpy().sum() > 0


def test_the_xml_export_is_the_simulated_table(bank, reference):
    """formpack kept every answer: the table is the one the submissions were simulated from
    (``_id`` is Kobo's, so ids differ; durations come from the form's start and end)."""
    sim = from_table(simulate(MANIFEST["n"], seed=MANIFEST["seed"], bank=bank), bank=bank)
    got = reference.table.reset_index(drop=True)
    want = sim.table.reset_index(drop=True)
    cols = [c for c in want.columns if c != "respondent_id"]
    pd.testing.assert_frame_equal(got[cols], want[cols], check_exact=False, rtol=0, atol=1e-6)
    assert got["respondent_id"].tolist() == [str(40001 + k) for k in range(MANIFEST["n"])]


def test_notes_and_kobo_columns_are_kept_aside(reference):
    header = (FIX / "kobo_xml_groups_slash.csv").read_text(encoding="utf-8").splitlines()[0]
    cols = [c.strip('"') for c in header.split(";")]
    assert {"intro/intro_note", "outro_note", "start", "end", "_validation_status", "__version__",
            "_index"} <= set(cols)
    assert reference.source["platform"] == "kobo" and reference.problems == ()


def test_odk_central_export_with_notes_and_metadata(bank, reference):
    report = validate_responses(FIX / MANIFEST["odk_central"], bank=bank, codebook=CODEBOOK)
    assert report.exit_code == 0 and report.warnings == ()
    data = read_responses(FIX / MANIFEST["odk_central"], bank=bank, codebook=CODEBOOK)
    header = (FIX / MANIFEST["odk_central"]).read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[0] == "SubmissionDate" and "intro-intro_note" in header
    assert "meta-instanceID" in header and header[-10:] == [
        "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected",
        "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]
    assert data.table["respondent_id"].str.startswith("uuid:").all()
    cols = [c for c in reference.table.columns if c != "respondent_id"]
    pd.testing.assert_frame_equal(data.table[cols].reset_index(drop=True),
                                  reference.table[cols].reset_index(drop=True))
    assert np.isfinite(data.table["duration_s"]).all()


def test_a_label_export_analyses(bank):
    """The Danish label export through the default analysis (no bootstrap, to stay quick): its
    table is the XML export's (above), so this checks the path from the file, not the numbers."""
    import coprod

    data = read_responses(FIX / "kobo_labels_da.xlsx", bank=bank, codebook=CODEBOOK)
    d = coprod.analyze(data, bank=bank, bootstrap=0).to_dict()
    assert d["errors"] == [] and d["sample"]["n_read"] == MANIFEST["n"]
    assert d["cfa"]["converged"] is True


def test_validate_cli_keeps_a_custom_column_aside_unless_strict(tmp_path, capsys):
    """A municipality's own column beside a Danish label export: exit 0 with one warning, exit 1
    with --strict (issue 15, item 4)."""
    from coprod.cli import main

    lines = (FIX / "kobo_labels_da.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "kobo.csv"
    path.write_text("\n".join(f'{line};"{"egen_q" if k == 0 else "ja"}"'
                              for k, line in enumerate(lines)) + "\n", encoding="utf-8")
    base = ["validate", str(path), "--codebook", str(CODEBOOK)]
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "1 column(s) that are not part of instrument coprod-ambivalence were kept aside, not " \
           "read: egen_q" in out
    assert main([*base, "--strict"]) == 1
    assert "kobo.csv, column egen_q: unknown column" in capsys.readouterr().out
