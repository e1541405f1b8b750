"""Whether a fitted model may carry a verdict: converged, identified, and a proper solution.

A hypothesis is supported or not only on an admissible model; otherwise it is "not tested",
with the reason in plain words. The reasons are data (:data:`REASONS`, English; the reports
translate them by ``code``), so results.json and every report say the same thing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from .records import SemSection

__all__ = ["Problem", "REASONS", "model_problems", "reason_text"]

#: the English wording of each problem; ``{...}`` fields come from :attr:`Problem.detail`
REASONS: dict[str, str] = {
    "no_model": "the structural model could not be estimated",
    "not_converged": "the model did not converge",
    "negative_df": "the model is not identified (negative degrees of freedom: {df})",
    "too_few_rows": "the model rests on {n} respondents, not more than its {npar} parameters",
    "negative_variance": "the solution is improper: negative variance of {variables}",
    "r2_above_1": "the solution is improper: R² above 1 (shown as NA) for {variables}",
    "no_path": "the model has no such path",
    "few_answers": "a group has fewer than two answers",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a model (or a test) cannot carry a verdict: a ``code`` of :data:`REASONS` and its fields."""

    code: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """The reason in plain English words."""
        return REASONS[self.code].format(**self.detail)


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _flat(r2: Mapping[str, Any]):
    """``(variable, R²)`` pairs; a multi-group model's R² is keyed by group first."""
    for k, v in r2.items():
        if isinstance(v, Mapping):
            yield from ((f"{var} ({k})", x) for var, x in v.items())
        else:
            yield k, v


def model_problems(sem: SemSection | None) -> tuple[Problem, ...]:
    """Every reason ``sem`` is not admissible (empty when it is).

    Examples
    --------
    >>> model_problems(None)[0].text()
    'the structural model could not be estimated'
    """
    if sem is None:
        return (Problem("no_model"),)
    out = []
    if not sem.converged:
        out.append(Problem("not_converged"))
    df, npar, n = sem.fit.df, sem.fit.npar, sem.n_used
    if df is not None and df < 0:
        out.append(Problem("negative_df", {"df": df}))
    if n is not None and npar is not None and n <= npar:
        out.append(Problem("too_few_rows", {"n": n, "npar": npar}))
    neg = [e.lhs for e in sem.estimates
           if e.op == "~~" and e.lhs == e.rhs and _num(e.est) is not None and e.est < 0]
    if neg:
        out.append(Problem("negative_variance", {"variables": ", ".join(dict.fromkeys(neg))}))
    # lavaan (and our inference) report an R² above 1 as NA
    na = [k for k, v in _flat(sem.r2) if v is None or (isinstance(v, float) and (math.isnan(v) or v > 1))]
    if na:
        out.append(Problem("r2_above_1", {"variables": ", ".join(na)}))
    return tuple(out)


def reason_text(problems: tuple[Problem, ...]) -> str | None:
    """The problems as one sentence (``None`` when there are none)."""
    return "; ".join(p.text() for p in problems) or None
