"""One-factor ML and FIML fits and the EM saturated moments, for compRelSEM-style omega.

Private helpers of :mod:`analysis.reliability` (and of :mod:`analysis.validity`, which needs the EM
covariance for HTMT under missing data): small, closed-form-gradient fits that reproduce lavaan's
one-factor CFA (``missing = "ml"`` included) without building a full SEM.
"""
from __future__ import annotations

import numpy as np
from scipy import optimize

from coprod.analysis._extraction import _extract

__all__ = ["_ml_one_factor", "_patterns", "_em_saturated", "_fiml_one_factor"]


def _ml_one_factor(S: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """One-factor ML CFA on a covariance matrix (lavaan's F = log|Σ| + tr(SΣ⁻¹), factor variance 1).

    Started at psych's bounded ML solution (uniquenesses ≥ 0.005) and polished without bounds, so a
    Heywood case gives a negative residual variance, as in lavaan.
    """
    d = np.sqrt(np.diag(S))
    Rs = S / np.outer(d, d)
    L, _ = _extract(Rs, 1, "ml")
    lam0 = L[:, 0]
    x0 = np.concatenate([lam0, 1 - lam0 ** 2])
    p = len(lam0)

    def f_and_g(x):
        lam, th = x[:p], x[p:]
        Sig = np.outer(lam, lam) + np.diag(th)
        sign, logdet = np.linalg.slogdet(Sig)
        if sign <= 0:
            return 1e10, np.zeros_like(x)
        Si = np.linalg.inv(Sig)
        G = Si - Si @ Rs @ Si
        return logdet + np.trace(Rs @ Si), np.concatenate([2 * G @ lam, np.diag(G)])

    res = optimize.minimize(f_and_g, x0, jac=True, method="BFGS", options={"gtol": 1e-10, "maxiter": 2000})
    x = res.x if np.isfinite(res.fun) and res.fun < 1e9 else x0
    ok = bool(np.max(np.abs(f_and_g(x)[1])) < 1e-6)
    lam, th = x[:p] * d, x[p:] * d ** 2
    if lam.sum() < 0:
        lam = -lam
    return lam, th, ok


def _patterns(X: np.ndarray) -> list[tuple[np.ndarray, int, np.ndarray, np.ndarray]]:
    """Missing-data patterns: (observed mask, n_g, mean, cross-products about the mean)."""
    M = np.isnan(X)
    keys, inv = np.unique(M, axis=0, return_inverse=True)
    out = []
    for gi, key in enumerate(keys):
        o = ~key
        if not o.any():
            continue
        Xo = X[np.ravel(inv) == gi][:, o]
        m = Xo.mean(0)
        D = Xo - m
        out.append((o, Xo.shape[0], m, D.T @ D))
    return out


def _em_saturated(X: np.ndarray, tol: float = 1e-10, max_iter: int = 10000) -> tuple[np.ndarray, np.ndarray, bool]:
    """EM estimates of the mean and (N-denominator) covariance of incomplete normal data (lavaan's h1)."""
    n, p = X.shape
    M = np.isnan(X)
    keys, inv = np.unique(M, axis=0, return_inverse=True)
    inv = np.ravel(inv)
    groups = [(~k, X[inv == g]) for g, k in enumerate(keys) if (~k).any()]
    n_used = sum(len(Xg) for _, Xg in groups)
    mu = np.nanmean(X, axis=0)
    S = np.diag(np.nanvar(X, axis=0))
    for _ in range(max_iter):
        T1, T2 = np.zeros(p), np.zeros((p, p))
        for o, Xg in groups:
            m = ~o
            Xf = np.empty((len(Xg), p))
            Xf[:, o] = Xg[:, o]
            Cm = np.zeros((p, p))
            if m.any():
                B = np.linalg.solve(S[np.ix_(o, o)], S[np.ix_(o, m)]).T
                Xf[:, m] = mu[m] + (Xg[:, o] - mu[o]) @ B.T
                Cm[np.ix_(m, m)] = S[np.ix_(m, m)] - B @ S[np.ix_(o, m)]
            T1 += Xf.sum(0)
            T2 += Xf.T @ Xf + len(Xg) * Cm
        mu_new = T1 / n_used
        S_new = T2 / n_used - np.outer(mu_new, mu_new)
        delta = max(np.abs(mu_new - mu).max(), np.abs(S_new - S).max())
        mu, S = mu_new, S_new
        if delta < tol:
            return mu, S, True
    return mu, S, False


def _fiml_one_factor(X: np.ndarray, mu0: np.ndarray, S0: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """One-factor CFA by full-information ML (lavaan ``missing = "ml"``); returns loadings, residual variances."""
    p = X.shape[1]
    pats = _patterns(X)
    lam0, th0, _ = _ml_one_factor(S0)

    def f_and_g(x):
        mu, lam, th = x[:p], x[p:2 * p], x[2 * p:]
        Sig = np.outer(lam, lam) + np.diag(th)
        f, G, gmu = 0.0, np.zeros((p, p)), np.zeros(p)
        for o, ng, m, W in pats:
            So = Sig[np.ix_(o, o)]
            sign, logdet = np.linalg.slogdet(So)
            if sign <= 0:
                return 1e10, np.zeros_like(x)
            Si = np.linalg.inv(So)
            dv = m - mu[o]
            A = W + ng * np.outer(dv, dv)
            f += 0.5 * (ng * logdet + np.sum(Si * A))
            G[np.ix_(o, o)] += 0.5 * (ng * Si - Si @ A @ Si)
            gmu[o] -= ng * Si @ dv
        n = sum(pt[1] for pt in pats)
        return f / n, np.concatenate([gmu, 2 * G @ lam, np.diag(G)]) / n

    x0 = np.concatenate([mu0, lam0, th0])
    res = optimize.minimize(f_and_g, x0, jac=True, method="BFGS", options={"gtol": 1e-11, "maxiter": 5000})
    x = res.x if res.fun < 1e9 else x0
    ok = bool(np.max(np.abs(f_and_g(x)[1])) < 1e-6)
    lam = x[p:2 * p]
    return (-lam if lam.sum() < 0 else lam), x[2 * p:], ok
