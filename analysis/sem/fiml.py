"""Full-information ML for incomplete data (lavaan's ``missing = "ml"``).

Rows are grouped by missingness pattern; each pattern contributes
n_p [p_o ln 2π + ln|Σ_oo| + tr(Σ_oo⁻¹ (S_p + d d′))], d = ȳ_p − μ_o, to −2 logL (S_p: the pattern's
covariance with divisor n_p). The saturated (h1) model is the EM estimate of the unrestricted
mean and covariance; the baseline is the independence model, whose FIML estimates are each
variable's mean and variance over its observed values.

Why the patterns are not inverted one by one: most respondents miss one to three items, so a
pattern's Σ_oo⁻¹ is the full P = Σ⁻¹ with a small correction, P_oo − P_om P_mm⁻¹ P_mo (the Schur
complement), and ln|Σ_oo| = ln|Σ| + ln|P_mm|. One p × p inverse per evaluation and a p_m × p_m one
per pattern replace a p_o × p_o inverse per pattern; the gradient, the EM step and the observed
information are sums over patterns of the same few products (see :func:`_pass`). Patterns with
the same number of missing variables are stacked and evaluated together. When Σ itself is not
positive definite (a trial step of the optimiser) the patterns are evaluated one Σ_oo at a
time, as lavaan does.

Fisher scoring uses the complete-data expected Hessian as its step matrix (the gradient is exact,
so the optimum is the FIML optimum); standard errors come from the observed information, as
lavaan does by default for ``missing = "ml"``, here analytic: the Hessian of −2 logL in (Σ, μ),
summed over patterns, sandwiched by the model's Jacobian, plus the gradient times the model's
second derivatives (central differences of the analytic Jacobian).
"""
from __future__ import annotations

import numpy as np

from coprod.analysis._patterns import (Patterns, PatternIndex, _direct, _pass, _terms, pattern_index,  # noqa: F401
                                       patterns_of)
from coprod.analysis.sem.ml import GroupData, _chol_inv
from coprod.analysis.sem.model import Model

__all__ = ["Patterns", "PatternIndex", "pattern_index", "fiml_group_data", "em_saturated", "pattern_loglik",
           "independence_loglik", "FimlDiscrepancy"]

_LOG2PI = np.log(2.0 * np.pi)
#: above this many observed variables the analytic observed information (p⁴ memory) gives way
#: to central differences of the gradient
_MAX_P_ANALYTIC = 48


def pattern_loglik(patterns: Patterns, mu: np.ndarray, sigma: np.ndarray) -> float:
    """Casewise normal log-likelihood summed over patterns (−inf if a Σ_oo is not PD)."""
    f = _terms(patterns, sigma, mu, False)[0]
    return float(-0.5 * f) if np.isfinite(f) else -np.inf


def _start_moments(pats: Patterns) -> tuple[np.ndarray, np.ndarray]:
    """Each variable's mean and variance over its observed values (independence model)."""
    cnt = pats.n @ pats.obs
    mu = (pats.n @ pats.ybar) / np.maximum(cnt, 1)
    dev = (pats.ybar - mu) * pats.obs
    var = (pats.n @ (np.diagonal(pats.s, axis1=1, axis2=2) + dev ** 2)) / np.maximum(cnt, 1)
    return mu, var


def em_saturated(patterns: Patterns, p: int, *, maxit: int = 5000, tol: float = 1e-11):
    """EM estimate of the unrestricted mean and covariance: (μ, Σ, logL, converged).

    Each iteration is one :func:`_pass`: the E-step's completed moments about the current μ,
    and the log-likelihood at the current estimates (so the logL returned is that of the
    estimates returned)."""
    n_tot = patterns.n_total
    mu, var = _start_moments(patterns)
    sigma = np.diag(var)
    ll_old = -np.inf
    for _ in range(maxit):
        out = _pass(patterns, sigma, mu, True)
        if out is None:
            return mu, sigma, ll_old, False
        f, (_P, c, kmat, z) = out
        ll = -0.5 * f
        if abs(ll - ll_old) < tol * (1.0 + abs(ll)):
            return mu, sigma, ll, True
        ll_old = ll
        delta = z / n_tot
        mu = mu + delta
        sigma = (c + kmat) / n_tot - np.outer(delta, delta)
        sigma = 0.5 * (sigma + sigma.T)
    return mu, sigma, ll_old, False


def independence_loglik(patterns: Patterns, p: int, x_index: list[int] = ()) -> float:
    """logL of the independence (baseline) model: each variable's own mean and variance.

    fixed.x covariates (``x_index``, complete) keep their saturated joint distribution, as in
    lavaan's baseline model.
    """
    mu, var = _start_moments(patterns)
    cnt = patterns.n @ patterns.obs
    y = [j for j in range(p) if j not in set(x_index)]
    ll = float(-0.5 * np.sum(cnt[y] * (_LOG2PI + np.log(var[y]) + 1.0)))
    if len(x_index):
        xi = list(x_index)
        nx = len(xi)
        n = patterns.n_total
        mx = patterns.n @ patterns.ybar[:, xi] / n
        dev = patterns.ybar[:, xi] - mx
        sxx = (np.einsum("k,kij->ij", patterns.n, patterns.s[:, xi][:, :, xi])
               + dev.T @ (patterns.n[:, None] * dev)) / n
        ll += -0.5 * n * (nx * _LOG2PI + np.linalg.slogdet(np.atleast_2d(sxx))[1] + nx)
    return ll


def fiml_group_data(x: np.ndarray, index: PatternIndex | None = None) -> tuple[GroupData, float, bool]:
    """GroupData whose mean/cov are the EM (h1) estimates; also returns logL_h1 and EM convergence."""
    pats = patterns_of(index if index is not None else pattern_index(x))
    mu, sigma, ll, ok = em_saturated(pats, x.shape[1])
    return GroupData(n=x.shape[0], mean=mu, cov=sigma, patterns=pats), ll, ok


# ------------------------------------------------------------------ the discrepancy
class FimlDiscrepancy:
    """−2 logL of the model under FIML, summed over groups (see the module docstring)."""

    def __init__(self, model: Model, data: list[GroupData], step: np.ndarray | None = None):
        # ``step``: a fixed step matrix for Fisher scoring (a bootstrap draw uses the expected
        # Hessian at the full-sample estimate, near the draw's optimum, rather than forming it
        # at every iteration; the gradient then needs no Jacobian either)
        self.model, self.data, self.step = model, data, step

    def group_loglik(self, theta: np.ndarray) -> np.ndarray:
        return np.array([-0.5 * _terms(d.patterns, sigma, mu, False)[0]
                         for (sigma, mu), d in zip(self.model.implied(theta), self.data)])

    def value(self, theta: np.ndarray) -> float:
        v = -2.0 * self.group_loglik(theta).sum()
        return float(v) if np.isfinite(v) else np.inf

    def gradient(self, theta: np.ndarray) -> np.ndarray | None:
        return self.value_grad_info(theta, info=False)[1]

    def value_grad_info(self, theta: np.ndarray, info: bool = True):
        q = self.model.nfree
        grad, hess, total = np.zeros(q), np.zeros((q, q)), 0.0
        fixed = self.step is not None
        for g, d in enumerate(self.data):
            if fixed:
                # no step matrix to form: the gradient through the model matrices, not the Jacobian
                sigma, mu = self.model.implied(theta)[g]
                f, gs, gm = _terms(d.patterns, sigma, mu, True)
                if gs is None:
                    return np.inf, None, None
                total += f
                grad += _phi_gradient(self.model, theta, g, gs, gm)
                continue
            sigma, mu, ds, dm = self.model.jacobian(theta, g, active=True)
            act = self.model.active[g]
            f, gs, gm = _terms(d.patterns, sigma, mu, True)
            if gs is None:
                return np.inf, None, None
            total += f
            grad[act] += np.einsum("ij,kij->k", gs, ds) + dm @ gm
            if info:
                ci = _chol_inv(sigma)
                if ci is None:
                    return np.inf, None, None
                inv, _, w = ci
                e = (w @ ds @ w.T).reshape(len(act), -1)
                hess[np.ix_(act, act)] += d.n * (e @ e.T + 2.0 * (dm @ inv @ dm.T))
        return total, grad, (self.step.copy() if fixed and info else hess)

    def observed_information(self, theta: np.ndarray) -> np.ndarray:
        """Hessian of −logL at θ (analytic; central differences of the gradient for very wide
        models, whose (Σ, μ) Hessian would not fit in memory)."""
        q = len(theta)
        if self.model.p > _MAX_P_ANALYTIC:
            return self._numeric_information(theta)
        h = np.zeros((q, q))
        for g, d in enumerate(self.data):
            sigma, mu, ds, dm = self.model.jacobian(theta, g, active=True)
            act = self.model.active[g]
            parts = _sigma_mu_hessian(d.patterns, sigma, mu)
            if parts is None:
                return self._numeric_information(theta)
            k4, ksm, kmm, gs, gm = parts
            j2 = ds.reshape(len(act), -1)
            x = (j2 @ ksm) @ dm.T
            blk = np.ix_(act, act)
            h[blk] += (j2 @ k4) @ j2.T + x + x.T + dm @ kmm @ dm.T
            h[blk] += self._second_order(theta, g, gs, gm)[blk]
        return 0.25 * (h + h.T)  # ½ for −2logL → −logL, ½ for symmetrising

    def _second_order(self, theta: np.ndarray, g: int, gs: np.ndarray, gm: np.ndarray) -> np.ndarray:
        """Σ_ij ∂f/∂Σ_ij ∂²Σ_ij/∂θ∂θ′ + ∂f/∂μ ∂²μ/∂θ∂θ′: central differences of the gradient of
        φ(θ) = tr(G Σ(θ)) + g′μ(θ) with G, g held at their values at θ̂ (:func:`_phi_gradient`)."""
        q = len(theta)
        out = np.zeros((q, q))
        for k in self.model.active[g]:  # φ of group g depends on its own parameters only
            step = 1e-5 * max(1.0, abs(theta[k]))
            tp, tm = theta.copy(), theta.copy()
            tp[k] += step
            tm[k] -= step
            out[:, k] = (_phi_gradient(self.model, tp, g, gs, gm)
                         - _phi_gradient(self.model, tm, g, gs, gm)) / (2.0 * step)
        return out

    def _numeric_information(self, theta: np.ndarray) -> np.ndarray:
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
        return 0.25 * (h + h.T)


def _sigma_mu_hessian(pats: Patterns, sigma: np.ndarray, mu: np.ndarray):
    """Hessian of −2 logL in (Σ, μ), as the kernels of its bilinear form, and the gradient.

    For one pattern (W = Σ_oo⁻¹, T = S + d d′, directions A, B of Σ and a, b of μ):
    ∂²f[A, B] = n tr(A W B (2 W T W − W)); ∂²f[A, b] = 2n d′W A W b; ∂²f[a, b] = 2n a′W b.
    Returns ``(K4, Kσμ, Kμμ, ∂f/∂Σ, ∂f/∂μ)`` summed over patterns with W zero-padded
    (K4 is p² × p² indexed [(i, j), (k, l)], Kσμ p² × p); None when Σ is not positive definite.
    """
    p = pats.p
    out = _pass(pats, sigma, mu, True)
    if out is None:
        return None
    _f, (P, c, kmat, z) = out
    K = len(pats)
    wt = np.broadcast_to(P, (K, p, p)).copy()
    for lo, hi, mis, _oi, _mm, _sp in pats.batches:
        if mis.shape[1] == 0:
            continue
        prow = P[mis]
        pmm = np.take_along_axis(prow, mis[:, None, :], axis=2)
        wt[lo:hi] -= np.einsum("bmp,bmk,bkq->bpq", prow, np.linalg.inv(pmm), prow)
    wt[~pats.obs] = 0.0
    wt.transpose(0, 2, 1)[~pats.obs] = 0.0
    d = pats.ybar - pats.obs * mu
    t = pats.s + d[:, :, None] * d[:, None, :]
    n = pats.n[:, None, None]
    r = n * (2.0 * wt @ t @ wt - wt)
    # K4[i, j, k, l] = Σ_p R_p[l, i] W_p[j, k]
    g = r.reshape(K, p * p).T @ wt.reshape(K, p * p)          # [(l, i), (j, k)]
    k4 = g.reshape(p, p, p, p).transpose(1, 2, 3, 0).reshape(p * p, p * p)
    wd = np.einsum("kij,kj->ki", wt, d)
    ksm = ((2.0 * pats.n[:, None] * wd).T @ wt.reshape(K, p * p)).reshape(p * p, p)  # [(i, j), l]
    kmm = 2.0 * np.einsum("k,kij->ij", pats.n, wt)
    gs = pats.n_total * P - P @ (c + kmat) @ P
    return k4, ksm, kmm, 0.5 * (gs + gs.T), -2.0 * (P @ z)


def _phi_gradient(model: Model, theta: np.ndarray, g: int, gs: np.ndarray, gm: np.ndarray) -> np.ndarray:
    """∂/∂θ of φ = tr(G Σ) + g′μ (G symmetric) through the LISREL matrices, without the full
    Jacobian: with A = (I − B)⁻¹, C = A Ψ A′, Σ = Λ C Λ′ + Θ and μ = ν + Λ A α,
    ∂φ/∂Λ = 2 G Λ C + g (Aα)′, ∂φ/∂Ψ = A′Λ′ G Λ A, ∂φ/∂Θ = G, ∂φ/∂B = 2 A′Λ′ G Λ C + A′Λ′ g (Aα)′,
    ∂φ/∂ν = g, ∂φ/∂α = A′Λ′ g; each free cell's derivative is summed into its parameter
    (both triangles of a symmetric cell)."""
    from coprod.analysis.sem.model import ALPHA, BETA, LAM, NU, PSI, THETA

    gm_ = model.matrices(theta, g)
    m = gm_.beta.shape[0]
    a = np.linalg.inv(np.eye(m) - gm_.beta) if m else np.zeros((0, 0))
    c = a @ gm_.psi @ a.T
    la = gm_.lam @ a
    gla = gs @ la                        # G Λ A
    aa = a @ gm_.alpha
    lg = la.T @ gm                       # A′Λ′ g
    d = {LAM: 2.0 * gs @ gm_.lam @ c + np.outer(gm, aa), PSI: la.T @ gla, THETA: gs,
         BETA: 2.0 * la.T @ gs @ gm_.lam @ c + np.outer(lg, aa), NU: gm, ALPHA: lg}
    out = np.zeros(len(theta))
    for mat, (r, col, k) in model._free[g].items():
        if not len(k):
            continue
        dm = d[mat]
        if mat in (NU, ALPHA):
            v = dm[r]
        elif mat in (PSI, THETA):
            v = np.where(r == col, dm[r, col], dm[r, col] + dm[col, r])
        else:
            v = dm[r, col]
        out += np.bincount(k, weights=v, minlength=len(theta))
    return out
