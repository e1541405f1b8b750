"""Tests of analysis.efa against R (psych 2.2.9, GPArotation 2022.10.2).

References: the shared conformance cases (``items.kmo``, ``items.bartlett``, ``items.eigen``,
``items.parallel``, ``items.efa`` from ``run_oracle.R``) and, for the methods and rotations the
oracle does not run, values computed with the same R versions (Debian bookworm packages) on the
conformance data:

    fa1 <- function(x, nf, fm, rot) fa(x, nfactors = nf, fm = fm, rotate = rot)
    EFA: hs_minres_promax = fa1(hs[, x1..x9], 3, "minres", "promax"), hs_ml_varimax = (3, "ml", "varimax"),
         hs_minres_none = (3, "minres", "none"), hs_ml_promax = (3, "ml", "promax"),
         hs_ml_1 = (1, "ml", "oblimin"), lo_minres_oblimin = fa1(lo[, items], 5, "minres", "oblimin"),
         lf_minres_varimax = fa1(lf[, items], 5, "minres", "varimax")
    (loadings, Phi, communality, Vaccounted["SS loadings", ], STATISTIC, TLI, RMSEA[1], BIC)

Loadings are compared after matching columns by Tucker congruence (permutation and sign), at the
README's 1e-3; factorability and observed_fa_values at 1e-6. (The code agrees to ~1e-13.)
"""
from __future__ import annotations

import doctest
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from factor_analyzer import rotator
from factor_analyzer.factor_analyzer import calculate_bartlett_sphericity, calculate_kmo

import coprod.analysis.efa
import coprod.analysis.factorability
import coprod.analysis.omega
import coprod.analysis.reliability
from coprod.analysis.efa import EstimationError, efa, factorability, parallel_analysis
from coprod.analysis.errors import ModelSpecError

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT.parent / "shared" / "conformance"
CASES = sorted(p.name for p in CONFORMANCE.glob("*/") if (p / "expected.json").exists()
               and "items" in json.loads((p / "expected.json").read_text())) if CONFORMANCE.exists() else []
needs_fixtures = pytest.mark.skipif(not CASES, reason=f"no conformance fixtures at {CONFORMANCE}")

EFA = {
    'hs_minres_promax': {'names': ['MR1', 'MR2', 'MR3'], 'communality': [0.476754007780145, 0.255227178795334, 0.453450148261331, 0.727935651760437, 0.753730576228423, 0.691355254250877, 0.518554595074628, 0.520172251642481, 0.460461383517194], 'ss': [2.2114851705463, 1.32806340113658, 1.31809247562797], 'chisq': 22.5550491736693, 'tli': 0.963265137462809, 'rmsea': 0.0539550107226289, 'bic': -45.9302740033172, 'loadings': [[0.157084821752321, 0.0388114682599439, 0.598035598009403], [0.00997204205702273, -0.120255613134339, 0.530864180932309], [-0.109314050858817, 0.0279317054949246, 0.698884190559256], [0.849489758022194, 0.0071620071494211, 0.00462423792114245], [0.894607521241993, 0.00517164222341444, -0.0783188388957731], [0.804342660191184, -0.0133472898488804, 0.0718524781925994], [0.0467598055206173, 0.758706448418854, -0.228942544385749], [-0.0497448899411567, 0.710429364045704, 0.0601453486650865], [0.00139529236304342, 0.475782818506118, 0.344483178228375]], 'phi': [[1, 0.257368858448692, 0.391428969343083], [0.257368858448692, 0.999999999999999, 0.34992088370081], [0.391428969343083, 0.34992088370081, 0.999999999999999]]},
    'hs_ml_varimax': {'names': ['ML1', 'ML3', 'ML2'], 'communality': [0.487470472826557, 0.2512648396131, 0.457226709270241, 0.720806906079805, 0.757122679323982, 0.694784144441589, 0.497792778083933, 0.531449510205398, 0.456752313516563], 'ss': [2.1846925973683, 1.34272025422677, 1.3272575017661], 'chisq': 22.3769305562231, 'tli': 0.963885045794787, 'rmsea': 0.053496076165148, 'bic': -46.1083926207634, 'loadings': [[0.277290758473848, 0.622657847373776, 0.151253142762095], [0.104641825929353, 0.489490375936058, -0.0267226448026221], [0.0339434448390495, 0.662645936818074, 0.130287813095455], [0.826999673867173, 0.164985130178515, 0.0982769165337058], [0.861067775841639, 0.0863361725285719, 0.0907250243550923], [0.801252600078104, 0.21222505002884, 0.087971264910335], [0.0909401758945606, -0.0726784224647399, 0.695873917746768], [0.0511699406034793, 0.161817180666784, 0.708975561937848], [0.132060519223698, 0.40636995562854, 0.523617982828501]], 'phi': None},
    'hs_minres_none': {'names': ['MR1', 'MR2', 'MR3'], 'communality': [0.476754007780145, 0.255227178795334, 0.453450148261331, 0.727935651760437, 0.753730576228423, 0.691355254250877, 0.518554595074628, 0.520172251642481, 0.460461383517194], 'ss': [2.82747282830996, 1.21466494174143, 0.815503277259458], 'chisq': 22.5550491736693, 'tli': 0.963265137462809, 'rmsea': 0.0539550107226289, 'bic': -45.9302740033172, 'loadings': [[0.575522871979322, 0.1685800156677, 0.342210768279282], [0.308426854688601, 0.0961766364706935, 0.388394269653163], [0.400354070864591, 0.309429565446472, 0.444319828761995], [0.768508957341901, -0.354895458997601, -0.106671680536975], [0.750543052745855, -0.404369058055614, -0.164016362264781], [0.76302559043296, -0.326669752718008, -0.0493363482076303], [0.307604731575466, 0.43283160931107, -0.486405923245393], [0.393821088746737, 0.540664836861326, -0.26973827292865], [0.50496641607441, 0.453220919172817, 0.00781668589022147]], 'phi': None},
    'hs_ml_promax': {'names': ['ML1', 'ML2', 'ML3'], 'communality': [0.487470472826557, 0.2512648396131, 0.457226709270241, 0.720806906079805, 0.757122679323982, 0.694784144441589, 0.497792778083933, 0.531449510205398, 0.456752313516563], 'ss': [2.21064381311004, 1.32522349165125, 1.31880304859988], 'chisq': 22.3769305562226, 'tli': 0.963885045794789, 'rmsea': 0.0534960761651466, 'bic': -46.1083926207639, 'loadings': [[0.152982811334039, 0.0362059121959938, 0.609346417370944], [0.0129520794901393, -0.116194099487789, 0.524965580744634], [-0.114563913629189, 0.0289954212550941, 0.702842919705757], [0.843846507585908, 0.00490640882208336, 0.00972118699939105], [0.897566944216126, 0.00650561017805147, -0.0822094928441682], [0.807372097833424, -0.0113499142389779, 0.0684403511379565], [0.0440508388552339, 0.742673196527058, -0.214849436332216], [-0.0488287510568791, 0.722452428568927, 0.049196720657975], [0.00535338568639513, 0.479201889804047, 0.335134093345487]], 'phi': [[1, 0.257998469967556, 0.392638024437155], [0.257998469967556, 0.999999999999999, 0.348829180386928], [0.392638024437155, 0.348829180386928, 1]]},
    'lo_minres_oblimin': {'names': ['MR3', 'MR2', 'MR4', 'MR1', 'MR5'], 'communality': [0.59745295195226, 0.44241945740125, 0.431922593035381, 0.563970574954763, 0.548872432557821, 0.618916935002489, 0.460952327691058, 0.483386717573835, 0.511382479402175, 0.36006630956151, 0.519967867631846, 0.345938719005761, 0.25312599780502, 0.606611270622059, 0.570081460840273, 0.407158878056212, 0.458032078822778, 0.607914916384668, 0.525296617758539, 0.588488288376472, 0.419202027910401], 'ss': [2.13897405886282, 2.10897706300914, 2.06761349993224, 2.04890671974559, 1.9566895607968], 'chisq': 134.286109005209, 'tli': 0.989233287293725, 'rmsea': 0.0182044658082262, 'bic': -580.393822313343, 'phi': [[1, 0.334680779229511, 0.174300935139813, 0.260252618863445, 0.34042476148305], [0.334680779229511, 1, 0.480168146247584, 0.124777926423821, 0.0834245819511121], [0.174300935139813, 0.480168146247584, 1, 0.225031564224097, 0.129459768634515], [0.260252618863445, 0.124777926423821, 0.225031564224097, 1, 0.532675826368365], [0.34042476148305, 0.0834245819511121, 0.129459768634515, 0.532675826368365, 1]]},
    'lf_minres_varimax': {'names': ['MR3', 'MR2', 'MR4', 'MR5', 'MR1'], 'communality': [0.595426077274505, 0.41838071482589, 0.435576721381506, 0.576336238989032, 0.532782179060843, 0.620449865432684, 0.463560917547249, 0.495308186680034, 0.523852275562376, 0.359391387952066, 0.516700390087444, 0.358482089999006, 0.243338682489846, 0.604478099636157, 0.563033655214132, 0.400442459475369, 0.478765091517243, 0.603837638336175, 0.525348098789495, 0.578439381034999, 0.411901413483145], 'ss': [2.11558854476547, 2.08940794037531, 2.07421075210903, 2.06823511493684, 1.95838921258255], 'chisq': 142.78944980039, 'tli': 0.984460678742199, 'rmsea': 0.021892618918374, 'bic': -571.890481518162, 'phi': None},
    'hs_ml_1': {'names': 'ML1', 'communality': [0.191793559406019, 0.0485787822652492, 0.0496316028282471, 0.718562522944422, 0.707465287256238, 0.702375572099949, 0.032570568804938, 0.040474550114453, 0.0941279789186758], 'ss': 2.58558042463819, 'chisq': 306.558335850319, 'tli': 0.569609944058526, 'rmsea': 0.185439041802087, 'bic': 152.4663587021, 'loadings': [[0.437942415627921], [0.220405948797325], [0.222781513659117], [0.847680672744414], [0.841109557225596], [0.838078499962831], [0.180473180292635], [0.201182877289428], [0.306802833948247]], 'phi': None},
}

ATOL = 1e-6
ATOL_EFA = 1e-3


def _case(name):
    d = CONFORMANCE / name
    return (pd.read_csv(d / "data.csv"), json.loads((d / "spec.json").read_text()),
            json.loads((d / "expected.json").read_text()))


def _mat(nested, rows, cols=None):
    """A psych matrix stored as {row: {col: value}}."""
    df = pd.DataFrame(nested).T.loc[rows]
    return df if cols is None else df[cols]


def tucker_match(mine: np.ndarray, ref: np.ndarray) -> tuple[tuple[int, ...], np.ndarray, np.ndarray]:
    """Column permutation and signs of ``mine`` that maximise Tucker's congruence with ``ref``."""
    k = ref.shape[1]
    best = None
    for perm in itertools.permutations(range(k)):
        A = mine[:, perm]
        s = np.sign(np.sum(A * ref, axis=0))
        s[s == 0] = 1
        A = A * s
        cong = np.sum(A * ref, 0) / np.sqrt(np.sum(A ** 2, 0) * np.sum(ref ** 2, 0))
        if best is None or cong.sum() > best[0]:
            best = (cong.sum(), perm, s, cong)
    assert best is not None and best[3].min() > 0.95, "no factor matches the reference"
    return best[1], best[2], best[3]


# --------------------------------------------------------------------------- factorability
@needs_fixtures
@pytest.mark.parametrize("case", CASES)
def test_factorability_matches_psych(case):
    data, spec, exp = _case(case)
    it = exp["items"]
    res = factorability(data, items=it["items"], missing=spec["missing"])
    assert res.kmo == pytest.approx(it["kmo"]["overall"], abs=ATOL)
    assert res.kmo_per_item[it["items"]].to_numpy() == pytest.approx([it["kmo"]["per_item"][i] for i in it["items"]], abs=ATOL)
    assert res.n == it["bartlett"]["n"]
    assert res.bartlett_chi2 == pytest.approx(it["bartlett"]["chisq"], abs=ATOL)
    assert res.bartlett_df == it["bartlett"]["df"]
    assert res.bartlett_p == pytest.approx(it["bartlett"]["p"], rel=1e-6, abs=1e-300)
    assert res.eigen_pc == pytest.approx(it["eigen"]["pc"], abs=ATOL)
    assert res.eigen_reduced_smc == pytest.approx(it["eigen"]["reduced_smc"], abs=ATOL)
    d = res.to_dict()
    assert d["bartlett"]["chi2"] == res.bartlett_chi2 and d["kmo"] == res.kmo
    json.dumps(d, allow_nan=False)


@needs_fixtures
def test_factorability_agrees_with_factor_analyzer():
    data, _, exp = _case(CASES[0])
    X = data[exp["items"]["items"]].dropna()
    kmo_i, kmo = calculate_kmo(X)
    chi2, p = calculate_bartlett_sphericity(X)
    res = factorability(X)
    assert res.kmo == pytest.approx(kmo, abs=1e-12) and res.kmo_per_item.to_numpy() == pytest.approx(kmo_i, abs=1e-12)
    assert res.bartlett_chi2 == pytest.approx(chi2, rel=1e-12)


# --------------------------------------------------------------------------- parallel analysis
@needs_fixtures
@pytest.mark.parametrize("case", CASES)
def test_parallel_analysis(case):
    data, spec, exp = _case(case)
    par = exp["items"]["parallel"]
    res = parallel_analysis(data, items=exp["items"]["items"], n_iter=spec.get("parallel_n_iter", 20),
                            seed=spec["seed"], missing=spec["missing"])
    assert res.observed_fa_values == pytest.approx(par["observed_fa_values"], abs=ATOL)
    assert res.observed_pc_values == pytest.approx(exp["items"]["eigen"]["pc"], abs=ATOL)
    assert res.n_factors == par["nfact"]  # seeded R draws cannot be reproduced; the decision can
    # the simulated means are random but must be of the same size as R's
    assert res.simulated_fa_mean == pytest.approx(par["simulated_fa_values_mean"], abs=0.15)
    again = parallel_analysis(data, items=exp["items"]["items"], n_iter=spec.get("parallel_n_iter", 20),
                              seed=spec["seed"], missing=spec["missing"])
    assert np.array_equal(res.simulated_fa_threshold, again.simulated_fa_threshold)
    by_mean = parallel_analysis(data, items=exp["items"]["items"], n_iter=5, seed=1, quantile=None,
                                missing=spec["missing"])
    assert np.array_equal(by_mean.simulated_fa_threshold, by_mean.simulated_fa_mean)
    assert res.to_frame()["retain"].sum() == res.n_factors
    json.dumps(res.to_dict(), allow_nan=False)


# --------------------------------------------------------------------------- EFA
@needs_fixtures
@pytest.mark.parametrize("case", CASES)
def test_efa_matches_psych(case):
    data, spec, exp = _case(case)
    ef, items = exp["items"]["efa"], exp["items"]["items"]
    res = efa(data, items=items, n_factors=ef["nfactors"], method="ml", rotation="oblimin", missing=spec["missing"])
    ref_cols = list(next(iter(ef["loadings"].values())))
    ref = _mat(ef["loadings"], items, ref_cols).to_numpy(float)
    perm, sign, _ = tucker_match(res.loadings.to_numpy(), ref)
    L = res.loadings.to_numpy()[:, perm] * sign
    assert L == pytest.approx(ref, abs=ATOL_EFA)
    phi = res.phi.to_numpy()[np.ix_(perm, perm)] * np.outer(sign, sign)
    assert phi == pytest.approx(_mat(ef["phi"], ref_cols, ref_cols).to_numpy(float), abs=ATOL_EFA)
    assert res.communalities[items].to_numpy() == pytest.approx([ef["communalities"][i] for i in items], abs=ATOL_EFA)
    assert res.uniquenesses[items].to_numpy() == pytest.approx([ef["uniquenesses"][i] for i in items], abs=ATOL_EFA)
    ss = res.variance.loc["SS loadings"].to_numpy()[list(perm)]
    assert ss == pytest.approx([ef["ss_loadings"][c] for c in ref_cols], abs=ATOL_EFA)
    # psych's conventions hold without matching: same names in the same order
    assert list(res.loadings.columns) == ref_cols
    # unrotated ML loadings
    ref_u_cols = list(next(iter(ef["loadings_unrotated"].values())))
    ref_u = _mat(ef["loadings_unrotated"], items, ref_u_cols).to_numpy(float)
    perm_u, sign_u, _ = tucker_match(res.loadings_unrotated.to_numpy(), ref_u)
    assert res.loadings_unrotated.to_numpy()[:, perm_u] * sign_u == pytest.approx(ref_u, abs=ATOL_EFA)
    # structure = pattern x phi; communality = diag(L Phi L')
    assert res.structure.to_numpy() == pytest.approx(res.loadings.to_numpy() @ res.phi.to_numpy(), abs=1e-12)
    P = res.loadings.to_numpy()
    assert res.communalities.to_numpy() == pytest.approx(np.diag(P @ res.phi.to_numpy() @ P.T), abs=1e-10)
    fit = ef["fit"]
    assert res.fit["chisq"] == pytest.approx(fit["chisq"], rel=1e-5)
    assert res.fit["objective"] == pytest.approx(fit["objective"], rel=1e-5)
    assert res.fit["df"] == fit["df"] and res.n_obs == fit["n_obs"]
    for k in ("pvalue", "rmsea", "tli"):
        assert res.fit[k] == pytest.approx(fit[k], abs=1e-4), k
    assert res.fit["bic"] == pytest.approx(fit["bic"], rel=1e-5)
    assert not res.warnings
    json.dumps(res.to_dict(), allow_nan=False)


@needs_fixtures
@pytest.mark.parametrize("key,nf,method,rotation", [
    ("hs_minres_promax", 3, "minres", "promax"), ("hs_ml_varimax", 3, "ml", "varimax"),
    ("hs_minres_none", 3, "minres", None), ("hs_ml_promax", 3, "ml", "promax"), ("hs_ml_1", 1, "ml", "oblimin"),
    ("lo_minres_oblimin", 5, "minres", "oblimin"), ("lf_minres_varimax", 5, "minres", "varimax")])
def test_efa_methods_and_rotations_match_psych(key, nf, method, rotation):
    case = {"hs": "holzinger_swineford_1939", "lo": "likert_ordinal", "lf": "likert_fiml"}[key[:2]]
    data, spec, exp = _case(case)
    items = exp["items"]["items"]
    ref = EFA[key]
    res = efa(data, items=items, n_factors=nf, method=method, rotation=rotation, missing=spec["missing"])
    assert list(res.loadings.columns) == (ref["names"] if isinstance(ref["names"], list) else [ref["names"]])
    assert res.communalities.to_numpy() == pytest.approx(ref["communality"], abs=ATOL_EFA)
    assert res.variance.loc["SS loadings"].to_numpy() == pytest.approx(ref["ss"], abs=ATOL_EFA)
    if "loadings" in ref:
        L_ref = np.array(ref["loadings"], dtype=float).reshape(len(items), nf)
        perm, sign, _ = tucker_match(res.loadings.to_numpy(), L_ref)
        assert res.loadings.to_numpy()[:, perm] * sign == pytest.approx(L_ref, abs=ATOL_EFA)
    if ref["phi"] is None:
        assert res.phi is None
    else:
        assert res.phi.to_numpy() == pytest.approx(np.array(ref["phi"]), abs=ATOL_EFA)
    assert res.fit["chisq"] == pytest.approx(ref["chisq"], rel=1e-5)
    for k in ("tli", "rmsea"):
        assert res.fit[k] == pytest.approx(ref[k], abs=1e-4)
    assert res.fit["bic"] == pytest.approx(ref["bic"], rel=1e-5)


def _two_factor(n=300, seed=5):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 2))
    X = np.hstack([0.8 * f[:, [0]] + 0.6 * rng.normal(size=(n, 3)), 0.8 * f[:, [1]] + 0.6 * rng.normal(size=(n, 3))])
    return pd.DataFrame(X, columns=[f"v{i}" for i in range(6)])


def test_psych_conventions():
    res = efa(_two_factor(), n_factors=2, method="minres", rotation="oblimin")
    assert (res.loadings.sum(axis=0) > 0).all()
    ss = res.variance.loc["SS loadings"].to_numpy()
    assert ss[0] >= ss[1]
    assert res.communalities.to_numpy() + res.uniquenesses.to_numpy() == pytest.approx(1.0)
    assert res.to_frame().shape == (12, 6)
    orth = efa(_two_factor(), n_factors=2, rotation="varimax")
    assert orth.phi is None and orth.structure.equals(orth.loadings)


def test_rotator_failure_becomes_clear_error(monkeypatch):
    def broken(self, X, y=None):
        raise TypeError("check_array() got an unexpected keyword argument 'force_all_finite'")

    monkeypatch.setattr(rotator.Rotator, "fit_transform", broken)
    with pytest.raises(EstimationError, match="factor_analyzer"):
        efa(_two_factor(), n_factors=2)


# --------------------------------------------------------------------------- robustness
def test_constant_item():
    df = _two_factor().assign(k=2.0)
    res = efa(df, n_factors=2)
    assert "k" not in res.loadings.index and any("no variance" in w for w in res.warnings)
    f = factorability(df)
    assert math.isnan(f.kmo_per_item["k"]) and math.isfinite(f.kmo)
    pa = parallel_analysis(df, n_iter=3, seed=1)
    assert pa.n_factors == 2 and pa.warnings


def test_too_few_rows_and_items():
    df = _two_factor().iloc[:2]
    for res in (efa(df, n_factors=2), factorability(df), parallel_analysis(df, n_iter=2, seed=1)):
        assert res.warnings
        json.dumps(res.to_dict(), allow_nan=False)
    assert math.isnan(factorability(df).kmo)
    res = efa(_two_factor()[["v0", "v1"]], n_factors=1)
    assert res.loadings.isna().all().all() and res.warnings
    res = efa(_two_factor(), n_factors=6)
    assert res.loadings.isna().all().all() and res.warnings


def test_singular_correlation_matrix():
    df = _two_factor().assign(dup=lambda d: d["v0"] + d["v1"])
    f = factorability(df)
    assert math.isnan(f.kmo) and math.isnan(f.bartlett_chi2) and any("singular" in w for w in f.warnings)
    ml = efa(df, n_factors=2, method="ml")
    assert ml.loadings.isna().all().all() and any("singular" in w for w in ml.warnings)
    mr = efa(df, n_factors=2, method="minres")
    assert np.isfinite(mr.loadings.to_numpy()).all()
    pa = parallel_analysis(df, n_iter=3, seed=2)
    assert np.isfinite(pa.observed_fa_values).all() and any("singular" in w for w in pa.warnings)


def test_argument_errors():
    df = _two_factor()
    with pytest.raises(ValueError):
        efa(df, n_factors=2, rotation="quartimax")
    with pytest.raises(ValueError):
        efa(df, n_factors=0)
    with pytest.raises(ValueError):
        parallel_analysis(df, quantile=1.5)
    with pytest.raises(ModelSpecError):
        factorability(df, items=["v0", "nope"])


def test_docstring_examples():
    result = doctest.testmod(coprod.analysis.efa)
    assert result.attempted > 0 and result.failed == 0


def test_factorability_docstring_examples():
    """KMO/Bartlett and parallel analysis moved out of efa.py; their examples still run."""
    result = doctest.testmod(coprod.analysis.factorability)
    assert result.attempted > 0 and result.failed == 0


def test_moved_public_names_are_still_importable_from_their_old_modules():
    """efa.py and reliability.py were split; their public names (same objects) stay where they were."""
    for old, new in ((coprod.analysis.efa, coprod.analysis.factorability),
                     (coprod.analysis.reliability, coprod.analysis.omega)):
        for name in new.__all__:
            assert name in old.__all__ and getattr(old, name) is getattr(new, name), (old.__name__, name)
