"""The study's hypotheses, evaluated: one generic evaluator over ``bank.hypotheses``.

The hypotheses, their statements (EN and DA), tests and groups are bank data
(``instrument/data/analysis.yaml``); this module only knows the three kinds of test:

- ``sem_path``: the path ``lhs ~ rhs`` of the pooled structural model; supported when positive
  with p < .05 (the standardised estimate is reported). A pattern ``{outcome} ~ rhs`` stands for
  every construct regressed on ``rhs``. A path the model lacks is "not tested".
- ``defined``: a defined parameter (an indirect effect); supported when its 95% CI excludes 0,
  the bootstrap percentile CI when draws were made, else the delta-method CI. Absent parameters
  are left out.
- ``welch``: Welch's t test with Hedges' g of a construct score or a context column between two
  groups of respondents; supported when the first minus the second is positive with p < .05.

A verdict on the structural model needs an admissible model (converged, df ≥ 0, more rows than
parameters, no negative variance or R² above 1: :mod:`.admissibility`); otherwise its hypotheses
are "not tested" with the ``reason`` in plain words (``reason`` is ``None`` when tested).

Statements in results.json are the English ones; the Danish ones are on the bank.
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd
from scipy import stats

from coprod.instrument.model import Bank, Group, Hypothesis

from .admissibility import Problem, model_problems, reason_text
from .records import Defined, Estimate, IndirectHypothesis, MeanHypothesis, PathHypothesis, SemSection, opt
from .records import Hypothesis as HypothesisRow

__all__ = ["evaluate_hypotheses", "welch_test", "group_mask"]


def welch_test(a: pd.Series, b: pd.Series) -> dict:
    """Welch's t test with Hedges' g; the difference is mean(a) - mean(b).

    Notes
    -----
    As R's ``t.test(a, b)`` (Welch's by default).

    Examples
    --------
    >>> t = welch_test(pd.Series([3.0, 4, 5, 6]), pd.Series([1.0, 2, 3, 2]))
    >>> float(t["diff"]), round(t["t"], 3), round(t["df"], 2), round(t["p"], 3)
    (2.5, 3.273, 5.07, 0.022)
    """
    a, b = a.dropna().astype(float), b.dropna().astype(float)
    if len(a) < 2 or len(b) < 2:
        return {"n1": len(a), "n2": len(b), "diff": None, "t": None, "df": None, "p": None, "g": None}
    t = stats.ttest_ind(a, b, equal_var=False)
    sp = math.sqrt(((len(a) - 1) * a.var() + (len(b) - 1) * b.var()) / (len(a) + len(b) - 2))
    j = 1 - 3 / (4 * (len(a) + len(b)) - 9)
    return {"n1": len(a), "n2": len(b), "mean1": a.mean(), "mean2": b.mean(), "diff": a.mean() - b.mean(),
            "t": float(t.statistic), "df": float(t.df), "p": float(t.pvalue),
            "g": j * (a.mean() - b.mean()) / sp if sp > 0 else None}


def _verdict(t: dict) -> str:
    if t.get("p") is None:
        return "not tested"
    return "supported" if t["p"] < 0.05 and t["diff"] > 0 else "not supported"


def _not_tested(h: Hypothesis, problems: tuple[Problem, ...]) -> IndirectHypothesis:
    """A ``defined`` hypothesis of an inadmissible model: no estimate, no interval."""
    return IndirectHypothesis(id=h.id, statement=h.statement["en"], test="95% CI", estimate=None, ci=None,
                              verdict="not tested", reason=reason_text(problems))


def group_mask(df: pd.DataFrame, group: Group, groups: dict[str, Group]) -> pd.Series:
    """The rows of ``df`` in ``group`` (a complement includes the rows without an answer)."""
    if group.complement_of is not None:
        return ~group_mask(df, groups[group.complement_of], groups)
    return df[group.column].isin(group.values)


def evaluate_hypotheses(bank: Bank, sem: SemSection | None, scores: pd.DataFrame,
                        df: pd.DataFrame) -> tuple[HypothesisRow, ...]:
    """Each hypothesis of ``bank`` with its test and verdict, in the bank's order.

    Parameters
    ----------
    bank : Bank
        Its ``hypotheses`` and ``groups`` say what to test.
    sem : SemSection or None
        The ``sem`` section of the results (estimates and defined parameters).
    scores : DataFrame
        Construct scores, one row per respondent of ``df``.
    df : DataFrame
        The analysed responses (context columns).

    Returns
    -------
    tuple of PathHypothesis, IndirectHypothesis or MeanHypothesis
        ``id``, ``statement`` (English), ``test``, the test's numbers and ``verdict``.
    """
    est = {(e.lhs, e.op, e.rhs): e for e in (sem.estimates if sem else ())}
    defined = {d.name: d for d in (sem.defined if sem else ())}
    problems = model_problems(sem)
    out: list[HypothesisRow] = []
    for h in bank.hypotheses:
        if h.test == "sem_path" and h.is_pattern:
            out.extend(_path(h, lhs, est, problems, outcome=lhs) for lhs, op, rhs in est
                       if op == "~" and rhs == h.rhs)
        elif h.test == "sem_path":
            out.append(_path(h, h.lhs, est, problems))
        elif h.test == "defined" and h.parameter in defined:
            out.append(_not_tested(h, problems) if problems else _defined(h, defined[h.parameter]))
        elif h.test == "welch":
            row = _welch(h, bank, scores, df)
            if row is not None:
                out.append(row)
    return tuple(out)


def _path(h: Hypothesis, lhs: str, est: dict[tuple[str, str, str], Estimate], problems: tuple[Problem, ...], *,
          outcome: str | None = None) -> PathHypothesis:
    hid, text = h.id, h.statement["en"]
    if outcome is not None:
        hid, text = hid.replace("{outcome}", outcome), text.replace("{outcome}", outcome)
    test = f"SEM path {lhs} ~ {h.rhs}"
    e = est.get((lhs, "~", h.rhs))
    if problems or e is None:
        return PathHypothesis(id=hid, statement=text, test=test, verdict="not tested",
                              reason=reason_text(problems or (Problem("no_path"),)))
    ok = e.pvalue is not None and e.pvalue < 0.05 and e.est > 0
    return PathHypothesis(id=hid, statement=text, test=test, estimate=e.std_all, p=e.pvalue,
                          verdict="supported" if ok else "not supported", reason=None)


def _defined(h: Hypothesis, d: Defined) -> IndirectHypothesis:
    lo, hi = opt(d.boot_ci_lower), opt(d.boot_ci_upper)
    kind = "bootstrap percentile 95% CI"
    if lo is None:
        lo, hi, kind = d.ci_lower, d.ci_upper, "delta-method 95% CI"
    ok = lo is not None and (lo > 0 or hi < 0)
    return IndirectHypothesis(id=h.id, statement=h.statement["en"], test=kind, estimate=d.est, ci=(lo, hi),
                              verdict="supported" if ok else "not supported", reason=None)


def _welch(h: Hypothesis, bank: Bank, scores: pd.DataFrame, df: pd.DataFrame) -> MeanHypothesis | None:
    """The Welch test of ``h``, or ``None`` when the data lack its variable or a group column."""
    first, second = (bank.groups[g] for g in h.compare)
    if first.column not in df or second.column not in df:
        return None
    values: Any
    if h.variable in bank.constructs:
        if h.variable not in scores:
            return None
        values = scores[h.variable]
    elif h.variable in df:
        values = pd.to_numeric(df[h.variable], errors="coerce")
    else:
        return None
    t = welch_test(values[group_mask(df, first, bank.groups)], values[group_mask(df, second, bank.groups)])
    note = f", {h.note['en']}" if h.note else ""
    return MeanHypothesis(id=h.id, statement=h.statement["en"], test=f"Welch t test ({first.id} − {second.id}){note}",
                          **t, verdict=_verdict(t),
                          reason=Problem("few_answers").text() if t.get("p") is None else None)
