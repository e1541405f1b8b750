"""Tests of analysis.reliability and analysis.items against R (psych 2.2.9, semTools 0.5.6, lavaan 0.6.14).

Two kinds of reference:

* the shared conformance cases (``../shared/conformance/*/expected.json``, made by ``run_oracle.R``):
  ``scales.<name>`` from ``psych::alpha``, ``psych::omega(nfactors = 1, fm = "minres")`` and
  ``semTools::compRelSEM`` of a one-factor lavaan CFA;
* values computed for these tests with the same R versions (Debian bookworm: r-base-core 4.2.2,
  r-cran-psych 2.2.9, r-cran-gparotation 2022.10.2, r-cran-semtools 0.5.6) on the conformance data:

      hs <- read.csv("holzinger_swineford_1939/data.csv"); lo <- ...likert_ordinal; lf <- ...likert_fiml
      om <- function(x, nf, rot = "oblimin") omega(x, nfactors = nf, fm = "minres", rotate = rot)
      OMEGA: hs3 = om(hs[, x1..x9], 3), hs2 = om(.., 2), hs3_promax = om(.., 3, "promax"),
             lo5 = om(lo[, items], 5), lo3 = om(lo[, items], 3), lf5 = om(lf[, items], 5)
             (omega_h, omega.tot, omega.lim, alpha, ECV, schmid$sl[, "g"], omega.group)
      DESCRIBE = describe(lf[, ins1..comp2])           (skew and kurtosis, type 3)
      ALPHA_CONST = alpha(cbind(hs[, c("x1", "x2", "x3")], k = 3))   (constant item dropped)
      ALPHA_TWO = alpha(hs[, c("x1", "x2")])

Tolerances are the README's (alpha and item statistics 1e-6, omega 1e-3); the code agrees far closer.
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

from coprod.analysis.errors import ModelSpecError, ResponseDataError
from coprod.analysis.items import item_analysis
from coprod.analysis.reliability import cronbach_alpha, omega_hierarchical, reliability_table

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT.parent / "shared" / "conformance"
CASES = sorted(p.name for p in CONFORMANCE.glob("*/") if (p / "expected.json").exists()
               and "scales" in json.loads((p / "expected.json").read_text())) if CONFORMANCE.exists() else []
needs_fixtures = pytest.mark.skipif(not CASES, reason=f"no conformance fixtures at {CONFORMANCE}")

OMEGA = {
    'hs3': {'omega_h': 0.449242434070805, 'omega_tot': 0.850835073356625, 'omega_lim': 0.528001781001459, 'alpha': 0.760402218998014, 'ecv': 0.297265646965167, 'g': [0.485502147864009, 0.291061929260224, 0.406832550357618, 0.448270591988308, 0.417331699312269, 0.458510277246527, 0.232534731099923, 0.346076849054148, 0.445962148515269], 'group': {'total': [0.850835073356625, 0.887049126720096, 0.64630356523278, 0.715548151976248], 'general': [0.449242434070805, 0.239675093334205, 0.2716257334975, 0.189047706893932], 'group': [0.345368114812812, 0.647374033385891, 0.37467783173528, 0.526500445082316]}},
    'hs2': {'omega_h': 0.415240681328706, 'omega_tot': 0.816690565381776, 'omega_lim': 0.508443098194228, 'alpha': 0.760402218998014, 'ecv': 0.352995362323047, 'g': [0.411002789510689, 0.220443695690347, 0.296350345300482, 0.499300470024363, 0.475455857250531, 0.501845181790671, 0.233448825558372, 0.325452673234409, 0.432487251196528], 'group': {'total': [0.816690565381776, 0.876930385319011, 0.683687387053057], 'general': [0.415240681328706, 0.298057260303647, 0.269061899925238], 'group': [0.356874385170647, 0.578873125015364, 0.414625487127819]}},
    'hs3_promax': {'omega_h': 0.510305713956897, 'omega_tot': 0.850835073356625, 'omega_lim': 0.599770425475871, 'alpha': 0.760402218998014, 'ecv': 0.339640186714843, 'g': [0.53916954608554, 0.33493377248074, 0.464573469611905, 0.462633900221139, 0.425382265979336, 0.477614047707774, 0.221987883526602, 0.357937085209359, 0.48025432929199], 'group': {'total': [0.850835073356625, 0.8871301183073, 0.650734101811229, 0.726918624545506], 'general': [0.510305713956897, 0.254940787414749, 0.347585558197517, 0.202415432735218], 'group': [0.3276889906727, 0.632189330892551, 0.303148543613712, 0.524503191810289]}},
    'lo5': {'omega_h': 0.580178217372185, 'omega_tot': 0.896617442739625, 'omega_lim': 0.64707442630097, 'alpha': 0.836532471671739, 'ecv': 0.286435569454701, 'g': [0.346258158123613, 0.318417379529179, 0.263857821891855, 0.341584612279999, 0.324417475491919, 0.364096857678843, 0.275408420265803, 0.319574767927829, 0.405130466556209, 0.329682733777065, 0.464606578231758, 0.33002700628247, 0.318013948856291, 0.467344058023395, 0.467780271671637, 0.357579596200604, 0.453906550946323, 0.428608577793739, 0.36112621520163, 0.435098023337079, 0.368873129508665]},
    'lo3': {'omega_h': 0.380819405610895, 'omega_tot': 0.877606533064073, 'omega_lim': 0.433929547312397, 'alpha': 0.836532471671739, 'ecv': 0.237219674962043, 'g': [0.26006896321926, 0.229042776017449, 0.190348898776564, 0.255624625955887, 0.326326990054879, 0.339794827305322, 0.26690728974673, 0.29002256508607, 0.286245110493594, 0.235864555972519, 0.327753906176719, 0.224712053906111, 0.229052372955726, 0.290529289809678, 0.29720808748153, 0.226922873327583, 0.302323102511143, 0.448029739645183, 0.404834362683972, 0.454342059186976, 0.385928165808138]},
    'lf5': {'omega_h': 0.580069804491192, 'omega_tot': 0.89649580551807, 'omega_lim': 0.64704129224116, 'alpha': 0.836587662037577, 'ecv': 0.285660441346888, 'g': [0.361564027752921, 0.327703296334761, 0.280298864394412, 0.369202028650234, 0.344357004369744, 0.385244483650394, 0.300363157475251, 0.346674986688716, 0.386053789353965, 0.306767814816452, 0.446814833066543, 0.310836203982543, 0.298871259632905, 0.449305094660015, 0.450399024668488, 0.326707025942279, 0.444029402811416, 0.428979243521913, 0.364157906083682, 0.434345692679037, 0.378995030673135]},
}
DESCRIBE = {'skew': [-0.0297814351409291, 0.109330963304092, 0.0380817966237698, -0.0739713410828217, 0.142129004456139, -0.0618597462500144], 'kurtosis': [-0.573453911006446, -0.6173253682078, -0.639682521147649, -0.535475674703287, -0.669746247824125, -0.590136214452416], 'mean': [3.18891170431211, 2.88517745302714, 2.77709611451943, 3.01635991820041, 2.89166666666667, 3.09896907216495], 'sd': [1.07211199126652, 1.08110895328036, 1.06807575221254, 1.0576314403591, 1.11954235604857, 1.0883013192302], 'n': [487, 479, 489, 489, 480, 485]}
ALPHA_CONST = {'raw': 0.626117131884981, 'std': 0.627183854419127, 'r_drop': [0.449031541312688, 0.374967961806866, 0.484281234169826]}
ALPHA_TWO = {'raw': 0.458377727617787, 'drop_raw': [0.294815520949309, 0.299897212455369], 'drop_std': [0.297345511015847, 0.297345511015847], 'r_drop': [0.297345511015847, 0.297345511015847]}

ATOL = 1e-6        # README: alpha, std alpha, item-total r, alpha-if-deleted, Feldt CI
ATOL_OMEGA = 1e-3  # README: compRelSEM, omega (psych, minres)


def _case(name):
    d = CONFORMANCE / name
    return (pd.read_csv(d / "data.csv"), json.loads((d / "spec.json").read_text()),
            json.loads((d / "expected.json").read_text()))


_TABLES: dict = {}


def _table(name):
    """reliability_table as the pipeline calls it for a spec (cached: the FIML omegas take a moment)."""
    if name not in _TABLES:
        data, spec, _ = _case(name)
        _TABLES[name] = reliability_table(data, spec["scales"], missing=spec.get("missing", "listwise"),
                                          by=spec.get("group"))
    return _TABLES[name]


def _scale_params():
    out = []
    for c in CASES:
        exp = json.loads((CONFORMANCE / c / "expected.json").read_text())
        out += [(c, s) for s in exp["scales"]]
    return out


# --------------------------------------------------------------------------- conformance: psych::alpha
@needs_fixtures
@pytest.mark.parametrize("case,scale", _scale_params())
def test_alpha_matches_psych(case, scale):
    e = _case(case)[2]["scales"][scale]
    r = _table(case)[scale]
    assert r.n == e["n"] and r.k == e["k"]
    for mine, theirs in [("alpha", "alpha_raw"), ("alpha_std", "alpha_std"), ("average_r", "average_r"),
                         ("g6_smc", "g6_smc"), ("signal_noise", "signal_noise"), ("alpha_ase", "alpha_ase"),
                         ("scale_mean", "scale_mean"), ("scale_sd", "scale_sd")]:
        assert getattr(r, mine) == pytest.approx(e[theirs], abs=ATOL), mine
    assert r.alpha_ci[0] == pytest.approx(e["alpha_ci_feldt"]["lower"], abs=ATOL)
    assert r.alpha_ci[1] == pytest.approx(e["alpha_ci_feldt"]["upper"], abs=ATOL)
    assert r.ci_level == e["alpha_ci_feldt"]["level"]


@needs_fixtures
@pytest.mark.parametrize("case,scale", _scale_params())
def test_item_stats_match_psych(case, scale):
    e = _case(case)[2]["scales"][scale]["item_stats"]
    st = _table(case)[scale].item_stats
    for item, ref in e.items():
        for col in ("n", "r_drop", "raw_r", "std_r", "r_cor", "mean", "sd",
                    "alpha_if_deleted_raw", "alpha_if_deleted_std"):
            assert st.loc[item, col] == pytest.approx(ref[col], abs=ATOL), (item, col)


@needs_fixtures
@pytest.mark.parametrize("case,scale", _scale_params())
def test_omega_total_both_ways(case, scale):
    e = _case(case)[2]["scales"][scale]
    r = _table(case)[scale]
    assert r.omega_total == pytest.approx(e["omega_psych"]["omega_total"], abs=ATOL_OMEGA)
    assert r.omega_total_cfa == pytest.approx(e["omega_cfa_1factor"]["omega_total"], abs=ATOL_OMEGA)
    assert not r.warnings


@needs_fixtures
@pytest.mark.parametrize("case", CASES)
def test_table_groups_equal_subset_analysis(case):
    data, spec, exp = _case(case)
    tab = _table(case)
    by = spec.get("group")
    groups = [r.group for r in tab.results if r.group is not None]
    assert sorted(set(groups), key=str) == sorted(exp["data_summary"]["group_counts"], key=str)
    scale = next(iter(spec["scales"]))
    g = groups[0]
    sub = data[data[by] == g]
    direct = cronbach_alpha(sub, items=spec["scales"][scale], missing=spec.get("missing", "listwise"), omega=False)
    assert tab.get(scale, g).alpha == pytest.approx(direct.alpha, abs=1e-12)
    frame = tab.to_frame()
    assert len(frame) == len(spec["scales"]) * (1 + len(set(groups)))
    json.dumps(tab.to_dict(), allow_nan=False)


@needs_fixtures
def test_alpha_matches_pingouin():
    import pingouin as pg  # lazy: the oracle takes seconds to import and only this test needs it

    data, spec, _ = _case(CASES[0])
    for items in spec["scales"].values():
        ref, ci = pg.cronbach_alpha(data[items].dropna())
        r = cronbach_alpha(data, items=items)
        assert r.alpha == pytest.approx(ref, abs=1e-12)
        assert r.alpha_ci == pytest.approx(tuple(ci), abs=1e-3)  # pingouin rounds its CI to 3 decimals


# --------------------------------------------------------------------------- item analysis
@needs_fixtures
def test_item_analysis_matches_psych():
    data, spec, exp = _case("likert_fiml")
    items = spec["scales"]["insufficiency"] + spec["scales"]["compelling"][:2]
    res = item_analysis(data, items=items, scale_range=(1, 5))
    assert res.stats["skew"].to_numpy() == pytest.approx(DESCRIBE["skew"], abs=1e-10)
    assert res.stats["kurtosis"].to_numpy() == pytest.approx(DESCRIBE["kurtosis"], abs=1e-10)
    assert res.stats["mean"].to_numpy() == pytest.approx(DESCRIBE["mean"], abs=1e-12)
    assert res.stats["sd"].to_numpy() == pytest.approx(DESCRIBE["sd"], abs=1e-12)
    assert res.stats["n"].tolist() == DESCRIBE["n"]
    # item-rest statistics of the 4-item scale equal psych::alpha's (pairwise, as psych)
    ins = item_analysis(data, items=spec["scales"]["insufficiency"])
    ref = exp["scales"]["insufficiency"]["item_stats"]
    for it, e in ref.items():
        for col in ("r_drop", "raw_r", "alpha_if_deleted_raw", "alpha_if_deleted_std"):
            assert ins.stats.loc[it, col] == pytest.approx(e[col], abs=ATOL)
    n_rows = len(data)
    assert res.stats["missing_share"].to_numpy() == pytest.approx(data[items].isna().mean().to_numpy())
    assert (res.categories.sum(axis=1) == res.stats["n"]).all()
    assert list(res.categories.columns) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert res.stats.loc["ins1", "floor_share"] == pytest.approx((data["ins1"] == 1).sum() / res.stats.loc["ins1", "n"])
    assert res.n_rows == n_rows


def test_item_analysis_inline_table():
    df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3, np.nan, 2],
                       "b": [2, 2, 3, 5, 4, np.nan, np.nan, 1],
                       "c": [1, 3, 3, 4, 5, 2, 2, 9]})
    dk = pd.DataFrame({"a": [False] * 6 + [True, False], "b": [False] * 5 + [True, False, False]})
    res = item_analysis(df, items=["a", "b", "c"], dont_know=dk, scale_range=(1, 5))
    st = res.stats
    assert st.loc["a", "n"] == 7 and st.loc["b", "n_missing"] == 2
    assert st.loc["a", "dont_know_share"] == pytest.approx(1 / 8)
    assert st.loc["b", "dont_know_share"] == pytest.approx(1 / 8)
    assert math.isnan(st.loc["c", "dont_know_share"])
    assert st.loc["b", "sd"] == pytest.approx(np.std([2, 2, 3, 5, 4, 1], ddof=1))
    x = np.array([1, 2, 3, 4, 5, 3, 2.0])
    assert st.loc["a", "skew"] == pytest.approx(np.sum((x - x.mean()) ** 3) / (7 * x.std(ddof=1) ** 3))
    assert res.categories.loc["c"].tolist() == [1, 2, 2, 1, 1]  # the 9 is outside 1..5
    assert any("outside the scale range" in w for w in res.warnings)
    assert any("no don't-know information" in w for w in res.warnings)
    assert res.to_frame().shape[0] == 3
    json.dumps(res.to_dict(), allow_nan=False)


# --------------------------------------------------------------------------- omega hierarchical
@needs_fixtures
@pytest.mark.parametrize("key,case,n_groups,rotation", [
    ("hs3", "holzinger_swineford_1939", 3, "oblimin"), ("hs2", "holzinger_swineford_1939", 2, "oblimin"),
    ("hs3_promax", "holzinger_swineford_1939", 3, "promax"), ("lo5", "likert_ordinal", 5, "oblimin"),
    ("lo3", "likert_ordinal", 3, "oblimin"), ("lf5", "likert_fiml", 5, "oblimin")])
def test_omega_hierarchical_matches_psych(key, case, n_groups, rotation):
    data, spec, exp = _case(case)
    items = [i for its in spec["scales"].values() for i in its]
    om = omega_hierarchical(data, items=items, n_groups=n_groups, missing=spec["missing"], rotation=rotation)
    ref = OMEGA[key]
    for mine, theirs in [("omega_h", "omega_h"), ("omega_total", "omega_tot"), ("omega_limit", "omega_lim"),
                         ("alpha", "alpha"), ("ecv", "ecv")]:
        assert getattr(om, mine) == pytest.approx(ref[theirs], abs=ATOL_OMEGA), mine
    assert om.loadings["g"].to_numpy() == pytest.approx(ref["g"], abs=ATOL_OMEGA)
    if "group" in ref:
        for col in ("total", "general", "group"):
            assert om.group_omegas[col].to_numpy() == pytest.approx(ref["group"][col], abs=ATOL_OMEGA)
    assert om.omega_h <= om.omega_total
    assert (n_groups == 2) == any("equal" in w for w in om.warnings)
    json.dumps(om.to_dict(), allow_nan=False)


def _data_with_correlation(R, n=400, seed=0):
    """Data whose sample correlation matrix is exactly R."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, R.shape[0]))
    Z -= Z.mean(0)
    Z = Z @ np.linalg.inv(np.linalg.cholesky(np.cov(Z, rowvar=False))).T
    return pd.DataFrame(Z @ np.linalg.cholesky(R).T, columns=[f"i{j}" for j in range(R.shape[0])])


def test_omega_hierarchical_recovers_a_known_structure():
    # higher-order model: 3 group factors x 3 items, first-order loadings lam, loadings of the group
    # factors on g gam. Its Schmid-Leiman general loadings are lam*gam, so
    # omega_h = (sum lam*gam)^2 / sum(R) and omega_total = (sum(R) - sum(1 - lam^2)) / sum(R).
    lam = np.array([0.8, 0.7, 0.6, 0.75, 0.65, 0.7, 0.6, 0.8, 0.7])
    gam = np.array([0.8, 0.7, 0.6])
    grp = np.repeat([0, 1, 2], 3)
    Phi = np.outer(gam, gam)
    np.fill_diagonal(Phi, 1)
    L = np.zeros((9, 3))
    L[np.arange(9), grp] = lam
    R = L @ Phi @ L.T
    np.fill_diagonal(R, 1)
    om = omega_hierarchical(_data_with_correlation(R), n_groups=3)
    g = lam * gam[grp]
    assert om.omega_h == pytest.approx(g.sum() ** 2 / R.sum(), abs=1e-4)
    assert om.omega_total == pytest.approx((R.sum() - np.sum(1 - lam ** 2)) / R.sum(), abs=1e-4)
    assert np.abs(om.loadings["g"].to_numpy()) == pytest.approx(g, abs=1e-3)
    assert om.loadings["h2"].to_numpy() == pytest.approx(lam ** 2, abs=1e-4)
    assert om.omega_h < om.omega_total
    # with a single common factor (gam = 1 would be singular), a general factor explains nearly all
    assert 0 < om.ecv < 1


# --------------------------------------------------------------------------- robustness
def _toy(n=50, seed=1):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    return pd.DataFrame(np.round(f + rng.normal(size=(n, 4)) + 3), columns=["a", "b", "c", "d"])


@needs_fixtures
def test_constant_item_is_dropped_as_psych_does():
    data = _case("holzinger_swineford_1939")[0]
    x = data[["x1", "x2", "x3"]].assign(k=3.0)
    r = cronbach_alpha(x)
    assert r.alpha == pytest.approx(ALPHA_CONST["raw"], abs=ATOL)
    assert r.alpha_std == pytest.approx(ALPHA_CONST["std"], abs=ATOL)
    assert r.k == 3 and math.isnan(r.item_stats.loc["k", "r_drop"])
    assert any("no variance" in w for w in r.warnings)


@needs_fixtures
def test_two_items_follow_psych():
    data = _case("holzinger_swineford_1939")[0]
    r = cronbach_alpha(data, items=["x1", "x2"])
    assert r.alpha == pytest.approx(ALPHA_TWO["raw"], abs=ATOL)
    assert r.item_stats["alpha_if_deleted_raw"].to_numpy() == pytest.approx(ALPHA_TWO["drop_raw"], abs=ATOL)
    assert r.item_stats["alpha_if_deleted_std"].to_numpy() == pytest.approx(ALPHA_TWO["drop_std"], abs=ATOL)
    assert r.item_stats["r_drop"].to_numpy() == pytest.approx(ALPHA_TWO["r_drop"], abs=ATOL)
    assert math.isnan(r.omega_total) and any("at least 3 items" in w for w in r.warnings)


def test_fewer_than_two_items():
    df = _toy()
    r = cronbach_alpha(df, items=["a"])
    assert math.isnan(r.alpha) and math.isnan(r.alpha_ci[0]) and r.warnings
    r = cronbach_alpha(df.assign(b=1.0), items=["a", "b"])
    assert math.isnan(r.alpha) and any("no variance" in w for w in r.warnings)
    json.dumps(r.to_dict(), allow_nan=False)
    ia = item_analysis(df, items=["a"])
    assert math.isnan(ia.stats.loc["a", "r_drop"]) and ia.warnings
    with pytest.raises(ValueError):
        omega_hierarchical(df, n_groups=1)


def test_too_few_rows():
    df = _toy().iloc[:1]
    r = cronbach_alpha(df)
    assert math.isnan(r.alpha) and math.isnan(r.omega_total) and any("too few" in w for w in r.warnings)
    om = omega_hierarchical(_toy(n=2).assign(e=1, f=2, g=3), n_groups=2)
    assert math.isnan(om.omega_h) and om.warnings
    small = cronbach_alpha(_toy(n=4))
    assert math.isfinite(small.alpha) and any("uncertain" in w for w in small.warnings)
    assert math.isnan(small.omega_total_cfa)  # a CFA needs more rows than items
    ia = item_analysis(df, items=["a", "b"])
    assert ia.stats.loc["a", "n"] == 1 and math.isnan(ia.stats.loc["a", "sd"])


def test_singular_correlation_matrix():
    df = _toy(n=80)
    df["e"] = df["a"]  # a duplicated item: R is singular
    r = cronbach_alpha(df)
    assert math.isfinite(r.alpha) and math.isfinite(r.omega_total)
    assert math.isnan(r.omega_total_cfa) and any("singular" in w for w in r.warnings)
    json.dumps(r.to_dict(), allow_nan=False)
    om = omega_hierarchical(df.assign(f=df["b"] + df["c"]), n_groups=2)
    assert om.omega_h <= om.omega_total + 1e-12


def test_missing_modes_and_errors():
    df = _toy(n=60)
    df.iloc[::7, 1] = np.nan
    lw = cronbach_alpha(df, missing="listwise")
    pw = cronbach_alpha(df, missing="fiml")
    assert lw.n == pw.n == df.dropna().shape[0]
    assert pw.item_stats.loc["b", "n"] == df["b"].notna().sum()
    assert lw.alpha != pw.alpha
    with pytest.raises(ModelSpecError):
        cronbach_alpha(df, items=["a", "zz"])
    with pytest.raises(ResponseDataError):
        cronbach_alpha(df.assign(a=["x"] * len(df)))
    with pytest.raises(ValueError):
        cronbach_alpha(df, missing="mean")
    with pytest.raises(ModelSpecError):
        reliability_table(df, {"s": ["a", "b"]}, by="nope")


def test_result_frames_and_dicts():
    df = _toy(n=120).assign(sector=["m", "v"] * 60)
    tab = reliability_table(df, {"s1": ["a", "b", "c"], "s2": ["b", "c", "d"]}, by="sector")
    assert [(r.scale, r.group) for r in tab.results] == [("s1", None), ("s2", None), ("s1", "m"), ("s2", "m"),
                                                          ("s1", "v"), ("s2", "v")]
    r = tab["s1"]
    d = r.to_dict()
    assert d["alpha_ci"]["lower"] == r.alpha_ci[0] and set(d["item_stats"]) == {"a", "b", "c"}
    assert list(r.to_frame()["item"]) == ["a", "b", "c"]
    assert tab.to_frame().shape[0] == 6
    json.dumps(tab.to_dict(), allow_nan=False)


@pytest.mark.parametrize("module", ["coprod.analysis.reliability", "coprod.analysis.omega", "coprod.analysis.items"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
