"""The fast FIML pass (issue 13, item 4) against the definitions it replaces.

* −2 logL and its gradient by the Schur complements of Σ⁻¹ equal the pattern-by-pattern
  evaluation (one Σ_oo⁻¹ per pattern) on data with many patterns, one to all-but-one missing;
* the analytic observed information equals central differences of the analytic gradient
  (lavaan's definition of the observed information), for a SEM with regressions and for two
  groups with equal loadings;
* a bootstrap draw's patterns built from row counts equal the patterns of the repeated rows;
* the EM (h1) estimate is a fixed point (to its stopping rule) of the EM step written out row by row.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.sem.engine import Engine
from coprod.analysis.sem.fiml import _direct, _pass, _terms, em_saturated, pattern_index, patterns_of

SEM = """f1 =~ x1 + x2 + x3 + x4
f2 =~ x5 + x6 + x7
f3 =~ x8 + x9 + x10
f2 ~ f1
f3 ~ f1 + f2
"""


def _data(n: int = 400, seed: int = 3, share: float = 0.15) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f1 = rng.normal(size=n)
    f2 = 0.5 * f1 + rng.normal(scale=0.8, size=n)
    f3 = 0.3 * f1 + 0.4 * f2 + rng.normal(scale=0.8, size=n)
    cols = {}
    for f, items in ((f1, range(1, 5)), (f2, range(5, 8)), (f3, range(8, 11))):
        for i in items:
            cols[f"x{i}"] = 3.0 + (0.6 + 0.05 * i) * f + rng.normal(scale=0.7, size=n)
    df = pd.DataFrame(cols)
    x = df.to_numpy().copy()
    x[rng.random(x.shape) < share] = np.nan
    x[0, :9] = np.nan          # a row with one answer
    x[1, 1:] = np.nan
    df = pd.DataFrame(x, columns=df.columns)
    df["g"] = np.where(np.arange(n) % 2, "a", "b")
    return df


def _fitted(model: str, **kw):
    eng = Engine(_data(), model, missing="fiml", **kw)
    gdata, _ = eng.stats()
    res = eng.fit(gdata)
    assert res.converged
    return eng, gdata, res.theta


def test_schur_pass_equals_pattern_by_pattern():
    eng, gdata, theta = _fitted(SEM)
    pats = gdata[0].patterns
    assert len(pats) > 100 and max(b[2].shape[1] for b in pats.batches) == 9
    sigma, mu = eng.model.implied(theta + 0.05)[0]  # away from the optimum: a gradient to compare
    f_fast, gs_fast, gm_fast = _terms(pats, sigma, mu, True)
    f_ref, gs_ref, gm_ref = _direct(pats, sigma, mu, True)
    assert f_fast == pytest.approx(f_ref, rel=1e-12)
    np.testing.assert_allclose(gs_fast, gs_ref, rtol=0, atol=1e-8 * np.abs(gs_ref).max())
    np.testing.assert_allclose(gm_fast, gm_ref, rtol=0, atol=1e-8 * np.abs(gm_ref).max())


def test_not_positive_definite_sigma_falls_back_to_patterns():
    eng, gdata, theta = _fitted(SEM)
    pats = gdata[0].patterns
    sigma, mu = eng.model.implied(theta)[0]
    bad = sigma.copy()
    bad[0, 1] = bad[1, 0] = 1.01 * np.sqrt(bad[0, 0] * bad[1, 1])   # |r| > 1: Σ not PD
    assert _pass(pats, bad, mu, False) is None
    assert _terms(pats, bad, mu, False)[0] == _direct(pats, bad, mu, False)[0]


@pytest.mark.parametrize("kw", [{}, {"group": "g", "group_equal": ["loadings"]}], ids=["sem", "two_groups"])
def test_analytic_observed_information_equals_numeric(kw):
    model = SEM if not kw else "f1 =~ x1 + x2 + x3 + x4\nf2 =~ x5 + x6 + x7"
    eng, gdata, theta = _fitted(model, **kw)
    disc = eng.discrepancy(gdata)
    analytic = disc.observed_information(theta)
    numeric = disc._numeric_information(theta)
    np.testing.assert_allclose(analytic, numeric, rtol=0, atol=1e-6 * np.abs(numeric).max())


def test_weighted_patterns_equal_repeated_rows():
    eng, gdata, theta = _fitted(SEM)
    x = eng.x[0]
    w = np.random.default_rng(1).integers(0, 3, size=len(x)).astype(float)
    drawn = patterns_of(pattern_index(x), w)
    repeated = patterns_of(pattern_index(np.repeat(x, w.astype(int), axis=0)))
    sigma, mu = eng.model.implied(theta)[0]
    assert drawn.n_total == repeated.n_total == w[~np.isnan(x).all(axis=1)].sum()
    assert _terms(drawn, sigma, mu, False)[0] == pytest.approx(_terms(repeated, sigma, mu, False)[0], rel=1e-12)


def test_em_estimate_is_a_fixed_point_of_the_pattern_em_step():
    x = Engine(_data(), SEM, missing="fiml").x[0]
    pats = patterns_of(pattern_index(x))
    mu, sigma, _ll, ok = em_saturated(pats, x.shape[1])
    assert ok
    p = x.shape[1]
    t1, t2 = np.zeros(p), np.zeros((p, p))
    for row in x[~np.isnan(x).all(axis=1)]:
        o = ~np.isnan(row)
        m = ~o
        xh = row.copy()
        c = np.zeros((p, p))
        if m.any():
            b = np.linalg.solve(sigma[np.ix_(o, o)], sigma[np.ix_(o, m)]).T
            xh[m] = mu[m] + b @ (row[o] - mu[o])
            c[np.ix_(m, m)] = sigma[np.ix_(m, m)] - b @ sigma[np.ix_(o, m)]
        t1 += xh
        t2 += np.outer(xh, xh) + c
    n = pats.n_total
    # EM stops when logL changes by less than 1e-11 (relative): one more step moves the
    # estimates by ~1e-6 here; a wrong E-step would move them by far more
    np.testing.assert_allclose(t1 / n, mu, atol=1e-5)
    np.testing.assert_allclose(t2 / n - np.outer(t1 / n, t1 / n), sigma, atol=1e-5)


def test_bootstrap_draws_with_the_fixed_step_matrix_reach_each_draws_optimum():
    from coprod.analysis.sem import bootstrap

    eng, gdata, theta = _fitted(SEM)
    step = bootstrap._step_matrix(eng, theta)
    assert step is not None
    disc = eng.discrepancy(gdata)
    se = np.sqrt(np.diag(np.linalg.inv(disc.observed_information(theta))))
    for seq in np.random.SeedSequence(5).spawn(3):
        fixed = bootstrap._draw(eng, theta, seq, step)
        own = bootstrap._draw(eng, theta, seq, None)
        # both stop within ~1e-3 SE of the draw's optimum (Newton decrement 1e-6)
        assert np.max(np.abs(fixed - own) / se) < 5e-3
