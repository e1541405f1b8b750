"""Every English warning template of the package, found by walking its source (AST).

A template is a string literal or f-string (``{...}`` for each interpolated value) that becomes a
warning in results.json (or in a comparison's): appended to a list named ``warnings``/``notes``,
given to ``empty(...)``, ``c.warn(rule, ...)`` or ``problem(..., severity="warning")``, or
returned by one of :data:`SOURCES` (functions whose result is appended through a variable).
A variable appended to a warning list must be listed in :data:`FOLLOWED`, with where its text
comes from, so that a new kind of warning site fails the coverage test until it is followed.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: where the warnings of an analysis or comparison are written
PACKAGES = ("analysis", "instrument/platforms", "coprod/workflow.py", "coprod/store/imports.py",
            "reports/views", "reports/disclosure.py")  # the views: a warning reworded before it is shown (suppressed groups)

#: (file, function or module-level name) whose string results are warnings, though they reach a
#: warning list through a variable
SOURCES = {
    ("analysis/_extraction.py", "bound_note"),
    ("analysis/sem/api.py", "_vcov"), ("analysis/sem/api.py", "_trouble"),
    ("analysis/sem/inference.py", "vcov_from_information"),
    ("analysis/sem/invariance.py", "_not_converged"),
    ("analysis/omega.py", "_schmid_leiman"), ("analysis/omega.py", "_reverse_negative_general"),
    ("analysis/reliability.py", "_omega_cfa"),
    ("instrument/platforms/tabular.py", "_title_warning"),
    ("instrument/platforms/sniff.py", "decode_text"),
    ("analysis/responses/groups.py", "__str__"),
}
#: the same for text that stands inside a warning (the optimiser's message in "model did not
#: converge: {message}"): a fragment, translated where it stands
FRAGMENT_SOURCES = {
    ("analysis/sem/ml.py", "STOP_REASONS"), ("analysis/sem/ml.py", "_message"),
    ("analysis/sem/ml.py", "_minimize"),
    ("analysis/sem/dwls.py", "_gauss_newton"), ("analysis/sem/dwls.py", "_minimize"),
    ("analysis/sem/engine.py", "fit"),
}

#: (file, assigned name) whose string values are warnings (appended later as ``inf.se_msg``, ``cat["note"]``)
ASSIGNED = {("analysis/sem/dwls.py", "se_msg"), ("analysis/sem/dwls_fit.py", "nan['note']")}

#: what SOURCES also return that is no warning text: codes, encodings, names, numbers
NOT_TEXT = {"", "utf-8", "utf-16", "utf-8-sig", "title_row", "too_few_rows", "{v if np.isfinite(v) else np.inf}",
            "{min(finite, key=lambda r: r.value) if finite else res}", "{msg2 if ok2 else f'{msg}; after BFGS: {msg2}'}",
            "{msg2 if ok2 else f'{msg}; after Levenberg-Marquardt: {msg2}'}"}

#: (file, appended expression) -> where its text is written (one of SOURCES or a literal walked)
FOLLOWED = {
    ("analysis/efa.py", "msg"): "efa(): empty(...) literals",
    ("analysis/efa.py", "note"): "_extraction.bound_note",
    ("analysis/omega.py", "notes"): "_schmid_leiman, _reverse_negative_general",
    ("analysis/omega.py", "msg"): "omega_hierarchical(): empty(...) literals",
    ("analysis/reliability.py", "msg"): "cronbach_alpha(): empty(...) literals",
    ("analysis/reliability.py", "notes"): "_omega_totals, _omega_cfa",
    ("analysis/sem/api.py", "msg"): "_vcov, inference.vcov_from_information",
    ("analysis/sem/api.py", "terms.message"): "robust._sandwich: inference.vcov_from_information",
    ("analysis/sem/dwls.py", "inf.se_msg"): "dwls_fit: literals assigned to se_msg",
    ("analysis/sem/dwls.py", "cat['note']"): "ordinal _data: literals assigned to note",
    ("analysis/sem/invariance.py", "reason"): "_not_converged",
    ("analysis/responses/problems.py", "message"): "c.warn(rule, message) calls",
    ("analysis/responses/validate.py", "str(m)"): "groups.Merge.__str__",
    ("instrument/platforms/tabular.py", "n"): "sniff.decode_text notes",
}


def _variants(node) -> list[str] | None:
    """The texts a string expression can give, ``{...}`` for each interpolated value; a value
    chosen by ``a if c else b`` between strings gives one variant per branch."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        out = [""]
        for v in node.values:
            if isinstance(v, ast.Constant):
                pieces = [v.value]
            else:
                pieces = _variants(v.value) if isinstance(v.value, ast.IfExp) else None
                pieces = pieces or ["{" + ast.unparse(v.value) + "}"]
            out = [a + b for a in out for b in pieces]
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        a, b = _variants(node.left), _variants(node.right)
        if a is None and b is None:
            return None
        # text + a value ("msg + ' (same base version, ...)'"): the value is a placeholder
        a, b = a or ["{" + ast.unparse(node.left) + "}"], b or ["{" + ast.unparse(node.right) + "}"]
        return [x + y for x in a for y in b]
    if isinstance(node, ast.IfExp):
        a, b = _variants(node.body), _variants(node.orelse)
        return None if a is None or b is None else a + b
    return None


def _strings(node) -> list[str]:
    """Templates in a value: a string expression's variants, or the strings of a list/tuple/dict."""
    got = _variants(node)
    if got is not None:
        return got
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [x for e in node.elts for x in _strings(e)]
    if isinstance(node, ast.Dict):
        return [x for v in node.values for x in _strings(v)]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    if isinstance(node, ast.BinOp):
        return _strings(node.left) + _strings(node.right)
    return []


def _is_warning_list(target: str) -> bool:
    t = target.lower()
    return "warn" in t or t.endswith(("notes", "note"))


def _files():
    for pkg in PACKAGES:
        p = ROOT / pkg
        yield from ([p] if p.suffix == ".py" else sorted(p.rglob("*.py")))


def _source_strings(node) -> list[str]:
    """The strings a SOURCES function returns or appends (not those it compares with)."""
    out = []
    for n in ast.walk(node):
        if isinstance(n, ast.Return) and n.value is not None:
            out += _strings(n.value)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("append", "extend"):
            out += [x for a in n.args for x in _strings(a)]
        elif isinstance(n, ast.Assign) and isinstance(n.value, ast.Dict):
            out += _strings(n.value)
        elif isinstance(n, ast.Call) and ast.unparse(n.func) in ("OptimResult", "problem"):
            out += [x for a in n.args for x in _strings(a)]
        elif isinstance(n, ast.Assign) and any(ast.unparse(t).endswith("message") for t in n.targets):
            out += _strings(n.value)
    return out


#: modules whose exceptions a step of the analysis records in ``errors`` ("step: message") when a
#: model cannot be read or estimated on the data (Steps catches ValueError and its subclasses)
RAISE_MODULES = ("analysis/sem/syntax.py", "analysis/sem/partable.py", "analysis/sem/size.py",
                 "analysis/sem/engine.py", "analysis/sem/dwls.py", "analysis/validity.py", "analysis/alignment.py",
                 "analysis/ordinal/polychoric.py", "analysis/ordinal/reliability.py", "analysis/_itemdata.py",
                 "analysis/_extraction.py", "analysis/reliability.py", "analysis/sem/invariance.py")
#: an argument check (a caller's mistake, which spec and CLI validation stop before any step runs)
ARGUMENT_CHECK = ("is not one of", " must ", "; use one of", "expected one of", "; allowed:", "levels must")


def raised() -> tuple[list[tuple[str, int, str]], list[tuple[str, int, str]]]:
    """``(messages, fragments)`` of the exceptions of :data:`RAISE_MODULES`: each raised (or
    returned) error's message, and the messages given to ``_err(line, msg, statement)``."""
    found, fragments = [], []
    for rel in RAISE_MODULES:
        for n in ast.walk(ast.parse((ROOT / rel).read_text())):
            call = n.exc if isinstance(n, ast.Raise) else n.value if isinstance(n, ast.Return) else None
            if not (isinstance(call, ast.Call) and ast.unparse(call.func).endswith(("Error", "_err")) and call.args):
                continue
            if ast.unparse(call.func) == "_err":
                fragments += [(rel, n.lineno, s) for s in _strings(call.args[1])]
                continue
            arg = call.args[-1] if ast.unparse(call.func) == "ModelSpecError" and len(call.args) == 2 else call.args[0]
            found += [(rel, n.lineno, s) for s in _strings(arg) if not any(c in s for c in ARGUMENT_CHECK)]
    return found, fragments


def sites() -> tuple[list[tuple[str, int, str]], list[tuple[str, int, str]], list[tuple[str, str]]]:
    """``(templates, fragments, unfollowed)``: each template and fragment with its file and line,
    and each variable appended to a warning list that :data:`FOLLOWED` does not account for."""
    found, fragments, unfollowed = [], [], []
    for path in _files():
        rel = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text())
        for n in ast.walk(tree):
            if isinstance(n, (ast.FunctionDef, ast.Assign)):
                name = n.name if isinstance(n, ast.FunctionDef) else ast.unparse(n.targets[0])
                if (rel, name) in SOURCES:
                    found += [(rel, n.lineno, s) for s in _source_strings(n)]
                if (rel, name) in FRAGMENT_SOURCES:
                    fragments += [(rel, n.lineno, s) for s in _source_strings(n)]
            if isinstance(n, ast.Assign) and any((rel, ast.unparse(t)) in ASSIGNED for t in n.targets):
                found += [(rel, n.lineno, s) for s in _strings(n.value)]
            if not isinstance(n, ast.Call):
                continue
            func = ast.unparse(n.func)
            args: list = []
            if isinstance(n.func, ast.Attribute) and n.func.attr in ("append", "extend") \
                    and _is_warning_list(ast.unparse(n.func.value)) and n.args:
                args = [n.args[0]]
            elif func == "empty" and n.args:
                args = [n.args[0]]
            elif func.endswith(".warn") and len(n.args) >= 2:
                args = [n.args[1]]
            elif func == "problem" and any(k.arg == "severity" and ast.unparse(k.value) == "'warning'"
                                           for k in n.keywords) and len(n.args) >= 3:
                args = [n.args[2]]
            for a in args:
                got = _strings(a)
                if got:
                    found += [(rel, n.lineno, s) for s in got]
                elif not (isinstance(a, ast.Call) and ast.unparse(a.func) in ("problem", "_title_warning")) \
                        and (rel, ast.unparse(a)) not in FOLLOWED:
                    unfollowed.append((rel, ast.unparse(a)))
    return ([f for f in found if f[2] not in NOT_TEXT], [f for f in fragments if f[2] not in NOT_TEXT],
            unfollowed)


if __name__ == "__main__":
    t, fr, u = sites()
    for rel, line, s in t:
        print(f"{rel}:{line}: {s}")
    for rel, line, s in fr:
        print(f"{rel}:{line}: fragment: {s}")
    print("UNFOLLOWED", u)
