"""Parser (lavaan model syntax) and parameter-table defaults of analysis.sem.

The default rows follow lavaan 0.6's ``lavaanify(model, auto = TRUE)`` as used by ``cfa()``/``sem()``
(checked against ``parTable(fit)`` on the conformance cases in test_sem_conformance.py).
"""
from __future__ import annotations

import math

import pytest

from coprod.analysis.errors import ModelSpecError
from coprod.analysis.sem import parse_model
from coprod.analysis.sem.partable import build_partable


def _rows(pt, group=1):
    return [(pt.lhs[i], pt.op[i], pt.rhs[i]) for i in pt.rows(group)]


def test_parser_operators_modifiers_and_layout():
    pm = parse_model("""
        # measurement
        f1 =~ x1 + a*x2 + 0.5*x3 ; f2 =~ NA*x4 + x5 +
              start(0.7)*x6          ! continued line
        f2 ~ b*f1 + 1
        x1 ~~ x4
        x2 ~ 1
        ab := a*b ; twice := 2 * (a + b) ^ 2
        a == b
    """)
    got = [(f.lhs, f.op, f.rhs) for f in pm.formulas]
    assert got == [("f1", "=~", "x1"), ("f1", "=~", "x2"), ("f1", "=~", "x3"), ("f2", "=~", "x4"),
                   ("f2", "=~", "x5"), ("f2", "=~", "x6"), ("f2", "~", "f1"), ("f2", "~1", ""),
                   ("x1", "~~", "x4"), ("x2", "~1", "")]
    mods = {(f.lhs, f.rhs): f.modifier for f in pm.formulas}
    assert mods[("f1", "x2")].labels == ("a",)
    assert mods[("f1", "x3")].fixed == (0.5,)
    assert mods[("f2", "x4")].free == (True,) and mods[("f2", "x4")].fixed == (None,)
    assert mods[("f2", "x6")].start == (0.7,)
    assert pm.formulas[5].line == 3  # a formula continued over lines keeps its first line
    assert [(d.name, d.expr) for d in pm.defined] == [("ab", "a*b"), ("twice", "2 * (a + b) ^ 2")]
    assert (pm.constraints[0].lhs, pm.constraints[0].rhs) == ("a", "b")


def test_parser_multiple_lhs_and_group_vectors():
    pm = parse_model("y1 + y2 ~ c(a, b)*x\nf =~ c(1, NA)*x1 + x2")
    assert [(f.lhs, f.rhs) for f in pm.formulas[:2]] == [("y1", "x"), ("y2", "x")]
    assert pm.formulas[0].modifier.labels == ("a", "b")
    assert pm.formulas[2].modifier.fixed == (1.0, None) and pm.formulas[2].modifier.free == (False, True)


@pytest.mark.parametrize("text,line,token", [
    ("f =~ x1 + x2\nf =~ + * x3", 2, "without a following term"),
    ("f =~ x1 + x2\n\ny x1", 3, "no operator"),
    ("f =~ x1 + x2\nf =~ x1 + 2x", 2, "'2x'"),
    ("f =~ \n", 1, "nothing on the right"),
    ("f =~ x1\ng ~~ 1", 2, "'1' is only allowed"),
    ("f =~ x1\nab := a * * b", 2, "cannot read expression"),
    ("f =~ x1\nf > 0", 2, "not supported"),
    ("f =~ start(a)*x1", 1, "start() needs a number"),
])
def test_parser_errors_name_the_line(text, line, token):
    with pytest.raises(ModelSpecError) as exc:
        pt = build_partable(parse_model(text), ["x1", "x2", "x3"])  # noqa: F841
    msg = str(exc.value)
    assert f"line {line}" in msg and token in msg
    assert isinstance(exc.value, ValueError)


def test_empty_model_and_unknown_variable():
    with pytest.raises(ModelSpecError, match="empty"):
        parse_model("  \n # only a comment\n")
    with pytest.raises(ModelSpecError, match=r"line 2: variable 'x9'"):
        build_partable(parse_model("f =~ x1 + x2\ng =~ x3 + x9"), ["x1", "x2", "x3"])
    with pytest.raises(ModelSpecError, match=r"line 2: unknown label 'c'"):
        build_partable(parse_model("f =~ x1 + a*x2 + x3\nd := a*c"), ["x1", "x2", "x3"])
    with pytest.raises(ModelSpecError, match="line 2"):
        build_partable(parse_model("f =~ x1 + a*x2 + x3\nd := __import__('os')"), ["x1", "x2", "x3"])
    with pytest.raises(ModelSpecError, match="group_equal"):
        build_partable(parse_model("f =~ x1 + x2"), ["x1", "x2"], ngroups=2, group_equal=["loading"])


def test_cfa_defaults_like_lavaan():
    pt, _ = build_partable(parse_model("f1 =~ x1 + x2 + x3\nf2 =~ x4 + x5 + x6"), [f"x{i}" for i in range(1, 7)])
    rows = _rows(pt)
    assert rows[:6] == [("f1", "=~", f"x{i}") for i in (1, 2, 3)] + [("f2", "=~", f"x{i}") for i in (4, 5, 6)]
    assert rows[6:] == [(f"x{i}", "~~", f"x{i}") for i in range(1, 7)] + [("f1", "~~", "f1"), ("f2", "~~", "f2"),
                                                                             ("f1", "~~", "f2")]
    fixed = {r for i, r in zip(pt.rows(), rows) if not pt.free[i]}
    assert fixed == {("f1", "=~", "x1"), ("f2", "=~", "x4")}  # marker loadings = 1
    assert pt.nfree == 13 and pt.ustart[0] == 1.0


def test_sem_defaults_fixed_x_cov_y_and_single_indicator():
    model = """
        f =~ y1 + y2 + y3
        s =~ y4
        f ~ x1 + x2
        o1 ~ f
        o2 ~ f
    """
    cols = ["y1", "y2", "y3", "y4", "x1", "x2", "o1", "o2"]
    pt, _ = build_partable(parse_model(model), cols, meanstructure=True)
    vi = pt.vars
    assert vi.ov == ("y1", "y2", "y3", "y4", "o1", "o2", "x1", "x2") and vi.ov_x == ("x1", "x2")
    assert vi.lvov_y == ("o1", "o2")
    rows = dict(zip(_rows(pt), pt.rows()))
    # fixed.x: variances, covariance and means of x1, x2 are fixed (exo) and not counted
    for r in [("x1", "~~", "x1"), ("x1", "~~", "x2"), ("x2", "~~", "x2"), ("x1", "~1", ""), ("x2", "~1", "")]:
        assert pt.exo[rows[r]] and not pt.free[rows[r]]
    # auto.cov.y: the two purely dependent observed variables get a free residual covariance
    assert pt.free[rows[("o1", "~~", "o2")]]
    # auto.fix.single: the only indicator of s has residual variance 0
    assert not pt.free[rows[("y4", "~~", "y4")]] and pt.ustart[rows[("y4", "~~", "y4")]] == 0.0
    # latent means fixed at 0, observed intercepts free; s is exogenous, f is not: no f ~~ s
    assert not pt.free[rows[("f", "~1", "")]] and pt.free[rows[("y2", "~1", "")]]
    assert ("f", "~~", "s") not in rows and ("s", "~~", "f") not in rows


def test_group_equal_partial_labels_and_constraints():
    model = "f =~ x1 + x2 + lx3*x3\nx1 ~~ c(v1, v2)*x1"
    cols = ["x1", "x2", "x3"]
    pt, _ = build_partable(parse_model(model), cols, ngroups=2, meanstructure=True,
                           group_equal=["loadings", "intercepts"], group_partial=["x2 ~1"])
    idx = {(pt.lhs[i], pt.op[i], pt.rhs[i], pt.group[i]): i for i in pt.rows()}
    f = lambda *k: pt.free[idx[k]]  # noqa: E731
    assert f("f", "=~", "x2", 1) == f("f", "=~", "x2", 2) and pt.label[idx[("f", "=~", "x2", 2)]] == ".p2."
    assert f("f", "=~", "x3", 1) == f("f", "=~", "x3", 2)          # shared user label
    assert f("x1", "~~", "x1", 1) != f("x1", "~~", "x1", 2)        # c(v1, v2): one label per group
    assert f("x3", "~1", "", 1) == f("x3", "~1", "", 2)
    assert f("x2", "~1", "", 1) != f("x2", "~1", "", 2)            # group_partial
    assert f("f", "~1", "", 1) == 0 and f("f", "~1", "", 2) > 0     # latent mean free in group 2 only
    pt2, _ = build_partable(parse_model("f =~ x1 + a*x2 + b*x3\na == b"), cols)
    assert pt2.free[1] == pt2.free[2] and pt2.nfree == 5
    with pytest.raises(ModelSpecError, match="2 labels"):
        build_partable(parse_model("f =~ x1 + c(a, b)*x2 + x3"), cols, ngroups=3)


def test_defined_rows_come_last_without_spaces():
    pt, _ = build_partable(parse_model("f =~ x1 + a*x2 + b*x3\nd := a * b + 1"), ["x1", "x2", "x3"])
    assert (pt.lhs[-1], pt.op[-1], pt.rhs[-1], pt.group[-1]) == ("d", ":=", "a*b+1", 0)
    assert math.isnan(pt.ustart[-1])
