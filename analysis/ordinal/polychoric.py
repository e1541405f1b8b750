"""Probit thresholds and two-step polychoric correlations, as lavaan computes them for ``ordered=``.

lavaan (``lav_samplestats_step1``/``step2``, ``lav_uvord_th``, ``lav_bvord_cor_twostep_fit``)
estimates, for ordinal items:

1. each item's thresholds from its own marginal cumulative proportions, ``qnorm(cumsum(prop))``;
2. each pair's correlation by maximising the bivariate-normal likelihood of the pair's
   contingency table with both items' thresholds held fixed (the "two-step" estimator), bounded to
   [-0.999, 0.999].

Empty cells are not corrected, except in one place where lavaan does so by default
(``zero.add = c(0.5, 0)``, ``zero.keep.margins = TRUE``): a 2×2 table with exactly one empty cell
gets 0.5 added to that cell's diagonal and subtracted from the other one, which keeps the margins.
psych's ``polychoric(correct = 0.5)`` adds 0.5 to *every* empty cell of every table and therefore
differs (up to 0.05 on ``likert_ordinal``, n = 500; identical to 2e-5 on tables without empty
cells); it is not the target.

Rectangle probabilities use Genz's ``BVNU`` (``_bvn.py``; the algorithm of R's ``pbivnorm``,
which lavaan calls), vectorised over all cells of all pairs at once. All pairs are solved
together by a damped Newton ascent from the Pearson correlation (as nlminb starts), with
analytic first and second derivatives (bivariate normal density at the cell corners, and
Olsson's corrected A2 term).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from coprod.analysis._threads import one_blas_thread
from coprod.analysis._result import jsonable
from coprod.analysis.errors import ModelSpecError
from coprod.analysis.ordinal._bvn import _bvn_density, _diff2, _guv, bivariate_normal_cdf
from coprod.analysis.ordinal._data import _Ordinal, _prepare

__all__ = [
    "PolychoricResult",
    "OrdinalAlphaResult",
    "thresholds",
    "polychoric",
    "ordinal_alpha",
]

RHO_BOUND = 0.999  # lavaan's nlminb box for the two-step correlation
ZERO_ADD_2X2 = 0.5  # lavaan's zero.add[1]; zero.add[2] (general tables) is 0
_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))  # lavaan floors cell probabilities here
_R_CALL_POLY = 'lavCor(data, ordered = items, output = "cor")  # lavaan 0.6-14'
_R_CALL_TH = 'lavInspect(cfa(model, data, ordered = items), "th")  # lavaan 0.6-14'


def _threshold_list(data: _Ordinal) -> list[np.ndarray]:
    """qnorm of the cumulative marginal proportions: lavaan's ``lav_uvord_th`` (and the ML fit)."""
    out = []
    for j, lv in enumerate(data.levels):
        counts = np.bincount(data.codes[:, j], minlength=len(lv)).astype(float)
        cum = np.cumsum(counts[:-1]) / data.n
        out.append(ndtri(cum))
    return out


def _threshold_frame(data: _Ordinal, taus: list[np.ndarray]) -> pd.DataFrame:
    rows = []
    for col, lv, tau in zip(data.items, data.levels, taus):
        cum = ndtr(tau)
        for t, (value, below) in enumerate(zip(tau, lv[:-1]), start=1):
            rows.append({"item": col, "threshold": t, "name": f"{col}|t{t}",
                         "below": below, "cum_prop": float(cum[t - 1]), "est": float(value)})
    frame = pd.DataFrame(rows, columns=["item", "threshold", "name", "below", "cum_prop", "est"])
    return frame


# --------------------------------------------------------------------------- public: thresholds
def thresholds(responses: pd.DataFrame, *, items: Sequence[str] | None = None) -> pd.DataFrame:
    """Probit thresholds of ordinal items from their marginal cumulative proportions.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per respondent, one column per item; numeric codes (or ordered categoricals).
    items : sequence of str, optional
        Item columns to use (default: all). Rows missing any of them are dropped (listwise).

    Returns
    -------
    pandas.DataFrame
        One row per threshold, in lavaan's order (items in the given order, then t1, t2, …):
        ``item``, ``threshold`` (1-based), ``name`` (lavaan's ``item|tk``), ``below`` (the highest
        category value below the threshold), ``cum_prop`` and ``est``. Data warnings (a single
        category, an empty category) are in ``frame.attrs["warnings"]``.

    Raises
    ------
    ResponseDataError
        Unknown or non-numeric item columns, or fewer than 2 complete rows.

    Notes
    -----
    τ_k = Φ⁻¹(P(y ≤ c_k)), where c_1 < … < c_K are the *observed* categories (lavaan's
    ``ordered()`` keeps only observed levels). Checked against R:
    ``lavInspect(fit, "th")`` (lavaan 0.6-14), which equals ``psych::polychoric()$tau``.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 1, 2, 2, 2, 3, 3, 3, 3, 3]})
    >>> th = thresholds(df)  # cumulative proportions 0.2 and 0.5
    >>> th["name"].tolist(), th["est"].round(4).tolist()
    (['a|t1', 'a|t2'], [-0.8416, 0.0])
    """
    data = _prepare(responses, items)
    frame = _threshold_frame(data, _threshold_list(data))
    frame.attrs["warnings"] = list(data.warnings)
    frame.attrs["n"] = data.n
    return frame


# --------------------------------------------------------------------------- two-step polychoric
@dataclass(frozen=True, slots=True)
class _Pairs:
    """Every item pair's table, in lavaan's order (lower triangle column by column)."""

    first: np.ndarray  # index of the column item j (lower index)
    second: np.ndarray  # index of the row item i (higher index)
    kmax: int
    tau_ext: np.ndarray  # p × (kmax + 1): -inf, τ_1 … τ_{K-1}, +inf, padded with +inf
    freq: np.ndarray  # P × kmax × kmax counts (raw; lavaan's scores use the raw data)


def _pairs(data: _Ordinal, taus: list[np.ndarray]) -> _Pairs:
    p = len(data.items)
    kmax = int(max(data.ncat.max(initial=2), 2))
    tau_ext = np.full((p, kmax + 1), np.inf)
    tau_ext[:, 0] = -np.inf
    for j, tau in enumerate(taus):
        tau_ext[j, 1:1 + len(tau)] = tau
    first = np.concatenate([np.full(p - 1 - j, j) for j in range(p - 1)]).astype(int) \
        if p > 1 else np.zeros(0, int)
    second = np.concatenate([np.arange(j + 1, p) for j in range(p - 1)]).astype(int) \
        if p > 1 else np.zeros(0, int)
    freq = np.zeros((len(first), kmax, kmax))
    # One bincount per column item keeps the index array at n × (p - 1 - j), not n × P.
    start = 0
    for j in range(p - 1):
        others = np.arange(j + 1, p)
        m = len(others)
        flat = (data.codes[:, [j]] * kmax + data.codes[:, others]) + (np.arange(m) * kmax * kmax)
        counts = np.bincount(flat.ravel(), minlength=m * kmax * kmax)
        freq[start:start + m] = counts.reshape(m, kmax, kmax)
        start += m
    return _Pairs(first, second, kmax, tau_ext, freq)


def _cell_model(rho: np.ndarray, t1: np.ndarray, t2: np.ndarray, *, hessian: bool = True):
    """Cell probabilities and their first two ρ-derivatives for each pair (P × K × K)."""
    x = t1[:, :, None]
    y = t2[:, None, :]
    r = rho[:, None, None]
    x, y, r = np.broadcast_arrays(x, y, r)
    pi = _diff2(bivariate_normal_cdf(x, y, r))
    dens = _bvn_density(x, y, r)
    phi = _diff2(dens)
    gnorm = _diff2(dens * _guv(x, y, r)) if hessian else None
    return pi, phi, gnorm


def _objective(freq: np.ndarray, rho: np.ndarray, t1: np.ndarray, t2: np.ndarray):
    """lavaan's two-step objective ℓ(ρ) = Σ n_ab log max(π_ab, √ε), its score and Hessian.

    The floor is lavaan's: a rectangle probability below √ε is not resolvable anyway (it is
    a difference of CDF values near 1), so such cells count as constant and drop out of
    the derivatives, exactly as in ``lav_bvord_gradient_cache``/``hessian_cache``.
    """
    pi, phi, gnorm = _cell_model(rho, t1, t2)
    ok = pi > _SQRT_EPS
    safe = np.where(ok, pi, 1.0)
    ll = (freq * np.log(np.maximum(pi, _SQRT_EPS))).sum(axis=(1, 2))
    g = np.where(ok, freq * phi / safe, 0.0).sum(axis=(1, 2))
    h = np.where(ok, freq * (gnorm / safe - (phi / safe) ** 2), 0.0).sum(axis=(1, 2))
    return ll, g, h


def _solve_rho(freq: np.ndarray, t1: np.ndarray, t2: np.ndarray, start: np.ndarray,
               *, tol: float = 1e-10, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Maximise ℓ(ρ) on [-0.999, 0.999] for all pairs at once; returns (ρ, converged).

    Like lavaan's nlminb, a local ascent from the Pearson correlation of the codes: Newton
    steps (a 0.1 gradient step where ℓ is not concave), halved until ℓ does not decrease,
    clipped to the bounds. Monotone ascent keeps it on the maximum nlminb finds; near it
    the steps converge quadratically.
    """
    rho = np.clip(start, -RHO_BOUND, RHO_BOUND).astype(float)
    ll, g, h = _objective(freq, rho, t1, t2)
    done = np.zeros(len(rho), dtype=bool)
    for _ in range(max_iter):
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(h[act] < 0, -g[act] / h[act], np.sign(g[act]) * 0.1)
        step = np.clip(np.nan_to_num(step), -0.5, 0.5)
        r0 = rho[act]
        step = np.clip(r0 + step, -RHO_BOUND, RHO_BOUND) - r0
        pending = np.abs(step) > 0
        done[act[~pending]] = True  # stationary, or pushing against a bound
        trial = act[pending]
        step = step[pending]
        for _halving in range(60):
            if trial.size == 0:
                break
            r = rho[trial] + step
            ll_new, g_new, h_new = _objective(freq[trial], r, t1[trial], t2[trial])
            ok = ll_new >= ll[trial] - 1e-12 * np.abs(ll[trial])
            acc = trial[ok]
            rho[acc], ll[acc], g[acc], h[acc] = r[ok], ll_new[ok], g_new[ok], h_new[ok]
            done[acc[np.abs(step[ok]) < tol]] = True
            tiny = ~ok & (np.abs(step) < tol)
            done[trial[tiny]] = True  # no ascent left at this resolution
            keep = ~ok & ~tiny
            trial, step = trial[keep], step[keep] / 2.0
    return rho, done


def _fit_pairs(data: _Ordinal, taus: list[np.ndarray], pairs: _Pairs,
               zero_add_2x2: float = ZERO_ADD_2X2):
    """Two-step ρ for every pair plus lavaan's special cases; returns (ρ, warnings, empty, adjusted)."""
    P = len(pairs.first)
    ncat = data.ncat
    names = data.items
    rho = np.full(P, np.nan)
    warnings: list[str] = []
    freq = pairs.freq.copy()
    empty = np.zeros(P, dtype=bool)
    solve = np.zeros(P, dtype=bool)
    for q in range(P):
        a, b = pairs.first[q], pairs.second[q]
        ka, kb = ncat[a], ncat[b]
        if ka < 2 or kb < 2:
            continue  # undefined; already warned per item
        tab = freq[q, :ka, :kb]
        empty[q] = bool((tab == 0).any())
        if ka == 2 and kb == 2:
            zeros = np.flatnonzero(tab.ravel() == 0)
            if len(zeros) == 2:
                rho[q] = 1.0 if tab[0, 0] > 0 else -1.0
                warnings.append(f"{names[a]} × {names[b]}: two empty cells in the 2×2 table; "
                                f"correlation set to {rho[q]:+.0f} (as lavaan)")
                continue
            if len(zeros) == 1 and zero_add_2x2 > 0:
                # lavaan's zero.keep.margins: move 0.5 along the diagonal so margins stay put.
                sgn = 1.0 if zeros[0] in (0, 3) else -1.0
                tab += sgn * zero_add_2x2 * np.array([[1.0, -1.0], [-1.0, 1.0]])
                warnings.append(f"{names[a]} × {names[b]}: 2×2 table with an empty cell; "
                                f"{zero_add_2x2} added to it keeping the margins (lavaan's zero.add)")
            if tab[0, 0] * tab[1, 1] == tab[0, 1] * tab[1, 0]:
                rho[q] = 0.0
                continue
        solve[q] = True
    idx = np.flatnonzero(solve)
    converged = np.ones(P, dtype=bool)
    if idx.size:
        start = _pearson(data.codes)[pairs.second[idx], pairs.first[idx]]
        r, conv = _solve_rho(freq[idx], pairs.tau_ext[pairs.first[idx]],
                             pairs.tau_ext[pairs.second[idx]], start)
        rho[idx] = r
        converged[idx] = conv
    for q in np.flatnonzero(~converged):
        warnings.append(f"{names[pairs.first[q]]} × {names[pairs.second[q]]}: polychoric "
                        "correlation did not converge")
    for q in np.flatnonzero(np.abs(np.nan_to_num(rho)) > 0.99):
        warnings.append(f"correlation between {names[pairs.first[q]]} and "
                        f"{names[pairs.second[q]]} is (nearly) 1.0 ({rho[q]:.4f})")
    return rho, warnings, empty, freq


def _pearson(codes: np.ndarray) -> np.ndarray:
    """Pearson correlations of the category codes: lavaan's nlminb starting values (0 if undefined)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(codes, rowvar=False) if codes.shape[1] > 1 else np.ones((1, 1))
    r = np.atleast_2d(r)
    return np.where(np.isfinite(r) & (np.abs(r) < 1), r, 0.0)


def _vech_to_matrix(p: int, first: np.ndarray, second: np.ndarray, v: np.ndarray) -> np.ndarray:
    m = np.eye(p)
    m[second, first] = v
    m[first, second] = v
    return m


# --------------------------------------------------------------------------- public: polychoric
@dataclass(frozen=True, slots=True)
class PolychoricResult:
    """Two-step polychoric correlations with the thresholds they were computed from.

    Attributes
    ----------
    matrix : pandas.DataFrame
        p × p correlation matrix (items as index and columns); NaN where undefined.
    thresholds : pandas.DataFrame
        As returned by :func:`thresholds`.
    n : int
        Complete rows used.
    n_dropped : int
        Rows dropped for missing responses (listwise).
    items : tuple of str
    empty_cell_pairs : tuple of (str, str)
        Pairs whose contingency table has empty cells (lavaan's ``zero.cell.tables``); no
        correction is applied to them except the 2×2 rule described in the module notes.
    warnings : tuple of str
    meta : dict
        Method, options and the R call this was checked against.
    """

    matrix: pd.DataFrame
    thresholds: pd.DataFrame
    n: int
    n_dropped: int
    items: tuple[str, ...]
    empty_cell_pairs: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per pair in lavaan's order (``lhs ~~ rhs``, column by column below the diagonal)."""
        p = len(self.items)
        rows = []
        empty = set(self.empty_cell_pairs)
        values = self.matrix.to_numpy()
        for j in range(p - 1):
            for i in range(j + 1, p):
                a, b = self.items[j], self.items[i]
                rows.append({"lhs": a, "op": "~~", "rhs": b, "est": float(values[i, j]),
                             "empty_cells": (a, b) in empty})
        return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est", "empty_cells"])

    def to_dict(self) -> dict:
        return jsonable({
            "items": list(self.items),
            "n": self.n,
            "n_dropped": self.n_dropped,
            "matrix": {r: {c: self.matrix.loc[r, c] for c in self.items} for r in self.items},
            "thresholds": dict(zip(self.thresholds["name"], self.thresholds["est"])),
            "empty_cell_pairs": [list(p) for p in self.empty_cell_pairs],
            "warnings": list(self.warnings),
            "meta": self.meta,
        })


@one_blas_thread
def polychoric(responses: pd.DataFrame, *, items: Sequence[str] | None = None,
               zero_add_2x2: float = ZERO_ADD_2X2) -> PolychoricResult:
    """Polychoric correlation matrix by lavaan's two-step maximum likelihood.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per respondent, one column per item (numeric codes or ordered categoricals).
    items : sequence of str, optional
        Items to correlate (default: all columns). Listwise deletion over these items.
    zero_add_2x2 : float, default 0.5
        lavaan's ``zero.add[1]``: added to the single empty cell of a 2×2 table (keeping the
        margins). Set 0 for no correction at all. Larger tables are never corrected.

    Returns
    -------
    PolychoricResult

    Raises
    ------
    ResponseDataError
        Unknown or non-numeric item columns, or fewer than 2 complete rows.

    Notes
    -----
    Thresholds τ are fixed at Φ⁻¹ of the marginal cumulative proportions; for each pair, ρ
    maximises ℓ(ρ) = Σ_ab n_ab log π_ab(ρ, τ¹, τ²), π_ab being the bivariate-normal rectangle
    probability (floored at √ε as lavaan does), on [-0.999, 0.999]. Solved by damped Newton
    with ∂π/∂ρ = Σ±φ₂(corners) for all pairs at once. Never raises for estimation trouble:
    single-category items give NaN correlations, two empty cells in a 2×2 table give ±1, |ρ| >
    0.99 is flagged, all in ``warnings``. Checked against R: ``lavCor(data, ordered = items)``
    (lavaan 0.6-14) to 3e-8 on ``likert_ordinal``.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 1, 2, 2, 3, 3, 1, 2, 3, 3],
    ...                    "b": [1, 2, 2, 2, 3, 3, 1, 1, 2, 3]})
    >>> res = polychoric(df)
    >>> round(float(res.matrix.loc["a", "b"]), 4)
    0.9008
    """
    data = _prepare(responses, items)
    taus = _threshold_list(data)
    pairs = _pairs(data, taus)
    rho, warns, empty, _ = _fit_pairs(data, taus, pairs, zero_add_2x2)
    p = len(data.items)
    mat = _vech_to_matrix(p, pairs.first, pairs.second, rho)
    for j in np.flatnonzero(data.ncat < 2):
        mat[j, :] = np.nan
        mat[:, j] = np.nan
        mat[j, j] = 1.0
    matrix = pd.DataFrame(mat, index=list(data.items), columns=list(data.items))
    empty_pairs = tuple((data.items[pairs.first[q]], data.items[pairs.second[q]])
                        for q in np.flatnonzero(empty))
    return PolychoricResult(
        matrix=matrix,
        thresholds=_threshold_frame(data, taus),
        n=data.n,
        n_dropped=data.n_dropped,
        items=data.items,
        empty_cell_pairs=empty_pairs,
        warnings=data.warnings + tuple(warns),
        meta={"method": "two-step ML (lavaan)", "rho_bounds": [-RHO_BOUND, RHO_BOUND],
              "zero_add_2x2": zero_add_2x2, "missing": "listwise", "r_call": _R_CALL_POLY},
    )


# --------------------------------------------------------------------------- public: ordinal alpha
@dataclass(frozen=True, slots=True)
class OrdinalAlphaResult:
    """Standardised alpha of a polychoric matrix (Zumbo, Gadermann & Zeisser 2007)."""

    alpha: float
    average_r: float
    k: int
    items: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    def __float__(self) -> float:
        return float(self.alpha)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"alpha": self.alpha, "average_r": self.average_r, "k": self.k}])

    def to_dict(self) -> dict:
        return jsonable({"alpha": self.alpha, "average_r": self.average_r, "k": self.k,
                         "items": list(self.items), "warnings": list(self.warnings)})


def ordinal_alpha(polychoric_matrix: pd.DataFrame | PolychoricResult,
                  items: Sequence[str] | None = None) -> OrdinalAlphaResult:
    """Ordinal alpha: the standardised-alpha formula applied to a polychoric matrix.

    Parameters
    ----------
    polychoric_matrix : pandas.DataFrame or PolychoricResult
        A correlation matrix labelled by item (index and columns).
    items : sequence of str, optional
        The scale's items (default: all of the matrix).

    Returns
    -------
    OrdinalAlphaResult
        ``alpha`` = k·r̄ / (1 + (k − 1)·r̄), r̄ the mean off-diagonal correlation.

    Raises
    ------
    ModelSpecError
        Fewer than 2 items, or items missing from the matrix.

    Notes
    -----
    Checked against R: ``psych::alpha(R)$total$std.alpha`` on ``lavCor(..., ordered=)`` and on
    ``psych::polychoric()$rho`` (expected.json ``ordinal_alpha``), to 1e-12.

    Examples
    --------
    >>> R = pd.DataFrame([[1, .5, .4], [.5, 1, .3], [.4, .3, 1]], index=list("abc"),
    ...                  columns=list("abc"))
    >>> round(ordinal_alpha(R).alpha, 6)  # r̄ = 0.4
    0.666667
    """
    mat = polychoric_matrix.matrix if isinstance(polychoric_matrix, PolychoricResult) \
        else polychoric_matrix
    if not isinstance(mat, pd.DataFrame):
        raise ModelSpecError("polychoric_matrix must be a labelled DataFrame or a PolychoricResult")
    items = tuple(mat.columns if items is None else items)
    unknown = [i for i in items if i not in mat.columns or i not in mat.index]
    if unknown:
        raise ModelSpecError(f"items not in the polychoric matrix: {unknown}")
    k = len(items)
    if k < 2:
        raise ModelSpecError(f"ordinal alpha needs at least 2 items, got {k}")
    sub = mat.loc[list(items), list(items)].to_numpy(dtype=float)
    off = sub[~np.eye(k, dtype=bool)]
    warns: tuple[str, ...] = ()
    if np.isnan(off).any():
        warns = ("some correlations are undefined (NaN); alpha is NaN",)
    rbar = float(off.mean())
    alpha = k * rbar / (1.0 + (k - 1) * rbar)
    return OrdinalAlphaResult(alpha=float(alpha), average_r=rbar, k=k, items=items, warnings=warns)
