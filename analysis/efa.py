"""Factor structure: factorability (KMO, Bartlett), parallel analysis and exploratory factor analysis.

Every number here is meant to equal ``psych`` 2.2.9 (with GPArotation 2022.10.2) to machine precision
on the conformance cases, not merely to "agree". Two choices make that possible:

* Factor extraction (minres and ML) is our own code that repeats psych's ``fa()`` step by step,
  *including its optimiser settings* (R's ``optim(method = "L-BFGS-B")`` with ``parscale = 0.01``,
  ``factr = 1e7``, ``lmm = 5``, ``maxit = 100``), and R's version of that optimiser (L-BFGS-B 2.3,
  :mod:`._lbfgsb23`; scipy's is 3.0). psych's minres solution stops about 1e-6 short of the exact
  minimum, and its ``fa.values`` carry that; an exact optimiser therefore misses the reference by
  ~1e-6, the same settings hit it to ~1e-15. Where a uniqueness reaches the 0.005 bound (a Heywood
  case) psych's point is decided by the optimiser's path alone, and only version 2.3 reaches it
  (scipy's 3.0 missed by up to 7e-4 in a communality; tests/analysis/test_efa_heywood.py). factor_analyzer's own extraction is not
  used: its minres also fits the diagonal (psych's minres ignores it), and its ML uses numerical
  gradients without psych's scaling.
* Rotations use factor_analyzer's :class:`~factor_analyzer.Rotator` (a port of GPArotation's GPFoblq
  and of ``stats::varimax`` / psych's ``kaiser(rotate = "Promax")``), called through
  :func:`_rotate`, which turns any failure of that dependency into a clear :class:`EstimationError`.
  factor_analyzer's ``phi_`` bug (not reordered after sorting) cannot reach us: we sort ourselves.

Where the parts live: extraction and rotation in :mod:`._extraction`, KMO/Bartlett and parallel
analysis in :mod:`.factorability` (re-exported here), and the item selection, correlations and SMCs
shared with :mod:`.reliability` and :mod:`.validity` in :mod:`._itemdata`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from coprod.analysis._threads import one_blas_thread
from coprod.analysis._extraction import EstimationError, _extract_with_psi, _psych_sign_sort, _rotate, bound_note
from coprod.analysis._itemdata import (_check_choice, _correlation, _is_singular, _normalise_missing,
                                       _usable_items)
from coprod.analysis._result import jsonable
# factorability and parallel analysis live in their own module; importable from here as before
from coprod.analysis.factorability import FactorabilityResult, ParallelResult, factorability, parallel_analysis

__all__ = [
    "EstimationError",
    "FactorabilityResult",
    "ParallelResult",
    "EfaResult",
    "factorability",
    "parallel_analysis",
    "efa",
]

METHODS = ("ml", "minres")
ROTATIONS = ("oblimin", "promax", "varimax", None)
_OBLIQUE = ("oblimin", "promax")


@dataclass(frozen=True, slots=True)
class EfaResult:
    """An exploratory factor solution, sorted and signed like psych's ``fa()``."""

    items: tuple[str, ...]
    n_factors: int
    method: str
    rotation: str | None
    n_obs: int
    loadings: pd.DataFrame            # pattern matrix Λ (items x factors)
    structure: pd.DataFrame           # Λ Φ
    phi: pd.DataFrame | None          # factor correlations (None for orthogonal solutions)
    loadings_unrotated: pd.DataFrame
    communalities: pd.Series          # diag(Λ Φ Λ')
    uniquenesses: pd.Series           # 1 − communality
    variance: pd.DataFrame            # SS loadings, proportion var, cumulative var, proportion explained
    fit: dict = field(default_factory=dict)
    missing: str = "listwise"
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        def mat(df):
            return None if df is None else {r: {c: df.loc[r, c] for c in df.columns} for r in df.index}
        return jsonable({
            "items": list(self.items), "n_factors": self.n_factors, "method": self.method,
            "rotation": self.rotation, "n_obs": self.n_obs, "loadings": mat(self.loadings),
            "structure": mat(self.structure), "phi": mat(self.phi),
            "loadings_unrotated": mat(self.loadings_unrotated), "communalities": self.communalities,
            "uniquenesses": self.uniquenesses, "variance": mat(self.variance), "fit": self.fit,
            "missing": self.missing, "warnings": list(self.warnings),
        })

    def to_frame(self) -> pd.DataFrame:
        """Tidy loadings: one row per item and factor (pattern and structure), plus h2 and u2."""
        rows = []
        for it in self.loadings.index:
            for f in self.loadings.columns:
                rows.append({"item": it, "factor": f, "loading": self.loadings.loc[it, f],
                             "structure": self.structure.loc[it, f],
                             "communality": self.communalities[it], "uniqueness": self.uniquenesses[it]})
        return pd.DataFrame(rows)


def _fit_stats(R: np.ndarray, model: np.ndarray, nf: int, n_obs: float) -> dict:
    """psych ``fa.stats``: ML objective, Bartlett-corrected chi-square, RMSEA, TLI, BIC."""
    p = R.shape[0]
    dof = p * (p - 1) / 2 - p * nf + nf * (nf - 1) / 2
    M = model.copy()
    np.fill_diagonal(M, np.diag(R))
    try:
        MiR = np.linalg.solve(M, R)
        sign, logdet = np.linalg.slogdet(MiR)
        objective = float(np.trace(MiR) - logdet - p) if sign > 0 else math.nan
    except np.linalg.LinAlgError:
        objective = math.nan
    mult = (n_obs - 1) - (2 * p + 5) / 6 - 2 * nf / 3
    chisq = max(objective * mult, 0.0) if math.isfinite(objective) else math.nan
    pval = float(stats.chi2.sf(chisq, dof)) if dof > 0 and math.isfinite(chisq) else math.nan
    rmsea = math.sqrt(max(chisq / (dof * n_obs) - 1 / (n_obs - 1), 0)) if dof > 0 and math.isfinite(chisq) else math.nan
    sign0, logdet0 = np.linalg.slogdet(R)
    F0 = float(np.trace(R) - logdet0 - p) if sign0 > 0 else math.nan
    tli = math.nan
    if dof > 0 and math.isfinite(F0) and math.isfinite(objective):
        Mm = objective / dof
        M0 = F0 * 2 / (p * (p - 1))
        tli = (M0 - Mm) / (M0 - 1 / mult)
    bic = chisq - dof * math.log(n_obs) if math.isfinite(chisq) else math.nan
    return {"objective": objective, "chisq": chisq, "df": dof, "pvalue": pval, "rmsea": rmsea,
            "tli": tli, "bic": bic, "n_obs": n_obs,
            "null_chisq": F0 * ((n_obs - 1) - (2 * p + 5) / 6) if math.isfinite(F0) else math.nan,
            "null_df": p * (p - 1) / 2}


@one_blas_thread
def efa(responses: pd.DataFrame, *, items: Sequence[str] | None = None, n_factors: int,
        method: str = "ml", rotation: str | None = "oblimin", missing: str = "listwise") -> EfaResult:
    """Exploratory factor analysis as ``psych::fa``.

    Parameters
    ----------
    responses : DataFrame
    items : list of str, optional
    n_factors : int
    method : {"ml", "minres"}
    rotation : {"oblimin", "promax", "varimax", None}
        ``promax`` is psych's (Kaiser-normalised Promax, m = 4).
    missing : {"listwise", "pairwise", "fiml"}
        With ``pairwise``/``fiml`` the factors are fitted to pairwise correlations and ``n_obs`` is the
        number of rows (psych's ``fa`` on raw data).

    Returns
    -------
    EfaResult
        ``loadings`` (pattern), ``structure`` (ΛΦ), ``phi``, ``communalities`` = diag(ΛΦΛ'),
        ``uniquenesses``, ``variance`` (SS loadings = diag(ΦΛ'Λ) …), ``loadings_unrotated`` and
        ``fit`` (objective, chisq with Bartlett's correction (n − 1 − (2p + 5)/6 − 2k/3)·F, df, pvalue,
        rmsea, tli, bic). Factors are named like psych (``ML2`` = second unrotated factor), signed so
        that column sums are positive and ordered by SS loadings.

    Notes
    -----
    Checked against R: ``psych::fa(x, nfactors = k, fm = "ml", rotate = "oblimin")`` — loadings, Φ and
    communalities agree to ~1e-14 on the conformance cases. Factor order and sign are only a
    convention; compare solutions after matching columns (Tucker congruence).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=(400, 2))
    >>> X = np.hstack([f[:, [0]] + rng.normal(size=(400, 3)), f[:, [1]] + rng.normal(size=(400, 3))])
    >>> res = efa(pd.DataFrame(X, columns=list("abcdef")), n_factors=2)  # R: psych::fa(X, 2, fm = "ml")
    >>> res.loadings.shape, res.phi.shape
    ((6, 2), (2, 2))
    """
    missing = _check_options(n_factors, method=method, rotation=rotation, missing=missing)
    X, const, warnings = _usable_items(responses, items, "efa")
    if missing == "listwise":
        X = X.dropna()
    cols = list(X.columns)
    p, n_obs = len(cols), int(X.shape[0])
    prefix = "ML" if method == "ml" else "MR"
    names = [f"{prefix}{j + 1}" for j in range(n_factors)]
    dof = p * (p - 1) / 2 - p * n_factors + n_factors * (n_factors - 1) / 2

    def empty(msg: str) -> EfaResult:
        warnings.append(msg)
        return _empty_result(cols, names, n_factors=n_factors, method=method, rotation=rotation, n_obs=n_obs,
                             dof=dof, missing=missing, warnings=warnings)

    if p < 3 or n_factors >= p:
        return empty(f"cannot extract {n_factors} factor(s) from {p} item(s) with variance")
    if X.dropna().shape[0] < 3:
        return empty(f"too few complete rows ({X.dropna().shape[0]}) for a factor analysis")
    if dof < 0:
        warnings.append(f"{n_factors} factors for {p} items leave negative degrees of freedom ({dof:g})")
    R = _correlation(X, missing)
    if not np.all(np.isfinite(R)):
        return empty("the correlation matrix has undefined entries (pairs of items never observed together)")
    if method == "ml" and _is_singular(R):
        return empty("the correlation matrix is singular: the ML factor model is undefined "
                     "(use method='minres' or remove redundant items)")
    L0, ok, psi = _extract_with_psi(R, n_factors, method)
    if not ok:
        warnings.append("the factor extraction did not converge")
    note = bound_note(psi, cols)
    if note:
        warnings.append(note)
    P, phi = _rotate(L0, rotation)
    P, phi, order = _psych_sign_sort(P, phi)
    fnames = [names[j] for j in order]
    model = L0 @ L0.T  # rotation leaves ΛΦΛ' unchanged; psych's communality is diag of this
    comm = np.diag(model)
    if np.any(comm > 1 + 1e-8):
        warnings.append("an ultra-Heywood case (communality > 1) was found; examine the solution")
    phi_eff = phi if phi is not None else np.eye(n_factors)
    S = P @ phi_eff
    var = _variance_table(P, phi_eff, p, fnames)
    fit = _fit_stats(R, model, n_factors, n_obs)
    return EfaResult(
        tuple(cols), n_factors, method, rotation, n_obs,
        pd.DataFrame(P, index=cols, columns=fnames), pd.DataFrame(S, index=cols, columns=fnames),
        None if phi is None else pd.DataFrame(phi, index=fnames, columns=fnames),
        pd.DataFrame(L0, index=cols, columns=names),
        pd.Series(comm, index=cols, dtype=float), pd.Series(1.0 - comm, index=cols, dtype=float),
        var, fit, missing, tuple(warnings))


_VARIANCE_ROWS = ["SS loadings", "Proportion Var", "Cumulative Var", "Proportion Explained",
                  "Cumulative Proportion"]


def _check_options(n_factors, *, method, rotation, missing) -> str:
    """Check the options; returns the normalised ``missing``."""
    _check_choice("method", method, METHODS)
    _check_choice("rotation", rotation, ROTATIONS)
    missing = _normalise_missing(missing)
    if not isinstance(n_factors, (int, np.integer)) or n_factors < 1:
        raise ValueError(f"n_factors={n_factors!r} must be a positive integer")
    return missing


def _empty_result(cols: list[str], names: list[str], *, n_factors: int, method: str, rotation: str | None,
                  n_obs: int, dof: float, missing: str, warnings: list[str]) -> EfaResult:
    """An all-NaN solution of the right shape, for data that cannot be factored."""
    nanm = pd.DataFrame(np.nan, index=cols, columns=names)
    nans = pd.Series(np.nan, index=cols, dtype=float)
    phi = pd.DataFrame(np.nan, index=names, columns=names) if rotation in _OBLIQUE else None
    var = pd.DataFrame(np.nan, index=list(_VARIANCE_ROWS), columns=names)
    return EfaResult(tuple(cols), n_factors, method, rotation, n_obs, nanm, nanm.copy(), phi, nanm.copy(),
                     nans, nans.copy(), var, {**dict.fromkeys(_FIT_KEYS), "df": dof, "n_obs": n_obs}, missing,
                     tuple(warnings))


#: the fit statistics of a solution (psych's ``fa`` names); all undefined when nothing was extracted
_FIT_KEYS = ("objective", "chisq", "df", "pvalue", "rmsea", "tli", "bic", "n_obs", "null_chisq", "null_df")


def _variance_table(P: np.ndarray, phi_eff: np.ndarray, p: int, fnames: list[str]) -> pd.DataFrame:
    """psych's ``Vaccounted``: SS loadings = diag(ΦΛ'Λ) and their shares."""
    vx = np.diag(phi_eff @ P.T @ P)
    vtotal = p  # sum of communalities and uniquenesses of a correlation matrix
    return pd.DataFrame([vx, vx / vtotal, np.cumsum(vx / vtotal), vx / vx.sum(), np.cumsum(vx / vx.sum())],
                        index=list(_VARIANCE_ROWS), columns=fnames)
