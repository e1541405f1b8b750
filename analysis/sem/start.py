"""Starting values.

Like lavaan's defaults in spirit (observed intercepts at the sample means, latent means 0,
regressions 0, residual variances from the observed variances), with loadings and factor
(co)variances from a one-step principal-axis solution per factor so that Fisher scoring starts
near the optimum. Loadings equal across groups start from the pooled within-group covariance
matrix (a group whose marker barely loads would otherwise give ratios of the wrong sign and size);
other parameters that share a free index (equality constraints) start at the mean of their
per-group values; user ``start()`` values win.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coprod.analysis.sem.ml import GroupData
from coprod.analysis.sem.model import ALPHA, BETA, LAM, NU, PSI, THETA, Model

__all__ = ["start_values"]


def _one_factor(s: np.ndarray) -> np.ndarray:
    """Loadings of a one-factor principal-axis step on covariance ``s``."""
    k = len(s)
    if k == 1:
        return np.sqrt(np.clip(s[0], 1e-12, None)) * np.ones(1)
    if k == 2:
        c = max(abs(s[0, 1]), 1e-6)
        return np.sqrt(c) * np.array([1.0, np.sign(s[0, 1]) or 1.0])
    try:
        smc = 1.0 - 1.0 / np.diag(np.linalg.inv(s)) / np.diag(s)
    except np.linalg.LinAlgError:
        smc = np.full(k, 0.5)
    r = s.copy()
    np.fill_diagonal(r, np.clip(smc, 0.05, 0.95) * np.diag(s))
    val, vec = np.linalg.eigh(r)
    lam = vec[:, -1] * np.sqrt(max(val[-1], 1e-8))
    return lam if lam.sum() >= 0 else -lam


def start_values(model: Model, data: list[GroupData], *, pooled: bool = False) -> np.ndarray:
    """Starting θ for ``model`` given per-group sample statistics.

    Loadings held equal across groups start from the pooled within-group covariance matrix (and
    each group's factor variances from its own covariances given those loadings); with
    ``pooled=True`` every group's loadings and variances start from the pooled matrix (the
    second start tried when a fit fails)."""
    pt = model.pt
    q = model.nfree
    acc, cnt = np.zeros(q), np.zeros(q)
    common = _pooled_starts(model, data) if len(data) > 1 else None
    shared = _shared_factors(model) if common is not None else set()
    for g, d in enumerate(data):
        rows = pt.rows(g + 1)
        fs = _factor_starts(model, rows, d.cov)
        if common is not None and (pooled or shared):
            fs = common if pooled else _with_loadings(fs, common, shared, d.cov, model)
        for i in rows:
            k = pt.free[i] - 1
            if k < 0:
                continue
            acc[k] += _row_start(model, i, d, fs)
            cnt[k] += 1
    out = np.where(cnt > 0, acc / np.maximum(cnt, 1), 0.0)
    return out


def _shared_factors(model: Model) -> set[str]:
    """Factors with a loading whose free parameter appears in more than one group."""
    pt = model.pt
    groups_of: dict[int, set[int]] = {}
    for i in pt.rows():
        if pt.free[i] and pt.op[i] == "=~":
            groups_of.setdefault(pt.free[i], set()).add(pt.group[i])
    return {pt.lhs[i] for i in pt.rows() if pt.free[i] and pt.op[i] == "=~" and len(groups_of[pt.free[i]]) > 1}


def _pooled_starts(model: Model, data: list[GroupData]) -> _FactorStarts | None:
    """Factor starts from the pooled within-group covariance matrix (Σ N_g S_g / Σ N_g).

    Ratios to the marker taken per group blow up when a group's marker barely loads; under equal
    loadings the pooled matrix estimates the common loadings (up to the factor scale), and its
    marker is as good as the marker of the groups together."""
    ok = [d for d in data if d.n >= 2 and np.all(np.isfinite(d.cov))]
    if not ok:
        return None
    n = sum(d.n for d in ok)
    s = sum(d.n * d.cov for d in ok) / n
    return _factor_starts(model, model.pt.rows(1), s)


def _with_loadings(own: _FactorStarts, common: _FactorStarts, shared: set[str], s: np.ndarray,
                   model: Model) -> _FactorStarts:
    """One group's starts with the common loadings for the ``shared`` factors, and those factors'
    variances refitted to the group's covariances: ψ = Σ s_ij λ_i λ_j / Σ (λ_i λ_j)² over pairs."""
    oi = model.ov_index
    lam_of, lv_var, raw = dict(own.lam_of), dict(own.lv_var), dict(own.raw)
    for f in shared:
        if f not in common.raw:
            continue
        raw[f] = common.raw[f]
        ind = list(raw[f])
        for v in ind:
            lam_of[(f, v)] = common.lam_of[(f, v)]
        num = den = 0.0
        for a in range(len(ind)):
            for b in range(a + 1, len(ind)):
                ll = lam_of[(f, ind[a])] * lam_of[(f, ind[b])]
                num += s[oi[ind[a]], oi[ind[b]]] * ll
                den += ll * ll
        psi = num / den if den > 0 else common.lv_var[f]
        # a group whose indicators barely covary keeps a small positive variance
        lv_var[f] = max(psi, 0.05 * common.lv_var[f])
    return _FactorStarts(own.var, lam_of, lv_var, raw)


@dataclass(frozen=True)
class _FactorStarts:
    """One group's one-factor loadings per factor (``raw``), rescaled to the marker (``lam_of``), and
    the factor variances they imply (``lv_var``), with the observed variances (``var``)."""

    var: np.ndarray
    lam_of: dict[tuple[str, str], float]
    lv_var: dict[str, float]
    raw: dict[str, dict[str, float]]


def _factor_starts(model: Model, rows: list[int], s: np.ndarray) -> _FactorStarts:
    """Factor loadings (relative to the fixed marker) and factor variances."""
    pt, oi = model.pt, model.ov_index
    lam_of: dict[tuple[str, str], float] = {}
    lv_var: dict[str, float] = {}
    raw: dict[str, dict[str, float]] = {}
    for f in model.lv:
        ind = [pt.rhs[i] for i in rows if pt.op[i] == "=~" and pt.lhs[i] == f and pt.rhs[i] in oi
               and pt.rhs[i] not in model.eta_index]
        if not ind:
            continue
        idx = [oi[v] for v in ind]
        l1 = _one_factor(s[np.ix_(idx, idx)])
        raw[f] = dict(zip(ind, l1))
        mark = [pt.rhs[i] for i in rows if pt.op[i] == "=~" and pt.lhs[i] == f and not pt.free[i]
                and pt.rhs[i] in raw[f]]
        ref_val = 1.0
        if mark:
            ref_row = next(i for i in rows if pt.op[i] == "=~" and pt.lhs[i] == f and pt.rhs[i] == mark[0])
            ref_val = pt.ustart[ref_row] if pt.ustart[ref_row] != 0 else 1.0
            scale = raw[f][mark[0]] / ref_val
        else:
            scale = 1.0
        if abs(scale) < 1e-6:
            scale = 1e-6
        for v, load in raw[f].items():
            lam_of[(f, v)] = load / scale
        lv_var[f] = scale ** 2
    return _FactorStarts(np.clip(np.diag(s), 1e-6, None), lam_of, lv_var, raw)


def _row_start(model: Model, i: int, d: GroupData, fs: _FactorStarts) -> float:
    """The starting value of free partable row ``i`` in group data ``d``."""
    pt, oi = model.pt, model.ov_index
    var, lam_of, lv_var, raw = fs.var, fs.lam_of, fs.lv_var, fs.raw
    s = d.cov
    lhs, op, rhs = pt.lhs[i], pt.op[i], pt.rhs[i]
    mat = model.cell[i][0]
    val = 0.0
    if np.isfinite(pt.ustart[i]):
        val = pt.ustart[i]
    elif op == "=~":
        val = lam_of.get((lhs, rhs), 1.0)
    elif op == "~~" and lhs == rhs:
        if mat == THETA or (mat == PSI and lhs in oi):
            j = oi[lhs]
            resid = var[j] - sum(lam_of[(f, lhs)] ** 2 * lv_var[f] for f in model.lv if (f, lhs) in lam_of)
            val = max(resid, 0.5 * var[j]) if mat == THETA else var[j]
            if mat == THETA and any((f, lhs) in lam_of for f in model.lv):
                val = max(resid, 0.1 * var[j])
        else:
            val = lv_var.get(lhs, 0.05)
    elif op == "~~":
        if lhs in raw and rhs in raw:
            num = [s[oi[a], oi[b]] / (lam_of[(lhs, a)] * lam_of[(rhs, b)])
                   for a in raw[lhs] for b in raw[rhs] if a != b
                   and abs(lam_of[(lhs, a)] * lam_of[(rhs, b)]) > 1e-8]
            val = float(np.median(num)) if num else 0.0
            lim = 0.9 * np.sqrt(lv_var[lhs] * lv_var[rhs])
            val = float(np.clip(val, -lim, lim))
    elif op == "~1":
        val = d.mean[oi[lhs]] if mat == NU else 0.0
        if mat == ALPHA and lhs in oi:
            val = d.mean[oi[lhs]]
    elif op == "~" or mat in (BETA, LAM):
        val = 0.0
    return val
