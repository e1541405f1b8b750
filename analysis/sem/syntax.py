"""Parser for lavaan model syntax.

Turns a model string into :class:`ParsedModel`: the user-written elements (``=~``, ``~``, ``~~``,
``~1``), the defined parameters (``:=``) and simple equality constraints (``label == label``).
Defaults (marker loadings, variances, ...) are added later by :mod:`analysis.sem.partable`,
as lavaan's ``lavaanify`` does after ``lavParseModelString``.

Supported, as in lavaan: comments (``#`` or ``!``), several formulas on one line separated by ``;``,
a formula continued on the next line when a line ends (or the next starts) with ``+`` or an
operator, several left-hand sides (``y1 + y2 ~ x``), and the modifiers ``a*x`` (label),
``1*x`` / ``0*x`` (fixed value), ``NA*x`` (free), ``start(0.5)*x`` (starting value), ``"a"*x`` and
``c(a, b)*x`` (one label or value per group). Errors raise
:class:`analysis.errors.ModelSpecError` naming the line and the offending token.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from coprod.analysis.errors import ModelSpecError

__all__ = ["Modifier", "Formula", "Defined", "Constraint", "ParsedModel", "parse_model"]

_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# the first operator in a statement decides its kind; longer tokens are tried first
_OPERATOR = re.compile(r":=|=~|~~|==|<=|>=|<|>|~")
_CONTINUES_AFTER = ("+", "*", "=~", "~~", "~", ":=", "==", "-", "/", "(", ",")


@dataclass(frozen=True, slots=True)
class Modifier:
    """Per-group tuple of labels, fixed values and starting values; ``None`` = not given."""

    labels: tuple[str | None, ...] = ()
    fixed: tuple[float | None, ...] = ()
    free: tuple[bool, ...] = ()  # NA*x: explicitly free (overrides a default fixing)
    start: tuple[float | None, ...] = ()


@dataclass(frozen=True, slots=True)
class Formula:
    """One model element ``lhs op rhs`` (``rhs`` is ``""`` for ``~1``) as written by the user."""

    lhs: str
    op: str
    rhs: str
    modifier: Modifier
    line: int


@dataclass(frozen=True, slots=True)
class Defined:
    """A defined parameter ``name := expression``."""

    name: str
    expr: str
    line: int


@dataclass(frozen=True, slots=True)
class Constraint:
    """An equality constraint between two labels, ``a == b``."""

    lhs: str
    rhs: str
    line: int


@dataclass(frozen=True, slots=True)
class ParsedModel:
    """Everything the user wrote, in order."""

    formulas: tuple[Formula, ...]
    defined: tuple[Defined, ...]
    constraints: tuple[Constraint, ...]


def _err(line: int, msg: str, statement: str) -> ModelSpecError:
    return ModelSpecError(f"model syntax, line {line}: {msg} in '{statement.strip()}'")


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses and quotes."""
    out, depth, cur, quote = [], 0, [], None
    for ch in text:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def _statements(text: str) -> list[tuple[int, str]]:
    """Physical lines → logical statements with the line number where each starts."""
    segs: list[tuple[int, str]] = []
    for i, raw in enumerate(text.splitlines(), start=1):
        line = re.split(r"[#!]", raw, maxsplit=1)[0]
        for part in _split_top(line, ";"):
            if part.strip():
                segs.append((i, part.strip()))
    merged: list[list] = []
    for ln, seg in segs:
        if merged and (merged[-1][1].endswith(_CONTINUES_AFTER) or seg.startswith(("+", "*"))):
            merged[-1][1] = merged[-1][1] + " " + seg
        else:
            merged.append([ln, seg])
    return [(ln, s) for ln, s in merged]


def _parse_value(tok: str, line: int, stmt: str):
    """One modifier value: number, NA, or a label (bare or quoted)."""
    tok = tok.strip()
    if _NUMBER.match(tok):
        return ("fixed", float(tok))
    if tok in ("NA", "na"):
        return ("free", None)
    if len(tok) >= 2 and tok[0] == tok[-1] and tok[0] in "\"'":
        tok = tok[1:-1]
    if _NAME.match(tok):
        return ("label", tok)
    raise _err(line, f"unexpected token '{tok}'", stmt)


def _parse_modifiers(mods: list[str], line: int, stmt: str) -> Modifier:
    labels: list = []
    fixed: list = []
    free: list = []
    start: list = []

    def put(target: list, values: list) -> None:
        if target and len(target) != len(values):
            raise _err(line, "modifiers with different numbers of groups", stmt)
        target[:] = values

    for mod in mods:
        mod = mod.strip()
        if not mod:
            raise _err(line, "empty modifier before '*'", stmt)
        m = re.match(r"^(start|label|equal|c)\s*\((.*)\)$", mod, flags=re.S)
        if m:
            fn, inner = m.group(1), m.group(2)
            if fn == "c":
                vals = [_parse_value(v, line, stmt) for v in _split_top(inner, ",")]
            elif fn == "start":
                inner_c = re.match(r"^c\s*\((.*)\)$", inner.strip())
                parts = _split_top(inner_c.group(1), ",") if inner_c else [inner]
                vals = []
                for v in parts:
                    kind, val = _parse_value(v, line, stmt)
                    if kind != "fixed":
                        raise _err(line, f"start() needs a number, got '{v.strip()}'", stmt)
                    vals.append(val)
                put(start, vals)
                continue
            else:  # label("a") / equal("a")
                vals = [("label", v[1]) for v in (_parse_value(x, line, stmt) for x in _split_top(inner, ","))]
        else:
            vals = [_parse_value(mod, line, stmt)]
        kinds = {k for k, _ in vals}
        if kinds <= {"label"}:
            put(labels, [v for _, v in vals])
        elif kinds <= {"fixed", "free"}:
            put(fixed, [v if k == "fixed" else None for k, v in vals])
            put(free, [k == "free" for k, _ in vals])
        else:
            raise _err(line, f"cannot mix labels and values in '{mod}'", stmt)
    return Modifier(tuple(labels), tuple(fixed), tuple(free), tuple(start))


def _check_name(name: str, line: int, stmt: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise _err(line, f"'{name}' is not a valid variable name", stmt)
    return name


def parse_model(text: str) -> ParsedModel:
    """Parse lavaan model syntax.

    Parameters
    ----------
    text : str
        Model in lavaan syntax.

    Returns
    -------
    ParsedModel
        User formulas in the order written, defined parameters and equality constraints.

    Raises
    ------
    ModelSpecError
        For a malformed statement; the message names the line and the token.

    Examples
    --------
    >>> pm = parse_model("f =~ x1 + a*x2 + x3  # three items\\nf ~~ 1*f")
    >>> [(f.lhs, f.op, f.rhs) for f in pm.formulas]
    [('f', '=~', 'x1'), ('f', '=~', 'x2'), ('f', '=~', 'x3'), ('f', '~~', 'f')]
    """
    if not isinstance(text, str) or not text.strip():
        raise ModelSpecError("model syntax is empty")
    formulas: list[Formula] = []
    defined: list[Defined] = []
    constraints: list[Constraint] = []
    for line, stmt in _statements(text):
        m = _OPERATOR.search(stmt)
        if m is None:
            raise _err(line, "no operator (=~, ~, ~~, :=, ==) found", stmt)
        op = m.group(0)
        lhs_txt, rhs_txt = stmt[: m.start()].strip(), stmt[m.end():].strip()
        if not lhs_txt:
            raise _err(line, f"nothing on the left of '{op}'", stmt)
        if not rhs_txt:
            raise _err(line, f"nothing on the right of '{op}'", stmt)
        if op == ":=":
            defined.append(Defined(_check_name(lhs_txt, line, stmt), rhs_txt, line))
            continue
        if op == "==":
            constraints.append(Constraint(_check_name(lhs_txt, line, stmt),
                                          _check_name(rhs_txt, line, stmt), line))
            continue
        if op in ("<", ">", "<=", ">="):
            raise _err(line, f"inequality constraints ('{op}') are not supported", stmt)
        lhs_names = [_check_name(x, line, stmt) for x in _split_top(lhs_txt, "+")]
        terms = _split_top(rhs_txt, "+")
        for term in terms:
            parts = [x.strip() for x in _split_top(term, "*")]
            if not parts[-1]:
                raise _err(line, "a '+' or '*' without a following term", stmt)
            var = parts[-1]
            modifier = _parse_modifiers(parts[:-1], line, stmt)
            if var == "1" or var == "1.0":
                if op != "~":
                    raise _err(line, f"'1' is only allowed as an intercept in '~', not after '{op}'", stmt)
                this_op, rhs = "~1", ""
            else:
                if _OPERATOR.search(var):
                    raise _err(line, f"unexpected operator in '{var}'", stmt)
                this_op, rhs = op, _check_name(var, line, stmt)
            for lhs in lhs_names:
                formulas.append(Formula(lhs, this_op, rhs, modifier, line))
    if not formulas:
        raise ModelSpecError("model syntax has no formulas (=~, ~, ~~): it is empty or only comments")
    return ParsedModel(tuple(formulas), tuple(defined), tuple(constraints))
