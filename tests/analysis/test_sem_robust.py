"""MLR (complete data and FIML) and cluster-robust SEs against lavaan 0.6.14 (issue 10, items 6-7).

Reference values: ``tests/fixtures/robust/make.R`` (lavaan ``sem(..., estimator = "MLR")``, with
``missing = "ml"`` and ``cluster =``) on HolzingerSwineford1939, psych's bfi, Demo.twolevel and
the conformance Likert data. Tolerances are the conformance README's: estimates and SEs 1e-3,
χ² relative 1e-5, fit indices 1e-4.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.errors import ModelSpecError
from coprod.analysis.sem.api import fit_sem
from coprod.analysis.sem.robust import h1_information, h1_scores

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "robust"
EXPECTED = json.loads((FIX / "expected.json").read_text())
CASES = [k for k in EXPECTED if k != "environment"]
CHISQ_KEYS = ("chisq", "chisq.scaled", "baseline.chisq.scaled")
INDEX_KEYS = ("chisq.scaling.factor", "baseline.chisq.scaling.factor", "pvalue.scaled", "cfi.scaled",
              "tli.scaled", "cfi.robust", "tli.robust", "rmsea.scaled", "rmsea.robust", "rmsea.ci.lower.scaled",
              "rmsea.ci.upper.scaled", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust")


@pytest.fixture(scope="module")
def fits():
    out = {}
    for name in CASES:
        sp = EXPECTED[name]["spec"]
        data = pd.read_csv(FIX / sp["data"])
        out[name] = fit_sem(data, sp["model"], estimator=sp.get("estimator"), cluster=sp.get("cluster"),
                            missing="fiml" if sp.get("missing") == "ml" else "listwise", group=sp.get("group"),
                            group_equal=[sp["group.equal"]] if sp.get("group.equal") else ())
    return out


def test_three_cases_each_kind_one_with_groups():
    kinds = {"mlr_": [], "mlr_fiml_": [], "cluster_": []}
    for name in CASES:
        kind = "mlr_fiml_" if name.startswith("mlr_fiml_") else ("mlr_" if name.startswith("mlr_") else "cluster_")
        kinds[kind].append(name)
    for kind, names in kinds.items():
        assert len(names) >= 3, kind
        assert any(EXPECTED[n]["spec"].get("group") for n in names), kind


@pytest.mark.parametrize("name", CASES)
def test_estimates_and_robust_se(fits, name):
    res = fits[name]
    assert res.converged
    est = res.estimates
    rows = pd.DataFrame(EXPECTED[name]["estimates"])
    for row in rows.itertuples():
        if row.op == ":=":
            got = res.defined.loc[res.defined.name == row.lhs].iloc[0]
        else:
            got = est[(est.lhs == row.lhs) & (est.op == row.op) & (est.rhs == row.rhs)
                      & (est.group == row.group)].iloc[0]
        assert got.est == pytest.approx(row.est, abs=1e-3), (row.lhs, row.op, row.rhs)
        assert got.se == pytest.approx(row.se, abs=1e-3), (row.lhs, row.op, row.rhs)


@pytest.mark.parametrize("name", CASES)
def test_scaled_and_robust_fit(fits, name):
    fit, exp = fits[name].fit, EXPECTED[name]["fit"]
    for key in CHISQ_KEYS:
        assert fit[key.replace(".", "_")] == pytest.approx(exp[key], rel=1e-5), key
    for key in INDEX_KEYS:
        assert fit[key.replace(".", "_")] == pytest.approx(exp[key], abs=1e-4), key


def test_meta_names_estimator_and_cluster(fits):
    meta = fits["cluster_twolevel_groups"].meta
    assert (meta["estimator"], meta["se"], meta["test"], meta["cluster"]) == (
        "MLR", "robust.cluster", "yuan.bentler.mplus", "cluster")
    assert meta["n_clusters"] == {"even": 100, "odd": 100}
    assert fits["mlr_fiml_bfi"].meta["se"] == "robust.huber.white"


def test_robust_se_differ_from_ml_se():
    sp = EXPECTED["mlr_fiml_bfi"]["spec"]
    data = pd.read_csv(FIX / sp["data"])
    ml = fit_sem(data, sp["model"], missing="fiml")
    mlr = fit_sem(data, sp["model"], missing="fiml", estimator="MLR")
    assert np.allclose(ml.estimates.est, mlr.estimates.est)
    free = ml.estimates.free > 0
    assert np.max(np.abs(ml.estimates.se[free] - mlr.estimates.se[free])) > 5e-3
    assert "chisq_scaled" not in ml.fit


def test_h1_scores_sum_to_zero_and_information_is_expected_at_sample_moments():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 3)) @ np.array([[1, .5, .2], [0, 1, .3], [0, 0, 1]])
    mu, s = x.mean(0), np.cov(x.T, bias=True)
    assert np.abs(h1_scores(x, mu, s).sum(axis=0)).max() < 1e-9
    info = h1_information(x, mu, s)
    assert np.allclose(info[:3, :3], 200 * np.linalg.inv(s))
    assert np.allclose(info[:3, 3:], 0, atol=1e-9)


def _twolevel():
    return pd.read_csv(FIX / "twolevel.csv")


def test_cluster_errors_name_the_column():
    d = _twolevel()
    model = "f1 =~ y1 + y2 + y3"
    with pytest.raises(ModelSpecError, match="cluster column 'school' is not in the data"):
        fit_sem(d, model, cluster="school")
    d2 = d.copy()
    d2.loc[:4, "cluster"] = np.nan
    with pytest.raises(ModelSpecError, match=r"cluster column 'cluster' is empty in 5 row\(s\)"):
        fit_sem(d2, model, cluster="cluster")
    d3 = d.assign(one=1)
    with pytest.raises(ModelSpecError, match="cluster column 'one' has fewer than 2 clusters"):
        fit_sem(d3, model, cluster="one")
    with pytest.raises(ModelSpecError, match="cluster='cluster' needs estimator='MLR'"):
        fit_sem(d, model, cluster="cluster", estimator="ML")


def test_saturated_model_has_no_scaled_test():
    d = _twolevel()
    res = fit_sem(d, "f1 =~ y1 + y2 + y3", estimator="MLR")
    assert res.fit["df"] == 0
    assert math.isnan(res.fit["chisq_scaled"]) and math.isnan(res.fit["cfi_robust"])
    assert res.estimates.se[res.estimates.free > 0].gt(0).all()
