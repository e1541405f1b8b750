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
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from coprod.analysis.errors import ModelSpecError
from coprod.analysis.ordinal.wls import OrdinalMoments, sample_statistics
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


# ----------------------------------------------------------------------------- test statistics
def _scaled_shifted(chisq: float, df: int, UG: np.ndarray) -> dict:
    tr1 = float(np.trace(UG))
    tr2 = float(np.sum(UG * UG.T))  # tr((UΓ)²)
    if df <= 0 or not (tr2 > 0) or not np.isfinite(chisq):
        nan = math.nan
        return {"stat": nan if df > 0 else chisq, "df": df, "pvalue": nan if df > 0 else math.nan,
                "scaling_factor": nan, "shift": nan, "trace_ug": tr1, "trace_ug2": tr2}
    a = math.sqrt(df / tr2)
    shift = df - a * tr1
    stat = a * chisq + shift
    return {"stat": stat, "df": df, "pvalue": float(stats.chi2.sf(stat, df)), "scaling_factor": 1.0 / a,
            "shift": shift, "trace_ug": tr1, "trace_ug2": tr2}


def _cfi(x2, df, x2b, dfb, c=1.0, cb=1.0):
    if not all(np.isfinite([x2, df, x2b, dfb, c, cb])):
        return math.nan
    t1 = max(x2 - c * df, 0.0)
    t2 = max(x2 - c * df, x2b - cb * dfb, 0.0)
    if math.isclose(t1, 0.0, abs_tol=1.5e-8) and math.isclose(t2, 0.0, abs_tol=1.5e-8):
        return 1.0
    return 1.0 - t1 / t2


def _rni(x2, df, x2b, dfb, c=1.0, cb=1.0):
    if not all(np.isfinite([x2, df, x2b, dfb, c, cb])):
        return math.nan
    t1, t2 = x2 - c * df, x2b - cb * dfb
    return math.nan if math.isclose(t2, 0.0, abs_tol=1.5e-8) else 1.0 - t1 / t2


def _tli(x2, df, x2b, dfb, c=1.0, cb=1.0):
    if not all(np.isfinite([x2, df, x2b, dfb, c, cb])):
        return math.nan
    t1 = (x2 - c * df) * dfb
    t2 = (x2b - cb * dfb) * df
    return 1.0 - t1 / t2 if df > 0 and abs(t2) > 0 else 1.0


def _nfi(x2, df, x2b, dfb):
    if df > dfb or x2b == 0:
        return math.nan
    return (x2b - x2) / x2b if df > 0 else 1.0


def _rfi(x2, df, x2b, dfb):
    if df > dfb:
        return math.nan
    if df > 0 and dfb > 0:
        t1, t2 = x2b / dfb - x2 / df, x2b / dfb
        return 1.0 if (t1 < 0 or t2 < 0) else t1 / t2
    return 1.0


def _pnfi(x2, df, x2b, dfb):
    return (df / dfb) * (x2b - x2) / x2b if dfb > 0 and x2b > 0 else math.nan


def _ifi(x2, df, x2b, dfb):
    t1, t2 = x2b - x2, x2b - df
    if t2 < 0:
        return 1.0
    return math.nan if t2 == 0 else t1 / t2


def _rmsea(x2, df, n, c=1.0):
    if not (np.isfinite(x2) and np.isfinite(c)):
        return math.nan
    return math.sqrt(max((x2 / n) / df - c / n, 0.0)) if df > 0 else 0.0


def _rmsea_ci(x2, df, n, c=1.0, level=0.90):
    """lavaan's ``lav_fit_rmsea_ci`` (bounds √(c·λ/(N·df)) from the non-central χ²)."""
    if not (np.isfinite(x2) and np.isfinite(c)) or df < 1:
        return (math.nan, math.nan) if not np.isfinite(x2) else (0.0, 0.0)
    up, lo = 1 - (1 - level) / 2, (1 - level) / 2
    f_lo = lambda lam: stats.ncx2.cdf(x2, df, lam) - up if lam > 0 else stats.chi2.cdf(x2, df) - up  # noqa: E731
    f_up = lambda lam: stats.ncx2.cdf(x2, df, lam) - lo if lam > 0 else stats.chi2.cdf(x2, df) - lo  # noqa: E731
    if f_lo(0.0) < 0:
        lower = 0.0
    else:
        try:
            lam = optimize.brentq(f_lo, 0.0, x2, xtol=1e-12, rtol=1e-12)
            lower = math.sqrt(c * lam / (n * df))
        except ValueError:
            lower = math.nan
    n_r = max(n, 4 * x2)
    if f_up(n_r) > 0 or f_up(0.0) < 0:
        upper = 0.0
    else:
        try:
            lam = optimize.brentq(f_up, 0.0, n_r, xtol=1e-12, rtol=1e-12)
            upper = math.sqrt(c * lam / (n * df))
        except ValueError:
            upper = math.nan
    return lower, upper


def _rmsea_p(x2, df, n, c=1.0, h0=0.05, close=True):
    if not (np.isfinite(x2) and np.isfinite(c)) or df <= 0:
        return math.nan
    ncp = n * df * h0 ** 2 / c
    return float(stats.ncx2.sf(x2, df, ncp) if close else stats.ncx2.cdf(x2, df, ncp))


def _catml(R: np.ndarray, sigma: np.ndarray, n: int, D: np.ndarray, A: np.ndarray, w: np.ndarray,
           G: np.ndarray, ii: np.ndarray, jj: np.ndarray, df: int) -> dict:
    """lavaan's ``lav_fit_catml_dwls``: ingredients of the robust CFI/TLI/RMSEA."""
    nan = {"xx3": math.nan, "c": math.nan, "xx3_null": math.nan, "c_null": math.nan, "note": None}
    p = len(R)
    ev = np.linalg.eigvalsh(R)
    if ev.min() < math.sqrt(np.finfo(float).eps):
        nan["note"] = ("the polychoric correlation matrix is not positive definite: robust CFI/TLI/RMSEA "
                       "not computed (lavaan gives NA)")
        return nan
    try:
        Sinv = np.linalg.inv(sigma)
        sgn, ld_sig = np.linalg.slogdet(sigma)
        if sgn <= 0:
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        nan["note"] = "model-implied correlation matrix not positive definite: robust fit indices not computed"
        return nan
    ld_r = float(np.sum(np.log(ev)))
    xx3 = n * (ld_sig + float(np.sum(R * Sinv)) - ld_r - p)
    V = Sinv[np.ix_(ii, ii)] * Sinv[np.ix_(jj, jj)] + Sinv[np.ix_(ii, jj)] * Sinv[np.ix_(jj, ii)]
    # tr(UᵀVUΓ) with U = I − K Mᵀ, K = ΔA, M = WΔ, expanded so that no P×P×P product is needed
    K, M = D @ A, w[:, None] * D
    VK, GM = V @ K, G @ M
    ks = float(np.sum(V * G) - np.sum(M * (G @ VK)) - np.sum(K * (V @ GM))
               + np.sum((K.T @ VK) * (M.T @ GM).T))
    dfb = len(w)
    return {"xx3": xx3, "c": ks / df if df > 0 else math.nan, "xx3_null": -n * ld_r,
            "c_null": float(np.trace(G)) / dfb, "note": None}


def _fit_measures(*, chisq, df, n, npar, test, base_chisq, base_df, base_test, cat, srmr_vals,
                  other) -> dict:
    n1 = n - 1  # lavaan: N − G for the WLS family
    x2s, x2bs = test["stat"], base_test["stat"]
    pval = float(stats.chi2.sf(chisq, df)) if df > 0 else (1.0 if df == 0 else math.nan)
    out = {
        "chisq": chisq, "df": int(df), "pvalue": pval,
        "chisq_scaled": x2s, "df_scaled": int(df), "pvalue_scaled": test["pvalue"],
        "chisq_scaling_factor": test["scaling_factor"], "chisq_shift_parameter": test["shift"],
        "baseline_chisq": base_chisq, "baseline_df": int(base_df),
        "baseline_pvalue": float(stats.chi2.sf(base_chisq, base_df)) if base_df > 0 else math.nan,
        "baseline_chisq_scaled": x2bs, "baseline_df_scaled": int(base_df),
        "baseline_pvalue_scaled": base_test["pvalue"],
        "baseline_chisq_scaling_factor": base_test["scaling_factor"],
    }
    args, sargs = (chisq, df, base_chisq, base_df), (x2s, df, x2bs, base_df)
    xx3, c, xx3b, cb = cat["xx3"], cat["c"], cat["xx3_null"], cat["c_null"]
    rargs = (xx3, df, xx3b, base_df, c, cb)
    out.update({
        "cfi": _cfi(*args), "tli": _tli(*args), "cfi_scaled": _cfi(*sargs), "tli_scaled": _tli(*sargs),
        "cfi_robust": _cfi(*rargs), "tli_robust": _tli(*rargs),
        "nnfi": _tli(*args), "rfi": _rfi(*args), "nfi": _nfi(*args), "pnfi": _pnfi(*args),
        "ifi": _ifi(*args), "rni": _rni(*args),
        "nnfi_scaled": _tli(*sargs), "rfi_scaled": _rfi(*sargs), "nfi_scaled": _nfi(*sargs),
        "pnfi_scaled": _pnfi(*sargs), "ifi_scaled": _ifi(*sargs), "rni_scaled": _rni(*sargs),
        "nnfi_robust": _tli(*rargs), "rni_robust": _rni(*rargs),
    })
    xx3_scaled = xx3 / c if np.isfinite(c) and c != 0 else math.nan
    lo, hi = _rmsea_ci(chisq, df, n1)
    lo_s, hi_s = _rmsea_ci(x2s, df, n1)
    lo_r, hi_r = _rmsea_ci(xx3_scaled, df, n1, c)
    out.update({
        "rmsea": _rmsea(chisq, df, n1), "rmsea_ci_lower": lo, "rmsea_ci_upper": hi, "rmsea_ci_level": 0.90,
        "rmsea_pvalue": _rmsea_p(chisq, df, n1), "rmsea_notclose_pvalue": _rmsea_p(chisq, df, n1, h0=0.08, close=False),
        "rmsea_scaled": _rmsea(x2s, df, n1), "rmsea_ci_lower_scaled": lo_s, "rmsea_ci_upper_scaled": hi_s,
        "rmsea_pvalue_scaled": _rmsea_p(x2s, df, n1),
        "rmsea_notclose_pvalue_scaled": _rmsea_p(x2s, df, n1, h0=0.08, close=False),
        "rmsea_robust": _rmsea(xx3, df, n1, c), "rmsea_ci_lower_robust": lo_r, "rmsea_ci_upper_robust": hi_r,
        "rmsea_pvalue_robust": _rmsea_p(xx3_scaled, df, n1, c),
        "rmsea_notclose_pvalue_robust": _rmsea_p(xx3_scaled, df, n1, c, h0=0.08, close=False),
    })
    out.update(srmr_vals)
    out.update(other)
    out["rmsea_close_h0"], out["rmsea_notclose_h0"] = 0.05, 0.08
    if df > 0 or chisq >= np.finfo(float).eps:
        out["cn_05"] = float(stats.chi2.ppf(0.95, df) / (chisq / n1) + 1) if chisq > 0 else math.inf
        out["cn_01"] = float(stats.chi2.ppf(0.99, df) / (chisq / n1) + 1) if chisq > 0 else math.inf
    else:
        out["cn_05"] = out["cn_01"] = math.nan
    out["mfi"] = math.exp(-0.5 * (chisq - df) / n1)
    out.update({"loglik": math.nan, "loglik_h1": math.nan, "aic": math.nan, "bic": math.nan,
                "npar": int(npar), "nobs": int(n), "ngroups": 1, "fmin": chisq / (2.0 * n),
                "chisq_by_group": {"all": chisq}})
    return out


def _srmr(R: np.ndarray, sigma: np.ndarray, nth: int) -> dict:
    p = len(R)
    low = np.tril_indices(p, -1)
    ss = float(np.sum((R - sigma)[low] ** 2))
    pstar = p * (p + 1) / 2
    nomean = math.sqrt(ss / pstar)
    return {"srmr": nomean, "srmr_bentler": math.sqrt(ss / (pstar + nth)),  # thresholds fit exactly
            "rmr": math.sqrt(ss / (pstar + nth)), "rmr_nomean": nomean,  # correlations: rmr = srmr
            "srmr_bentler_nomean": nomean, "srmr_mplus": math.nan, "srmr_mplus_nomean": math.nan,
            "crmr": math.sqrt(ss / (pstar - p + nth)) if pstar - p + nth > 0
            else math.nan, "crmr_nomean": math.sqrt(ss / (pstar - p)) if p > 1 else math.nan}


def _gfi_wrmr(m: OrdinalMoments, r, sig_s, chisq, df) -> dict:
    """lavaan's GFI family on (s, W) and WRMR = √(χ²/#statistics); thresholds fit exactly."""
    nth = len(m.thresholds)
    nel = nth + len(r)
    s = m.statistics
    e = np.concatenate([np.zeros(nth), r - sig_s])
    gfi = 1.0 - float(np.sum(e * e * m.weights)) / float(np.sum(s * s * m.weights))
    agfi = 1.0 - (nel / df) * (1.0 - gfi) if df > 0 else 1.0
    return {"gfi": gfi, "agfi": agfi, "pgfi": (df / nel) * gfi if nel else math.nan,
            "wrmr": math.sqrt(chisq / nel) if nel else math.nan}


# ----------------------------------------------------------------------------- main
def fit_wlsmv(data: pd.DataFrame, model: str, *, ordered=True, group: str | None = None,
              missing: str = "listwise", bootstrap: int = 0, group_equal=(), group_partial=()) -> SemResult:
    """Fit ``model`` to ordered indicators by WLSMV (see module docstring); used by ``fit_sem``."""
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

    m: OrdinalMoments = sample_statistics(data, ov)
    if list(m.items) != ov:
        single = [v for v in ov if v not in m.items]
        raise ModelSpecError(f"ordered item(s) {single} have a single observed category (no variance) in the "
                             "complete rows: they carry no information for thresholds or polychoric "
                             "correlations; drop them from the model")
    warnings += [w for w in m.warnings]
    n = m.n
    n_dropped = len(data) - n
    nth = len(m.thresholds)
    r, wr, G = m.correlations, m.weights[nth:], m.gamma[nth:, nth:]
    P, q = len(r), pt.nfree
    ii = np.array([mdl.ov_index[a] for a, _ in m.correlation_pairs], dtype=int)
    jj = np.array([mdl.ov_index[b] for _, b in m.correlation_pairs], dtype=int)
    R = m.correlation_matrix.loc[ov, ov].to_numpy()
    npar = nth + q
    df = nth + P - npar
    if df < 0:
        warnings.append(f"model is not identified: {npar} free parameters but only {nth + P} sample "
                        f"statistics (df = {df})")
    if np.any(wr == 0):
        warnings.append("some polychoric correlations have zero weight (degenerate Γ)")

    st = _Structure(mdl, m.correlation_pairs)
    start = start_values(mdl, [GroupData(n, np.zeros(len(ov)), R)])
    theta, fval, converged, iters, message = _minimize(st, r, wr, start)
    if not converged:
        warnings.append(f"model did not converge: {message}")
    finite = np.isfinite(fval)

    # residual variances of the latent responses, then the complete model
    sig0 = mdl.matrices(theta, 0).implied()[0]
    for i in res_rows:
        j = mdl.ov_index[pt.lhs[i]]
        pt.ustart[i] = float(1.0 - sig0[j, j])
    full = Model(pt)
    gm = full.matrices(theta, 0)
    sigma, _, a_mat = gm.implied()

    # inference
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
        H = np.zeros((0, P))
        vcov_s = np.zeros((0, 0))
    if se_msg:
        warnings.append(se_msg)
    # full covariance (thresholds first, then structural): H_full = diag(I, H), H_full Γ H_fullᵀ/(N − 1)
    vfull = np.full((nth + q, nth + q), np.nan)
    vfull[:nth, :nth] = m.gamma[:nth, :nth] / (n - 1)
    if H is not None:
        cross = m.gamma[:nth, nth:] @ H.T / (n - 1)
        vfull[:nth, nth:] = cross
        vfull[nth:, :nth] = cross.T
        vfull[nth:, nth:] = vcov_s

    # tests
    e = r - sig_s
    F = float(e @ (wr * e))
    chisq = (n - 1) * F if finite else math.nan
    if A is not None:
        UG = wr[:, None] * G - WD @ (A @ (WD.T @ G))  # (W − WΔAΔᵀW)Γ
        test = _scaled_shifted(chisq, df, UG)
    else:
        test = _scaled_shifted(math.nan, df, np.zeros((1, 1)))
    base_chisq = (n - 1) * float(r @ (wr * r))
    base_test = _scaled_shifted(base_chisq, P, wr[:, None] * G)
    if A is not None and finite:
        cat = _catml(R, sigma, n, D, A, wr, G, ii, jj, df)
    else:
        cat = {"xx3": math.nan, "c": math.nan, "xx3_null": math.nan, "c_null": math.nan, "note": None}
    if cat["note"]:
        warnings.append(cat["note"])
    with np.errstate(all="ignore"):
        fit = _fit_measures(chisq=chisq, df=df, n=n, npar=npar, test=test, base_chisq=base_chisq,
                            base_df=P, base_test=base_test, cat=cat, srmr_vals=_srmr(R, sigma, nth),
                            other=_gfi_wrmr(m, r, sig_s, chisq, df))
    if df < 0:
        for k, v in list(fit.items()):
            if isinstance(v, float) and k not in ("rmsea_ci_level",):
                fit[k] = math.nan

    # trouble
    neg = [pt.lhs[i] for i in res_rows if pt.ustart[i] < 0]
    if neg:
        warnings.append("negative residual variance(s) of latent responses (Heywood case; solution not "
                        f"admissible): {', '.join(neg)}")
    lv_idx = [full.eta_index[v] for v in full.lv]
    veta_all = a_mat @ gm.psi @ a_mat.T
    if lv_idx:
        veta = veta_all[np.ix_(lv_idx, lv_idx)]
        if np.all(np.isfinite(veta)) and np.linalg.eigvalsh(veta).min() < -1e-10:
            warnings.append("covariance matrix of the latent variables is not positive definite")
    if np.all(np.isfinite(sigma)) and np.linalg.eigvalsh(sigma).min() <= 0:
        warnings.append("model-implied correlation matrix of the latent responses is not positive definite")

    table, defined, vcov_df = _tables(pt, full, theta, m, vcov_s, vfull, nth)
    r2 = r_squared(full, theta) if finite else {}
    r2 = r2[0] if isinstance(r2, list) else r2
    implied = {"all": (pd.DataFrame(sigma, index=ov, columns=ov), pd.Series(np.zeros(len(ov)), index=ov))}
    latent = {"all": pd.DataFrame(veta_all[np.ix_(lv_idx, lv_idx)], index=full.lv, columns=full.lv)}
    meta = {
        "estimator": "WLSMV", "parameterization": "delta", "missing": "listwise", "meanstructure": True,
        "information": "expected", "se": "robust.sem", "test": "scaled.shifted",
        "iterations": iters, "optimizer_message": message, "group": None,
        "group_counts": {"all": int(n)}, "ordered": list(ov), "r_call": _R_CALL,
        "sample": {"n": int(n), "thresholds": dict(zip(m.threshold_names, map(float, m.thresholds))),
                   "correlation": {a: {b: float(R[i, j]) for j, b in enumerate(ov)} for i, a in enumerate(ov)}},
        "robust_fit": {"method": "catML (Savalei 2021), lavaan lav_fit_catml_dwls", "chisq_catml": cat["xx3"],
                       "c_hat": cat["c"], "baseline_chisq_catml": cat["xx3_null"], "c_hat_baseline": cat["c_null"]},
    }
    return SemResult(fit=fit, estimates=table, defined=defined, r2=r2, converged=bool(converged),
                     warnings=tuple(dict.fromkeys(warnings)), n_used=int(n), n_dropped=int(n_dropped),
                     groups=("all",), bootstrap_info={"n_requested": 0, "n_converged": 0, "n_failed": 0,
                                                      "seed": None},
                     implied=implied, latent=latent, vcov=vcov_df, meta=meta)


def _tables(pt: ParTable, model: Model, theta: np.ndarray, m: OrdinalMoments, vcov_s: np.ndarray,
            vfull: np.ndarray, nth: int):
    """Estimates in lavaan's row order: user rows, thresholds, other (co)variances, ~*~, ~1, :=."""
    rows = pt.rows()
    est_pt = model.row_values(theta)
    dfun = DefinedFunction(pt)
    std_lv, std_all = standardize(model, theta, dfun)
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

    def_idx = [i for i in range(len(pt)) if pt.op[i] == ":="]
    if def_idx:
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
    else:
        defined = pd.DataFrame(columns=list(DEFINED_COLUMNS))
    k = len(order)
    vc = pd.DataFrame(vcov, index=range(1, k + 1), columns=range(1, k + 1))
    return table, defined, vc
