"""Issue 10, defects 1 and 5: shared labels with a fixed parameter and lavaan's definitions for
saturated, Heywood and not-identified models, against lavaan 0.6.14.

Reference values: tests/fixtures/sem/definition_cases.json, made by make_definition_cases.R beside
it (R 4.2.2, lavaan 0.6.14, ``cfa(model, data)``) on the conformance Holzinger–Swineford data and
heywood_cfa.csv (simulated by that script, seed 2). Tolerances as in test_sem_extra.py.

Deliberate difference: for df < 0 lavaan's fitMeasures reports rmsea = 0 next to chisq = NA;
coprod reports RMSEA as NaN (no χ², no RMSEA).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from coprod.analysis.sem import fit_sem

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "sem"
REF = json.loads((FIX / "definition_cases.json").read_text())
# lavaan's HolzingerSwineford1939 (as in ../shared/conformance), kept here so CI runs these tests
HS = FIX / "holzinger_swineford_1939.csv"

FIT = [("chisq", "chisq", 1e-6, 1e-5), ("df", "df", 0, 0), ("npar", "npar", 0, 0), ("pvalue", "pvalue", 1e-6, 0),
       ("cfi", "cfi", 1e-4, 0), ("tli", "tli", 1e-4, 0), ("rmsea", "rmsea", 1e-4, 0),
       ("rmsea_ci_lower", "rmsea.ci.lower", 1e-4, 0), ("rmsea_ci_upper", "rmsea.ci.upper", 1e-4, 0)]


def _fit(name):
    cs = REF[name]
    path = FIX / cs["data"] if cs["data"].endswith(".csv") else FIX / f"{cs['data']}.csv"
    return cs, fit_sem(pd.read_csv(path), cs["model"])


def _close(mine, theirs, a, r):
    if theirs is None:
        return mine is None or (isinstance(mine, float) and math.isnan(mine))
    return abs(mine - theirs) <= a + r * abs(theirs)


@pytest.mark.parametrize("name", ["shared_marker_label", "shared_marker_label_two_factors", "marker_label_equality",
                                  "saturated", "heywood"])
def test_fit_estimates_r2_match_lavaan(name):
    cs, res = _fit(name)
    assert res.converged
    for mine, theirs, a, r in FIT:
        assert _close(res.fit[mine], cs["fit"][theirs], a, r), (mine, res.fit[mine], cs["fit"][theirs])
    got = res.estimates
    want = cs["estimates"]
    assert [(g.lhs, g.op, g.rhs) for g in got.itertuples()] == [(w["lhs"], w["op"], w["rhs"]) for w in want]
    for g, w in zip(got.itertuples(), want):
        assert abs(g.est - w["est"]) <= 5e-4, (w, g.est)
        assert abs(g.se - w["se"]) <= 5e-4, (w, g.se)
        assert abs(g.std_all - w["std.all"]) <= 5e-4, (w, g.std_all)
    assert set(res.r2) == set(cs["r2"])
    for k, v in cs["r2"].items():
        assert _close(res.r2[k], v, 5e-4, 0), (k, res.r2[k], v)


def test_label_shared_with_marker_fixes_all_its_loadings():
    cs, res = _fit("shared_marker_label")
    load = res.estimates[res.estimates.op == "=~"]
    assert list(load.est) == [1.0, 1.0, 1.0] and list(load.se) == [0.0, 0.0, 0.0]
    assert res.fit["df"] == 2 and res.fit["npar"] == 4
    # before the fix: x1 fixed, x2 = x3 free (df 1)
    assert abs(res.fit["chisq"] - 4.15483321700313) < 1e-5


def test_label_shared_with_user_fixed_value_is_fixed():
    # lavaan's parser drops the number in ``0.6*e*x1`` (no reference value); coprod reads it as
    # "fixed at 0.6, labelled e", so every row labelled e is fixed at 0.6 (lavaanify's rule)
    data = pd.read_csv(HS)
    res = fit_sem(data, "f =~ x1 + x2 + x3 + x9\nx1 ~~ 0.6*e*x1\nx2 ~~ e*x2")
    est = res.estimates.set_index(["lhs", "op", "rhs"])
    assert est.loc[("x1", "~~", "x1"), "est"] == 0.6 and est.loc[("x2", "~~", "x2"), "est"] == 0.6
    assert res.fit["npar"] == 6 and res.fit["df"] == 4


def test_heywood_r2_is_na_with_warning():
    _, res = _fit("heywood")
    assert math.isnan(res.r2["y1"])
    assert any("Heywood" in w and "y1 ~~ y1" in w for w in res.warnings)


def test_not_identified_has_no_fit_measures():
    cs, res = _fit("not_identified")
    assert res.fit["df"] == -1 and res.fit["npar"] == cs["fit"]["npar"] == 7
    for k in ("chisq", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper"):
        assert math.isnan(res.fit[k]), k
    assert cs["fit"]["chisq"] is None and cs["fit"]["cfi"] is None and cs["fit"]["tli"] is None
    assert "model is not identified: 7 free parameters but only 6 sample moments (df = -1)" in res.warnings
