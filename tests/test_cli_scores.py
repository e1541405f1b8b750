"""``coprod analyze --scores FILE.csv [--score-method]`` (issue 10, item 9): one row per respondent,
the lavaan scores of tests/fixtures/scores/scores.json (made by make_scores.R, lavaan 0.6-14)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.sem.scores import SCORE_METHODS
from coprod.cli import analyze as analyze_cmd
from coprod.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "scores"
REF = json.loads((FIX / "scores.json").read_text())["cases"]
HS_CFA = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def _spec(tmp_path: Path, missing: str) -> Path:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"cfa": HS_CFA, "missing": missing}))
    return spec


def _want(case: str, method: str) -> np.ndarray:
    return np.array([[np.nan] * 3 if not r else [np.nan if v is None else v for v in r] for r in REF[case][method]])


@pytest.mark.parametrize("missing, case", [("fiml", "hs_missing"), ("listwise", "hs_listwise")])
@pytest.mark.parametrize("method", ["regression", "bartlett"])
def test_spec_mode_writes_lavaan_scores_one_row_per_respondent(tmp_path, missing, case, method):
    out, scores = tmp_path / "out", tmp_path / "scores.csv"
    assert main(["analyze", str(FIX / "hs_missing.csv"), "--spec", str(_spec(tmp_path, missing)), "--out", str(out),
                 "--no-report", "--scores", str(scores), "--score-method", method, "-q"]) == 0
    got = pd.read_csv(scores)
    data = pd.read_csv(FIX / "hs_missing.csv")
    assert list(got.columns) == ["id", "visual", "textual", "speed"]
    assert got["id"].tolist() == data["id"].tolist()  # the table's own ids, in its order, none shifted
    want = _want(case, method)
    assert np.array_equal(got[["visual", "textual", "speed"]].isna().to_numpy(), np.isnan(want))
    np.testing.assert_allclose(got[["visual", "textual", "speed"]].to_numpy(), want, atol=1e-4, rtol=0)
    res = json.loads((out / "results.json").read_text())
    assert res["cfa"]["n_used"] == int(got[["visual", "textual", "speed"]].notna().any(axis=1).sum())


def test_spec_mode_without_an_id_column_numbers_the_rows(tmp_path):
    data = pd.read_csv(FIX / "hs.csv").drop(columns="id")
    path = tmp_path / "hs.csv"
    data.to_csv(path, index=False)
    scores = tmp_path / "s.csv"
    assert main(["analyze", str(path), "--spec", str(_spec(tmp_path, "listwise")), "--out", str(tmp_path / "o"),
                 "--no-report", "--scores", str(scores), "-q"]) == 0
    got = pd.read_csv(scores)
    assert got["row"].tolist() == list(range(2, len(data) + 2))  # file rows, the header is row 1
    np.testing.assert_allclose(got[["visual", "textual", "speed"]].to_numpy(), _want("hs", "regression"), atol=1e-4)


def test_instrument_mode_scores_every_respondent_read(tmp_path):
    data, scores = tmp_path / "sim.csv", tmp_path / "s.csv"
    assert main(["simulate", "--n", "300", "--seed", "1", "--out", str(data), "-q"]) == 0
    out = tmp_path / "out"
    assert main(["analyze", str(data), "--out", str(out), "--bootstrap", "0", "--no-report",
                 "--scores", str(scores), "-q"]) == 0
    got = pd.read_csv(scores)
    raw = pd.read_csv(data)
    assert list(got.columns) == ["respondent_id", "INS", "VIN", "COM", "REP", "AMB"]
    assert got["respondent_id"].astype(str).tolist() == raw["respondent_id"].astype(str).tolist()
    res = json.loads((out / "results.json").read_text())
    scored = got[["INS", "VIN", "COM", "REP", "AMB"]].notna()
    assert (scored.all(axis=1) | ~scored.any(axis=1)).all()  # a respondent has all scores or none
    assert res["cfa"]["n_used"] == int(scored.all(axis=1).sum()) < len(raw)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coprod", *args], capture_output=True, text=True, cwd=ROOT)


def test_usage_errors_and_help(tmp_path):
    proc = run("analyze", "x.csv", "--out", str(tmp_path / "o"), "--score-method", "bartlett")
    assert proc.returncode == 2 and proc.stderr == "error: --score-method is for --scores FILE.csv\n"
    proc = run("analyze", "x.csv", "--out", str(tmp_path / "o"), "--scores", "s.csv", "--score-method", "pca")
    assert proc.returncode == 2 and "invalid choice: 'pca'" in proc.stderr
    helptext = " ".join(run("analyze", "--help").stdout.split())
    assert "This is respondent-level data, like the input" in helptext
    assert analyze_cmd.SCORE_METHODS == SCORE_METHODS


def test_a_spec_without_a_model_writes_nothing(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"scales": {"visual": ["x1", "x2", "x3"]}}))
    proc = run("analyze", str(FIX / "hs.csv"), "--spec", str(spec), "--out", str(tmp_path / "o"),
               "--scores", str(tmp_path / "s.csv"))
    assert proc.returncode == 1
    assert "--scores needs a model: the spec has neither cfa nor sem" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists() and not (tmp_path / "s.csv").exists()
