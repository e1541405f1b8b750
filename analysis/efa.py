"""Factor structure: factorability (KMO, Bartlett), parallel analysis and exploratory factor analysis.

Every number here is meant to equal ``psych`` 2.2.9 (with GPArotation 2022.10.2) to machine precision
on the conformance cases, not merely to "agree". Two choices make that possible:

* Factor extraction (minres and ML) is our own code that repeats psych's ``fa()`` step by step,
  *including its optimiser settings* (R's ``optim(method = "L-BFGS-B")`` with ``parscale = 0.01``,
  ``factr = 1e7``, ``lmm = 5``, ``maxit = 100``). psych's minres solution stops about 1e-6 short of
  the exact minimum, and its ``fa.values`` carry that; an exact optimiser therefore misses the
  reference by ~1e-6, the same settings hit it to ~1e-15. factor_analyzer's own extraction is not
  used: its minres also fits the diagonal (psych's minres ignores it), and its ML uses numerical
  gradients without psych's scaling.
* Rotations use factor_analyzer's :class:`~factor_analyzer.Rotator` (a port of GPArotation's GPFoblq
  and of ``stats::varimax`` / psych's ``kaiser(rotate = "Promax")``), called through
  :func:`_rotate`, which turns any failure of that dependency into a clear :class:`EstimationError`.
  factor_analyzer's ``phi_`` bug (not reordered after sorting) cannot reach us: we sort ourselves.

This module also holds the small numeric core shared with :mod:`analysis.reliability` and
:mod:`analysis.validity`: item selection, listwise/pairwise correlations, SMCs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from coprod.analysis._result import jsonable
from coprod.analysis.errors import ModelSpecError, Problem, ResponseDataError
from coprod.instrument.errors import CoprodError

__all__ = [
    "EstimationError",
    "FactorabilityResult",
    "ParallelResult",
    "EfaResult",
    "factorability",
    "parallel_analysis",
    "efa",
]

MISSING_OPTIONS = ("listwise", "pairwise", "fiml")
METHODS = ("ml", "minres")
ROTATIONS = ("oblimin", "promax", "varimax", None)
_OBLIQUE = ("oblimin", "promax")


class EstimationError(CoprodError, RuntimeError):
    """A numerical dependency failed in a way we cannot turn into a NaN result (e.g. an API change)."""


# --------------------------------------------------------------------------- data preparation
def _check_choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not one of {list(allowed)!r}")


def _select_items(responses: pd.DataFrame, items: Sequence[str] | None, where: str) -> pd.DataFrame:
    """Return the item columns as float, raising one error that lists every problem found."""
    if not isinstance(responses, pd.DataFrame):
        raise TypeError(f"{where}: responses must be a pandas DataFrame, got {type(responses).__name__}")
    if items is None:
        items = list(responses.columns)
    if isinstance(items, str):
        raise ModelSpecError(f"{where}: items must be a list of column names, got the string {items!r}")
    items = list(items)
    dup = sorted({i for i in items if items.count(i) > 1})
    if dup:
        raise ModelSpecError(f"{where}: items listed more than once: {dup}")
    unknown = [i for i in items if i not in responses.columns]
    if unknown:
        raise ModelSpecError(f"{where}: items not in the responses: {unknown} "
                             f"(columns are {list(map(str, responses.columns))[:30]})")
    problems: list[Problem] = []
    out = {}
    for it in items:
        col = responses[it]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            out[it] = pd.to_numeric(col, errors="coerce").astype(float)
            continue
        num = pd.to_numeric(col, errors="coerce")
        bad = col.notna() & num.isna()
        for row, val in col[bad].head(5).items():
            problems.append(Problem("", f"row {row}", str(it), f"value {val!r} is not a number"))
        if bad.sum() > 5:
            problems.append(Problem("", "", str(it), f"... {int(bad.sum()) - 5} more non-numeric values"))
        out[it] = num.astype(float)
    if problems:
        raise ResponseDataError(problems)
    return pd.DataFrame(out, index=responses.index)


def _normalise_missing(missing: str) -> str:
    """``fiml`` in a spec means *psych pairwise* for correlation-based statistics (README)."""
    _check_choice("missing", missing, MISSING_OPTIONS)
    return "pairwise" if missing == "fiml" else missing


def _constant_items(X: pd.DataFrame) -> list[str]:
    sd = X.std(ddof=1)
    return [c for c in X.columns if not (sd[c] > 0)]


def _correlation(X: pd.DataFrame, missing: str) -> np.ndarray:
    """Pearson correlations: complete rows (listwise) or R's ``cor(use = "pairwise")``."""
    if missing == "listwise":
        X = X.dropna()
    # pandas' pairwise corr uses the pair's own means and SDs, exactly like R's pairwise.complete.obs
    return X.corr(min_periods=2).to_numpy(dtype=float)


def _usable_items(responses: pd.DataFrame, items: Sequence[str] | None, where: str
                  ) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The selected items without constant ones (psych drops them too), with a warning naming them."""
    X = _select_items(responses, items, where)
    warnings: list[str] = []
    const = _constant_items(X) if X.dropna(how="all").shape[0] >= 2 else []
    if const:
        warnings.append(f"items with no variance were left out: {const}")
        X = X.drop(columns=const)
    return X, const, warnings


def _is_singular(R: np.ndarray) -> bool:
    if not np.all(np.isfinite(R)):
        return True
    ev = np.linalg.eigvalsh(R)
    return bool(ev.min() <= 1e-10 * max(1.0, ev.max()))


def _smc(R: np.ndarray) -> np.ndarray:
    """psych::smc: 1 − 1/diag(R⁺) with a pseudo-inverse, clamped to [0, 1]."""
    smc = 1.0 - 1.0 / np.diag(np.linalg.pinv(R))
    return np.clip(smc, 0.0, 1.0)


# --------------------------------------------------------------------------- psych-compatible extraction
_EPS = np.finfo(float).eps


def _r_lbfgsb(fun, grad, start: np.ndarray, lower: float, upper: float):
    """R's ``optim(start, fun, grad, method = "L-BFGS-B", control = list(parscale = 0.01))``.

    psych fixes these settings; reproducing them (rather than converging further) is what makes the
    results equal psych's to ~1e-15 instead of ~1e-6 (see the module docstring).
    """
    ps = 0.01
    res = optimize.minimize(
        lambda y: fun(y * ps), np.asarray(start, float) / ps,
        jac=lambda y: grad(y * ps) * ps, method="L-BFGS-B",
        bounds=[(lower / ps, upper / ps)] * len(start),
        options={"ftol": 1e7 * _EPS, "gtol": 0.0, "maxcor": 5, "maxiter": 100},
    )
    return res.x * ps, res


def _top_eigen(S: np.ndarray, nf: int) -> tuple[np.ndarray, np.ndarray]:
    w, v = np.linalg.eigh(S)
    return w[::-1][:nf], v[:, ::-1][:, :nf]


def _minres_fit(R: np.ndarray, nf: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """psych ``fa(fm = "minres")`` extraction: unrotated loadings, fitted uniquenesses, convergence."""
    p = R.shape[0]
    smc = _smc(R)
    tril = np.tril_indices(p, -1)

    def fun(psi):
        S = R.copy()
        np.fill_diagonal(S, 1.0 - psi)
        w, v = _top_eigen(S, nf)
        w = np.maximum(w, 100 * _EPS)
        L = v * np.sqrt(w)
        return float(np.sum((S - L @ L.T)[tril] ** 2))

    def grad(psi):
        w, v = _top_eigen(R - np.diag(psi), nf)
        L = v * np.sqrt(np.maximum(w, 0))
        return np.diag(L @ L.T + np.diag(psi) - R).copy()

    psi, res = _r_lbfgsb(fun, grad, np.diag(R) - smc, 0.005, max(smc.max(), 1.0))
    w, v = _top_eigen(R - np.diag(psi), nf)
    L = v * np.sqrt(np.maximum(w, 0))
    return L, psi, bool(res.success)


def _ml_fit(R: np.ndarray, nf: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """psych ``fa(fm = "ml")`` extraction (factanal's objective and gradient)."""
    p = R.shape[0]
    smc = _smc(R)

    def fun(psi):
        sc = 1.0 / np.sqrt(psi)
        e = np.linalg.eigvalsh(R * np.outer(sc, sc))[::-1][nf:]
        return float(-(np.sum(np.log(e) - e) - nf + p))

    def grad(psi):
        sc = 1.0 / np.sqrt(psi)
        w, v = _top_eigen(R * np.outer(sc, sc), nf)
        L = np.sqrt(psi)[:, None] * (v * np.sqrt(np.maximum(w - 1, 0)))
        return np.diag(L @ L.T + np.diag(psi) - R) / psi ** 2

    psi, res = _r_lbfgsb(fun, grad, np.diag(R) - smc, 0.005, max(smc.max(), 1.0))
    sc = 1.0 / np.sqrt(psi)
    w, v = _top_eigen(R * np.outer(sc, sc), nf)
    L = np.sqrt(psi)[:, None] * (v * np.sqrt(np.maximum(w - 1, 0)))
    return L, psi, bool(res.success)


def _extract(R: np.ndarray, nf: int, method: str) -> tuple[np.ndarray, bool]:
    """Unrotated loadings signed as psych does (column sums positive)."""
    L, _psi, ok = (_ml_fit if method == "ml" else _minres_fit)(R, nf)
    s = np.sign(L.sum(0))
    s[s == 0] = 1
    return L * s, ok


def _rotate(L: np.ndarray, rotation: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Rotate with factor_analyzer's Rotator; settings are GPArotation's / stats::varimax's defaults."""
    if rotation is None or L.shape[1] < 2:
        return L.copy(), None
    try:
        from factor_analyzer.rotator import Rotator

        if rotation == "oblimin":  # GPArotation::oblimin: GPFoblq, gam = 0, eps = 1e-5, maxit = 1000
            rot = Rotator(method="oblimin", max_iter=1000, tol=1e-5)
        elif rotation == "varimax":  # stats::varimax(normalize = TRUE, eps = 1e-5)
            rot = Rotator(method="varimax", normalize=True, max_iter=1000, tol=1e-5)
        else:  # psych::kaiser(rotate = "Promax"): Kaiser-normalised Promax, m = 4
            rot = Rotator(method="promax", normalize=True, power=4, max_iter=1000, tol=1e-5)
        P = np.asarray(rot.fit_transform(np.array(L, dtype=float)), dtype=float)
        phi = None if rotation == "varimax" else np.asarray(rot.phi_, dtype=float)
    except Exception as exc:  # a future factor_analyzer / scikit-learn change must not pass silently
        raise EstimationError(
            f"factor_analyzer's Rotator failed for rotation={rotation!r}: {type(exc).__name__}: {exc}. "
            "coprod is tested with factor_analyzer 0.5.1 on scikit-learn 1.7 to 1.9."
        ) from exc
    if P.shape != L.shape or (phi is not None and phi.shape != (L.shape[1],) * 2):
        raise EstimationError("factor_analyzer's Rotator returned matrices of the wrong shape")
    return P, phi


def _psych_sign_sort(P: np.ndarray, phi: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """psych: flip columns to positive sums, then order by diag(Φ Λ'Λ) (colSums(Λ²) if orthogonal)."""
    s = np.sign(P.sum(0))
    s[s == 0] = 1
    P = P * s
    if phi is not None:
        phi = phi * np.outer(s, s)
    if P.shape[1] > 1:
        ev = np.diag(phi @ P.T @ P) if phi is not None else np.sum(P ** 2, axis=0)
        order = np.argsort(-ev, kind="stable")
    else:
        order = np.arange(P.shape[1])
    P = P[:, order]
    if phi is not None:
        phi = phi[np.ix_(order, order)]
    return P, phi, order


def _fa_values(R: np.ndarray, nf: int = 1, method: str = "minres") -> np.ndarray:
    """psych ``fa(r, nfactors)$values``: eigenvalues of R with the fitted communalities on the diagonal."""
    L, _ = _extract(R, nf, method)
    S = R.copy()
    np.fill_diagonal(S, np.sum(L ** 2, axis=1))
    return np.sort(np.linalg.eigvalsh(S))[::-1]


# --------------------------------------------------------------------------- factorability
@dataclass(frozen=True, slots=True)
class FactorabilityResult:
    """KMO, Bartlett's sphericity test and the eigenvalues of one item set."""

    items: tuple[str, ...]
    n: int
    kmo: float
    kmo_per_item: pd.Series
    bartlett_chi2: float
    bartlett_df: int
    bartlett_p: float
    eigen_pc: np.ndarray
    eigen_reduced_smc: np.ndarray
    missing: str
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return jsonable({
            "items": list(self.items), "n": self.n, "kmo": self.kmo, "kmo_per_item": self.kmo_per_item,
            "bartlett": {"chi2": self.bartlett_chi2, "df": self.bartlett_df, "p": self.bartlett_p, "n": self.n},
            "eigen": {"pc": self.eigen_pc, "reduced_smc": self.eigen_reduced_smc},
            "missing": self.missing, "warnings": list(self.warnings),
        })

    def to_frame(self) -> pd.DataFrame:
        """One row per item: KMO (MSA) and the i-th eigenvalues (for a scree table)."""
        return pd.DataFrame({"item": list(self.items), "kmo": self.kmo_per_item.to_numpy(),
                             "eigen_pc": self.eigen_pc, "eigen_reduced_smc": self.eigen_reduced_smc})


def factorability(responses: pd.DataFrame, *, items: Sequence[str] | None = None,
                  missing: str = "listwise") -> FactorabilityResult:
    """Kaiser–Meyer–Olkin sampling adequacy and Bartlett's test of sphericity.

    Parameters
    ----------
    responses : DataFrame
        One row per respondent, one column per item.
    items : list of str, optional
        Item columns (default: all columns).
    missing : {"listwise", "pairwise", "fiml"}
        ``listwise`` uses complete rows; ``pairwise`` (and ``fiml``, as in the conformance specs) uses
        pairwise correlations, with Bartlett's n = the number of complete rows.

    Returns
    -------
    FactorabilityResult
        ``kmo`` (overall MSA), ``kmo_per_item``, ``bartlett_chi2`` = −(n − 1 − (2p + 5)/6)·ln|R|,
        ``bartlett_df`` = p(p − 1)/2, ``bartlett_p``, eigenvalues of R and of R with SMCs on the diagonal.

    Notes
    -----
    KMO = Σr²/(Σr² + Σq²) over off-diagonal elements, q the partial correlations (anti-image).
    Checked against R: ``psych::KMO(R)``, ``psych::cortest.bartlett(R, n)`` (equal to 1e-12).
    A singular correlation matrix (e.g. duplicated items) gives NaN KMO/Bartlett and a warning;
    constant items are left out with a warning.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(200, 1))
    >>> df = pd.DataFrame(f + rng.normal(size=(200, 4)), columns=list("abcd"))
    >>> res = factorability(df)      # R: psych::KMO(cor(df)); psych::cortest.bartlett(cor(df), n = 200)
    >>> bool(res.kmo > 0.7), res.bartlett_df
    (True, 6)
    """
    missing = _normalise_missing(missing)
    X, const, warnings = _usable_items(responses, items, "factorability")
    cols = tuple(X.columns)
    n = int(X.dropna().shape[0])
    p = len(cols)
    nan_series = pd.Series(np.nan, index=list(X.columns) + const, dtype=float)
    if p < 2 or n < 3:
        warnings.append(f"factorability needs at least 2 items with variance and 3 complete rows (have {p} items, {n} rows)")
        return FactorabilityResult(tuple(X.columns) + tuple(const), n, math.nan, nan_series, math.nan, p * (p - 1) // 2,
                                   math.nan, np.full(p, np.nan), np.full(p, np.nan), missing, tuple(warnings))
    R = _correlation(X, missing)
    eig_pc = np.sort(np.linalg.eigvalsh(R))[::-1]
    Rs = R.copy()
    np.fill_diagonal(Rs, _smc(R))
    eig_smc = np.sort(np.linalg.eigvalsh(Rs))[::-1]
    df = p * (p - 1) // 2
    if _is_singular(R):
        warnings.append("the correlation matrix is singular or not positive definite (an item is a linear "
                        "combination of others, fewer rows than items, or pairwise correlations that do not "
                        "fit together): KMO and Bartlett's test are undefined")
        kmo, kmo_i, chi2, pval = math.nan, np.full(p, np.nan), math.nan, math.nan
    else:
        Q = np.linalg.inv(R)
        d = 1.0 / np.sqrt(np.diag(Q))
        A = Q * np.outer(d, d)  # anti-image correlations (psych: cov2cor(solve(R)))
        np.fill_diagonal(A, 0.0)
        R0 = R.copy()
        np.fill_diagonal(R0, 0.0)
        r2, q2 = R0 ** 2, A ** 2
        kmo = float(r2.sum() / (r2.sum() + q2.sum()))
        kmo_i = r2.sum(0) / (r2.sum(0) + q2.sum(0))
        sign, logdet = np.linalg.slogdet(R)
        chi2 = float(-logdet * (n - 1 - (2 * p + 5) / 6))
        pval = float(stats.chi2.sf(chi2, df))
    kmo_series = pd.concat([pd.Series(kmo_i, index=list(cols), dtype=float),
                            pd.Series(np.nan, index=const, dtype=float)]) if const else \
        pd.Series(kmo_i, index=list(cols), dtype=float)
    return FactorabilityResult(cols + tuple(const), n, kmo, kmo_series, chi2, df, pval,
                               eig_pc, eig_smc, missing, tuple(warnings))


# --------------------------------------------------------------------------- parallel analysis
@dataclass(frozen=True, slots=True)
class ParallelResult:
    """Horn's parallel analysis on principal-factor eigenvalues (psych ``fa.parallel(fa = "fa")``)."""

    items: tuple[str, ...]
    n: int
    n_iter: int
    seed: int | None
    quantile: float | None
    observed_fa_values: np.ndarray
    observed_pc_values: np.ndarray
    simulated_fa_mean: np.ndarray
    simulated_fa_threshold: np.ndarray
    n_factors: int
    missing: str
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return jsonable({
            "items": list(self.items), "n": self.n, "n_iter": self.n_iter, "seed": self.seed,
            "quantile": self.quantile, "n_factors": self.n_factors,
            "observed_fa_values": self.observed_fa_values, "observed_pc_values": self.observed_pc_values,
            "simulated_fa_mean": self.simulated_fa_mean, "simulated_fa_threshold": self.simulated_fa_threshold,
            "missing": self.missing, "warnings": list(self.warnings),
        })

    def to_frame(self) -> pd.DataFrame:
        k = len(self.observed_fa_values)
        return pd.DataFrame({"factor": np.arange(1, k + 1), "observed": self.observed_fa_values,
                             "simulated_mean": self.simulated_fa_mean,
                             "simulated_threshold": self.simulated_fa_threshold,
                             "retain": np.arange(1, k + 1) <= self.n_factors})


def parallel_analysis(responses: pd.DataFrame, *, items: Sequence[str] | None = None, n_iter: int = 20,
                      seed: int | None = None, quantile: float | None = 0.95,
                      missing: str = "listwise") -> ParallelResult:
    """Parallel analysis with psych's ``fa.parallel(fa = "fa", fm = "minres")`` semantics.

    Parameters
    ----------
    responses : DataFrame
    items : list of str, optional
    n_iter : int
        Number of simulated normal data sets (psych default 20).
    seed : int, optional
        Seed of the ``numpy.random.Generator`` that draws the simulated data.
    quantile : float or None
        Threshold of the simulated eigenvalues a factor must exceed. psych 2.2.9 always uses its
        ``quant = .95`` quantile (the mean is only plotted); ``None`` compares with the mean instead.
    missing : {"listwise", "pairwise", "fiml"}

    Returns
    -------
    ParallelResult
        ``observed_fa_values``: eigenvalues of R with the communalities of a **one-factor minres fit**
        on the diagonal (psych's definition, not SMCs); ``simulated_fa_mean``/``_threshold``;
        ``n_factors`` = the number of leading observed values above the threshold (psych counts until
        the first one that is not).

    Notes
    -----
    The simulated values come from numpy's RNG, so they differ from R's draws; ``n_factors`` agrees
    with R on data whose structure is clear (checked on the conformance cases). Checked against R:
    ``psych::fa.parallel(x, fa = "fa", fm = "minres", n.iter = 20)`` (``observed_fa_values`` to 1e-14).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> f = rng.normal(size=(300, 2))
    >>> X = np.hstack([f[:, [0]] + rng.normal(size=(300, 3)), f[:, [1]] + rng.normal(size=(300, 3))])
    >>> pa = parallel_analysis(pd.DataFrame(X), n_iter=10, seed=1)   # R: psych::fa.parallel(X, fa = "fa")
    >>> pa.n_factors
    2
    """
    missing = _normalise_missing(missing)
    if quantile is not None and not (0 < quantile < 1):
        raise ValueError(f"quantile={quantile!r} must be in (0, 1) or None")
    if int(n_iter) < 1:
        raise ValueError(f"n_iter={n_iter!r} must be a positive integer")
    X, const, warnings = _usable_items(responses, items, "parallel_analysis")
    if missing == "listwise":
        X = X.dropna()
    p, nsub = X.shape[1], X.shape[0]
    if p < 2 or X.dropna().shape[0] < 3:
        warnings.append(f"parallel analysis needs at least 2 items with variance and 3 complete rows (have {p} items)")
        nan = np.full(p, np.nan)
        return ParallelResult(tuple(X.columns), nsub, int(n_iter), seed, quantile, nan, nan, nan, nan, 0,
                              missing, tuple(warnings))
    R = _correlation(X, missing)
    observed_pc = np.sort(np.linalg.eigvalsh(R))[::-1]
    observed = _fa_values(R)
    if _is_singular(R):
        warnings.append("the correlation matrix is singular; observed eigenvalues are still reported")
    rng = np.random.default_rng(seed)
    sims = np.empty((int(n_iter), p))
    for i in range(int(n_iter)):
        # psych simulates n x p standard normal data (n = all rows of x) and factors its Pearson R
        Z = rng.standard_normal((nsub, p))
        sims[i] = _fa_values(np.corrcoef(Z, rowvar=False))
    sim_mean = sims.mean(0)
    # numpy's default quantile is R's type 7, which psych uses
    thresh = sim_mean if quantile is None else np.quantile(sims, quantile, axis=0)
    above = observed > thresh
    nf = int(p if above.all() else np.argmin(above))
    if above.all():
        warnings.append("every observed eigenvalue exceeds the simulated ones (psych reports NA here)")
    return ParallelResult(tuple(X.columns), nsub, int(n_iter), seed, quantile, observed, observed_pc,
                          sim_mean, thresh, nf, missing, tuple(warnings))


# --------------------------------------------------------------------------- EFA
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
    _check_choice("method", method, METHODS)
    _check_choice("rotation", rotation, ROTATIONS)
    missing = _normalise_missing(missing)
    if not isinstance(n_factors, (int, np.integer)) or n_factors < 1:
        raise ValueError(f"n_factors={n_factors!r} must be a positive integer")
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
        nanm = pd.DataFrame(np.nan, index=cols, columns=names)
        nans = pd.Series(np.nan, index=cols, dtype=float)
        phi = pd.DataFrame(np.nan, index=names, columns=names) if rotation in _OBLIQUE else None
        var = pd.DataFrame(np.nan, index=["SS loadings", "Proportion Var", "Cumulative Var",
                                          "Proportion Explained", "Cumulative Proportion"], columns=names)
        return EfaResult(tuple(cols), n_factors, method, rotation, n_obs, nanm, nanm.copy(), phi, nanm.copy(),
                         nans, nans.copy(), var, {"df": dof, "n_obs": n_obs}, missing, tuple(warnings))

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
    L0, ok = _extract(R, n_factors, method)
    if not ok:
        warnings.append("the factor extraction did not converge")
    P, phi = _rotate(L0, rotation)
    P, phi, order = _psych_sign_sort(P, phi)
    fnames = [names[j] for j in order]
    model = L0 @ L0.T  # rotation leaves ΛΦΛ' unchanged; psych's communality is diag of this
    comm = np.diag(model)
    if np.any(comm > 1 + 1e-8):
        warnings.append("an ultra-Heywood case (communality > 1) was found; examine the solution")
    phi_eff = phi if phi is not None else np.eye(n_factors)
    S = P @ phi_eff
    vx = np.diag(phi_eff @ P.T @ P)
    vtotal = p  # sum of communalities and uniquenesses of a correlation matrix
    var = pd.DataFrame([vx, vx / vtotal, np.cumsum(vx / vtotal), vx / vx.sum(), np.cumsum(vx / vx.sum())],
                       index=["SS loadings", "Proportion Var", "Cumulative Var", "Proportion Explained",
                              "Cumulative Proportion"], columns=fnames)
    fit = _fit_stats(R, model, n_factors, n_obs)
    return EfaResult(
        tuple(cols), n_factors, method, rotation, n_obs,
        pd.DataFrame(P, index=cols, columns=fnames), pd.DataFrame(S, index=cols, columns=fnames),
        None if phi is None else pd.DataFrame(phi, index=fnames, columns=fnames),
        pd.DataFrame(L0, index=cols, columns=names),
        pd.Series(comm, index=cols, dtype=float), pd.Series(1.0 - comm, index=cols, dtype=float),
        var, fit, missing, tuple(warnings))
