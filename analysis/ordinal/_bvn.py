"""Bivariate normal CDF and density pieces for polychoric likelihoods (numpy, vectorised).

``bivariate_normal_cdf`` is Alan Genz's ``BVNU`` (Drezner & Wesolowsky 1990; Genz 2004,
"Numerical computation of rectangular bivariate and trivariate normal and t probabilities"), the
algorithm in R's ``pbivnorm`` that lavaan calls: Gauss–Legendre quadrature of Plackett's
identity with 6, 12 or 20 nodes by |ρ|, and an asymptotic expansion for |ρ| ≥ 0.925. Accurate to
about 1e-15; ``scipy.stats.multivariate_normal.cdf`` gives the same numbers but one call per point.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy.special import ndtr

__all__ = ["bivariate_normal_cdf"]

_TWO_PI = 2.0 * np.pi


def _gauss_legendre_half(n: int) -> tuple[np.ndarray, np.ndarray]:
    # Genz tabulates the negative half of the n-point rule and mirrors it in the loop.
    x, w = leggauss(n)
    half = x < 0
    return x[half], w[half]


_GL = {n: _gauss_legendre_half(n) for n in (6, 12, 20)}


def _bvnu(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Upper orthant P(X > h, Y > k) for finite 1-D arrays (Genz's BVNU, all three branches)."""
    out = np.empty(h.shape, dtype=float)
    ar = np.abs(r)
    low = ar < 0.925
    for n, sel in ((6, low & (ar < 0.3)), (12, low & (ar >= 0.3) & (ar < 0.75)),
                   (20, low & (ar >= 0.75))):
        if not sel.any():
            continue
        x, w = _GL[n]
        hh, kk, rr = h[sel], k[sel], r[sel]
        hk = (hh * kk)[:, None]
        hs = ((hh * hh + kk * kk) / 2.0)[:, None]
        asr = np.arcsin(rr)[:, None]
        acc = np.zeros(hh.shape)
        for sgn in (1.0, -1.0):
            sn = np.sin(asr * (sgn * x + 1.0) / 2.0)
            acc += (w * np.exp((sn * hk - hs) / (1.0 - sn * sn))).sum(axis=1)
        out[sel] = acc * asr[:, 0] / (2.0 * _TWO_PI) + ndtr(-hh) * ndtr(-kk)

    high = ~low
    if high.any():
        x, w = _GL[20]
        hh, rr = h[high], r[high]
        kk = np.where(rr < 0, -k[high], k[high])
        hk = hh * kk
        bvn = np.zeros(hh.shape)
        inner = np.abs(rr) < 1.0
        if inner.any():
            hi, ki, hki, ri = hh[inner], kk[inner], hk[inner], rr[inner]
            as_ = (1.0 - ri) * (1.0 + ri)
            a = np.sqrt(as_)
            bs = (hi - ki) ** 2
            c = (4.0 - hki) / 8.0
            d = (12.0 - hki) / 16.0
            val = a * np.exp(-(bs / as_ + hki) / 2.0) * (
                1.0 - c * (bs - as_) * (1.0 - d * bs / 5.0) / 3.0 + c * d * as_ * as_ / 5.0)
            b = np.sqrt(bs)
            tail = np.exp(-hki / 2.0) * np.sqrt(_TWO_PI) * ndtr(-b / a) * b * (
                1.0 - c * bs * (1.0 - d * bs / 5.0) / 3.0)
            val = val - np.where(hki > -160.0, tail, 0.0)
            a2 = (a / 2.0)[:, None]
            bs_, hk_, c_, d_ = bs[:, None], hki[:, None], c[:, None], d[:, None]
            with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
                xs = (a2 * (x + 1.0)) ** 2
                rs = np.sqrt(1.0 - xs)
                t1 = (np.exp(-bs_ / (2.0 * xs) - hk_ / (1.0 + rs)) / rs
                      - np.exp(-(bs_ / xs + hk_) / 2.0) * (1.0 + c_ * xs * (1.0 + d_ * xs)))
                xs = as_[:, None] * (1.0 - x) ** 2 / 4.0
                rs = np.sqrt(1.0 - xs)
                t2 = np.exp(-(bs_ / xs + hk_) / 2.0) * (
                    np.exp(-hk_ * (1.0 - rs) / (2.0 * (1.0 + rs))) / rs
                    - (1.0 + c_ * xs * (1.0 + d_ * xs)))
            val = val + (a2 * w * (t1 + t2)).sum(axis=1)
            bvn[inner] = -val / _TWO_PI
        pos = rr > 0
        bvn = np.where(pos, bvn + ndtr(-np.maximum(hh, kk)),
                       -bvn + np.maximum(0.0, ndtr(-hh) - ndtr(-kk)))
        out[high] = bvn
    return out


def bivariate_normal_cdf(x: Any, y: Any, rho: Any) -> np.ndarray:
    """P(X ≤ x, Y ≤ y) for a standard bivariate normal with correlation ``rho`` (broadcasting).

    Genz's ``BVNU`` algorithm (Gauss–Legendre with 6, 12 or 20 nodes by |ρ|, and the
    Drezner–Wesolowsky expansion for |ρ| ≥ 0.925), accurate to about 1e-15 and vectorised.
    Infinite limits are allowed; ``|rho| = 1`` gives the degenerate limits.

    Parameters
    ----------
    x, y : array_like
        Upper integration limits.
    rho : array_like
        Correlation(s) in [-1, 1].

    Returns
    -------
    numpy.ndarray
        The probabilities, in the broadcast shape of the inputs.

    Notes
    -----
    Checked against R: ``pbivnorm::pbivnorm(x, y, rho)`` (the same Fortran algorithm) and
    ``scipy.stats.multivariate_normal.cdf``.

    Examples
    --------
    >>> round(float(bivariate_normal_cdf(0.0, 0.0, 0.5)), 12)  # 1/4 + asin(0.5)/(2π) = 1/3
    0.333333333333
    """
    x, y, rho = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, y, rho)))
    out = np.zeros(x.shape, dtype=float)
    finite = np.isfinite(x) & np.isfinite(y)
    # Infinite limits reduce to a margin (or to 0); only finite corners need the quadrature.
    out = np.where(np.isposinf(x) & ~np.isneginf(y), ndtr(y), out)
    out = np.where(np.isposinf(y) & ~np.isneginf(x), ndtr(x), out)
    if finite.any():
        out[finite] = _bvnu(-x[finite], -y[finite], rho[finite])
    return out[()]


def _bvn_density(x: np.ndarray, y: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Bivariate normal density; 0 at infinite corners (their CDF does not move with ρ)."""
    r2 = 1.0 - rho * rho
    with np.errstate(invalid="ignore", over="ignore"):
        q = (x * x - 2.0 * rho * x * y + y * y) / r2
        dens = np.exp(-q / 2.0) / (_TWO_PI * np.sqrt(r2))
    return np.where(np.isfinite(x) & np.isfinite(y), dens, 0.0)


def _guv(x: np.ndarray, y: np.ndarray, rho: np.ndarray) -> np.ndarray:
    # d/dρ log φ2(x, y; ρ): Olsson (1979) A2, with lavaan's correction of its typo.
    r = 1.0 - rho * rho
    with np.errstate(invalid="ignore"):
        g = (x * y * r - rho * (x * x - 2.0 * rho * x * y + y * y) + rho * r) / (r * r)
    return np.where(np.isfinite(x) & np.isfinite(y), g, 0.0)


def _diff2(grid: np.ndarray) -> np.ndarray:
    """Cell masses from a (…, K1+1, K2+1) grid of corner values."""
    return grid[..., 1:, 1:] - grid[..., :-1, 1:] - grid[..., 1:, :-1] + grid[..., :-1, :-1]
