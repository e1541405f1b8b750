"""Our own R reference cases (``tests/fixtures/conformance/<case>``) through the pipeline.

The ML part is run exactly like ``test_check_all.py`` (the shared ``check_all.sh`` spec conversion,
``coprod.workflow.analyze_file``, and the shared, read-only ``check_results.py``), on data the
shared fixtures do not cover: 4-point skewed items with empty cells, MAR missingness with FIML,
three groups of unequal size. For the ordinal case the lavaan thresholds, polychoric correlations
and ordinal alpha are compared with ``analysis.ordinal`` at the README's 1e-3.

How the data and expected.json were made: ``tests/fixtures/conformance/README.md``.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.ordinal import ordinal_alpha, polychoric, thresholds
from coprod.workflow import analyze_file

ROOT = Path(__file__).resolve().parents[2]
OWN = ROOT / "tests" / "fixtures" / "conformance"
CHECKER = ROOT.parent / "shared" / "conformance" / "check_results.py"
CASES = sorted(p.parent.name for p in OWN.glob("*/expected.json"))
ORDINAL_CASES = [c for c in CASES if json.loads((OWN / c / "spec.json").read_text()).get("ordered")]
ORDINAL_TOL = 1e-3  # README: polychoric correlations and thresholds (lavaan) 1e-3


def _convert(spec_path: Path, out: Path) -> Path:
    # identical to the conversion in check_all.sh and test_check_all.py
    s = json.loads(spec_path.read_text())
    spec = {"scales": s.get("scales"), "cfa": s.get("cfa_model"), "sem": s.get("sem_model"),
            "group": s.get("group"), "ordered": False, "bootstrap": int(s.get("bootstrap") or 0),
            "seed": s.get("seed", 1), "missing": s.get("missing", "listwise")}
    out.write_text(json.dumps({k: v for k, v in spec.items() if v is not None}, indent=1))
    return out


def test_fixture_data_are_reproducible():
    proc = subprocess.run([sys.executable, str(OWN / "make_data.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module", params=CASES)
def pipeline_run(request, tmp_path_factory):
    """One ``analyze_file`` run per case, shared by the checks below."""
    case = request.param
    tmp = tmp_path_factory.mktemp(case)
    spec = _convert(OWN / case / "spec.json", tmp / "spec.json")
    run = analyze_file(OWN / case / "data.csv", spec=spec, out=tmp / "out")
    return case, run, tmp / "out" / "results.json"


@pytest.mark.skipif(not CHECKER.exists(), reason=f"no shared checker at {CHECKER}")
def test_case_matches_r(pipeline_run):
    case, run, results = pipeline_run
    assert not run.result.errors, run.result.errors
    proc = subprocess.run([sys.executable, str(CHECKER), str(results), str(OWN / case / "expected.json")],
                          capture_output=True, text=True)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_invariance_details_match_r(pipeline_run):
    """What the shared checker leaves out: group order (lavaan: order of first appearance),
    per-group χ², the other fit indices and the LRT, at the README's tolerances."""
    case, run, results = pipeline_run
    exp = json.loads((OWN / case / "expected.json").read_text())["invariance"]
    got = json.loads(results.read_text())["invariance"]
    assert got["groups"] == exp["group_labels"]
    for model, e in exp["models"].items():
        g = got[model]
        assert g["converged"] and e["converged"]
        assert (g["npar"], g["df"]) == (e["npar"], e["df"]), model
        for key in ("chisq", "aic", "bic"):
            assert g[key] == pytest.approx(e[key], rel=1e-5), f"{model}.{key}"
        for key in ("pvalue", "cfi", "tli", "rmsea", "srmr"):
            assert g[key] == pytest.approx(e[key], abs=1e-4), f"{model}.{key}"
        assert list(g["chisq_by_group"]) == list(e["chisq_by_group"])
        for grp, v in e["chisq_by_group"].items():
            assert g["chisq_by_group"][grp] == pytest.approx(v, rel=1e-5), f"{model}.chisq_by_group[{grp}]"
    for row in exp["lrt"]:
        if row["chisq_diff"] is None:
            continue
        g = got["lrt"][row["model"]]
        scale = exp["models"][row["model"]]["chisq"]  # a difference of two χ² at rel 1e-5
        assert g["chisq_diff"] == pytest.approx(row["chisq_diff"], abs=1e-5 * scale), row["model"]
        assert g["df_diff"] == row["df_diff"]
        assert g["p_diff"] == pytest.approx(row["p_diff"], abs=1e-4), row["model"]


# --------------------------------------------------------------------------- ordinal section
@pytest.fixture(scope="module", params=ORDINAL_CASES)
def ordinal_case(request):
    case = request.param
    expected = json.loads((OWN / case / "expected.json").read_text())
    data = pd.read_csv(OWN / case / "data.csv")
    return expected, data


def test_thresholds_match_lavaan(ordinal_case):
    expected, data = ordinal_case
    ref = expected["ordinal"]["thresholds_lavaan"]
    got = thresholds(data, items=expected["ordinal"]["items"])
    assert list(got["name"]) == list(ref)  # names, order, and c4's missing third threshold
    np.testing.assert_allclose(got["est"], list(ref.values()), rtol=0, atol=ORDINAL_TOL)


def test_polychoric_matches_lavaan(ordinal_case):
    expected, data = ordinal_case
    items = expected["ordinal"]["items"]
    ref = pd.DataFrame(expected["ordinal"]["polychoric_lavaan"]).loc[items, items]
    res = polychoric(data, items=items)
    assert res.n == expected["data_summary"]["n_used"]
    assert len(res.empty_cell_pairs) > 0  # the point of the case
    np.testing.assert_allclose(res.matrix.loc[items, items].to_numpy(), ref.to_numpy(),
                               rtol=0, atol=ORDINAL_TOL)
    np.testing.assert_allclose(res.thresholds["est"],
                               list(expected["ordinal"]["thresholds_lavaan"].values()),
                               rtol=0, atol=ORDINAL_TOL)


def test_ordinal_alpha_matches_r(ordinal_case):
    expected, data = ordinal_case
    res = polychoric(data, items=expected["ordinal"]["items"])
    for scale, items in expected["spec"]["scales"].items():
        ref = expected["ordinal"]["ordinal_alpha"][scale]["alpha_lavaan_polychoric"]
        assert float(ordinal_alpha(res, items)) == pytest.approx(ref, abs=ORDINAL_TOL), scale
