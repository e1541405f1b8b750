"""Sample statistics of ordinal items and their asymptotic covariance Γ, for DWLS / WLSMV.

This is lavaan's ``muthen1984()`` (lavaan 0.6-14, ``lav_muthen1984.R``) without exogenous
covariates, sampling weights or continuous items. With s = (τ, ρ) the thresholds and two-step
polychoric correlations, and for case c the score vectors

* ``sc_τ[c]``: derivative of the item's univariate probit log-likelihood w.r.t. its thresholds,
* ``sc_ρ[c]``: derivative of the pair's bivariate log-likelihood w.r.t. its correlation,

lavaan forms INNER = Σ_c sc[c] sc[c]ᵀ with sc = (sc_τ, sc_ρ), and the block-triangular

    B = | A11  0  |   A11 = blocks of INNER within each item's thresholds (outer-product
        | A21 A22 |         information of the univariate fits),
                      A21[ρ_ij, τ_i·] = Σ_c sc_ρij[c] · ∂ℓ_ij[c]/∂τ_i·  (bivariate threshold scores),
                      A22 = diag(Σ_c sc_ρ[c]²),

so that Cov(s) ≈ B⁻¹ INNER B⁻ᵀ (a sandwich; each block of B is the outer-product form of
the negative Hessian). lavaan's NACOV is Γ = N·B⁻¹ INNER B⁻ᵀ; DWLS weights are W = diag(Γ)⁻¹.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr

from coprod.analysis._result import jsonable
from coprod.analysis.ordinal._data import _Ordinal, _prepare
from coprod.analysis.ordinal.polychoric import (
    RHO_BOUND,
    ZERO_ADD_2X2,
    _SQRT_EPS,
    _cell_model,
    _fit_pairs,
    _pairs,
    _threshold_list,
    _vech_to_matrix,
)

__all__ = ["OrdinalMoments", "sample_statistics"]

_INF_STANDIN = 100.0  # lavaan's o1/o2 offsets stand in for ±∞ in the score formulas
_R_CALL = ('fit <- cfa(model, data, ordered = items, estimator = "WLSMV"); '
           'lavInspect(fit, "gamma"); lavInspect(fit, "wls.v")  # lavaan 0.6-14')


def _dnorm(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)


@dataclass(frozen=True, slots=True)
class OrdinalMoments:
    """Ordinal sample statistics, their asymptotic covariance Γ and lavaan's DWLS weights.

    Order of the statistics (lavaan's ``WLS.obs``): first the thresholds, item by item in
    ``items`` order and t1, t2, … within an item; then the polychoric correlations of the
    strict lower triangle **column by column**, i.e. ``vech(R, diagonal = FALSE)``:
    (2,1), (3,1), …, (p,1), (3,2), …, (p,p−1), which reads ``x1~~x2, x1~~x3, …, x1~~xp,
    x2~~x3, …`` (the upper triangle row by row).

    Scaling (as lavaan 0.6-14): ``gamma`` is the N-scaled asymptotic covariance (lavaan's
    ``NACOV`` = N·``WLS.W`` of ``muthen1984()``), so Cov(statistics) ≈ Γ/N; ``weights`` is the
    diagonal of W = diag(Γ)⁻¹ (lavaan's ``WLS.VD``, no N−1 here). For a DWLS fit,
    F(θ) = (s − σ(θ))ᵀ W (s − σ(θ)), and lavaan's WLS family then uses **N − 1**:

    * ``fmin`` = (N − 1)/(2N) · F and χ² = 2N·fmin = (N − 1)·F;
    * robust SEs: diag((ΔᵀWΔ)⁻¹ ΔᵀWΓWΔ (ΔᵀWΔ)⁻¹) / (N − 1) (so a saturated threshold has
      SE = √(Γ_kk / (N − 1)));
    * WLSMV's mean-and-variance adjusted ("scaled.shifted") χ²: with
      U = W − WΔ(ΔᵀWΔ)⁻¹ΔᵀW, a = √(df / tr((UΓ)²)), T = a·χ² + df − a·tr(UΓ), and
      lavaan's ``chisq.scaling.factor`` = 1/a.

    These reproduce lavaan's WLSMV CFA on ``likert_ordinal`` (estimates, SEs to 2e-7,
    scaled χ²; see ``tests/analysis/test_ordinal.py``).

    Attributes
    ----------
    items : tuple of str
        Items used (single-category items are left out, with a warning).
    n, n_dropped : int
        Complete rows used; rows dropped listwise.
    threshold_names : tuple of str
        ``item|tk`` (lavaan's names).
    threshold_item : numpy.ndarray
        Index into ``items`` of each threshold (lavaan's ``th.idx`` minus 1).
    correlation_pairs : tuple of (str, str)
        (lhs, rhs) of each correlation, in the order above.
    thresholds, correlations : numpy.ndarray
    gamma : numpy.ndarray
        Γ (NACOV), square, symmetric positive semi-definite, N-scaled.
    weights : numpy.ndarray
        1 / diag(Γ) (0 where the diagonal is 0 or not finite, with a warning).
    warnings : tuple of str
    meta : dict
    """

    items: tuple[str, ...]
    n: int
    n_dropped: int
    threshold_names: tuple[str, ...]
    threshold_item: np.ndarray
    correlation_pairs: tuple[tuple[str, str], ...]
    thresholds: np.ndarray
    correlations: np.ndarray
    gamma: np.ndarray
    weights: np.ndarray
    warnings: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)

    @property
    def statistics(self) -> np.ndarray:
        """s = (thresholds, correlations), the vector Γ refers to."""
        return np.concatenate([self.thresholds, self.correlations])

    @property
    def names(self) -> tuple[str, ...]:
        return self.threshold_names + tuple(f"{a}~~{b}" for a, b in self.correlation_pairs)

    @property
    def W(self) -> np.ndarray:
        """The diagonal DWLS weight matrix diag(Γ)⁻¹ (lavaan's ``WLS.V``)."""
        return np.diag(self.weights)

    @property
    def acov(self) -> np.ndarray:
        """Γ / N: the sampling covariance of ``statistics``."""
        return self.gamma / self.n

    @property
    def correlation_matrix(self) -> pd.DataFrame:
        p = len(self.items)
        first = np.concatenate([np.full(p - 1 - j, j) for j in range(p - 1)]).astype(int) \
            if p > 1 else np.zeros(0, int)
        second = np.concatenate([np.arange(j + 1, p) for j in range(p - 1)]).astype(int) \
            if p > 1 else np.zeros(0, int)
        m = _vech_to_matrix(p, first, second, self.correlations)
        return pd.DataFrame(m, index=list(self.items), columns=list(self.items))

    def to_frame(self) -> pd.DataFrame:
        """One row per statistic: ``name, kind, lhs, op, rhs, est, se, weight`` (se = √(Γ_kk/N))."""
        rows = []
        se = np.sqrt(np.clip(np.diag(self.gamma), 0, None) / self.n)
        for k, name in enumerate(self.threshold_names):
            item, t = name.split("|")
            rows.append(("threshold", item, "|", t))
        for a, b in self.correlation_pairs:
            rows.append(("correlation", a, "~~", b))
        frame = pd.DataFrame(rows, columns=["kind", "lhs", "op", "rhs"])
        frame.insert(0, "name", list(self.names))
        frame["est"] = self.statistics
        frame["se"] = se
        frame["weight"] = self.weights
        return frame

    def to_dict(self) -> dict:
        return jsonable({
            "items": list(self.items), "n": self.n, "n_dropped": self.n_dropped,
            "names": list(self.names), "statistics": self.statistics,
            "threshold_item": self.threshold_item, "gamma": self.gamma, "weights": self.weights,
            "warnings": list(self.warnings), "meta": self.meta,
        })


def _univariate_scores(data: _Ordinal, taus: list[np.ndarray]) -> np.ndarray:
    """n × nth case scores of each item's probit thresholds (lavaan's ``lav_uvord_scores``)."""
    cols = []
    for j, tau in enumerate(taus):
        ext = np.concatenate([[-np.inf], tau, [np.inf]])
        prob = ndtr(ext[1:]) - ndtr(ext[:-1])  # P(category a)
        k = len(tau)
        table = np.zeros((k, k + 1))
        dens = _dnorm(tau)
        table[np.arange(k), np.arange(k)] = dens / prob[:-1]  # y = t: upper bound is τ_t
        table[np.arange(k), np.arange(1, k + 1)] = -dens / prob[1:]  # y = t+1: lower bound is τ_t
        cols.append(table[:, data.codes[:, j]].T)
    return np.hstack(cols) if cols else np.zeros((data.n, 0))


def _threshold_cross(freq, s_rho, inv_lik, rho, t_own, t_other):
    """Σ_cases sc_ρ · ∂ℓ_pair/∂τ_own,t for every pair and threshold t (lavaan's A21 rows).

    ``freq``, ``s_rho``, ``inv_lik`` are P × K_own × K_other cell tables (own item on axis 1;
    ``inv_lik`` is 1/π, or 0 where lavaan's score is NA);
    ``t_own``/``t_other`` are the extended thresholds with ±∞ replaced by ±100 as in lavaan.
    """
    R = np.sqrt(1.0 - rho * rho)[:, None, None]
    r = rho[:, None, None]
    tt = t_own[:, 1:-1][:, :, None]  # P × (K−1) × 1: the own thresholds
    up = t_other[:, 1:][:, None, :]  # P × 1 × K: other item's upper bounds
    lo = t_other[:, :-1][:, None, :]
    U = _dnorm(tt) * (ndtr((up - r * tt) / R) - ndtr((lo - r * tt) / R))  # P × (K−1) × K
    w = freq * s_rho * inv_lik  # n_ab · sc_ρ / π per cell
    return (w[:, :-1, :] * U).sum(axis=2) - (w[:, 1:, :] * U).sum(axis=2)


def sample_statistics(responses: pd.DataFrame, items: Sequence[str] | None = None, *,
                      zero_add_2x2: float = ZERO_ADD_2X2) -> OrdinalMoments:
    """Thresholds, polychoric correlations and their asymptotic covariance Γ (lavaan's NACOV).

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per respondent, one column per item (numeric codes or ordered categoricals).
    items : sequence of str, optional
        Items to use, in this order (default: all columns). Listwise deletion over them.
    zero_add_2x2 : float, default 0.5
        lavaan's correction for a 2×2 table with one empty cell (see :func:`polychoric`).

    Returns
    -------
    OrdinalMoments
        Statistics in lavaan's order, Γ (N-scaled) and the DWLS weights diag(Γ)⁻¹.

    Raises
    ------
    ResponseDataError
        Unknown or non-numeric item columns, or fewer than 2 complete rows.

    Notes
    -----
    Muthén (1984); lavaan's ``muthen1984()`` with its outer-product blocks (module notes).
    Γ is symmetric PSD by construction (B⁻¹ · ScᵀSc · B⁻ᵀ). Single-category items are left
    out; correlations at ±1 (two empty cells of a 2×2 table) are scored at ±0.999. Checked
    against R: lavaan 0.6-14 WLSMV on ``likert_ordinal`` — threshold SEs (= √(Γ_kk/N)), DWLS
    estimates, robust SEs and the scaled χ² reproduce lavaan's (see the tests).

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 1, 2, 2, 3, 3, 1, 2, 3, 3, 2, 1],
    ...                    "b": [1, 2, 2, 2, 3, 3, 1, 1, 2, 3, 3, 1]})
    >>> m = sample_statistics(df)
    >>> m.names
    ('a|t1', 'a|t2', 'b|t1', 'b|t2', 'a~~b')
    >>> m.gamma.shape, bool(np.allclose(m.weights, 1 / np.diag(m.gamma)))
    ((5, 5), True)
    """
    data, warnings = _usable_items(responses, items)
    taus = _threshold_list(data)
    pairs = _pairs(data, taus)
    rho, warns, _, _ = _fit_pairs(data, taus, pairs, zero_add_2x2)
    warnings += warns
    n, p = data.n, len(data.items)
    lay = _Layout.of(data)
    rho_s, warns = _bounded(rho, data, pairs)
    warnings += warns

    s_rho, inv_lik = _cell_scores(pairs, rho_s)
    sc = np.hstack([_univariate_scores(data, taus), _correlation_scores(data, pairs, s_rho)])
    inner = sc.T @ sc
    a21 = _a21(pairs, s_rho, inv_lik, rho_s, lay)
    b_inv, warns = _b_inverse(inner, a21, lay, data.items)
    warnings += warns
    gamma = n * (b_inv @ inner @ b_inv.T)
    gamma = (gamma + gamma.T) / 2.0
    weights, warns = _dwls_weights(gamma)
    warnings += warns

    th_names = tuple(f"{col}|t{t}" for col, k in zip(data.items, lay.nth_item)
                     for t in range(1, k + 1))
    return OrdinalMoments(
        items=data.items,
        n=n,
        n_dropped=data.n_dropped,
        threshold_names=th_names,
        threshold_item=np.repeat(np.arange(p), lay.nth_item),
        correlation_pairs=tuple((data.items[a], data.items[b])
                                for a, b in zip(pairs.first, pairs.second)),
        thresholds=np.concatenate(taus) if taus else np.zeros(0),
        correlations=rho,
        gamma=gamma,
        weights=weights,
        warnings=tuple(warnings),
        meta={"method": "Muthén (1984), lavaan muthen1984()", "gamma_scale": "N (NACOV)",
              "weights": "diag(gamma)^-1", "zero_add_2x2": zero_add_2x2, "missing": "listwise",
              "r_call": _R_CALL},
    )


def _usable_items(responses: pd.DataFrame, items: Sequence[str] | None) -> tuple[_Ordinal, list[str]]:
    """Complete rows of the items with at least two observed categories."""
    full = _prepare(responses, items)
    warnings = list(full.warnings)
    keep = np.flatnonzero(full.ncat >= 2)
    if len(keep) < len(full.items):
        dropped = [full.items[j] for j in np.flatnonzero(full.ncat < 2)]
        warnings.append(f"left out of the moments (single category): {', '.join(dropped)}")
    data = _Ordinal(tuple(full.items[j] for j in keep), full.codes[:, keep],
                    tuple(full.levels[j] for j in keep), full.n, full.n_dropped, ())
    return data, warnings


@dataclass(frozen=True)
class _Layout:
    """Where each item's thresholds sit in s = (τ, ρ): ``th_start[j]:th_end[j]``, ``nth`` in all."""

    nth_item: np.ndarray
    th_start: np.ndarray
    th_end: np.ndarray
    nth: int

    @classmethod
    def of(cls, data: _Ordinal) -> "_Layout":
        nth_item = data.ncat - 1
        th_end = np.cumsum(nth_item)
        th_start = th_end - nth_item
        return cls(nth_item, th_start, th_end, int(th_end[-1]) if len(data.items) else 0)


def _bounded(rho: np.ndarray, data: _Ordinal, pairs) -> tuple[np.ndarray, list[str]]:
    """Correlations clipped to ±RHO_BOUND for scoring, with warnings about those on the bound."""
    warnings = []
    rho_s = np.clip(rho, -RHO_BOUND, RHO_BOUND)
    if np.any(np.abs(rho) > RHO_BOUND):
        warnings.append(f"Γ: correlations at ±1 scored at ±{RHO_BOUND}")
    at_bound = np.flatnonzero(np.abs(rho) >= RHO_BOUND)
    if at_bound.size:
        # The score is not zero at a bound, so the sandwich there has no asymptotic meaning.
        listed = ", ".join(f"{data.items[pairs.first[q]]}~~{data.items[pairs.second[q]]}"
                           for q in at_bound)
        warnings.append(f"Γ entries of correlations on the ±{RHO_BOUND} bound are not reliable: "
                        f"{listed}")
    return rho_s, warnings


def _cell_scores(pairs, rho_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bivariate cell tables at the estimates: the correlation score per cell and 1/π.

    lavaan: π floored at √ε, floored cells' scores NA → 0."""
    t1 = pairs.tau_ext[pairs.first]
    t2 = pairs.tau_ext[pairs.second]
    pi, phi, _ = _cell_model(rho_s, t1, t2, hessian=False)
    lik = np.maximum(pi, _SQRT_EPS)
    ok = lik > _SQRT_EPS
    inv_lik = np.where(ok, 1.0 / lik, 0.0)
    s_rho = phi * inv_lik  # P × K × K
    return s_rho, inv_lik


def _correlation_scores(data: _Ordinal, pairs, s_rho: np.ndarray) -> np.ndarray:
    """Case scores of the correlations: one column per pair, looked up by each case's cell."""
    n, p = data.n, len(data.items)
    sc_cor = np.empty((n, len(pairs.first)))
    kmax = pairs.kmax
    start = 0
    for j in range(p - 1):
        others = np.arange(j + 1, p)
        m = len(others)
        cell = data.codes[:, [j]] * kmax + data.codes[:, others]
        sc_cor[:, start:start + m] = np.take_along_axis(
            s_rho[start:start + m].reshape(m, -1).T, cell, axis=0) if n else 0.0
        start += m
    return sc_cor


def _a21(pairs, s_rho: np.ndarray, inv_lik: np.ndarray, rho_s: np.ndarray, lay: _Layout) -> np.ndarray:
    """A21: cross products of the correlation score with the pair's own threshold scores."""
    a21 = np.zeros((len(pairs.first), lay.nth))
    big = np.where(np.isinf(pairs.tau_ext), np.sign(pairs.tau_ext) * _INF_STANDIN, pairs.tau_ext)
    b1, b2 = big[pairs.first], big[pairs.second]
    cross1 = _threshold_cross(pairs.freq, s_rho, inv_lik, rho_s, b1, b2)
    cross2 = _threshold_cross(np.swapaxes(pairs.freq, 1, 2), np.swapaxes(s_rho, 1, 2),
                              np.swapaxes(inv_lik, 1, 2), rho_s, b2, b1)
    for q in range(len(pairs.first)):
        a, b = pairs.first[q], pairs.second[q]
        a21[q, lay.th_start[a]:lay.th_end[a]] = cross1[q, :lay.nth_item[a]]
        a21[q, lay.th_start[b]:lay.th_end[b]] = cross2[q, :lay.nth_item[b]]
    return a21


def _b_inverse(inner: np.ndarray, a21: np.ndarray, lay: _Layout,
               items: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """B⁻¹ for the block-triangular B (lavaan inverts it blockwise too)."""
    warnings = []
    nth, P = lay.nth, len(a21)
    a11_inv = np.zeros((nth, nth))
    for j in range(len(items)):
        sl = slice(lay.th_start[j], lay.th_end[j])
        block = inner[sl, sl]
        try:
            a11_inv[sl, sl] = np.linalg.inv(block)
        except np.linalg.LinAlgError:
            a11_inv[sl, sl] = np.linalg.pinv(block)
            warnings.append(f"Γ: threshold information of {items[j]} is singular; "
                            "generalised inverse used (as lavaan)")
    d22 = np.diag(inner)[nth:]
    if np.any(d22 == 0):
        warnings.append("Γ: a correlation has a zero score; generalised inverse used for A22 "
                        "(as lavaan)")
    a22_inv = np.where(d22 > 0, 1.0 / np.where(d22 > 0, d22, 1.0), 0.0)
    b_inv = np.zeros((nth + P, nth + P))
    b_inv[:nth, :nth] = a11_inv
    b_inv[nth:, :nth] = -(a22_inv[:, None] * a21) @ a11_inv
    b_inv[nth:, nth:] = np.diag(a22_inv)
    return b_inv, warnings


def _dwls_weights(gamma: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """W = diag(Γ)⁻¹, 0 where the diagonal is zero or not finite."""
    warnings = []
    dg = np.diag(gamma)
    good = np.isfinite(dg) & (dg > 0)
    if not good.all():
        warnings.append("Γ has zero or non-finite diagonal entries; their DWLS weight is set to 0 "
                        "(lavaan stops here)")
    return np.where(good, 1.0 / np.where(good, dg, 1.0), 0.0), warnings
