"""The study report's words for texts results.json keeps in English: hypothesis tests, decision rules.

results.json holds what the analysis wrote ("SEM path COM ~ INS", "Welch t test (voluntary −
municipal), single item", "Chen (2007): reject a level if ..."); the report shows them in its own
language by reading them back into their parts. A text of another form is shown as it is.
"""
from __future__ import annotations

import re

from coprod.reports.env import fmt_num
from coprod.reports.i18n import t

from ._shared import text

__all__ = ["test_label", "rule_label", "group_label"]

_PATH = re.compile(r"^SEM path (?P<lhs>\S+) ~ (?P<rhs>\S+)$")
_WELCH = re.compile(r"^Welch t test \((?P<a>[^()]+?) \u2212 (?P<b>[^()]+?)\)(?:, (?P<note>.+))?$")
_CI = {"bootstrap percentile 95% CI": "study_test_boot", "delta-method 95% CI": "study_test_delta",
       "95% CI": "study_test_ci"}
_TAIL = re.compile(r"; configural holds if converged, CFI >= (?P<cfi>[\d.]+) and RMSEA <= (?P<rmsea>[\d.]+)$")
_CHEN = ("Chen (2007): reject a level if ΔCFI <= -0.010 and (ΔRMSEA >= 0.015 or ΔSRMR >= 0.030 for loadings / "
         "0.010 for intercepts, residuals)")
_LRT = re.compile(r"^Δχ² test: reject a level if p < (?P<alpha>[\d.]+)$")


def group_label(bank, gid: str, lang: str) -> str:
    """A respondent group of the bank by its label (its id without a bank)."""
    g = bank.groups.get(gid) if bank is not None else None
    return text(g.label, lang) if g is not None and g.label else gid


def _note(bank, note: str, lang: str) -> str:
    for h in (bank.hypotheses if bank is not None else ()):
        if h.note and h.note.get("en") == note:
            return text(h.note, lang)
    return note


def test_label(test: str, bank, lang: str) -> str:
    """The test of a hypothesis in ``lang``: ``"SEM path COM ~ INS"`` → ``"SEM-sti COM ← INS"``.

    >>> test_label("SEM path COM ~ INS", None, "da")
    'SEM-sti COM ← INS'
    """
    if m := _PATH.match(test):
        return t("study_test_path", lang, lhs=m["lhs"], rhs=m["rhs"])
    if test in _CI:
        return t(_CI[test], lang)
    if m := _WELCH.match(test):
        out = t("study_test_welch", lang, a=group_label(bank, m["a"], lang), b=group_label(bank, m["b"], lang))
        return f"{out}, {_note(bank, m['note'], lang)}" if m["note"] else out
    return test


def rule_label(rule: str | None, lang: str) -> str | None:
    """The invariance decision rule in ``lang`` (numbers in its notation)."""
    if not rule:
        return rule
    tail = _TAIL.search(rule)
    if tail is None:
        return rule
    head = rule[:tail.start()]
    conf = t("study_rule_configural", lang, cfi=fmt_num(float(tail["cfi"]), 2, lang=lang),
             rmsea=fmt_num(float(tail["rmsea"]), 2, lang=lang))
    if head == _CHEN:
        return f"{t('study_rule_chen', lang)}; {conf}"
    if m := _LRT.match(head):
        return f"{t('study_rule_lrt', lang, alpha=fmt_num(float(m['alpha']), 2, lang=lang))}; {conf}"
    return rule
