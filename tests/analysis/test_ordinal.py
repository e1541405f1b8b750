"""Ordinal statistics against lavaan 0.6-14 / psych 2.2.9 (shared ``likert_ordinal`` fixture).

R calls behind the reference values (``shared/conformance/run_oracle.R``):
  thresholds_lavaan, polychoric_lavaan: ``lavCor(X, ordered = items, output = "th" / "cor")``
  polychoric_psych:                      ``psych::polychoric(X, correct = 0.5)``
  ordinal_alpha:                         ``psych::alpha(<polychoric matrix>)$total$std.alpha``
  wlsmv_cfa:                             ``cfa(model, X, ordered = items, estimator = "WLSMV")``
lavaan has no direct Γ in the fixture; Γ is checked through the WLSMV CFA it drives (threshold
SEs, DWLS estimates, robust SEs, scaled χ²) and against the bootstrap on simulated data.
"""
from __future__ import annotations

import doctest
import importlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy.stats import multivariate_normal, norm

from coprod.analysis.errors import ModelSpecError, ResponseDataError
from coprod.analysis.ordinal import (
    OrdinalMoments,
    PolychoricResult,
    bivariate_normal_cdf,
    ordinal_alpha,
    polychoric,
    sample_statistics,
    thresholds,
)

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT.parent / "shared" / "conformance" / "likert_ordinal"

needs_fixture = pytest.mark.skipif(not (CASE / "expected.json").exists(),
                                   reason=f"no conformance fixture at {CASE}")


@pytest.fixture(scope="module")
def case():
    expected = json.loads((CASE / "expected.json").read_text())
    data = pd.read_csv(CASE / "data.csv")
    return expected, data


@pytest.fixture(scope="module")
def moments(case):
    expected, data = case
    return sample_statistics(data, expected["ordinal"]["items"])


# --------------------------------------------------------------------------- bivariate normal CDF
def test_bivariate_normal_cdf_matches_scipy_on_every_branch():
    rng = np.random.default_rng(20240611)
    # |ρ| < 0.3, < 0.75, < 0.925 (three quadrature sizes) and ≥ 0.925 (the expansion), both signs.
    for rho in (-0.99999, -0.95, -0.93, -0.8, -0.5, -0.1, 0.0, 0.2, 0.4, 0.74, 0.9, 0.926, 0.999):
        x, y = rng.normal(scale=1.8, size=(2, 25))
        ref = [multivariate_normal(cov=[[1, rho], [rho, 1]]).cdf([a, b]) for a, b in zip(x, y)]
        np.testing.assert_allclose(bivariate_normal_cdf(x, y, rho), ref, rtol=0, atol=1e-12)


def test_bivariate_normal_cdf_limits():
    inf = np.inf
    got = bivariate_normal_cdf([inf, 0.3, -inf, 0.3, inf, 0.5, 0.5],
                               [0.3, inf, 0.3, -inf, inf, 0.2, 0.2],
                               [0.5, 0.5, 0.5, 0.5, 0.5, 1.0, -1.0])
    exp = [norm.cdf(0.3), norm.cdf(0.3), 0, 0, 1, norm.cdf(0.2), norm.cdf(0.5) + norm.cdf(0.2) - 1]
    np.testing.assert_allclose(got, exp, atol=1e-15)


# --------------------------------------------------------------------------- lavaan references
@needs_fixture
def test_thresholds_match_lavaan(case):
    expected, data = case
    ref = expected["ordinal"]["thresholds_lavaan"]
    got = thresholds(data, items=expected["ordinal"]["items"])
    assert list(got["name"]) == list(ref)  # lavaan's order and names
    np.testing.assert_allclose(got["est"], list(ref.values()), rtol=0, atol=1e-10)


@needs_fixture
def test_polychoric_matches_lavaan(case):
    expected, data = case
    items = expected["ordinal"]["items"]
    ref = pd.DataFrame(expected["ordinal"]["polychoric_lavaan"]).loc[items, items]
    res = polychoric(data, items=items)
    assert isinstance(res, PolychoricResult) and res.n == 500 and res.n_dropped == 0
    # README tolerance is 1e-3; the two-step ML is solved to machine precision and lavaan's
    # nlminb stops at ~3e-8, so hold it to 1e-6.
    np.testing.assert_allclose(res.matrix.to_numpy(), ref.to_numpy(), rtol=0, atol=1e-6)
    assert res.warnings == ()
    np.testing.assert_allclose(res.thresholds["est"],
                               list(expected["ordinal"]["thresholds_lavaan"].values()), atol=1e-10)


@needs_fixture
def test_polychoric_differs_from_psych_only_where_psych_corrects_empty_cells(case):
    # psych::polychoric(correct = 0.5) adds 0.5 to every empty cell; lavaan (and we) do not.
    # Tables without empty cells agree to psych's optimiser tolerance; the others may not.
    expected, data = case
    items = expected["ordinal"]["items"]
    psy = pd.DataFrame(expected["ordinal"]["polychoric_psych"]).loc[items, items]
    res = polychoric(data, items=items)
    frame = res.to_frame()
    psy_vals = np.array([psy.loc[a, b] for a, b in zip(frame["lhs"], frame["rhs"])])
    diff = np.abs(frame["est"].to_numpy() - psy_vals)
    empty = frame["empty_cells"].to_numpy()
    assert empty.sum() == len(res.empty_cell_pairs) > 0
    assert diff[~empty].max() < 1e-4
    assert diff[empty].max() < 0.06  # 0.051 here (n = 500)
    assert diff[empty].max() > 1e-2  # the correction really matters


@needs_fixture
@pytest.mark.parametrize("matrix_key, alpha_key", [
    ("polychoric_lavaan", "alpha_lavaan_polychoric"),
    ("polychoric_psych", "alpha_psych_polychoric"),
])
def test_ordinal_alpha_matches_r(case, matrix_key, alpha_key):
    expected, _ = case
    R = pd.DataFrame(expected["ordinal"][matrix_key])
    for scale, items in expected["spec"]["scales"].items():
        got = ordinal_alpha(R, items)
        assert got.k == len(items)
        assert got.alpha == pytest.approx(expected["ordinal"]["ordinal_alpha"][scale][alpha_key],
                                          abs=1e-12)


@needs_fixture
def test_ordinal_alpha_from_our_polychorics(case):
    expected, data = case
    res = polychoric(data, items=expected["ordinal"]["items"])
    for scale, items in expected["spec"]["scales"].items():
        ref = expected["ordinal"]["ordinal_alpha"][scale]["alpha_lavaan_polychoric"]
        assert float(ordinal_alpha(res, items)) == pytest.approx(ref, abs=1e-6)


# --------------------------------------------------------------------------- Γ through WLSMV
def _dwls_cfa(m: OrdinalMoments, scales: dict[str, list[str]]):
    """Simple-structure DWLS CFA on the correlations (delta parameterization, markers = 1).

    Thresholds are saturated, so with a diagonal W they separate from the structural part.
    Returns (theta, labels, se, chisq, chisq_scaled, scaling_factor) with lavaan's N − 1.
    """
    items, k = list(m.items), len(scales)
    fac = {it: f for f, its in enumerate(scales.values()) for it in its}
    markers = {its[0] for its in scales.values()}
    free = [it for it in items if it not in markers]
    tri = [(a, b) for a in range(k) for b in range(a, k)]
    labels = [("=~", list(scales)[fac[it]], it) for it in free] + \
             [("~~", list(scales)[a], list(scales)[b]) for a, b in tri]
    pairs = [(items.index(a), items.index(b)) for a, b in m.correlation_pairs]
    nt = len(m.thresholds)
    s, w, G = m.correlations, m.weights[nt:], m.gamma[nt:, nt:]
    pos = {it: q for q, it in enumerate(free)}

    def unpack(th):
        lam = np.array([1.0 if it in markers else th[pos[it]] for it in items])
        phi = np.zeros((k, k))
        for (a, b), v in zip(tri, th[len(free):]):
            phi[a, b] = phi[b, a] = v
        return lam, phi

    def model(th):
        lam, phi = unpack(th)
        sig = np.empty(len(pairs))
        J = np.zeros((len(pairs), len(th)))
        for q, (i, j) in enumerate(pairs):
            fi, fj = fac[items[i]], fac[items[j]]
            sig[q] = lam[i] * lam[j] * phi[fi, fj]
            if items[i] in pos:
                J[q, pos[items[i]]] += lam[j] * phi[fi, fj]
            if items[j] in pos:
                J[q, pos[items[j]]] += lam[i] * phi[fi, fj]
            J[q, len(free) + tri.index((min(fi, fj), max(fi, fj)))] = lam[i] * lam[j]
        return sig, J

    th = np.concatenate([np.full(len(free), 0.8), [0.5 if a == b else 0.1 for a, b in tri]])
    for _ in range(100):  # Gauss-Newton
        sig, J = model(th)
        step = np.linalg.solve(J.T @ (w[:, None] * J), J.T @ (w * (s - sig)))
        th = th + step
        if np.abs(step).max() < 1e-13:
            break
    sig, J = model(th)
    r = s - sig
    F = r @ (w * r)
    n1 = m.n - 1  # lavaan's WLS family: χ² = (N − 1)·F, vcov / (N − 1)
    WJ = w[:, None] * J
    A = np.linalg.inv(J.T @ WJ)
    se = np.sqrt(np.diag(A @ (WJ.T @ G @ WJ) @ A) / n1)
    U = np.diag(w) - WJ @ A @ WJ.T
    UG = U @ G
    df = len(s) - len(th)
    a = np.sqrt(df / np.trace(UG @ UG))
    chisq = n1 * F
    return th, labels, se, chisq, a * chisq + df - a * np.trace(UG), 1 / a


@needs_fixture
def test_threshold_se_is_sqrt_gamma_over_n_minus_1(case, moments):
    expected, _ = case
    est = {(r["lhs"], r["rhs"]): r["se"] for r in expected["ordinal"]["wlsmv_cfa"]["estimates"]
           if r["op"] == "|"}
    se = np.sqrt(np.diag(moments.gamma)[:len(moments.thresholds)] / (moments.n - 1))
    ref = [est[tuple(name.split("|"))] for name in moments.threshold_names]
    np.testing.assert_allclose(se, ref, rtol=1e-10)


@needs_fixture
def test_gamma_reproduces_lavaan_wlsmv_cfa(case, moments):
    expected, _ = case
    w = expected["ordinal"]["wlsmv_cfa"]
    ref = {(r["op"], r["lhs"], r["rhs"]): r for r in w["estimates"]}
    th, labels, se, chisq, scaled, factor = _dwls_cfa(moments, expected["spec"]["scales"])
    # W = diag(Γ)⁻¹ drives the estimates: 2e-6 from lavaan, which is nlminb's stopping point
    # (README tolerance 1e-3); robust SEs use the whole Γ_ρρ block and agree to 2e-7.
    np.testing.assert_allclose(th, [ref[lab]["est"] for lab in labels], atol=1e-5)
    np.testing.assert_allclose(se, [ref[lab]["se"] for lab in labels], atol=1e-6)
    assert chisq == pytest.approx(w["fit"]["chisq"], rel=1e-7)
    assert scaled == pytest.approx(w["fit"]["chisq.scaled"], rel=1e-6)  # tr(UΓ), tr((UΓ)²)
    assert factor == pytest.approx(w["fit"]["chisq.scaling.factor"], rel=1e-6)


@needs_fixture
def test_moments_layout_follows_lavaan(case, moments):
    expected, data = case
    items = expected["ordinal"]["items"]
    m = moments
    assert m.threshold_names == tuple(expected["ordinal"]["thresholds_lavaan"])
    # vech(R, diagonal = FALSE): lower triangle column by column
    p = len(items)
    assert m.correlation_pairs == tuple((items[j], items[i]) for j in range(p) for i in range(j + 1, p))
    assert m.names[len(m.thresholds)] == "ins1~~ins2" and m.names[-1] == "amb3~~amb4"
    ref = pd.DataFrame(expected["ordinal"]["polychoric_lavaan"]).loc[items, items]
    np.testing.assert_allclose(m.correlation_matrix.to_numpy(), ref.to_numpy(), atol=1e-6)
    np.testing.assert_array_equal(m.threshold_item[:5], [0, 0, 0, 0, 1])
    assert m.gamma.shape == (100 + 210, 100 + 210) == (len(m.statistics),) * 2
    np.testing.assert_allclose(m.gamma, m.gamma.T, atol=0)
    ev = np.linalg.eigvalsh(m.gamma)
    assert ev.min() > -1e-10 * ev.max()
    np.testing.assert_allclose(m.weights, 1 / np.diag(m.gamma))
    np.testing.assert_allclose(m.W, np.diag(m.weights))
    frame = m.to_frame()
    assert list(frame.columns) == ["name", "kind", "lhs", "op", "rhs", "est", "se", "weight"]
    assert (frame["kind"] == "threshold").sum() == 100
    json.dumps(m.to_dict())
    json.dumps(polychoric(data, items=items[:4]).to_dict())


# --------------------------------------------------------------------------- Γ vs the bootstrap
def _simulate(n, rng):
    L = np.array([0.8, 0.7, 0.6])
    z = rng.normal(size=(n, 1)) * L + rng.normal(size=(n, 3)) * np.sqrt(1 - L ** 2)
    cuts = [np.array([-1.0, 0.0, 0.9]), np.array([-1.2, -0.3, 0.4, 1.1]), np.array([-0.5, 0.7])]
    return pd.DataFrame({f"y{j}": np.searchsorted(c, z[:, j]) + 1 for j, c in enumerate(cuts)})


def test_gamma_diagonal_matches_bootstrap_variance():
    rng = np.random.default_rng(9071)
    data = _simulate(400, rng)
    m = sample_statistics(data)
    boot = []
    for _ in range(400):
        sample = data.iloc[rng.integers(0, len(data), len(data))]
        res = polychoric(sample)
        R = res.matrix.to_numpy()
        boot.append(np.concatenate([res.thresholds["est"], R[np.tril_indices(3, -1)[::-1]]]))
    boot = np.array(boot)
    # R[np.tril_indices(3, -1)[::-1]] gives (0,1), (0,2), (1,2): lavaan's order for p = 3
    assert m.names[-3:] == ("y0~~y1", "y0~~y2", "y1~~y2")
    cov = np.cov(boot, rowvar=False)
    ratio = np.diag(m.acov) / np.diag(cov)
    assert np.all(np.abs(ratio - 1) < 0.20), ratio
    # Off-diagonal entries, in correlation units: a bootstrap correlation from 400 draws has an
    # SE of about 0.05, so this is loose; test_gamma_equals_lavaans_formula_by_finite_differences
    # checks those blocks exactly.
    sd = np.sqrt(np.diag(cov))
    assert np.abs(m.acov / np.outer(sd, sd) - cov / np.outer(sd, sd)).max() < 0.25


def test_gamma_equals_lavaans_formula_by_finite_differences():
    """Re-derive Γ = N·B⁻¹ INNER B⁻ᵀ (muthen1984) with numerical score functions per case."""
    rng = np.random.default_rng(77)
    data = _simulate(300, rng)
    m = sample_statistics(data)
    Y = data.to_numpy() - 1
    n, p = Y.shape
    taus = [m.thresholds[m.threshold_item == j] for j in range(p)]
    R = m.correlation_matrix.to_numpy()
    ext = lambda t: np.concatenate([[-np.inf], t, [np.inf]])  # noqa: E731
    h = 1e-6

    def uni_logp(t, y):
        e = ext(t)
        return np.log(norm.cdf(e[y + 1]) - norm.cdf(e[y]))

    def bi_logp(t1, t2, r, y1, y2):
        e1, e2 = ext(t1), ext(t2)
        c = lambda a, b: bivariate_normal_cdf(a, b, r)  # noqa: E731
        return np.log(c(e1[y1 + 1], e2[y2 + 1]) - c(e1[y1], e2[y2 + 1])
                      - c(e1[y1 + 1], e2[y2]) + c(e1[y1], e2[y2]))

    def grad(f, x):
        out = []
        for k in range(len(x)):
            d = np.zeros(len(x))
            d[k] = h
            out.append((f(x + d) - f(x - d)) / (2 * h))
        return np.column_stack(out)

    sc_th = np.hstack([grad(lambda t: uni_logp(t, Y[:, j]), taus[j]) for j in range(p)])
    starts = np.concatenate([[0], np.cumsum([len(t) for t in taus])])
    pairs = [(j, i) for j in range(p) for i in range(j + 1, p)]
    sc_rho, a21 = [], np.zeros((len(pairs), len(m.thresholds)))
    for q, (j, i) in enumerate(pairs):
        s_r = grad(lambda r: bi_logp(taus[j], taus[i], r[0], Y[:, j], Y[:, i]),
                   np.array([R[i, j]]))[:, 0]
        s_t1 = grad(lambda t: bi_logp(t, taus[i], R[i, j], Y[:, j], Y[:, i]), taus[j])
        s_t2 = grad(lambda t: bi_logp(taus[j], t, R[i, j], Y[:, j], Y[:, i]), taus[i])
        a21[q, starts[j]:starts[j + 1]] = s_r @ s_t1
        a21[q, starts[i]:starts[i + 1]] = s_r @ s_t2
        sc_rho.append(s_r)
    S = np.hstack([sc_th, np.column_stack(sc_rho)])
    inner = S.T @ S
    nth = sc_th.shape[1]
    a11 = np.zeros((nth, nth))
    for j in range(p):
        sl = slice(starts[j], starts[j + 1])
        a11[sl, sl] = inner[sl, sl]
    B = np.zeros_like(inner)
    B[:nth, :nth] = a11
    B[nth:, :nth] = a21
    B[nth:, nth:] = np.diag(np.diag(inner)[nth:])
    Binv = np.linalg.inv(B)
    gamma = n * Binv @ inner @ Binv.T
    np.testing.assert_allclose(m.gamma, gamma, rtol=1e-6, atol=1e-8 * np.abs(gamma).max())


# --------------------------------------------------------------------------- speed
def test_polychoric_is_fast_for_21_items_20000_rows():
    rng = np.random.default_rng(1)
    n, p = 20_000, 21
    lam = rng.uniform(0.4, 0.8, p)
    z = rng.normal(size=(n, 1)) * lam + rng.normal(size=(n, p)) * np.sqrt(1 - lam ** 2)
    cuts = np.array([-1.5, -0.8, -0.25, 0.25, 0.8, 1.5])
    data = pd.DataFrame(np.searchsorted(cuts, z) + 1, columns=[f"x{j}" for j in range(p)])
    start = time.perf_counter()
    res = polychoric(data)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    implied = np.outer(lam, lam)
    off = ~np.eye(p, dtype=bool)
    assert np.abs(res.matrix.to_numpy()[off] - implied[off]).max() < 0.05


# --------------------------------------------------------------------------- robustness
def _ml_rho(table, tau1, tau2):
    """Independent two-step ML with scipy (slow but plain)."""
    e1 = np.concatenate([[-np.inf], tau1, [np.inf]])
    e2 = np.concatenate([[-np.inf], tau2, [np.inf]])

    def negll(r):
        mvn = multivariate_normal(cov=[[1, r], [r, 1]])
        big = 12.0
        cdf = np.array([[mvn.cdf([np.clip(a, -big, big), np.clip(b, -big, big)])
                         for b in e2] for a in e1])
        pi = cdf[1:, 1:] - cdf[:-1, 1:] - cdf[1:, :-1] + cdf[:-1, :-1]
        return -(table * np.log(np.maximum(pi, 1e-300))).sum()

    return optimize.minimize_scalar(negll, bounds=(-0.999, 0.999), method="bounded",
                                    options={"xatol": 1e-10}).x


def _table_frame(table, names=("u", "v")):
    rows = [(a + 1, b + 1) for a in range(table.shape[0]) for b in range(table.shape[1])
            for _ in range(int(table[a, b]))]
    return pd.DataFrame(rows, columns=list(names))


def test_general_table_with_empty_cells_is_plain_ml():
    table = np.array([[12, 5, 0], [4, 20, 6], [0, 3, 9]])
    res = polychoric(_table_frame(table))
    tau1 = norm.ppf(np.cumsum(table.sum(1))[:-1] / table.sum())
    tau2 = norm.ppf(np.cumsum(table.sum(0))[:-1] / table.sum())
    assert res.matrix.loc["u", "v"] == pytest.approx(_ml_rho(table, tau1, tau2), abs=1e-6)
    assert res.empty_cell_pairs == (("u", "v"),) and res.warnings == ()


def test_2x2_with_one_empty_cell_gets_lavaans_margin_keeping_half():
    table = np.array([[15, 7], [0, 9]])
    res = polychoric(_table_frame(table))
    tau1 = norm.ppf(table.sum(1)[0] / table.sum(keepdims=True).ravel())
    tau2 = norm.ppf(table.sum(0)[0] / table.sum(keepdims=True).ravel())
    adjusted = table + 0.5 * np.array([[-1, 1], [1, -1]])  # empty cell off the diagonal
    assert res.matrix.loc["u", "v"] == pytest.approx(_ml_rho(adjusted, tau1, tau2), abs=1e-6)
    assert any("2×2 table with an empty cell" in w for w in res.warnings)
    # Without the correction the likelihood of a 2×2 table with an empty cell rises all the
    # way to ρ = 1: the estimate sits on lavaan's bound (the reason lavaan adds 0.5).
    plain = polychoric(_table_frame(table), zero_add_2x2=0)
    assert plain.matrix.loc["u", "v"] == pytest.approx(0.999)
    assert any("(nearly) 1.0" in w for w in plain.warnings)
    m = sample_statistics(_table_frame(table))
    assert np.isfinite(m.gamma).all()


@pytest.mark.parametrize("table, sign", [(np.array([[6, 0], [0, 9]]), 1.0),
                                         (np.array([[0, 6], [9, 0]]), -1.0)])
def test_2x2_with_two_empty_cells_is_plus_minus_one(table, sign):
    res = polychoric(_table_frame(table))
    assert res.matrix.loc["u", "v"] == sign
    assert any("two empty cells" in w for w in res.warnings)
    m = sample_statistics(_table_frame(table))
    assert m.correlations[0] == sign and np.isfinite(m.gamma).all()
    assert any("scored at" in w for w in m.warnings)


def test_perfectly_correlated_items_stop_at_lavaans_bound():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 6, 300)
    data = pd.DataFrame({"a": x, "b": x, "c": 6 - x, "d": rng.integers(1, 4, 300)})
    res = polychoric(data)
    assert res.matrix.loc["a", "b"] == pytest.approx(0.999)
    assert res.matrix.loc["a", "c"] == pytest.approx(-0.999)
    assert abs(res.matrix.loc["a", "d"]) < 0.2
    assert any("between a and b is (nearly) 1.0" in w for w in res.warnings)
    m = sample_statistics(data)
    assert np.isfinite(m.gamma).all() and any("bound are not reliable" in w for w in m.warnings)


def test_single_category_item_gives_nan_and_is_left_out_of_the_moments():
    data = pd.DataFrame({"a": [1, 2, 3, 2, 1, 3, 2, 2], "b": [1, 2, 3, 3, 1, 2, 2, 1],
                         "k": [4] * 8})
    res = polychoric(data)
    assert np.isnan(res.matrix.loc["a", "k"]) and res.matrix.loc["k", "k"] == 1
    assert np.isfinite(res.matrix.loc["a", "b"])
    assert any("item k: a single observed category" in w for w in res.warnings)
    assert list(thresholds(data)["item"]).count("k") == 0
    m = sample_statistics(data)
    assert m.items == ("a", "b") and any("left out" in w for w in m.warnings)
    nothing = sample_statistics(data, ["k"])  # keeps going: empty moments, with the reason
    assert nothing.gamma.shape == (0, 0) and any("left out" in w for w in nothing.warnings)


def test_empty_middle_category_uses_observed_categories_like_lavaan():
    data = pd.DataFrame({"a": [1, 1, 2, 4, 4, 5, 5, 5, 2, 1],
                         "b": [1, 2, 2, 3, 4, 5, 4, 5, 1, 1]})
    th = thresholds(data)
    assert list(th.loc[th["item"] == "a", "below"]) == [1, 2, 4]
    np.testing.assert_allclose(th.loc[th["item"] == "a", "est"], norm.ppf([0.3, 0.5, 0.7]))
    assert any("no responses in category 3" in w for w in th.attrs["warnings"])
    res = polychoric(data)
    assert np.isfinite(res.matrix.loc["a", "b"])
    assert sample_statistics(data).gamma.shape == (3 + 4 + 1,) * 2


def test_missing_rows_are_dropped_listwise():
    data = pd.DataFrame({"a": [1, 2, 3, 2, None, 3, 1, 2], "b": [1, 2, 3, 3, 1, 2, None, 1]})
    res = polychoric(data)
    assert (res.n, res.n_dropped) == (6, 2)
    assert res.matrix.loc["a", "b"] == polychoric(data.dropna()).matrix.loc["a", "b"]


def test_ordered_categorical_columns_are_accepted():
    levels = ["never", "sometimes", "often"]
    raw = pd.DataFrame({"a": [0, 1, 2, 1, 0, 2, 1, 1], "b": [0, 1, 2, 2, 0, 1, 1, 0]})
    cat = raw.apply(lambda s: pd.Categorical.from_codes(s, levels, ordered=True))
    assert polychoric(cat).matrix.loc["a", "b"] == polychoric(raw).matrix.loc["a", "b"]


def test_bad_input_raises_with_every_problem_named():
    data = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "2", "3"]})
    with pytest.raises(ResponseDataError) as err:
        polychoric(data, items=["a", "b", "zz"])
    msg = str(err.value)
    assert "zz" in msg and "b" in msg and "'x'" in msg and len(err.value.problems) == 2
    with pytest.raises(ModelSpecError):
        ordinal_alpha(pd.DataFrame([[1.0]], index=["a"], columns=["a"]))


@pytest.mark.parametrize("module", ["coprod.analysis.ordinal._bvn", "coprod.analysis.ordinal.polychoric",
                                    "coprod.analysis.ordinal.wls"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0
