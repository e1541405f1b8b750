"""WLSMV with ordered indicators (``fit_sem(..., ordered=)``) against lavaan 0.6-14 / semTools 0.5-6.

R calls behind the reference values:
  ordinal.wlsmv_cfa (shared run_oracle.R):  cfa(model, data, ordered = items, estimator = "WLSMV");
      fitMeasures(fit); parameterEstimates(fit, standardized = TRUE);
      compRelSEM(fit) and compRelSEM(fit, ord.scale = FALSE)
  tests/fixtures/sem/wlsmv_cases.json (make_wlsmv_cases.R): the same for SEM with :=, residual
      covariances, equal loadings, a cross-loading, 3-category items, listwise deletion and a
      higher-order factor.
Tolerances: shared/conformance/README.md (WLSMV estimates, SEs, std.all 1e-3; χ² statistics
relative 1e-3; CFI/TLI/RMSEA/SRMR/p-values 1e-4; compRelSEM 1e-3; thresholds 1e-3).
"""
from __future__ import annotations

import doctest
import importlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod.analysis import pipeline
from coprod.analysis.errors import ModelSpecError
from coprod.analysis.ordinal import sample_statistics
from coprod.analysis.ordinal.reliability import composite_reliability_ordinal, wlsmv_reliability
from coprod.analysis.sem import fit_sem
from coprod.analysis.sem import dwls_fit
from coprod.analysis.spec import spec_from_dict

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "conformance"
OWN = ROOT / "tests" / "fixtures" / "conformance"
EXTRA = ROOT / "tests" / "fixtures" / "sem" / "wlsmv_cases.json"

TOL_EST = 1e-3          # est, se, std.all, thresholds
TOL_CHISQ_REL = 1e-3    # every χ² statistic (standard, scaled, baseline, catML)
TOL_INDEX = 1e-4        # cfi, tli, rmsea (+ CI), srmr, p-values and the other indices
TOL_REL = 1e-3          # compRelSEM


def _ordinal_cases() -> list[Path]:
    dirs = [SHARED / "likert_ordinal"] + sorted(p.parent for p in OWN.glob("*/expected.json"))
    out = []
    for d in dirs:
        f = d / "expected.json"
        if not f.exists():
            continue
        try:
            exp = json.loads(f.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(exp.get("ordinal"), dict) and isinstance(exp["ordinal"].get("wlsmv_cfa"), dict):
            out.append(d)
    return out


CASES = _ordinal_cases()


@pytest.fixture(scope="module", params=CASES or [None], ids=[c.name for c in CASES] or ["none"])
def case(request):
    if request.param is None:
        pytest.skip("no conformance case with an ordinal.wlsmv_cfa section")
    d = request.param
    exp = json.loads((d / "expected.json").read_text())
    spec = json.loads((d / "spec.json").read_text())
    data = pd.read_csv(d / spec.get("data", "data.csv"))
    model = spec.get("cfa_model") or spec.get("cfa")
    res = fit_sem(data, model, ordered=True, estimator="WLSMV")
    return exp["ordinal"]["wlsmv_cfa"], res


def _key(name: str) -> str:
    return name.replace(".", "_")


def _check_fit(ref: dict, fit: dict, where: str) -> None:
    checked = 0
    for name, want in ref.items():
        if want is None:
            continue
        key = _key(name)
        assert key in fit, f"{where}: fit measure {key} missing"
        got = fit[key]
        if "chisq" in name and "pvalue" not in name or name.startswith("cn_"):
            assert got == pytest.approx(want, rel=TOL_CHISQ_REL, abs=1e-8), (where, name, got, want)
        elif name in ("df", "df.scaled", "baseline.df", "baseline.df.scaled", "npar"):
            assert got == want, (where, name, got, want)
        else:
            assert got == pytest.approx(want, abs=TOL_INDEX), (where, name, got, want)
        checked += 1
    assert checked >= 40


def _check_estimates(ref_rows: list[dict], table: pd.DataFrame, where: str, *, order: bool = True) -> None:
    ref = {(r["lhs"], r["op"], r["rhs"]): r for r in ref_rows}
    ours = {(r.lhs, r.op, r.rhs): r for r in table.itertuples()}
    assert set(ref) == set(ours), (where, set(ref) ^ set(ours))
    if order:  # lavaan's row order (user rows, thresholds, variances, ~*~, ~1, :=)
        assert list(zip(table["lhs"], table["op"], table["rhs"])) == \
            [(r["lhs"], r["op"], r["rhs"]) for r in ref_rows]
    for key, r in ref.items():
        row = ours[key]
        for col, rcol in (("est", "est"), ("se", "se"), ("std_all", "std.all"), ("std_lv", "std.lv")):
            if rcol not in r:
                continue
            want = r[rcol]
            got = getattr(row, col)
            if want is None:
                assert not np.isfinite(got), (where, key, col, got)
                continue
            assert got == pytest.approx(want, abs=TOL_EST), (where, key, col, got, want)
        if r.get("z") is None and "z" in r:
            assert not np.isfinite(row.z), (where, key)
        elif "z" in r:
            assert row.z == pytest.approx(r["z"], rel=1e-3, abs=1e-3), (where, key)
            assert row.pvalue == pytest.approx(r["pvalue"], abs=TOL_INDEX), (where, key)


# --------------------------------------------------------------------------- conformance cases
def test_fit_measures_match_lavaan(case):
    ref, res = case
    assert res.converged and ref["converged"]
    _check_fit(ref["fit"], res.fit, "fit")
    for k in ("loglik", "aic", "bic"):
        assert math.isnan(res.fit[k])  # not defined for DWLS (lavaan: NA)


def test_estimates_se_std_all_and_thresholds_match_lavaan(case):
    ref, res = case
    _check_estimates(ref["estimates"], res.estimates, "estimates")
    th = res.estimates[res.estimates["op"] == "|"]
    assert len(th) == sum(r["op"] == "|" for r in ref["estimates"]) > 0
    assert (th["free"] > 0).all()
    # latent response scale: unit diagonal of the implied correlation matrix
    np.testing.assert_allclose(np.diag(res.implied_cov().to_numpy()), 1.0, atol=1e-12)
    lat = ref.get("latent", {})
    if lat.get("cov"):
        lv = list(res.latent_cov().index)
        want = pd.DataFrame(lat["cov"]).loc[lv, lv].to_numpy()
        np.testing.assert_allclose(res.latent_cov().to_numpy(), want, atol=TOL_EST)


def test_std_loadings_match_lavaan(case):
    ref, res = case
    est = res.estimates.set_index(["lhs", "op", "rhs"])
    for r in ref["std_loadings"]:
        row = est.loc[(r["lhs"], "=~", r["rhs"])]
        assert row["std_all"] == pytest.approx(r["std.all"], abs=TOL_EST)


def test_reliability_matches_semtools(case):
    ref, res = case
    got = wlsmv_reliability(res)
    for key in ("omega_ordinal_scale", "omega_latent_response_scale"):
        want = ref["reliability"][key]
        assert set(got[key]) == set(want)
        for f, v in want.items():
            assert got[key][f] == pytest.approx(v, abs=TOL_REL), (key, f)
    assert got["warnings"] == []


# --------------------------------------------------------------------------- extra lavaan cases
def _extra_data(case: dict) -> pd.DataFrame:
    path = {"likert_ordinal": SHARED / "likert_ordinal" / "data.csv",
            "ordinal_4pt_skewed": OWN / "ordinal_4pt_skewed" / "data.csv"}[case["data"]]
    if not path.exists():
        pytest.skip(f"data of {case['data']} not found at {path}")
    d = pd.read_csv(path)
    if case["transform"] == "clip_2_4":
        for v in [f"comp{i}" for i in range(1, 5)] + [f"amb{i}" for i in range(1, 5)]:
            d[v] = d[v].clip(2, 4)
    elif case["transform"] == "na_every_9th_ins2":
        d["ins2"] = d["ins2"].astype(float)
        d.loc[d.index[::9], "ins2"] = np.nan
    else:
        assert case["transform"] == "none"
    return d


EXTRA_CASES = json.loads(EXTRA.read_text()) if EXTRA.exists() else {}
EXTRA_NAMES = [k for k, v in EXTRA_CASES.items() if isinstance(v, dict)]


@pytest.mark.parametrize("name", EXTRA_NAMES)
def test_extra_wlsmv_cases_match_lavaan(name):
    c = EXTRA_CASES[name]
    res = fit_sem(_extra_data(c), c["model"], ordered=True)
    assert res.converged and c["converged"]
    assert res.n_used == c["nobs"]
    _check_fit(c["fit"], res.fit, name)
    _check_estimates(c["estimates"], res.estimates, name)
    for k, v in c["r2"].items():
        assert res.r2[k] == pytest.approx(v, abs=TOL_EST), (name, k)
    if any(r["op"] == ":=" for r in c["estimates"]):
        d = res.defined.set_index("name")
        for r in c["estimates"]:
            if r["op"] == ":=":
                assert d.loc[r["lhs"], "est"] == pytest.approx(r["est"], abs=TOL_EST)
                assert d.loc[r["lhs"], "se"] == pytest.approx(r["se"], abs=TOL_EST)
    if c.get("reliability"):
        got = wlsmv_reliability(res)
        for key, want in c["reliability"].items():
            assert set(got[key]) == set(want), (name, key)
            for f, v in want.items():
                assert got[key][f] == pytest.approx(v, abs=TOL_REL), (name, key, f)


# --------------------------------------------------------------------------- API behaviour
@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(11)
    n = 300
    f = rng.normal(size=(n, 2)) @ np.linalg.cholesky([[1, 0.4], [0.4, 1]]).T
    cuts = np.array([-1.0, 0.0, 0.8])
    cols = {}
    for j in range(6):
        z = 0.75 * f[:, j // 3] + np.sqrt(1 - 0.75 ** 2) * rng.normal(size=n)
        cols[f"y{j + 1}"] = np.searchsorted(cuts, z) + 1
    cols["age"] = rng.normal(40, 10, n)
    return pd.DataFrame(cols)


MODEL2 = "f1 =~ y1 + y2 + y3\nf2 =~ y4 + y5 + y6"


def test_ordered_true_list_and_estimator_default_agree(small):
    a = fit_sem(small, MODEL2, ordered=True)
    b = fit_sem(small, MODEL2, ordered=["y1", "y2", "y3", "y4", "y5", "y6", "age"], estimator="wlsmv")
    pd.testing.assert_frame_equal(a.estimates, b.estimates)
    assert a.meta["estimator"] == "WLSMV" and a.meta["parameterization"] == "delta"
    assert a.fit["df"] == 8 and a.fit["npar"] == 6 * 3 + 4 + 3
    json.dumps(a.to_dict(), allow_nan=False)
    # the ML path is untouched
    ml = fit_sem(small, MODEL2)
    assert ml.meta["estimator"] == "ML" and not (ml.estimates["op"] == "|").any()


def test_thresholds_are_the_sample_thresholds_with_robust_se(small):
    res = fit_sem(small, MODEL2, ordered=True)
    m = sample_statistics(small, [f"y{j}" for j in range(1, 7)])
    th = res.estimates[res.estimates["op"] == "|"]
    assert list(th["lhs"] + "|" + th["rhs"]) == list(m.threshold_names)
    np.testing.assert_allclose(th["est"], m.thresholds, atol=1e-14)
    np.testing.assert_allclose(th["se"], np.sqrt(np.diag(m.gamma)[:len(th)] / (m.n - 1)), rtol=1e-10)
    assert res.vcov.shape == (res.fit["npar"],) * 2


@pytest.mark.parametrize("kwargs, words", [
    ({"ordered": ["y1", "y2", "y3"]}, "mixing continuous and ordered"),
    ({"ordered": True, "group": "grp"}, "multi-group"),
    ({"ordered": True, "missing": "fiml"}, "FIML"),
    ({"ordered": True, "estimator": "ML"}, "WLSMV"),
    ({"estimator": "WLSMV"}, "ordered"),
    ({"ordered": True, "bootstrap": 10}, "bootstrap"),
    ({"ordered": ["nope"]}, "nope"),
])
def test_unsupported_requests_raise_clear_errors(small, kwargs, words):
    data = small.assign(grp=np.repeat(["a", "b"], len(small) // 2))
    with pytest.raises(ModelSpecError, match=words):
        fit_sem(data, MODEL2, **kwargs)


def test_observed_regressor_is_rejected(small):
    with pytest.raises(ModelSpecError, match="indicators of latent variables"):
        fit_sem(small, MODEL2 + "\nf2 ~ age", ordered=True)
    with pytest.raises(ModelSpecError, match="intercepts"):
        fit_sem(small, MODEL2 + "\ny1 ~ 1", ordered=True)


def test_item_with_one_category_is_a_clear_error_not_a_crash(small):
    data = small.copy()
    data["y3"] = 2
    with pytest.raises(ModelSpecError, match=r"y3.*single observed category"):
        fit_sem(data, MODEL2, ordered=True)


def test_under_identified_model_warns_and_returns_nan(small):
    res = fit_sem(small, "f =~ y1 + y2", ordered=True)
    assert res.fit["df"] == -1
    assert any("not identified" in w for w in res.warnings)
    assert math.isnan(res.fit["chisq"]) and math.isnan(res.fit["cfi"])


def test_robust_indices_are_nan_when_the_polychoric_matrix_is_not_pd():
    R = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    out = dwls_fit.catml(R, np.eye(3), 100, np.zeros((3, 1)), np.eye(1), np.ones(3), np.eye(3),
                         np.array([1, 2, 2]), np.array([0, 0, 1]), 2)
    assert math.isnan(out["xx3"]) and "not positive definite" in out["note"]


def test_heywood_case_is_reported():
    # latent responses with r12 = .5, r13 = .8, r23 = .3: a one-factor model needs
    # λ1²φ = r12·r13/r23 ≈ 1.33 > 1, i.e. a negative residual variance of y1*
    rng = np.random.default_rng(5)
    C = np.array([[1, 0.5, 0.8], [0.5, 1, 0.3], [0.8, 0.3, 1]])
    z = rng.normal(size=(2000, 3)) @ np.linalg.cholesky(C).T
    data = pd.DataFrame(np.searchsorted([-0.5, 0.4, 1.2], z) + 1, columns=["y1", "y2", "y3"])
    res = fit_sem(data, "f =~ y1 + y2 + y3", ordered=True)
    est = res.estimates.set_index(["lhs", "op", "rhs"])["est"]
    assert est[("y1", "~~", "y1")] < 0
    assert any("Heywood" in w and "y1" in w for w in res.warnings)
    assert res.fit["df"] == 0 and res.fit["chisq"] == pytest.approx(0, abs=1e-8)


def test_reliability_needs_a_wlsmv_fit(small):
    with pytest.raises(ModelSpecError, match="WLSMV"):
        composite_reliability_ordinal(fit_sem(small, MODEL2))
    res = fit_sem(small, MODEL2, ordered=True)
    a = composite_reliability_ordinal(res, ord_scale=False, obs_var=False)
    b = composite_reliability_ordinal(res, ord_scale=False)
    assert set(a.values.index) == {"f1", "f2"} and not a.obs_var and b.obs_var
    assert abs(a["f1"] - b["f1"]) < 0.05


def test_pipeline_ordinal_step_adds_the_wlsmv_cfa():
    case = SHARED / "likert_ordinal"
    if not (case / "expected.json").exists():
        pytest.skip("no likert_ordinal fixture")
    exp = json.loads((case / "expected.json").read_text())
    spec = json.loads((case / "spec.json").read_text())
    data = pd.read_csv(case / "data.csv")
    s = spec_from_dict({"scales": spec["scales"], "cfa": spec["cfa_model"], "ordered": True})
    out = pipeline._ordinal(data, s)
    w = out.wlsmv_cfa
    assert w.estimator == "WLSMV" and w.parameterization == "delta"
    ref = exp["ordinal"]["wlsmv_cfa"]
    assert w.fit["chisq_scaled"] == pytest.approx(ref["fit"]["chisq.scaled"], rel=TOL_CHISQ_REL)
    assert w.fit["cfi_robust"] == pytest.approx(ref["fit"]["cfi.robust"], abs=TOL_INDEX)
    for key in ("omega_ordinal_scale", "omega_latent_response_scale"):
        for f, v in ref["reliability"][key].items():
            assert w.reliability[key][f] == pytest.approx(v, abs=TOL_REL)
    json.dumps(pipeline.jsonable(out.to_dict()), allow_nan=False)
    # a model WLSMV cannot fit keeps the rest of the ordinal section, with the reason
    bad = data.assign(ins1=3)
    out = pipeline._ordinal(bad, s)
    assert out.wlsmv_cfa is None and out.ordinal_alpha
    assert any("wlsmv_cfa not fitted" in w and "ins1" in w for w in out.warnings)


@pytest.mark.parametrize("module", ["coprod.analysis.ordinal.reliability"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0
