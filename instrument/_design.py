"""Read and check ``analysis.yaml``: the latent order, the groups, the structural model and the
hypotheses of the study.

Called by :func:`coprod.instrument.bank.load_bank` with its problem collector, so a broken
hypothesis is reported beside every other bank problem (file, entry, field, what is wrong).
The file is optional: a bank without it has no hypotheses and no groups, and its latent order
is that of ``constructs.yaml``.
"""
from __future__ import annotations

import re
from typing import Any

from .model import HYPOTHESIS_TESTS, Construct, ContextQuestion, Group, Hypothesis, Regression, Structural

__all__ = ["DESIGN_FILE", "DESIGN_FIELDS", "read_design"]

DESIGN_FILE = "analysis.yaml"
#: ``{outcome}`` in a path pattern's id and statement is the construct on the left
OUTCOME = "{outcome}"
PATH = re.compile(r"^\s*(\{outcome\}|[A-Z]{3})\s*~\s*([A-Z]{3})\s*$")
HYPOTHESIS_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*(\{outcome\}[A-Za-z0-9_-]*)?$")
PARAMETER = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")
#: what a defined effect may hold: path labels, numbers, + - * / and parentheses
EXPRESSION = re.compile(r"^[A-Za-z0-9_.+\-*/() ]+$")

# field -> (required?, expected python type(s), description used in messages), as bank._FIELDS
DESIGN_FIELDS: dict[str, dict[str, tuple[bool, tuple[type, ...], str]]] = {
    "design": {"latent_order": (True, (list,), "a list of latent construct codes"),
               "groups": (True, (dict,), "a mapping of group definitions"),
               "hypotheses": (True, (list,), "a list of hypotheses"),
               "structural": (False, (dict,), "the structural model (regressions, strategies_on, defined)")},
    "structural": {"regressions": (True, (list,), "a list of {outcome, causes} equations"),
                   "strategies_on": (False, (str,), "the latent construct every strategy is regressed on"),
                   "defined": (False, (dict,), "a mapping of effect names to expressions of path labels")},
    "regression": {"outcome": (True, (str,), "a latent construct code"),
                   "causes": (True, (dict,), "a mapping of construct codes to path labels (or null)")},
    "group": {"column": (True, (str,), "a context question id"),
              "values": (False, (list,), "a list of answer names"),
              "complement_of": (False, (str,), "a group id"),
              "label": (True, (dict,), "a text per language")},
    "hypothesis": {"id": (True, (str,), "a string"),
                   "test": (True, (str,), "one of " + ", ".join(HYPOTHESIS_TESTS)),
                   "statement": (True, (dict,), "a text per language"),
                   "path": (False, (str,), "lavaan 'lhs ~ rhs'"),
                   "parameter": (False, (str,), "a defined parameter of the structural model"),
                   "variable": (False, (str,), "a construct code or a context question id"),
                   "compare": (False, (list,), "a list of two group ids"),
                   "note": (False, (dict,), "a text per language")},
}
#: the fields each test needs besides id, test and statement
_NEEDS = {"sem_path": ("path",), "defined": ("parameter",), "welch": ("variable", "compare")}


def read_design(data: Any, c, constructs: dict[str, Construct],
                context: tuple[ContextQuestion, ...]) -> tuple[tuple[str, ...], dict[str, Group],
                                                            tuple[Hypothesis, ...], Structural]:
    """``(latent_order, groups, hypotheses, structural)`` of ``analysis.yaml`` (``None``: the file
    is absent)."""
    f = DESIGN_FILE
    if data is None:
        return tuple(k for k, x in constructs.items() if x.kind == "latent"), {}, (), Structural()
    if not c.fields("design", data, f, "analysis"):
        return (), {}, (), Structural()
    latent = _latent_order(data["latent_order"], c, constructs)
    groups = _groups(data["groups"], c, context)
    before = len(c.problems)
    structural = _structural(data.get("structural"), c, constructs)
    broken = len(c.problems) > before
    before = len(c.problems)
    hypotheses = _hypotheses(data["hypotheses"], c, constructs, context, groups)
    if not broken and len(c.problems) == before:  # one problem is reported once, where it is
        _hypotheses_in_model(hypotheses, structural, c)
    return latent, groups, hypotheses, structural


def _structural(value: dict | None, c, constructs: dict[str, Construct]) -> Structural:
    """The ``structural`` section: each equation's constructs and labels checked, every defined
    effect's names checked against the labels."""
    f, where = DESIGN_FILE, "structural"
    if value is None or not c.fields("structural", value, f, where):
        return Structural()
    regressions: list[Regression] = []
    labels: set[str] = set()
    before = len(c.problems)
    for k, r in enumerate(value["regressions"], 1):
        at = f"structural.regressions #{k}"
        if not c.fields("regression", r, f, at):
            continue
        for side in (r["outcome"], *r["causes"]):
            if str(side) not in constructs:
                c.add(f, at, "outcome" if side == r["outcome"] else "causes", f"unknown construct {side!r}")
        causes = []
        for cause, label in r["causes"].items():
            if label is not None and (not isinstance(label, str) or not PARAMETER.match(label)):
                c.add(f, at, "causes", f"{label!r} (the label of {cause}) is not a parameter name")
                label = None
            elif label in labels:
                c.add(f, at, "causes", f"label {label!r} is used twice (a label is one parameter)")
            if label:
                labels.add(label)
            causes.append((str(cause), label))
        regressions.append(Regression(outcome=str(r["outcome"]), causes=tuple(causes)))
    on = value.get("strategies_on")
    if on is not None and on not in constructs:
        c.add(f, where, "strategies_on", f"unknown construct {on!r}")
    defined = []
    for name, expr in (value.get("defined") or {}).items():
        if not PARAMETER.match(str(name)):
            c.add(f, f"{where}.defined", str(name), "not a parameter name")
        if not isinstance(expr, str) or not EXPRESSION.match(expr):
            c.add(f, f"{where}.defined", str(name), f"{expr!r} is not an expression of path labels")
            continue
        unknown = sorted(Structural.names_in(expr) - labels)
        if unknown and len(c.problems) == before:  # not when an equation's label is already reported
            c.add(f, f"{where}.defined", str(name), f"unknown path label(s) {', '.join(unknown)} "
                                                    f"(labels: {', '.join(sorted(labels)) or 'none'})")
        defined.append((str(name), expr))
    return Structural(regressions=tuple(regressions), strategies_on=on, defined=tuple(defined))


def _hypotheses_in_model(hypotheses: tuple[Hypothesis, ...], s: Structural, c) -> None:
    """A hypothesis tests a path or an effect that the structural model has (when it has one)."""
    if not s.regressions:
        return
    paths = {(r.outcome, cause) for r in s.regressions for cause, _ in r.causes}
    effects = {name for name, _ in s.defined}
    for h in hypotheses:
        if h.test == "sem_path" and h.lhs and h.rhs:
            if (h.lhs, h.rhs) not in paths and not (h.lhs == OUTCOME and h.rhs == s.strategies_on):
                c.add(DESIGN_FILE, h.id, "path", f"{h.lhs} ~ {h.rhs} is not a path of the structural model")
        elif h.test == "defined" and h.parameter and h.parameter not in effects:
            c.add(DESIGN_FILE, h.id, "parameter", f"{h.parameter!r} is not a defined effect of the structural "
                                                  f"model ({', '.join(effects) or 'none'})")


def _latent_order(value: list, c, constructs: dict[str, Construct]) -> tuple[str, ...]:
    out: list[str] = []
    for cid in value:
        con = constructs.get(str(cid))
        if con is None or con.kind != "latent":
            c.add(DESIGN_FILE, "latent_order", str(cid), "not a latent construct of constructs.yaml")
        elif cid in out:
            c.add(DESIGN_FILE, "latent_order", str(cid), "listed twice")
        else:
            out.append(cid)
    return tuple(out)


def _answers(context: tuple[ContextQuestion, ...]) -> dict[str, tuple[str, ...] | None]:
    """Context question id -> its answer names (``None`` for a question without choices)."""
    return {q.id: tuple(ch.name for ch in q.choices) if q.choices else None for q in context}


def _groups(value: dict, c, context: tuple[ContextQuestion, ...]) -> dict[str, Group]:
    f = DESIGN_FILE
    answers = _answers(context)
    out: dict[str, Group] = {}
    for gid, g in value.items():
        where = f"groups.{gid}"
        if not c.fields("group", g, f, where):
            continue
        col, values, other = g["column"], g.get("values"), g.get("complement_of")
        if col not in answers:
            c.add(f, where, "column", f"unknown context question {col!r}")
        if (values is None) == (other is None):
            c.add(f, where, "values", "give either values or complement_of")
        for v in values or ():
            if col in answers and answers[col] is not None and str(v) not in answers[col]:
                c.add(f, where, "values", f"{v!r} is not an answer of {col} "
                                          f"(answers: {', '.join(answers[col])})")
        if other is not None and other not in value:
            c.add(f, where, "complement_of", f"unknown group {other!r}")
        elif other is not None and isinstance(value[other], dict) and value[other].get("column") != col:
            c.add(f, where, "complement_of", f"group {other!r} is of another column")
        out[str(gid)] = Group(id=str(gid), column=col, label=c.text(g["label"], f, where, "label"),
                              values=tuple(str(v) for v in values or ()), complement_of=other)
    return out


def _hypotheses(value: list, c, constructs: dict[str, Construct], context: tuple[ContextQuestion, ...],
                groups: dict[str, Group]) -> tuple[Hypothesis, ...]:
    f = DESIGN_FILE
    out: list[Hypothesis] = []
    seen: set[str] = set()
    for k, h in enumerate(value, 1):
        where = str(h.get("id")) if isinstance(h, dict) and h.get("id") else f"hypothesis #{k}"
        if not c.fields("hypothesis", h, f, where):
            continue
        if h["id"] in seen:
            c.add(f, where, "id", f"duplicate id {h['id']!r}")
        seen.add(h["id"])
        if not HYPOTHESIS_ID.match(h["id"]):
            c.add(f, where, "id", f"{h['id']!r} does not match {HYPOTHESIS_ID.pattern}")
        test = h["test"]
        if test not in HYPOTHESIS_TESTS:
            c.add(f, where, "test", f"unknown test {test!r} (expected one of {', '.join(HYPOTHESIS_TESTS)})")
            continue
        for name in _NEEDS[test]:
            if h.get(name) is None:
                c.add(f, where, name, f"required for a {test} test")
        for name in ("path", "parameter", "variable", "compare"):
            if h.get(name) is not None and name not in _NEEDS[test]:
                c.add(f, where, name, f"not used by a {test} test (it needs {', '.join(_NEEDS[test])})")
        lhs, rhs = _path(h, c, where, constructs) if test == "sem_path" and h.get("path") else (None, None)
        pattern = lhs == OUTCOME
        if pattern != (OUTCOME in h["id"]):
            c.add(f, where, "id", "{outcome} belongs in the id exactly when the path is a pattern")
        if test == "defined" and h.get("parameter") and not PARAMETER.match(h["parameter"]):
            c.add(f, where, "parameter", f"{h['parameter']!r} is not a parameter name")
        if test == "welch":
            _welch_fields(h, c, where, constructs, context, groups)
        out.append(Hypothesis(
            id=h["id"], test=test, lhs=lhs, rhs=rhs, parameter=h.get("parameter"),
            variable=h.get("variable"), compare=tuple(h.get("compare") or ()),
            # a pattern id without a pattern path is reported once, on the id
            statement=c.text(h["statement"], f, where, "statement",
                             placeholders=("outcome",) if pattern or OUTCOME in h["id"] else False),
            note=c.text(h["note"], f, where, "note", placeholders=False) if h.get("note") else {}))
    return tuple(out)


def _path(h: dict, c, where: str, constructs: dict[str, Construct]) -> tuple[str | None, str | None]:
    m = PATH.match(h["path"])
    if m is None:
        c.add(DESIGN_FILE, where, "path", f"{h['path']!r} is not 'lhs ~ rhs' with construct codes "
                                          "(or {outcome} on the left)")
        return None, None
    lhs, rhs = m.groups()
    for side in (lhs, rhs):
        if side != OUTCOME and side not in constructs:
            c.add(DESIGN_FILE, where, "path", f"unknown construct {side!r}")
    return lhs, rhs


def _welch_fields(h: dict, c, where: str, constructs: dict[str, Construct],
                  context: tuple[ContextQuestion, ...], groups: dict[str, Group]) -> None:
    f = DESIGN_FILE
    var, pair = h.get("variable"), h.get("compare")
    if var is not None and var not in constructs and var not in {q.id for q in context}:
        c.add(f, where, "variable", f"{var!r} is neither a construct nor a context question")
    if pair is None:
        return
    if len(pair) != 2:
        c.add(f, where, "compare", f"expected two group ids, got {len(pair)}")
    for g in pair:
        if g not in groups:
            c.add(f, where, "compare", f"unknown group {g!r} (groups: {', '.join(groups)})")
