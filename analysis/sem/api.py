"""``fit_sem``: estimate a CFA/SEM by ML the way lavaan's ``cfa()`` / ``sem()`` do.

Why our own engine: semopy 2.3.11 cannot fit multi-group models with cross-group equality
constraints, has no ``:=``, no SRMR, its logLik/AIC/BIC are not the normal log-likelihood and it
stops short of convergence by default (see shared/design/dependency-notes.md). semopy is used
only as a cross-check in the tests (single-group CFA with ``options={"ftol": 1e-12}`` agrees with
these estimates to 1e-4).
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from coprod.analysis._threads import one_blas_thread
from coprod.analysis.errors import ModelSpecError
from coprod.analysis.sem.bootstrap import percentile_table, run_bootstrap
from coprod.analysis.sem.dwls import fit_wlsmv
from coprod.analysis.sem.cluster import cluster_labels
from coprod.analysis.sem.engine import Engine
from coprod.analysis.sem.fit import baseline_chisq_complete, fit_measures, srmr
from coprod.analysis.sem.inference import DefinedFunction, r_squared, standardize, vcov_from_information, wald_table
from coprod.analysis.sem.ml import positive_definite
from coprod.analysis.sem.robust import ROBUST_FIT_KEYS, RobustOptions, robust_fit_measures, robust_terms
from coprod.analysis.sem.results import DEFINED_COLUMNS, ESTIMATE_COLUMNS, SemResult
from coprod.analysis.sem.scores import ScoreBasis

__all__ = ["fit_sem", "summarize"]

_LOG2PI = math.log(2.0 * math.pi)


@one_blas_thread
def fit_sem(data: pd.DataFrame, model: str, *, group: str | None = None,
            group_equal: Sequence[str] = (), group_partial: Sequence[str] = (),
            missing: str = "listwise", estimator: str | None = None, meanstructure: bool | None = None,
            bootstrap: int = 0, seed: int | None = None, n_jobs: int = 1,
            progress: Callable[[int, int], None] | None = None,
            ordered: Sequence[str] | bool | None = None, cluster: str | None = None) -> SemResult:
    """Fit a confirmatory factor / structural equation model by ML, or by WLSMV for ordered items.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; model variables must be numeric columns.
    model : str
        lavaan model syntax (``=~ ~ ~~ ~1 :=``, labels, fixed values, ``==``).
    group : str, optional
        Grouping column; groups are ordered by first appearance (lavaan's ``group.label``).
    group_equal : sequence of str
        Parameter kinds held equal across groups: "loadings", "intercepts", "means", "residuals",
        "residual.covariances", "lv.variances", "lv.covariances", "regressions".
    group_partial : sequence of str
        Parameters exempt from ``group_equal``, e.g. ``["f1=~x2", "x3~1"]``.
    missing : {"listwise", "fiml"}
        Complete cases, or full-information ML (lavaan's ``missing = "ml"``).
    estimator : {"ML", "MLR", "WLSMV"}, optional
        Default: "ML", or "WLSMV" when ``ordered`` is given (lavaan's default for ordered data);
        "MLR" when ``cluster`` is given. "MLR" is ML with Huber–White sandwich SEs and the
        Yuan–Bentler (Mplus) scaled χ², with scaled and robust CFI/TLI/RMSEA in ``fit``
        (:mod:`analysis.sem.robust`), for complete data and FIML.
    meanstructure : bool, optional
        Default: True with groups, FIML or ``cluster``, else False (lavaan's default). Ignored by WLSMV.
    bootstrap : int
        Number of nonparametric bootstrap draws (0 = none).
    seed : int, optional
        Seed of the bootstrap; the result does not depend on ``n_jobs``.
    n_jobs : int
        Worker processes for the bootstrap.
    progress : callable, optional
        Called as ``progress(done, total)`` during the bootstrap.
    cluster : str, optional
        Column of the primary sampling unit (lavaan's ``cluster =``, single-level model):
        cluster-robust sandwich SEs (scores summed within clusters) and the scaled test lavaan
        reports with it. Implies ``estimator = "MLR"``.
    ordered : list of str or True, optional
        Ordinal indicators (lavaan's ``ordered=``); ``True`` = every observed variable of the model.
        Fits WLSMV with the delta parameterization (:mod:`analysis.sem.dwls`): single group,
        listwise deletion, every observed variable an ordered indicator of a latent variable.
        Thresholds appear as ``x | t1`` rows; fit adds ``*_scaled`` and ``*_robust`` measures;
        loglik/AIC/BIC are NaN.

    Returns
    -------
    SemResult
        Estimation trouble (non-convergence, Heywood cases, non-identification, singular
        matrices) is reported in ``warnings`` with NaN where a number cannot be computed.

    Raises
    ------
    ModelSpecError
        Malformed syntax (message names the line and token), unknown variables, unsupported options.

    Notes
    -----
    Checked against R lavaan 0.6.14 ``cfa()``/``sem()`` on HolzingerSwineford1939,
    PoliticalDemocracy and two simulated Likert data sets (complete and FIML): estimates,
    SEs and std.all within 1e-5, fit measures within 1e-6 (tests/analysis/test_sem_conformance.py).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=300)
    >>> df = pd.DataFrame({f"x{i}": f + rng.normal(size=300) for i in range(1, 4)})
    >>> res = fit_sem(df, "f =~ x1 + x2 + x3")
    >>> res.fit["df"], res.converged
    (0, True)
    """
    if not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise ValueError(f"bootstrap must be a non-negative integer, not {bootstrap!r}")
    if ordered is not None and not isinstance(ordered, (bool, np.bool_)):
        ordered = [ordered] if isinstance(ordered, str) else list(ordered)
    has_ordered = bool(ordered is True or (isinstance(ordered, list) and ordered))
    est_name = (("WLSMV" if has_ordered else ("MLR" if cluster is not None else "ML"))
                if estimator is None else str(estimator).upper())
    if cluster is not None and est_name != "MLR":
        raise ModelSpecError(f"cluster='{cluster}' needs estimator='MLR' (lavaan's robust.cluster SEs), "
                             f"not '{estimator}'")
    if est_name == "WLSMV" or has_ordered:
        if est_name != "WLSMV":
            raise ModelSpecError(f"estimator='{estimator}' is not supported with ordered indicators; "
                                 "use estimator='WLSMV' (lavaan's default for ordered data)")
        if not has_ordered:
            raise ModelSpecError("estimator='WLSMV' is implemented for ordered indicators only: "
                                 "pass ordered=[items] or ordered=True")
        return fit_wlsmv(data, model, ordered=ordered, group=group, missing=missing, bootstrap=int(bootstrap),
                         group_equal=group_equal, group_partial=group_partial)
    robust = None
    if est_name == "MLR":
        est_name = "ML"  # the fit is ML/FIML; MLR changes the SEs and the test (analysis.sem.robust)
        if meanstructure is None and cluster is not None:
            meanstructure = True  # lavaan: cluster= switches the mean structure on
    engine = Engine(data, model, group=group, group_equal=group_equal, group_partial=group_partial,
                    missing=missing, estimator=est_name, meanstructure=meanstructure)
    if str(estimator).upper() == "MLR" or cluster is not None:
        robust = RobustOptions(clusters=cluster_labels(engine, data, cluster) if cluster is not None else None,
                               cluster_col=cluster)
    return summarize(engine, bootstrap=int(bootstrap), seed=seed, n_jobs=n_jobs, progress=progress,
                     robust=robust)


def _nan_fit(engine: Engine) -> dict:
    keys = ("chisq", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr", "loglik",
            "loglik_h1", "aic", "bic", "baseline_chisq")
    out = {k: math.nan for k in keys}
    out.update(df=engine.df, npar=engine.pt.nfree, nobs=engine.n_used, ngroups=len(engine.groups),
               baseline_df=engine.baseline_df, chisq_by_group={str(g): math.nan for g in engine.groups})
    return out


def _fit_measures(engine: Engine, gdata, h1, theta) -> dict:
    disc = engine.discrepancy(gdata)
    implied = engine.model.implied(theta)
    labels = [str(g) for g in engine.groups]
    nobs = [d.n for d in gdata]
    p = engine.model.p
    if engine.fiml:
        ll_g = disc.group_loglik(theta)
        h1_g = np.asarray(h1.loglik)
        chisq_g = 2.0 * (h1_g - ll_g)
        base = float(2.0 * np.sum(h1_g - np.asarray(h1.baseline_loglik)))
    else:
        chisq_g = disc.group_values(theta)
        chisq_g[~np.isfinite(np.asarray(disc.logdet_s, float))] = np.nan
        h1_g = np.array([-0.5 * d.n * (p * _LOG2PI + ld + p) for d, ld in zip(gdata, disc.logdet_s)])
        ll_g = h1_g - 0.5 * chisq_g
        base = baseline_chisq_complete([d.cov for d in gdata], nobs, engine.x_index)
    if engine.x_index:
        # fixed.x: lavaan's logL is conditional on the covariates (their saturated marginal
        # log-likelihood is left out of logl and unrestricted.logl)
        nx = len(engine.x_index)
        for g, xg in enumerate(engine.x):
            xs = xg[:, engine.x_index]
            xs = xs[~np.isnan(xs).any(axis=1)]
            sxx = np.atleast_2d(np.cov(xs, rowvar=False, bias=True))
            lx = -0.5 * len(xs) * (nx * _LOG2PI + np.linalg.slogdet(sxx)[1] + nx)
            ll_g[g] -= lx
            h1_g[g] -= lx
    return fit_measures(chisq=float(np.sum(chisq_g)), chisq_by_group=dict(zip(labels, map(float, chisq_g))),
                        df=engine.df, npar=engine.pt.nfree, nobs=nobs, loglik=float(np.sum(ll_g)),
                        loglik_h1=float(np.sum(h1_g)), baseline_chisq=base, baseline_df=engine.baseline_df,
                        srmr_value=srmr([(d.cov, d.mean) for d in gdata], implied, nobs, engine.meanstructure))


def _vcov(engine: Engine, gdata, theta) -> tuple[np.ndarray, str | None]:
    disc = engine.discrepancy(gdata)
    if engine.fiml:
        return vcov_from_information(disc.observed_information(theta))
    _, g, h = disc.value_grad_info(theta)
    if h is None:
        q = len(theta)
        return np.full((q, q), np.nan), "implied covariance matrix not positive definite: no standard errors"
    return vcov_from_information(0.5 * h)


def _trouble(engine: Engine, theta: np.ndarray, est: np.ndarray) -> list[str]:
    pt, model = engine.pt, engine.model
    out = []
    multi = len(engine.groups) > 1
    neg = [f"{pt.lhs[i]} ~~ {pt.rhs[i]}" + (f" (group {engine.groups[pt.group[i] - 1]})" if multi else "")
           for i in pt.rows() if pt.op[i] == "~~" and pt.lhs[i] == pt.rhs[i] and est[i] < 0]
    if neg:
        out.append(f"negative variance estimate(s) (Heywood case; solution not admissible): {', '.join(neg)}")
    for g in range(model.ngroups):
        gm = model.matrices(theta, g)
        sigma, _, a = gm.implied()
        where = f" in group {engine.groups[g]!r}" if len(engine.groups) > 1 else ""
        lv_idx = [model.eta_index[v] for v in model.lv]
        if lv_idx:
            veta = (a @ gm.psi @ a.T)[np.ix_(lv_idx, lv_idx)]
            if np.all(np.isfinite(veta)) and np.linalg.eigvalsh(veta).min() < -1e-10:
                out.append(f"covariance matrix of the latent variables is not positive definite{where}")
        if np.all(np.isfinite(sigma)) and np.linalg.eigvalsh(sigma).min() <= 0:
            out.append(f"model-implied covariance matrix is not positive definite{where}")
    return out


def summarize(engine: Engine, *, bootstrap: int = 0, seed: int | None = None, n_jobs: int = 1,
              progress: Callable[[int, int], None] | None = None, compute_se: bool = True,
              start: np.ndarray | None = None, robust: RobustOptions | None = None) -> SemResult:
    """Fit ``engine`` and assemble the :class:`SemResult` (used by ``fit_sem`` and invariance).

    ``robust``: MLR / cluster-robust SEs and scaled fit measures (:mod:`analysis.sem.robust`).
    """
    pt, model = engine.pt, engine.model
    gdata, h1 = engine.stats()
    warnings = list(engine.warnings) + _sample_warnings(engine, gdata)
    opt = engine.fit(gdata, start=start)
    theta = opt.theta
    converged = bool(opt.converged)
    if not converged:
        warnings.append(f"model did not converge: {opt.message}")
    finite = np.isfinite(opt.value)
    with np.errstate(all="ignore"):
        fit = _fit_measures(engine, gdata, h1, theta) if finite else _nan_fit(engine)
    q = pt.nfree
    if compute_se and finite and robust is None:  # MLR: the sandwich below replaces it
        with np.errstate(all="ignore"):
            vcov, msg = _vcov(engine, gdata, theta)
        if msg:
            warnings.append(msg)
    else:
        vcov = np.full((q, q), np.nan)
    terms = None
    if robust is not None and finite:
        with np.errstate(all="ignore"):
            terms = robust_terms(engine, gdata, theta, robust)
            fit.update(robust_fit_measures(fit, terms, fiml=engine.fiml))
        if compute_se:
            vcov = terms.vcov
            if terms.message and terms.message not in warnings:
                warnings.append(terms.message)
    elif robust is not None:
        fit.update(dict.fromkeys(ROBUST_FIT_KEYS, math.nan))
    est = model.row_values(theta)
    warnings += _trouble(engine, theta, est) if finite else []
    dfun = DefinedFunction(pt)
    table, defined = _estimate_tables(engine, theta, est, vcov, dfun, finite)
    labels = engine.groups
    r2_list = r_squared(model, theta) if finite else [{} for _ in labels]
    r2 = r2_list[0] if len(labels) == 1 else {str(g): r for g, r in zip(labels, r2_list)}
    implied, latent = _implied_and_latent(model, theta, labels)
    boot_info = {"n_requested": int(bootstrap), "n_converged": 0, "n_failed": 0, "seed": seed}
    boot_table = pd.DataFrame()
    if bootstrap > 0 and finite and converged:
        boot_table, defined, notes = _bootstrap(engine, gdata, theta, table, defined, dfun, boot_info,
                                                bootstrap=bootstrap, seed=seed, n_jobs=n_jobs, progress=progress)
        warnings += notes
    elif bootstrap > 0:
        warnings.append("bootstrap skipped: the full-sample fit did not converge")
    vc = pd.DataFrame(vcov, index=range(1, q + 1), columns=range(1, q + 1))
    meta = {"estimator": "ML", "missing": "fiml" if engine.fiml else "listwise",
            "meanstructure": engine.meanstructure, "information": "observed" if engine.fiml else "expected",
            "iterations": opt.iterations, "optimizer_message": opt.message, "stop_reason": opt.reason,
            "group": engine.group_col,
            "group_counts": {str(g): int(len(x)) for g, x in zip(labels, engine.x)}}
    if robust is not None:
        meta.update(estimator="MLR", information="observed",
                    se="robust.cluster" if robust.clusters is not None else "robust.huber.white",
                    test="yuan.bentler.mplus", cluster=robust.cluster_col,
                    n_clusters=terms.n_clusters if terms is not None else None)
    return SemResult(fit=fit, estimates=table, defined=defined, r2=r2, converged=converged,
                     warnings=tuple(dict.fromkeys(warnings)), n_used=engine.n_used, n_dropped=engine.n_dropped,
                     groups=tuple(labels), bootstrap_info=boot_info, bootstrap_estimates=boot_table,
                     implied=implied, latent=latent, vcov=vc, meta=meta,
                     score_basis=_score_basis(engine, gdata, theta) if finite else None)


def _score_basis(engine: Engine, gdata, theta: np.ndarray) -> ScoreBasis:
    model = engine.model
    ov_x = set(engine.pt.vars.ov_x)
    return ScoreBasis(ov=tuple(model.ov), lv=tuple(model.lv), eta=tuple(model.eta), phantom=tuple(model.phantom),
                      phantom_x=tuple(v for v in model.phantom if v in ov_x), group=engine.group_col,
                      groups=tuple(engine.groups), missing="fiml" if engine.fiml else "listwise",
                      meanstructure=engine.meanstructure,
                      matrices=tuple(model.matrices(theta, g) for g in range(model.ngroups)),
                      sample_means=tuple(np.asarray(d.mean, float).copy() for d in gdata))


def _sample_warnings(engine: Engine, gdata) -> list[str]:
    """Groups whose sample covariance matrix is singular (χ² and logL_h1 are then undefined)."""
    warnings = []
    for g, d in enumerate(gdata):
        singular = np.all(np.isfinite(d.cov)) and not positive_definite(d.cov)
        if d.n >= 2 and singular:
            where = f" in group {engine.groups[g]!r}" if len(engine.groups) > 1 else ""
            warnings.append(f"sample covariance matrix is not positive definite{where}: χ² and logL_h1 undefined")
    return warnings


def _estimate_tables(engine: Engine, theta: np.ndarray, est: np.ndarray, vcov: np.ndarray,
                     dfun: DefinedFunction, finite) -> tuple[pd.DataFrame, pd.DataFrame]:
    """lavaan's parameterEstimates (every partable row, ``:=`` included) and the defined table."""
    pt, model = engine.pt, engine.model
    q = pt.nfree
    se_free = np.sqrt(np.where(np.diag(vcov) >= 0, np.diag(vcov), np.nan)) if q else np.zeros(0)
    n = len(pt)
    se = np.array([se_free[pt.free[i] - 1] if pt.free[i] else 0.0 for i in range(n)])
    def_idx = [i for i in range(n) if pt.op[i] == ":="]
    def_est, def_se = np.zeros(0), np.zeros(0)
    if def_idx:
        def_est = dfun(theta, model)
        jac = dfun.jacobian(theta, model)
        def_se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, vcov, jac), 0.0))
        est[def_idx] = def_est
        se[def_idx] = def_se
    std_lv, std_all = standardize(model, theta, dfun) if finite else (np.full(n, np.nan),) * 2
    wald = wald_table(est, se)
    fixed = np.array([not pt.free[i] and pt.op[i] != ":=" for i in range(n)])
    for k in ("z", "pvalue"):
        wald[k][fixed] = np.nan
    groups_col = [pt.group[i] for i in range(n)]
    table = pd.DataFrame({
        "lhs": pt.lhs, "op": pt.op, "rhs": pt.rhs, "group": groups_col, "label": pt.label, "est": est, "se": se,
        "z": wald["z"], "pvalue": wald["pvalue"], "ci_lower": wald["ci_lower"], "ci_upper": wald["ci_upper"],
        "std_lv": std_lv, "std_all": std_all, "free": pt.free}, columns=list(ESTIMATE_COLUMNS))
    defined = pd.DataFrame({
        "name": [pt.lhs[i] for i in def_idx], "est": def_est, "se": def_se,
        "z": wald["z"][def_idx], "pvalue": wald["pvalue"][def_idx], "ci_lower": wald["ci_lower"][def_idx],
        "ci_upper": wald["ci_upper"][def_idx], "boot_se": np.nan, "boot_ci_lower": np.nan,
        "boot_ci_upper": np.nan}, columns=list(DEFINED_COLUMNS))
    return table, defined


def _implied_and_latent(model, theta: np.ndarray, labels) -> tuple[dict, dict]:
    """Per group: implied (Σ, μ) of the observed variables and the latent covariance matrix."""
    implied, latent = {}, {}
    for g, lab in enumerate(labels):
        gm = model.matrices(theta, g)
        sigma, mu, a = gm.implied()
        implied[lab] = (pd.DataFrame(sigma, index=model.ov, columns=model.ov), pd.Series(mu, index=model.ov))
        idx = [model.eta_index[v] for v in model.lv]
        veta = (a @ gm.psi @ a.T)[np.ix_(idx, idx)]
        latent[lab] = pd.DataFrame(veta, index=model.lv, columns=model.lv)
    return implied, latent


def _bootstrap(engine: Engine, gdata, theta: np.ndarray, table: pd.DataFrame, defined: pd.DataFrame,
               dfun: DefinedFunction, boot_info: dict, *, bootstrap: int, seed, n_jobs: int, progress):
    """Run the bootstrap, fill ``boot_info``; returns ``(bootstrap table, defined, warnings)``."""
    warnings = []
    draws, n_failed = run_bootstrap(engine, theta, bootstrap, seed=seed, n_jobs=n_jobs, progress=progress)
    engine.exo_stats(gdata)  # the draws refreshed the fixed.x values; restore the full sample's
    boot_info.update(n_converged=int(draws.shape[0]), n_failed=int(n_failed))
    if n_failed:
        warnings.append(f"{n_failed} of {bootstrap} bootstrap draws did not converge and were dropped")
    boot_table, defined = _boot_summary(engine, draws, table, defined, dfun)
    n_bad = _count_nonadmissible(engine, draws)
    boot_info["n_nonadmissible"] = n_bad
    if n_bad:
        warnings.append(f"{n_bad} bootstrap draws gave non-admissible solutions (kept, as lavaan does)")
    return boot_table, defined, warnings


def _boot_summary(engine, draws, table, defined, dfun):
    pt, model = engine.pt, engine.model
    rows = [i for i in range(len(pt)) if pt.op[i] == "~" and pt.free[i]]
    def_idx = [i for i in range(len(pt)) if pt.op[i] == ":="]
    cols = []
    if rows:
        cols.append(draws[:, [pt.free[i] - 1 for i in rows]])
    if def_idx:
        cols.append(np.vstack([dfun(t, model) for t in draws]) if len(draws) else np.zeros((0, len(def_idx))))
    if not cols:
        return pd.DataFrame(), defined
    vals = np.hstack(cols)
    bse, lo, hi = percentile_table(vals)
    idx = rows + def_idx
    boot = table.loc[idx, ["lhs", "op", "rhs", "group", "label", "est"]].reset_index(drop=True)
    boot["boot_se"], boot["boot_ci_lower"], boot["boot_ci_upper"] = bse, lo, hi
    if def_idx:
        defined = defined.copy()
        k = len(rows)
        defined["boot_se"], defined["boot_ci_lower"], defined["boot_ci_upper"] = bse[k:], lo[k:], hi[k:]
    return boot, defined


def _count_nonadmissible(engine, draws) -> int:
    pt = engine.pt
    var_free = sorted({pt.free[i] - 1 for i in pt.rows() if pt.op[i] == "~~" and pt.lhs[i] == pt.rhs[i] and pt.free[i]})
    if not var_free or not len(draws):
        return 0
    return int(np.sum(np.any(draws[:, var_free] < 0, axis=1)))
