"""Omega hierarchical and omega total from a Schmid–Leiman solution (psych::omega).

Kept beside :mod:`.reliability` (alpha, omega total of one factor), which re-exports it; the
factor steps reuse the psych-compatible extraction and rotation of :mod:`._extraction`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from coprod.analysis._threads import one_blas_thread
from coprod.analysis._extraction import _extract, _psych_sign_sort, _rotate
from coprod.analysis._itemdata import _check_choice, _constant_items, _norm_missing, _select_items
from coprod.analysis._result import jsonable

__all__ = ["OmegaResult", "omega_hierarchical"]


@dataclass(frozen=True, slots=True)
class OmegaResult:
    """Schmid–Leiman omega (psych::omega)."""

    items: tuple[str, ...]
    n: int
    n_groups: int
    omega_h: float
    omega_total: float
    omega_limit: float
    alpha: float
    ecv: float
    loadings: pd.DataFrame        # g, F1*, …, h2, u2, p2 per item
    group_omegas: pd.DataFrame    # rows g, F1*, …; columns total, general, group
    warnings: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return jsonable({
            "items": list(self.items), "n": self.n, "n_groups": self.n_groups, "omega_h": self.omega_h,
            "omega_total": self.omega_total, "omega_limit": self.omega_limit, "alpha": self.alpha,
            "ecv": self.ecv,
            "loadings": {str(i): r for i, r in self.loadings.to_dict(orient="index").items()},
            "group_omegas": {str(i): r for i, r in self.group_omegas.to_dict(orient="index").items()},
            "warnings": list(self.warnings), "meta": self.meta,
        })

    def to_frame(self) -> pd.DataFrame:
        return self.loadings.reset_index()


def _schmid_leiman(R: np.ndarray, nf: int, rotation: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """psych::schmid: returns the SL pattern [g, F1*…], h2 and u2 (before item flipping)."""
    notes: list[str] = []
    L0, ok = _extract(R, nf, "minres")
    if not ok:
        notes.append("the minres extraction did not converge")
    orth, _ = _rotate(L0, "varimax")            # psych: fa(..., rotate = "varimax")
    orth, _, _ = _psych_sign_sort(orth, None)
    fload, phi = _rotate(orth, rotation)        # psych: GPArotation::oblimin(orth.load), no re-sorting
    if nf > 2:
        gl, _ = _extract(phi, 1, "minres")      # psych: fa(Phi, fm = fm), the general factor of Φ
        gload = gl[:, 0]
    else:
        # psych option = "equal": both group factors load sqrt(|φ12|) on g
        r12 = phi[0, 1]
        gload = np.array([math.sqrt(abs(r12)), math.copysign(math.sqrt(abs(r12)), r12)])
        notes.append("three group factors are required for identification; with two, the general "
                     "loadings are set equal (psych option = 'equal')")
    g = fload @ gload
    h2 = np.sum(orth ** 2, axis=1)
    u2 = np.diag(R) - h2
    uniq2 = np.clip(fload ** 2 - (fload * gload) ** 2, 0, None)
    sm = np.sign(fload) * np.sqrt(uniq2)
    return np.column_stack([g, sm]), h2, u2, notes


@one_blas_thread
def omega_hierarchical(responses: pd.DataFrame, *, items: Sequence[str] | None = None, n_groups: int = 3,
                       missing: str = "listwise", rotation: str = "oblimin") -> OmegaResult:
    """Omega hierarchical and omega total from a Schmid–Leiman solution, as ``psych::omega``.

    Parameters
    ----------
    responses : DataFrame
    items : list of str, optional
    n_groups : int
        Number of group factors (psych's ``nfactors``, default 3). With 2, the general loadings are
        set equal (psych ``option = "equal"``) and a warning is recorded.
    missing : {"listwise", "fiml", "pairwise"}
        ``fiml``/``pairwise`` use pairwise correlations (psych).
    rotation : {"oblimin", "promax"}
        Oblique rotation of the group factors.

    Returns
    -------
    OmegaResult
        ``omega_h`` = (Σg)²/ΣR, ``omega_total`` = (ΣR − Σu²)/ΣR, ``omega_limit`` = (Σg)²/(ΣR − Σu²),
        ``alpha`` (standardised), ``ecv``, the SL ``loadings`` table (g, F1*…, h2, u2, p2) and
        ``group_omegas`` (psych's ``omega.group``).

    Notes
    -----
    Steps (psych::schmid): minres extraction of ``n_groups`` factors, varimax, oblimin from the varimax
    solution, a one-factor minres fit to the factor correlations Φ gives the general loadings γ;
    g = Λγ and the group loadings are sign(λ)·sqrt(λ²(1 − γ²)). Items with a negative g loading are
    reversed before ΣR is taken. Checked against R: ``psych::omega(x, nfactors = 3, fm = "minres")``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> g, s = rng.normal(size=(500, 1)), rng.normal(size=(500, 3))
    >>> X = np.hstack([g + s[:, [j]] + rng.normal(size=(500, 3)) for j in range(3)])
    >>> om = omega_hierarchical(pd.DataFrame(X), n_groups=3)   # R: psych::omega(X, nfactors = 3)
    >>> bool(0 < om.omega_h < om.omega_total < 1)
    True
    """
    missing = _norm_missing(missing)
    _check_choice("rotation", rotation, ("oblimin", "promax"))
    if not isinstance(n_groups, (int, np.integer)) or n_groups < 2:
        raise ValueError(f"n_groups={n_groups!r} must be an integer ≥ 2 (use cronbach_alpha for omega total "
                         "of a one-factor model)")
    X = _select_items(responses, items, "omega_hierarchical")
    X, warnings = _rows_and_items(X, missing)
    cols = list(X.columns)
    p, n = len(cols), int(X.dropna().shape[0])
    gnames = ["g"] + [f"F{j + 1}*" for j in range(n_groups)]
    meta = {"missing": missing, "rotation": rotation, "fm": "minres", "checked_against": "psych 2.2.9 omega()"}

    def empty(msg: str) -> OmegaResult:
        warnings.append(msg)
        lt = pd.DataFrame(np.nan, index=pd.Index(cols, name="item"), columns=gnames + ["h2", "u2", "p2"])
        go = pd.DataFrame(np.nan, index=gnames, columns=["total", "general", "group"])
        return OmegaResult(tuple(cols), n, n_groups, *([math.nan] * 5), lt, go, tuple(warnings), meta)

    if n < 3:
        return empty(f"too few complete rows ({n})")
    if p < 2 * n_groups:
        return empty(f"{n_groups} group factors need at least {2 * n_groups} items with variance (have {p})")
    R = X.corr(min_periods=2).to_numpy(float)
    if not np.all(np.isfinite(R)):
        return empty("undefined correlations (pairs of items never observed together)")
    sl, h2, u2, notes = _schmid_leiman(R, n_groups, rotation)
    warnings.extend(notes)
    R, sl, notes = _reverse_negative_general(R, sl, cols)
    warnings.extend(notes)
    Vt, Vitem = R.sum(), np.trace(R)
    gsq = sl[:, 0].sum() ** 2
    om_tot = (Vt - u2.sum()) / Vt
    ev = np.sum(sl ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p2 = sl[:, 0] ** 2 / h2
    table = pd.DataFrame(sl, index=pd.Index(cols, name="item"), columns=gnames)
    table["h2"], table["u2"], table["p2"] = h2, u2, p2
    go, grs = _group_omegas(R, sl, n_groups, gnames)
    go.iloc[0] = [om_tot, gsq / Vt, grs / Vt]
    return OmegaResult(tuple(cols), n, n_groups, float(gsq / Vt), float(om_tot), float(gsq / (Vt - u2.sum())),
                       float((Vt - Vitem) / Vt * p / (p - 1)), float(ev[0] / ev.sum()), table, go,
                       tuple(warnings), meta)


def _rows_and_items(X: pd.DataFrame, missing: str) -> tuple[pd.DataFrame, list[str]]:
    """The rows used (complete ones for listwise) and the items with variance."""
    warnings: list[str] = []
    if missing == "listwise":
        X = X.dropna()
    const = _constant_items(X) if X.shape[0] >= 2 else []
    if const:
        warnings.append(f"items with no variance were left out: {const}")
        X = X.drop(columns=const)
    return X, warnings


def _reverse_negative_general(R: np.ndarray, sl: np.ndarray, cols: list[str]):
    """Reverse the items whose general loading is negative (psych does, before ΣR is taken)."""
    key = np.sign(sl[:, 0])
    key[key == 0] = 1
    if np.any(key < 0):
        note = f"items with negative general loadings were reversed: {[c for c, s in zip(cols, key) if s < 0]}"
        return R * np.outer(key, key), sl * key[:, None], [note]
    return R, sl, []


def _group_omegas(R: np.ndarray, sl: np.ndarray, n_groups: int, gnames: list[str]) -> tuple[pd.DataFrame, float]:
    """psych's ``omega.group`` rows of the group factors, and Σ (Σ group loadings)² for the g row.

    Items belong to the group factor with their largest |loading|."""
    sub = np.argmax(np.abs(sl[:, 1:]), axis=1)
    go = pd.DataFrame(np.nan, index=gnames, columns=["total", "general", "group"])
    grs = 0.0
    for j in range(n_groups):
        idx = np.where(sub == j)[0]
        if len(idx) == 0:
            continue
        Vgr = R[np.ix_(idx, idx)].sum()
        gr = sl[idx, j + 1].sum()
        grs += gr ** 2
        go.iloc[j + 1] = [(gr ** 2 + sl[idx, 0].sum() ** 2) / Vgr, sl[idx, 0].sum() ** 2 / Vgr, gr ** 2 / Vgr]
    return go, grs
