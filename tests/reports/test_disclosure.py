"""The disclosure-control layer (reports/disclosure.py): masks across groupings, warnings, analyze.

The attacker's arithmetic over whole runs is tests/test_attacker.py; here each rule on its own.
"""
from __future__ import annotations

import doctest
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.pipeline import AnalysisResult
from coprod.analysis.responses import simulate
from coprod.reports import disclosure
from coprod.reports.disclosure import (PRIVACY_REASON, cross_mask, disclosure_masks, plan_disclosure, resuppress,
                                       scrub_warnings)
from coprod.workflow import analyze_file, report_file

ROOT = Path(__file__).resolve().parents[2]


def test_doctests():
    assert doctest.testmod(disclosure).failed == 0


def _recoverable(n: pd.Series, hidden: pd.Series, min_cell: int) -> bool:
    h = n[hidden & (n > 0)]
    return not h.empty and (len(h) == 1 or h.sum() < min_cell)


@pytest.mark.parametrize("seed", range(40))
def test_no_row_or_column_of_a_cross_table_gives_a_hidden_cell_away(seed):
    rng = np.random.default_rng(seed)
    rows = rng.integers(3, 9)
    cross = pd.DataFrame(rng.choice([0, 1, 2, 3, 4, 6, 9, 20, 40], size=(rows, 2)), columns=["municipal", "voluntary"],
                         index=[f"g{i}" for i in range(rows)])
    m = cross_mask(cross, 5)
    row_n = cross.sum(axis=1)
    hidden_rows = disclosure_masks({"g": row_n}, 5)["g"]
    assert (m[hidden_rows].all(axis=1)).all()  # a hidden group shows no cell
    assert not ((cross >= 1) & (cross < 5) & ~m).any().any()  # no small cell is shown
    for g in cross.index[~hidden_rows]:  # a shown group's n minus its shown cells
        assert not _recoverable(cross.loc[g], m.loc[g], 5), (g, cross, m)
    for s in cross.columns:  # a sector's total minus the shown cells
        if cross[s].sum() >= 5:
            assert not _recoverable(cross[s], m[s], 5), (s, cross, m)


def test_the_sector_column_hides_a_shown_groups_split_when_hidden_cells_add_up_to_little():
    # the issue's case: study report's sector count minus the municipality pages' counts gave 1
    cross = pd.DataFrame({"municipal": [40, 30, 0], "voluntary": [50, 1, 1]}, index=["A", "B", "Tiny"])
    m = cross_mask(cross, 5)
    assert m.loc["Tiny"].all() and m.loc["B"].all()  # B's 1 volunteer, and its 30 with it
    assert m.loc["A"].all()  # 1 + 1 volunteers hidden would be the sector total minus A's 50
    assert not _recoverable(cross["voluntary"], m["voluntary"], 5)


def test_resuppress_keeps_what_was_hidden_and_hides_more_at_a_larger_threshold():
    assert resuppress({"a": None, "b": None, "c": 300}, 5, total=363).to_dict() == {"a": True, "b": True, "c": False}
    assert resuppress({"a": None, "c": 300, "d": 7}, 10, total=310).to_dict() == {"a": True, "c": False, "d": True}
    assert resuppress({"c": 300, "d": 7}, 5).to_dict() == {"c": False, "d": False}


def test_warnings_naming_a_hidden_group_are_left_out_and_counted():
    ws = ["configural: column 'VIN_C2' is constant in group 'integration': its variance is 0",
          "metric: negative variance estimate(s): VIN ~~ VIN (group integration)",
          "Tinyby: 1 row dropped", "Tinybyen is another place", "sem: converged"]
    out = scrub_warnings(ws, {"service_area": {"integration"}, "municipality": {"Tinyby"}})
    assert out == ("Tinybyen is another place", "sem: converged",
                   "3 warnings about a group suppressed for privacy are not shown")
    assert scrub_warnings(ws, {}) == tuple(ws)
    assert scrub_warnings(["fewer usable rows (154) than free parameters", "did not converge"], {},
                          numbers=True) == ("did not converge", "1 warning about a group suppressed for privacy is not shown")


def test_the_plan_hides_the_same_groups_as_the_comparison_pages():
    from coprod.reports.views.published import masks

    t = pd.DataFrame({"sector": ["municipal"] * 60 + ["voluntary"] * 40,
                      "service_area": ["integration"] * 3 + ["other"] * 27 + ["elderly_care"] * 70})
    plan = plan_disclosure(t, min_cell=5)
    assert plan.hidden("service_area") == {"integration", "other"}
    assert plan.cell_hidden("service_area", "integration", "municipal")

    class G:  # the two fields masks() reads of a comparison's group
        def __init__(self, n):
            self.n, self.means = n, {}

    class R:
        groups = {g: G(n) for g, n in t["service_area"].value_counts().items()}
        overall = type("O", (), {"means": {}})()

    row, _, _ = masks(R(), 5)
    assert set(row[row].index) == plan.hidden("service_area")
    with pytest.raises(ValueError, match="min_cell must be a positive integer"):
        plan_disclosure(t, min_cell=0)


@pytest.fixture(scope="module")
def tiny_sector(tmp_path_factory):
    """Every municipal respondent of 300, and three volunteers: the voluntary sector is too small."""
    tmp = tmp_path_factory.mktemp("tiny-sector")
    df = simulate(300, seed=11)
    keep = df[df["sector"] == "municipal"].index.tolist() + df[df["sector"] == "voluntary"].index[:3].tolist()
    data = tmp / "responses.csv"
    df.loc[sorted(keep)].to_csv(data, index=False)
    run = analyze_file(data, out=tmp / "out", bootstrap=0, min_cell=5)
    return tmp, run


def test_a_tiny_sector_publishes_nothing_split_by_sector(tiny_sector):
    tmp, run = tiny_sector
    doc = json.loads((tmp / "out" / "results.json").read_text(encoding="utf-8"))
    assert set(doc["sample"]["by_sector"].values()) == {None}  # both: one sector's n is the other's
    text = json.dumps({k: v for k, v in doc.items() if k not in ("meta", "sample")}, ensure_ascii=False)
    assert "voluntary" not in text.replace("voluntary \u2212 municipal", "")
    assert not doc.get("sem_by_sector")  # written as {} (a section not published)
    r3 = next(h for h in doc["hypotheses"] if h["id"] == "R3")
    assert (r3["verdict"], r3["reason"], r3["n1"], r3["mean1"]) == ("not tested", PRIVACY_REASON, None, None)
    inv = doc["invariance_by"]["sector"]  # None: three volunteers are too few to fit at all
    assert inv is None or (inv["withheld"] is True and inv["configural"]["aic"] is None
                           and inv["configural"]["chisq_by_group"] == {} and "group_counts" not in inv["meta"])
    area = doc["invariance_by"]["service_area"]  # every area shown: its fit is published
    assert area is None or ("withheld" not in area and area["configural"]["npar"] > 0)
    # the published results.json is what coprod report reads again
    again = AnalysisResult.from_dict(doc)
    assert again.sections.sample.by_sector == doc["sample"]["by_sector"]
    html = (tmp / "out" / "report.html").read_text(encoding="utf-8")
    assert "suppressed for privacy (too few respondents to publish)" in html  # R3's reason


def test_report_reads_the_published_results_again_with_a_larger_threshold(tiny_sector):
    tmp, _ = tiny_sector
    out = report_file(tmp / "out" / "results.json", out=tmp / "again.html", min_cell=10, tables="csv")
    sample = (tmp / "again-tables" / "sample.by_sector.csv").read_text(encoding="utf-8")
    assert sample.count("suppressed") == 4 and out.files


def test_analyze_takes_min_cell():
    done = subprocess.run([sys.executable, "-m", "coprod", "analyze", "x.csv", "--out", "o", "--min-cell", "0"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "--min-cell" in done.stderr and "Traceback" not in done.stderr


def test_spec_mode_suppresses_the_specs_group(tmp_path):
    rng = np.random.default_rng(1)
    f = rng.normal(size=200)
    d = pd.DataFrame({f"x{i}": np.round(3 + f + rng.normal(scale=0.7, size=200)) for i in range(1, 5)})
    d["g"] = ["A"] * 3 + ["B"] * 60 + ["C"] * 137
    d.to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "s.yaml").write_text("scales:\n  s: [x1, x2, x3, x4]\ncfa: |\n  F =~ x1 + x2 + x3 + x4\ngroup: g\n")
    run = analyze_file(tmp_path / "t.csv", spec=tmp_path / "s.yaml", out=tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert doc["data_summary"]["group_counts"] == {"A": None, "B": None, "C": 137}
    inv = doc["invariance"]
    assert inv["withheld"] is True and inv["configural"]["aic"] is None and inv["configural"]["chisq_by_group"] == {}
    assert not any("'A'" in w or "group A" in w for w in run.warnings)
