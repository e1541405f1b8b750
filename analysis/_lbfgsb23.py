"""L-BFGS-B as R's ``optim(method = "L-BFGS-B")`` runs it (version 2.3 of Zhu, Byrd, Lu and Nocedal).

Why our own: psych's minres and ML extraction minimise an objective whose gradient is not its exact
gradient; where a uniqueness reaches the lower bound, the point where L-BFGS-B stops is then
decided by the algorithm's path, not by the problem (the constrained minimum of psych's objective
lies 3e-4 to 5e-3 away in a communality; the free-set stationary point as far). scipy's L-BFGS-B is
version 3.0, which projects the subspace step onto the box where version 2.3 backtracks along it
(Morales and Nocedal 2011), so at the bound it stops elsewhere than R. This module follows 2.3
step by step: the generalized Cauchy point along the projected gradient, the direct primal
subspace minimisation with backtracking to the box, the Moré-Thuente line search (scipy's
``DCSRCH``; ftol 1e-3, gtol 0.9, xtol 0.1, at most 20 evaluations, step 1 first because every
variable is boxed) with the memory refreshed when it fails, the update skipped when
yᵀs ≤ ε·(−gᵀd), and R's stopping rule (relative reduction of f ≤ factr·ε, projected gradient ≤
pgtol, maxit iterations). The limited-memory matrix is formed densely (B = θI − W M⁻¹ Wᵀ): the
problems here have one variable per item, and the dense form is simpler to read than the compact
products of the Fortran code; both give the same steps to rounding.

Only bounded variables (lower and upper bound on every coordinate) are supported: that is how psych
calls it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
# scipy's line search of L-BFGS-B (MINPACK-2 dcsrch), driven by reverse communication as in the
# Fortran code; private in scipy, so it is imported in one place and tested (tests/analysis/test_efa_heywood.py)
from scipy.optimize._dcsrch import DCSRCH

__all__ = ["lbfgsb_r", "LbfgsbResult"]

_EPSMCH = float(np.finfo(float).eps)
_FTOL, _GTOL, _XTOL = 1e-3, 0.9, 0.1
_MAX_BACK = 20


@dataclass(frozen=True, slots=True)
class LbfgsbResult:
    """Where the run stopped: ``x``, ``f``, iterations, evaluations and R's ``message``."""

    x: np.ndarray
    fun: float
    nit: int
    nfev: int
    message: str
    success: bool


def lbfgsb_r(fun: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray], x0: np.ndarray,
             lower: np.ndarray, upper: np.ndarray, *, m: int = 5, factr: float = 1e7, pgtol: float = 0.0,
             maxit: int = 100) -> LbfgsbResult:
    """Minimise ``fun`` in the box [lower, upper] with L-BFGS-B 2.3, as R's optim does.

    The defaults are R's (``lmm = 5, factr = 1e7, pgtol = 0, maxit = 100``). ``fun`` and
    ``grad`` are called at points inside the box.

    Examples
    --------
    >>> import numpy as np
    >>> r = lbfgsb_r(lambda x: float(np.sum((x - 2) ** 2)), lambda x: 2 * (x - 2), np.zeros(3),
    ...              np.zeros(3), np.ones(3))
    >>> r.x.tolist(), r.message
    ([1.0, 1.0, 1.0], 'CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL')
    """
    lo, up = np.asarray(lower, float), np.asarray(upper, float)
    x = np.clip(np.asarray(x0, float).copy(), lo, up)
    n = len(x)
    f = float(fun(x))
    g = np.asarray(grad(x), float)
    nfev, it = 1, 0
    s_mem: list[np.ndarray] = []
    y_mem: list[np.ndarray] = []
    theta = 1.0
    tol = factr * _EPSMCH
    if _projgr(x, g, lo, up) <= pgtol:
        return LbfgsbResult(x, f, 0, nfev, "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL", True)
    while True:
        bmat = _bmat(s_mem, y_mem, theta, n)
        z, free = _cauchy(x, g, lo, up, bmat)
        if free.any() and s_mem:
            z = _subsm(x, g, z, free, lo, up, bmat)
        d = z - x
        ls = _line_search(fun, grad, x, f, g, d, z, lo, up, it)
        nfev += ls.nfev
        if ls.failed:
            if not s_mem:
                return LbfgsbResult(x, f, it + 1, nfev, "ABNORMAL_TERMINATION_IN_LNSRCH", False)
            s_mem, y_mem, theta = [], [], 1.0  # refresh the memory and restart the iteration
            continue
        f_old, g_old = f, g
        x, f, g = ls.x, ls.f, ls.g
        it += 1
        if it > maxit:
            return LbfgsbResult(x, f, it, nfev, "NEW_X (maxit reached)", False)
        if _projgr(x, g, lo, up) <= pgtol:
            return LbfgsbResult(x, f, it, nfev, "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL", True)
        if f_old - f <= tol * max(abs(f_old), abs(f), 1.0):
            return LbfgsbResult(x, f, it, nfev, "CONVERGENCE: REL_REDUCTION_OF_F <= FACTR*EPSMCH", True)
        r = g - g_old
        rr = float(r @ r)
        if ls.stp == 1.0:
            dr, ddum, s = ls.gd - ls.gd0, -ls.gd0, d
        else:
            dr, ddum, s = (ls.gd - ls.gd0) * ls.stp, -ls.gd0 * ls.stp, ls.stp * d
        if dr <= _EPSMCH * ddum:
            continue  # skip the update: the curvature condition fails
        s_mem, y_mem = (s_mem + [s])[-m:], (y_mem + [r])[-m:]
        theta = rr / dr


def _projgr(x, g, lo, up) -> float:
    pg = np.where(g < 0, np.maximum(x - up, g), np.minimum(x - lo, g))
    return float(np.max(np.abs(pg))) if len(pg) else 0.0


def _bmat(s_mem, y_mem, theta: float, n: int) -> np.ndarray:
    """B = θI − W M⁻¹ Wᵀ, W = [Y θS], M = [[−D, Lᵀ], [L, θSᵀS]] (the compact L-BFGS matrix)."""
    if not s_mem:
        return theta * np.eye(n)
    S, Y = np.column_stack(s_mem), np.column_stack(y_mem)
    sy = S.T @ Y
    low = np.tril(sy, -1)
    mid = np.block([[-np.diag(np.diag(sy)), low.T], [low, theta * (S.T @ S)]])
    W = np.hstack([Y, theta * S])
    return theta * np.eye(n) - W @ np.linalg.solve(mid, W.T)


def _cauchy(x, g, lo, up, bmat) -> tuple[np.ndarray, np.ndarray]:
    """The generalized Cauchy point along P(x − t g) and which variables are free there."""
    n = len(x)
    xcp = x.copy()
    d = -g.copy()
    tl, tu = x - lo, up - x
    fixed = ((tl <= 0) & (d <= 0)) | ((tu <= 0) & (d >= 0))  # at a bound, pushed out of the box
    d[fixed] = 0.0
    t = np.full(n, np.inf)
    neg, pos = (d < 0) & ~fixed, (d > 0) & ~fixed
    t[neg] = tl[neg] / -d[neg]
    t[pos] = tu[pos] / d[pos]
    if not np.any(d):
        return xcp, ~fixed
    order = [i for i in np.argsort(t, kind="stable") if np.isfinite(t[i])]
    zvec = np.zeros(n)                    # xcp − x
    f1 = float(g @ d)                     # f′ at the start of the segment
    f2 = float(d @ bmat @ d)              # f″
    f2_org = f2
    dtm = -f1 / f2
    tsum = 0.0
    tj = 0.0
    k = 0
    while k < len(order):
        ibp = order[k]
        tj0, tj = tj, t[ibp]
        dt = tj - tj0
        if dtm < dt:
            break
        tsum += dt
        zvec += dt * d
        dibp = d[ibp]
        d[ibp] = 0.0
        xcp[ibp] = up[ibp] if dibp > 0 else lo[ibp]
        zvec[ibp] = xcp[ibp] - x[ibp]
        fixed[ibp] = True
        k += 1
        if not np.any(d):
            return xcp, ~fixed
        f1 = float(g @ d + zvec @ bmat @ d)
        f2 = max(_EPSMCH * f2_org, float(d @ bmat @ d))
        dtm = -f1 / f2
    dtm = max(dtm, 0.0)
    free = ~fixed
    xcp[free] = x[free] + (tsum + dtm) * d[free]
    return xcp, free


def _subsm(x, g, xcp, free, lo, up, bmat) -> np.ndarray:
    """Minimise the quadratic model over the free variables from the Cauchy point, then
    backtrack along that step to the box (version 2.3; 3.0 projects instead)."""
    idx = np.flatnonzero(free)
    r = (g + bmat @ (xcp - x))[idx]
    dhat = -np.linalg.solve(bmat[np.ix_(idx, idx)], r)
    alpha, ibd = 1.0, -1
    temp1 = alpha
    for j, k in enumerate(idx):
        dk = dhat[j]
        if dk < 0:
            temp2 = lo[k] - xcp[k]
            if temp2 >= 0:
                temp1 = 0.0
            elif dk * alpha < temp2:
                temp1 = temp2 / dk
        elif dk > 0:
            temp2 = up[k] - xcp[k]
            if temp2 <= 0:
                temp1 = 0.0
            elif dk * alpha > temp2:
                temp1 = temp2 / dk
        if temp1 < alpha:
            alpha, ibd = temp1, j
    out = xcp.copy()
    if alpha < 1.0 and ibd >= 0:
        k = idx[ibd]
        out[k] = up[k] if dhat[ibd] > 0 else lo[k]
        dhat[ibd] = 0.0
    out[idx] += alpha * dhat
    return out


@dataclass(slots=True)
class _Search:
    x: np.ndarray
    f: float
    g: np.ndarray
    stp: float
    gd: float
    gd0: float
    nfev: int
    failed: bool


def _line_search(fun, grad, x, f, g, d, z, lo, up, it) -> _Search:
    gd0 = float(g @ d)
    fail = _Search(x, f, g, 0.0, gd0, gd0, 0, True)
    if gd0 >= 0:  # not a descent direction: the line search is impossible
        return fail
    if it == 0:
        stpmx = 1.0
    else:
        stpmx = 1e10
        for i in range(len(x)):
            a1 = d[i]
            if a1 < 0:
                a2 = lo[i] - x[i]
                if a2 >= 0:
                    stpmx = 0.0
                elif a1 * stpmx < a2:
                    stpmx = a2 / a1
            elif a1 > 0:
                a2 = up[i] - x[i]
                if a2 <= 0:
                    stpmx = 0.0
                elif a1 * stpmx > a2:
                    stpmx = a2 / a1
    stp = 1.0  # every variable has both bounds ("boxed")
    search = DCSRCH(None, None, _FTOL, _GTOL, _XTOL, 0.0, stpmx)
    task = b"START"
    fc, gc, gd = f, g, gd0
    nfev = 0
    while True:
        stp, _, _, task = search._iterate(stp, fc, gd, task)
        if task[:4] in (b"CONV", b"WARN"):
            return _Search(xc, fc, gc, stp, gd, gd0, nfev, False) if nfev else fail
        if nfev >= _MAX_BACK or task[:5] == b"ERROR":
            fail.nfev = nfev
            return fail
        xc = z.copy() if stp == 1.0 else stp * d + x
        fc = float(fun(xc))
        gc = np.asarray(grad(xc), float)
        gd = float(gc @ d)
        nfev += 1
