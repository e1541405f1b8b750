"""Factor scores of a fitted CFA/SEM: lavaan's ``lavPredict(fit, method = "regression" | "Bartlett")``.

With η the latent variables (and lavaan's phantom latents for observed variables in regressions),
Λ, Σ, Cov(η) = (I − B)⁻¹ Ψ (I − B)⁻ᵀ, E(η) = (I − B)⁻¹ α and E(y) = ν + Λ E(η) of the case's group,
the score of a case y is

    regression:  η̂ = E(η) + Cov(η) Λ′ Σ⁻¹ (y − E(y))
    Bartlett:    η̂ = E(η) + (Λ′ Σ⁻¹ Λ)⁺ Λ′ Σ⁻¹ (y − E(y))

(lavaan writes Bartlett's weights with Σ⁻¹, not Θ⁻¹: the two are equal when Σ = ΛΨΛ′ + Θ and
Σ⁻¹ exists even when a residual variance is zero). Under FIML (lavaan's ``missing = "ml"``)
each case uses only its observed variables: Λ_o and Σ_oo replace Λ and Σ, and a factor none of
whose indicators were answered gets no Bartlett score (lavaan's NA). Without a mean structure,
lavaan takes E(y) from the sample means (ν = ȳ, α = 0), as here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coprod.analysis.errors import ModelSpecError
from coprod.analysis.sem.model import GroupMatrices

__all__ = ["ScoreBasis", "factor_scores", "SCORE_METHODS"]

#: allowed ``method`` values (lavaan spells the second "Bartlett"; case is ignored)
SCORE_METHODS = ("regression", "bartlett")
# MASS::ginv's tolerance, which lavaan uses for (Λ′Σ⁻¹Λ)⁺
_GINV_TOL = float(np.sqrt(np.finfo(float).eps))


@dataclass(frozen=True, slots=True)
class ScoreBasis:
    """What scoring needs from a fit: names, options and each group's matrices at the estimates.

    ``matrices[g]`` are the LISREL matrices of group ``groups[g]``; ``sample_means[g]`` the
    means of the rows the fit used (E(y) without a mean structure).
    """

    ov: tuple[str, ...]
    lv: tuple[str, ...]
    eta: tuple[str, ...]
    phantom: tuple[str, ...]
    phantom_x: tuple[str, ...]
    group: str | None
    groups: tuple
    missing: str
    meanstructure: bool
    matrices: tuple[GroupMatrices, ...]
    sample_means: tuple[np.ndarray, ...]


def factor_scores(fit, data: pd.DataFrame, *, method: str = "regression") -> pd.DataFrame:
    """Factor scores of every row of ``data`` under the fitted model ``fit``.

    Parameters
    ----------
    fit : SemResult
        A converged ML fit from :func:`~coprod.analysis.sem.fit_sem` (listwise or FIML,
        one or several groups).
    data : DataFrame
        The table the model was fitted to (or new rows with the same columns; the group column
        too for a multi-group fit).
    method : {"regression", "bartlett"}
        Regression (Thurstone) or Bartlett scores.

    Returns
    -------
    DataFrame
        Indexed like ``data``, one column per latent variable (lavaan's order). A row the fit
        would not use (listwise: a missing answer; FIML: no answer at all; a group that is missing
        or unknown) has NaN in every column, in its own place.

    Raises
    ------
    ModelSpecError
        Unknown method, a fit without factors or matrices (WLSMV), a missing column.

    Notes
    -----
    Checked against R lavaan 0.6.14 ``lavPredict()`` on HolzingerSwineford1939 (one group, by
    school, with cross-group constraints, FIML with missing cells), PoliticalDemocracy and a MIMIC
    model, to 1e-4 (tests/analysis/test_sem_scores.py).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from coprod.analysis.sem import fit_sem
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=300)
    >>> df = pd.DataFrame({f"x{i}": f + rng.normal(size=300) for i in range(1, 4)})
    >>> fit = fit_sem(df, "f =~ x1 + x2 + x3")
    >>> s = factor_scores(fit, df)
    >>> s.shape, bool(abs(s["f"].mean()) < 1e-12)  # no mean structure: E(η) = 0 at the sample means
    ((300, 1), True)
    """
    m = str(method).lower()
    if m not in SCORE_METHODS:
        raise ModelSpecError(f"score method '{method}' is not supported; use one of {list(SCORE_METHODS)}")
    basis = getattr(fit, "score_basis", None)
    if basis is None:
        raise ModelSpecError("this fit has no factor scores (only ML fits of fit_sem have them)")
    if not basis.lv:
        raise ModelSpecError("the model has no latent variables: there are no factor scores")
    missing_cols = [c for c in basis.ov + ((basis.group,) if basis.group else ()) if c not in data.columns]
    if missing_cols:
        raise ModelSpecError("factor scores: the data have no column(s) " + ", ".join(missing_cols))
    x = _numeric(data[list(basis.ov)])
    out = np.full((len(data), len(basis.lv)), np.nan)
    lv_idx = [basis.eta.index(v) for v in basis.lv]
    ov_x = [basis.ov.index(v) for v in basis.phantom_x]
    usable = _usable(x, basis.missing, ov_x)
    gcol = data[basis.group].to_numpy() if basis.group else None
    for g, label in enumerate(basis.groups):
        rows = usable & (gcol == label) if gcol is not None else usable
        if rows.any():
            eta = _group_scores(x[rows], basis, g, m)
            out[np.flatnonzero(rows)] = eta[:, lv_idx]
    return pd.DataFrame(out, index=data.index, columns=list(basis.lv))


def _numeric(frame: pd.DataFrame) -> np.ndarray:
    cols = []
    for c in frame.columns:
        s = frame[c]
        conv = pd.to_numeric(s, errors="coerce")
        bad = conv.isna() & s.notna()
        if bad.any():
            raise ModelSpecError(f"factor scores: column '{c}' is not numeric (e.g. value {s[bad].iloc[0]!r})")
        cols.append(conv.to_numpy(dtype=float, na_value=np.nan))
    return np.column_stack(cols)


def _usable(x: np.ndarray, missing: str, ov_x: list[int]) -> np.ndarray:
    """The rows the engine fits (see ``Engine.__init__``)."""
    if missing != "fiml":
        return ~np.isnan(x).any(axis=1)
    ok = ~np.isnan(x).all(axis=1)
    if ov_x:
        ok &= ~np.isnan(x[:, ov_x]).any(axis=1)
    return ok


def _means(basis: ScoreBasis, g: int) -> tuple[np.ndarray, np.ndarray]:
    """(E(η), E(y)) of group ``g`` as lavaan's computeEETA / computeEY."""
    gm = basis.matrices[g]
    mdim = gm.beta.shape[0]
    a = np.linalg.inv(np.eye(mdim) - gm.beta)
    if basis.meanstructure:
        eeta = a @ gm.alpha
        return eeta, gm.nu + gm.lam @ eeta
    # no mean structure: α = 0 but for the phantom latents, whose means reproduce the sample
    # means of their observed variables; ν = ȳ (minus Λ E(η) when there are exogenous phantoms)
    ybar = basis.sample_means[g]
    alpha = np.zeros(mdim)
    if basis.phantom:
        o = [basis.ov.index(v) for v in basis.phantom]
        e = [basis.eta.index(v) for v in basis.phantom]
        alpha[e] = np.linalg.solve((gm.lam @ a)[np.ix_(o, e)], ybar[o])
    eeta = a @ alpha
    nu = ybar.copy()
    if basis.phantom_x:
        nu = ybar - gm.lam @ eeta
        nu[[basis.ov.index(v) for v in basis.phantom]] = 0.0
    return eeta, nu + gm.lam @ eeta


def _group_scores(x: np.ndarray, basis: ScoreBasis, g: int, method: str) -> np.ndarray:
    """Scores (all of η) of the rows ``x`` of group ``g``, pattern by pattern of observed cells."""
    gm = basis.matrices[g]
    sigma, _, a = gm.implied()
    veta = a @ gm.psi @ a.T
    eeta, ey = _means(basis, g)
    yc = x - ey
    out = np.full((len(x), len(eeta)), np.nan)
    obs = ~np.isnan(x)
    keys, inverse = np.unique(obs, axis=0, return_inverse=True)
    for k, key in enumerate(keys):
        o = np.flatnonzero(key)
        rows = np.flatnonzero(inverse.ravel() == k)
        lam = gm.lam[o]
        s_inv = np.linalg.pinv(sigma[np.ix_(o, o)])  # lavaan: MASS::ginv
        if method == "regression":
            fsc = veta @ lam.T @ s_inv
        else:
            fsc = np.linalg.pinv(lam.T @ s_inv @ lam, rcond=_GINV_TOL) @ lam.T @ s_inv
            # a factor with no observed indicator gets an all-zero row: lavaan's NA
            dead = np.all(np.abs(fsc) <= 1e-12 * max(1.0, np.abs(fsc).max()), axis=1)
            fsc[dead] = np.nan
        out[rows] = yc[np.ix_(rows, o)] @ fsc.T + eeta
    # lavaan replaces the phantom latents' scores by the observed values
    for v in basis.phantom:
        out[:, basis.eta.index(v)] = x[:, basis.ov.index(v)]
    return out
