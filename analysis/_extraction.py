"""psych-compatible factor extraction (minres, ML), rotation and psych's sign/order convention.

Extraction repeats psych 2.2.9's ``fa()`` step by step, including R's ``optim(method = "L-BFGS-B")``
(version 2.3, :mod:`._lbfgsb23`) and its settings (see :mod:`coprod.analysis.efa` for why); rotations go through factor_analyzer's
``Rotator``, whose failures become :class:`EstimationError`.
"""
from __future__ import annotations

import numpy as np

from coprod.analysis._itemdata import _smc
from coprod.analysis._lbfgsb23 import lbfgsb_r
from coprod.instrument.errors import CoprodError


class EstimationError(CoprodError, RuntimeError):
    """A numerical dependency failed in a way we cannot turn into a NaN result (e.g. an API change)."""


_EPS = np.finfo(float).eps


def _r_lbfgsb(fun, grad, start: np.ndarray, lower: float, upper: float):
    """R's ``optim(start, fun, grad, method = "L-BFGS-B", control = list(parscale = 0.01))``.

    psych fixes these settings; reproducing them (rather than converging further) is what makes the
    results equal psych's to ~1e-12 instead of ~1e-6 (see the module docstring), and doing so with
    L-BFGS-B 2.3 (:mod:`._lbfgsb23`, R's version) rather than scipy's 3.0 is what makes them equal
    where a uniqueness reaches the bound (issue 10, defect 4). Returns ``(x, converged)``: a run
    stopped by R's convergence test, or by a line search that cannot improve on the last iterate
    (psych's gradient is not the exact gradient of its objective, so R stops there too); not
    converged only when ``maxit`` ran out.
    """
    ps = 0.01
    n = len(start)
    res = lbfgsb_r(lambda y: fun(y * ps), lambda y: grad(y * ps) * ps, np.asarray(start, float) / ps,
                   np.full(n, lower / ps), np.full(n, upper / ps), m=5, factr=1e7, pgtol=0.0, maxit=100)
    return res.x * ps, res.success or (res.message.startswith("ABNORMAL") and res.nit > 1)


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

    psi, ok = _r_lbfgsb(fun, grad, np.diag(R) - smc, PSI_LOWER, max(smc.max(), 1.0))
    w, v = _top_eigen(R - np.diag(psi), nf)
    L = v * np.sqrt(np.maximum(w, 0))
    return L, psi, ok


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

    psi, ok = _r_lbfgsb(fun, grad, np.diag(R) - smc, PSI_LOWER, max(smc.max(), 1.0))
    sc = 1.0 / np.sqrt(psi)
    w, v = _top_eigen(R * np.outer(sc, sc), nf)
    L = np.sqrt(psi)[:, None] * (v * np.sqrt(np.maximum(w - 1, 0)))
    return L, psi, ok


# psych's lower bound on the uniquenesses (optim's ``lower``)
PSI_LOWER = 0.005


def _extract(R: np.ndarray, nf: int, method: str) -> tuple[np.ndarray, bool]:
    """Unrotated loadings signed as psych does (column sums positive)."""
    L, ok, _psi = _extract_with_psi(R, nf, method)
    return L, ok


def _extract_with_psi(R: np.ndarray, nf: int, method: str) -> tuple[np.ndarray, bool, np.ndarray]:
    """:func:`_extract` and the fitted uniquenesses (some may sit at :data:`PSI_LOWER`)."""
    L, psi, ok = (_ml_fit if method == "ml" else _minres_fit)(R, nf)
    s = np.sign(L.sum(0))
    s[s == 0] = 1
    return L * s, ok, psi


def bound_note(psi: np.ndarray, items: list[str]) -> str | None:
    """The warning for uniquenesses at psych's lower bound (a Heywood case), or None.

    The solution there is psych's (R's L-BFGS-B 2.3 path, see :func:`_r_lbfgsb`); the warning
    says that the item's uniqueness was not estimated but held at the bound."""
    at = [i for i, v in zip(items, psi) if v <= PSI_LOWER * (1 + 1e-9)]
    if not at:
        return None
    return (f"uniqueness of {', '.join(at)} at psych's lower bound {PSI_LOWER} (Heywood case): held at the "
            "bound, not estimated; its communality is then near or above 1")


def _rotate(L: np.ndarray, rotation: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Rotate with factor_analyzer's Rotator; settings are GPArotation's / stats::varimax's defaults."""
    if rotation is None or L.shape[1] < 2:
        return L.copy(), None
    try:
        # lazy: factor_analyzer imports scikit-learn (~1.5 s), and only rotations need it
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
