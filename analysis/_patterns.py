"""Missing-data patterns and the FIML pass over them (private; see :mod:`analysis.sem.fiml`).

Kept apart from :mod:`analysis.sem` so that the one-factor helpers (:mod:`analysis._onefactor`)
use the same pass without an import cycle between ``analysis`` and ``analysis.sem``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

_LOG2PI = np.log(2.0 * np.pi)


class Batch(NamedTuple):
    """Patterns ``lo:hi`` of a :class:`Patterns`, each missing ``p_m`` variables."""

    lo: int
    hi: int
    mis: np.ndarray      # (B, p_m) missing variables of each pattern
    oi: np.ndarray       # (B, p_o) observed variables
    mm: np.ndarray       # (B, p_m, p_m) flat index of the missing block in a p × p matrix
    spread: np.ndarray   # positions (within the batch) of the patterns whose covariance is not 0


@dataclass(frozen=True, slots=True)
class Patterns:
    """The missing-data patterns of one group, stacked and ordered by the number of missing
    variables (so each ``batches`` entry is a slice of the arrays).

    ``ybar`` and ``s`` are each pattern's mean and covariance (divisor n) over its rows, 0 in
    the missing positions; ``batches`` are :class:`Batch` records; ``n_total``, ``const`` (Σ n_p p_o ln 2π) and ``s_all`` (Σ n_p S_p) are the sums
    every evaluation needs."""

    p: int
    n: np.ndarray
    obs: np.ndarray
    ybar: np.ndarray
    s: np.ndarray
    batches: tuple
    n_total: float
    const: float
    s_all: np.ndarray

    def __len__(self) -> int:
        return len(self.n)


@dataclass(frozen=True, slots=True)
class PatternIndex:
    """Rows of one group sorted by pattern (fewest missing first), for building :class:`Patterns`
    of the full sample or of a bootstrap draw (row weights) without sorting again.

    ``xc`` holds the sorted rows centred at each column's observed mean (``center``), 0 where
    missing."""

    obs: np.ndarray      # (K, p) observed mask per pattern
    starts: np.ndarray   # (K + 1,) pattern k is sorted rows starts[k]:starts[k+1]
    order: np.ndarray    # (n,) the rows in sorted order
    row_pattern: np.ndarray  # (n,) pattern of each sorted row
    center: np.ndarray
    xc: np.ndarray


def pattern_index(x: np.ndarray) -> PatternIndex:
    """The :class:`PatternIndex` of ``x`` (rows with no observed value are left out)."""
    obs = ~np.isnan(x)
    keep = np.flatnonzero(obs.any(axis=1))
    p = x.shape[1]
    if not len(keep):
        z = np.zeros((0, p))
        return PatternIndex(np.zeros((0, p), bool), np.zeros(1, int), keep, keep, np.zeros(p), z)
    keys, inverse = np.unique(obs[keep], axis=0, return_inverse=True)
    inverse = inverse.ravel()
    # patterns in order of their number of missing variables (then np.unique's order)
    rank = np.empty(len(keys), dtype=int)
    rank[np.argsort((~keys).sum(axis=1), kind="stable")] = np.arange(len(keys))
    r = rank[inverse]
    order_local = np.argsort(r, kind="stable")
    order = keep[order_local]
    counts = np.bincount(r, minlength=len(keys))
    starts = np.concatenate([[0], np.cumsum(counts)])
    key_sorted = np.empty_like(keys)
    key_sorted[rank] = keys
    center = np.nan_to_num(np.nanmean(x[keep], axis=0))
    xc = np.where(obs[order], x[order] - center, 0.0)
    return PatternIndex(obs=key_sorted, starts=starts, order=order, row_pattern=r[order_local],
                        center=center, xc=xc)


def _stack(obs: np.ndarray, n: np.ndarray, ybar: np.ndarray, s: np.ndarray,
           spread: np.ndarray | None = None) -> Patterns:
    """Patterns from their arrays (already ordered by the number missing); ``spread`` marks those
    of more than one row (the others have covariance 0: their products are skipped)."""
    p = obs.shape[1]
    if spread is None:
        spread = np.ones(len(n), bool)
    miss = p - obs.sum(axis=1)
    batches = []
    lo = 0
    while lo < len(n):
        hi = lo + int(np.searchsorted(miss[lo:], miss[lo], side="right"))
        o = obs[lo:hi]
        pm = int(miss[lo])
        # np.nonzero walks row by row: each row's indices, ascending
        mis = np.nonzero(~o)[1].reshape(hi - lo, pm)
        oi = np.nonzero(o)[1].reshape(hi - lo, p - pm)
        batches.append(Batch(lo, hi, mis, oi, mis[:, :, None] * p + mis[:, None, :],
                             np.flatnonzero(spread[lo:hi])))
        lo = hi
    return Patterns(p=p, n=n, obs=obs, ybar=ybar, s=s, batches=tuple(batches), n_total=float(n.sum()),
                    const=float(n @ obs.sum(axis=1)) * _LOG2PI, s_all=np.einsum("k,kij->ij", n, s))


def patterns_of(index: PatternIndex, weights: np.ndarray | None = None) -> Patterns:
    """:class:`Patterns` from ``index``; ``weights`` are row counts (bootstrap), in the original
    row order of the group. Patterns with no weight are left out.

    Most patterns are one respondent's (their covariance is 0 and their mean the row itself), so
    only the patterns of several rows are summed one by one."""
    K, p = index.obs.shape
    nrow = len(index.order)
    w = np.ones(nrow) if weights is None else np.asarray(weights, float)[index.order]
    nw = np.bincount(index.row_pattern, weights=w, minlength=K)
    counts = np.diff(index.starts)
    m = np.zeros((K, p))
    s = np.zeros((K, p, p))
    single = counts == 1
    m[single] = index.xc[index.starts[:-1][single]]
    for k in np.flatnonzero(~single & (nw > 0)):
        lo, hi = index.starts[k], index.starts[k + 1]
        rows, wk = index.xc[lo:hi], w[lo:hi]
        m[k] = wk @ rows / nw[k]
        xk = rows - m[k]
        sk = (xk.T * wk) @ xk / nw[k]
        s[k] = 0.5 * (sk + sk.T)
    keep = nw > 0
    obs = index.obs[keep]
    return _stack(obs, nw[keep], (m[keep] + index.center) * obs, s[keep], (~single)[keep])


# ------------------------------------------------------------------ the pass over the patterns
def _scatter(p: int, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> np.ndarray:
    """p × p matrix with ``values`` (B, r, c) added at (rows (B, r), cols (B, c))."""
    lin = (rows[:, :, None] * p + cols[:, None, :]).ravel()
    return np.bincount(lin, weights=values.ravel(), minlength=p * p).reshape(p, p)


def _pass(pats: Patterns, sigma: np.ndarray, mu: np.ndarray, moments: bool):
    """−2 logL of ``pats`` at (μ, Σ) by the Schur complements of P = Σ⁻¹ (module docstring).

    Returns ``None`` when Σ is not positive definite (the caller falls back to one Σ_oo at a
    time), else ``(f, extra)``; with ``moments``, ``extra = (P, C, K, z)`` where
    C = Σ_p n_p Z_p T_p Z_p′ (T_p = S_p + d d′ completed to all variables by the regression of the
    missing on the observed, Z_p = [I; B_p]), K = Σ_p n_p Σ_mm·o (the conditional covariances
    of the missing variables) and z = Σ_p n_p Z_p d: the E-step of EM about μ, and, through
    ∂(−2logL)/∂Σ = N P − P (C + K) P and ∂/∂μ = −2 P z, the gradient."""
    p = pats.p
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return None
    w = np.linalg.solve(chol, np.eye(p))
    P = w.T @ w
    logdet = 2.0 * np.log(np.diag(chol)).sum()
    d = pats.ybar - pats.obs * mu                      # (K, p), 0 where missing
    nd = pats.n[:, None] * d
    tall = pats.s_all + d.T @ nd                       # Σ n_p T_p (zero-padded)
    f = pats.const + pats.n_total * logdet + float(np.sum(P * tall))
    if moments:
        crow, cmm, kmat, zm = np.zeros((p, p)), np.zeros((p, p)), np.zeros((p, p)), np.zeros(p)
    pflat = P.ravel()
    for lo, hi, mis, _oi, mm, spread in pats.batches:
        pm = mis.shape[1]
        if pm == 0:
            continue
        n = pats.n[lo:hi]
        prow = P[mis]                                           # (B, p_m, p)
        inv_logdet = _small_inverse(pflat[mm])
        if inv_logdet is None:
            return None
        minv, logdet_mm = inv_logdet                            # Σ_mm·o and ln|P_mm|
        db = d[lo:hi]
        pd_ = np.einsum("bmp,bp->bm", prow, db)
        g1 = pd_[:, :, None] * db[:, None, :]                   # P_m· T_p ...
        if len(spread):
            g1[spread] += np.matmul(prow[spread], pats.s[lo:hi][spread])   # ... + P_m· S_p
        fm = np.matmul(minv, g1)                                # −B_p T_p on the observed
        h = np.matmul(fm, prow.transpose(0, 2, 1))
        f += float(n @ logdet_mm) - float(n @ np.einsum("bmm->b", h))
        if moments:
            nn = n[:, None, None]
            kmat += _scatter(p, mis, mis, nn * minv)
            cols = np.broadcast_to(np.arange(p), (hi - lo, p))
            crow += _scatter(p, mis, cols, nn * fm)
            cmm += _scatter(p, mis, mis, nn * np.matmul(h, minv))
            zm += np.bincount(mis.ravel(), weights=(n[:, None] * np.einsum("bmk,bk->bm", minv, pd_)).ravel(),
                              minlength=p)
    if not moments:
        return f, None
    c = tall - crow - crow.T + cmm
    return f, (P, 0.5 * (c + c.T), 0.5 * (kmat + kmat.T), nd.sum(axis=0) - zm)


def _small_inverse(a: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(A⁻¹, ln|A|) of a stack of small symmetric matrices, None if one is not positive definite;
    1 × 1 and 2 × 2 in closed form (most patterns miss one or two answers)."""
    k = a.shape[1]
    if k == 1:
        if not np.all(a > 0):
            return None
        return 1.0 / a, np.log(a[:, 0, 0])
    if k == 2:
        x, y, z = a[:, 0, 0], a[:, 0, 1], a[:, 1, 1]
        det = x * z - y * y
        if not (np.all(x > 0) and np.all(det > 0)):
            return None
        inv = np.empty_like(a)
        inv[:, 0, 0], inv[:, 1, 1] = z / det, x / det
        inv[:, 0, 1] = inv[:, 1, 0] = -y / det
        return inv, np.log(det)
    try:
        chol = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        return None
    return np.linalg.inv(a), 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)


def _direct(pats: Patterns, sigma: np.ndarray, mu: np.ndarray, grad: bool):
    """(−2 logL, ∂/∂Σ, ∂/∂μ) with one Σ_oo per pattern; (inf, None, None) if one is not PD."""
    p = pats.p
    total = 0.0
    gs, gm = (np.zeros((p, p)), np.zeros(p)) if grad else (None, None)
    for lo, hi, _mis, oi, _mm, _sp in pats.batches:
        n = pats.n[lo:hi]
        soo = sigma[oi[:, :, None], oi[:, None, :]]
        try:
            chol = np.linalg.cholesky(soo)
        except np.linalg.LinAlgError:
            return np.inf, None, None
        inv = np.linalg.inv(soo)
        logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        r = np.take_along_axis(pats.ybar[lo:hi], oi, axis=1) - mu[oi]
        cov = pats.s[lo:hi][np.arange(hi - lo)[:, None, None], oi[:, :, None], oi[:, None, :]]
        ir = np.einsum("pij,pj->pi", inv, r)
        k = oi.shape[1]
        trace = np.einsum("pij,pij->p", inv, cov)
        total += float(n @ (k * _LOG2PI + logdet + trace + np.einsum("pi,pi->p", r, ir)))
        if grad:
            g_oo = n[:, None, None] * (inv - inv @ cov @ inv - ir[:, :, None] * ir[:, None, :])
            gs += _scatter(p, oi, oi, g_oo)
            gm += np.bincount(oi.ravel(), weights=(-2.0 * n[:, None] * ir).ravel(), minlength=p)
    return total, gs, gm


def _terms(pats: Patterns, sigma: np.ndarray, mu: np.ndarray, grad: bool):
    """(−2 logL, ∂/∂Σ, ∂/∂μ) of one group; (inf, None, None) if a Σ_oo is not PD."""
    out = _pass(pats, sigma, mu, grad)
    if out is None:
        return _direct(pats, sigma, mu, grad)
    f, extra = out
    if not grad:
        return f, None, None
    P, c, kmat, z = extra
    gs = pats.n_total * P - P @ (c + kmat) @ P
    return f, 0.5 * (gs + gs.T), -2.0 * (P @ z)
