"""Ordinary nonparametric bootstrap (lavaan's ``se = "bootstrap"``).

Rows are resampled with replacement within each group; each draw is refitted from the
full-sample estimate (warm start). For complete data a draw only needs the row counts
(``np.bincount``) to form its mean and covariance, so no DataFrame is built. Draws whose fit does
not converge are dropped and counted; non-admissible solutions (e.g. negative variances) are
kept, as lavaan does. Per-draw generators come from ``np.random.SeedSequence(seed).spawn`` so the
result does not depend on ``n_jobs``.
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Callable

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = ["run_bootstrap", "percentile_table"]

_WORKER: dict = {}


def _draw(engine, theta_hat: np.ndarray, seq: np.random.SeedSequence, step: np.ndarray | None = None
          ) -> np.ndarray | None:
    rng = np.random.default_rng(seq)
    weights = []
    for xg in engine.x:
        n = len(xg)
        weights.append(np.bincount(rng.integers(0, n, size=n), minlength=n).astype(float))
    gdata, _ = engine.stats(weights)
    # decrement 1e-6 (χ² units) puts each draw within ~1e-3 SE of its optimum: far below the
    # Monte Carlo error of a percentile, and half the iterations of the full-sample tolerance
    res = engine.fit(gdata, start=theta_hat, maxit=100, tol=1e-6, retry=False, step=step)
    if not res.converged and step is not None:
        res = engine.fit(gdata, start=theta_hat, maxit=100, tol=1e-6, retry=False)
    return res.theta if res.converged else None


def _step_matrix(engine, theta_hat: np.ndarray) -> np.ndarray | None:
    """FIML: the step matrix of every draw, the expected Hessian at θ̂ (it depends on θ only,
    not on the data, so each draw would recompute nearly the same matrix at every iteration;
    the secant correction of the scoring adapts it to the draw). None for complete data, or
    when it cannot be formed (each draw then forms its own)."""
    if not engine.fiml:
        return None
    gdata, _ = engine.stats()
    engine.exo_stats(gdata)
    _f, g, h = engine.discrepancy(gdata).value_grad_info(theta_hat)
    if g is None or not np.all(np.isfinite(h)):
        return None
    return h


def _single_thread_blas():
    """Limit BLAS to one thread: the matrices are small and the workers already use the cores."""
    return threadpool_limits(limits=1, user_api="blas")


def _init_worker(engine, theta_hat, step) -> None:
    _WORKER["limits"] = _single_thread_blas()
    _WORKER["engine"] = engine
    _WORKER["theta"] = theta_hat
    _WORKER["step"] = step


def _chunk(seqs: list) -> list:
    eng, th, step = _WORKER["engine"], _WORKER["theta"], _WORKER["step"]
    return [_draw(eng, th, s, step) for s in seqs]


def run_bootstrap(engine, theta_hat: np.ndarray, n_draws: int, *, seed: int | None = None,
                  n_jobs: int = 1, progress: Callable[[int, int], None] | None = None):
    """Refit ``n_draws`` bootstrap samples.

    Returns
    -------
    (draws, n_failed)
        ``draws`` is an (n_converged, q) array of estimates.
    """
    seqs = np.random.SeedSequence(seed).spawn(n_draws)
    results: list = []
    if n_jobs is None or n_jobs <= 1 or n_draws < 20:
        limits = _single_thread_blas()
        try:
            step = _step_matrix(engine, theta_hat)
            for i, s in enumerate(seqs):
                results.append(_draw(engine, theta_hat, s, step))
                if progress is not None:
                    progress(i + 1, n_draws)
        finally:
            if limits is not None:
                limits.restore_original_limits()
    else:
        size = max(10, n_draws // (n_jobs * 8))
        chunks = [seqs[i:i + size] for i in range(0, n_draws, size)]
        with threadpool_limits(limits=1, user_api="blas"):
            step = _step_matrix(engine, theta_hat)
        with ProcessPoolExecutor(max_workers=n_jobs, initializer=_init_worker,
                                 initargs=(engine, theta_hat, step)) as pool:
            for out in pool.map(_chunk, chunks):
                results.extend(out)
                if progress is not None:
                    progress(len(results), n_draws)
    ok = [r for r in results if r is not None]
    draws = np.vstack(ok) if ok else np.zeros((0, len(theta_hat)))
    return draws, n_draws - len(ok)


def percentile_table(values: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(boot SE with divisor B − 1, lower, upper percentile bounds) per column (R's quantile type 7)."""
    if values.shape[0] < 2:
        nan = np.full(values.shape[1], np.nan)
        return nan, nan, nan
    a = (1.0 - level) / 2.0
    se = values.std(axis=0, ddof=1)
    lo, hi = np.nanquantile(values, [a, 1.0 - a], axis=0)
    return se, lo, hi
