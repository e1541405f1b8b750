"""``coprod plan``: the same table however the replications are scheduled, and known power
recovered where it is known analytically (one regression path)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.plan import (InstrumentPopulation, PlanDesign, RegressionPopulation, analytic_power,
                                  replicate, summarize)
from coprod.cli import main
from coprod.instrument.errors import CoprodError
from coprod.plan import paths_from_results, run_plan


def test_same_table_with_one_and_two_workers(tmp_path, capsys):
    """The CLI on one Dask worker and run_plan on two (one replication per task, so they finish
    in any order) give the same table, to the last bit."""
    out = tmp_path / "plan"
    assert main(["plan", "--n-per-group", "15,25", "--groups", "2", "--reps", "3", "--seed", "7",
                 "--workers", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "on 1 worker(s)" in printed and "ind_INS_COM_AMB" in printed
    assert {p.name for p in out.iterdir()} == {"plan.csv", "plan.svg", "plan.json", "replications.csv"}
    one = pd.read_csv(out / "plan.csv")
    two = run_plan(InstrumentPopulation.default(), PlanDesign((15, 25), 2, 3, seed=7), workers=2, chunk=1)
    assert two.meta["workers"] == 2
    pd.testing.assert_frame_equal(one, pd.read_csv(pd.io.common.StringIO(two.table.to_csv(index=False))))
    assert one["effect"].tolist()[:7] == ["a1", "a2", "b1", "b2", "ind_INS_COM_AMB", "ind_VIN_REP_AMB",
                                          "ind_difference"]
    assert (one["reps"] == 3).all() and one["n_total"].tolist()[::7] == [30, 50]
    assert json.loads((out / "plan.json").read_text())["design"]["seed"] == 7
    assert (out / "plan.svg").read_text().startswith('<svg xmlns="http://www.w3.org/2000/svg"')


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


@pytest.mark.parametrize("name", ["coprod.analysis.plan", "coprod.reports.plan_figure"])
def test_docstring_examples_run(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
