"""A Qualtrics export whose Data Export Tags are Qualtrics' defaults (``Q1``, ``Q13_1``) reads
through the ImportId row, else through the question texts (issue 15, item 3)."""
from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pytest

from coprod.analysis.responses import simulate
from coprod.instrument.bank import load_bank
from coprod.instrument.exports import export
from coprod.instrument.generator import build_questionnaire
from coprod.instrument.platforms.codebook import build_codebook
from coprod.instrument.platforms.qualtrics import import_ids, question_ids
from coprod.responses import read_responses, validate_responses, write_simulated


@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.fixture(scope="module")
def export_rows(bank, tmp_path_factory):
    path = tmp_path_factory.mktemp("q") / "qualtrics.csv"
    write_simulated(simulate(60, seed=5, bank=bank), path, "qualtrics", bank=bank)
    return path, list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _default_tags(rows: list[list[str]], *, keep_ids: bool) -> str:
    """What Qualtrics writes when the tags were never set: ``QID12_3`` -> ``Q12_3``."""
    head, texts, ids = (list(r) for r in rows[:3])
    for j, cell in enumerate(ids):
        qid = json.loads(cell)["ImportId"]
        m = re.fullmatch(r"QID(\d+)(_\d+)?(_TEXT)?", qid)
        if m:
            head[j] = f"Q{m.group(1)}{m.group(2) or ''}"
            if not keep_ids:  # a survey edited after import: its QIDs are not ours
                ids[j] = json.dumps({"ImportId": f"QID{900 + j}"})
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL).writerows([head, texts, ids, *rows[3:]])
    return buf.getvalue()


def test_questions_are_numbered_in_file_order(bank):
    q = build_questionnaire(bank)
    ids = question_ids(export(q, "qualtrics").files[".txt"].decode())
    assert list(ids.items())[:3] == [("intro", ("QID1", False)), ("consent", ("QID2", False)),
                                     ("sector", ("QID3", False))]
    cols = import_ids(bank, build_codebook(q))
    assert cols["consent"] == "QID2" and cols["municipality"] == "QID6_TEXT"
    assert cols["INS_m_1"] == f"{ids['INS_m'][0]}_1" and ids["INS_m"][1] is True


@pytest.mark.parametrize("keep_ids,how", [
    (True, "by their ImportId (header row 3)"),
    (False, "by their question text in English (en) (header row 2)")])
def test_default_export_tags_read_back(bank, export_rows, tmp_path, keep_ids, how):
    path, rows = export_rows
    want = read_responses(path, bank=bank).table
    odd = tmp_path / "default_tags.csv"
    odd.write_text(_default_tags(rows, keep_ids=keep_ids), encoding="utf-8-sig")
    assert "Q2" in odd.read_text(encoding="utf-8-sig").splitlines()[0]
    report = validate_responses(odd, bank=bank)
    assert report.exit_code == 0, [str(p) for p in report.problems[:5]]
    notes = [w.message for w in report.warnings if w.rule == "default_tags"]
    assert len(notes) == 1 and how in notes[0], notes
    assert report.source["headers"] == "ImportIds and question texts"
    pd.testing.assert_frame_equal(read_responses(odd, bank=bank).table, want)
