"""Starting values.

Like lavaan's defaults in spirit (observed intercepts at the sample means, latent means 0,
regressions 0, residual variances from the observed variances), with loadings and factor
(co)variances from a one-step principal-axis solution per factor so that Fisher scoring starts
near the optimum. Parameters that share a free index (equality constraints) start at the mean of
their per-group values; user ``start()`` values win.
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


def start_values(model: Model, data: list[GroupData]) -> np.ndarray:
    """Starting θ for ``model`` given per-group sample statistics."""
    pt = model.pt
    q = model.nfree
    acc, cnt = np.zeros(q), np.zeros(q)
    for g, d in enumerate(data):
        rows = pt.rows(g + 1)
        fs = _factor_starts(model, rows, d.cov)
        for i in rows:
            k = pt.free[i] - 1
            if k < 0:
                continue
            acc[k] += _row_start(model, i, d, fs)
            cnt[k] += 1
    out = np.where(cnt > 0, acc / np.maximum(cnt, 1), 0.0)
    return out


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
