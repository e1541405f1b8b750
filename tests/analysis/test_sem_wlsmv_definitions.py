"""Issue 10, defect 5 (WLSMV): lavaan's definitions for a saturated (df = 0) and a not-identified
(df < 0) model with ordered indicators, as test_sem_definitions.py checks them for ML.

Reference values: tests/fixtures/sem/wlsmv_definition_cases.json, made by
make_wlsmv_definition_cases.R beside it (R 4.2.2, lavaan 0.6.14,
``cfa(model, data, ordered = TRUE, estimator = "WLSMV")``) on tests/fixtures/conformance/
ordinal_4pt_skewed (items a1–a3). Before the fix the saturated model had p-value 1 (lavaan: NA) and
NaN robust CFI/TLI/RMSEA (lavaan: 1, 1, 0 with CI (0, 0)). lavaan's fitMeasures stops with an
error on the not-identified model; coprod reports NaN for χ² and every index that needs it.
Tolerances as in test_sem_wlsmv.py (indices 1e-4, χ² relative 1e-3, estimates 1e-3).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from coprod.analysis.sem import fit_sem

ROOT = Path(__file__).resolve().parents[2]
REF = json.loads((ROOT / "tests" / "fixtures" / "sem" / "wlsmv_definition_cases.json").read_text())
ITEMS = ["a1", "a2", "a3"]


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(ROOT / "tests" / "fixtures" / "conformance" / "ordinal_4pt_skewed" / "data.csv")[ITEMS]


def _nan(x):
    return x is None or (isinstance(x, float) and math.isnan(x))


def test_saturated_wlsmv_matches_lavaan(data):
    cs = REF["saturated"]
    res = fit_sem(data, cs["model"], ordered=ITEMS)
    assert res.converged and res.fit["df"] == 0
    compared = 0
    for key, mine in res.fit.items():
        theirs = cs["fit"].get(key.replace("_", "."))
        if key.replace("_", ".") not in cs["fit"]:
            continue
        compared += 1
        if theirs is None:
            assert _nan(mine), (key, mine)
        elif "chisq" in key:
            assert mine == pytest.approx(theirs, rel=1e-3, abs=1e-6), key
        else:
            assert mine == pytest.approx(theirs, abs=1e-4), key
    assert compared >= 40
    for key in ("pvalue", "pvalue_scaled"):
        assert _nan(res.fit[key])
    assert (res.fit["rmsea_robust"], res.fit["rmsea_ci_lower_robust"], res.fit["rmsea_ci_upper_robust"]) == (0, 0, 0)
    assert res.fit["tli_robust"] == 1.0 and res.fit["cfi_robust"] == pytest.approx(1.0, abs=1e-12)
    got = res.estimates[res.estimates.op == "=~"]
    for g, w in zip(got.itertuples(), cs["estimates"]):
        assert (g.lhs, g.rhs) == (w["lhs"], w["rhs"])
        assert g.est == pytest.approx(w["est"], abs=1e-3) and g.std_all == pytest.approx(w["std.all"], abs=1e-3)


def test_not_identified_wlsmv_has_no_chisq(data):
    cs = REF["not_identified"]
    res = fit_sem(data, cs["model"], ordered=ITEMS)
    assert res.fit["npar"] == cs["fit"]["npar"] == 13 and res.fit["df"] == -1
    for key in ("chisq", "pvalue", "chisq_scaled", "cfi", "tli", "rmsea", "cfi_robust", "tli_robust", "rmsea_robust"):
        assert _nan(res.fit[key]), key
    assert "model is not identified: 13 free parameters but only 12 sample statistics (df = -1)" in res.warnings
