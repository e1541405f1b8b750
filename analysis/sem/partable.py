"""Parameter table: the user's formulas plus lavaan's defaults for ``cfa()`` / ``sem()``.

Follows lavaan 0.6's ``lav_partable_flat`` (``auto.fix.first``, ``auto.fix.single``, ``auto.var``,
``auto.cov.lv.x``, ``auto.cov.y``, ``fixed.x``, ``int.ov.free``) so that rows come out in lavaan's
order: user rows as written, then (residual) variances of observed and latent variables,
covariances among exogenous latent variables, covariances among purely dependent variables,
the fixed variances/covariances of exogenous observed covariates and, with a mean structure,
the intercepts. The table is repeated per group; ``:=`` rows come last.

Equality constraints (shared labels, ``group_equal``, ``==``) are resolved here into the ``free``
index: rows with the same index are one parameter.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from itertools import combinations
from typing import Sequence

import numpy as np

from coprod.analysis.errors import ModelSpecError
from coprod.analysis.sem.syntax import Formula, ParsedModel

__all__ = ["GROUP_EQUAL", "VarInfo", "ParTable", "build_partable", "variable_info", "parse_partial"]

GROUP_EQUAL = ("loadings", "intercepts", "means", "residuals", "residual.covariances",
               "lv.variances", "lv.covariances", "regressions")


@dataclass(frozen=True, slots=True)
class VarInfo:
    """Variable roles, named as in lavaan's ``lavNames()``."""

    ov: tuple[str, ...]          # observed, in model order (indicators, dependent, exogenous, others)
    lv: tuple[str, ...]          # latent (lhs of =~)
    ov_x: tuple[str, ...]        # exogenous observed covariates handled by fixed.x
    ov_nox: tuple[str, ...]
    lv_x: tuple[str, ...]        # exogenous latent variables
    lvov_y: tuple[str, ...]      # purely dependent latent + observed variables (auto.cov.y)
    ov_ind: tuple[str, ...]      # observed indicators
    eqs_y: tuple[str, ...]
    eqs_x: tuple[str, ...]


@dataclass(slots=True)
class ParTable:
    """Columns of the parameter table (one list entry per row) and the variable roles."""

    lhs: list[str] = field(default_factory=list)
    op: list[str] = field(default_factory=list)
    rhs: list[str] = field(default_factory=list)
    group: list[int] = field(default_factory=list)    # 1-based; 0 for := rows
    user: list[bool] = field(default_factory=list)
    label: list[str] = field(default_factory=list)    # user label or lavaan's ".pN." for equalities
    free: list[int] = field(default_factory=list)     # 0 fixed, else 1-based parameter index
    ustart: list[float] = field(default_factory=list)  # fixed value or user start; nan otherwise
    exo: list[bool] = field(default_factory=list)     # fixed.x rows (value from the sample)
    vars: VarInfo | None = None
    ngroups: int = 1
    nfree: int = 0
    defined: list[tuple[str, str, int]] = field(default_factory=list)  # (name, expr, line)

    def __len__(self) -> int:
        return len(self.lhs)

    def rows(self, group: int | None = None) -> list[int]:
        """Row indices of the model parameters (no := rows), optionally of one group."""
        return [i for i in range(len(self.lhs)) if self.op[i] != ":=" and (group is None or self.group[i] == group)]


def _uniq(seq) -> list[str]:
    out: list[str] = []
    for s in seq:
        if s not in out:
            out.append(s)
    return out


def variable_info(pm: ParsedModel, fixed_x: bool = True) -> tuple[VarInfo, list[str]]:
    """Derive variable roles from the user's formulas (lavaan's ``lav_partable_vnames``)."""
    f = pm.formulas
    lv = _uniq(x.lhs for x in f if x.op == "=~")
    v_ind = _uniq(x.rhs for x in f if x.op == "=~")
    eqs_y = _uniq(x.lhs for x in f if x.op == "~")
    eqs_x = _uniq(x.rhs for x in f if x.op == "~")
    ov_ind = [v for v in v_ind if v not in lv]
    ov_y = [v for v in eqs_y if v not in lv and v not in ov_ind]
    ov_x = [v for v in eqs_x if v not in lv and v not in ov_ind and v not in ov_y]
    cov_names = [x.lhs for x in f if x.op == "~~" and x.lhs not in lv] + \
                [x.rhs for x in f if x.op == "~~" and x.rhs not in lv]
    int_names = [x.lhs for x in f if x.op == "~1" and x.lhs not in lv]
    base = ov_ind + ov_y + ov_x
    ov = base + [v for v in _uniq(cov_names + int_names) if v not in base]
    warnings: list[str] = []
    named_in_user = {x.lhs for x in f if x.op in ("~~", "~1")} | {x.rhs for x in f if x.op == "~~"}
    if fixed_x:
        kept = [v for v in ov_x if v not in named_in_user]
        if len(kept) < len(ov_x):
            warnings.append("model syntax gives a variance, covariance or intercept for exogenous "
                            f"covariate(s) {sorted(set(ov_x) - set(kept))}: they are estimated, not fixed.x")
        ov_x_fixed = kept
    else:
        ov_x_fixed = []
    lv_x = [v for v in lv if v not in v_ind and v not in eqs_y]
    lv_y = [v for v in lv if v in eqs_y and v not in v_ind and v not in eqs_x]
    ov_y_pure = [v for v in ov if v in eqs_y and v not in v_ind and v not in eqs_x and v not in lv]
    info = VarInfo(ov=tuple(ov), lv=tuple(lv), ov_x=tuple(ov_x_fixed),
                   ov_nox=tuple(v for v in ov if v not in ov_x_fixed), lv_x=tuple(lv_x),
                   lvov_y=tuple(lv_y + ov_y_pure), ov_ind=tuple(ov_ind), eqs_y=tuple(eqs_y),
                   eqs_x=tuple(eqs_x))
    return info, warnings


def parse_partial(items: Sequence[str]) -> set[tuple[str, str, str]]:
    """``["f1=~x2", "x3~1", "x1 ~~ x1"]`` → {(lhs, op, rhs)}."""
    out = set()
    for item in items:
        s = "".join(str(item).split())
        for op in ("=~", "~~", "~1", "~"):
            if op == "~1" and s.endswith("~1"):
                out.add((s[:-2], "~1", ""))
                break
            if op != "~1" and op in s:
                lhs, rhs = s.split(op, 1)
                out.add((lhs, op, rhs))
                if op == "~~":
                    out.add((rhs, op, lhs))
                break
        else:
            raise ModelSpecError(f"group_partial: cannot read '{item}' (expected e.g. 'f1=~x2' or 'x3~1')")
    return out


def _equal_kind(op: str, lhs: str, rhs: str, vi: VarInfo) -> str | None:
    """Which ``group.equal`` keyword covers this row (lavaan's definitions)."""
    if op == "=~":
        return "loadings"
    if op == "~":
        return "regressions"
    if op == "~1":
        return "means" if lhs in vi.lv else "intercepts"
    if op == "~~":
        if lhs in vi.lv and rhs in vi.lv:
            return "lv.variances" if lhs == rhs else "lv.covariances"
        if lhs not in vi.lv and rhs not in vi.lv:
            return "residuals" if lhs == rhs else "residual.covariances"
    return None


def _per_group(values: tuple, g: int, ngroups: int, what: str, fm: Formula):
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    if len(values) != ngroups:
        raise ModelSpecError(f"model syntax, line {fm.line}: {len(values)} {what} given for "
                             f"'{fm.lhs} {fm.op} {fm.rhs}' but the data have {ngroups} group(s)")
    return values[g]


def _line_of(pm: ParsedModel, name: str) -> int:
    for f in pm.formulas:
        if name in (f.lhs, f.rhs):
            return f.line
    return 0


def build_partable(pm: ParsedModel, columns: Sequence[str], *, ngroups: int = 1,
                   meanstructure: bool = False, group_equal: Sequence[str] = (),
                   group_partial: Sequence[str] = (), fixed_x: bool = True) -> tuple[ParTable, list[str]]:
    """Expand parsed syntax into lavaan's full parameter table.

    Parameters
    ----------
    pm : ParsedModel
    columns : sequence of str
        Data columns; every observed variable must be one of them.
    ngroups : int
    meanstructure : bool
    group_equal, group_partial : sequence of str
        As lavaan's ``group.equal`` / ``group.partial``.
    fixed_x : bool

    Returns
    -------
    (ParTable, list of warning messages)

    Raises
    ------
    ModelSpecError
        Unknown variables, labels or group_equal keywords.
    """
    vi, warnings = _check_variables(pm, columns, group_equal, fixed_x)
    partial = parse_partial(group_partial)
    pt = ParTable(vars=vi, ngroups=ngroups)
    for g in range(ngroups):
        rows, seen, dups = _user_rows(pm)
        if g == 0:
            warnings += dups
        _add_default_rows(rows, seen, vi, meanstructure)
        _set_free(rows, vi, g, ngroups, group_equal)
        for r in rows:
            _append(pt, r["lhs"], r["op"], r["rhs"], g + 1, r["user"], r["label"], 1 if r["free"] else 0,
                    r["ustart"] if not r["free"] else r["start"], r["exo"])
    _assign_free(pt, pm, group_equal, partial)
    _add_defined(pt, pm)
    return pt, warnings


def _check_variables(pm: ParsedModel, columns: Sequence[str], group_equal: Sequence[str],
                     fixed_x: bool) -> tuple[VarInfo, list[str]]:
    """The model's variables, each observed one checked against the data columns."""
    bad = [k for k in group_equal if k not in GROUP_EQUAL]
    if bad:
        raise ModelSpecError(f"group_equal: unknown {bad}; allowed: {list(GROUP_EQUAL)}")
    vi, warnings = variable_info(pm, fixed_x)
    cols = set(columns)
    for v in vi.ov:
        if v not in cols:
            raise ModelSpecError(f"model syntax, line {_line_of(pm, v)}: variable '{v}' is neither a "
                                 "column of the data nor a latent variable (defined with =~)")
    if not vi.ov:
        raise ModelSpecError("model syntax has no observed variables")
    return vi, warnings


def _user_rows(pm: ParsedModel) -> tuple[list[dict], dict[tuple, int], list[str]]:
    """One row per distinct user formula; returns ``(rows, row of each key, duplicate warnings)``."""
    seen: dict[tuple, int] = {}
    rows: list[dict] = []
    dups: list[str] = []
    for fm in pm.formulas:
        key = (fm.lhs, fm.op, fm.rhs)
        if fm.op == "~~":
            key = (min(fm.lhs, fm.rhs), "~~", max(fm.lhs, fm.rhs))
        if key in seen:
            dups.append(f"model syntax, line {fm.line}: duplicated element "
                        f"'{fm.lhs} {fm.op} {fm.rhs}' ignored")
            continue
        seen[key] = len(rows)
        rows.append(dict(lhs=fm.lhs, op=fm.op, rhs=fm.rhs, user=True, fm=fm))
    return rows, seen, dups


def _add_default_rows(rows: list[dict], seen: dict[tuple, int], vi: VarInfo, meanstructure: bool) -> None:
    """lavaan's default (co)variances and means that the user did not write."""
    defaults: list[tuple[str, str, str]] = []
    defaults += [(v, "~~", v) for v in vi.ov_nox] + [(v, "~~", v) for v in vi.lv]
    defaults += [(a, "~~", b) for a, b in combinations(vi.lv_x, 2)]
    defaults += [(a, "~~", b) for a, b in combinations(vi.lvov_y, 2)]
    defaults += [(a, "~~", b) for i, a in enumerate(vi.ov_x) for b in vi.ov_x[i:]]
    if meanstructure:
        defaults += [(v, "~1", "") for v in vi.ov] + [(v, "~1", "") for v in vi.lv]
    for lhs, op, rhs in defaults:
        key = (min(lhs, rhs), op, max(lhs, rhs)) if op == "~~" else (lhs, op, rhs)
        if key not in seen:
            seen[key] = len(rows)
            rows.append(dict(lhs=lhs, op=op, rhs=rhs, user=False, fm=None))


def _single_indicators(rows: list[dict], vi: VarInfo) -> set[str]:
    """auto.fix.single: an indicator that is the only one of its factor (and loads on no other)."""
    n_ind = {f: sum(1 for r in rows if r["op"] == "=~" and r["lhs"] == f) for f in vi.lv}
    n_load = {}
    for r in rows:
        if r["op"] == "=~":
            n_load[r["rhs"]] = n_load.get(r["rhs"], 0) + 1
    return {r["rhs"] for r in rows if r["op"] == "=~" and n_ind[r["lhs"]] == 1 and n_load[r["rhs"]] == 1}


def _set_free(rows: list[dict], vi: VarInfo, g: int, ngroups: int, group_equal: Sequence[str]) -> None:
    """Free/fixed defaults (lavaan: everything free, then auto.* rules, then user modifiers)."""
    lv = set(vi.lv)
    first_loading: set[str] = set()
    single_ind = _single_indicators(rows, vi)
    for r in rows:
        r.update(free=True, ustart=np.nan, label="", exo=False, start=np.nan)
        lhs, op, rhs = r["lhs"], r["op"], r["rhs"]
        if op == "=~" and lhs not in first_loading:
            first_loading.add(lhs)
            r.update(free=False, ustart=1.0)
        if op == "~~" and lhs in vi.ov_x and rhs in vi.ov_x:
            r.update(free=False, exo=True)
        if op == "~1":
            if lhs in vi.ov_x:
                r.update(free=False, exo=True)
            elif lhs in lv and not r["user"]:
                free_mean = g > 0 and "intercepts" in group_equal and "means" not in group_equal
                if not free_mean:
                    r.update(free=False, ustart=0.0)
        if op == "~~" and lhs == rhs and not r["user"] and lhs in single_ind:
            r.update(free=False, ustart=0.0)
        if r["fm"] is not None:
            _apply_modifiers(r, r["fm"], g, ngroups, vi, lv)


def _apply_modifiers(r: dict, fm: Formula, g: int, ngroups: int, vi: VarInfo, lv: set[str]) -> None:
    """The user's fixed values, free(), labels and start values for group ``g``."""
    mod = fm.modifier
    fixed = _per_group(mod.fixed, g, ngroups, "values", fm)
    is_free = _per_group(mod.free, g, ngroups, "values", fm)
    label = _per_group(mod.labels, g, ngroups, "labels", fm)
    start = _per_group(mod.start, g, ngroups, "start values", fm)
    if fixed is not None:
        r.update(free=False, ustart=float(fixed))
    elif is_free:
        r.update(free=True, ustart=np.nan)
    if label:
        if label in vi.ov or label in lv:
            raise ModelSpecError(f"model syntax, line {fm.line}: label '{label}' is also a "
                                 "variable name")
        r["label"] = label
    if start is not None:
        r["start"] = float(start)


def _append(pt: ParTable, lhs, op, rhs, group, user, label, free, ustart, exo) -> None:
    for col, v in (("lhs", lhs), ("op", op), ("rhs", rhs), ("group", group), ("user", user), ("label", label),
                   ("free", free), ("ustart", ustart), ("exo", exo)):
        getattr(pt, col).append(v)


def _assign_free(pt: ParTable, pm: ParsedModel, group_equal, partial) -> None:
    """Number the free parameters; rows sharing a label or a group_equal key share the number.

    As lavaan's ``lavaanify``: a label shared with a fixed row (the marker loading of
    ``auto.fix.first``, or a value the user fixed) is one parameter, so every row carrying it
    (or a label tied to it by ``==``) is fixed at that row's value.
    """
    vi = pt.vars
    n = len(pt.lhs)
    # a == b: merge label classes (union-find over label names)
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        while parent.get(a, a) != a:
            a = parent[a]
        return a

    user_labels = {pt.label[i] for i in range(n) if pt.label[i]}
    for c in pm.constraints:
        for name in (c.lhs, c.rhs):
            if name not in user_labels:
                raise ModelSpecError(f"model syntax, line {c.line}: '{name}' in '{c.lhs} == {c.rhs}' "
                                     "is not a parameter label")
        parent[find(c.lhs)] = find(c.rhs)
    fixed_value: dict[str, float] = {}
    for i in range(n):
        if pt.label[i] and not pt.free[i] and not pt.exo[i]:
            fixed_value.setdefault(find(pt.label[i]), float(pt.ustart[i]))
    keys: list[object] = [None] * n
    first_row: dict[tuple, int] = {}
    for i in range(n):
        if pt.label[i] and find(pt.label[i]) in fixed_value:
            pt.free[i] = 0
            pt.ustart[i] = fixed_value[find(pt.label[i])]
            continue
        if not pt.free[i]:
            continue
        if pt.label[i]:
            keys[i] = ("label", find(pt.label[i]))
            continue
        trip = (pt.lhs[i], pt.op[i], pt.rhs[i])
        kind = _equal_kind(pt.op[i], pt.lhs[i], pt.rhs[i], vi)
        if pt.ngroups > 1 and kind in group_equal and trip not in partial:
            if trip not in first_row:
                first_row[trip] = i
            keys[i] = ("eq", trip)
            pt.label[i] = f".p{first_row[trip] + 1}."
        else:
            keys[i] = ("row", i)
    index: dict[object, int] = {}
    for i in range(n):
        k = keys[i]
        if k is None:
            pt.free[i] = 0
            continue
        if k not in index:
            index[k] = len(index) + 1
        pt.free[i] = index[k]
    pt.nfree = len(index)


_ALLOWED_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.Div,
                  ast.Pow, ast.USub, ast.UAdd, ast.Constant, ast.Name, ast.Load)


def check_expression(expr: str, line: int, known: set[str]) -> ast.Expression:
    """Parse a := expression; only numbers, labels, + - * / ** and parentheses are allowed."""
    try:
        tree = ast.parse(expr.replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        raise ModelSpecError(f"model syntax, line {line}: cannot read expression '{expr}'") from exc
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ModelSpecError(f"model syntax, line {line}: '{expr}' uses something other than "
                                 "numbers, labels, + - * / ^ and parentheses")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise ModelSpecError(f"model syntax, line {line}: unexpected constant in '{expr}'")
        if isinstance(node, ast.Name) and node.id not in known:
            raise ModelSpecError(f"model syntax, line {line}: unknown label '{node.id}' in '{expr}'")
    return tree


def _add_defined(pt: ParTable, pm: ParsedModel) -> None:
    known = {lab for lab in pt.label if lab}
    for d in pm.defined:
        if d.name in known:
            raise ModelSpecError(f"model syntax, line {d.line}: '{d.name}' is defined twice")
        check_expression(d.expr, d.line, known)
        known.add(d.name)
        pt.defined.append((d.name, d.expr, d.line))
        _append(pt, d.name, ":=", "".join(d.expr.split()), 0, True, d.name, 0, np.nan, False)
