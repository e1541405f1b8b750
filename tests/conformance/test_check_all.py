"""Runs ``coprod analyze --spec`` on every shared conformance case and applies the shared checker.

This is the same comparison as ``../shared/conformance/check_all.sh``: the spec conversion below
copies that script's, and ``check_results.py`` (read-only, shared) decides pass or fail.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coprod.workflow import analyze_file

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT.parent / "shared" / "conformance"
CASES = sorted(p.name for p in CONFORMANCE.glob("*/") if (p / "spec.json").exists()) if CONFORMANCE.exists() else []

pytestmark = pytest.mark.skipif(not CASES, reason=f"no conformance fixtures at {CONFORMANCE}")


def _convert(spec_path: Path, out: Path) -> Path:
    # identical to the conversion in check_all.sh
    s = json.loads(spec_path.read_text())
    spec = {"scales": s.get("scales"), "cfa": s.get("cfa_model"), "sem": s.get("sem_model"),
            "group": s.get("group"), "ordered": False, "bootstrap": int(s.get("bootstrap") or 0),
            "seed": s.get("seed", 1), "missing": s.get("missing", "listwise")}
    out.write_text(json.dumps({k: v for k, v in spec.items() if v is not None}, indent=1))
    return out


@pytest.mark.parametrize("case", CASES)
def test_case_matches_r(case, tmp_path):
    spec = _convert(CONFORMANCE / case / "spec.json", tmp_path / "spec.json")
    run = analyze_file(CONFORMANCE / case / "data.csv", spec=spec, out=tmp_path / "out")
    assert not run.result.errors, run.result.errors
    proc = subprocess.run([sys.executable, str(CONFORMANCE / "check_results.py"),
                           str(tmp_path / "out" / "results.json"), str(CONFORMANCE / case / "expected.json")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
