"""Public API behaviour of analysis.sem beyond the lavaan reference values.

Closed-form checks: a regression ``y ~ x1 + x2`` with fixed.x is OLS (slopes, residual variance
SSE/N, R²); an observed mediation model's ``:=`` equals the product of its paths.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.default import reverse_keyed
from coprod.analysis.models import measurement_model
from coprod.analysis.responses import SimulationParams, from_table, simulate
from coprod.analysis.sem import InvarianceResult, SemResult, fit_sem, measurement_invariance
from coprod.instrument.bank import load_bank


@pytest.fixture(scope="module")
def paths():
    rng = np.random.default_rng(3)
    n = 400
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n) + 0.3 * x1
    m = 0.5 * x1 + rng.normal(size=n)
    y = 0.4 * m + 0.2 * x2 + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "m": m, "y": y})


@pytest.fixture(scope="module")
def twogroups():
    rng = np.random.default_rng(11)
    rows = []
    for g, shift, lam4 in (("b", 0.0, 0.8), ("a", 0.4, 0.8)):
        f = rng.normal(size=300)
        x = {f"x{i}": 0.8 * f + rng.normal(scale=0.6, size=300) for i in (1, 2, 3)}
        x["x4"] = lam4 * f + rng.normal(scale=0.6, size=300) + (shift if g == "a" else 0.0)
        rows.append(pd.DataFrame({**x, "grp": g}))
    return pd.concat(rows, ignore_index=True)


def test_regression_equals_ols(paths):
    res = fit_sem(paths, "y ~ x1 + x2")
    x = np.column_stack([np.ones(len(paths)), paths.x1, paths.x2])
    b, *_ = np.linalg.lstsq(x, paths.y, rcond=None)
    sse = float(np.sum((paths.y - x @ b) ** 2))
    est = res.estimates.set_index(["lhs", "op", "rhs"])["est"]
    assert est[("y", "~", "x1")] == pytest.approx(b[1], abs=1e-8)
    assert est[("y", "~", "x2")] == pytest.approx(b[2], abs=1e-8)
    assert est[("y", "~~", "y")] == pytest.approx(sse / len(paths), abs=1e-8)
    assert res.r2["y"] == pytest.approx(1 - sse / np.sum((paths.y - paths.y.mean()) ** 2), abs=1e-8)
    assert res.fit["df"] == 0 and res.fit["npar"] == 3  # x variances/covariance are fixed.x, not counted
    fixed_x = res.estimates[(res.estimates.lhs == "x1") & (res.estimates.rhs == "x1")]
    assert fixed_x.free.iloc[0] == 0 and fixed_x.est.iloc[0] == pytest.approx(paths.x1.var(ddof=0))


def test_intercept_in_syntax_switches_on_meanstructure(paths):
    res = fit_sem(paths, "y ~ x1 + x2\ny ~ 1")
    est = res.estimates.set_index(["lhs", "op", "rhs"])["est"]
    assert res.meta["meanstructure"]
    assert est[("x1", "~1", "")] == pytest.approx(paths.x1.mean())
    x = np.column_stack([np.ones(len(paths)), paths.x1, paths.x2])
    assert est[("y", "~1", "")] == pytest.approx(np.linalg.lstsq(x, paths.y, rcond=None)[0][0], abs=1e-8)


def test_mediation_defined_parameter(paths):
    res = fit_sem(paths, "m ~ a*x1\ny ~ b*m + x2\nab := a*b\ntot := a*b + 0.5")
    est = res.estimates.set_index("label")["est"]
    d = res.defined.set_index("name")
    assert d.loc["ab", "est"] == pytest.approx(est["a"] * est["b"], rel=1e-12)
    assert d.loc["tot", "est"] == pytest.approx(est["a"] * est["b"] + 0.5, rel=1e-12)
    # delta method for a product of (asymptotically) independent estimates
    se = res.estimates.set_index("label")["se"]
    want = np.sqrt(est["b"] ** 2 * se["a"] ** 2 + est["a"] ** 2 * se["b"] ** 2)
    assert d.loc["ab", "se"] == pytest.approx(want, rel=1e-3)
    assert d.loc["tot", "se"] == pytest.approx(d.loc["ab", "se"], rel=1e-6)
    assert res.fit["df"] == 2 and isinstance(res, SemResult)


def test_multigroup_result_helpers(twogroups):
    res = fit_sem(twogroups, "f =~ x1 + x2 + x3 + x4", group="grp", group_equal=["loadings"])
    assert res.groups == ("b", "a")  # first appearance, not sorted
    assert set(res.r2) == {"b", "a"} and set(res.fit["chisq_by_group"]) == {"b", "a"}
    assert sum(res.fit["chisq_by_group"].values()) == pytest.approx(res.fit["chisq"])
    cov = res.implied_cov()
    assert set(cov) == {"b", "a"} and cov["a"].shape == (4, 4)
    assert res.latent_cor("a").loc["f", "f"] == pytest.approx(1.0)
    loads = res.estimates[(res.estimates.op == "=~") & (res.estimates.rhs == "x2")]
    assert loads.est.nunique() == 1 and loads.label.iloc[0] == ".p2."
    means = res.estimates[res.estimates.op == "~1"].set_index(["lhs", "group"])["est"]
    assert means[("x4", 2)] - means[("x4", 1)] == pytest.approx(0.4, abs=0.15)
    json.dumps(res.to_dict())


def test_invariance_detects_a_shifted_intercept(twogroups):
    mi = measurement_invariance(twogroups, "f =~ x1 + x2 + x3 + x4", "grp")
    assert isinstance(mi, InvarianceResult)
    assert mi.models["scalar"]["df"] - mi.models["metric"]["df"] == mi.lrt["scalar"]["df_diff"] == 3
    assert mi.lrt["scalar"]["p_diff"] < 1e-6  # the x4 intercept differs by 0.4 between groups
    assert mi.decision in ("scalar", "partial_scalar")
    lrt_only = measurement_invariance(twogroups, "f =~ x1 + x2 + x3 + x4", "grp", chen=False)
    assert lrt_only.decision == "partial_scalar" and lrt_only.partial["scalar"]["freed"] == ["x4~1"]
    assert lrt_only.partial["scalar"]["lrt"]["p_diff"] > 0.05
    assert "Δχ²" in lrt_only.rule
    none = measurement_invariance(twogroups, "f =~ x1 + x2 + x3 + x4", "grp", chen=False, partial=False)
    assert none.decision == "metric" and none.partial == {}


def test_partial_invariance_search_is_capped():
    # a grouping with many non-invariant items: the search frees at most a fifth of the
    # constraints (Byrne et al. 1989), then says the level does not hold
    bank = load_bank()
    t = simulate(900, seed=5, params=SimulationParams(core_noninvariance=0.25, missing_rate=0, dont_know_rate=0))
    df = reverse_keyed(from_table(t, bank=bank, strict=False).analysis_table(), bank)
    res = measurement_invariance(df, measurement_model(bank, bank.latent_order, None), "sector")
    searched = [lvl for lvl, p in res.partial.items() if not p["holds"]]
    assert searched, res.decision
    for lvl in searched:
        p = res.partial[lvl]
        assert len(p["freed"]) <= p["limit"]
        assert any(f"partial {lvl} invariance: still rejected" in w for w in res.warnings)
    assert res.decision in ("configural", "metric", "partial_metric")
