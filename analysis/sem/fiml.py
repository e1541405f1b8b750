"""Full-information ML for incomplete data (lavaan's ``missing = "ml"``).

Rows are grouped by missingness pattern; each pattern contributes
n_p [p_o ln 2π + ln|Σ_oo| + tr(Σ_oo⁻¹ (S_p + d d′))], d = ȳ_p − μ_o, to −2 logL (S_p: the pattern's
covariance with divisor n_p). The saturated (h1) model is the EM estimate of the unrestricted
mean and covariance; the baseline is the independence model, whose FIML estimates are each
variable's mean and variance over its observed values.

Fisher scoring uses the complete-data expected Hessian as its step matrix (the gradient is exact,
so the optimum is the FIML optimum); standard errors come from the observed information, as
lavaan does by default for ``missing = "ml"``.
"""
from __future__ import annotations

import numpy as np

from coprod.analysis.sem.ml import GroupData, _chol_inv
from coprod.analysis.sem.model import Model

__all__ = ["fiml_group_data", "em_saturated", "pattern_loglik", "independence_loglik", "FimlDiscrepancy"]

_LOG2PI = np.log(2.0 * np.pi)


def _patterns(x: np.ndarray) -> list[tuple[np.ndarray, int, np.ndarray, np.ndarray, np.ndarray]]:
    """[(observed column index, n, mean, cov (divisor n), rows)] per missingness pattern."""
    obs = ~np.isnan(x)
    keys, inverse = np.unique(obs, axis=0, return_inverse=True)
    out = []
    for k, key in enumerate(keys):
        idx = np.flatnonzero(key)
        if not len(idx):
            continue
        rows = x[inverse.ravel() == k][:, idx]
        mean = rows.mean(axis=0)
        xc = rows - mean
        out.append((idx, rows.shape[0], mean, xc.T @ xc / rows.shape[0], rows))
    return out


def pattern_loglik(patterns, mu: np.ndarray, sigma: np.ndarray) -> float:
    """Casewise normal log-likelihood summed over patterns (−inf if a Σ_oo is not PD)."""
    total = 0.0
    for idx, n, mean, cov, _ in patterns:
        ci = _chol_inv(sigma[np.ix_(idx, idx)])
        if ci is None:
            return -np.inf
        inv, logdet, _ = ci
        d = mean - mu[idx]
        total += -0.5 * n * (len(idx) * _LOG2PI + logdet + np.sum(inv * cov) + d @ inv @ d)
    return float(total)


def em_saturated(patterns, p: int, *, maxit: int = 5000, tol: float = 1e-11):
    """EM estimate of the unrestricted mean and covariance: (μ, Σ, logL, converged)."""
    n_tot = sum(pt[1] for pt in patterns)
    s1 = np.zeros(p)
    cnt = np.zeros(p)
    for idx, n, mean, _, _ in patterns:
        s1[idx] += n * mean
        cnt[idx] += n
    mu = s1 / np.maximum(cnt, 1)
    s2 = np.zeros(p)
    for idx, n, mean, cov, _ in patterns:
        s2[idx] += n * (np.diag(cov) + (mean - mu[idx]) ** 2)
    sigma = np.diag(s2 / np.maximum(cnt, 1))
    ll_old = -np.inf
    for _ in range(maxit):
        t1, t2 = np.zeros(p), np.zeros((p, p))
        for idx, n, _, _, rows in patterns:
            mis = np.setdiff1d(np.arange(p), idx)
            xhat = np.empty((n, p))
            xhat[:, idx] = rows
            if len(mis):
                soo = sigma[np.ix_(idx, idx)]
                smo = sigma[np.ix_(mis, idx)]
                b = np.linalg.solve(soo, smo.T).T
                xhat[:, mis] = mu[mis] + (rows - mu[idx]) @ b.T
                c = sigma[np.ix_(mis, mis)] - b @ smo.T
                t2[np.ix_(mis, mis)] += n * c
            t1 += xhat.sum(axis=0)
            t2 += xhat.T @ xhat
        mu = t1 / n_tot
        sigma = t2 / n_tot - np.outer(mu, mu)
        sigma = 0.5 * (sigma + sigma.T)
        ll = pattern_loglik(patterns, mu, sigma)
        if abs(ll - ll_old) < tol * (1.0 + abs(ll)):
            return mu, sigma, ll, True
        ll_old = ll
    return mu, sigma, ll_old, False


def independence_loglik(patterns, p: int, x_index: list[int] = ()) -> float:
    """logL of the independence (baseline) model: each variable's own mean and variance.

    fixed.x covariates (``x_index``, complete) keep their saturated joint distribution, as in
    lavaan's baseline model.
    """
    s1, s2, cnt = np.zeros(p), np.zeros(p), np.zeros(p)
    for idx, n, mean, cov, _ in patterns:
        s1[idx] += n * mean
        s2[idx] += n * (np.diag(cov) + mean ** 2)
        cnt[idx] += n
    mu = s1 / cnt
    var = s2 / cnt - mu ** 2
    y = [j for j in range(p) if j not in set(x_index)]
    ll = float(-0.5 * np.sum(cnt[y] * (_LOG2PI + np.log(var[y]) + 1.0)))
    if len(x_index):
        rows = np.vstack([r[:, [list(idx).index(j) for j in x_index]] for idx, _, _, _, r in patterns])
        nx = len(x_index)
        sxx = np.atleast_2d(np.cov(rows, rowvar=False, bias=True))
        ll += -0.5 * len(rows) * (nx * _LOG2PI + np.linalg.slogdet(sxx)[1] + nx)
    return ll


def fiml_group_data(x: np.ndarray) -> tuple[GroupData, float, bool]:
    """GroupData whose mean/cov are the EM (h1) estimates; also returns logL_h1 and EM convergence."""
    pats = _patterns(x)
    mu, sigma, ll, ok = em_saturated(pats, x.shape[1])
    return GroupData(n=x.shape[0], mean=mu, cov=sigma, patterns=pats), ll, ok


def _batches(patterns) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Patterns stacked by their number of observed variables: (index, n, mean, cov) arrays."""
    by_k: dict[int, list] = {}
    for pat in patterns:
        by_k.setdefault(len(pat[0]), []).append(pat)
    return [(np.array([q[0] for q in pats]), np.array([q[1] for q in pats], float),
             np.array([q[2] for q in pats]), np.array([q[3] for q in pats])) for pats in by_k.values()]


class FimlDiscrepancy:
    """−2 logL of the model under FIML, summed over groups.

    Patterns with the same number of observed variables are evaluated together (stacked
    Cholesky factors), which keeps the per-pattern Python overhead out of the optimiser.
    """

    def __init__(self, model: Model, data: list[GroupData]):
        self.model, self.data = model, data
        self.batches = [_batches(d.patterns) for d in data]

    @staticmethod
    def _terms(batches, sigma: np.ndarray, mu: np.ndarray, grad: bool):
        """(−2 logL, ∂/∂Σ, ∂/∂μ) of one group; (inf, None, None) if a Σ_oo is not PD."""
        p = len(mu)
        total = 0.0
        gs, gm = (np.zeros((p, p)), np.zeros(p)) if grad else (None, None)
        for idx, n, mean, cov in batches:
            soo = sigma[idx[:, :, None], idx[:, None, :]]
            try:
                chol = np.linalg.cholesky(soo)
            except np.linalg.LinAlgError:
                return np.inf, None, None
            inv = np.linalg.inv(soo)
            logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
            r = mean - mu[idx]
            ir = np.einsum("pij,pj->pi", inv, r)
            k = idx.shape[1]
            trace = np.einsum("pij,pij->p", inv, cov)
            total += float(n @ (k * _LOG2PI + logdet + trace + np.einsum("pi,pi->p", r, ir)))
            if grad:
                g_oo = n[:, None, None] * (inv - inv @ cov @ inv - ir[:, :, None] * ir[:, None, :])
                np.add.at(gs, (idx[:, :, None], idx[:, None, :]), g_oo)
                np.add.at(gm, idx, -2.0 * n[:, None] * ir)
        return total, gs, gm

    def group_loglik(self, theta: np.ndarray) -> np.ndarray:
        return np.array([-0.5 * self._terms(b, sigma, mu, False)[0]
                         for (sigma, mu), b in zip(self.model.implied(theta), self.batches)])

    def value(self, theta: np.ndarray) -> float:
        v = -2.0 * self.group_loglik(theta).sum()
        return float(v) if np.isfinite(v) else np.inf

    def gradient(self, theta: np.ndarray) -> np.ndarray | None:
        return self.value_grad_info(theta, info=False)[1]

    def value_grad_info(self, theta: np.ndarray, info: bool = True):
        q = self.model.nfree
        grad, hess, total = np.zeros(q), np.zeros((q, q)), 0.0
        for g, d in enumerate(self.data):
            sigma, mu, ds, dm = self.model.jacobian(theta, g)
            f, gs, gm = self._terms(self.batches[g], sigma, mu, True)
            if gs is None:
                return np.inf, None, None
            total += f
            grad += np.einsum("ij,kij->k", gs, ds) + dm @ gm
            if info:
                ci = _chol_inv(sigma)
                if ci is None:
                    return np.inf, None, None
                inv, _, w = ci
                e = (w @ ds @ w.T).reshape(q, -1)
                hess += d.n * (e @ e.T + 2.0 * (dm @ inv @ dm.T))
        return total, grad, hess

    def observed_information(self, theta: np.ndarray) -> np.ndarray:
        """Hessian of −logL by central differences of the analytic gradient."""
        q = len(theta)
        h = np.zeros((q, q))
        for k in range(q):
            step = 1e-5 * max(1.0, abs(theta[k]))
            tp, tm = theta.copy(), theta.copy()
            tp[k] += step
            tm[k] -= step
            gp, gm = self.gradient(tp), self.gradient(tm)
            if gp is None or gm is None:
                return np.full((q, q), np.nan)
            h[:, k] = (gp - gm) / (2.0 * step)
        return 0.25 * (h + h.T)  # ½ for −2logL → −logL, ½ for symmetrising
