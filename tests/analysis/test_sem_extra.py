"""coprod.analysis.sem on model features the shared conformance cases do not cover, against lavaan 0.6.14.

Reference values: tests/fixtures/sem/extra_cases.json, made by make_extra_cases.R beside it
(R 4.2.2, lavaan 0.6.14) on the conformance data sets:

* path_fixed_x: ``sem()`` with observed exogenous covariates (fixed.x), observed outcomes with
  ``auto.cov.y`` and a latent mediator;
* higher_order: ``cfa()`` with a second-order factor;
* meanstructure_fixed: ``sem(meanstructure = TRUE)`` with cross-wave equality labels;
* group_partial: ``cfa(group.equal = c("loadings", "intercepts", "residuals"), group.partial = ...)``;
* lv_equal: ``cfa(group.equal = c("loadings", "lv.variances", "lv.covariances"))``;
* fiml_fixed_x: ``sem(missing = "ml")`` with fixed.x covariates (x2 missing in every 7th row);
* fiml_multigroup: ``cfa(group = "sector", group.equal = "loadings", missing = "ml")``
  (observed-information SEs with equality constraints).

Compared: every fitMeasures key we report, every row of parameterEstimates (order, est, se,
std.lv, std.all) and R². Tolerances: README's (estimates 1e-3 is loosened to 5e-4 here only
because lavaan's own convergence leaves ~1e-4 in one residual covariance of meanstructure_fixed).
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from coprod.analysis.sem import fit_sem

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT.parent / "shared" / "conformance"
REF = json.loads((ROOT / "tests" / "fixtures" / "sem" / "extra_cases.json").read_text())
CASES = [k for k, v in REF.items() if isinstance(v, dict)]
needs_fixtures = pytest.mark.skipif(not CONFORMANCE.exists(), reason=f"no conformance data at {CONFORMANCE}")

FIT = [("chisq", "chisq", None, 1e-5), ("df", "df", 0, None), ("npar", "npar", 0, None), ("cfi", "cfi", 1e-4, None),
       ("tli", "tli", 1e-4, None), ("rmsea", "rmsea", 1e-4, None), ("rmsea_ci_upper", "rmsea.ci.upper", 1e-4, None),
       ("srmr", "srmr", 1e-4, None), ("loglik", "logl", None, 1e-5), ("loglik_h1", "unrestricted.logl", None, 1e-5),
       ("aic", "aic", None, 1e-5), ("bic", "bic", None, 1e-5), ("baseline_chisq", "baseline.chisq", None, 1e-5),
       ("baseline_df", "baseline.df", 0, None)]


def _as_list(x):
    return [] if x is None else ([x] if isinstance(x, str) else list(x))


@needs_fixtures
@pytest.mark.parametrize("name", CASES)
def test_extra_case_matches_lavaan(name):
    cs = REF[name]
    data = pd.read_csv(CONFORMANCE / cs["data"] / "data.csv")
    if cs.get("na_every_7th"):
        data.loc[::7, cs["na_every_7th"]] = float("nan")
    kw = {"missing": cs.get("missing") or "listwise"}
    if cs.get("group"):
        kw.update(group=cs["group"], group_equal=_as_list(cs["group_equal"]),
                  group_partial=_as_list(cs["group_partial"]))
    if "meanstructure = TRUE" in cs["call"]:
        kw["meanstructure"] = True
    res = fit_sem(data, cs["model"], **kw)
    assert res.converged and res.warnings == ()
    for mine, theirs, a, r in FIT:
        tol = (a or 0) + (r or 0) * abs(cs["fit"][theirs])
        assert abs(res.fit[mine] - cs["fit"][theirs]) <= tol, (mine, res.fit[mine], cs["fit"][theirs])
    got = res.estimates
    want = cs["estimates"]
    key = lambda r: (r["lhs"], r["op"], r["rhs"], r["group"] if r["op"] != ":=" else 0)  # noqa: E731
    assert [key(r) for _, r in got.iterrows()] == [key(w) for w in want]
    for (_, g), w in zip(got.iterrows(), want):
        for mine, theirs in (("est", "est"), ("se", "se"), ("std_lv", "std.lv"), ("std_all", "std.all")):
            if w.get(theirs) is not None:
                assert abs(g[mine] - w[theirs]) <= 5e-4, (key(w), mine, g[mine], w[theirs])
    r2 = res.r2 if not cs.get("group") else res.r2
    want_r2 = cs["r2"]
    if cs.get("group"):
        for mine, theirs in zip(r2.values(), want_r2.values()):
            assert set(mine) == set(theirs)
            assert all(abs(mine[k] - v) <= 5e-4 for k, v in theirs.items())
    else:
        assert set(r2) == set(want_r2)
        assert all(abs(r2[k] - v) <= 5e-4 for k, v in want_r2.items())
