"""Runtime dependencies are exactly what runtime code imports, with lower bounds and no pins."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = ("coprod", "instrument", "analysis", "reports")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> dict[str, str]:
    out = {}
    for req in PROJECT["dependencies"]:
        m = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(.*)", req)
        out[_norm(m.group(1))] = m.group(2).strip()
    return out


def _imported_top_level() -> set[str]:
    names = set()
    for base in RUNTIME:
        for f in (ROOT / base).rglob("*.py"):
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "coprod"}


def _optional() -> set[str]:
    """The runtime extras' distributions (``postgresql``), not the test tools: imported only where
    the feature needs them, with a message naming the extra when missing."""
    return {_norm(re.match(r"[A-Za-z0-9_.-]+", r).group(0))
            for extra, reqs in PROJECT["optional-dependencies"].items() if extra != "test" for r in reqs}


def test_runtime_dependencies_are_what_runtime_code_imports():
    dists = packages_distributions()
    imported = set()
    for mod in _imported_top_level():
        assert mod in dists, f"runtime code imports {mod!r}, which no installed distribution provides"
        imported |= {_norm(d) for d in dists[mod]}
    assert imported - _optional() == set(_declared())
    assert _optional() <= imported, "a runtime extra that no runtime code imports"


def test_lower_bounds_only():
    """No pins and no upper caps: coprod must install beside the newest scientific stack."""
    for name, spec in _declared().items():
        assert spec.startswith(">="), f"{name}: {spec!r} is not a lower bound"
        assert "<" not in spec and "==" not in spec and "~=" not in spec, f"{name}: {spec!r}"


def test_oracles_are_test_only():
    """semopy and pingouin are cross-check oracles: the test extra has them, runtime does not."""
    test_extra = {_norm(re.match(r"[A-Za-z0-9_.-]+", r).group(0)) for r in PROJECT["optional-dependencies"]["test"]}
    assert {"semopy", "pingouin", "pyxform"} <= test_extra
    assert not {"semopy", "pingouin", "pyxform"} & set(_declared())
