"""``coprod plan``: the same table however the replications are scheduled, and known power
recovered where it is known analytically (one regression path)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.plan import (InstrumentPopulation, PlanDesign, Populations, RegressionPopulation,
                                  analytic_power, replicate, summarize)
from coprod.analysis.plan_invariance import NoninvariancePopulation
from coprod.cli import main
from coprod.instrument.errors import CoprodError
from coprod.plan import paths_from_results, run_plan


def test_same_table_with_one_and_two_workers(tmp_path, capsys):
    """The CLI on one Dask worker and run_plan on two (one replication per task, so they finish
    in any order) give the same table, to the last bit: the paths and the noninvariance tests."""
    out = tmp_path / "plan"
    assert main(["plan", "--n-per-group", "15,25", "--groups", "2", "--reps", "3", "--seed", "7",
                 "--workers", "1", "--noninvariance-loading", "0.2", "--noninvariance-intercept", "0.3",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "on 1 worker(s)" in printed and "ind_INS_COM_AMB" in printed and "scalar_chen" in printed
    assert {p.name for p in out.iterdir()} == {"plan.csv", "plan.svg", "plan.json", "replications.csv"}
    one = pd.read_csv(out / "plan.csv")
    pop = Populations((InstrumentPopulation.default(), NoninvariancePopulation(d_loading=0.2, d_intercept=0.3)))
    two = run_plan(pop, PlanDesign((15, 25), 2, 3, seed=7), workers=2, chunk=1)
    assert two.meta["workers"] == 2
    pd.testing.assert_frame_equal(one, pd.read_csv(pd.io.common.StringIO(two.table.to_csv(index=False))))
    assert one["effect"].tolist()[:11] == ["a1", "a2", "b1", "b2", "ind_INS_COM_AMB", "ind_VIN_REP_AMB",
                                           "ind_difference", "metric_lrt", "metric_chen", "scalar_lrt",
                                           "scalar_chen"]
    assert (one["reps"] == 3).all() and one["n_total"].tolist()[::11] == [30, 50]
    ni = one[one["effect"].str.startswith(("metric", "scalar"))]
    assert ni["true"].tolist() == [0.2, 0.2, 0.3, 0.3] * 2 and ni["power"].between(0, 1).all()
    assert json.loads((out / "plan.json").read_text())["design"]["seed"] == 7
    assert (out / "plan.svg").read_text().startswith('<svg xmlns="http://www.w3.org/2000/svg"')


def test_noninvariance_tests_hold_their_level_and_find_a_large_difference():
    """No noninvariance: the Δχ² tests reject at about alpha (within 3 MC SEs of 0.05); a large one
    (loadings +0.25, intercepts +0.8 SD on 2 of 6 items, 200 per group) is found nearly always."""
    null = NoninvariancePopulation()
    design = PlanDesign((150,), 4, 60, seed=3)
    rows = [r for n, rep in design.tasks() for r in replicate(null, n, rep, seed=3, groups=4)]
    t = summarize(rows, null, design).table.set_index("effect")
    assert (t["convergence_rate"] == 1.0).all()
    for eff in ("metric_lrt", "scalar_lrt"):
        assert abs(t.at[eff, "power"] - 0.05) < 3 * np.sqrt(0.05 * 0.95 / 60), eff
    big = NoninvariancePopulation(d_loading=0.25, d_intercept=0.8)
    design = PlanDesign((200,), 4, 10, seed=4)
    rows = [r for n, rep in design.tasks() for r in replicate(big, n, rep, seed=4, groups=4)]
    t = summarize(rows, big, design).table.set_index("effect")
    assert t.at["metric_lrt", "power"] >= 0.8 and t.at["scalar_lrt", "power"] == 1.0
    assert t.at["scalar_chen", "power"] >= 0.8
    assert big.truth() == {"metric_lrt": 0.25, "metric_chen": 0.25, "scalar_lrt": 0.8, "scalar_chen": 0.8}
    with pytest.raises(CoprodError, match=r"^noninvariance across groups needs --groups 2 or more$"):
        big.sample(10, 1, 1, 0)


def test_a_replication_depends_only_on_its_seed_n_and_rep():
    pop = RegressionPopulation(0.3)
    a = replicate(pop, 50, 4, seed=3, groups=2)
    assert replicate(pop, 50, 4, seed=3, groups=2) == a
    assert replicate(pop, 50, 5, seed=3, groups=2) != a


@pytest.mark.parametrize("n_per_group", [25, 50])
def test_power_of_one_regression_path_is_the_analytic_power(n_per_group):
    """y = 0.2·x + e: the Wald test's power is Φ(δ − 1.96) + Φ(−δ − 1.96), δ = √N·b/√(1 − b²)
    (0.532 at N = 100, 0.823 at N = 200); the Monte Carlo estimate lies within 3 MC SEs."""
    pop, reps, groups = RegressionPopulation(0.2), 500, 4
    design = PlanDesign((n_per_group,), groups, reps, seed=11)
    rows = [r for n, rep in design.tasks() for r in replicate(pop, n, rep, seed=11, groups=groups)]
    row = summarize(rows, pop, design).table.iloc[0]
    expected = analytic_power(0.2, n_per_group * groups)
    assert expected == pytest.approx({25: 0.5324, 50: 0.8230}[n_per_group], abs=5e-4)
    assert row["convergence_rate"] == 1.0
    assert abs(row["power"] - expected) < 3 * np.sqrt(expected * (1 - expected) / reps)
    assert abs(row["bias"]) < 3 * row["sd_est"] / np.sqrt(reps)


def test_planning_population_has_the_standardised_paths():
    pop = InstrumentPopulation.default(paths={"a1": 0.3, "b1": 0.2})
    truth = pop.truth()
    assert truth["a1"] == 0.3 and truth["b1"] == 0.2
    assert truth["ind_INS_COM_AMB"] == pytest.approx(0.06)
    assert truth["ind_difference"] == pytest.approx(0.06 - 0.5 * 0.45)
    with pytest.raises(CoprodError, match=r"^unknown path c9 \(the paths are a1, a2, b1, b2, r\)$"):
        InstrumentPopulation.default(paths={"c9": 0.1})


def test_population_from_a_fitted_results_json(tmp_path, capsys):
    res = tmp_path / "results.json"
    res.write_text(json.dumps({"sem": {"estimates": [
        {"lhs": "COM", "op": "~", "rhs": "INS", "label": "a1", "std_all": 0.41},
        {"lhs": "AMB", "op": "~", "rhs": "COM", "label": "b1", "std_all": 0.22},
        {"lhs": "DEM", "op": "~", "rhs": "AMB", "label": "", "std_all": 0.3},
        {"lhs": "INS", "op": "~~", "rhs": "VIN", "label": "", "std_all": 0.25}]}}), encoding="utf-8")
    assert paths_from_results(res) == {"a1": 0.41, "b1": 0.22, "r": 0.25}
    pop = InstrumentPopulation.default(paths=paths_from_results(res))
    assert pop.params.ins_com == 0.41 and pop.params.ins_vin_correlation == 0.25
    assert pop.truth()["ind_INS_COM_AMB"] == pytest.approx(0.41 * 0.22)
    other = tmp_path / "other.json"
    other.write_text("{}", encoding="utf-8")
    assert main(["plan", "--n-per-group", "10", "--groups", "1", "--reps", "1", "--seed", "1",
                 "--from-results", str(other), "--out", str(tmp_path / "p")]) == 2
    assert capsys.readouterr().err == (f"error: {other}: holds no fitted structural model (no sem estimates "
                                       "with the paths a1, a2, b1, b2)\n")
    assert not (tmp_path / "p").exists()


def test_bad_plan_options_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["plan", "--n-per-group", "40,x", "--groups", "2", "--seed", "1", "--out", "x"])
    assert exc.value.code == 2
    assert "not a list of whole numbers: '40,x'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["plan", "--n-per-group", "40", "--groups", "2", "--seed", "1", "--noninvariance-share", "1.5",
              "--out", "x"])
    assert exc.value.code == 2
    assert "a share above 0 and at most 1, not 1.5" in capsys.readouterr().err
    assert main(["plan", "--n-per-group", "40", "--groups", "1", "--seed", "1", "--noninvariance-loading", "0.2",
                 "--out", "x"]) == 1
    assert "--groups 1: noninvariance across groups needs 2 groups or more" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["coprod.analysis.plan", "coprod.reports.plan_figure",
                                  "coprod.analysis.plan_invariance"])
def test_docstring_examples_run(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
