"""Estimation trouble never crashes analysis.sem: each case becomes a message in ``warnings``.

Also the semopy cross-check (single-group CFA, ``options={"ftol": 1e-12}``) and input validation.
"""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coprod.analysis.sem.engine as engine_module
from coprod.analysis.errors import ModelSpecError
from coprod.analysis.sem import fit_sem, measurement_invariance
from coprod.analysis.sem.ml import OptimResult
from coprod.analysis.sem.ml import minimize as real_minimize

ROOT = Path(__file__).resolve().parents[2]
HS = ROOT.parent / "shared" / "conformance" / "holzinger_swineford_1939" / "data.csv"
CFA3 = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def _exact(cov, n, seed=0):
    """Data whose sample covariance (divisor n) is exactly ``cov``."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, len(cov)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(z.T @ z / n)).T @ np.linalg.cholesky(cov).T
    return pd.DataFrame(z, columns=[f"x{i + 1}" for i in range(len(cov))])


@pytest.fixture(scope="module")
def onefactor():
    rng = np.random.default_rng(1)
    f = rng.normal(size=(300, 1))
    return pd.DataFrame(f + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "x4"])


def _no_numpy_warnings(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return fn()


def test_heywood_case_is_reported_and_kept():
    # r12 = r13 = .85, r23 = .6: the one-factor solution needs λ1²ψ = .85²/.6 > 1
    data = _exact(np.array([[1, .85, .85], [.85, 1, .6], [.85, .6, 1]]), 200)
    res = _no_numpy_warnings(lambda: fit_sem(data, "f =~ x1 + x2 + x3"))
    assert res.converged
    est = res.estimates.set_index(["lhs", "op", "rhs"])["est"]
    assert est[("x1", "~~", "x1")] == pytest.approx(1 - .85 ** 2 / .6, abs=1e-6)  # −0.204, as lavaan reports
    assert any("Heywood" in w and "x1 ~~ x1" in w for w in res.warnings)
    assert res.fit["df"] == 0 and res.fit["chisq"] == pytest.approx(0, abs=1e-8)


def test_latent_correlation_above_one_is_reported():
    r = np.full((6, 6), .3)
    r[:3, 3:] = r[3:, :3] = .45
    np.fill_diagonal(r, 1)
    res = _no_numpy_warnings(lambda: fit_sem(_exact(r, 300), "f1 =~ x1 + x2 + x3\nf2 =~ x4 + x5 + x6"))
    assert res.latent_cor().loc["f1", "f2"] == pytest.approx(1.5, abs=1e-6)
    assert any("latent variables is not positive definite" in w for w in res.warnings)


def test_not_identified_model(onefactor):
    res = _no_numpy_warnings(lambda: fit_sem(onefactor, "f =~ x1 + x2"))
    assert res.fit["df"] == -1
    assert any("not identified" in w and "df = -1" in w for w in res.warnings)
    assert any("information matrix is singular" in w for w in res.warnings)
    free = res.estimates[res.estimates.free > 0]
    assert free.se.isna().all() and math.isnan(res.fit["rmsea"])


def test_fewer_rows_than_parameters_and_singular_sample(onefactor):
    res = _no_numpy_warnings(lambda: fit_sem(onefactor.iloc[:3], "f =~ x1 + x2 + x3 + x4"))
    assert any("fewer usable rows (3) than free parameters (8)" in w for w in res.warnings)
    assert any("sample covariance matrix is not positive definite" in w for w in res.warnings)
    assert math.isnan(res.fit["chisq"]) and math.isnan(res.fit["loglik_h1"])
    res1 = fit_sem(onefactor.iloc[:1], "f =~ x1 + x2 + x3 + x4")
    assert not res1.converged and any("only 1 usable row" in w for w in res1.warnings)
    assert math.isnan(res1.fit["chisq"]) and res1.fit["npar"] == 8


def test_constant_column(onefactor):
    data = onefactor.assign(x3=5.0)
    res = _no_numpy_warnings(lambda: fit_sem(data, "f =~ x1 + x2 + x3 + x4"))
    assert any("column 'x3' is constant" in w for w in res.warnings)
    assert math.isnan(res.fit["chisq"])
    json.dumps(res.to_dict())


def test_non_convergence_is_reported(onefactor, monkeypatch):
    def one_step(disc, start, maxit, tol):
        # one scoring step, reported as the iteration limit (BFGS and the scale-aware rule would
        # otherwise reach and recognise the optimum)
        r = real_minimize(disc, start, maxit=1, tol=1e-300)
        return OptimResult(r.theta, r.value, False, 1, "no convergence in 1 iterations", "max_iterations")
    monkeypatch.setattr(engine_module, "minimize", one_step)
    res = fit_sem(onefactor, "f =~ x1 + x2 + x3 + x4", bootstrap=5, seed=1)
    assert not res.converged
    assert any(w.startswith("model did not converge") for w in res.warnings)
    assert any("bootstrap skipped" in w for w in res.warnings)
    assert np.isfinite(res.fit["chisq"])  # numbers at the last iterate are still reported


def test_listwise_and_fiml_row_counts(onefactor):
    data = onefactor.copy()
    data.loc[[0, 1], "x2"] = np.nan
    data.loc[2, ["x1", "x2", "x3", "x4"]] = np.nan
    lw = fit_sem(data, "f =~ x1 + x2 + x3 + x4")
    assert (lw.n_used, lw.n_dropped) == (297, 3)
    fi = fit_sem(data, "f =~ x1 + x2 + x3 + x4", missing="fiml")
    assert (fi.n_used, fi.n_dropped) == (299, 1)  # an all-missing row carries no information
    assert fi.meta["information"] == "observed" and fi.converged
    assert ("x1", "~1", "") in set(zip(fi.estimates.lhs, fi.estimates.op, fi.estimates.rhs))


def test_input_validation(onefactor):
    with pytest.raises(ModelSpecError, match="missing='pairwise'"):
        fit_sem(onefactor, "f =~ x1 + x2 + x3", missing="pairwise")
    with pytest.raises(ModelSpecError, match="estimator='WLSMV'"):
        fit_sem(onefactor, "f =~ x1 + x2 + x3", estimator="WLSMV")
    with pytest.raises(ModelSpecError, match="group column 'sector'"):
        fit_sem(onefactor, "f =~ x1 + x2 + x3", group="sector")
    with pytest.raises(ModelSpecError, match="column 'x2' is not numeric"):
        fit_sem(onefactor.assign(x2="a"), "f =~ x1 + x2 + x3")
    with pytest.raises(ValueError, match="bootstrap"):
        fit_sem(onefactor, "f =~ x1 + x2 + x3", bootstrap=-1)
    with pytest.raises(TypeError):
        fit_sem(onefactor.to_numpy(), "f =~ x1 + x2 + x3")
    with pytest.raises(ModelSpecError, match="levels"):
        measurement_invariance(onefactor.assign(g=1), "f =~ x1 + x2 + x3", "g", levels=("metric",))


@pytest.mark.skipif(not HS.exists(), reason="no conformance data")
def test_semopy_cross_check():
    """semopy 2.3.11 (tight ftol) and our engine agree on the single-group CFA to 1e-4."""
    semopy = pytest.importorskip("semopy")
    data = pd.read_csv(HS)
    m = semopy.Model(CFA3)
    m.fit(data, options={"ftol": 1e-12})
    theirs = m.inspect()
    ours = fit_sem(data, CFA3).estimates.set_index(["lhs", "op", "rhs"])
    n = 0
    for _, row in theirs.iterrows():
        if row["op"] == "~":  # semopy writes loadings as x ~ f
            key = (row["rval"], "=~", row["lval"])
        else:
            key = (row["lval"], "~~", row["rval"])
            if key not in ours.index:
                key = (row["rval"], "~~", row["lval"])
        assert abs(ours.loc[key, "est"] - float(row["Estimate"])) <= 1e-4, key
        if row["Std. Err"] != "-":
            assert abs(ours.loc[key, "se"] - float(row["Std. Err"])) <= 1e-4, key
        n += 1
    assert n == 24
