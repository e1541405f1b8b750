"""Data preparation and a single fit: the shared core of ``fit_sem``, the bootstrap and invariance.

An :class:`Engine` holds the parameter table, the model and the data matrices of every group
(rows in the order of the data, groups in order of first appearance, lavaan's ``group.label``).
It computes sufficient statistics (optionally from bootstrap row counts, so that a draw never
builds a DataFrame) and fits the model from given starting values.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coprod.analysis.errors import ModelSpecError
from coprod.analysis.sem.fiml import (FimlDiscrepancy, fiml_group_data, independence_loglik, pattern_index,
                                      patterns_of)
from coprod.analysis.sem.ml import GroupData, MLDiscrepancy, OptimResult, group_data, minimize
from coprod.analysis.sem.model import Model
from coprod.analysis.sem.partable import build_partable
from coprod.analysis.sem.start import start_values
from coprod.analysis.sem.syntax import parse_model

__all__ = ["Engine", "MISSING", "ESTIMATORS"]

MISSING = ("listwise", "fiml")
ESTIMATORS = ("ML",)


@dataclass(slots=True)
class H1:
    """Saturated-model statistics: per-group logL_h1 and the baseline logL (FIML)."""

    loglik: list[float]
    baseline_loglik: list[float]


class Engine:
    """Prepared model + data. See module docstring."""

    def __init__(self, data: pd.DataFrame, model: str, *, group: str | None = None,
                 group_equal=(), group_partial=(), missing: str = "listwise",
                 estimator: str = "ML", meanstructure: bool | None = None):
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
        if missing not in MISSING:
            raise ModelSpecError(f"missing='{missing}' is not supported; use one of {list(MISSING)}")
        if str(estimator).upper() not in ESTIMATORS:
            raise ModelSpecError(f"estimator='{estimator}' is not supported; use one of {list(ESTIMATORS)}")
        if isinstance(group_equal, str):
            group_equal = [group_equal]
        if isinstance(group_partial, str):
            group_partial = [group_partial]
        self.warnings: list[str] = []
        self.fiml = missing == "fiml"
        pm = parse_model(model)
        n_file = len(data)
        if group is not None:
            if group not in data.columns:
                raise ModelSpecError(f"group column '{group}' is not in the data")
            keep = data[group].notna().to_numpy()
            data = data.loc[keep]
            self.groups = tuple(pd.unique(data[group]))
        else:
            self.groups = ("all",)
        self.group_col = group
        ngroups = len(self.groups)
        if meanstructure is None:
            meanstructure = group is not None or self.fiml
        if any(f.op == "~1" for f in pm.formulas):
            meanstructure = True  # lavaan: an intercept in the syntax switches the mean structure on
        self.meanstructure = bool(meanstructure)
        self.pt, w = build_partable(pm, [c for c in data.columns if c != group], ngroups=ngroups,
                                    meanstructure=self.meanstructure, group_equal=tuple(group_equal),
                                    group_partial=tuple(group_partial))
        self.warnings += w
        if group is None and group_equal:
            self.warnings.append("group_equal ignored: no group column given")
        self.model = Model(self.pt)
        ov = self.model.ov
        x = self._numeric(data[ov])
        ov_x = [self.model.ov_index[v] for v in self.pt.vars.ov_x]
        if self.fiml:
            ok = ~np.all(np.isnan(x), axis=1)
            if ov_x:
                okx = ~np.any(np.isnan(x[:, ov_x]), axis=1)
                if (ok & ~okx).any():
                    self.warnings.append(f"{int((ok & ~okx).sum())} row(s) with a missing exogenous covariate "
                                         "dropped (fixed.x)")
                ok &= okx
        else:
            ok = ~np.any(np.isnan(x), axis=1)
        gcol = data[group].to_numpy() if group is not None else np.zeros(len(data))
        self.x = [x[ok & (gcol == lab)] if group is not None else x[ok] for lab in self.groups]
        self.n_used = int(sum(len(a) for a in self.x))
        self.n_dropped = n_file - self.n_used
        self.x_index = ov_x
        # FIML: the patterns and the EM (h1) estimates depend on the rows only, so they are
        # computed once per engine (the full-sample fit, its SEs and fit measures share them)
        self._pindex = None
        self._fiml_stats = None
        self._check_data()

    # ------------------------------------------------------------------ data checks
    @staticmethod
    def _numeric(frame: pd.DataFrame) -> np.ndarray:
        cols = []
        for c in frame.columns:
            s = frame[c]
            if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
                conv = pd.to_numeric(s, errors="coerce")
                bad = conv.isna() & s.notna()
                if bad.any():
                    first = s[bad].iloc[0]
                    raise ModelSpecError(f"column '{c}' is not numeric (e.g. value {first!r})")
                s = conv
            cols.append(s.to_numpy(dtype=float, na_value=np.nan))
        return np.column_stack(cols) if cols else np.zeros((len(frame), 0))

    def _check_data(self) -> None:
        ov = self.model.ov
        for g, xg in enumerate(self.x):
            where = f" in group {self.groups[g]!r}" if self.group_col else ""
            n = len(xg)
            if n < 2:
                self.warnings.append(f"only {n} usable row(s){where}: the model cannot be estimated")
                continue
            sd = np.nanstd(xg, axis=0)
            for j in np.flatnonzero(~(sd > 0)):
                self.warnings.append(f"column '{ov[j]}' is constant{where}: its variance is 0 and the "
                                     "sample covariance matrix is singular")
        npar = self.pt.nfree
        if self.n_used < npar:
            self.warnings.append(f"fewer usable rows ({self.n_used}) than free parameters ({npar}): "
                                 "estimates are unreliable or not identified")
        if self.df < 0:
            self.warnings.append(f"model is not identified: {npar} free parameters but only "
                                 f"{self.df + npar} sample moments (df = {self.df})")

    @property
    def df(self) -> int:
        p, nx = self.model.p, len(self.x_index)
        per = p * (p + 1) // 2 - nx * (nx + 1) // 2
        if self.meanstructure:
            per += p - nx
        return len(self.groups) * per - self.pt.nfree

    @property
    def baseline_df(self) -> int:
        p, nx = self.model.p, len(self.x_index)
        per = p * (p + 1) // 2 - nx * (nx + 1) // 2 - (p - nx)
        return len(self.groups) * per

    # ------------------------------------------------------------------ statistics
    def stats(self, weights: list[np.ndarray] | None = None) -> tuple[list[GroupData], H1 | None]:
        """Per-group sufficient statistics; ``weights`` are bootstrap row counts per group."""
        out = []
        if not self.fiml:
            for g, xg in enumerate(self.x):
                if len(xg) == 0:
                    out.append(GroupData(0, np.full(self.model.p, np.nan), np.full((self.model.p,) * 2, np.nan)))
                    continue
                if weights is None:
                    out.append(group_data(xg))
                else:
                    out.append(group_data(self._centred(g), weights[g], self._centre[g]))
            return out, None
        if weights is None and self._fiml_stats is not None:
            return self._fiml_stats
        lls, bls = [], []
        for g, xg in enumerate(self.x):
            index = self._pattern_index(g)
            if weights is not None:
                # a draw's patterns from the row counts: the full sample's patterns, reweighted
                pats = patterns_of(index, weights[g])
                gd = GroupData(int(round(pats.n_total)), np.nanmean(xg, axis=0), np.diag(np.nanvar(xg, axis=0)),
                               pats)
            else:
                gd, ll, ok = fiml_group_data(xg, index)
                if not ok:
                    self.warnings.append("EM for the saturated (h1) model did not converge")
            if self.x_index and len(xg):
                xs = xg[:, self.x_index]
                if weights is not None:
                    wg = weights[g]
                    mx = wg @ xs / wg.sum()
                    xc = xs - mx
                    gd.x_moments = (np.atleast_2d((xc.T * wg) @ xc / wg.sum()), mx)
                else:
                    gd.x_moments = (np.atleast_2d(np.cov(xs, rowvar=False, bias=True)), xs.mean(axis=0))
            out.append(gd)
            if weights is not None:
                continue
            lls.append(ll)
            bls.append(independence_loglik(gd.patterns, self.model.p, self.x_index))
        if weights is not None:
            return out, None
        self._fiml_stats = (out, H1(lls, bls))
        return self._fiml_stats

    def _pattern_index(self, g: int):
        """Group ``g``'s rows sorted by missing-data pattern (made once, reused by every draw)."""
        if self._pindex is None:
            self._pindex = [pattern_index(xg) for xg in self.x]
        return self._pindex[g]

    def _centred(self, g: int) -> np.ndarray:
        if not hasattr(self, "_xc"):
            self._centre = [xg.mean(axis=0) for xg in self.x]
            self._xc = [xg - c for xg, c in zip(self.x, self._centre)]
        return self._xc[g]

    def discrepancy(self, gdata: list[GroupData], step: np.ndarray | None = None):
        """The objective of the fit; ``step`` (FIML only) is a fixed step matrix for scoring."""
        return FimlDiscrepancy(self.model, gdata, step) if self.fiml else MLDiscrepancy(self.model, gdata)

    def exo_stats(self, gdata: list[GroupData]) -> None:
        """Refresh fixed.x values from the (resampled) sample (FIML: the covariates' own moments)."""
        if not self.x_index:
            return
        covs, means = [], []
        for d in gdata:
            if self.fiml:
                c, m = np.zeros((self.model.p, self.model.p)), np.zeros(self.model.p)
                if d.x_moments is not None:
                    c[np.ix_(self.x_index, self.x_index)], m[self.x_index] = d.x_moments
                covs.append(c)
                means.append(m)
            else:
                covs.append(d.cov)
                means.append(d.mean)
        self.model.set_exo(covs, means)

    def fit(self, gdata: list[GroupData], start: np.ndarray | None = None, *, maxit: int = 300,
            tol: float = 1e-12, retry: bool = True, step: np.ndarray | None = None) -> OptimResult:
        """Fit from ``start`` (default: starting values from ``gdata``); ``step``: see
        :meth:`discrepancy`.

        When that fit fails (and ``retry``), it is repeated from the default starts (if ``start``
        was given) and then from starts computed on the pooled covariance matrix; the first that
        converges is returned, else the one with the lowest objective."""
        self.exo_stats(gdata)
        disc = self.discrepancy(gdata, step)
        first = start_values(self.model, gdata) if start is None else np.asarray(start, float)
        if any(d.n < 2 for d in gdata):
            return OptimResult(first, np.nan, False, 0, "too few rows to estimate the model", "too_few_rows")
        res = minimize(disc, first, maxit=maxit, tol=tol)
        if res.converged or not retry:
            return res
        tried = [res]
        others = ([] if start is None else [("default starts", lambda: start_values(self.model, gdata))])
        if len(gdata) > 1:
            others.append(("pooled starts", lambda: start_values(self.model, gdata, pooled=True)))
        for name, make in others:
            again = minimize(disc, make(), maxit=maxit, tol=tol)
            if again.converged:
                again.message = f"{again.message} (retried from {name}; first start: {res.message})"
                return again
            tried.append(again)
        finite = [r for r in tried if np.isfinite(r.value)]
        return min(finite, key=lambda r: r.value) if finite else res
