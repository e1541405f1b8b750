"""The study store: round trip, provenance, duplicates, supersession, invited counts, and a study
as the input of analyze/compare; on DuckDB always, on PostgreSQL when a server is given.

PostgreSQL: set ``COPROD_TEST_POSTGRES`` to a URL the tests may create schemas in, e.g.
``postgresql://coprod@127.0.0.1/coprod_test`` (password in ``PGPASSWORD``); each test makes its
own schema and drops it afterwards.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from coprod.analysis.responses import simulate
from coprod.cli import main
from coprod.instrument.bank import load_bank
from coprod.instrument.errors import ResponseDataError
from coprod.responses import read_responses, write_simulated
from coprod.store import StudyError, add_export, add_invited, init_study, open_study
from coprod.workflow import compare_file

PG_URL = os.environ.get("COPROD_TEST_POSTGRES")
BACKENDS = ["duckdb", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="no PostgreSQL server: set COPROD_TEST_POSTGRES=postgresql://user@host/db "
                       "(.ci/run would need Debian's postgresql started and a role/database)"))]


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("exports")
    bank = load_bank()
    out = {}
    for name, fmt, n, seed in (("kobo", "kobo", 60, 1), ("limesurvey", "limesurvey", 50, 2),
                               ("redcap", "redcap", 40, 3), ("canonical", "csv", 60, 1)):
        path = d / f"{name}.csv"
        write_simulated(simulate(n, seed=seed, bank=bank), path, fmt, bank=bank)
        out[name] = path
    # the kobo respondents again, corrected: same ids, other bytes
    corrected = simulate(60, seed=1, bank=bank)
    corrected.loc[0, "INS_C1"] = 1 if corrected.loc[0, "INS_C1"] != 1 else 2
    write_simulated(corrected, d / "kobo_corrected.csv", "kobo", bank=bank)
    out["kobo_corrected"] = d / "kobo_corrected.csv"
    bad = simulate(30, seed=5, bank=bank)
    bad.loc[3, "INS_C1"] = 9
    bad.loc[7, "COM_C2"] = 0
    write_simulated(bad, d / "bad.csv", "csv", bank=bank)
    out["bad"] = d / "bad.csv"
    return out


@pytest.fixture(params=BACKENDS)
def study(request, tmp_path):
    folder = tmp_path / f"study_{uuid.uuid4().hex[:8]}"
    db = PG_URL if request.param == "postgresql" else None
    st = init_study(folder, db=db)
    yield st
    if request.param == "postgresql":
        st.backend.execute(f'DROP SCHEMA "{st.config["schema"]}" CASCADE')
        st.backend.con.commit()
    st.close()


def test_round_trip_gives_the_table_the_reader_made(study, exports):
    add_export(study, exports["kobo"], municipality="Aarhus", wave="2027")
    got = study.responses()
    want = read_responses(exports["kobo"])
    pd.testing.assert_frame_equal(got.table.drop(columns="municipality"),
                                  want.table.reset_index(drop=True).drop(columns="municipality"))
    assert (got.table["municipality"] == "Aarhus").all()
    pd.testing.assert_frame_equal(got.dont_know, want.dont_know.reset_index(drop=True))
    pd.testing.assert_frame_equal(got.flags, want.flags.reset_index(drop=True))
    assert int(got.dont_know.to_numpy().sum()) > 0  # don't know survives the trip as a mask


def test_provenance_fields(study, exports):
    res = add_export(study, exports["limesurvey"], municipality="Odense", wave="2027", note="first")
    bank = load_bank()
    with open_study(study.folder) as again:  # what was committed, read by another connection
        row = again.imports().iloc[0]
    assert row["import_id"] == 1 == res.import_id
    assert row["file_name"] == "limesurvey.csv"
    assert row["sha256"] == hashlib.sha256(exports["limesurvey"].read_bytes()).hexdigest()
    assert row["platform"] == "limesurvey"
    assert row["instrument_version"] == bank.version == row["bank_version"]
    assert (row["municipality"], row["wave"], row["note"]) == ("Odense", "2027", "first")
    assert (row["n_rows_file"], row["n_read"], row["n_stored"], row["n_rejected"]) == (50, 50, 50, 0)
    t = datetime.fromisoformat(row["imported_at"])
    assert t.tzinfo is not None and abs((datetime.now(timezone.utc) - t).total_seconds()) < 120
    assert pd.isna(row["supersedes"]) and pd.isna(row["superseded_by"])
    assert json.loads(row["source_json"])["delimiter"] == ","


def test_the_same_file_again_is_refused(study, exports):
    add_export(study, exports["kobo"], municipality="Aarhus", wave="2027")
    with pytest.raises(StudyError) as exc:
        add_export(study, exports["kobo"], municipality="Vejle", wave="2028")
    assert re.fullmatch(r".*kobo\.csv: this file was imported already \(import 1, kobo\.csv, Aarhus wave 2027, "
                        r"\S+; same SHA-256 [0-9a-f]{12}\.\.\.\); nothing was stored", str(exc.value))
    assert len(study.imports()) == 1 and study.responses().n == 60


def test_stored_respondent_ids_are_refused_per_municipality_and_wave(study, exports):
    add_export(study, exports["kobo"], municipality="Aarhus", wave="2027")
    # the same 60 respondents, exported as a canonical CSV (other bytes, same ids)
    with pytest.raises(StudyError) as exc:
        add_export(study, exports["canonical"], municipality="Aarhus", wave="2027")
    assert str(exc.value).startswith("canonical.csv: 60 respondent id(s) are stored already for Aarhus wave "
                                     "2027: '1' (import 1), '2' (import 1)")
    assert str(exc.value).endswith("'10' (import 1) and 50 more; nothing was stored (a corrected export is "
                                   "added with --supersedes IMPORT)")
    assert len(study.imports()) == 1
    # another wave (a panel) and another municipality are other respondents
    add_export(study, exports["canonical"], municipality="Aarhus", wave="2028")
    assert study.responses().n == 120 and study.responses(wave="2028").n == 60


def test_supersession_records_and_nothing_is_updated(study, exports):
    add_export(study, exports["kobo"], municipality="Aarhus", wave="2027")
    add_export(study, exports["redcap"], municipality="Vejle", wave="2027")
    before = study.imports().drop(columns="superseded_by")
    res = add_export(study, exports["kobo_corrected"], municipality="Aarhus", wave="2027", supersedes=1)
    imp = study.imports()
    pd.testing.assert_frame_equal(imp.iloc[:2].drop(columns="superseded_by"), before)  # rows untouched
    assert res.record["supersedes"] == 1
    assert imp.loc[0, "superseded_by"] == 3 and pd.isna(imp.loc[1, "superseded_by"])
    assert sorted(study.active_imports()["import_id"]) == [2, 3]
    data = study.responses()
    assert data.n == 100
    assert data.table.loc[data.table["municipality"] == "Aarhus", "INS_C1"].iloc[0] == \
        read_responses(exports["kobo_corrected"]).table["INS_C1"].iloc[0]
    # the superseded rows stay stored
    assert int(study.backend.scalar("SELECT COUNT(*) FROM responses")) == 160
    with pytest.raises(StudyError, match=r"^--supersedes 1: import 1 is superseded already \(by import 3\); "
                                         r"supersede that one$"):
        add_export(study, exports["canonical"], municipality="Aarhus", wave="2027", supersedes=1)
    with pytest.raises(StudyError, match=r"^--supersedes 9: there is no import 9 "):
        add_export(study, exports["canonical"], municipality="Aarhus", wave="2027", supersedes=9)


def test_an_export_with_problems_stores_nothing_unless_keep_valid_rows(study, exports):
    with pytest.raises(ResponseDataError) as exc:
        add_export(study, exports["bad"], municipality="Odense", wave="2027")
    texts = [str(p) for p in exc.value.problems]
    assert texts == ["bad.csv, row 5, column INS_C1: value 9 is outside 1..7 (or 99 = don't know)",
                     "bad.csv, row 9, column COM_C2: value 0 is outside 1..7 (or 99 = don't know)"]
    assert study.imports().empty
    res = add_export(study, exports["bad"], municipality="Odense", wave="2027", keep_valid_rows=True)
    assert (res.record["n_stored"], res.record["n_rejected"]) == (28, 2)
    assert res.rejected_file == study.folder / "rejected" / "1-bad.csv"
    rejected = pd.read_csv(res.rejected_file)
    assert rejected["row"].tolist() == [5, 9]
    assert rejected["problems"].tolist() == texts
    assert study.responses().n == 28


def test_invited_counts_and_response_rates(study, exports, tmp_path):
    add_export(study, exports["kobo"], municipality="Aarhus", wave="2027")
    n = study.responses().table["sector"].value_counts()
    inv = tmp_path / "invited.csv"
    inv.write_text("municipality,sector,invited\nAarhus,municipal,100\nAarhus,voluntary,200\n", encoding="utf-8")
    add_invited(study, inv)
    c = study.counts().set_index("sector")
    assert c.loc["municipal", "invited"] == 100
    assert c.loc["municipal", "response_rate"] == pytest.approx(n["municipal"] / 100)
    assert c.loc["voluntary", "response_rate"] == pytest.approx(n["voluntary"] / 200)
    # a later upload wins; the earlier one stays recorded
    inv.write_text("municipality,wave,sector,invited\nAarhus,2027,municipal,50\n", encoding="utf-8")
    add_invited(study, inv)
    assert study.counts().set_index("sector").loc["municipal", "invited"] == 50
    assert int(study.backend.scalar("SELECT COUNT(*) FROM invited")) == 3


def test_invited_file_problems_are_all_listed(tmp_path):
    st = init_study(tmp_path / "s")
    inv = tmp_path / "inv.csv"
    inv.write_text("municipality,sector,invited\n,municipal,10\nAarhus,public,x\nAarhus,voluntary,0\n"
                   "Aarhus,voluntary,5\n", encoding="utf-8")
    with pytest.raises(StudyError) as exc:
        add_invited(st, inv)
    assert [str(p) for p in exc.value.problems] == [
        "inv.csv, row 2, column municipality: the municipality is empty",
        "inv.csv, row 3, column sector: value 'public' is not a sector (municipal or voluntary)",
        "inv.csv, row 3, column invited: value 'x' is not a whole number of 1 or more",
        "inv.csv, row 4, column invited: value '0' is not a whole number of 1 or more",
        "inv.csv, row 5, column municipality: Aarhus voluntary is also on row 4",
    ]
    assert st.invited().empty
    st.close()


def test_init_refuses_an_existing_study(tmp_path):
    init_study(tmp_path / "s").close()
    with pytest.raises(StudyError, match=r"s: is a study already \(study\.json exists\); nothing was changed$"):
        init_study(tmp_path / "s")
    with pytest.raises(StudyError, match=r"not a study folder \(no study\.json; create one with coprod study init\)$"):
        open_study(tmp_path)


def test_cli_study_workflow(tmp_path, exports, capsys):
    s = str(tmp_path / "st")
    assert main(["study", "init", s]) == 0
    assert main(["study", "add", s, str(exports["kobo"]), "--municipality", "Aarhus", "--wave", "2027"]) == 0
    assert main(["study", "add", s, str(exports["limesurvey"]), "--municipality", "Odense", "--wave", "2027"]) == 0
    capsys.readouterr()
    assert main(["study", "add", s, str(exports["kobo"]), "--municipality", "Aarhus", "--wave", "2027"]) == 1
    assert "this file was imported already (import 1" in capsys.readouterr().err
    assert main(["study", "add", s, str(exports["bad"]), "--municipality", "Vejle", "--wave", "2027"]) == 1
    err = capsys.readouterr().err
    assert "error: 2 problem(s):\n  bad.csv, row 5, column INS_C1: value 9 is outside" in err
    assert main(["study", "list", s, "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [i["platform"] for i in listing["imports"]] == ["kobo", "limesurvey"]
    assert sum(g["n"] for g in listing["groups"]) == 110
    assert {(g["municipality"], g["wave"]) for g in listing["groups"]} == {("Aarhus", "2027"), ("Odense", "2027")}
    assert main(["study", "list", s]) == 0
    text = capsys.readouterr().out
    assert "respondents of the active imports (110):" in text
    out = tmp_path / "cmp"
    assert main(["compare", s, "--by", "municipality", "--out", str(out), "-q"]) == 0
    assert {p.name for p in out.iterdir()} >= {"index.html", "group-aarhus.html", "group-odense.html", "results.json"}
    assert main(["analyze", s, "--wave", "2026", "--out", str(tmp_path / "a"), "-q"]) == 1
    assert "no respondents in wave 2026 (waves: 2027)" in capsys.readouterr().err


def test_a_study_of_one_import_is_analysed_as_the_file(tmp_path, exports):
    """The study yields the table the reader made: the comparison by sector is the file's."""
    st = init_study(tmp_path / "one")
    add_export(st, exports["kobo"], municipality="Aarhus", wave="2027")
    st.close()
    outs = []
    for src, name in ((tmp_path / "one", "from_study"), (exports["kobo"], "from_file")):
        compare_file(src, by="sector", out=tmp_path / name)
        d = json.loads((tmp_path / name / "results.json").read_text(encoding="utf-8"))
        outs.append((d.pop("meta"), json.dumps(d, sort_keys=True)))
    assert outs[0][1] == outs[1][1]
    assert outs[0][0]["input_kind"] == "study" and outs[0][0]["imports"][0]["file"] == "kobo.csv"


@pytest.mark.parametrize("name", ["coprod.store.study", "coprod.store.invited"])
def test_docstring_examples_run(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_a_failed_init_leaves_nothing_behind(tmp_path):
    pytest.importorskip("psycopg")
    with pytest.raises(StudyError, match=r"^cannot connect to postgresql://nobody:\*\*\*@127\.0\.0\.1:1/x \("):
        init_study(tmp_path / "pg", db="postgresql://nobody:secret@127.0.0.1:1/x")
    assert not (tmp_path / "pg").exists()
    with pytest.raises(StudyError, match=r"^--db 'mysql://x': give a postgresql://\.\.\. URL"):
        init_study(tmp_path / "my", db="mysql://x")
    assert not (tmp_path / "my").exists()
