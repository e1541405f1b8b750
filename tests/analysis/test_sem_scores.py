"""Issue 10, item 9: factor scores as lavaan's ``lavPredict(fit, method = "regression" | "Bartlett")``.

Reference values: tests/fixtures/scores/scores.json, made by make_scores.R beside it (R 4.2.2,
lavaan 0.6-14) on HolzingerSwineford1939 (one group; with and without a mean structure; by school;
by school with equal loadings and intercepts; with missing cells under FIML, alone and by school;
the same listwise), PoliticalDemocracy (latent regressions) and a MIMIC model (``visual ~ ageyr``,
fixed.x). Each case keeps its lavaan call; scores are one row per input row, null where lavaan
used no row or gave NA.
"""
from __future__ import annotations

import doctest
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.errors import ModelSpecError
from coprod.analysis.run import latent_scores
from coprod.analysis.sem import factor_scores, fit_sem, scores

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "scores"
REF = json.loads((FIX / "scores.json").read_text())
TOL = REF["tolerance"]  # 1e-4


def _fit(case: dict):
    data = pd.read_csv(FIX / case["data"])
    ge = case.get("group_equal", ())
    fit = fit_sem(data, case["model"], group=case.get("group"), group_equal=[ge] if isinstance(ge, str) else ge,
                  missing=case.get("missing", "listwise"), meanstructure=case.get("meanstructure"))
    return data, fit


def _expected(case: dict, method: str) -> np.ndarray:
    k = len(case["lv"])
    return np.array([[np.nan] * k if not r else [np.nan if v is None else v for v in r] for r in case[method]], float)


@pytest.mark.parametrize("method", ["regression", "bartlett"])
@pytest.mark.parametrize("name", sorted(REF["cases"]))
def test_scores_match_lavpredict(name, method):
    case = REF["cases"][name]
    data, fit = _fit(case)
    assert fit.converged
    assert fit.fit["chisq"] == pytest.approx(case["chisq"], abs=1e-6)
    got = factor_scores(fit, data, method=method)
    assert list(got.columns) == case["lv"]
    assert got.index.equals(data.index)
    want = _expected(case, method)
    # NaN in the same cells (rows lavaan drops; Bartlett's NA for a factor with no indicator answered)
    assert np.array_equal(np.isnan(got.to_numpy()), np.isnan(want))
    np.testing.assert_allclose(got.to_numpy(), want, atol=TOL, rtol=0)


def test_missing_case_has_the_nan_patterns_lavaan_has():
    case = REF["cases"]["hs_missing"]
    data, fit = _fit(case)
    reg, bart = fit.factor_scores(data), fit.factor_scores(data, method="Bartlett")
    # rows 5 and 77 (1-based) answered nothing: dropped, NaN in their own places
    assert reg.index[reg.isna().all(axis=1)].tolist() == [4, 76]
    # rows 10, 11 answered no indicator of visual: a regression score, but no Bartlett score
    assert reg.loc[[9, 10]].notna().all(axis=None)
    assert bart.loc[[9, 10], "visual"].isna().all() and bart.loc[[9, 10], ["textual", "speed"]].notna().all(axis=None)
    assert bart.loc[19, ["textual", "speed"]].isna().all()


def test_scores_keep_the_callers_index_and_order():
    case = REF["cases"]["hs_school"]
    data, fit = _fit(case)
    want = factor_scores(fit, data)
    shuffled = data.sample(frac=1.0, random_state=3).set_axis([f"r{i}" for i in range(len(data))])
    got = factor_scores(fit, shuffled)
    assert got.index.equals(shuffled.index)
    np.testing.assert_allclose(got.to_numpy(), want.loc[data.sample(frac=1.0, random_state=3).index].to_numpy(),
                               rtol=0, atol=1e-12)


def test_unknown_method_and_missing_column_are_clear_errors():
    case = REF["cases"]["hs"]
    data, fit = _fit(case)
    with pytest.raises(ModelSpecError, match=r"score method 'anderson' is not supported; use one of "
                                             r"\['regression', 'bartlett'\]"):
        factor_scores(fit, data, method="anderson")
    with pytest.raises(ModelSpecError, match=r"^factor scores: the data have no column\(s\) x3$"):
        factor_scores(fit, data.drop(columns="x3"))


def test_wlsmv_fit_has_no_scores():
    rng = np.random.default_rng(3)
    f = rng.normal(size=400)
    df = pd.DataFrame({f"y{i}": np.digitize(f + rng.normal(size=400), [-0.5, 0.5]) for i in range(4)})
    fit = fit_sem(df, "f =~ y0 + y1 + y2 + y3", ordered=True)
    with pytest.raises(ModelSpecError, match="only ML fits of fit_sem have them"):
        factor_scores(fit, df)


@pytest.mark.parametrize("module", [scores, latent_scores])
def test_docstring_example_runs(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
