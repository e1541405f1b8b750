"""The package's shape: one installed `coprod`, its parts layered, no import cycles.

import-linter (grimp) reads a package from one folder, and in a checkout the three parts are
mapped into ``coprod`` from folders of their own; so the contracts of ``.importlinter`` are
checked on a copy of the layout the wheel installs, built from pyproject's ``package-dir``.
"""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
PACKAGE_DIR: dict[str, str] = SETUPTOOLS["package-dir"]
PARTS = ("instrument", "analysis", "reports")


def _package_folders() -> set[str]:
    """Every folder holding an __init__.py, as the dotted name it installs under."""
    out = set()
    for pkg, folder in PACKAGE_DIR.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            if "__pycache__" not in init.parts:
                rel = init.parent.relative_to(ROOT / folder)
                out.add(".".join([pkg, *rel.parts]))
    return out


def test_every_package_folder_is_listed():
    """``packages`` is explicit: a new subpackage that is not listed would be left out of the wheel."""
    assert _package_folders() == set(SETUPTOOLS["packages"])


def test_no_bare_imports_of_the_parts():
    """Internal imports are relative or `coprod.`-qualified, never `import analysis`."""
    bad = []
    for base in ("coprod", *PARTS, "tests", "scripts"):
        for f in (ROOT / base).rglob("*.py"):
            tree = ast.parse(f.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
                bad += [f"{f.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] in PARTS]
    assert bad == []


def _installed_layout(dst: Path) -> None:
    for pkg in sorted(PACKAGE_DIR, key=lambda p: p.count(".")):
        src = ROOT / PACKAGE_DIR[pkg]
        target = dst.joinpath(*pkg.split("."))
        for f in src.rglob("*.py"):
            if "__pycache__" in f.parts:
                continue
            t = target / f.relative_to(src)
            t.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, t)


def test_import_contracts(tmp_path):
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    _installed_layout(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run([lint, str(ROOT / ".importlinter"), "--no-cache"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "BROKEN" not in proc.stdout and proc.stdout.count("KEPT") == 2

