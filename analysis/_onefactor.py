"""One-factor ML and FIML fits and the EM saturated moments, for compRelSEM-style omega.

Private helpers of :mod:`analysis.reliability` (and of :mod:`analysis.validity`, which needs the EM
covariance for HTMT under missing data): small, closed-form-gradient fits that reproduce lavaan's
one-factor CFA (``missing = "ml"`` included) without building a full SEM.
"""
from __future__ import annotations

import numpy as np
from scipy import optimize

from coprod.analysis._extraction import _extract
from coprod.analysis._patterns import _pass, _terms, pattern_index, patterns_of

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
    """EM estimates of the mean and (N-denominator) covariance of incomplete normal data (lavaan's h1).

    Each iteration is the E-step of :mod:`analysis.sem.fiml` (all patterns at once, by the
    Schur complements of Σ⁻¹); stopped when no mean or covariance changes by ``tol``.
    """
    n, p = X.shape
    pats = patterns_of(pattern_index(X))
    n_used = pats.n_total
    mu = np.nanmean(X, axis=0)
    S = np.diag(np.nanvar(X, axis=0))
    for _ in range(max_iter):
        out = _pass(pats, S, mu, True)
        if out is None:
            return mu, S, False
        _P, C, K, z = out[1]
        mu_new = mu + z / n_used
        S_new = (C + K) / n_used - np.outer(z / n_used, z / n_used)
        S_new = 0.5 * (S_new + S_new.T)
        delta = max(np.abs(mu_new - mu).max(), np.abs(S_new - S).max())
        mu, S = mu_new, S_new
        if delta < tol:
            return mu, S, True
    return mu, S, False


def _fiml_one_factor(X: np.ndarray, mu0: np.ndarray, S0: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """One-factor CFA by full-information ML (lavaan ``missing = "ml"``); returns loadings, residual variances."""
    p = X.shape[1]
    pats = patterns_of(pattern_index(X))
    n = pats.n_total
    lam0, th0, _ = _ml_one_factor(S0)

    def f_and_g(x):
        # ½(−2 logL − constant)/n and its gradient, from the FIML pattern pass
        mu, lam, th = x[:p], x[p:2 * p], x[2 * p:]
        Sig = np.outer(lam, lam) + np.diag(th)
        f2, gs, gm = _terms(pats, Sig, mu, True)
        if gs is None:
            return 1e10, np.zeros_like(x)
        G = 0.5 * gs
        return 0.5 * (f2 - pats.const) / n, np.concatenate([0.5 * gm, 2 * G @ lam, np.diag(G)]) / n

    x0 = np.concatenate([mu0, lam0, th0])
    res = optimize.minimize(f_and_g, x0, jac=True, method="BFGS", options={"gtol": 1e-11, "maxiter": 5000})
    x = res.x if res.fun < 1e9 else x0
    ok = bool(np.max(np.abs(f_and_g(x)[1])) < 1e-6)
    lam = x[p:2 * p]
    return (-lam if lam.sum() < 0 else lam), x[2 * p:], ok
