"""BLAS threads: every public estimator runs with one (see :func:`one_blas_thread`)."""
from __future__ import annotations

import contextvars
import functools
from typing import Callable

__all__ = ["one_blas_thread"]

# set while a decorated function runs: the estimators it calls (fit_sem inside invariance, ...)
# then skip threadpoolctl's scan of the loaded libraries (about 1 ms per call)
_LIMITED = contextvars.ContextVar("coprod_blas_limited", default=False)


def one_blas_thread(fn: Callable) -> Callable:
    """Run ``fn`` with BLAS limited to one thread (threadpoolctl; a no-op without it).

    Every matrix of the analysis is small (p ≤ ~70 items): multi-threaded BLAS only adds
    synchronisation, and on a machine whose cores are busy it makes small decompositions many
    times slower. One thread also makes the last bits of the results independent of the
    number of cores. The bootstrap's worker processes limit themselves the same way. Every
    public estimator is decorated, so a script calling ``fit_sem`` directly is as fast as
    ``coprod analyze``; a call inside another decorated call costs nothing more.
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _LIMITED.get():
            return fn(*args, **kwargs)
        try:
            # lazy: threadpoolctl is optional, and scipy.linalg is loaded first so that its own
            # BLAS is limited too
            import scipy.linalg  # noqa: F401
            from threadpoolctl import threadpool_limits
        except ImportError:
            return fn(*args, **kwargs)
        token = _LIMITED.set(True)
        try:
            with threadpool_limits(limits=1, user_api="blas"):
                return fn(*args, **kwargs)
        finally:
            _LIMITED.reset(token)
    return wrapper
