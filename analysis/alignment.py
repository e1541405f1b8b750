"""Alignment optimization of one-factor models across many groups (Asparouhov & Muthén, 2014).

With many groups exact scalar invariance rarely holds, yet the groups' factor means can still be
compared when most loadings and intercepts are *approximately* equal. Alignment starts from the
configural model (each group's factor standardised: mean 0, variance 1; loadings ``lambda[g, i]``
and intercepts ``nu[g, i]`` free) and looks for the group factor means ``alpha[g]`` and standard
deviations ``psi[g]`` that make the implied common parameters

    lambda1[g, i] = lambda[g, i] / psi[g]
    nu1[g, i]     = nu[g, i] - alpha[g] * lambda[g, i] / psi[g]

as similar across groups as possible, by minimising the component loss

    F = sum_i sum_{g != h} w_g w_h [f(lambda1[g, i] - lambda1[h, i]) + f(nu1[g, i] - nu1[h, i])],
    f(x) = sqrt(sqrt(x**2 + eps)),   w_g = sqrt(n_g) / sum_h sqrt(n_h),

so ``w_g w_h`` is proportional to ``sqrt(n_g n_h)`` (Mplus' weights). ``f`` grows like
``sqrt(|x|)``: a few large differences cost little, many small ones much, so the solution keeps
most parameters near-invariant and lets a few differ. ``eps`` is lowered in steps
(0.01, then 0.0001) with each solution the start of the next, as sirt does with its eps grid.

Identification follows R's ``sirt::invariance.alignment``: the group SDs are constrained to a
product of one during optimisation (``meth = 3`` FIXED: the reference group's mean is 0;
``meth = 4`` FREE: every mean free, plus the small ridge penalty ``sum(w) / 1000 * sum(alpha**2)``),
then rescaled so the reference group (the first) has mean 0 and variance 1. Aligned means and
variances are therefore on the reference group's factor scale.

Non-invariance is summarised three ways: sirt's R² of loadings and intercepts
(``1 - sum((x - explained)**2) / sum(x**2)``), Asparouhov & Muthén's R² (the share of the
across-group variance of each configural parameter explained by the group means and SDs, averaged
over items), and sirt's tolerance rule (``invariance_alignment_constraints``): an aligned
parameter is approximately non-invariant when it is farther than ``tol`` from the joint value
(a weighted mean of the groups within ``tol``, iterated from the median). The alignment is
*trusted* when under 25% of all aligned parameters are non-invariant (Asparouhov & Muthén's
rule of thumb).

No R reference values: sirt is not on Debian. The module is checked by recovering known group
means from simulated data (``tests/analysis/test_alignment.py``, ``scripts/alignment_recovery.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import optimize

from .sem import fit_sem

__all__ = ["AlignmentResult", "align", "configural_parameters", "align_factor", "component_loss", "noninvariance", "METHODS", "TRUST_SHARE",
           "LAMBDA_TOL", "NU_TOL", "EPS_STEPS"]

METHODS = ("fixed", "free")
#: below this share of non-invariant aligned parameters the alignment is trusted
TRUST_SHARE = 0.25
#: sirt's example tolerances (invariance_alignment_constraints) for loadings and intercepts
LAMBDA_TOL = 0.4
NU_TOL = 0.2
#: the eps of the component loss, lowered in these steps
EPS_STEPS = (0.01, 0.0001)
_MIN_GROUPS = 2


@dataclass(frozen=True, slots=True)
class AlignmentResult:
    """Aligned factor means and variances per group, and how non-invariant the items are.

    ``mean[g]``/``variance[g]`` are on the scale of the reference group ``groups[0]`` (mean 0,
    variance 1). ``noninvariant_share`` is the share of the ``2 * G * I`` aligned loadings and
    intercepts farther than the tolerance from their joint value; ``trusted`` is
    ``noninvariant_share < TRUST_SHARE``.
    """

    method: str
    groups: tuple[str, ...]
    items: tuple[str, ...]
    n: tuple[int, ...]
    mean: tuple[float, ...]
    variance: tuple[float, ...]
    lambda_aligned: tuple[tuple[float, ...], ...]
    nu_aligned: tuple[tuple[float, ...], ...]
    lambda_noninvariant: tuple[tuple[bool, ...], ...]
    nu_noninvariant: tuple[tuple[bool, ...], ...]
    r2_sirt: dict
    r2: dict
    noninvariant_share: float
    tolerance: dict
    trusted: bool
    loss: float
    converged: bool

    def to_dict(self) -> dict:
        return {"method": self.method, "groups": list(self.groups), "items": list(self.items),
                "n": list(self.n), "mean": list(self.mean), "variance": list(self.variance),
                "r2_sirt": dict(self.r2_sirt), "r2": dict(self.r2),
                "noninvariant_share": self.noninvariant_share, "tolerance": dict(self.tolerance),
                "trusted": self.trusted, "loss": self.loss, "converged": self.converged}


def component_loss(x, eps: float = 0.01):
    """Asparouhov & Muthén's component loss ``f(x) = sqrt(sqrt(x**2 + eps))``.

    >>> round(float(component_loss(0.0, eps=0.0001)), 6)
    0.1
    """
    return np.sqrt(np.sqrt(np.asarray(x, dtype=float) ** 2 + eps))


def _loss_grad_f(d: np.ndarray, eps: float) -> np.ndarray:
    return 0.5 * d * (d * d + eps) ** -0.75


def _unpack(x: np.ndarray, G: int, free: bool) -> tuple[np.ndarray, np.ndarray]:
    if free:
        alpha = x[:G]
        u = np.concatenate([[0.0], x[G:]])
    else:
        alpha = np.concatenate([[0.0], x[: G - 1]])
        u = np.concatenate([[0.0], x[G - 1:]])
    # product of the SDs is one (sirt meth 3/4): log psi centred
    return alpha, np.exp(u - u.mean())


def _objective(x, lam, nu, W, eps, free, ridge):
    G = lam.shape[0]
    alpha, psi = _unpack(x, G, free)
    l1 = lam / psi[:, None]
    v1 = nu - alpha[:, None] * l1
    dl = l1[:, None, :] - l1[None, :, :]
    dv = v1[:, None, :] - v1[None, :, :]
    off = ~np.eye(G, dtype=bool)[:, :, None]
    Wf = W[:, :, None] * off
    value = float(np.sum(Wf * (component_loss(dl, eps) + component_loss(dv, eps))))
    # d/d l1[g,i] and d/d v1[g,i]: pairs count in both orders, W symmetric, f' odd
    A = 2.0 * np.sum(Wf * _loss_grad_f(dl, eps), axis=1)
    B = 2.0 * np.sum(Wf * _loss_grad_f(dv, eps), axis=1)
    g_alpha = -np.sum(B * l1, axis=1)
    g_logpsi = -np.sum((A - alpha[:, None] * B) * l1, axis=1)
    g_u = g_logpsi - g_logpsi.mean()
    if free:
        value += ridge * float(np.sum(alpha ** 2))
        g_alpha = g_alpha + 2.0 * ridge * alpha
        grad = np.concatenate([g_alpha, g_u[1:]])
    else:
        grad = np.concatenate([g_alpha[1:], g_u[1:]])
    return value, grad


def noninvariance(aligned: np.ndarray, tol: float, weights: np.ndarray, *, maxiter: int = 20,
                  conv: float = 1e-5) -> np.ndarray:
    """Which aligned parameters (groups x items) are approximately non-invariant at ``tol``.

    sirt's ``invariance_alignment_find_parameter_constraints``: the joint value of an item starts
    at the median over groups and becomes the weighted mean of the groups within ``tol`` of it,
    until it no longer changes; a parameter farther than ``tol`` from it is non-invariant.

    >>> noninvariance(np.array([[1.0], [1.1], [0.9], [2.0]]), 0.4, np.ones(4)).ravel().tolist()
    [False, False, False, True]
    """
    parm = np.asarray(aligned, dtype=float)
    w = np.broadcast_to(np.asarray(weights, dtype=float)[:, None], parm.shape)
    joint = np.median(parm, axis=0)
    est = np.broadcast_to(joint, parm.shape).copy()
    for it in range(maxiter):
        old = est
        est = np.broadcast_to(joint, parm.shape).copy()
        far = np.abs(parm - est) > tol
        est[far] = parm[far]
        near = ~far
        denom = np.sum(near * w, axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            j = np.sum(est * near * w, axis=0) / denom
        joint = np.where(denom > 0, j, np.sum(est * w, axis=0) / np.sum(w, axis=0))
        if it > 0 and np.max(np.abs(est - old)) < conv:
            break
    return np.abs(parm - joint[None, :]) > tol


def _r2_sirt(x: np.ndarray, expl: np.ndarray) -> float:
    return float(1.0 - np.sum((x - expl) ** 2) / np.sum(x ** 2))


def _r2_am(x: np.ndarray, expl: np.ndarray) -> float | None:
    """Asparouhov & Muthén's R²: across-group variance of each item's parameter explained."""
    var = x.var(axis=0)
    keep = var > 1e-12
    if not keep.any():
        return None
    r = 1.0 - (x - expl).var(axis=0)[keep] / var[keep]
    return float(np.mean(r))


def align(loadings, intercepts, n: Sequence[int], *, groups: Sequence[str] | None = None,
          items: Sequence[str] | None = None, method: str = "fixed", eps_steps: Sequence[float] = EPS_STEPS,
          lambda_tol: float = LAMBDA_TOL, nu_tol: float = NU_TOL) -> AlignmentResult:
    """Align one factor's configural loadings and intercepts across groups.

    Parameters
    ----------
    loadings, intercepts : array-like, shape (groups, items)
        Each group's configural estimates with its factor standardised (mean 0, variance 1).
    n : sequence of int
        Respondents per group (the weights ``sqrt(n_g n_h)``).
    groups, items : sequence of str, optional
        Labels (default ``"1".."G"``, ``"x1".."xI"``). The first group is the reference.
    method : {"fixed", "free"}
        Mplus' FIXED (reference mean 0 during optimisation) or FREE (every mean free, ridge
        penalty), as sirt's ``meth = 3`` and ``meth = 4``.
    eps_steps : sequence of float
        The component loss's eps, lowered in these steps.
    lambda_tol, nu_tol : float
        Tolerances of the non-invariance rule for aligned loadings and intercepts.

    Returns
    -------
    AlignmentResult

    Raises
    ------
    ValueError
        Shapes that differ, fewer than two groups, a missing or non-positive value where one is
        needed, or an unknown ``method``.

    Notes
    -----
    Checked by recovering known means from simulated data (sirt is not available on Debian); the
    loss, parametrisation and tolerance rule follow ``sirt::invariance.alignment`` (4.019).

    Examples
    --------
    >>> lam = np.array([[1.0, 0.8, 0.9], [1.5, 1.2, 1.35]])   # group 2: SD 1.5
    >>> nu = np.array([[4.0, 3.0, 5.0], [4.5, 3.4, 5.45]])    # group 2: mean 0.5
    >>> r = align(lam, nu, [200, 200])
    >>> [round(v, 2) for v in r.mean], [round(v, 2) for v in r.variance]
    ([0.0, 0.5], [1.0, 2.25])
    """
    if method not in METHODS:
        raise ValueError(f"alignment method {method!r} is not one of {', '.join(METHODS)}")
    lam = np.asarray(loadings, dtype=float)
    nu = np.asarray(intercepts, dtype=float)
    if lam.ndim != 2 or lam.shape != nu.shape:
        raise ValueError(f"loadings {lam.shape} and intercepts {nu.shape} must both be groups x items")
    G, I = lam.shape
    if G < _MIN_GROUPS:
        raise ValueError(f"alignment needs at least {_MIN_GROUPS} groups, got {G}")
    if not (np.isfinite(lam).all() and np.isfinite(nu).all()):
        raise ValueError("alignment needs a finite loading and intercept for every group and item")
    nn = np.asarray(n, dtype=float)
    if nn.shape != (G,) or (nn <= 0).any():
        raise ValueError(f"n must give a positive size for each of the {G} groups")
    groups = tuple(str(g) for g in groups) if groups is not None else tuple(str(k + 1) for k in range(G))
    items = tuple(str(i) for i in items) if items is not None else tuple(f"x{k + 1}" for k in range(I))
    # a factor's sign is arbitrary per group: align them to the majority direction
    sign = np.where(lam.sum(axis=1) < 0, -1.0, 1.0)
    lam = lam * sign[:, None]
    w = np.sqrt(nn) / np.sqrt(nn).sum()
    W = np.outer(w, w)
    free = method == "free"
    ridge = float(w.sum()) / 1000.0
    # sirt's start: group medians of loadings (SD ratios) and intercepts (mean differences)
    psi0 = np.median(lam, axis=1) / np.median(lam[0])
    alpha0 = np.median(nu, axis=1) - np.median(nu[0])
    u0 = np.log(np.clip(psi0, 0.01, None))
    u0 = u0 - u0[0]
    x = np.concatenate([alpha0 if free else alpha0[1:], u0[1:]])
    converged = True
    for eps in eps_steps:
        res = optimize.minimize(_objective, x, args=(lam, nu, W, eps, free, ridge), jac=True,
                                method="L-BFGS-B", options={"maxiter": 2000})
        x = res.x
        converged = bool(res.success)
    alpha, psi = _unpack(x, G, free)
    loss, _ = _objective(x, lam, nu, W, eps_steps[-1], free, ridge)
    # the reference group gets mean 0 and SD 1 (sirt's centring for meth 3/4)
    alpha = (alpha - alpha[0]) / psi[0]
    psi = psi / psi[0]
    l1 = lam / psi[:, None]
    v1 = nu - alpha[:, None] * l1
    ml, mv = l1.mean(axis=0), v1.mean(axis=0)
    expl_l = psi[:, None] * ml[None, :]
    expl_v = mv[None, :] + alpha[:, None] * ml[None, :]
    ni_l = noninvariance(l1, lambda_tol, w)
    ni_v = noninvariance(v1, nu_tol, w)
    share = float((ni_l.sum() + ni_v.sum()) / (2 * G * I))
    return AlignmentResult(
        method=method, groups=groups, items=items, n=tuple(int(v) for v in nn),
        mean=tuple(float(v) for v in alpha), variance=tuple(float(v) ** 2 for v in psi),
        lambda_aligned=tuple(tuple(float(v) for v in r) for r in l1),
        nu_aligned=tuple(tuple(float(v) for v in r) for r in v1),
        lambda_noninvariant=tuple(tuple(bool(v) for v in r) for r in ni_l),
        nu_noninvariant=tuple(tuple(bool(v) for v in r) for r in ni_v),
        r2_sirt={"loadings": _r2_sirt(lam, expl_l), "intercepts": _r2_sirt(nu, expl_v)},
        r2={"loadings": _r2_am(lam, expl_l), "intercepts": _r2_am(nu, expl_v)},
        noninvariant_share=share, tolerance={"loadings": lambda_tol, "intercepts": nu_tol},
        trusted=share < TRUST_SHARE, loss=float(loss), converged=converged)


def configural_parameters(data: pd.DataFrame, items: Sequence[str], *, group: str, groups: Sequence,
                          missing: str = "fiml") -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Each group's one-factor loadings (factor variance 1) and intercepts (factor mean 0).

    One model ``F =~ items`` is fitted per group (``fit_sem``, FIML by default), the configural
    model alignment starts from; loadings are lavaan's ``std.lv`` values.

    Raises
    ------
    ValueError
        When a group's model does not converge (naming the group).
    """
    model = "F =~ " + " + ".join(items)
    lam, nu, n = [], [], []
    for g in groups:
        res = fit_sem(data[data[group] == g], model, missing=missing, meanstructure=True)
        if not res.converged:
            raise ValueError(f"the one-factor model of {', '.join(items)} did not converge in group {g}")
        est = res.estimates
        load = est[est["op"] == "=~"].set_index("rhs")["std_lv"]
        icpt = est[est["op"] == "~1"].set_index("lhs")["est"]
        lam.append([float(load[i]) for i in items])
        nu.append([float(icpt[i]) for i in items])
        n.append(int(res.n_used))
    return np.array(lam), np.array(nu), n


def align_factor(data: pd.DataFrame, items: Sequence[str], *, group: str, groups: Sequence,
                 method: str = "fixed", missing: str = "fiml") -> AlignmentResult:
    """:func:`align` on the configural estimates of one factor measured by ``items``.

    Examples
    --------
    >>> r = align_factor(df, ["x1", "x2", "x3", "x4"], group="municipality",
    ...                  groups=["A", "B", "C", "D", "E"])  # doctest: +SKIP
    >>> r.mean[0], r.variance[0]  # doctest: +SKIP
    (0.0, 1.0)
    """
    lam, nu, n = configural_parameters(data, items, group=group, groups=groups, missing=missing)
    return align(lam, nu, n, groups=[str(g) for g in groups], items=items, method=method)
