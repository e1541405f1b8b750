"""How large a model is estimated, checked before anything is allocated.

The estimator holds a parameters × parameters information matrix (and inverts it), so a short
spec can ask for gigabytes: 200 factors of two items each are 21,100 free parameters, a
21,100² matrix of 3.6 GB. :func:`check_model_size` counts the free parameters from the syntax
(an upper bound first, lavaan's parameter table when the bound is close) and refuses a model with
more than :data:`MAX_PARAMETERS`, or with more free parameters than the data have rows.

>>> check_model_size("F =~ a + b + c", ["a", "b", "c"], n_rows=2, what="cfa")
Traceback (most recent call last):
...
coprod.instrument.errors.ModelSpecError: cfa: the model has 6 free parameters but the data have 2 rows; a model needs at least as many rows as free parameters
"""
from __future__ import annotations

from math import comb
from typing import Sequence

from coprod.analysis.errors import ModelSpecError
from coprod.analysis.sem.partable import build_partable
from coprod.analysis.sem.syntax import parse_model

__all__ = ["MAX_PARAMETERS", "check_model_size"]

#: the most free parameters estimated (an information matrix of 32 MB)
MAX_PARAMETERS = 2_000


def _roles(pm) -> tuple[int, int, int, int]:
    """Observed, latent, exogenous latent and (roughly) dependent variables, counted with sets
    (:func:`variable_info` orders them, in quadratic time on thousands of factors)."""
    f = pm.formulas
    lv = {x.lhs for x in f if x.op == "=~"}
    ind = {x.rhs for x in f if x.op == "=~"}
    ys = {x.lhs for x in f if x.op == "~"}
    xs = {x.rhs for x in f if x.op == "~"}
    names = ind | ys | xs | {x.lhs for x in f if x.op in ("~~", "~1")} | {x.rhs for x in f if x.op == "~~"}
    ov = names - lv
    lv_x = lv - ind - ys
    dependent = {v for v in ys if v not in ind and v not in xs}
    return len(ov), len(lv), len(lv_x), len(dependent)


def _upper_bound(pm, ngroups: int, meanstructure: bool) -> int:
    """At least as many free parameters as lavaan's table will have, from the variable roles."""
    p, m, m_x, y = _roles(pm)
    per_group = len(pm.formulas) + p + m + comb(m_x, 2) + comb(y, 2) + (p + m if meanstructure else 0)
    return per_group * ngroups


def check_model_size(model: str, columns: Sequence[str], *, n_rows: int, ngroups: int = 1,
                     meanstructure: bool = False, what: str = "model") -> None:
    """Refuse ``model`` (lavaan syntax) when it has more than :data:`MAX_PARAMETERS` free
    parameters, or more than the ``n_rows`` rows of the data. Syntax errors are left to the
    fit, which reports them with their line.

    Raises
    ------
    ModelSpecError
        ``WHAT: the model has N free parameters ...``.
    """
    try:
        pm = parse_model(model)
        bound = _upper_bound(pm, ngroups, meanstructure)
        if bound <= min(MAX_PARAMETERS, n_rows):
            return
        _, m, m_x, _ = _roles(pm)
        if comb(m_x, 2) * ngroups > 20 * MAX_PARAMETERS:  # too many to even list
            raise ModelSpecError(
                f"{what}: the model has {m} factors, whose covariances alone are "
                f"{comb(m_x, 2) * ngroups:,} free parameters; at most {MAX_PARAMETERS:,} "
                "free parameters are estimated")
        pt, _ = build_partable(pm, columns, ngroups=ngroups, meanstructure=meanstructure)
    except ModelSpecError as exc:
        if str(exc).startswith(f"{what}: the model has"):
            raise
        return
    if pt.nfree > MAX_PARAMETERS:
        raise ModelSpecError(f"{what}: the model has {pt.nfree:,} free parameters; at most "
                             f"{MAX_PARAMETERS:,} are estimated (the information matrix holds "
                             "parameters² numbers)")
    if pt.nfree > n_rows:
        raise ModelSpecError(f"{what}: the model has {pt.nfree:,} free parameters but the data have "
                             f"{n_rows:,} rows; a model needs at least as many rows as free parameters")
