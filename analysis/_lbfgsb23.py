"""L-BFGS-B as R's ``optim(method = "L-BFGS-B")`` runs it (version 2.3 of Zhu, Byrd, Lu and Nocedal).

Why our own: psych's minres and ML extraction minimise an objective whose gradient is not its exact
gradient; where a uniqueness reaches the lower bound, the point where L-BFGS-B stops is then
decided by the algorithm's path, not by the problem (the constrained minimum of psych's objective
lies 3e-4 to 5e-3 away in a communality; the free-set stationary point as far). scipy's L-BFGS-B is
version 3.0, which projects the subspace step onto the box where version 2.3 backtracks along it
(Morales and Nocedal 2011), so at the bound it stops elsewhere than R. This module follows 2.3
step by step: the generalized Cauchy point along the projected gradient, the direct primal
subspace minimisation with backtracking to the box, the Moré-Thuente line search (MINPACK-2's
``dcsrch``/``dcstep``, written out here: scipy's port is private; ftol 1e-3, gtol 0.9, xtol 0.1, at
most 20 evaluations, step 1 first because every variable is boxed) with the memory refreshed when it fails, the update skipped when
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
    search = _MoreThuente(f, gd0, stp, 0.0, stpmx)
    nfev = 0
    while True:
        if nfev >= _MAX_BACK:
            fail.nfev = nfev
            return fail
        stp = search.stp
        xc = z.copy() if stp == 1.0 else stp * d + x
        fc = float(fun(xc))
        gc = np.asarray(grad(xc), float)
        gd = float(gc @ d)
        nfev += 1
        if search.step(fc, gd):
            return _Search(xc, fc, gc, stp, gd, gd0, nfev, False)


class _MoreThuente:
    """MINPACK-2 ``dcsrch`` (Moré and Thuente 1994) as a small state machine: construct with f(0),
    f′(0), the first step and the step bounds; ``step(f, g)`` takes f and f′ at ``self.stp`` and
    returns True when the search has ended (converged, or a warning: both accept the step),
    else sets the next ``self.stp``."""

    def __init__(self, finit: float, ginit: float, stp: float, stpmin: float, stpmax: float):
        self.stp, self.stpmin, self.stpmax = stp, stpmin, stpmax
        self.brackt, self.stage = False, 1
        self.finit, self.ginit, self.gtest = finit, ginit, _FTOL * ginit
        self.width = stpmax - stpmin
        self.width1 = self.width / 0.5
        self.stx, self.fx, self.gx = 0.0, finit, ginit
        self.sty, self.fy, self.gy = 0.0, finit, ginit
        self.stmin, self.stmax = 0.0, stp + 4.0 * stp

    def step(self, f: float, g: float) -> bool:
        stp = self.stp
        ftest = self.finit + stp * self.gtest
        if self.stage == 1 and f <= ftest and g >= 0:
            self.stage = 2
        done = ((self.brackt and (stp <= self.stmin or stp >= self.stmax))          # rounding errors
                or (self.brackt and self.stmax - self.stmin <= _XTOL * self.stmax)  # xtol test
                or (stp == self.stpmax and f <= ftest and g <= self.gtest)
                or (stp == self.stpmin and (f > ftest or g >= self.gtest))
                or (f <= ftest and abs(g) <= _GTOL * -self.ginit))                  # convergence
        if done:
            return True
        gt = self.gtest
        if self.stage == 1 and f <= self.fx and f > ftest:
            # the modified function ψ(t) = f(t) − f(0) − t·ftol·f′(0) until a step with f ≤ ftest, f′ ≥ 0
            out = _dcstep(self.stx, self.fx - self.stx * gt, self.gx - gt, self.sty, self.fy - self.sty * gt,
                          self.gy - gt, stp, f - stp * gt, g - gt, self.brackt, self.stmin, self.stmax)
            self.stx, fxm, gxm, self.sty, fym, gym, stp, self.brackt = out
            self.fx, self.fy, self.gx, self.gy = fxm + self.stx * gt, fym + self.sty * gt, gxm + gt, gym + gt
        else:
            out = _dcstep(self.stx, self.fx, self.gx, self.sty, self.fy, self.gy, stp, f, g, self.brackt,
                          self.stmin, self.stmax)
            self.stx, self.fx, self.gx, self.sty, self.fy, self.gy, stp, self.brackt = out
        if self.brackt:
            if abs(self.sty - self.stx) >= 0.66 * self.width1:
                stp = self.stx + 0.5 * (self.sty - self.stx)
            self.width1, self.width = self.width, abs(self.sty - self.stx)
            self.stmin, self.stmax = min(self.stx, self.sty), max(self.stx, self.sty)
        else:
            self.stmin, self.stmax = stp + 1.1 * (stp - self.stx), stp + 4.0 * (stp - self.stx)
        stp = min(max(stp, self.stpmin), self.stpmax)
        if self.brackt and (stp <= self.stmin or stp >= self.stmax or self.stmax - self.stmin <= _XTOL * self.stmax):
            stp = self.stx
        self.stp = stp
        return False


def _dcstep(stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, stpmin, stpmax):
    """MINPACK-2 ``dcstep``: the safeguarded cubic/quadratic step and the new interval of uncertainty."""
    sgnd = dp * (dx / abs(dx))
    if fp > fx:  # higher value: the minimum is bracketed
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * np.sqrt((theta / s) ** 2 - (dx / s) * (dp / s))
        if stp < stx:
            gamma = -gamma
        p = (gamma - dx) + theta
        q = ((gamma - dx) + gamma) + dp
        stpc = stx + (p / q) * (stp - stx)
        stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2.0) * (stp - stx)
        stpf = stpc if abs(stpc - stx) < abs(stpq - stx) else stpc + (stpq - stpc) / 2.0
        brackt = True
    elif sgnd < 0:  # lower value, derivatives of opposite sign: bracketed
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * np.sqrt((theta / s) ** 2 - (dx / s) * (dp / s))
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = ((gamma - dp) + gamma) + dx
        stpc = stp + (p / q) * (stx - stp)
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
        brackt = True
    elif abs(dp) < abs(dx):  # lower value, same sign, the derivative decreases in magnitude
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * np.sqrt(max(0.0, (theta / s) ** 2 - (dx / s) * (dp / s)))
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = (gamma + (dx - dp)) + gamma
        r = p / q
        if r < 0 and gamma != 0:
            stpc = stp + r * (stx - stp)
        elif stp > stx:
            stpc = stpmax
        else:
            stpc = stpmin
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        if brackt:
            stpf = stpc if abs(stpc - stp) < abs(stpq - stp) else stpq
            stpf = min(stp + 0.66 * (sty - stp), stpf) if stp > stx else max(stp + 0.66 * (sty - stp), stpf)
        else:
            stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
            stpf = max(stpmin, min(stpmax, stpf))
    else:  # lower value, same sign, the derivative does not decrease
        if brackt:
            theta = 3.0 * (fp - fy) / (sty - stp) + dy + dp
            s = max(abs(theta), abs(dy), abs(dp))
            gamma = s * np.sqrt((theta / s) ** 2 - (dy / s) * (dp / s))
            if stp > sty:
                gamma = -gamma
            p = (gamma - dp) + theta
            q = ((gamma - dp) + gamma) + dy
            stpf = stp + (p / q) * (sty - stp)
        elif stp > stx:
            stpf = stpmax
        else:
            stpf = stpmin
    if fp > fx:
        sty, fy, dy = stp, fp, dp
    else:
        if sgnd < 0:
            sty, fy, dy = stx, fx, dx
        stx, fx, dx = stp, fp, dp
    return stx, fx, dx, sty, fy, dy, stpf, brackt
