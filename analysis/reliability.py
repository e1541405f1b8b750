"""Scale reliability: Cronbach's alpha (psych::alpha), omega total (psych::omega and semTools::compRelSEM)
and omega hierarchical (Schmid–Leiman, psych::omega).

Missing data follow the conformance specs:

* ``missing="listwise"``: every statistic uses the rows complete on the scale's items
  (:func:`reliability_table` uses the rows complete on *all* scales' items, as the oracle does).
* ``missing="fiml"`` (alias ``"pairwise"``): psych's pairwise treatment for alpha and the item
  statistics (pairwise covariances, ``R = cov2cor(C)``) and for ``omega_total`` (pairwise
  correlations); the one-factor CFA behind ``omega_total_cfa`` is fitted by full-information ML and
  its denominator is the EM estimate of the saturated covariance matrix, which is what lavaan's
  ``lavInspect(fit, "sampstat")`` returns for ``missing = "ml"``.

The Feldt confidence interval always uses n = the number of rows complete on the scale,
df1 = n − 1 and df2 = (n − 1)(k − 1), at full precision (pingouin rounds it to 3 decimals).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from coprod.analysis._extraction import _extract
from coprod.analysis._itemdata import _constant_items, _norm_missing, _select_items, _smc
from coprod.analysis._onefactor import _em_saturated, _fiml_one_factor, _ml_one_factor
from coprod.analysis._result import jsonable
from coprod.analysis.errors import ModelSpecError
# omega hierarchical lives in its own module; importable from here as before
from coprod.analysis.omega import OmegaResult, omega_hierarchical

__all__ = [
    "ReliabilityResult",
    "OmegaResult",
    "ReliabilityTable",
    "cronbach_alpha",
    "omega_hierarchical",
    "reliability_table",
]

# --------------------------------------------------------------------------- psych::alpha
def _alpha_core(C: np.ndarray, R: np.ndarray, g6: bool = True) -> dict:
    """psych's internal ``alpha.1``: raw/std alpha, G6, average r, S/N and the ASE's Q.

    ``g6=False`` skips Guttman's lambda 6 (a pseudo-inverse), returning NaN for it.
    """
    n = C.shape[0]
    sumC, trC = C.sum(), np.trace(C)
    sumR = R.sum()
    CC = C @ C
    Q = (2 * n ** 2 / ((n - 1) ** 2 * sumC ** 3)) * (sumC * (np.trace(CC) + trC ** 2) - 2 * trC * CC.sum())
    av_r = (sumR - n) / (n * (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):  # perfectly correlated items: S/N is infinite
        sn = n * av_r / (1 - av_r)
    return {
        "raw": (1 - trC / sumC) * n / (n - 1),
        "std": (1 - n / sumR) * n / (n - 1),
        "g6": 1 - (n - _smc(R).sum()) / sumR if g6 else math.nan,
        "av_r": av_r,
        "sn": sn,
        "Q": Q,
    }


def _psych_alpha(X: pd.DataFrame, C: np.ndarray | None = None) -> tuple[dict, pd.DataFrame]:
    """psych::alpha on raw data with ``use = "pairwise"`` (complete data: the ordinary formulas).

    ``C``: ``X.cov(min_periods=2)`` when the caller has it already.
    """
    k = X.shape[1]
    C = X.cov(min_periods=2).to_numpy(float) if C is None else C
    sd = np.sqrt(np.diag(C))
    R = C / np.outer(sd, sd)  # psych: cov2cor(C), not cor(x, use = "pairwise")
    tot = _alpha_core(C, R)
    total_score = X.mean(axis=1, skipna=True)
    nsub = X.shape[0]
    total = {k: float(v) for k, v in {
        "alpha": tot["raw"], "alpha_std": tot["std"], "g6_smc": tot["g6"], "average_r": tot["av_r"],
        "signal_noise": tot["sn"], "alpha_ase": math.sqrt(tot["Q"] / nsub) if tot["Q"] >= 0 else math.nan,
        "scale_mean": total_score.mean(), "scale_sd": total_score.std(ddof=1),
    }.items()}
    drop_raw, drop_std, drop_avr = np.empty(k), np.empty(k), np.empty(k)
    if k > 2:
        for i in range(k):
            keep = [j for j in range(k) if j != i]
            d = _alpha_core(C[np.ix_(keep, keep)], R[np.ix_(keep, keep)], g6=False)
            drop_raw[i], drop_std[i], drop_avr[i] = d["raw"], d["std"], d["av_r"]
    else:
        # psych's own convention for two items: "alpha" without item 1 is C12/C22, std alpha R12
        drop_raw[:] = [C[0, 1] / C[1, 1], C[0, 1] / C[0, 0]]
        drop_std[:] = R[0, 1]
        drop_avr[:] = R[0, 1]
    Vt = R.sum()
    RC = R.copy()
    np.fill_diagonal(RC, _smc(R))
    r_drop = np.array([(C[:, i].sum() - C[i, i]) / math.sqrt(C[i, i] * np.delete(np.delete(C, i, 0), i, 1).sum())
                       for i in range(k)])
    item = pd.DataFrame({
        "n": X.notna().sum().astype(int).to_numpy(),
        "mean": X.mean().to_numpy(), "sd": X.std(ddof=1).to_numpy(),
        "raw_r": X.corrwith(total_score).to_numpy(),  # cor(total, x, use = "pairwise")
        "std_r": R.sum(0) / math.sqrt(Vt),
        "r_cor": RC.sum(0) / math.sqrt(RC.sum()),
        "r_drop": r_drop,
        "alpha_if_deleted_raw": drop_raw, "alpha_if_deleted_std": drop_std,
        "average_r_if_deleted": drop_avr,
    }, index=pd.Index(X.columns, name="item"))
    return total, item


def _feldt(alpha: float, n: int, k: int, level: float) -> tuple[float, float]:
    if not (n > 1 and k > 1 and math.isfinite(alpha)):
        return math.nan, math.nan
    p = 1 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return (float(1 - (1 - alpha) * stats.f.ppf(1 - p / 2, df1, df2)),
            float(1 - (1 - alpha) * stats.f.ppf(p / 2, df1, df2)))


# --------------------------------------------------------------------------- one-factor models for omega
def _omega_psych_total(R: np.ndarray) -> float:
    """psych::omega(nfactors = 1, fm = "minres")$omega.tot = (ΣR − Σu²)/ΣR after flipping items."""
    L, _ = _extract(R, 1, "minres")
    g = L[:, 0]
    key = np.where(np.sign(g) == 0, 1.0, np.sign(g))
    Rf = R * np.outer(key, key)
    u2 = np.diag(R) - g ** 2
    Vt = Rf.sum()
    return float((Vt - u2.sum()) / Vt)


def _omega_cfa(X: pd.DataFrame, missing: str) -> tuple[float, list[str]]:
    """semTools::compRelSEM on a one-factor ML CFA: (Σλ)²ψ / Σ S, S the observed (h1) covariance."""
    notes: list[str] = []
    if missing == "listwise":
        Xc = X.dropna().to_numpy(float)
        if Xc.shape[0] <= Xc.shape[1]:
            return math.nan, [f"one-factor CFA needs more complete rows than items (have {Xc.shape[0]})"]
        S = np.cov(Xc, rowvar=False, ddof=0)  # lavaan's sample covariance divides by N
        if np.linalg.eigvalsh(S).min() <= 1e-10 * np.trace(S):
            return math.nan, ["the items' covariance matrix is singular: one-factor CFA (omega_total_cfa) skipped"]
        lam, _th, ok = _ml_one_factor(S)
    else:
        Xa = X.dropna(how="all").to_numpy(float)
        if Xa.shape[0] <= Xa.shape[1]:
            return math.nan, [f"one-factor CFA needs more rows than items (have {Xa.shape[0]})"]
        _mu, S, ok_em = _em_saturated(Xa)
        if not ok_em:
            notes.append("the EM estimate of the saturated covariance did not converge")
        if np.linalg.eigvalsh(S).min() <= 1e-10 * np.trace(S):
            return math.nan, notes + ["the items' covariance matrix is singular: one-factor CFA skipped"]
        lam, _th, ok = _fiml_one_factor(Xa, _mu, S)
    if not ok:
        notes.append("the one-factor CFA for omega_total_cfa may not have converged")
    return float(lam.sum() ** 2 / S.sum()), notes


# --------------------------------------------------------------------------- results
@dataclass(frozen=True, slots=True)
class ReliabilityResult:
    """Reliability of one scale (optionally within one group)."""

    scale: str | None
    items: tuple[str, ...]
    k: int
    n: int
    n_rows: int
    missing: str
    alpha: float
    alpha_std: float
    alpha_ci: tuple[float, float]
    ci_level: float
    average_r: float
    g6_smc: float
    signal_noise: float
    alpha_ase: float
    scale_mean: float
    scale_sd: float
    omega_total: float
    omega_total_cfa: float
    item_stats: pd.DataFrame
    group: Any = None
    warnings: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return jsonable({
            "scale": self.scale, "group": self.group, "items": list(self.items), "k": self.k, "n": self.n,
            "n_rows": self.n_rows, "missing": self.missing, "alpha": self.alpha, "alpha_std": self.alpha_std,
            "alpha_ci": {"lower": self.alpha_ci[0], "upper": self.alpha_ci[1], "level": self.ci_level,
                         "method": "feldt"},
            "average_r": self.average_r, "g6_smc": self.g6_smc, "signal_noise": self.signal_noise,
            "alpha_ase": self.alpha_ase, "scale_mean": self.scale_mean, "scale_sd": self.scale_sd,
            "omega_total": self.omega_total, "omega_total_cfa": self.omega_total_cfa,
            "item_stats": {str(i): row for i, row in self.item_stats.to_dict(orient="index").items()},
            "warnings": list(self.warnings), "meta": self.meta,
        })

    def to_frame(self) -> pd.DataFrame:
        """The item statistics, one row per item, with the scale (and group) as columns."""
        df = self.item_stats.reset_index()
        df.insert(0, "scale", self.scale)
        if self.group is not None:
            df.insert(1, "group", self.group)
        return df

    def summary(self) -> dict:
        """One flat row: the scale-level numbers (used by :class:`ReliabilityTable`)."""
        return {"scale": self.scale, "group": self.group, "k": self.k, "n": self.n, "alpha": self.alpha,
                "alpha_std": self.alpha_std, "alpha_ci_lower": self.alpha_ci[0], "alpha_ci_upper": self.alpha_ci[1],
                "average_r": self.average_r, "omega_total": self.omega_total,
                "omega_total_cfa": self.omega_total_cfa, "scale_mean": self.scale_mean, "scale_sd": self.scale_sd,
                "warnings": "; ".join(self.warnings)}


def cronbach_alpha(responses: pd.DataFrame, *, items: Sequence[str] | None = None, ci: float = 0.95,
                   missing: str = "listwise", omega: bool = True, scale: str | None = None,
                   group: Any = None) -> ReliabilityResult:
    """Cronbach's alpha with psych's item statistics, a Feldt CI and omega total (two ways).

    Parameters
    ----------
    responses : DataFrame
        One row per respondent, one column per item (reverse-keyed items already reversed).
    items : list of str, optional
        The scale's items (default: all columns).
    ci : float
        Level of the Feldt confidence interval.
    missing : {"listwise", "fiml", "pairwise"}
        See the module docstring.
    omega : bool
        Also compute ``omega_total`` and ``omega_total_cfa`` (needs ≥ 3 items).
    scale, group : optional
        Labels stored in the result.

    Returns
    -------
    ReliabilityResult
        ``alpha`` (raw), ``alpha_std``, ``alpha_ci`` (Feldt: 1 − (1 − α)·F(1 − p/2; n − 1, (n − 1)(k − 1))
        and 1 − (1 − α)·F(p/2; …)), ``average_r``, ``g6_smc``, ``signal_noise``, ``alpha_ase``, the
        scale mean/SD (of the item mean score), ``item_stats`` (n, mean, sd, raw_r, std_r, r_cor,
        r_drop = corrected item-total r, alpha_if_deleted_raw/std), ``omega_total`` =
        ``psych::omega(nfactors = 1, fm = "minres")`` (ΣR − Σu²)/ΣR and ``omega_total_cfa`` =
        ``semTools::compRelSEM`` of a one-factor ML CFA: (Σλ)²ψ / 1'S1, S the observed covariance.

    Notes
    -----
    Checked against R: ``psych::alpha(x)``, ``psych::omega(x, nfactors = 1, fm = "minres")``,
    ``semTools::compRelSEM(cfa("F =~ ...", x))`` on the conformance cases (alpha and item statistics to
    ~1e-15, omega to ~1e-8). Items without variance are left out (psych does the same) and listed in
    ``warnings``; with fewer than 2 usable items or 2 complete rows the fields are NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3], "c": [1, 3, 3, 4, 5, 2]})
    >>> res = cronbach_alpha(df, items=["a", "b", "c"])   # R: psych::alpha(df)$total$raw_alpha
    >>> round(res.alpha, 4), round(res.alpha_std, 4)
    (0.9318, 0.9336)
    """
    missing = _norm_missing(missing)
    if not (0 < ci < 1):
        raise ValueError(f"ci={ci!r} must be in (0, 1)")
    X = _select_items(responses, items, "cronbach_alpha" if scale is None else f"scale {scale}")
    all_items = tuple(X.columns)
    n_rows = int(X.shape[0])
    X, few_rows, warnings = _rows_and_items(X, missing)
    k = X.shape[1]
    n = int(X.dropna().shape[0])
    meta = {"missing": missing, "ci": ci, "n_dropped": n_rows - n, "checked_against": "psych 2.2.9, semTools 0.5.6"}

    def empty(msg: str) -> ReliabilityResult:
        warnings.append(msg)
        return ReliabilityResult(scale, all_items, k, n, n_rows, missing, math.nan, math.nan, (math.nan, math.nan),
                                 ci, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan,
                                 _nan_item_table(all_items), group, tuple(warnings), meta)

    if few_rows:
        return empty(f"too few rows ({X.shape[0]}) to estimate reliability")
    if k < 2:
        return empty(f"alpha needs at least 2 items with variance (have {k})")
    if n < 2 or X.count().min() < 2:
        return empty(f"too few complete rows ({n}) to estimate reliability")
    C = X.cov(min_periods=2).to_numpy(float)
    if not np.all(np.isfinite(C)):
        return empty("some pairs of items are never answered together: covariances undefined")
    total, item = _psych_alpha(X, C)
    item = item.reindex(pd.Index(all_items, name="item"))
    if total["average_r"] < 0:
        warnings.append("the average inter-item correlation is negative: check for items that should be reversed")
    if n < 10:
        warnings.append(f"only {n} complete rows: reliability estimates are very uncertain")
    lo, hi = _feldt(total["alpha"], n, k, ci)
    om_psych = om_cfa = math.nan
    if omega:
        om_psych, om_cfa, notes = _omega_totals(X, k, missing)
        warnings.extend(notes)
    return ReliabilityResult(scale, all_items, k, n, n_rows, missing, total["alpha"], total["alpha_std"], (lo, hi), ci,
                             total["average_r"], total["g6_smc"], total["signal_noise"], total["alpha_ase"],
                             total["scale_mean"], total["scale_sd"], om_psych, om_cfa, item, group,
                             tuple(warnings), meta)


def _rows_and_items(X: pd.DataFrame, missing: str) -> tuple[pd.DataFrame, bool, list[str]]:
    """The rows alpha uses and the items with variance; returns ``(X, too few rows, warnings)``."""
    warnings: list[str] = []
    if missing == "listwise":
        X = X.dropna()
    else:
        X = X.dropna(how="all")  # rows with no answer to any item carry no information
    few_rows = X.shape[0] < 2
    const = [] if few_rows else _constant_items(X)
    if const:
        warnings.append(f"items with no variance were left out (as psych does): {const}")
        X = X.drop(columns=const)
    return X, few_rows, warnings


def _nan_item_table(all_items: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(np.nan, index=pd.Index(all_items, name="item"),
                        columns=["n", "mean", "sd", "raw_r", "std_r", "r_cor", "r_drop",
                                 "alpha_if_deleted_raw", "alpha_if_deleted_std", "average_r_if_deleted"])


def _omega_totals(X: pd.DataFrame, k: int, missing: str) -> tuple[float, float, list[str]]:
    """omega_total (psych, minres) and omega_total_cfa (semTools), NaN with a note when undefined."""
    om_psych = om_cfa = math.nan
    warnings: list[str] = []
    if k < 3:
        warnings.append("omega total needs at least 3 items (a one-factor model with 2 items is not identified)")
    else:
        R = X.corr(min_periods=2).to_numpy(float)
        if not np.all(np.isfinite(R)):
            warnings.append("undefined correlations: omega skipped")
        else:
            om_psych = _omega_psych_total(R)
            om_cfa, notes = _omega_cfa(X, missing)
            warnings.extend(notes)
    return om_psych, om_cfa, warnings


# --------------------------------------------------------------------------- table over scales and groups
@dataclass(frozen=True, slots=True)
class ReliabilityTable:
    """Reliability of several scales, overall and (optionally) per group."""

    results: tuple[ReliabilityResult, ...]
    by: str | None
    missing: str
    n_rows: int
    n_used: int
    warnings: tuple[str, ...] = ()

    def __getitem__(self, scale: str) -> ReliabilityResult:
        """The overall result of one scale."""
        for r in self.results:
            if r.scale == scale and r.group is None:
                return r
        raise KeyError(scale)

    def get(self, scale: str, group: Any = None) -> ReliabilityResult:
        for r in self.results:
            if r.scale == scale and r.group == group:
                return r
        raise KeyError((scale, group))

    def to_frame(self) -> pd.DataFrame:
        """One row per scale (and group): k, n, alpha, CI, omega …"""
        return pd.DataFrame([r.summary() for r in self.results])

    def to_dict(self) -> dict:
        overall = {r.scale: r.to_dict() for r in self.results if r.group is None}
        groups: dict = {}
        for r in self.results:
            if r.group is not None:
                groups.setdefault(str(r.group), {})[r.scale] = r.to_dict()
        return jsonable({"by": self.by, "missing": self.missing, "n_rows": self.n_rows, "n_used": self.n_used,
                         "scales": overall, "groups": groups or None, "warnings": list(self.warnings)})


def reliability_table(responses: pd.DataFrame, scales: Mapping[str, Sequence[str]], *, missing: str = "listwise",
                      by: str | None = None, ci: float = 0.95, omega: bool = True) -> ReliabilityTable:
    """:func:`cronbach_alpha` for every scale, overall and within each group of column ``by``.

    Parameters
    ----------
    responses : DataFrame
    scales : dict
        ``{scale: [item, …]}``.
    missing : {"listwise", "fiml", "pairwise"}
        ``listwise`` keeps the rows complete on *all* scales' items (and ``by``), as the conformance
        oracle does; ``fiml`` keeps every row (pairwise alpha, FIML omega_total_cfa).
    by : str, optional
        Grouping column (e.g. ``"sector"``); rows where it is missing are left out of the groups.
    ci : float
    omega : bool

    Returns
    -------
    ReliabilityTable
        ``results`` (overall first, then per group in sorted order), ``to_frame()`` one row each.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3], "c": [1, 3, 3, 4, 5, 2],
    ...                    "sector": ["m", "v", "m", "v", "m", "v"]})
    >>> tab = reliability_table(df, {"s": ["a", "b", "c"]}, by="sector", omega=False)
    >>> [(r.scale, r.group) for r in tab.results]
    [('s', None), ('s', 'm'), ('s', 'v')]
    """
    missing = _norm_missing(missing)
    if not isinstance(scales, Mapping) or not scales:
        raise ModelSpecError("reliability_table: scales must be a non-empty {scale: [items]} mapping")
    all_items: list[str] = []
    for sc, its in scales.items():
        if isinstance(its, str) or not len(its):
            raise ModelSpecError(f"reliability_table: scale {sc!r} must list its items")
        all_items += [i for i in its if i not in all_items]
    X = _select_items(responses, all_items, "reliability_table")
    if by is not None:
        if by not in responses.columns:
            raise ModelSpecError(f"reliability_table: grouping column {by!r} is not in the responses")
        X = X.assign(**{"\0by": responses[by]})
    n_rows = int(X.shape[0])
    warnings: list[str] = []
    if missing == "listwise":
        X = X.dropna()
        if n_rows - X.shape[0]:
            warnings.append(f"{n_rows - X.shape[0]} of {n_rows} rows were dropped (incomplete on the scales' items"
                            + (f" or {by}" if by else "") + ")")
    results = []
    for sc, its in scales.items():
        results.append(cronbach_alpha(X, items=list(its), ci=ci, missing=missing, omega=omega, scale=sc))
    if by is not None:
        grp = X["\0by"]
        if grp.isna().any():
            warnings.append(f"{int(grp.isna().sum())} rows without {by} are left out of the group results")
        for level in sorted(grp.dropna().unique(), key=str):
            sub = X[grp == level]
            for sc, its in scales.items():
                results.append(cronbach_alpha(sub, items=list(its), ci=ci, missing=missing, omega=omega,
                                              scale=sc, group=level))
    return ReliabilityTable(tuple(results), by, missing, n_rows, int(X.shape[0]), tuple(warnings))
