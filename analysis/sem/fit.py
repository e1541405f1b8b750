"""Fit measures with lavaan's definitions (see shared/design/estimation-notes.md).

χ² = Σ_g N_g F_g (complete data) or 2(logL_h1 − logL) (FIML); RMSEA uses N (not N − 1) and is
multiplied by √G; its 90% CI inverts the non-central χ² CDF; CFI/TLI against the independence
model; SRMR is Bentler's, including the standardized mean residuals when the model has a mean
structure (lavaan's ``srmr`` = ``srmr_bentler``), averaged over groups with weights N_g/N.
As lavaan 0.6-14: a saturated model (df = 0) has p-value NA and RMSEA 0 with CI (0, 0); a model
with df < 0 (not identified) has no χ², p-value, CFI, TLI or RMSEA (NaN; lavaan prints rmsea = 0
there, which we do not copy).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

__all__ = ["FIT_KEYS", "rmsea_ci", "srmr", "fit_measures", "baseline_chisq_complete"]

FIT_KEYS = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr",
            "loglik", "loglik_h1", "aic", "bic", "npar", "nobs", "ngroups", "baseline_chisq",
            "baseline_df", "chisq_by_group")


def _ncx2_root(chisq: float, df: float, prob: float) -> float:
    """λ with P(χ²_df(λ) ≤ chisq) = prob, or 0 when even λ = 0 gives less."""
    if stats.chi2.cdf(chisq, df) < prob:
        return 0.0
    f = lambda lam: stats.ncx2.cdf(chisq, df, lam) - prob  # noqa: E731
    hi = max(10.0, 2.0 * chisq)
    while f(hi) > 0:
        hi *= 2.0
        if hi > 1e9:
            return math.nan
    return optimize.brentq(f, 1e-12, hi, xtol=1e-12, rtol=1e-12)


def rmsea_ci(chisq: float, df: float, n: int, ngroups: int = 1, level: float = 0.90) -> tuple[float, float]:
    """Lower and upper bound of the RMSEA confidence interval (lavaan's N, ×√G)."""
    if not (np.isfinite(chisq) and df > 0):
        return math.nan, math.nan
    lo = _ncx2_root(chisq, df, 1.0 - (1.0 - level) / 2.0)
    hi = _ncx2_root(chisq, df, (1.0 - level) / 2.0)
    conv = lambda lam: math.sqrt(ngroups) * math.sqrt(lam / (df * n))  # noqa: E731
    return conv(lo), conv(hi)


def srmr(obs: list[tuple[np.ndarray, np.ndarray]], implied: list[tuple[np.ndarray, np.ndarray]],
         nobs: list[int], meanstructure: bool) -> float:
    """Bentler's SRMR: residuals scaled by the observed SDs, lower triangle with diagonal (+ means)."""
    total = sum(nobs)
    out = 0.0
    for (s, m), (sig, mu), n in zip(obs, implied, nobs):
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.sqrt(np.diag(s))
            r = (s - sig) / np.outer(sd, sd)
            res = list(r[np.tril_indices(len(s))])
            if meanstructure:
                res += list((m - mu) / sd)
        out += n / total * math.sqrt(np.mean(np.square(res)))
    return out


def baseline_chisq_complete(covs: list[np.ndarray], nobs: list[int], x_index: list[int]) -> float:
    """χ² of the independence model (means saturated; fixed.x block kept) for complete data."""
    total = 0.0
    for s, n in zip(covs, nobs):
        y = [j for j in range(len(s)) if j not in x_index]
        ld_b = np.sum(np.log(np.diag(s)[y]))
        if x_index:
            ld_b += np.linalg.slogdet(s[np.ix_(x_index, x_index)])[1]
        sign, ld_s = np.linalg.slogdet(s)
        total += n * (ld_b - ld_s) if sign > 0 else math.nan
    return float(total)


def fit_measures(*, chisq: float, chisq_by_group: dict, df: int, npar: int, nobs: list[int],
                 loglik: float, loglik_h1: float, baseline_chisq: float, baseline_df: int,
                 srmr_value: float) -> dict:
    """The fit dictionary of :class:`analysis.sem.SemResult` (keys in :data:`FIT_KEYS`)."""
    n = int(sum(nobs))
    g = len(nobs)
    if df < 0:
        # not identified (lavaan: chisq, pvalue, CFI, TLI NA); RMSEA is undefined too
        chisq = math.nan
    # lavaan 0.6-14: a saturated model (df = 0) has pvalue NA and RMSEA 0 with CI (0, 0)
    pvalue = float(stats.chi2.sf(chisq, df)) if df > 0 and np.isfinite(chisq) else math.nan
    if df > 0 and np.isfinite(chisq):
        rmsea = math.sqrt(g) * math.sqrt(max(0.0, chisq - df) / (df * n))
        lo, hi = rmsea_ci(chisq, df, n, g)
    elif df == 0 and np.isfinite(chisq):
        rmsea, lo, hi = 0.0, 0.0, 0.0
    else:
        rmsea, lo, hi = math.nan, math.nan, math.nan
    d_m, d_b = chisq - df, baseline_chisq - baseline_df
    denom = max(d_m, d_b, 0.0)
    cfi = 1.0 - max(d_m, 0.0) / denom if denom > 0 else (1.0 if np.isfinite(chisq) else math.nan)
    if not np.isfinite(chisq):
        cfi = math.nan
    if df > 0 and baseline_df > 0 and np.isfinite(chisq):
        tli = ((baseline_chisq / baseline_df) - (chisq / df)) / ((baseline_chisq / baseline_df) - 1.0)
    else:
        tli = 1.0 if df == 0 and np.isfinite(chisq) else math.nan
    return {
        "chisq": float(chisq), "df": int(df), "pvalue": pvalue, "cfi": float(cfi), "tli": float(tli),
        "rmsea": rmsea, "rmsea_ci_lower": lo, "rmsea_ci_upper": hi, "srmr": float(srmr_value),
        "loglik": float(loglik), "loglik_h1": float(loglik_h1),
        "aic": float(-2.0 * loglik + 2.0 * npar), "bic": float(-2.0 * loglik + npar * math.log(n)),
        "npar": int(npar), "nobs": n, "ngroups": g, "baseline_chisq": float(baseline_chisq),
        "baseline_df": int(baseline_df), "chisq_by_group": dict(chisq_by_group),
    }
