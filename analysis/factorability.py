"""Is an item set fit for factoring, and how many factors: KMO, Bartlett's test, parallel analysis.

Numbers equal psych 2.2.9's ``KMO``, ``cortest.bartlett`` and ``fa.parallel(fa = "fa")`` on the
conformance cases (see :mod:`coprod.analysis.efa` for how extraction is kept identical).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from coprod.analysis._threads import one_blas_thread
from coprod.analysis._extraction import _fa_values
from coprod.analysis._itemdata import _correlation, _is_singular, _normalise_missing, _smc, _usable_items
from coprod.analysis._result import jsonable

__all__ = ["FactorabilityResult", "ParallelResult", "factorability", "parallel_analysis"]


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


@one_blas_thread
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
