"""Modification indices (lavaan's ``modindices()``) and score tests of cross-group equality
constraints (``lavTestScore()``), ML.

For every loading or covariance the model fixes — at a value (a marker, ``0*x``), or at zero by
leaving it out (a loading ``f =~ x`` of an observed variable not loading on ``f``, a residual
covariance ``x ~~ y``) — the score (Lagrange multiplier) test of freeing it, at the fitted
estimates θ̂ of the model:

    MI = g_j² / (2 V_j),   V_j = H_jj − H_jA H_AA⁻¹ H_Aj,   EPC = −g_j / V_j

where g and H are the gradient and the expected Hessian (Fisher information) of the discrepancy
Σ_g N_g F_g (χ² units) of the model with the candidate freed, evaluated at (θ̂, 0), and A the
model's own free parameters. A parameter whose release would leave the model not identified
(V_j = 0: a marker in a single group) gets no row, as in lavaan. MI is the expected drop in χ² (1 df) when the parameter is freed, EPC
its expected value. ``sepc_lv`` scales the EPC by the latent standard deviation (loadings);
``sepc_all`` also by the observed one (loadings: EPC·sd(f)/sd(x), sd(x) from Σ̂), and residual
covariances by the residual standard deviations (EPC/√|θ_xx θ_yy|), as lavaan standardizes them.
In multi-group models each group's candidates are tested separately (freed in that group only).

:func:`score_tests` releases one equality constraint at a time: the later group's parameter is
written as the common one plus a difference δ, and δ is the candidate (so the model's own
gradient stays zero); X2 = g_δ²/(2V_δ) is lavaan's univariate ``lavTestScore`` statistic.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from coprod.analysis._threads import one_blas_thread
from coprod.analysis._result import jsonable
from coprod.analysis.sem.api import summarize
from coprod.analysis.sem.engine import Engine
from coprod.analysis.sem.model import Model
from coprod.analysis.sem.partable import ParTable, _append

__all__ = ["ModIndicesResult", "modification_indices", "score_tests", "release_statistics", "MI_COLUMNS",
           "SCORE_COLUMNS"]

MI_COLUMNS = ("lhs", "op", "rhs", "group", "mi", "epc", "sepc_lv", "sepc_all")
SCORE_COLUMNS = ("lhs", "op", "rhs", "group", "X2", "df", "pvalue", "epc")
# V_j relative to H_jj below which freeing the parameter is not identified (a Schur complement
# of zero, up to rounding)
_V_TOL = 1e-8


@dataclass(frozen=True, slots=True)
class ModIndicesResult:
    """Modification indices (one row per candidate parameter, lavaan's order) and the fit's meta."""

    table: pd.DataFrame
    warnings: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The table (columns :data:`MI_COLUMNS`)."""
        return self.table.copy()

    def to_dict(self) -> dict:
        """JSON-safe dictionary (NaN → None)."""
        return jsonable({"modindices": self.table, "warnings": list(self.warnings), "meta": self.meta})


@one_blas_thread
def modification_indices(data: pd.DataFrame, model: str, *, group: str | None = None,
                         group_equal: Sequence[str] = (), group_partial: Sequence[str] = (),
                         missing: str = "listwise", minimum: float = 0.0,
                         sort: bool = False) -> ModIndicesResult:
    """Modification indices of a CFA/SEM fitted by ML, as lavaan's ``modindices(fit)``.

    Parameters
    ----------
    data, model, group, group_equal, group_partial, missing
        As :func:`coprod.analysis.sem.fit_sem` (ML).
    minimum : float
        Keep rows with MI at least this (lavaan's ``minimum.value``).
    sort : bool
        Largest MI first (lavaan's ``sort. = TRUE``).

    Returns
    -------
    ModIndicesResult
        ``table`` with columns lhs, op, rhs, group, mi, epc, sepc_lv, sepc_all.

    Notes
    -----
    Checked against lavaan 0.6.14 ``modindices(cfa(model, data))`` (expected information) on
    four single-group models: tests/analysis/test_sem_modindices.py. Formula in the module
    docstring. Released cross-group equality constraints (``lavTestScore``) are not computed.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=500)
    >>> df = pd.DataFrame({f"x{i}": f + rng.normal(size=500) for i in range(1, 7)})
    >>> df["x6"] += 0.8 * (df["x5"] - f)  # a residual covariance the model leaves out
    >>> mi = modification_indices(df, "f =~ x1 + x2 + x3 + x4 + x5 + x6", sort=True)
    >>> mi.table.iloc[0][["lhs", "op", "rhs"]].tolist(), round(float(mi.table.iloc[0]["mi"]), 1)
    (['x5', '~~', 'x6'], 173.1)
    """
    base = Engine(data, model, group=group, group_equal=group_equal, group_partial=group_partial, missing=missing)
    res = summarize(base, compute_se=False)
    meta = {"estimator": "ML", "missing": missing, "information": "expected", "group": group,
            "chisq": res.fit["chisq"], "df": res.fit["df"]}
    if not res.converged or not np.isfinite(res.fit["chisq"]):
        empty = pd.DataFrame(columns=list(MI_COLUMNS))
        return ModIndicesResult(empty, ("modification indices not computed: the model did not converge",), meta)
    ext, cands, cand_idx, origin = _extended(base)
    scores, theta, note = _scores(base, res, ext, cand_idx, origin)
    if note:
        return ModIndicesResult(pd.DataFrame(columns=list(MI_COLUMNS)), (note,), meta)
    rows = []
    scale = _Scales(ext.model, theta, base.groups)
    for c, (g_j, v) in zip(cands, scores):
        # freeing it would leave the model not identified (a marker in a single group): no
        # test, and lavaan drops the row (na.remove)
        if not np.isfinite(v):
            continue
        epc = -g_j / v
        lv, al = scale.sepc(c, epc)
        rows.append({"lhs": c[0], "op": c[1], "rhs": c[2], "group": c[3], "mi": g_j ** 2 / (2.0 * v), "epc": epc,
                     "sepc_lv": lv, "sepc_all": al})
    table = pd.DataFrame(rows, columns=list(MI_COLUMNS))
    table = table[~(table["mi"] < minimum)]
    if sort:
        table = table.sort_values("mi", ascending=False, kind="stable")
    return ModIndicesResult(table.reset_index(drop=True), tuple(res.warnings), meta)


@one_blas_thread
def score_tests(data: pd.DataFrame, model: str, group: str, *, group_equal: Sequence[str],
                group_partial: Sequence[str] = (), missing: str = "listwise") -> ModIndicesResult:
    """Univariate score tests of the cross-group equality constraints (lavaan's ``lavTestScore``).

    Each row tests releasing one constraint: the parameter of a later group (``group``) no longer
    equal to the first group's. ``X2`` (1 df) is the expected drop in χ², ``epc`` the expected
    change of that group's parameter.

    Parameters
    ----------
    data, model, group, group_equal, group_partial, missing
        As :func:`coprod.analysis.sem.fit_sem` (ML, with groups).

    Returns
    -------
    ModIndicesResult
        ``table`` with columns lhs, op, rhs, group, X2, df, pvalue, epc (lavaan's order).

    Notes
    -----
    Checked against lavaan 0.6.14 ``lavTestScore(fit)$uni`` (X2, p-value) on HolzingerSwineford1939
    by school (scalar) and near_zero_marker.csv (metric): tests/analysis/test_sem_modindices.py.
    Same formula as :func:`modification_indices`, the candidate being the released copy.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> f = rng.normal(size=600)
    >>> df = pd.DataFrame({f"x{i}": f + rng.normal(size=600) for i in range(1, 5)})
    >>> df["g"] = np.repeat(["a", "b"], 300)
    >>> df.loc[df["g"] == "b", "x3"] += 0.8 * f[300:]  # x3 loads more in group b
    >>> st = score_tests(df, "f =~ x1 + x2 + x3 + x4", "g", group_equal=["loadings"])
    >>> top = st.table.sort_values("X2").iloc[-1]
    >>> top["rhs"], int(top["group"]), bool(top["pvalue"] < 0.001)
    ('x3', 2, True)
    """
    base = Engine(data, model, group=group, group_equal=group_equal, group_partial=group_partial, missing=missing)
    res = summarize(base, compute_se=False)
    meta = {"estimator": "ML", "missing": missing, "information": "expected", "group": group,
            "group_equal": list(group_equal), "chisq": res.fit["chisq"], "df": res.fit["df"]}
    if not res.converged or not np.isfinite(res.fit["chisq"]):
        return ModIndicesResult(pd.DataFrame(columns=list(SCORE_COLUMNS)),
                                ("score tests not computed: the model did not converge",), meta)
    ext, cands, cand_idx, origin = _released(base)
    scores, _theta, note = _scores(base, res, ext, cand_idx, origin)
    if note:
        return ModIndicesResult(pd.DataFrame(columns=list(SCORE_COLUMNS)), (note,), meta)
    rows = []
    for c, (g_j, v) in zip(cands, scores):
        x2 = g_j ** 2 / (2.0 * v) if np.isfinite(v) else math.nan
        rows.append({"lhs": c[0], "op": c[1], "rhs": c[2], "group": c[3], "X2": x2, "df": 1,
                     "pvalue": float(stats.chi2.sf(x2, 1)) if np.isfinite(x2) else math.nan,
                     "epc": -g_j / v if np.isfinite(v) else math.nan})
    return ModIndicesResult(pd.DataFrame(rows, columns=list(SCORE_COLUMNS)), tuple(res.warnings), meta)


def _scores(base: Engine, res, ext: Engine, cand_idx: list[int],
            origin: list) -> tuple[list[tuple[float, float]], np.ndarray, str]:
    """(g_j, V_j) per candidate at (θ̂, fixed values); V_j NaN where the release is not identified.

    Returns ``(scores, θ of the extended model, note)``; ``note`` is non-empty when nothing could
    be computed."""
    grad, hess, theta, note = _lm_parts(base, res, ext, cand_idx, origin)
    if note or not cand_idx:
        return [], theta, note
    own = np.arange(base.pt.nfree)
    h_aa_inv = np.linalg.pinv(hess[np.ix_(own, own)])
    out = []
    for j in cand_idx:
        h_ja = hess[j, own]
        v = float(hess[j, j] - h_ja @ h_aa_inv @ h_ja)
        out.append((float(grad[j]), v if v > _V_TOL * max(hess[j, j], 1e-300) else math.nan))
    return out, theta, ""


def _lm_parts(base: Engine, res, ext: Engine, cand_idx: list[int], origin: list):
    """Gradient and expected Hessian of the extended model at (θ̂, candidates' starts), in the
    parametrization where a released copy is a difference δ from the common parameter (row =
    common + δ), so that the model's own parameters keep a zero gradient (chain rule through T).

    Returns ``(gradient, Hessian, θ, note)``."""
    theta = _extended_theta(ext.pt.nfree, res.estimates, cand_idx, origin)
    if not cand_idx:
        return None, None, theta, ""
    gdata, _h1 = ext.stats()
    ext.exo_stats(gdata)
    with np.errstate(all="ignore"):
        _f, grad, hess = ext.discrepancy(gdata).value_grad_info(theta)
    if grad is None:
        return None, None, theta, "not computed: implied covariance matrix not positive definite"
    t = np.eye(len(theta))
    for j, o in zip(cand_idx, origin):
        if o[0] == "copy":
            t[j, o[1] - 1] = 1.0
    return t.T @ grad, t.T @ hess @ t, theta, ""


def release_statistics(engine: Engine, res) -> dict[tuple[str, str, str], tuple[float, int]] | None:
    """Score test of releasing each equality-constrained parameter in every later group at once
    (the multivariate ``lavTestScore`` of its G − 1 constraints): ``{(lhs, op, rhs): (X2, df)}``,
    from ``res``, the converged fit of ``engine``; None when it cannot be computed."""
    ext, cands, idx, origin = _released(engine)
    grad, hess, _theta, note = _lm_parts(engine, res, ext, idx, origin)
    if note or grad is None:
        return None
    own = np.arange(engine.pt.nfree)
    h_aa_inv = np.linalg.pinv(hess[np.ix_(own, own)])
    by: dict[tuple[str, str, str], list[int]] = {}
    for c, j in zip(cands, idx):
        by.setdefault(c[:3], []).append(j)
    out = {}
    for key, js in by.items():
        h_da = hess[np.ix_(js, own)]
        v = hess[np.ix_(js, js)] - h_da @ h_aa_inv @ h_da.T
        g = grad[js]
        try:
            out[key] = (float(0.5 * g @ np.linalg.solve(v, g)), len(js))
        except np.linalg.LinAlgError:
            out[key] = (math.nan, len(js))
    return out


def _released(base: Engine) -> tuple[Engine, list[tuple[str, str, str, int]], list[int], list]:
    """The model with each equality-constrained parameter of groups 2..G given its own index
    (its value stays the common estimate), as lavaan's constraints .p1. == .pk. name them."""
    pt = copy.deepcopy(base.pt)
    first: dict[int, int] = {}
    cands, idx, origin = [], [], []
    k = pt.nfree
    for i in pt.rows():
        f = pt.free[i]
        if not f:
            continue
        if f not in first:
            first[f] = pt.group[i]
        elif pt.group[i] != first[f]:
            k += 1
            pt.free[i] = k
            cands.append((pt.lhs[i], pt.op[i], pt.rhs[i], pt.group[i]))
            idx.append(k - 1)
            origin.append(("copy", f))
    pt.nfree = k
    ext = copy.copy(base)
    ext.pt, ext.model = pt, Model(pt)
    return ext, cands, idx, origin


def _extended(base: Engine) -> tuple[Engine, list[tuple[str, str, str, int]], list[int], list]:
    """The model with every candidate free: fixed loadings and (residual) covariances first (in
    the parameter table's order, as lavaan lists them), then the loadings and residual
    covariances the model leaves out, per group. New parameters are numbered after the model's."""
    pt = copy.deepcopy(base.pt)
    vi = pt.vars
    cands, idx, origin = [], [], []
    k = pt.nfree
    for i in pt.rows():
        if not pt.free[i] and not pt.exo[i] and pt.op[i] in ("=~", "~~"):
            k += 1
            pt.free[i] = k
            cands.append((pt.lhs[i], pt.op[i], pt.rhs[i], pt.group[i]))
            idx.append(k - 1)
            origin.append(("value", pt.ustart[i] if np.isfinite(pt.ustart[i]) else 0.0))
    ov = [v for v in vi.ov if v not in vi.ov_x]
    have = {(pt.lhs[i], pt.op[i], pt.rhs[i], pt.group[i]) for i in pt.rows()}
    for g in range(1, pt.ngroups + 1):
        new = [(f, "=~", x) for f in vi.lv for x in ov if (f, "=~", x, g) not in have]
        new += [(ov[a], "~~", ov[b]) for a in range(len(ov)) for b in range(a + 1, len(ov))
                if (ov[a], "~~", ov[b], g) not in have and (ov[b], "~~", ov[a], g) not in have]
        for lhs, op, rhs in new:
            k += 1
            _append(pt, lhs, op, rhs, g, False, "", k, 0.0, False)
            cands.append((lhs, op, rhs, g))
            idx.append(k - 1)
            origin.append(("value", 0.0))
    pt.nfree = k
    ext = copy.copy(base)
    ext.pt, ext.model = pt, Model(pt)
    return ext, cands, idx, origin


def _extended_theta(nfree_ext: int, estimates: pd.DataFrame, cand_idx: list[int], origin: list) -> np.ndarray:
    """θ of the extended model: the fitted estimates, and per candidate its ``origin``: a fixed
    value (0 for what the model leaves out), or the 1-based index of the common parameter a
    released copy starts from."""
    theta = np.zeros(nfree_ext)
    for r in estimates.itertuples():
        if r.op != ":=" and r.free:
            theta[int(r.free) - 1] = r.est
    for j, o in zip(cand_idx, origin):
        theta[j] = theta[o[1] - 1] if o[0] == "copy" else o[1]
    return theta


class _Scales:
    """Standard deviations at θ̂ per group: latent (Cov(η)), observed (Σ̂) and residual (Θ)."""

    def __init__(self, model: Model, theta: np.ndarray, groups: tuple):
        self.model = model
        self.mats = [model.matrices(theta, g) for g in range(len(groups))]
        self.sigma = [m.implied()[0] for m in self.mats]
        self.veta = []
        for m in self.mats:
            a = m.implied()[2]
            self.veta.append(a @ m.psi @ a.T)

    def sepc(self, cand: tuple[str, str, str, int], epc: float) -> tuple[float, float]:
        lhs, op, rhs, g = cand
        g -= 1
        oi, ei = self.model.ov_index, self.model.eta_index
        with np.errstate(invalid="ignore", divide="ignore"):
            if op == "=~":
                sd_f = math.sqrt(self.veta[g][ei[lhs], ei[lhs]]) if self.veta[g][ei[lhs], ei[lhs]] >= 0 else math.nan
                sd_x = math.sqrt(self.sigma[g][oi[rhs], oi[rhs]])
                return epc * sd_f, epc * sd_f / sd_x
            th = self.mats[g].theta
            # lavaan standardizes by √|θ_xx θ_yy|: a negative residual variance (Heywood case)
            # still gives a number
            t = abs(th[oi[lhs], oi[lhs]] * th[oi[rhs], oi[rhs]])
            return epc, epc / math.sqrt(t) if t > 0 else math.nan
