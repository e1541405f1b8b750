"""WLSMV for ordered indicators: lavaan's ``cfa()/sem(..., ordered = items, estimator = "WLSMV")``.

Single group, delta parameterization, all observed variables ordinal and used as indicators of
latent variables (structural regressions among latent variables, residual covariances, labels,
``==`` and ``:=`` are supported). What lavaan 0.6-14 does, and this module repeats:

* Sample statistics s = (τ, ρ): probit thresholds and two-step polychoric correlations with
  their N-scaled asymptotic covariance Γ (:func:`analysis.ordinal.sample_statistics`, lavaan's
  ``muthen1984``); DWLS weights W = diag(Γ)⁻¹.
* Model: Σ* = Λ(I − B)⁻¹Ψ(I − B)⁻ᵀΛᵀ + Θ with unit diagonal; the residual variances of the
  latent responses are not parameters but θ_jj = 1 − [Λ(I − B)⁻¹Ψ(I − B)⁻ᵀΛᵀ]_jj; thresholds are
  free (``x|t1``, …), intercepts and latent means fixed at 0, scales ``x ~*~ x`` fixed at 1.
  The thresholds are saturated and separate from the rest (∂ρ/∂τ = 0, W diagonal), so their
  estimates are the sample thresholds and the structural part minimises Σ w_ρ(ρ − σ(θ))²
  (Gauss–Newton with backtracking, Levenberg–Marquardt as fallback).
* F = (s − σ)ᵀW(s − σ); lavaan's WLS family uses N − 1: χ² = (N − 1)·F, ``fmin`` = χ²/(2N).
* Robust SEs (``se = "robust.sem"``): (ΔᵀWΔ)⁻¹ΔᵀWΓWΔ(ΔᵀWΔ)⁻¹/(N − 1).
* Mean-and-variance adjusted χ² (``test = "scaled.shifted"``): U = W − WΔ(ΔᵀWΔ)⁻¹ΔᵀW,
  a = √(df/tr((UΓ)²)), T = a·χ² + df − a·tr(UΓ); ``chisq.scaling.factor`` = 1/a,
  ``chisq.shift.parameter`` = df − a·tr(UΓ).
* Baseline: independence model (thresholds free, correlations 0), same test statistics.
* ``*.scaled`` fit indices: the usual formulas with the scaled statistics; RMSEA with N − 1
  (lavaan's ``lav_utils_get_ntotal`` for DWLS).
* ``*.robust`` CFI/TLI/RMSEA (lavaan ≥ 0.6-13, Savalei 2021, ``lav_fit_catml_dwls``): the ML
  discrepancy of the polychoric matrix R at the DWLS estimates, XX3 = N·F_ML(R, Σ̂*)
  (baseline: N·(−ln|R|)), and c = tr(UᵀVUΓ_ρ)/df with U = I − Δ_ρ(ΔᵀWΔ)⁻¹Δ_ρᵀW_ρ and V the
  normal-theory (correlation-structure) information at Σ̂*, c_b = tr(Γ_ρ)/df_b; then
  CFI = 1 − max(XX3 − c·df, 0)/max(XX3 − c·df, XX3_b − c_b·df_b, 0) and
  RMSEA = √(max(XX3/(N−1)/df − c/(N−1), 0)). NaN when R is not positive definite (as lavaan).
* SRMR (lavaan's for categorical data, ``srmr_bentler_nomean``): root mean square of the
  polychoric residuals over the p(p+1)/2 lower-triangle elements including the (zero) diagonal.
* loglik, AIC and BIC are not defined for DWLS (NaN, as lavaan).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import optimize

from coprod.analysis.errors import ModelSpecError
from coprod.analysis.ordinal.wls import OrdinalMoments, sample_statistics
from coprod.analysis.sem.dwls_fit import catml, fit_measures, gfi_wrmr, scaled_shifted, srmr
from coprod.analysis.sem.inference import DefinedFunction, r_squared, standardize, wald_table
from coprod.analysis.sem.ml import GroupData
from coprod.analysis.sem.model import Model
from coprod.analysis.sem.partable import ParTable, build_partable
from coprod.analysis.sem.results import DEFINED_COLUMNS, ESTIMATE_COLUMNS, SemResult
from coprod.analysis.sem.start import start_values
from coprod.analysis.sem.syntax import parse_model

__all__ = ["fit_wlsmv", "resolve_ordered"]

_R_CALL = 'cfa(model, data, ordered = items, estimator = "WLSMV")  # lavaan 0.6-14, delta parameterization'


# ----------------------------------------------------------------------------- preparation
def resolve_ordered(ordered, ov: Sequence[str], columns: Sequence[str]) -> list[str]:
    """The model's ordered observed variables: ``True`` = all of ``ov``; a list is checked."""
    if ordered is True:
        return list(ov)
    if isinstance(ordered, str):
        ordered = [ordered]
    try:
        names = [str(v) for v in ordered]
    except TypeError:
        raise ModelSpecError(f"ordered must be True or a list of column names, not {ordered!r}") from None
    unknown = [v for v in names if v not in columns]
    if unknown:
        raise ModelSpecError(f"ordered: {unknown} not among the data columns")
    return [v for v in ov if v in set(names)]


def _restrict_partable(pt: ParTable) -> tuple[list[int], list[str]]:
    """Fix the residual variances of the indicators (delta parameterization) and renumber the
    free parameters. Returns the rows of those variances and warnings."""
    ov = set(pt.vars.ov)
    warnings = []
    rows = [i for i in pt.rows() if pt.op[i] == "~~" and pt.lhs[i] == pt.rhs[i] and pt.lhs[i] in ov]
    user_set = [pt.lhs[i] for i in rows if pt.user[i]]
    if user_set:
        warnings.append("residual variances of ordered indicators are not parameters in the delta "
                        f"parameterization (1 − explained variance); ignored for {user_set}")
    for i in rows:
        pt.free[i] = 0
        pt.ustart[i] = 0.0
        pt.label[i] = pt.label[i] if pt.user[i] else ""
    # renumber the remaining free indices in order of first appearance
    mapping: dict[int, int] = {}
    for i in range(len(pt)):
        k = pt.free[i]
        if k:
            if k not in mapping:
                mapping[k] = len(mapping) + 1
            pt.free[i] = mapping[k]
    pt.nfree = len(mapping)
    return rows, warnings


def _check_structure(pt: ParTable, model: Model) -> None:
    vi = pt.vars
    problems = []
    if vi.ov_x:
        problems.append(f"exogenous observed covariates {list(vi.ov_x)}")
    if model.phantom:
        problems.append(f"observed variables in regressions or covariances with latent variables "
                        f"{list(model.phantom)}")
    not_ind = [v for v in vi.ov if v not in vi.ov_ind]
    if not_ind and not model.phantom:
        problems.append(f"observed variables that are not indicators of a latent variable {not_ind}")
    if any(pt.op[i] == "~1" for i in pt.rows()):
        problems.append("intercepts (~1): for ordered indicators they are fixed at 0 and the "
                        "thresholds are estimated instead")
    if problems:
        raise ModelSpecError("WLSMV with ordered indicators supports CFA/SEM whose observed variables "
                             "are all ordered indicators of latent variables; this model has "
                             + "; ".join(problems))


# ----------------------------------------------------------------------------- the structural part
class _Structure:
    """σ(θ) = off-diagonal implied correlations in the order of the sample correlations."""

    def __init__(self, model: Model, pairs: Sequence[tuple[str, str]]):
        self.model = model
        oi = model.ov_index
        self.i = np.array([oi[a] for a, _ in pairs], dtype=int)
        self.j = np.array([oi[b] for _, b in pairs], dtype=int)

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        s = self.model.matrices(theta, 0).implied()[0]
        return s[self.i, self.j]

    def jac(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s, _, ds, _ = self.model.jacobian(theta, 0)
        return s[self.i, self.j], ds[:, self.i, self.j].T


def _gauss_newton(st: _Structure, r: np.ndarray, w: np.ndarray, theta: np.ndarray,
                  maxit: int = 500, tol: float = 1e-15):
    def f_of(t):
        with np.errstate(all="ignore"):
            e = r - st.sigma(t)
        v = float(e @ (w * e))
        return v if np.isfinite(v) else np.inf

    f = f_of(theta)
    for it in range(1, maxit + 1):
        sig, J = st.jac(theta)
        e = r - sig
        WJ = w[:, None] * J
        g = WJ.T @ e
        H = J.T @ WJ
        d = np.sqrt(np.clip(np.diag(H), 1e-300, None))
        try:
            step = np.linalg.solve(H / np.outer(d, d) + 1e-12 * np.eye(len(g)), g / d) / d
        except np.linalg.LinAlgError:
            return theta, f, False, it, "singular Gauss-Newton system"
        dec = float(g @ step)
        if not np.isfinite(dec):
            return theta, f, False, it, "non-finite step"
        if dec < tol * max(1.0, f):
            return theta, f, True, it, "converged"
        t = 1.0
        while True:
            new = theta + t * step
            fn = f_of(new)
            if fn <= f - 0.5e-4 * t * dec:
                break
            t *= 0.5
            if t < 1e-10:
                ok = dec < 1e-10 * max(1.0, f)
                return theta, f, ok, it, "converged" if ok else "line search failed"
        theta, f = new, fn
    return theta, f, False, maxit, f"no convergence in {maxit} iterations"


def _minimize(st: _Structure, r, w, start):
    theta, f, ok, it, msg = _gauss_newton(st, r, w, np.asarray(start, float).copy())
    if ok:
        return theta, f, ok, it, msg
    sw = np.sqrt(w)

    def resid(t):
        with np.errstate(all="ignore"):
            out = sw * (r - st.sigma(t))
        return np.where(np.isfinite(out), out, 1e10)

    def jac(t):
        return -sw[:, None] * st.jac(t)[1]

    try:
        x0 = theta if np.isfinite(f) else np.asarray(start, float)
        res = optimize.least_squares(resid, x0, jac=jac, method="lm", xtol=1e-15, ftol=1e-15,
                                     gtol=1e-15, max_nfev=20000)
        t2, f2, ok2, it2, msg2 = _gauss_newton(st, r, w, res.x)
    except (ValueError, np.linalg.LinAlgError):
        return theta, f, False, it, msg
    if ok2 or f2 < f:
        return t2, f2, ok2, it + it2, msg2 if ok2 else f"{msg}; after Levenberg-Marquardt: {msg2}"
    return theta, f, False, it, msg


# ----------------------------------------------------------------------------- main
def fit_wlsmv(data: pd.DataFrame, model: str, *, ordered=True, group: str | None = None,
              missing: str = "listwise", bootstrap: int = 0, group_equal=(), group_partial=()) -> SemResult:
    """Fit ``model`` to ordered indicators by WLSMV (see module docstring); used by ``fit_sem``."""
    _check_options(data, group=group, missing=missing, bootstrap=bootstrap, group_equal=group_equal,
                   group_partial=group_partial)
    pt, mdl, ov, res_rows, warnings = _prepare_model(data, model, ordered)
    s = _sample(data, ov, mdl)
    warnings += [w for w in s.m.warnings]
    n, nth, q = s.n, s.nth, pt.nfree
    npar = nth + q
    df = nth + s.P - npar
    if df < 0:
        warnings.append(f"model is not identified: {npar} free parameters but only {nth + s.P} sample "
                        f"statistics (df = {df})")
    if np.any(s.wr == 0):
        warnings.append("some polychoric correlations have zero weight (degenerate Γ)")

    st = _Structure(mdl, s.m.correlation_pairs)
    start = start_values(mdl, [GroupData(n, np.zeros(len(ov)), s.R)])
    theta, fval, converged, iters, message = _minimize(st, s.r, s.wr, start)
    if not converged:
        warnings.append(f"model did not converge: {message}")
    finite = np.isfinite(fval)

    full, gm, sigma, a_mat = _complete_model(pt, mdl, theta, res_rows)
    inf = _inference(st, theta, s, q, finite)
    if inf.se_msg:
        warnings.append(inf.se_msg)
    fit, cat = _fit_statistics(s, inf, sigma, df=df, npar=npar, finite=finite)
    if cat["note"]:
        warnings.append(cat["note"])
    if df < 0:
        for k, v in list(fit.items()):
            if isinstance(v, float) and k not in ("rmsea_ci_level",):
                fit[k] = math.nan
    lv_idx, veta_all = _latent_covariance(full, gm, a_mat)
    warnings += _admissibility_warnings(pt, res_rows, lv_idx, veta_all, sigma)

    table, defined, vcov_df = _tables(pt, full, theta, s.m, inf.vcov_s, inf.vfull, nth)
    r2 = r_squared(full, theta) if finite else {}
    r2 = r2[0] if isinstance(r2, list) else r2
    implied = {"all": (pd.DataFrame(sigma, index=ov, columns=ov), pd.Series(np.zeros(len(ov)), index=ov))}
    latent = {"all": pd.DataFrame(veta_all[np.ix_(lv_idx, lv_idx)], index=full.lv, columns=full.lv)}
    return SemResult(fit=fit, estimates=table, defined=defined, r2=r2, converged=bool(converged),
                     warnings=tuple(dict.fromkeys(warnings)), n_used=int(n), n_dropped=int(len(data) - n),
                     groups=("all",), bootstrap_info={"n_requested": 0, "n_converged": 0, "n_failed": 0,
                                                      "seed": None},
                     implied=implied, latent=latent, vcov=vcov_df,
                     meta=_meta(s, ov, cat, iters=iters, message=message))


def _check_options(data, *, group, missing, bootstrap, group_equal, group_partial) -> None:
    """What WLSMV does not support yet, as clear errors before any work."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    if group is not None or group_equal or group_partial:
        raise ModelSpecError("multi-group WLSMV (ordered indicators with group=) is not supported yet; "
                             "fit each group separately or use estimator='ML'")
    if missing != "listwise":
        raise ModelSpecError(f"missing='{missing}' is not supported with ordered indicators: FIML is a "
                             "normal-theory method (lavaan uses pairwise deletion for WLSMV); use "
                             "missing='listwise'")
    if bootstrap:
        raise ModelSpecError("bootstrap is not supported with estimator='WLSMV'")


def _prepare_model(data: pd.DataFrame, model: str, ordered):
    """Parameter table in the delta parameterization and its structural model.

    Returns ``(pt, model, ov, rows of the indicators' residual variances, warnings)``."""
    pm = parse_model(model)
    pt, warnings = build_partable(pm, list(data.columns), ngroups=1, meanstructure=False)
    ov = list(pt.vars.ov)
    ord_items = resolve_ordered(ordered, ov, list(data.columns))
    cont = [v for v in ov if v not in ord_items]
    if cont:
        raise ModelSpecError(f"observed variables {cont} are not in ordered=: mixing continuous and ordered "
                             "indicators is not supported with WLSMV; declare every indicator ordered")
    res_rows, w2 = _restrict_partable(pt)
    warnings += w2
    mdl = Model(pt)
    _check_structure(pt, mdl)
    return pt, mdl, ov, res_rows, warnings


@dataclass(frozen=True)
class _Sample:
    """Sample statistics as the estimator uses them: thresholds (``nth`` of them) fit exactly,
    so the structural part sees the correlations ``r``, their weights ``wr`` and Γ block ``G``."""

    m: OrdinalMoments
    n: int
    nth: int
    r: np.ndarray
    wr: np.ndarray
    G: np.ndarray
    ii: np.ndarray  # row / column of each correlation in the implied matrix
    jj: np.ndarray
    R: np.ndarray  # the polychoric matrix in the model's variable order

    @property
    def P(self) -> int:
        return len(self.r)


def _sample(data: pd.DataFrame, ov: list[str], mdl: Model) -> _Sample:
    m: OrdinalMoments = sample_statistics(data, ov)
    if list(m.items) != ov:
        single = [v for v in ov if v not in m.items]
        raise ModelSpecError(f"ordered item(s) {single} have a single observed category (no variance) in the "
                             "complete rows: they carry no information for thresholds or polychoric "
                             "correlations; drop them from the model")
    nth = len(m.thresholds)
    return _Sample(
        m=m, n=m.n, nth=nth, r=m.correlations, wr=m.weights[nth:], G=m.gamma[nth:, nth:],
        ii=np.array([mdl.ov_index[a] for a, _ in m.correlation_pairs], dtype=int),
        jj=np.array([mdl.ov_index[b] for _, b in m.correlation_pairs], dtype=int),
        R=m.correlation_matrix.loc[ov, ov].to_numpy())


def _complete_model(pt: ParTable, mdl: Model, theta: np.ndarray, res_rows: list[int]):
    """Set the residual variances of the latent responses (1 − explained), then the full model.

    Returns ``(full model, its matrices, implied Σ*, (I − B)⁻¹)``."""
    sig0 = mdl.matrices(theta, 0).implied()[0]
    for i in res_rows:
        j = mdl.ov_index[pt.lhs[i]]
        pt.ustart[i] = float(1.0 - sig0[j, j])
    full = Model(pt)
    gm = full.matrices(theta, 0)
    sigma, _, a_mat = gm.implied()
    return full, gm, sigma, a_mat


@dataclass(frozen=True)
class _Inference:
    """Robust (sandwich) covariance of the estimates and the pieces the tests reuse."""

    sig_s: np.ndarray  # σ(θ̂)
    D: np.ndarray  # Δ = ∂σ/∂θ
    WD: np.ndarray
    A: np.ndarray | None  # (ΔᵀWΔ)⁻¹; None when singular or not computed
    vcov_s: np.ndarray  # structural parameters
    vfull: np.ndarray  # thresholds first, then structural
    se_msg: str | None


def _inference(st: _Structure, theta: np.ndarray, s: _Sample, q: int, finite) -> _Inference:
    n, nth, wr, G = s.n, s.nth, s.wr, s.G
    sig_s, D = st.jac(theta)
    WD = wr[:, None] * D
    info = D.T @ WD
    vcov_s = np.full((q, q), np.nan)
    H = None
    A = None
    se_msg = None
    if q and finite:
        dsc = np.sqrt(np.clip(np.diag(info), 1e-300, None))
        ev = np.linalg.eigvalsh(info / np.outer(dsc, dsc))
        if ev.min() <= 1e-10 * max(ev.max(), 1e-300):
            se_msg = (f"information matrix is singular (smallest eigenvalue {ev.min():.3g}): the model may "
                      "not be identified; standard errors and scaled tests not computed")
        else:
            A = np.linalg.inv(info / np.outer(dsc, dsc)) / np.outer(dsc, dsc)
            A = 0.5 * (A + A.T)
            H = A @ WD.T  # q × P
            vcov_s = H @ G @ H.T / (n - 1)
    elif q == 0:
        A = np.zeros((0, 0))
        H = np.zeros((0, s.P))
        vcov_s = np.zeros((0, 0))
    # full covariance (thresholds first, then structural): H_full = diag(I, H), H_full Γ H_fullᵀ/(N − 1)
    vfull = np.full((nth + q, nth + q), np.nan)
    vfull[:nth, :nth] = s.m.gamma[:nth, :nth] / (n - 1)
    if H is not None:
        cross = s.m.gamma[:nth, nth:] @ H.T / (n - 1)
        vfull[:nth, nth:] = cross
        vfull[nth:, :nth] = cross.T
        vfull[nth:, nth:] = vcov_s
    return _Inference(sig_s=sig_s, D=D, WD=WD, A=A, vcov_s=vcov_s, vfull=vfull, se_msg=se_msg)


def _fit_statistics(s: _Sample, inf: _Inference, sigma: np.ndarray, *, df: int, npar: int,
                    finite) -> tuple[dict, dict]:
    """χ², the scaled-shifted tests of the model and the baseline, catML, then fitMeasures."""
    n, r, wr, G, A = s.n, s.r, s.wr, s.G, inf.A
    e = r - inf.sig_s
    F = float(e @ (wr * e))
    chisq = (n - 1) * F if finite else math.nan
    if A is not None:
        UG = wr[:, None] * G - inf.WD @ (A @ (inf.WD.T @ G))  # (W − WΔAΔᵀW)Γ
        test = scaled_shifted(chisq, df, UG)
    else:
        test = scaled_shifted(math.nan, df, np.zeros((1, 1)))
    base_chisq = (n - 1) * float(r @ (wr * r))
    base_test = scaled_shifted(base_chisq, s.P, wr[:, None] * G)
    if A is not None and finite:
        cat = catml(s.R, sigma, n, inf.D, A, wr, G, s.ii, s.jj, df)
    else:
        cat = {"xx3": math.nan, "c": math.nan, "xx3_null": math.nan, "c_null": math.nan, "note": None}
    with np.errstate(all="ignore"):
        fit = fit_measures(chisq=chisq, df=df, n=n, npar=npar, test=test, base_chisq=base_chisq,
                           base_df=s.P, base_test=base_test, cat=cat, srmr_vals=srmr(s.R, sigma, s.nth),
                           other=gfi_wrmr(s.m, r, inf.sig_s, chisq, df))
    return fit, cat


def _latent_covariance(full: Model, gm, a_mat: np.ndarray) -> tuple[list[int], np.ndarray]:
    lv_idx = [full.eta_index[v] for v in full.lv]
    return lv_idx, a_mat @ gm.psi @ a_mat.T


def _admissibility_warnings(pt: ParTable, res_rows: list[int], lv_idx: list[int], veta_all: np.ndarray,
                            sigma: np.ndarray) -> list[str]:
    """Heywood cases and non-positive-definite latent or implied matrices."""
    warnings = []
    neg = [pt.lhs[i] for i in res_rows if pt.ustart[i] < 0]
    if neg:
        warnings.append("negative residual variance(s) of latent responses (Heywood case; solution not "
                        f"admissible): {', '.join(neg)}")
    if lv_idx:
        veta = veta_all[np.ix_(lv_idx, lv_idx)]
        if np.all(np.isfinite(veta)) and np.linalg.eigvalsh(veta).min() < -1e-10:
            warnings.append("covariance matrix of the latent variables is not positive definite")
    if np.all(np.isfinite(sigma)) and np.linalg.eigvalsh(sigma).min() <= 0:
        warnings.append("model-implied correlation matrix of the latent responses is not positive definite")
    return warnings


def _meta(s: _Sample, ov: list[str], cat: dict, *, iters, message) -> dict:
    m, n, R = s.m, s.n, s.R
    return {
        "estimator": "WLSMV", "parameterization": "delta", "missing": "listwise", "meanstructure": True,
        "information": "expected", "se": "robust.sem", "test": "scaled.shifted",
        "iterations": iters, "optimizer_message": message, "group": None,
        "group_counts": {"all": int(n)}, "ordered": list(ov), "r_call": _R_CALL,
        "sample": {"n": int(n), "thresholds": dict(zip(m.threshold_names, map(float, m.thresholds))),
                   "correlation": {a: {b: float(R[i, j]) for j, b in enumerate(ov)} for i, a in enumerate(ov)}},
        "robust_fit": {"method": "catML (Savalei 2021), lavaan lav_fit_catml_dwls", "chisq_catml": cat["xx3"],
                       "c_hat": cat["c"], "baseline_chisq_catml": cat["xx3_null"], "c_hat_baseline": cat["c_null"]},
    }


def _tables(pt: ParTable, model: Model, theta: np.ndarray, m: OrdinalMoments, vcov_s: np.ndarray,
            vfull: np.ndarray, nth: int):
    """Estimates in lavaan's row order: user rows, thresholds, other (co)variances, ~*~, ~1, :=."""
    dfun = DefinedFunction(pt)
    std_lv, std_all = standardize(model, theta, dfun)
    recs = _records(pt, model, theta, m, vcov_s, vfull, nth, std_lv, std_all)

    # free numbering in table order (lavaan's), vcov in that order
    order: dict[tuple, int] = {}
    for rec in recs:
        if rec[-1] is not None and rec[-1] not in order:
            order[rec[-1]] = len(order) + 1
    pos = [(nth + k if kind == "s" else k) for kind, k in order]
    vcov = vfull[np.ix_(pos, pos)] if pos else np.zeros((0, 0))
    est = np.array([rec[5] for rec in recs], float)
    se = np.array([rec[6] for rec in recs], float)
    wald = wald_table(est, se)
    fixed = np.array([rec[-1] is None for rec in recs])
    for k in ("z", "pvalue"):
        wald[k][fixed] = np.nan
    table = pd.DataFrame({
        "lhs": [x[0] for x in recs], "op": [x[1] for x in recs], "rhs": [x[2] for x in recs],
        "group": [x[3] for x in recs], "label": [x[4] for x in recs], "est": est, "se": se,
        "z": wald["z"], "pvalue": wald["pvalue"], "ci_lower": wald["ci_lower"], "ci_upper": wald["ci_upper"],
        "std_lv": [x[7] for x in recs], "std_all": [x[8] for x in recs],
        "free": [order[x[-1]] if x[-1] is not None else 0 for x in recs]}, columns=list(ESTIMATE_COLUMNS))
    table, defined = _with_defined(table, pt, model, theta, vcov_s, dfun, std_lv, std_all)
    k = len(order)
    vc = pd.DataFrame(vcov, index=range(1, k + 1), columns=range(1, k + 1))
    return table, defined, vc


def _records(pt: ParTable, model: Model, theta: np.ndarray, m: OrdinalMoments, vcov_s: np.ndarray,
             vfull: np.ndarray, nth: int, std_lv: np.ndarray, std_all: np.ndarray) -> list[tuple]:
    """One ``(lhs, op, rhs, group, label, est, se, std_lv, std_all, key)`` per row, in lavaan's order;
    ``key`` locates a free parameter (``("s", k)`` structural, ``("t", k)`` threshold), None if fixed."""
    rows = pt.rows()
    est_pt = model.row_values(theta)
    q = pt.nfree
    se_s = np.sqrt(np.where(np.diag(vcov_s) >= 0, np.diag(vcov_s), np.nan)) if q else np.zeros(0)
    se_th = np.sqrt(np.clip(np.diag(vfull)[:nth], 0, None))

    recs = []  # (lhs, op, rhs, group, label, est, se, std_lv, std_all, key)

    def pt_row(i):
        k = pt.free[i]
        se = se_s[k - 1] if k else 0.0
        recs.append((pt.lhs[i], pt.op[i], pt.rhs[i], 1, pt.label[i], est_pt[i], se, std_lv[i], std_all[i],
                     ("s", k - 1) if k else None))

    user = [i for i in rows if pt.user[i]]
    other = [i for i in rows if not pt.user[i]]
    for i in user:
        pt_row(i)
    for t, name in enumerate(m.threshold_names):
        item, tk = name.split("|")
        v = float(m.thresholds[t])
        recs.append((item, "|", tk, 1, "", v, se_th[t], v, v, ("t", t)))
    for i in other:
        pt_row(i)
    for v in model.ov:
        recs.append((v, "~*~", v, 1, "", 1.0, 0.0, 1.0, 1.0, None))
    for v in list(model.ov) + list(model.lv):
        recs.append((v, "~1", "", 1, "", 0.0, 0.0, 0.0, 0.0, None))
    return recs


def _with_defined(table: pd.DataFrame, pt: ParTable, model: Model, theta: np.ndarray, vcov_s: np.ndarray,
                  dfun: DefinedFunction, std_lv: np.ndarray, std_all: np.ndarray):
    """Append the ``:=`` rows (delta-method SEs) to ``table``; returns it and the defined table."""
    def_idx = [i for i in range(len(pt)) if pt.op[i] == ":="]
    if not def_idx:
        return table, pd.DataFrame(columns=list(DEFINED_COLUMNS))
    d_est = dfun(theta, model)
    jac = dfun.jacobian(theta, model)
    d_se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, vcov_s, jac), 0.0))
    dw = wald_table(d_est, d_se)
    d_table = pd.DataFrame({"lhs": [pt.lhs[i] for i in def_idx], "op": ":=", "rhs": [pt.rhs[i] for i in def_idx],
                            "group": 0, "label": [pt.label[i] for i in def_idx], "est": d_est, "se": d_se,
                            "z": dw["z"], "pvalue": dw["pvalue"], "ci_lower": dw["ci_lower"],
                            "ci_upper": dw["ci_upper"], "std_lv": std_lv[def_idx], "std_all": std_all[def_idx],
                            "free": 0}, columns=list(ESTIMATE_COLUMNS))
    table = pd.concat([table, d_table], ignore_index=True)
    defined = pd.DataFrame({"name": [pt.lhs[i] for i in def_idx], "est": d_est, "se": d_se, "z": dw["z"],
                            "pvalue": dw["pvalue"], "ci_lower": dw["ci_lower"], "ci_upper": dw["ci_upper"],
                            "boot_se": np.nan, "boot_ci_lower": np.nan, "boot_ci_upper": np.nan},
                           columns=list(DEFINED_COLUMNS))
    return table, defined
