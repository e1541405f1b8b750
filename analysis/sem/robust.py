"""Robust ML (lavaan's ``estimator = "MLR"``) and cluster-robust inference for single-level models.

Everything here is computed from a fitted :class:`~analysis.sem.engine.Engine` and its estimates;
the fit itself is the ordinary ML / FIML fit. The pieces, as lavaan 0.6.14 defines them:

* **Casewise scores.** The h1 ("saturated") coordinates of a group are u = (μ, vech Σ) (μ only
  with a mean structure). A row's score is ∂ logL_i/∂u at given (μ, Σ): with W = Σ_oo⁻¹ and
  e = y_o − μ_o over the row's observed variables, ∂/∂μ_o = W e and ∂/∂Σ_oo = ½(W e e′W − W)
  (both entries of an off-diagonal cell count toward its vech element). The model's casewise
  scores are these times Δ = ∂u/∂θ. Without a mean structure (complete data) μ is the sample mean.
* **Sandwich** (``se = "robust.huber.white"``): V = H⁻¹ (Σ_i s_i s_i′) H⁻¹, H the observed
  information (Hessian of −logL, lavaan's ``observed.information = "hessian"``), computed as
  Δ′A(Σ̂)Δ − Σ_u (∂logL/∂u) ∂²u/∂θ∂θ′ with A the h1 observed information at the model-implied
  moments (analytic, one pass over the missingness patterns) and ∂²u/∂θ∂θ′ from differences of Δ. With clusters
  (``se = "robust.cluster"``) the scores are first summed within each cluster and the meat is
  multiplied by C/(C − 1) per group (C clusters), as ``lav_mvnorm_information_firstorder``.
* **Yuan–Bentler scaled χ²** (``test = "yuan.bentler.mplus"``): c = (tr(A₁⁻¹B₁) − tr(H⁻¹B₀))/df,
  A₁ the h1 observed information at the unrestricted estimates (sample moments, or EM estimates
  under FIML), B₁ the cross-product of the h1 scores there, B₀ that of the model scores; the
  scaled χ² is χ²/c. With clusters lavaan evaluates the information of the test from the h1
  information at the model-implied moments (``observed.information = "h1"``), H = Δ′A₁(Σ̂)Δ.
  The baseline (independence) model is scaled the same way.
* **Fit indices**: ``cfi/tli_scaled`` use the scaled χ² of model and baseline;
  ``rmsea_scaled`` = √G·√max(χ²/(N·tr) − 1/N, 0) with tr = c·df (lavaan's ``df2``);
  ``*_robust`` are Brosseau-Liard & Savalei's (CFI, TLI, RMSEA with χ² − c·df). Under FIML
  the robust indices are lavaan's FIML-corrected ones (``lav_fit_fiml_corrected``, version V3):
  the complete-data χ² of the model on the EM moments, with the correction k/df from the FIML
  and complete-data h1 informations.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from coprod.analysis.sem.api import fit_sem
>>> rng = np.random.default_rng(1)
>>> f = rng.normal(size=400)
>>> df = pd.DataFrame({f"x{i}": f + rng.standard_t(5, size=400) for i in range(1, 5)})
>>> res = fit_sem(df, "f =~ x1 + x2 + x3 + x4", estimator="MLR")
>>> res.meta["se"], round(res.fit["chisq_scaling_factor"], 2) > 0
('robust.huber.white', True)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from coprod.analysis.sem.fit import rmsea_ci
from coprod.analysis.sem.inference import vcov_from_information
from coprod.analysis.sem.ml import GroupData, MLDiscrepancy

__all__ = ["RobustOptions", "RobustTerms", "robust_terms", "robust_fit_measures", "h1_scores",
           "h1_information", "ROBUST_FIT_KEYS"]

ROBUST_FIT_KEYS = ("chisq_scaled", "pvalue_scaled", "chisq_scaling_factor", "baseline_chisq_scaled",
                   "baseline_chisq_scaling_factor", "cfi_scaled", "tli_scaled", "rmsea_scaled",
                   "rmsea_ci_lower_scaled", "rmsea_ci_upper_scaled", "cfi_robust", "tli_robust",
                   "rmsea_robust", "rmsea_ci_lower_robust", "rmsea_ci_upper_robust")


@dataclass(frozen=True, slots=True)
class RobustOptions:
    """What to make robust: ``clusters`` holds, per group, the cluster label of each engine row."""

    clusters: tuple | None = None
    cluster_col: str | None = None


@dataclass(frozen=True, slots=True)
class RobustTerms:
    """Sandwich covariance of θ̂ and the pieces of the scaled test."""

    vcov: np.ndarray
    message: str | None
    scaling_factor: float
    trace_ugamma: float
    baseline_scaling_factor: float
    fiml_corrected: dict | None  # FIML-C (V3): xx3, c_hat3, xx3_null, c_hat3_null
    n_clusters: dict | None


# ---------------------------------------------------------------------------- h1 coordinates
def _vech_map(p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, index matrix) of the lower-triangular (vech) coordinates of a p×p matrix."""
    r, c = np.tril_indices(p)
    vidx = np.zeros((p, p), dtype=int)
    vidx[r, c] = np.arange(len(r))
    vidx[c, r] = np.arange(len(r))
    return r, c, vidx


def _pattern_groups(x: np.ndarray):
    """[(row positions, observed column index)] per missingness pattern (rows with no data left out)."""
    obs = ~np.isnan(x)
    keys, inverse = np.unique(obs, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    return [(np.flatnonzero(inverse == k), np.flatnonzero(key)) for k, key in enumerate(keys) if key.any()]


def _duplication(p: int) -> np.ndarray:
    """D with vec(S) = D vech(S) (column-major vec; vech as :func:`_vech_map`), as a dense matrix."""
    _, _, vidx = _vech_map(p)
    d = np.zeros((p * p, p * (p + 1) // 2))
    d[np.arange(p * p), vidx.ravel(order="F")] = 1.0
    return d


class _Patterns:
    """Missingness patterns of one group's rows with their moments, batched by size for Σ_oo⁻¹."""

    def __init__(self, x: np.ndarray):
        self.x = x
        self.groups = _pattern_groups(x)
        self.n = np.array([len(r) for r, _ in self.groups], float)
        self.means, self.covs = [], []
        for rows, o in self.groups:
            y = x[np.ix_(rows, o)]
            m = y.mean(axis=0)
            self.means.append(m)
            self.covs.append((y - m).T @ (y - m) / len(rows))
        by_k: dict[int, list[int]] = {}
        for i, (_, o) in enumerate(self.groups):
            by_k.setdefault(len(o), []).append(i)
        self.batches = [(np.array(ii), np.array([self.groups[i][1] for i in ii])) for ii in by_k.values()]

    def inverses(self, sigma: np.ndarray) -> list[np.ndarray]:
        """Σ_oo⁻¹ of every pattern (stacked inversion per pattern size)."""
        out: list = [None] * len(self.groups)
        for ii, idx in self.batches:
            inv = np.linalg.inv(sigma[idx[:, :, None], idx[:, None, :]])
            for j, i in enumerate(ii):
                out[i] = inv[j]
        return out


def h1_scores(x: np.ndarray, mu: np.ndarray, sigma: np.ndarray, meanstructure: bool = True,
              pats: _Patterns | None = None) -> np.ndarray:
    """Casewise ∂logL_i/∂(μ, vech Σ) at (μ, Σ); rows of ``x`` may have NaN (FIML).

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [0.0, 1.0], [2.0, 0.0]])
    >>> h1_scores(x, x.mean(0), np.cov(x.T, bias=True)).sum(axis=0).round(12) + 0.0
    array([0., 0., 0., 0., 0.])
    """
    pats = pats or _Patterns(x)
    n, p = x.shape
    mean_part = np.zeros((n, p))
    vec = np.zeros((n, p * p))  # ∂/∂Σ in vec coordinates; each vech element collects both of its cells
    pos = np.arange(p * p).reshape(p, p, order="F")
    for (rows, o), w in zip(pats.groups, pats.inverses(sigma)):
        we = (x[np.ix_(rows, o)] - mu[o]) @ w
        mean_part[np.ix_(rows, o)] = we
        g = 0.5 * (we[:, :, None] * we[:, None, :] - w[None])
        vec[np.ix_(rows, pos[np.ix_(o, o)].ravel(order="F"))] = g.reshape(len(rows), -1, order="F")
    s_part = vec @ _duplication(p)
    return np.hstack([mean_part, s_part]) if meanstructure else s_part


def _kron_sum(n: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Σ_k n_k (A_k ⊗ B_k) for stacks of p×p matrices, as one matrix product."""
    k, p, _ = a.shape
    m = (a.reshape(k, -1).T * n) @ b.reshape(k, -1)  # [(i, j), (r, s)] = Σ n A[i, j] B[r, s]
    return m.reshape(p, p, p, p).transpose(0, 2, 1, 3).reshape(p * p, p * p)


def h1_information(x: np.ndarray, mu: np.ndarray, sigma: np.ndarray, meanstructure: bool = True,
                   pats: _Patterns | None = None) -> np.ndarray:
    """Observed information (Hessian of −logL, summed over rows) in the (μ, vech Σ) coordinates.

    Per missingness pattern with n_p rows, W = Σ_oo⁻¹, d = ȳ_p − μ_o and M = S_p + dd′:
    μμ: n_p W; μσ: n_p (W d)′ ⊗ W; σσ: n_p/2 [(WMW) ⊗ W + W ⊗ (WMW) − W ⊗ W] (in vec Σ, mapped to
    vech Σ by the duplication matrix). With each pattern's matrices padded to p×p with zeros, the
    sums over patterns are sums of Kronecker products of full size, one matrix product each. At
    the sample moments of complete data this is the expected information.
    """
    pats = pats or _Patterns(x)
    p = x.shape[1]
    k = len(pats.groups)
    w_pad, a_pad, u_pad = np.zeros((k, p, p)), np.zeros((k, p, p)), np.zeros((k, p))
    for i, ((_, o), w) in enumerate(zip(pats.groups, pats.inverses(sigma))):
        d = pats.means[i] - mu[o] if meanstructure else np.zeros(len(o))
        cell = np.ix_(o, o)
        w_pad[i][cell] = w
        a_pad[i][cell] = w @ (pats.covs[i] + np.outer(d, d)) @ w
        u_pad[i, o] = w @ d
    n = pats.n
    h_ss = 0.5 * (_kron_sum(n, a_pad, w_pad) + _kron_sum(n, w_pad, a_pad) - _kron_sum(n, w_pad, w_pad))
    dup = _duplication(p)
    s_block = dup.T @ h_ss @ dup
    if not meanstructure:
        return s_block
    ms_block = np.einsum("k,kc,krs->rcs", n, u_pad, w_pad).reshape(p, p * p) @ dup
    h_mm = np.einsum("k,krs->rs", n, w_pad)
    return np.block([[h_mm, ms_block], [ms_block.T, s_block]])


def _delta(model, theta: np.ndarray, g: int, meanstructure: bool) -> np.ndarray:
    """Δ = ∂(μ, vech Σ)/∂θ of group ``g`` (rows: h1 coordinates, columns: free parameters)."""
    _, _, ds, dm = model.jacobian(theta, g)
    r, c, _ = _vech_map(ds.shape[1])
    blocks = ([dm.T] if meanstructure else []) + [ds[:, r, c].T]
    return np.vstack(blocks)


def _curvature(model, theta: np.ndarray, g: int, meanstructure: bool, grad_u: np.ndarray) -> np.ndarray:
    """Σ_u grad_u ∂²u/∂θ∂θ′ by central differences of Δ (symmetrised)."""
    q = len(theta)
    out = np.zeros((q, q))
    for k in range(q):
        step = 1e-6 * max(1.0, abs(theta[k]))
        tp, tm = theta.copy(), theta.copy()
        tp[k] += step
        tm[k] -= step
        out[:, k] = ((_delta(model, tp, g, meanstructure) - _delta(model, tm, g, meanstructure)).T @ grad_u) / (2 * step)
    return 0.5 * (out + out.T)


def _keep_coords(p: int, x_index, meanstructure: bool) -> np.ndarray:
    """h1 coordinates that are not moments of fixed.x covariates only (lavaan drops those)."""
    r, c, _ = _vech_map(p)
    xs = set(x_index)
    keep_s = np.array([not (a in xs and b in xs) for a, b in zip(r, c)], bool)
    keep_m = np.array([j not in xs for j in range(p)], bool) if meanstructure else np.zeros(0, bool)
    return np.concatenate([keep_m, keep_s])


# ---------------------------------------------------------------------------- the terms
def _cluster_sum(sc: np.ndarray, labels) -> tuple[np.ndarray, int]:
    """Scores summed within clusters, times √(C/(C−1)) (lavaan's small-sample correction)."""
    codes, inv = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
    summed = np.zeros((len(codes), sc.shape[1]))
    np.add.at(summed, inv.ravel(), sc)
    nc = len(codes)
    return summed * math.sqrt(nc / (nc - 1.0)) if nc > 1 else summed, nc


def _meat(sc: np.ndarray, labels) -> tuple[np.ndarray, int | None]:
    if labels is None:
        return sc.T @ sc, None
    s, nc = _cluster_sum(sc, labels)
    return s.T @ s, nc


def _baseline_moments(x: np.ndarray, x_index=()):
    """Independence-model estimates: each variable's mean and variance over its observed values;
    fixed.x covariates keep their sample covariance matrix (lavaan's baseline model)."""
    mu = np.nanmean(x, axis=0)
    sigma = np.diag(np.nanmean((x - mu) ** 2, axis=0))
    if len(x_index):
        xs = x[:, list(x_index)]
        xs = xs[~np.isnan(xs).any(axis=1)]
        sigma[np.ix_(x_index, x_index)] = np.atleast_2d(np.cov(xs, rowvar=False, bias=True))
    return mu, sigma


def _baseline_delta(p: int, meanstructure: bool, x_index=()) -> np.ndarray:
    """Δ of the independence model: its parameters are the means (with a mean structure) and the
    variances of the variables that are not fixed.x covariates."""
    r, c, _ = _vech_map(p)
    ms = p if meanstructure else 0
    free = [j for j in range(p) if j not in set(x_index)]
    nf = len(free)
    d = np.zeros((ms + len(r), (nf if ms else 0) + nf))
    diag = np.flatnonzero(r == c)
    for col, j in enumerate(free):
        if ms:
            d[j, col] = 1.0
        d[ms + diag[j], (nf if ms else 0) + col] = 1.0
    return d


def robust_terms(engine, gdata: list[GroupData], theta: np.ndarray, opts: RobustOptions) -> RobustTerms:
    """Sandwich vcov and scaling factors of a fitted engine (see module docstring)."""
    model = engine.model
    ms = engine.meanstructure
    clusters = opts.clusters
    implied = model.implied(theta)
    p = model.p
    keep = _keep_coords(p, engine.x_index, ms)
    q = len(theta)
    # observed information (Hessian of −logL): Δ′A(Σ̂)Δ, A the h1 observed information at the
    # model-implied moments, minus the curvature of the model, Σ_u (∂logL/∂u) ∂²u/∂θ∂θ′ (by
    # differences of Δ, which need no pass over the data)
    hess = np.zeros((q, q))
    meat0 = np.zeros((q, q))
    info_h1_struct = np.zeros((q, q))
    tr_h1, tr_h0_base, base_meat, base_info = 0.0, 0.0, [], []
    deltas, a1s, b1s, n_clusters = [], [], [], {}
    for g, xg in enumerate(engine.x):
        labels = None if clusters is None else clusters[g]
        sigma, mu = implied[g]
        mu_s = mu if ms else gdata[g].mean
        delta = _delta(model, theta, g, ms)
        deltas.append(delta)
        pats = _Patterns(xg)
        sc = h1_scores(xg, mu_s, sigma, ms, pats)
        a_struct = delta.T @ h1_information(xg, mu_s, sigma, ms, pats) @ delta
        info_h1_struct += a_struct
        hess += a_struct - _curvature(model, theta, g, ms, sc.sum(axis=0))
        m0, nc = _meat(sc @ delta, labels)
        meat0 += m0
        if nc is not None:
            n_clusters[str(engine.groups[g])] = nc
        # unstructured h1: sample moments (complete data) or the EM estimates (FIML)
        mu1, sig1 = gdata[g].mean, gdata[g].cov
        a1 = h1_information(xg, mu1, sig1, ms, pats)[np.ix_(keep, keep)]
        b1 = _meat(h1_scores(xg, mu1, sig1, ms, pats)[:, keep], labels)[0]
        a1s.append(a1)
        b1s.append(b1)
        tr_h1 += float(np.sum(np.linalg.solve(a1, b1).diagonal()))
        # independence model of this group (linear in its parameters: Hessian = Δ′A(Σ_b)Δ)
        mub, sigb = _baseline_moments(xg, engine.x_index)
        db = _baseline_delta(p, ms, engine.x_index)
        mub = mub if ms else gdata[g].mean
        base_info.append(db.T @ h1_information(xg, mub, sigb, ms, pats) @ db)
        base_meat.append(_meat(h1_scores(xg, mub, sigb, ms, pats) @ db, labels)[0])
    vcov, msg = _sandwich(hess, meat0)
    info_test = info_h1_struct if clusters is not None else hess
    df = engine.df
    scaling, tr_ug = math.nan, math.nan
    try:
        tr_h0 = float(np.trace(np.linalg.solve(info_test, meat0))) if q else 0.0
        tr_ug = tr_h1 - tr_h0
        scaling = tr_ug / df if df > 0 else math.nan
    except np.linalg.LinAlgError:
        pass
    if not (scaling > 0):
        scaling = math.nan
    try:
        tr_h0_base = sum(float(np.trace(np.linalg.solve(i, m))) for i, m in zip(base_info, base_meat))
        dfb = engine.baseline_df
        base_scaling = (tr_h1 - tr_h0_base) / dfb if dfb > 0 else math.nan
    except np.linalg.LinAlgError:
        base_scaling = math.nan
    fc = None
    if engine.fiml:
        try:
            fc = _fiml_corrected(engine, gdata, theta, deltas, a1s, b1s, keep)
        except np.linalg.LinAlgError:
            fc = None
    return RobustTerms(vcov=vcov, message=msg, scaling_factor=scaling, trace_ugamma=tr_ug,
                       baseline_scaling_factor=base_scaling, fiml_corrected=fc,
                       n_clusters=n_clusters or None)


def _sandwich(hess: np.ndarray, meat: np.ndarray) -> tuple[np.ndarray, str | None]:
    bread, msg = vcov_from_information(hess)
    if msg:
        return bread, msg
    v = bread @ meat @ bread
    return 0.5 * (v + v.T), None


def _block_diag(mats: list[np.ndarray]) -> np.ndarray:
    n = sum(m.shape[0] for m in mats)
    k = sum(m.shape[1] for m in mats)
    out = np.zeros((n, k))
    i = j = 0
    for m in mats:
        out[i:i + m.shape[0], j:j + m.shape[1]] = m
        i += m.shape[0]
        j += m.shape[1]
    return out


def _fiml_corrected(engine, gdata, theta, deltas, a1s, b1s, keep) -> dict:
    """lavaan's ``lav_fit_fiml_corrected(version = "V3")``: complete-data χ² on the EM moments and
    the correction of Zhang & Savalei for model and baseline."""
    model, ms = engine.model, engine.meanstructure
    p = model.p
    nobs = np.array([d.n for d in gdata], float)
    ntot = nobs.sum()
    fg = nobs / ntot
    tilde = [GroupData(d.n, d.mean, d.cov) for d in gdata]
    xx3 = float(MLDiscrepancy(model, tilde).value(theta))
    # per-observation h1 informations: FIML (Wm), first-order (Jm), complete data on the EM moments (Wc)
    wm = [a / n for a, n in zip(a1s, nobs)]
    jm = [b / n for b, n in zip(b1s, nobs)]
    wc = []
    for d, n in zip(gdata, nobs):
        wc.append(_complete_information(d.mean, d.cov, ms)[np.ix_(keep, keep)])
    wmi = [np.linalg.inv(w) for w in wm]
    gamma = _block_diag([wi @ j @ wi / f for wi, j, f in zip(wmi, jm, fg)])
    wc_all = _block_diag([f * w for f, w in zip(fg, wc)])
    wm_all = _block_diag([f * w for f, w in zip(fg, wm)])
    wmi_all = _block_diag([wi / f for wi, f in zip(wmi, fg)])
    d_all = np.vstack([d[keep] for d in deltas])

    def k_stat(delta_all):
        e_inv = np.linalg.inv(delta_all.T @ wm_all @ delta_all)
        u = wm_all - wm_all @ delta_all @ e_inv @ delta_all.T @ wm_all
        return float(np.trace(u @ wmi_all @ wc_all @ wmi_all @ u @ gamma))

    df = engine.df
    c3 = k_stat(d_all) / df if df > 0 else math.nan
    db = _baseline_delta(p, ms, engine.x_index)[keep]
    bmom = [_baseline_moments(xg, engine.x_index) for xg in engine.x]
    xx3_null = 0.0
    for d, (mub, sigb) in zip(gdata, bmom):
        xx3_null += _complete_chisq(d, mub, sigb, ms)
    dfb = engine.baseline_df
    db_all = _block_diag([db] * len(gdata))
    c3_null = k_stat(db_all) / dfb if dfb > 0 else math.nan
    return {"xx3": xx3, "c_hat3": c3, "xx3_null": xx3_null, "c_hat3_null": c3_null}


def _complete_information(mu, sigma, ms) -> np.ndarray:
    """Per-observation expected information of complete normal data at (μ, Σ)."""
    p = len(mu)
    _, _, vidx = _vech_map(p)
    w = np.linalg.inv(sigma)
    m = (p if ms else 0) + p * (p + 1) // 2
    out = np.zeros((m, m))
    off = p if ms else 0
    cols = off + vidx.ravel()
    np.add.at(out, (cols[:, None], cols[None, :]), 0.5 * np.kron(w, w))
    if ms:
        out[:p, :p] = w
    return out


def _complete_chisq(d: GroupData, mu, sigma, ms) -> float:
    """N·F_ML of (μ, Σ) against sample moments ``d`` (complete-data χ²)."""
    p = len(mu)
    w = np.linalg.inv(sigma)
    f = (np.linalg.slogdet(sigma)[1] + np.sum(d.cov * w) - np.linalg.slogdet(d.cov)[1] - p)
    if ms:
        r = d.mean - mu
        f += r @ w @ r
    return float(d.n * f)


# ---------------------------------------------------------------------------- fit measures
def _cfi(x2, df, x2b, dfb, c=1.0, cb=1.0, robust=False) -> float:
    if not all(np.isfinite([x2, df, x2b, dfb, c, cb])):
        return math.nan
    if robust and df > 0 and c != 1 and cb != 1:
        t1 = max(x2 - c * df, 0.0)
        t2 = max(x2 - c * df, x2b - cb * dfb, 0.0)
    else:
        t1 = max(x2 - df, 0.0)
        t2 = max(x2 - df, x2b - dfb, 0.0)
    if math.isclose(t1, 0.0, abs_tol=1.5e-8) and math.isclose(t2, 0.0, abs_tol=1.5e-8):
        return 1.0
    return 1.0 - t1 / t2


def _tli(x2, df, x2b, dfb, c=1.0, cb=1.0, robust=False) -> float:
    if not all(np.isfinite([x2, df, x2b, dfb, c, cb])):
        return math.nan
    if robust and df > 0 and c != 1 and cb != 1:
        t1 = (x2 - c * df) * dfb
        t2 = (x2b - cb * dfb) * df
    else:
        t1 = (x2 - df) * dfb
        t2 = (x2b - dfb) * df
    if df > 0 and abs(t2) > 0:
        return 1.0 - t1 / t2
    return 1.0


def _rmsea(x2, df, n, g, c=1.0) -> float:
    if not all(np.isfinite([x2, df, c])):
        return math.nan
    if df <= 0:
        return 0.0
    return math.sqrt(max(x2 / n / df - c / n, 0.0)) * math.sqrt(g)


def robust_fit_measures(fit: dict, terms: RobustTerms, *, fiml: bool) -> dict:
    """The ``*_scaled`` / ``*_robust`` fit measures (lavaan's names with ``_``) from ``fit`` and ``terms``."""
    x2, df = fit["chisq"], fit["df"]
    x2b, dfb = fit["baseline_chisq"], fit["baseline_df"]
    n, g = fit["nobs"], fit.get("ngroups", 1)
    c, cb = terms.scaling_factor, terms.baseline_scaling_factor
    out = {k: math.nan for k in ROBUST_FIT_KEYS}
    if not (df > 0 and np.isfinite(x2)):
        return out
    xs = x2 / c
    xbs = x2b / cb
    out.update(chisq_scaled=xs, pvalue_scaled=float(stats.chi2.sf(xs, df)) if np.isfinite(xs) else math.nan,
               chisq_scaling_factor=c, baseline_chisq_scaled=xbs, baseline_chisq_scaling_factor=cb,
               cfi_scaled=_cfi(xs, df, xbs, dfb), tli_scaled=_tli(xs, df, xbs, dfb))
    tr = terms.trace_ugamma
    if np.isfinite(tr) and tr > 0:
        out["rmsea_scaled"] = _rmsea(x2, tr, n, g)
        out["rmsea_ci_lower_scaled"], out["rmsea_ci_upper_scaled"] = rmsea_ci(x2, tr, n, g)
    if fiml:
        fc = terms.fiml_corrected
        if fc is None:
            return out
        xx3, c3, xx3b, c3b = fc["xx3"], fc["c_hat3"], fc["xx3_null"], fc["c_hat3_null"]
    else:
        xx3, c3, xx3b, c3b = x2, c, x2b, cb
    out["cfi_robust"] = _cfi(xx3, df, xx3b, dfb, c3, c3b, robust=True)
    out["tli_robust"] = _tli(xx3, df, xx3b, dfb, c3, c3b, robust=True)
    out["rmsea_robust"] = _rmsea(xx3, df, n, g, c3)
    if np.isfinite(c3) and c3 > 0:
        lo, hi = rmsea_ci(xx3 / c3, df, n, g)
        out["rmsea_ci_lower_robust"], out["rmsea_ci_upper_robust"] = lo * math.sqrt(c3), hi * math.sqrt(c3)
    return out
