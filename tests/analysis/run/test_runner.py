"""The one runner: failures of a step are recorded and the others run; warnings and provenance
are built the same way in every mode; the instrument's plan is generated from the bank."""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

import coprod.analysis.run.compare as run_compare
import coprod.analysis.run.spec_mode as spec_mode
from coprod.analysis.compare import compare_groups
from coprod.analysis.pipeline import analyze
from coprod.analysis.responses import simulate
from coprod.analysis.run import Steps, collect_warnings, instrument_plan, provenance
from coprod.analysis.run.records import NoPaths
from coprod.analysis.spec import spec_from_dict
from coprod.instrument.bank import default_bank_dir, load_bank


def test_a_failed_step_is_an_error_and_the_next_step_runs():
    steps = Steps()
    assert steps.run("bad", lambda: np.linalg.inv(np.zeros((2, 2)))) is None
    assert steps.section("empty", lambda: None) is None
    assert steps.run("good", lambda: 2) == 2
    assert steps.errors == ["bad: Singular matrix"] and list(steps.timings) == ["bad", "empty", "good"]


def test_a_bug_in_a_step_is_not_swallowed():
    with pytest.raises(TypeError):
        Steps().run("bug", lambda: len(3))
    with pytest.raises(KeyError):  # a step may narrow what counts as a data problem
        Steps().run("narrow", lambda: {}["x"], catch=(ValueError,))


def test_warnings_keep_their_order_and_name_their_section():
    sections = {"cfa": {"warnings": ["a", "b"]}, "hypotheses": [{"warnings": ["not a section"]}],
                "sem": {"warnings": None}, "efa": {"warnings": ["c"]}}
    assert collect_warnings(sections, first=["data: x"]) == ("data: x", "cfa: a", "cfa: b", "efa: c")


def test_provenance_order_and_the_caller_wins():
    m = provenance({"seed": 3, "bootstrap": 0}, timings={"cfa": 1.0},
                   source={"instrument_version": "v", "input_sha256": None}, extra={"input_sha256": "h"})
    assert list(m) == ["seed", "bootstrap", "versions", "timings_sec", "instrument_version", "input_sha256"]
    assert m["input_sha256"] == "h" and m["versions"]["numpy"] == np.__version__


def test_spec_mode_records_a_failed_model_and_keeps_the_rest(monkeypatch):
    def singular(*args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(spec_mode, "sem_fit_section", singular)
    rng = np.random.default_rng(3)
    f = rng.normal(size=200)
    df = pd.DataFrame({f"x{i}": f + rng.normal(size=200) for i in range(4)})
    res = analyze(df, spec_from_dict({"scales": {"s": ["x0", "x1", "x2", "x3"]},
                                      "cfa": "F =~ x0 + x1 + x2 + x3", "sem": "F =~ x0 + x1 + x2 + x3"}))
    assert res.sections.reliability["s"].n == 200 and res.sections.cfa.converged
    assert res.sections.sem is None and res.errors == ("sem: Singular matrix",)
    assert res.to_dict()["sem"] == {}  # results.json keeps the failed section's key
    assert list(res.meta)[:4] == ["seed", "spec", "versions", "timings_sec"]
    assert list(res.meta["timings_sec"]) == ["reliability", "efa", "cfa", "sem"]


def test_the_instrument_plan_follows_the_bank(tmp_path):
    shipped = instrument_plan(load_bank(), bootstrap=7)
    assert shipped.bootstrap == 7 and shipped.invariance_by == ("sector", "service_area")
    assert [line.split(" =~ ")[0] for line in shipped.cfa.splitlines()] == ["INS", "VIN", "COM", "REP", "AMB"]
    assert "a1*INS" in shipped.sem and "*" not in shipped.sem_by_sector
    d = tmp_path / "bank"
    shutil.copytree(default_bank_dir(), d)
    design = yaml.safe_load((d / "analysis.yaml").read_text(encoding="utf-8"))
    design["latent_order"] = ["COM", "REP", "AMB"]
    (d / "analysis.yaml").write_text(yaml.safe_dump(design, allow_unicode=True), encoding="utf-8")
    plan = instrument_plan(load_bank(d))
    assert plan.latent == ("COM", "REP", "AMB")
    assert [line.split(" =~ ")[0] for line in plan.cfa.splitlines()] == ["COM", "REP", "AMB"]
    assert set(plan.efa_items) == {i for c in plan.latent for i in plan.htmt_scales[c]}


def test_compare_reports_a_failed_invariance_test_as_a_warning(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("no convergence")

    monkeypatch.setattr(run_compare, "invariance_section", broken)
    monkeypatch.setattr(run_compare, "_paths", lambda df, model, missing: NoPaths(error="not fitted here", n=len(df)))
    res = compare_groups(simulate(400, seed=5), "sector", bank=load_bank(), min_group_for_model=50)
    assert res.warnings == ("invariance by sector: no convergence",)
    assert res.invariance.decision == "not tested" and not res.means_comparable
    assert res.meta == {"instrument_version": load_bank().version}
    assert {g: d.sem.n for g, d in res.groups.items()} == {g: d.n for g, d in res.groups.items()}


def test_compare_paths_by_fiml_use_every_respondent_with_an_answer():
    """``compare --missing fiml`` (issue 11, item 1): a group's paths rest on every respondent with
    an answer, not only the complete rows, and the result says which was used."""
    rng = np.random.default_rng(9)
    f = rng.normal(size=300)
    g = 0.5 * f + rng.normal(scale=0.8, size=300)
    df = pd.DataFrame({**{f"x{i}": f + rng.normal(scale=0.6, size=300) for i in range(3)},
                       **{f"y{i}": g + rng.normal(scale=0.6, size=300) for i in range(3)}})
    df = df.mask(rng.random(df.shape) < 0.1)
    model = "F =~ x0 + x1 + x2\nG =~ y0 + y1 + y2\nG ~ F"
    lw, fi = run_compare._paths(df, model, "listwise"), run_compare._paths(df, model, "fiml")
    assert lw.n == int(df.notna().all(axis=1).sum()) < fi.n == 300
    assert fi.paths["G ~ F"].std_all == pytest.approx(lw.paths["G ~ F"].std_all, abs=0.1)
    kw = dict(bank=load_bank(), min_group_for_model=10**9)  # no models: only what is recorded
    data = simulate(60, seed=9)
    assert compare_groups(data, "sector", missing="fiml", **kw).meta["missing"] == "fiml"
    assert "missing" not in compare_groups(data, "sector", **kw).meta
    with pytest.raises(ValueError, match="missing must be 'listwise' or 'fiml', not 'pairwise'"):
        compare_groups(data, "sector", missing="pairwise", **kw)
