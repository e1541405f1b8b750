"""The one step runner of every analysis: named steps, timed, a failure recorded, not raised.

Spec mode, the instrument analysis and ``coprod compare`` run their steps through
:class:`Steps`, so a model that cannot be estimated becomes one line in ``errors`` and the other
steps still run: one bad model never loses the rest of the analysis.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from .._threads import one_blas_thread

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
