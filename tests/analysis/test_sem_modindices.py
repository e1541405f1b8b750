"""Issue 10, item 8: modification indices (lavaan's ``modindices``) against lavaan 0.6.14.

Reference values: tests/fixtures/sem/modindices_cases.json, made by make_modindices_cases.R beside
it (R 4.2.2, lavaan 0.6.14, ``modindices(cfa(model, data))``; with groups
``cfa(model, data, group = "school", group.equal = "loadings")``): four single-group models
(Holzinger–Swineford three- and two-factor, a Heywood one-factor model, one group of
near_zero_marker.csv) and one two-group metric model, which also tests the markers; and
``lavTestScore(fit)$uni`` for a two-group scalar (HS by school) and metric (near_zero_marker.csv)
model. Score tests: X2 1e-3 absolute + 1e-4 relative, p-values 1e-4.
Tolerances: MI 1e-3 absolute + 1e-4 relative (χ² units, lavaan's optimum differs at ~1e-5);
EPC, sepc.lv, sepc.all 1e-4.
"""
from __future__ import annotations

import doctest
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coprod
import coprod.analysis.sem.modindices as mi_module
from coprod.analysis.sem import modification_indices, score_tests

FIX = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "sem"
REF = json.loads((FIX / "modindices_cases.json").read_text())
CASES = ["hs_three_factor", "hs_two_factor_residual", "heywood_one_factor", "near_zero_marker_a",
         "hs_by_school_metric"]


def _run(name):
    cs = REF[name]
    data = pd.read_csv(FIX / cs["data"])
    if cs.get("subset"):  # "g == 'a'"
        data = data[data["g"] == "a"].drop(columns="g")
    group = cs.get("group") or None
    equal = [cs["group_equal"]] if cs.get("group_equal") else ()
    return cs, modification_indices(data, cs["model"], group=group, group_equal=equal)


@pytest.mark.parametrize("name", CASES)
def test_modindices_match_lavaan(name):
    cs, res = _run(name)
    got, want = res.table, pd.DataFrame(cs["modindices"])
    assert list(zip(got.lhs, got.op, got.rhs, got.group)) == list(zip(want.lhs, want.op, want.rhs, want.group))
    assert got["mi"].to_numpy() == pytest.approx(want["mi"].to_numpy(), abs=1e-3, rel=1e-4)
    for mine, theirs in (("epc", "epc"), ("sepc_lv", "sepc.lv"), ("sepc_all", "sepc.all")):
        assert got[mine].to_numpy() == pytest.approx(want[theirs].to_numpy(), abs=1e-4), mine


def test_single_group_markers_are_not_tested_and_sorting():
    _cs, res = _run("hs_three_factor")
    keys = set(zip(res.table.lhs, res.table.op, res.table.rhs))
    assert ("visual", "=~", "x1") not in keys  # freeing a marker leaves the model not identified
    top = modification_indices(pd.read_csv(FIX / "holzinger_swineford_1939.csv"), REF["hs_three_factor"]["model"],
                               sort=True, minimum=10.0).table
    assert list(top["mi"]) == sorted(top["mi"], reverse=True) and (top["mi"] >= 10).all()
    assert (top.iloc[0].lhs, top.iloc[0].op, top.iloc[0].rhs) == ("visual", "=~", "x9")
    assert set(top.columns) == set(mi_module.MI_COLUMNS)


def test_public_api_and_json():
    assert coprod.modification_indices is modification_indices
    _cs, res = _run("heywood_one_factor")
    d = res.to_dict()
    json.dumps(d)
    assert d["modindices"][0]["lhs"] == "y1" and d["meta"]["information"] == "expected"


def test_doctest():
    assert doctest.testmod(mi_module).failed == 0


def test_not_converged_gives_no_table(monkeypatch):
    import dataclasses

    real = mi_module.summarize

    def fake(engine, **kw):
        return dataclasses.replace(real(engine, **kw), converged=False)
    monkeypatch.setattr(mi_module, "summarize", fake)
    _cs, res = _run("heywood_one_factor")
    assert res.table.empty and res.warnings == ("modification indices not computed: the model did not converge",)


@pytest.mark.parametrize("name", ["score_hs_scalar", "score_nzm_metric"])
def test_score_tests_match_lavaan(name):
    cs = REF[name]
    equal = [cs["group_equal"]] if isinstance(cs["group_equal"], str) else cs["group_equal"]
    res = score_tests(pd.read_csv(FIX / cs["data"]), cs["model"], cs["group"], group_equal=equal)
    got, want = res.table, pd.DataFrame(cs["tests"])
    assert list(zip(got.lhs, got.op, got.rhs, got.group)) == list(zip(want.lhs, want.op, want.rhs, want.group))
    assert got["X2"].to_numpy() == pytest.approx(want["X2"].to_numpy(), abs=1e-3, rel=1e-4)
    assert got["pvalue"].to_numpy() == pytest.approx(want["pvalue"].to_numpy(), abs=1e-4)
    assert (got["df"] == 1).all() and coprod.score_tests is score_tests


def test_partial_invariance_releases_by_score_test():
    # HS by school: scalar is rejected; the largest score test of an intercept constraint is
    # x3~1 (lavaan's lavTestScore X2 19.19), which is released and partial scalar holds
    from coprod.analysis.sem import measurement_invariance
    cs = REF["score_hs_scalar"]
    top = max(cs["tests"], key=lambda r: r["X2"])
    assert (top["lhs"], top["op"]) == ("x3", "~1")
    inv = measurement_invariance(pd.read_csv(FIX / cs["data"]), cs["model"], "school")
    part = inv.partial["scalar"]
    assert inv.decision == "partial_scalar" and part["freed"] == ["x3~1"] and part["method"] == ["score test"]
    assert part["score_tests"][0]["x3~1"] == pytest.approx(top["X2"], abs=1e-3)
    # FIML has no score test here: the refit search is kept
    fiml = measurement_invariance(pd.read_csv(FIX / cs["data"]), cs["model"], "school", missing="fiml")
    assert fiml.partial["scalar"]["method"] == ["refit"] and fiml.partial["scalar"]["freed"] == ["x3~1"]
