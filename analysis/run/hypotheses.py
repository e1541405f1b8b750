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

Statements in results.json are the English ones; the Danish ones are on the bank.
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd
from scipy import stats

from coprod.instrument.model import Bank, Group, Hypothesis

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


def group_mask(df: pd.DataFrame, group: Group, groups: dict[str, Group]) -> pd.Series:
    """The rows of ``df`` in ``group`` (a complement includes the rows without an answer)."""
    if group.complement_of is not None:
        return ~group_mask(df, groups[group.complement_of], groups)
    return df[group.column].isin(group.values)


def evaluate_hypotheses(bank: Bank, sem: dict | None, scores: pd.DataFrame, df: pd.DataFrame) -> list[dict]:
    """Each hypothesis of ``bank`` with its test and verdict, in the bank's order.

    Parameters
    ----------
    bank : Bank
        Its ``hypotheses`` and ``groups`` say what to test.
    sem : dict or None
        The ``sem`` section of the results (estimates and defined parameters).
    scores : DataFrame
        Construct scores, one row per respondent of ``df``.
    df : DataFrame
        The analysed responses (context columns).

    Returns
    -------
    list of dict
        ``id``, ``statement`` (English), ``test``, the test's numbers and ``verdict``.
    """
    sem = sem or {}
    est = {(e["lhs"], e["op"], e["rhs"]): e for e in sem.get("estimates", [])}
    defined = {d["name"]: d for d in sem.get("defined", [])}
    out: list[dict] = []
    for h in bank.hypotheses:
        if h.test == "sem_path" and h.is_pattern:
            out.extend(_path(h, lhs, est, outcome=lhs) for lhs, op, rhs in est if op == "~" and rhs == h.rhs)
        elif h.test == "sem_path":
            out.append(_path(h, h.lhs, est))
        elif h.test == "defined" and h.parameter in defined:
            out.append(_defined(h, defined[h.parameter]))
        elif h.test == "welch":
            row = _welch(h, bank, scores, df)
            if row is not None:
                out.append(row)
    return out


def _path(h: Hypothesis, lhs: str, est: dict, *, outcome: str | None = None) -> dict:
    hid, text = h.id, h.statement["en"]
    if outcome is not None:
        hid, text = hid.replace("{outcome}", outcome), text.replace("{outcome}", outcome)
    test = f"SEM path {lhs} ~ {h.rhs}"
    e = est.get((lhs, "~", h.rhs))
    if e is None:
        return {"id": hid, "statement": text, "test": test, "verdict": "not tested"}
    ok = e.get("pvalue") is not None and e["pvalue"] < 0.05 and e["est"] > 0
    return {"id": hid, "statement": text, "test": test, "estimate": e.get("std_all"),
            "p": e.get("pvalue"), "verdict": "supported" if ok else "not supported"}


def _defined(h: Hypothesis, d: dict) -> dict:
    lo, hi = d.get("boot_ci_lower"), d.get("boot_ci_upper")
    kind = "bootstrap percentile 95% CI"
    if lo is None:
        lo, hi, kind = d.get("ci_lower"), d.get("ci_upper"), "delta-method 95% CI"
    ok = lo is not None and (lo > 0 or hi < 0)
    return {"id": h.id, "statement": h.statement["en"], "test": kind, "estimate": d.get("est"),
            "ci": [lo, hi], "verdict": "supported" if ok else "not supported"}


def _welch(h: Hypothesis, bank: Bank, scores: pd.DataFrame, df: pd.DataFrame) -> dict | None:
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
    return {"id": h.id, "statement": h.statement["en"], "test": f"Welch t test ({first.id} − {second.id}){note}",
            **t, "verdict": _verdict(t)}
