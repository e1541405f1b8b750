"""The one step runner of every analysis: named steps, timed, a failure recorded, not raised.

Spec mode, the instrument analysis and ``coprod compare`` run their steps through
:class:`Steps`, so a model that cannot be estimated becomes one line in ``errors`` and the other
steps still run: one bad model never loses the rest of the analysis.
"""
from __future__ import annotations

import functools
import time
from typing import Any, Callable

import numpy as np

__all__ = ["Steps", "STEP_ERRORS", "Progress", "one_blas_thread"]

Progress = Callable[[int, int], None]
#: what a step may raise for bad data or a model that cannot be estimated (anything else is a bug)
STEP_ERRORS: tuple[type[BaseException], ...] = (ValueError, np.linalg.LinAlgError, ArithmeticError, KeyError)


class Steps:
    """Runs named steps, timing them and turning their exceptions into recorded errors.

    Examples
    --------
    >>> steps = Steps()
    >>> steps.run("ok", lambda: 1), steps.run("bad", lambda: 1 / 0)
    (1, None)
    >>> steps.errors, steps.failures["bad"]
    (['bad: division by zero'], 'division by zero')
    >>> sorted(steps.timings)
    ['bad', 'ok']
    """

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.timings: dict[str, float] = {}
        #: step name -> the message of the exception it failed with
        self.failures: dict[str, str] = {}

    def run(self, name: str, fn: Callable[[], Any], *,
            catch: tuple[type[BaseException], ...] = STEP_ERRORS) -> Any:
        """``fn()``, or ``None`` when it raised one of ``catch`` (recorded as ``"name: message"``)."""
        t0 = time.perf_counter()
        try:
            return fn()
        except catch as exc:
            self.errors.append(f"{name}: {exc}")
            self.failures[name] = str(exc)
            return None
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 4)

    def section(self, name: str, fn: Callable[[], Any]) -> Any:
        """A results.json section: ``fn()``, or ``None`` (null in results.json) when the step
        failed or found nothing to report."""
        return self.run(name, fn) or None


def one_blas_thread(fn: Callable) -> Callable:
    """Run ``fn`` with BLAS limited to one thread (threadpoolctl; a no-op without it).

    Every matrix of the analysis is small (p ≤ ~70 items): multi-threaded BLAS only adds
    synchronisation, and on a machine whose cores are busy it makes small decompositions many
    times slower. One thread also makes the last bits of the results independent of the
    number of cores. The bootstrap's worker processes limit themselves the same way.
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            # lazy: threadpoolctl is optional, and scipy.linalg is loaded first so that its own
            # BLAS is limited too
            import scipy.linalg  # noqa: F401
            from threadpoolctl import threadpool_limits
        except ImportError:
            return fn(*args, **kwargs)
        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)
    return wrapper
