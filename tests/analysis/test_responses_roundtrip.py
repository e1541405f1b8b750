"""Round trips: simulate -> write in every platform's export format -> read back -> same table."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.responses import from_table, simulate
from coprod.instrument.platforms import tabular
from coprod.responses import FORMATS, read_responses, validate_responses, write_simulated
from coprod.instrument.bank import load_bank
from coprod.instrument.platforms.codebook import build_codebook
from coprod.instrument.generator import build_questionnaire

SUFFIX = {"xlsx": ".xlsx", "sav": ".sav", "dta": ".dta"}
PLATFORM = {"csv": "canonical", "xlsx": "canonical", "sav": "canonical", "dta": "canonical",
            "kobo": "kobo", "limesurvey": "limesurvey", "redcap": "redcap", "qualtrics": "qualtrics"}
#: what a platform cannot carry: Qualtrics makes its own response ids
NOT_CARRIED = {"qualtrics": ["respondent_id"]}


@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.fixture(scope="module")
def sim(bank):
    return simulate(240, seed=11, bank=bank)


@pytest.fixture(scope="module")
def expected(sim, bank):
    return from_table(sim, bank=bank)


def _same(data, expected, skip=()):
    got = data.table.reset_index(drop=True).drop(columns=list(skip))
    exp = expected.table.reset_index(drop=True).drop(columns=list(skip))
    pd.testing.assert_frame_equal(got, exp)
    pd.testing.assert_frame_equal(data.dont_know.reset_index(drop=True),
                                  expected.dont_know.reset_index(drop=True))


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_every_format(fmt, sim, expected, bank, tmp_path):
    path = write_simulated(sim, tmp_path / f"responses{SUFFIX.get(fmt, '.csv')}", fmt, bank=bank)
    data = read_responses(path, bank=bank)
    assert data.source["platform"] == PLATFORM[fmt]
    assert data.problems == ()
    _same(data, expected, NOT_CARRIED.get(fmt, ()))
    assert data.source["instrument_version"] == bank.version
    assert data.source["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    pd.testing.assert_frame_equal(data.flags.reset_index(drop=True),
                                  expected.flags.reset_index(drop=True))
    if fmt == "qualtrics":
        ids = data.table["respondent_id"]
        assert ids.is_unique and ids.str.startswith("R_").all()
        assert data.source["dropped"] == {"preview": 2}
    if fmt == "redcap":  # survey_start to <form>_timestamp (issue 15, item 2)
        assert data.table["duration_s"].notna().any()


def test_canonical_table_layout(expected, bank):
    t = expected.table
    assert list(t.columns[:6]) == ["respondent_id", "sector", "role", "service_area",
                                   "municipality", "organisation_type"]
    items = [i.id for i in bank.items]
    pos = [list(t.columns).index(i) for i in items]
    assert pos == sorted(pos) and t.columns[-2:].tolist() == [bank.attention.id, "duration_s"]
    assert all(t[i].dtype == np.float64 for i in items)
    assert t.index.name == "row" and t.index[0] == 2  # file row of the first respondent
    # don't know became missing and is counted
    assert expected.dont_know_counts.sum() > 0
    v = t[items].to_numpy()
    assert np.isin(v[~np.isnan(v)], np.arange(1, 8)).all()


def test_platform_formats_look_like_the_platform(sim, bank, tmp_path):
    kobo = write_simulated(sim, tmp_path / "k.csv", "kobo", bank=bank).read_text("utf-8")
    assert kobo.startswith('"start";"end";"consent";"sector";')
    assert '"_uuid";"_submission_time"' in kobo and '"partner_en"' in kobo
    ls = write_simulated(sim, tmp_path / "l.csv", "limesurvey", bank=bank).read_bytes()
    assert ls.startswith(b'\xef\xbb\xbf"id","submitdate","lastpage","startlanguage","seed"')
    assert b'"INSm[C1]"' in ls and b'"servicearea"' in ls and b'"A7"' in ls
    rc = write_simulated(sim, tmp_path / "r.csv", "redcap", bank=bank).read_text("utf-8")
    assert rc.startswith("record_id,") and ",ins_c1_m," in rc and "coprod_ambivalence_complete" in rc
    q = write_simulated(sim, tmp_path / "q.csv", "qualtrics", bank=bank).read_text("utf-8-sig")
    lines = q.splitlines()
    assert lines[0].startswith('"StartDate","EndDate","Status"') and '"INS_m_1"' in lines[0]
    assert lines[1].startswith('"Start Date"') and '{""ImportId"": ""_recordId""}' in lines[2]
    assert '"Survey Preview"' in lines[3]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_kobo_label_export(lang, sim, expected, bank, tmp_path):
    path = write_simulated(sim, tmp_path / "k.csv", "kobo", bank=bank, labels=lang)
    text = path.read_text("utf-8")
    assert ("Strongly agree" in text) if lang == "en" else ("Helt enig" in text)
    data = read_responses(path, bank=bank)
    assert data.source["values"] == "labels"
    _same(data, expected)


def test_kobo_group_prefixes_and_xlsx(sim, expected, bank, tmp_path):
    path = write_simulated(sim, tmp_path / "k.csv", "kobo", bank=bank, groups=True)
    assert '"INS_m/INS_C1_m"' in path.read_text("utf-8")
    _same(read_responses(path, bank=bank), expected)
    # the same export downloaded as XLSX
    df = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    xlsx = tmp_path / "k.xlsx"
    df.to_excel(xlsx, index=False)
    data = read_responses(xlsx, bank=bank)
    assert data.source["platform"] == "kobo" and data.source["container"] == "xlsx"
    _same(data, expected)


def test_odk_central_headers(sim, expected, bank, tmp_path):
    path = write_simulated(sim, tmp_path / "k.csv", "kobo", bank=bank)
    df = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    df = df.drop(columns=[c for c in df.columns if c.startswith("_") and c != "_id"])
    df = df.rename(columns={"_id": "KEY", **{c: f"block-{c}" for c in df.columns
                                              if c.endswith(("_m", "_v"))}})
    df.insert(0, "SubmissionDate", "2025-03-04T10:00:00.000Z")
    odk = tmp_path / "odk.csv"
    df.to_csv(odk, index=False)
    data = read_responses(odk, bank=bank)
    assert data.source["platform"] == "kobo"
    _same(data, expected)


@pytest.mark.parametrize("fmt", ["kobo", "limesurvey", "redcap", "qualtrics"])
def test_seeded_form_with_its_codebook(fmt, sim, expected, bank, tmp_path):
    cb = build_codebook(build_questionnaire(bank, seed=5))
    path = write_simulated(sim, tmp_path / "s.csv", fmt, bank=bank, codebook=cb)
    data = read_responses(path, bank=bank, codebook=cb)
    _same(data, expected, NOT_CARRIED.get(fmt, ()))


def test_qualtrics_shuffled_form_matched_by_question_text(sim, expected, bank, tmp_path):
    cb = build_codebook(build_questionnaire(bank, seed=5))
    path = write_simulated(sim, tmp_path / "q.csv", "qualtrics", bank=bank, codebook=cb)
    data = read_responses(path, bank=bank)  # no codebook: positions differ from bank order
    _same(data, expected, ["respondent_id"])
    assert any(w.rule == "column_text" and "matched to items by their question text" in w.message
               for w in data.warnings)


def test_simulated_files_are_reproducible(bank, tmp_path):
    a = write_simulated(simulate(60, seed=3, bank=bank), tmp_path / "a.csv", "kobo", bank=bank)
    b = write_simulated(simulate(60, seed=3, bank=bank), tmp_path / "b.csv", "kobo", bank=bank)
    c = write_simulated(simulate(60, seed=4, bank=bank), tmp_path / "c.csv", "kobo", bank=bank)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


def test_write_is_atomic(sim, bank, tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    path.write_text("old content")

    def broken(table, bank, p):
        p.write_text("half a file")
        raise RuntimeError("disk full")

    monkeypatch.setattr(tabular, "write_csv", broken)
    with pytest.raises(RuntimeError):
        write_simulated(sim, path, "csv", bank=bank)
    assert path.read_text() == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_rejects_unknown_format_and_foreign_table(sim, bank, tmp_path):
    with pytest.raises(ValueError, match="unknown format 'spss'"):
        write_simulated(sim, tmp_path / "x", "spss", bank=bank)
    with pytest.raises(ValueError, match="missing columns: INS_C1"):
        write_simulated(sim.drop(columns=["INS_C1"]), tmp_path / "x.csv", "csv", bank=bank)


def test_minimal_bank_round_trip(tmp_path):
    from pathlib import Path

    mini = load_bank(Path(__file__).parents[1] / "fixtures" / "bank_min")
    sim = simulate(80, seed=2, bank=mini)
    exp = from_table(sim, bank=mini)
    for fmt in ("csv", "kobo", "limesurvey", "redcap", "qualtrics", "sav"):
        path = write_simulated(sim, tmp_path / f"m{SUFFIX.get(fmt, '.csv')}", fmt, bank=mini)
        data = read_responses(path, bank=mini)
        _same(data, exp, NOT_CARRIED.get(fmt, ()))
    assert validate_responses(tmp_path / "m.csv", bank=mini).exit_code == 0
