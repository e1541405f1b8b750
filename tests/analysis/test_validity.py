"""Tests of analysis.validity against R (semTools 0.5.6, lavaan 0.6.14).

References: ``cfa.reliability`` of the shared conformance cases (``compRelSEM(fit)``, ``AVE(fit)``),
fed with the oracle's own ``cfa.estimates`` as the parameter table, and values computed with the same
R versions (Debian bookworm packages) on the conformance data:

    HTMT: hs2 = htmt(HS.model, hs), hs1 = htmt(HS.model, hs, htmt2 = FALSE), lo2 / lo1 likewise for the
          likert model, lo1_signed = htmt(.., htmt2 = FALSE, absolute = FALSE),
          lf_pw = htmt(lik.model, lf, missing = "pairwise"), lf_ml = (.., missing = "ml"),
          lf_lw = (.., missing = "listwise", htmt2 = FALSE)
    MG: fm <- cfa(HS.model, hs, group = "school", group.equal = "loadings"); compRelSEM(fm); AVE(fm)
        (its parameter table is the conformance case's invariance.metric_estimates)
    IMPLIED: compRelSEM(cfa(HS.model, hs), obs.var = FALSE); AVE(.., obs.var = FALSE)
    SEM: fs <- sem(lik.sem.model, lo); compRelSEM(fs); AVE(fs)  (table: sem.estimates of likert_ordinal)
"""
from __future__ import annotations

import doctest
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coprod.analysis.validity
from coprod.analysis.errors import ModelSpecError
from coprod.analysis.validity import ave, composite_reliability, fornell_larcker, htmt, latent_correlations

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT.parent / "shared" / "conformance"
CASES = sorted(p.name for p in CONFORMANCE.glob("*/") if (p / "expected.json").exists()
               and "reliability" in json.loads((p / "expected.json").read_text()).get("cfa", {})) \
    if CONFORMANCE.exists() else []
needs_fixtures = pytest.mark.skipif(not CASES, reason=f"no conformance fixtures at {CONFORMANCE}")

HTMT = {'hs2': [[1, 0.384088563919692, 0.386772930478728], [0.384088563919692, 1, 0.279683551026606], [0.386772930478728, 0.279683551026606, 1]], 'hs1': [[1, 0.424323042412548, 0.466549738478776], [0.424323042412548, 1, 0.289567862761083], [0.466549738478776, 0.289567862761083, 1]], 'lo2': [[1, 0.508567695481486, 0.106078393701171, 0.232977184397193, 0.179916910709372], [0.508567695481486, 1, 0.0989097009646672, 0.12782212647562, 0.357981284511407], [0.106078393701171, 0.0989097009646672, 1, 0.592482326305189, 0.364845920674642], [0.232977184397193, 0.12782212647562, 0.592482326305189, 1, 0.284603468248034], [0.179916910709372, 0.357981284511407, 0.364845920674642, 0.284603468248034, 1]], 'lo1': [[1, 0.511887422981345, 0.143586766170916, 0.24828694530512, 0.206946712877458], [0.511887422981345, 1, 0.122141142902077, 0.150588377697317, 0.36514467006421], [0.143586766170916, 0.122141142902077, 1, 0.601426880763682, 0.373942840567363], [0.248286945305119, 0.150588377697317, 0.601426880763682, 1, 0.29456440077056], [0.206946712877458, 0.36514467006421, 0.373942840567363, 0.29456440077056, 1]], 'lo1_signed': [[1, 0.511887422981345, 0.143586766170916, 0.24828694530512, 0.20319301044209], [0.511887422981345, 1, 0.0936504906101869, 0.145185684729345, 0.36514467006421], [0.143586766170916, 0.0936504906101869, 1, 0.601426880763682, 0.373942840567363], [0.248286945305119, 0.145185684729345, 0.601426880763682, 1, 0.29456440077056], [0.20319301044209, 0.36514467006421, 0.373942840567363, 0.29456440077056, 1]], 'lf_pw': [[1, 0.51238918275381, 0.0934310826461772, 0.22405628138244, 0.182462505368044], [0.51238918275381, 1, 0.0926004768868705, 0.132787455774047, 0.372474940914858], [0.0934310826461772, 0.0926004768868705, 1, 0.576850900939615, 0.354363109972865], [0.22405628138244, 0.132787455774047, 0.576850900939615, 1, 0.276578092871095], [0.182462505368044, 0.372474940914858, 0.354363109972865, 0.276578092871095, 1]], 'lf_ml': [[1, 0.510035339446074, 0.097672716741985, 0.226747010885756, 0.177871272485025], [0.510035339446074, 1, 0.0951578087456172, 0.140560665561827, 0.366704209419489], [0.097672716741985, 0.0951578087456172, 1, 0.578998067514767, 0.354974124307474], [0.226747010885756, 0.140560665561827, 0.578998067514767, 1, 0.278841546885218], [0.177871272485025, 0.366704209419489, 0.354974124307474, 0.278841546885218, 1]], 'lf_lw': [[1, 0.514792580045693, 0.181345633160429, 0.317320579088432, 0.318637461730293], [0.514792580045693, 1, 0.12826417391894, 0.17863814356138, 0.406184200044024], [0.181345633160429, 0.12826417391894, 1, 0.58085036736031, 0.357979018813572], [0.317320579088432, 0.17863814356138, 0.58085036736031, 1, 0.357280007003211], [0.318637461730293, 0.406184200044024, 0.357979018813572, 0.357280007003211, 1]]}
MG = {'cr': [{'group': 'Pasteur', 'visual': 0.63157024500335, 'textual': 0.858231855485825, 'speed': 0.611527537579826}, {'group': 'Grant-White', 'visual': 0.633860295137335, 'textual': 0.868613496658513, 'speed': 0.768199644029225}], 'ave': [{'group': 'Pasteur', 'visual': 0.374520511172108, 'textual': 0.685278718565797, 'speed': 0.346280664374337}, {'group': 'Grant-White', 'visual': 0.393988903988471, 'textual': 0.701675810177491, 'speed': 0.52156408489332}]}
IMPLIED = {'cr': {'visual': 0.625318015570728, 'textual': 0.885175360316964, 'speed': 0.687760037205504}, 'ave': {'visual': 0.370558944697399, 'textual': 0.721016349188685, 'speed': 0.424488329820249}}
SEM = {'cr': {'insufficiency': 0.80223028452781, 'compelling': 0.813572788315276, 'repelling': 0.754396445814592, 'value_incongruence': 0.802332805635933, 'ambivalence': 0.814275831817387}, 'ave': {'insufficiency': 0.505104399979412, 'compelling': 0.522430020104836, 'repelling': 0.387429886554148, 'value_incongruence': 0.505720739324147, 'ambivalence': 0.526113230285948}}

ATOL = 1e-3  # README: compRelSEM, AVE


def _case(name):
    d = CONFORMANCE / name
    return (pd.read_csv(d / "data.csv"), json.loads((d / "spec.json").read_text()),
            json.loads((d / "expected.json").read_text()))


def _table(records):
    """The oracle's parameterEstimates records as our SEM engine's tidy table (std.all -> std_all)."""
    return pd.DataFrame(records).rename(columns={"std.all": "std_all", "std.lv": "std_lv", "std.nox": "std_nox"})


@needs_fixtures
@pytest.mark.parametrize("case", CASES)
def test_composite_reliability_and_ave_match_semtools(case):
    data, spec, exp = _case(case)
    pt = _table(exp["cfa"]["estimates"])
    cr = composite_reliability(pt, data, missing=spec["missing"])
    av = ave(pt, data, missing=spec["missing"])
    ref = exp["cfa"]["reliability"]
    assert set(cr.values.index) == set(ref["composite_reliability"])
    for f, v in ref["composite_reliability"].items():
        assert cr[f] == pytest.approx(v, abs=ATOL)
    for f, v in ref["ave"].items():
        assert av[f] == pytest.approx(v, abs=ATOL)
    assert cr.n == exp["data_summary"]["n_used"] and not cr.warnings
    json.dumps(cr.to_dict(), allow_nan=False)
    assert list(av.to_frame().columns) == ["factor", "ave"]
    # Fornell-Larcker on the implied factor correlations
    lc = latent_correlations(pt)
    ref_cor = pd.DataFrame(exp["cfa"]["latent"]["cor"]).loc[lc.index, lc.columns]
    assert lc.to_numpy() == pytest.approx(ref_cor.to_numpy(float), abs=1e-10)
    fl = fornell_larcker(av, lc)
    assert np.diag(fl.table.to_numpy()) == pytest.approx(np.sqrt(av.values[lc.index].to_numpy()))
    json.dumps(fl.to_dict(), allow_nan=False)


@needs_fixtures
def test_multigroup_table():
    data, _, exp = _case("holzinger_swineford_1939")
    pt = _table(exp["invariance"]["metric_estimates"])
    cr = composite_reliability(pt, data, group="school")
    av = ave(pt, data, group="school")
    for measure, res in (("cr", cr), ("ave", av)):
        for row in MG[measure]:
            for f in ("visual", "textual", "speed"):
                assert res[(row["group"], f)] == pytest.approx(row[f], abs=ATOL), (measure, row["group"], f)
    assert set(cr.to_dict()["values"]) == {"Pasteur", "Grant-White"}
    assert list(cr.to_frame().columns) == ["group", "factor", "composite_reliability"]
    with pytest.raises(ModelSpecError):
        composite_reliability(pt, data)  # several groups need group=


@needs_fixtures
def test_implied_variances_without_data():
    _, _, exp = _case("holzinger_swineford_1939")
    pt = _table(exp["cfa"]["estimates"])
    cr, av = composite_reliability(pt), ave(pt)
    for f, v in IMPLIED["cr"].items():
        assert cr[f] == pytest.approx(v, abs=ATOL)
    for f, v in IMPLIED["ave"].items():
        assert av[f] == pytest.approx(v, abs=ATOL)
        # without data: sum of lambda^2 phi over the sum of implied variances (a ratio of sums, so not
        # the mean squared standardised loading unless the indicators' variances are equal)
        lam = pt[(pt["op"] == "=~") & (pt["lhs"] == f)]
        phi = pt[(pt["op"] == "~~") & (pt["lhs"] == f) & (pt["rhs"] == f)]["est"].item()
        theta = pt[(pt["op"] == "~~") & pt["lhs"].isin(lam["rhs"]) & (pt["lhs"] == pt["rhs"])]["est"].sum()
        common = np.sum(lam["est"].to_numpy() ** 2) * phi
        assert av[f] == pytest.approx(common / (common + theta), abs=1e-10)
        assert av[f] != pytest.approx(np.mean(lam["std_all"].to_numpy() ** 2), abs=1e-6)
    assert cr.n is None and not cr.obs_var


@needs_fixtures
def test_sem_table_uses_implied_factor_variances():
    data, _, exp = _case("likert_ordinal")
    pt = _table(exp["sem"]["estimates"])
    cr, av = composite_reliability(pt, data), ave(pt, data)
    for f, v in SEM["cr"].items():
        assert cr[f] == pytest.approx(v, abs=ATOL)
    for f, v in SEM["ave"].items():
        assert av[f] == pytest.approx(v, abs=ATOL)


# --------------------------------------------------------------------------- HTMT
@needs_fixtures
@pytest.mark.parametrize("key,case,kw", [
    ("hs2", "holzinger_swineford_1939", {}), ("hs1", "holzinger_swineford_1939", {"htmt2": False}),
    ("lo2", "likert_ordinal", {}), ("lo1", "likert_ordinal", {"htmt2": False}),
    ("lo1_signed", "likert_ordinal", {"htmt2": False, "absolute": False}),
    ("lf_pw", "likert_fiml", {"missing": "pairwise"}), ("lf_ml", "likert_fiml", {"missing": "fiml"}),
    ("lf_lw", "likert_fiml", {"missing": "listwise", "htmt2": False})])
def test_htmt_matches_semtools(key, case, kw):
    data, spec, _ = _case(case)
    res = htmt(data, spec["scales"], **kw)
    assert res.matrix.to_numpy() == pytest.approx(np.array(HTMT[key]), abs=1e-6)
    json.dumps(res.to_dict(), allow_nan=False)


def test_htmt_by_hand():
    # two constructs of two items; within r = .6 and .5, between .3, .2, .4, .3
    R = np.array([[1, .6, .3, .2], [.6, 1, .4, .3], [.3, .4, 1, .5], [.2, .3, .5, 1]])
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((500, 4))
    Z -= Z.mean(0)
    Z = Z @ np.linalg.inv(np.linalg.cholesky(np.cov(Z, rowvar=False))).T @ np.linalg.cholesky(R).T
    df = pd.DataFrame(Z, columns=["a1", "a2", "b1", "b2"])
    scales = {"A": ["a1", "a2"], "B": ["b1", "b2"]}
    h1 = htmt(df, scales, htmt2=False)
    assert h1.matrix.loc["A", "B"] == pytest.approx(0.3 / math.sqrt(0.6 * 0.5), abs=1e-12)
    h2 = htmt(df, scales)
    gm = (0.3 * 0.2 * 0.4 * 0.3) ** 0.25
    assert h2.matrix.loc["B", "A"] == pytest.approx(gm / math.sqrt(0.6 * 0.5), abs=1e-12)
    assert h1.to_frame(threshold=0.5)["above"].tolist() == [True]


def test_htmt_robustness():
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.normal(size=(40, 4)), columns=["a1", "a2", "b1", "c1"])
    res = htmt(df, {"A": ["a1", "a2"], "B": ["b1"], "C": ["c1"]})
    assert math.isnan(res.matrix.loc["A", "B"]) and any("scale B" in w for w in res.warnings)
    with pytest.raises(ModelSpecError):
        htmt(df, {"A": ["a1", "a2"]})


# --------------------------------------------------------------------------- Fornell-Larcker and robustness
def test_fornell_larcker_by_hand():
    fl = fornell_larcker({"A": 0.64, "B": 0.49, "C": 0.5},
                         pd.DataFrame([[1, .75, .3], [.75, 1, -.2], [.3, -.2, 1]], index=list("ABC"), columns=list("ABC")))
    assert fl.passes.to_dict() == {"A": True, "B": False, "C": True}
    assert fl.table.loc["A", "A"] == pytest.approx(0.8) and fl.table.loc["B", "A"] == 0.75
    assert math.isnan(fl.table.loc["A", "B"])
    assert fl.max_abs_cor["C"] == pytest.approx(0.3)
    with pytest.raises(ModelSpecError):
        fornell_larcker({"A": 0.5, "Z": 0.5}, {"A": {"A": 1}})


def test_single_indicator_and_cross_loading():
    pt = pd.DataFrame({
        "lhs": ["f", "f", "f", "g", "g", "h", "f", "f", "g", "a", "b", "c", "d", "e"],
        "op": ["=~", "=~", "=~", "=~", "=~", "=~", "~~", "~~", "~~", "~~", "~~", "~~", "~~", "~~"],
        "rhs": ["a", "b", "c", "c", "d", "e", "f", "g", "g", "a", "b", "c", "d", "e"],
        "est": [1, 0.8, 0.7, 0.5, 1.0, 1.0, 1.0, 0.3, 0.8, 0.5, 0.5, 0.4, 0.5, 0.0],
    })
    rng = np.random.default_rng(3)
    data = pd.DataFrame(rng.normal(size=(100, 5)) + rng.normal(size=(100, 1)), columns=list("abcde"))
    av = ave(pt, data)
    assert math.isnan(av["f"]) and any("cross-load" in w for w in av.warnings)
    assert "h" not in av.values.index and any("fewer than 2" in w for w in av.warnings)
    cr = composite_reliability(pt, data)
    assert 0 < cr["f"] < 1 and 0 < cr["g"] < 1
    with pytest.raises(ModelSpecError):
        composite_reliability(pt.drop(columns="est"))
    with pytest.raises(ModelSpecError):
        composite_reliability(pt, data.drop(columns="e"))


def test_docstring_examples():
    result = doctest.testmod(coprod.analysis.validity)
    assert result.attempted > 0 and result.failed == 0
