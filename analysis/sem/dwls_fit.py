"""Test statistics and fit measures of a WLSMV fit, as lavaan 0.6-14 computes them.

The formulas are listed in :mod:`coprod.analysis.sem.dwls` (the estimator that uses them): the
mean-and-variance adjusted χ² (``scaled.shifted``), the ``*.scaled`` and ``*.robust`` (catML,
Savalei 2021) incremental indices and RMSEA, SRMR for correlations, and the GFI family and WRMR
on the DWLS weights. Kept apart from the estimator as :mod:`~coprod.analysis.sem.fit` is for ML.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from coprod.analysis.ordinal.wls import OrdinalMoments

__all__ = ["scaled_shifted", "catml", "fit_measures", "srmr", "gfi_wrmr"]


def scaled_shifted(chisq: float, df: int, UG: np.ndarray) -> dict:
    """lavaan's ``scaled.shifted`` test from χ² and UΓ (NaN when UΓ is degenerate)."""
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


def catml(R: np.ndarray, sigma: np.ndarray, n: int, D: np.ndarray, A: np.ndarray, w: np.ndarray,
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
    # saturated (df = 0): lavaan's c.hat3 = ks/0 is never used (its CFI, TLI and RMSEA take the
    # df = 0 branch), so any finite value gives its robust CFI ≈ 1, TLI 1, RMSEA 0 with CI (0, 0)
    return {"xx3": xx3, "c": ks / df if df > 0 else 1.0, "xx3_null": -n * ld_r,
            "c_null": float(np.trace(G)) / dfb, "note": None}


def fit_measures(*, chisq, df, n, npar, test, base_chisq, base_df, base_test, cat, srmr_vals,
                  other) -> dict:
    """All of lavaan's ``fitMeasures()`` for a WLSMV fit, from the statistics computed before."""
    n1 = n - 1  # lavaan: N − G for the WLS family
    x2s, x2bs = test["stat"], base_test["stat"]
    # lavaan 0.6-14, as for ML: a saturated model (df = 0) has pvalue NA
    pval = float(stats.chi2.sf(chisq, df)) if df > 0 else math.nan
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


def srmr(R: np.ndarray, sigma: np.ndarray, nth: int) -> dict:
    """lavaan's SRMR/RMR/CRMR family for polychoric correlations (thresholds fit exactly)."""
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


def gfi_wrmr(m: OrdinalMoments, r, sig_s, chisq, df) -> dict:
    """lavaan's GFI family on (s, W) and WRMR = √(χ²/#statistics); thresholds fit exactly."""
    nth = len(m.thresholds)
    nel = nth + len(r)
    s = m.statistics
    e = np.concatenate([np.zeros(nth), r - sig_s])
    gfi = 1.0 - float(np.sum(e * e * m.weights)) / float(np.sum(s * s * m.weights))
    agfi = 1.0 - (nel / df) * (1.0 - gfi) if df > 0 else 1.0
    return {"gfi": gfi, "agfi": agfi, "pgfi": (df / nel) * gfi if nel else math.nan,
            "wrmr": math.sqrt(chisq / nel) if nel else math.nan}
