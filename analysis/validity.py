"""Convergent and discriminant validity from a fitted CFA/SEM: composite reliability, AVE, HTMT and the
Fornell–Larcker table.

The CFA itself is not fitted here. :func:`composite_reliability` and :func:`ave` take the tidy,
lavaan-style parameter table our SEM engine returns (columns ``lhs, op, rhs, est`` and optionally
``std_all``, ``group``; ``op`` in ``=~``, ``~~``, ``~``) and compute semTools' definitions:

* ``compRelSEM`` (obs.var = TRUE): ω_f = (Σλ)²·φ_ff / 1'S_f1, S_f the *observed* covariance matrix of
  the factor's indicators (N denominator, rows complete on the model's variables; with FIML the EM
  estimate of the saturated covariance, i.e. lavaan's ``sampstat``).
* ``AVE`` (obs.var = TRUE): Σλ²·φ_ff / Σ diag(S_f), with the unstandardised loadings: a ratio of sums.
  It equals the textbook mean of squared standardised loadings (Fornell & Larcker 1981) only when the
  indicators have equal variances; we follow semTools.

φ_ff is the model-implied factor variance (for endogenous factors: (I − B)⁻¹Ψ(I − B)⁻ᵀ, as
``lavInspect(fit, "cov.lv")``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from coprod.analysis._itemdata import _check_choice, _select_items
from coprod.analysis._onefactor import _em_saturated
from coprod.analysis._result import jsonable
from coprod.analysis.errors import ModelSpecError

__all__ = [
    "ConstructValidityResult",
    "HtmtResult",
    "FornellLarckerResult",
    "composite_reliability",
    "ave",
    "latent_correlations",
    "htmt",
    "fornell_larcker",
]

MISSING_OPTIONS = ("listwise", "fiml", "pairwise")


# --------------------------------------------------------------------------- parameter table
def _normalise_table(estimates: pd.DataFrame | Sequence[Mapping]) -> pd.DataFrame:
    pt = pd.DataFrame(estimates).copy() if not isinstance(estimates, pd.DataFrame) else estimates.copy()
    pt = pt.rename(columns={"std.all": "std_all", "std.lv": "std_lv"})
    missing = [c for c in ("lhs", "op", "rhs", "est") if c not in pt.columns]
    if missing:
        raise ModelSpecError(f"parameter table lacks the column(s) {missing} (needs lhs, op, rhs, est)")
    if "group" not in pt.columns:
        pt["group"] = 1
    pt["group"] = pt["group"].fillna(1)
    if not (pt["op"] == "=~").any():
        raise ModelSpecError("parameter table has no loadings (op '=~')")
    return pt


def _block(pt: pd.DataFrame) -> dict:
    """Loadings Λ, implied latent covariance Φ and implied observed covariance of one group."""
    load = pt[pt["op"] == "=~"]
    factors = list(dict.fromkeys(load["lhs"]))
    fset = set(factors)
    ov = list(dict.fromkeys(load["rhs"]))
    ov = [v for v in ov if v not in fset]  # higher-order loadings go into B, not Λ
    fi = {f: i for i, f in enumerate(factors)}
    oi = {v: i for i, v in enumerate(ov)}
    L = np.zeros((len(ov), len(factors)))
    B = np.zeros((len(factors), len(factors)))
    for r in load.itertuples():
        if r.rhs in fset:
            B[fi[r.rhs], fi[r.lhs]] = r.est  # F_rhs = b·F_lhs + ζ
        else:
            L[oi[r.rhs], fi[r.lhs]] = r.est
    notes: list[str] = []
    for r in pt[pt["op"] == "~"].itertuples():
        if r.lhs in fset and r.rhs in fset:
            B[fi[r.lhs], fi[r.rhs]] = r.est
        else:
            notes.append(f"regression {r.lhs} ~ {r.rhs} involves an observed variable and is ignored")
    Psi = np.zeros((len(factors), len(factors)))
    Theta = np.zeros((len(ov), len(ov)))
    for r in pt[pt["op"] == "~~"].itertuples():
        if r.lhs in fi and r.rhs in fi:
            Psi[fi[r.lhs], fi[r.rhs]] = Psi[fi[r.rhs], fi[r.lhs]] = r.est
        elif r.lhs in oi and r.rhs in oi:
            Theta[oi[r.lhs], oi[r.rhs]] = Theta[oi[r.rhs], oi[r.lhs]] = r.est
    try:
        IB = np.linalg.inv(np.eye(len(factors)) - B)
    except np.linalg.LinAlgError:
        raise ModelSpecError("the regressions among the factors are singular (I - B has no inverse); "
                             "check the parameter table") from None
    Phi = IB @ Psi @ IB.T
    Sigma = L @ Phi @ L.T + Theta
    return {"factors": factors, "ov": ov, "L": L, "Phi": Phi, "Sigma": Sigma, "notes": notes}


def _observed_cov(data: pd.DataFrame, ov: list[str], missing: str) -> tuple[np.ndarray, int]:
    X = _select_items(data, ov, "observed covariance")
    if missing == "listwise":
        Xc = X.dropna().to_numpy(float)
        return np.cov(Xc, rowvar=False, ddof=0), Xc.shape[0]  # lavaan: divide by N
    Xa = X.dropna(how="all").to_numpy(float)
    _mu, S, _ok = _em_saturated(Xa)
    return S, Xa.shape[0]


def _group_frames(pt: pd.DataFrame, data: pd.DataFrame | None, group: str | None):
    """Yield (label, table, data) per group; lavaan numbers groups in order of first appearance."""
    gvals = list(dict.fromkeys(pt["group"]))
    if len(gvals) == 1:
        yield None, pt, data
        return
    if data is not None:
        if group is None or group not in data.columns:
            raise ModelSpecError("the parameter table has several groups: pass group=<data column>")
        labels = list(dict.fromkeys(data[group].dropna()))
    else:
        labels = gvals
    for g in gvals:
        if data is None:
            yield g, pt[pt["group"] == g], None
            continue
        if isinstance(g, str):
            label = g
        else:
            if not 1 <= int(g) <= len(labels):
                raise ModelSpecError(f"group {g} of the parameter table has no matching value in column {group!r}")
            label = labels[int(g) - 1]
        yield label, pt[pt["group"] == g], data[data[group] == label]


@dataclass(frozen=True, slots=True)
class ConstructValidityResult:
    """Composite reliability or AVE per factor (and group)."""

    measure: str
    values: pd.Series            # index: factor, or (group, factor) for multi-group tables
    obs_var: bool
    n: int | None
    warnings: tuple[str, ...] = ()

    def __getitem__(self, factor: Any) -> float:
        return float(self.values[factor])

    def to_dict(self) -> dict:
        if isinstance(self.values.index, pd.MultiIndex):
            vals: dict = {}
            for (g, f), v in self.values.items():
                vals.setdefault(str(g), {})[f] = v
        else:
            vals = dict(self.values.items())
        return jsonable({"measure": self.measure, "values": vals, "obs_var": self.obs_var, "n": self.n,
                         "warnings": list(self.warnings)})

    def to_frame(self) -> pd.DataFrame:
        df = self.values.rename(self.measure).reset_index()
        return df.rename(columns={"level_0": "group", "level_1": "factor", "index": "factor"})


def _construct_measure(measure: str, estimates, data, missing: str, group: str | None) -> ConstructValidityResult:
    _check_choice("missing", missing, MISSING_OPTIONS)
    pt = _normalise_table(estimates)
    warnings: list[str] = []
    out: dict = {}
    n_total = 0 if data is not None else None
    for label, ptg, dg in _group_frames(pt, data, group):
        blk = _block(ptg)
        warnings += [w for w in blk["notes"] if w not in warnings]
        ov, L, Phi = blk["ov"], blk["L"], blk["Phi"]
        if dg is not None:
            S, n = _observed_cov(dg, ov, "listwise" if missing == "listwise" else "fiml")
            n_total += n
        else:
            S = blk["Sigma"]
        for j, f in enumerate(blk["factors"]):
            idx = np.where(L[:, j] != 0)[0]
            key = f if label is None else (label, f)
            if len(idx) < 2:
                warnings.append(f"factor {f} has fewer than 2 indicators: no {measure} (semTools drops it)")
                continue
            lam = L[idx, j]
            if measure == "composite_reliability":
                out[key] = float(lam.sum() ** 2 * Phi[j, j] / S[np.ix_(idx, idx)].sum())
            else:
                cross = [ov[i] for i in idx if np.sum(np.round(L[i], 5) != 0) > 1]
                if cross:
                    warnings.append(f"factor {f}: indicators {cross} cross-load; AVE is undefined (semTools gives NA)")
                    out[key] = math.nan
                    continue
                out[key] = float(np.sum(lam ** 2) * Phi[j, j] / np.trace(S[np.ix_(idx, idx)]))
    if out and isinstance(next(iter(out)), tuple):
        values = pd.Series(out, dtype=float)
        values.index = pd.MultiIndex.from_tuples(values.index, names=["group", "factor"])
    else:
        values = pd.Series(out, dtype=float, name=measure)
        values.index.name = "factor"
    return ConstructValidityResult(measure, values, data is not None, n_total, tuple(warnings))


def composite_reliability(estimates: pd.DataFrame, data: pd.DataFrame | None = None, *, missing: str = "listwise",
                          group: str | None = None) -> ConstructValidityResult:
    """Composite (omega) reliability per factor, as ``semTools::compRelSEM(fit)`` (obs.var = TRUE).

    Parameters
    ----------
    estimates : DataFrame
        lavaan-style parameter table with columns ``lhs, op, rhs, est`` (``group`` for multi-group
        fits; ``std.all`` is accepted as ``std_all``).
    data : DataFrame, optional
        The data the model was fitted to. Without it the model-implied covariance is used
        (semTools ``obs.var = FALSE``).
    missing : {"listwise", "fiml", "pairwise"}
        How the model was fitted: ``listwise`` takes the covariance (N denominator) of rows complete on
        the model's indicators; ``fiml``/``pairwise`` the EM estimate of the saturated covariance.
    group : str, optional
        Data column of a multi-group fit; group g of the table is the g-th value in order of first
        appearance, as lavaan numbers them.

    Returns
    -------
    ConstructValidityResult
        ``values[factor]`` = (Σλ)²φ / 1'S1 over the factor's indicators.

    Notes
    -----
    Checked against R: ``semTools::compRelSEM(lavaan::cfa(model, data))`` (semTools 0.5.6) on the
    conformance cases (≤ 1e-6 when fed lavaan's estimates). Factors with one indicator are skipped.

    Examples
    --------
    >>> import pandas as pd
    >>> pt = pd.DataFrame({"lhs": ["f", "f", "f", "f"], "op": ["=~", "=~", "=~", "~~"],
    ...                    "rhs": ["a", "b", "c", "f"], "est": [1.0, 1.0, 1.0, 0.5]})
    >>> round(composite_reliability(pt)["f"], 4)      # no data: implied covariance; theta = 0 here
    1.0
    """
    return _construct_measure("composite_reliability", estimates, data, missing, group)


def ave(estimates: pd.DataFrame, data: pd.DataFrame | None = None, *, missing: str = "listwise",
        group: str | None = None) -> ConstructValidityResult:
    """Average variance extracted per factor, as ``semTools::AVE(fit)`` (obs.var = TRUE).

    AVE_f = Σλ²·φ_ff / Σ var(x_i) over the factor's indicators, with unstandardised loadings and the
    observed variances (N denominator); without ``data`` the model-implied variances. This ratio of
    sums is semTools' definition; the mean of the squared standardised loadings (Fornell & Larcker)
    differs from it unless the indicators' variances are equal. Indicators that cross-load make AVE
    undefined (NaN with a warning, as semTools). Parameters as :func:`composite_reliability`.

    Notes
    -----
    Checked against R: ``semTools::AVE(lavaan::cfa(model, data))`` on the conformance cases.

    Examples
    --------
    >>> import pandas as pd
    >>> pt = pd.DataFrame({"lhs": ["f", "f", "f", "a", "b"], "op": ["=~", "=~", "~~", "~~", "~~"],
    ...                    "rhs": ["a", "b", "f", "a", "b"], "est": [0.8, 0.6, 1.0, 0.36, 0.64]})
    >>> round(ave(pt)["f"], 4)                         # (0.64 + 0.36) / (1 + 1): implied variances
    0.5
    """
    return _construct_measure("ave", estimates, data, missing, group)


def latent_correlations(estimates: pd.DataFrame) -> pd.DataFrame:
    """Model-implied factor correlations (``lavInspect(fit, "cor.lv")``) of a single-group table."""
    pt = _normalise_table(estimates)
    if pt["group"].nunique() > 1:
        raise ModelSpecError("latent_correlations: pass the rows of one group")
    blk = _block(pt)
    d = np.sqrt(np.diag(blk["Phi"]))
    return pd.DataFrame(blk["Phi"] / np.outer(d, d), index=blk["factors"], columns=blk["factors"])


# --------------------------------------------------------------------------- HTMT
@dataclass(frozen=True, slots=True)
class HtmtResult:
    """Heterotrait–monotrait ratios between scales (symmetric matrix, 1 on the diagonal)."""

    matrix: pd.DataFrame
    htmt2: bool
    absolute: bool
    n: int
    missing: str
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return jsonable({"matrix": {r: dict(self.matrix.loc[r].items()) for r in self.matrix.index},
                         "htmt2": self.htmt2, "absolute": self.absolute, "n": self.n, "missing": self.missing,
                         "warnings": list(self.warnings)})

    def to_frame(self, threshold: float = 0.85) -> pd.DataFrame:
        """One row per pair of scales with a flag ``above`` (HTMT ≥ threshold: discriminant validity doubtful)."""
        s = list(self.matrix.index)
        rows = [{"scale_1": a, "scale_2": b, "htmt": self.matrix.loc[a, b],
                 "above": bool(self.matrix.loc[a, b] >= threshold)}
                for i, a in enumerate(s) for b in s[i + 1:]]
        return pd.DataFrame(rows)


def htmt(responses: pd.DataFrame, scales: Mapping[str, Sequence[str]], *, htmt2: bool = True,
         absolute: bool = True, missing: str = "listwise") -> HtmtResult:
    """Heterotrait–monotrait ratio of correlations (Henseler, Ringle & Sarstedt 2015), as ``semTools::htmt``.

    Parameters
    ----------
    responses : DataFrame
    scales : dict
        ``{scale: [items]}``; each scale needs at least 2 items.
    htmt2 : bool
        ``True`` (semTools' default): geometric means of the correlations (HTMT2, Roemer et al. 2021);
        ``False``: arithmetic means (the original HTMT).
    absolute : bool
        Use absolute correlations (always, for HTMT2).
    missing : {"listwise", "pairwise", "fiml"}
        As ``lavaan::lavCor``: complete rows; pairwise covariances standardised by each item's
        variance (cov2cor); or the EM covariance (``missing = "ml"``).

    Returns
    -------
    HtmtResult
        ``matrix.loc[a, b]`` = mean r(items of a, items of b) / sqrt(mean r within a · mean r within b).

    Notes
    -----
    Checked against R: ``semTools::htmt(model, data)`` (semTools 0.5.6).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a1": [1, 2, 3, 4, 5], "a2": [1, 3, 2, 4, 5], "b1": [2, 1, 4, 3, 5], "b2": [1, 2, 4, 5, 3]})
    >>> res = htmt(df, {"A": ["a1", "a2"], "B": ["b1", "b2"]}, htmt2=False)   # R: semTools::htmt(..., htmt2 = FALSE)
    >>> round(float(res.matrix.loc["A", "B"]), 4)
    0.9317
    """
    _check_choice("missing", missing, MISSING_OPTIONS)
    if not isinstance(scales, Mapping) or len(scales) < 2:
        raise ModelSpecError("htmt needs at least two scales ({scale: [items]})")
    items: list[str] = []
    for its in scales.values():
        items += [i for i in its if i not in items]
    X = _select_items(responses, items, "htmt")
    warnings: list[str] = []
    if missing == "listwise":
        X = X.dropna()
        R = X.corr().to_numpy(float)
    elif missing == "pairwise":
        # lavCor(missing = "pairwise") standardises the pairwise covariances by the variances of all
        # available answers (cov2cor), which is not R's cor(use = "pairwise")
        C = X.cov(min_periods=2).to_numpy(float)
        d = np.sqrt(np.diag(C))
        R = C / np.outer(d, d)
    else:
        _mu, S, _ok = _em_saturated(X.dropna(how="all").to_numpy(float))
        d = np.sqrt(np.diag(S))
        R = S / np.outer(d, d)
    n = int(X.dropna().shape[0])
    pos = {it: i for i, it in enumerate(items)}
    if absolute or htmt2:
        R = np.abs(R)
    if htmt2 and np.any(R[~np.eye(len(items), dtype=bool)] == 0):
        warnings.append("a correlation is exactly 0: HTMT2 (geometric mean) is 0 or undefined")

    def mean_block(a: Sequence[str], b: Sequence[str], same: bool) -> float:
        ia, ib = [pos[i] for i in a], [pos[i] for i in b]
        block = R[np.ix_(ia, ib)]
        vals = block[~np.eye(len(ia), dtype=bool)] if same else block.ravel()
        if vals.size == 0 or not np.all(np.isfinite(vals)):
            return math.nan
        with np.errstate(divide="ignore"):
            return float(np.exp(np.mean(np.log(vals)))) if htmt2 else float(np.mean(vals))

    names = list(scales)
    within = {s: mean_block(scales[s], scales[s], True) for s in names}
    for s, v in within.items():
        if not math.isfinite(v):
            warnings.append(f"scale {s}: the within-scale mean correlation is undefined (fewer than 2 items, "
                            "a constant item, or no overlap)")
    M = pd.DataFrame(np.nan, index=names, columns=names)
    for a in names:
        for b in names:
            if a == b:
                M.loc[a, b] = 1.0 if math.isfinite(within[a]) else math.nan
                continue
            M.loc[a, b] = float(mean_block(scales[a], scales[b], False) / math.sqrt(within[a] * within[b]))
    return HtmtResult(M, htmt2, absolute or htmt2, n, missing, tuple(warnings))


# --------------------------------------------------------------------------- Fornell–Larcker
@dataclass(frozen=True, slots=True)
class FornellLarckerResult:
    """sqrt(AVE) on the diagonal, factor correlations below it; ``passes`` per factor."""

    table: pd.DataFrame
    sqrt_ave: pd.Series
    max_abs_cor: pd.Series
    passes: pd.Series
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return jsonable({"table": {r: dict(self.table.loc[r].items()) for r in self.table.index},
                         "sqrt_ave": self.sqrt_ave, "max_abs_cor": self.max_abs_cor, "passes": self.passes,
                         "warnings": list(self.warnings)})

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"factor": self.sqrt_ave.index, "sqrt_ave": self.sqrt_ave.to_numpy(),
                             "max_abs_cor": self.max_abs_cor.to_numpy(), "passes": self.passes.to_numpy()})


def fornell_larcker(ave: ConstructValidityResult | Mapping[str, float] | pd.Series,
                    latent_cor: pd.DataFrame | Mapping[str, Mapping[str, float]]) -> FornellLarckerResult:
    """Fornell–Larcker criterion: each factor's sqrt(AVE) should exceed its correlations with the others.

    Parameters
    ----------
    ave : ConstructValidityResult, dict or Series
        AVE per factor (single group), e.g. from :func:`ave`.
    latent_cor : DataFrame or nested dict
        Factor correlations, e.g. :func:`latent_correlations` or lavaan's ``cor.lv``.

    Returns
    -------
    FornellLarckerResult
        ``table`` (diagonal sqrt(AVE), lower triangle correlations, upper triangle NaN), ``passes``.

    Examples
    --------
    >>> fl = fornell_larcker({"A": 0.64, "B": 0.49}, {"A": {"A": 1, "B": 0.75}, "B": {"A": 0.75, "B": 1}})
    >>> fl.passes.to_dict()
    {'A': True, 'B': False}
    """
    if isinstance(ave, ConstructValidityResult):
        if isinstance(ave.values.index, pd.MultiIndex):
            raise ModelSpecError("fornell_larcker: pass the AVE of one group")
        ave = ave.values
    a = pd.Series(dict(ave), dtype=float)
    C = latent_cor if isinstance(latent_cor, pd.DataFrame) else pd.DataFrame(latent_cor)
    missing = [f for f in a.index if f not in C.index or f not in C.columns]
    if missing:
        raise ModelSpecError(f"fornell_larcker: factors {missing} have an AVE but no correlations")
    f = list(a.index)
    C = C.loc[f, f].astype(float)
    warnings = []
    if (a < 0).any() or (a > 1).any():
        warnings.append("an AVE outside [0, 1]: check the solution (Heywood case?)")
    sq = np.sqrt(a.clip(lower=0))
    T = pd.DataFrame(np.nan, index=f, columns=f)
    for i, x in enumerate(f):
        T.loc[x, x] = sq[x]
        for y in f[:i]:
            T.loc[x, y] = C.loc[x, y]
    off = C.abs().where(~np.eye(len(f), dtype=bool))
    mx = off.max(axis=1) if len(f) > 1 else pd.Series(np.nan, index=f)
    passes = pd.Series({x: bool(sq[x] > mx[x]) if math.isfinite(mx[x]) and math.isfinite(sq[x]) else False
                        for x in f})
    return FornellLarckerResult(T, sq.rename("sqrt_ave"), mx.rename("max_abs_cor"), passes, tuple(warnings))
