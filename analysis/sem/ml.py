"""Maximum-likelihood discrepancy, analytic gradient and the optimiser.

Complete data (lavaan's ML): each group's discrepancy is

    F_g = ln|Σ_g| + tr(S_g Σ_g⁻¹) − ln|S_g| − p [+ (x̄_g − μ_g)′ Σ_g⁻¹ (x̄_g − μ_g)]

with S_g divided by N_g, and the objective is Σ_g N_g F_g, which at the optimum is lavaan's χ².
Without a mean structure μ is saturated (μ = x̄) and the last term vanishes.

The optimiser is Fisher scoring: Newton steps with the expected Hessian
H_kl = Σ_g N_g [tr(Σ⁻¹ ∂_kΣ Σ⁻¹ ∂_lΣ) + 2 ∂_kμ′ Σ⁻¹ ∂_lμ] plus a secant (SR1) correction for the
curvature it lacks under misfit, backtracking on the objective, stopped when
the Newton decrement g′H⁻¹g falls below 1e-12 (in χ² units), or, once rounding stops the objective
from decreasing, when the predicted and achieved changes are below 1e-10 of the objective and the
gradient, per parameter in units of its curvature, is as small (nlminb's relative convergence as
lavaan sets it; an absolute tolerance alone fails on a large or ill-scaled objective). ``OptimResult.reason`` says which
rule stopped it (:data:`STOP_REASONS`). If scoring stalls, scipy's BFGS with the analytic gradient
takes over and scoring polishes its result.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

from coprod.analysis.sem.model import Model

__all__ = ["GroupData", "MLDiscrepancy", "OptimResult", "STOP_REASONS", "minimize", "group_data", "positive_definite"]


@dataclass(slots=True)
class GroupData:
    """Sufficient statistics of one group (divisor N), plus missing-data patterns for FIML."""

    n: int
    mean: np.ndarray
    cov: np.ndarray
    patterns: Any = None  # FIML: the missing-data patterns (analysis.sem.fiml.Patterns)
    x_moments: tuple | None = None  # FIML: (cov, mean) of the fixed.x covariates (complete rows)


def group_data(x: np.ndarray, weights: np.ndarray | None = None, center: np.ndarray | None = None) -> GroupData:
    """Mean and covariance (divisor N) of complete rows ``x``; ``weights`` are bootstrap counts.

    With ``weights``, ``x`` should already be centred at ``center`` (the full-sample mean): a
    draw's moments are then two matrix products, with no loss of precision from raw moments.
    """
    if weights is None:
        n = x.shape[0]
        mean = x.mean(axis=0)
        xc = x - mean
        cov = xc.T @ xc / n
    else:
        n = float(weights.sum())
        m = weights @ x / n
        cov = (x.T * weights) @ x / n - np.outer(m, m)
        mean = m + (center if center is not None else 0.0)
        n = int(round(n))
    return GroupData(n=n, mean=mean, cov=0.5 * (cov + cov.T))


def _chol_inv(sigma: np.ndarray):
    """(Σ⁻¹, ln|Σ|, W = L⁻¹) or None when Σ is not positive definite."""
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return None
    w = np.linalg.solve(chol, np.eye(len(sigma)))
    return w.T @ w, 2.0 * np.log(np.diag(chol)).sum(), w


def positive_definite(s: np.ndarray) -> bool:
    """S is numerically positive definite, judged on the correlation scale so that the units of
    the variables (variances of 10⁶ beside 10⁻⁶) do not matter."""
    if not np.all(np.isfinite(s)):
        return False
    sd = np.sqrt(np.diag(s))
    if not np.all(sd > 0):
        return False
    return bool(np.linalg.eigvalsh(s / np.outer(sd, sd)).min() > 1e-12)


class MLDiscrepancy:
    """Σ_g N_g F_g for complete data (see module docstring)."""

    def __init__(self, model: Model, data: list[GroupData]):
        self.model, self.data = model, data
        self.ms = model.meanstructure
        self.logdet_s = []
        for d in data:
            self.logdet_s.append(np.linalg.slogdet(d.cov)[1] if positive_definite(d.cov) else np.nan)

    def group_values(self, theta: np.ndarray) -> np.ndarray:
        """N_g F_g per group (inf when Σ_g is not positive definite)."""
        out = np.empty(len(self.data))
        for g, ((sigma, mu), d) in enumerate(zip(self.model.implied(theta), self.data)):
            ci = _chol_inv(sigma)
            if ci is None:
                out[g] = np.inf
                continue
            inv, logdet, _ = ci
            f = logdet + np.sum(d.cov * inv) - len(mu)
            if self.ms:
                r = d.mean - mu
                f += r @ inv @ r
            ld_s = self.logdet_s[g] if np.isfinite(self.logdet_s[g]) else 0.0
            out[g] = d.n * (f - ld_s)
        return out

    def value(self, theta: np.ndarray) -> float:
        v = self.group_values(theta).sum()
        return float(v) if np.isfinite(v) else np.inf

    def value_grad_info(self, theta: np.ndarray):
        """(objective, gradient, expected Hessian); gradient None when Σ is not positive definite."""
        q = self.model.nfree
        grad, hess, total = np.zeros(q), np.zeros((q, q)), 0.0
        for g, d in enumerate(self.data):
            # the group's own parameters only: its moments do not depend on the other groups'
            sigma, mu, ds, dm = self.model.jacobian(theta, g, active=True)
            act = self.model.active[g]
            qa = len(act)
            ci = _chol_inv(sigma)
            if ci is None:
                return np.inf, None, None
            inv, logdet, w = ci
            f = logdet + np.sum(d.cov * inv) - len(mu)
            sm = d.cov
            r = d.mean - mu
            if self.ms:
                f += r @ inv @ r
                sm = d.cov + np.outer(r, r)
            ld_s = self.logdet_s[g] if np.isfinite(self.logdet_s[g]) else 0.0
            total += d.n * (f - ld_s)
            gs = inv - inv @ sm @ inv
            gg = d.n * np.einsum("ij,kij->k", gs, ds)
            e = (w @ ds @ w.T).reshape(qa, -1)
            hh = d.n * (e @ e.T)
            if self.ms:
                gg += d.n * (-2.0) * (dm @ (inv @ r))
                hh += d.n * 2.0 * (dm @ inv @ dm.T)
            grad[act] += gg
            hess[np.ix_(act, act)] += hh
        return total, grad, hess


# Why an optimisation stopped (``OptimResult.reason``): the first two are convergence.
STOP_REASONS = {
    "newton_decrement": "converged: Newton decrement g'H^-1 g below the tolerance",
    "relative_change": "converged: predicted and achieved change of the objective below 1e-10 of its "
                       "value (nlminb's relative convergence), scaled gradient as small",
    "not_finite_start": "objective not finite at the starting values",
    "notpositive_definite": "implied covariance matrix not positive definite",
    "information_not_finite": "information matrix not finite",
    "line_search": "line search failed",
    "max_iterations": "no convergence within the iteration limit",
    "too_few_rows": "too few rows to estimate the model",
}
# nlminb's rel.tol as lavaan sets it; the objective here is lavaan's 2N·F, so the ratio is the same
REL_TOL = 1e-10


@dataclass(slots=True)
class OptimResult:
    theta: np.ndarray
    value: float
    converged: bool
    iterations: int
    message: str
    reason: str = ""  # a key of STOP_REASONS


def _flat(f: float, decrement: float, drop: float, g: np.ndarray, scale: np.ndarray) -> bool:
    """Scale-aware convergence at the rounding floor of the objective (nlminb's relative rule).

    ``decrement`` is the Newton decrement g′H⁻¹g (twice the predicted decrease), ``drop`` the
    decrease the last step achieved; both are compared with the objective's size. The gradient is
    measured per parameter in units of its curvature, g_k / √H_kk, so that neither the units of
    the variables nor N matter (lavaan's check of ∂F/∂θ against 1e-3 depends on both)."""
    size = max(abs(f), 1.0)
    grad = float(np.max(np.abs(g) / scale, initial=0.0))
    return (0.5 * decrement <= REL_TOL * size and drop <= REL_TOL * size
            and grad * grad <= 2.0 * REL_TOL * size)


def _scoring(disc, theta: np.ndarray, maxit: int, tol: float):
    """Fisher scoring; returns (θ, f, converged, iterations, reason)."""
    f = disc.value(theta)
    if not np.isfinite(f):
        return theta, f, False, 0, "not_finite_start"
    corr, prev, drop = None, None, np.inf
    for it in range(1, maxit + 1):
        f, g, h = disc.value_grad_info(theta)
        if g is None:
            return theta, f, False, it, "notpositive_definite"
        # Fisher scoring is only linearly convergent when the model misfits (the expected
        # Hessian lacks the (S − Σ) curvature); a symmetric-rank-1 secant correction of that
        # missing part (structured quasi-Newton) restores fast convergence. Dropped whenever
        # it would make the step matrix indefinite.
        if corr is None:
            corr = np.zeros_like(h)
        if prev is not None:
            s_k, g_k = prev
            r = (g - g_k) - (h + corr) @ s_k
            rs = float(r @ s_k)
            if abs(rs) > 1e-8 * np.linalg.norm(r) * np.linalg.norm(s_k):
                corr = corr + np.outer(r, r) / rs
            try:
                np.linalg.cholesky(h + corr)
                h = h + corr
            except np.linalg.LinAlgError:
                corr = np.zeros_like(h)
        scale = np.sqrt(np.clip(np.diag(h), 1e-300, None))
        hs = h / np.outer(scale, scale)
        try:
            step = -np.linalg.solve(hs + 1e-12 * np.eye(len(g)), g / scale) / scale
        except np.linalg.LinAlgError:
            step = -np.linalg.lstsq(hs, g / scale, rcond=None)[0] / scale
        slope = float(g @ step)
        if not np.isfinite(slope):
            return theta, f, False, it, "information_not_finite"
        if -slope < tol:
            return theta, f, True, it, "newton_decrement"
        # the absolute tolerance is below the objective's rounding error when the objective is
        # large (big N, ill-scaled variables): then the step no longer lowers f, and what decides
        # is whether the remaining change is small relative to f (nlminb's rule, as lavaan uses)
        if drop <= 2e-15 * max(abs(f), 1.0) and _flat(f, -slope, drop, g, scale):
            return theta, f, True, it, "relative_change"
        if slope >= 0:  # not a descent direction (singular information): steepest descent
            step, slope = -g / scale ** 2, float(-(g / scale) @ (g / scale))
        t = 1.0
        while True:
            new = theta + t * step
            fn = disc.value(new)
            if np.isfinite(fn) and fn <= f + 1e-4 * t * slope:
                break
            t *= 0.5
            if t < 1e-10:
                # no decrease possible within rounding: at the optimum if the change left is
                # small relative to the objective
                ok = _flat(f, -slope, 0.0, g, scale)
                return theta, f, ok, it, "relative_change" if ok else "line_search"
        drop = f - fn
        prev = (new - theta, g)
        theta = new
    f, g, h = disc.value_grad_info(theta)
    if g is not None and np.isfinite(f) and drop <= 2e-15 * max(abs(f), 1.0):
        try:
            dec = float(g @ np.linalg.lstsq(h, g, rcond=None)[0])
        except np.linalg.LinAlgError:
            dec = np.inf
        if _flat(f, dec, 0.0, g, np.sqrt(np.clip(np.diag(h), 1e-300, None))):
            return theta, f, True, maxit, "relative_change"
    return theta, disc.value(theta), False, maxit, "max_iterations"


def minimize(disc, start: np.ndarray, *, maxit: int = 300, tol: float = 1e-12) -> OptimResult:
    """Minimise ``disc`` from ``start`` (Fisher scoring, BFGS fallback).

    Parameters
    ----------
    disc : MLDiscrepancy or FimlDiscrepancy
        Has ``value(θ)`` and ``value_grad_info(θ)``.
    start : ndarray
        Starting values (a warm start from another fit works well).
    maxit : int
    tol : float
        Stop when the Newton decrement g′H⁻¹g is below ``tol``.

    Returns
    -------
    OptimResult
    """
    with np.errstate(all="ignore"):  # trial steps may overflow; they are rejected, not errors
        return _minimize(disc, start, maxit, tol)


def _message(reason: str, maxit: int) -> str:
    if reason in ("newton_decrement", "relative_change"):
        return "converged"
    if reason == "max_iterations":
        return f"no convergence in {maxit} iterations"
    return STOP_REASONS[reason]


def _minimize(disc, start, maxit, tol) -> OptimResult:
    theta, f, ok, it, why = _scoring(disc, np.asarray(start, float).copy(), maxit, tol)
    msg = _message(why, maxit)
    if ok:
        return OptimResult(theta, f, True, it, msg, why)

    def fun(x):
        v, g, _ = disc.value_grad_info(x)
        if g is None or not np.isfinite(v):
            return 1e300, np.zeros_like(x)
        return v, g

    x0 = theta if np.isfinite(f) else np.asarray(start, float)
    try:
        res = optimize.minimize(fun, x0, jac=True, method="BFGS", options={"maxiter": 5000, "gtol": 1e-8})
        x1 = res.x
    except (ValueError, np.linalg.LinAlgError, FloatingPointError):
        return OptimResult(theta, f, False, it, msg, why)
    theta2, f2, ok2, it2, why2 = _scoring(disc, x1, maxit, tol)
    if not np.isfinite(f2) or (np.isfinite(f) and f2 > f and not ok2):
        return OptimResult(theta, f, False, it + it2, msg, why)
    msg2 = _message(why2, maxit)
    return OptimResult(theta2, f2, ok2, it + it2, msg2 if ok2 else f"{msg}; after BFGS: {msg2}", why2)
