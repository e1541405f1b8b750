"""``estimator: MLR`` / ``cluster:`` in a spec, on the CLI, in results.json and in the study report
(issue 10, items 6-7). The numbers are lavaan's (tests/fixtures/robust/expected.json)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coprod.analysis.errors import ModelSpecError
from coprod.analysis.run.records import Fit
from coprod.analysis.spec import spec_from_dict
from coprod.reports.study import render_study_report
from coprod.workflow import analyze_file

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "robust"
EXPECTED = json.loads((FIX / "expected.json").read_text())
TL_MODEL = EXPECTED["cluster_twolevel_cfa"]["spec"]["model"]


def test_spec_keys():
    assert spec_from_dict({"estimator": "mlr"}).estimator == "MLR"
    assert spec_from_dict({}).estimator == "ML"
    s = spec_from_dict({"cluster": "municipality"})
    assert (s.estimator, s.cluster) == ("MLR", "municipality")
    assert "municipality" in spec_from_dict({"cluster": "municipality", "cfa": "f =~ a + b + c"}).used_columns()
    with pytest.raises(ModelSpecError, match="estimator: expected one of ML, MLR, got 'WLS'"):
        spec_from_dict({"estimator": "WLS"})
    with pytest.raises(ModelSpecError, match="cluster: cluster-robust standard errors need estimator MLR"):
        spec_from_dict({"estimator": "ML", "cluster": "municipality"})


@pytest.fixture(scope="module")
def cluster_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cl")
    spec = {"cfa": TL_MODEL, "scales": {"a": ["y1", "y2", "y3"]}, "cluster": "cluster"}
    (tmp / "spec.json").write_text(json.dumps(spec))
    return analyze_file(FIX / "twolevel.csv", spec=tmp / "spec.json", out=tmp / "out", report=False), tmp


def test_spec_run_writes_lavaan_numbers(cluster_run):
    run, tmp = cluster_run
    d = json.loads((tmp / "out" / "results.json").read_text())
    fit, exp = d["cfa"]["fit"], EXPECTED["cluster_twolevel_cfa"]["fit"]
    for key in ("chisq_scaled", "chisq_scaling_factor", "cfi_robust", "rmsea_robust", "tli_scaled"):
        assert fit[key] == pytest.approx(exp[key.replace("_", ".")], rel=1e-5, abs=1e-6), key
    meta = d["cfa"]["meta"]
    assert (meta["estimator"], meta["se"], meta["cluster"], meta["n_clusters"]) == (
        "MLR", "robust.cluster", "cluster", {"all": 200})
    assert d["meta"]["spec"]["cluster"] == "cluster"


def test_older_fit_without_robust_keys_still_loads(cluster_run):
    run, _ = cluster_run
    d = run.result.sections.cfa.fit.to_dict()
    old = {k: v for k, v in d.items() if "scaled" not in k and "robust" not in k}
    assert Fit.from_dict(old).to_dict() == old
    assert Fit.from_dict(d).to_dict() == d


@pytest.mark.parametrize("lang, words", [
    ("en", ("MLR, scaled", "MLR, robust indices", "Huber–White sandwich", "cluster-robust", "(200 clusters)")),
    ("da", ("MLR, skaleret", "MLR, robuste indeks", "Huber–White-sandwichen", "klyngerobuste", "(200 klynger)")),
])
def test_report_shows_scaled_and_robust_fit_and_names_estimator(cluster_run, lang, words):
    html = render_study_report(cluster_run[0].result, bank=None, lang=lang)
    for w in words:
        assert w in html, w
    if lang == "da":
        assert _danish_detector()(html) == {}


def test_ml_report_has_no_robust_rows(tmp_path):
    spec = {"cfa": TL_MODEL}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    run = analyze_file(FIX / "twolevel.csv", spec=tmp_path / "spec.json", out=tmp_path / "out", report=False)
    html = render_study_report(run.result, bank=None, lang="en")
    assert "Yuan" in render_study_report(_mlr(tmp_path).result, bank=None, lang="en")
    assert "MLR" not in html and "Huber" not in html


def _mlr(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps({"cfa": TL_MODEL, "estimator": "MLR"}))
    return analyze_file(FIX / "twolevel.csv", spec=tmp_path / "m.json", out=tmp_path / "m", report=False)


def _danish_detector():
    """``english_words`` of tests/reports/test_danish.py (tests are not a package)."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "reports" / "test_danish.py"
    spec = importlib.util.spec_from_file_location("_test_danish", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.english_words


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "coprod", *args], capture_output=True, text=True)


def test_cli_flags_are_for_the_default_analysis(tmp_path):
    (tmp_path / "s.json").write_text(json.dumps({"cfa": TL_MODEL}))
    r = _cli("analyze", str(FIX / "twolevel.csv"), "--spec", str(tmp_path / "s.json"), "--estimator", "MLR",
             "--out", str(tmp_path / "o"))
    assert r.returncode == 2
    assert "with --spec set them in the spec (estimator: MLR, cluster: COL)" in r.stderr
    r = _cli("analyze", str(FIX / "twolevel.csv"), "--cluster", "municipality", "--estimator", "ml",
             "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "--cluster needs --estimator MLR" in r.stderr


@pytest.mark.parametrize("cluster,estimator,n_values,want", [
    ("auto", "MLR", 20, ("municipality", True)),
    ("auto", "MLR", 19, (None, False)),   # too few clusters for cluster-robust SEs
    ("auto", "ML", 25, (None, False)),    # clusters are MLR's
    ("none", "MLR", 25, (None, False)),
    (None, "MLR", 25, (None, False)),
    ("service_area", "MLR", 3, ("service_area", False)),
])
def test_default_analysis_clusters_by_municipality_from_20(cluster, estimator, n_values, want):
    import pandas as pd
    from coprod.analysis.run.instrument_mode import resolve_cluster
    df = pd.DataFrame({"municipality": [f"m{i % n_values}" for i in range(100)] + [None]})
    assert resolve_cluster(cluster, estimator, df) == want
