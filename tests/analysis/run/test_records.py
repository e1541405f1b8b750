"""The typed section records: results.json round-trips through them byte for byte, a key they
do not know fails with its path, and renderers cannot misspell a field."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.run.records import (ABSENT, CfaSection, Estimate, Fit, InvarianceSection, MeanHypothesis,
                                         PathHypothesis, RecordError, Sections, SemSection, opt)
from coprod.analysis.run.results import AnalysisResult
from coprod.analysis.spec import spec_from_dict
from coprod.api import analyze

HS = Path(__file__).resolve().parents[2] / "fixtures" / "sem" / "holzinger_swineford_1939.csv"
MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def hs_result() -> AnalysisResult:
    df = pd.read_csv(HS)
    scales = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
    spec = spec_from_dict({"scales": scales, "cfa": MODEL, "group": "school", "seed": 1,
                           "sem": MODEL + "\ntextual ~ a*visual\nspeed ~ b*textual\nind := a*b"})
    return analyze(df, spec)


def _text(d: dict) -> str:
    return json.dumps(d, allow_nan=False)


def test_every_section_is_a_record(hs_result):
    s = hs_result.sections
    assert list(s.names()) == ["reliability", "validity", "omega_hierarchical", "efa", "cfa", "invariance", "sem"]
    assert isinstance(s.cfa, CfaSection) and isinstance(s.sem, SemSection) and isinstance(s.invariance,
                                                                                        InvarianceSection)
    assert isinstance(s.cfa.fit, Fit) and all(isinstance(e, Estimate) for e in s.cfa.estimates)
    assert s.invariance.group == "school" and s.invariance.configural.df == 48  # lavaan: 24 per school
    assert s.sem.defined[0].name == "ind" and s.sem.defined[0].ci_method == "delta method (Wald)"
    assert s.reliability["visual"].k == 3 and s.efa.solution.n_factors == 3


def test_results_json_round_trips_byte_for_byte(hs_result):
    d = hs_result.to_dict()
    back = AnalysisResult.from_dict(json.loads(_text(d)))
    assert _text(back.to_dict()) == _text(d)
    # read back, numbers are plain JSON numbers; the records are the same types
    assert isinstance(back.sections.cfa, CfaSection) and back.sections.cfa.fit.npar == hs_result.sections.cfa.fit.npar


def test_an_unknown_or_missing_key_names_its_path(hs_result):
    d = json.loads(_text(hs_result.to_dict()))
    d["cfa"]["fit"]["cfi_robust_typo"] = 0.9
    with pytest.raises(ValueError, match=r"^cfa\.fit: unknown key 'cfi_robust_typo'$"):
        AnalysisResult.from_dict(d)
    d = json.loads(_text(hs_result.to_dict()))
    del d["invariance"]["decision"]
    with pytest.raises(ValueError, match=r"^invariance: missing 'decision'$"):
        AnalysisResult.from_dict(d)
    d = json.loads(_text(hs_result.to_dict()))
    d["sem"]["estimates"][3]["est"] = "0.5"
    with pytest.raises(ValueError, match=r"^sem\.estimates\[3\]\.est: expected float, got '0\.5'$"):
        AnalysisResult.from_dict(d)
    with pytest.raises(ValueError, match=r"^unknown section 'cfa_by_municipality'$"):
        AnalysisResult.from_dict({"meta": {}, "warnings": [], "cfa_by_municipality": {}})


def test_a_misspelt_field_fails_instead_of_rendering_nothing(hs_result):
    fit = hs_result.sections.cfa.fit
    with pytest.raises(AttributeError):
        fit.rmsea_lower  # noqa: B018 - a field that does not exist (rmsea_ci_lower)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.cfi = 1.0
    with pytest.raises(TypeError):
        Fit(**{**{f.name: None for f in dataclasses.fields(Fit)}, "cfii": 1})


def test_optional_keys_are_left_out_not_written_as_null():
    h = PathHypothesis(id="H1", statement="s", test="SEM path COM ~ INS", verdict="not tested")
    assert h.to_dict() == {"id": "H1", "statement": "s", "test": "SEM path COM ~ INS", "verdict": "not tested"}
    assert h.estimate is ABSENT and opt(h.estimate) is None and not h.estimate
    m = MeanHypothesis.from_dict({"id": "R1", "statement": "s", "test": "Welch", "n1": 1, "n2": 9, "diff": None,
                                  "t": None, "df": None, "p": None, "g": None, "verdict": "not tested"})
    assert list(m.to_dict()) == ["id", "statement", "test", "n1", "n2", "diff", "t", "df", "p", "g", "verdict"]


def test_numpy_numbers_from_an_analysis_are_accepted_and_kept():
    row = Estimate.from_dict({"lhs": "f", "op": "=~", "rhs": "x1", "est": np.float64(1.0), "se": np.nan,
                              "z": None, "pvalue": None, "ci_lower": None, "ci_upper": None, "std_lv": 1.0,
                              "std_all": 0.7, "free": np.int64(0)})
    assert isinstance(row.est, np.float64) and np.isnan(row.se)
    with pytest.raises(RecordError, match=r"^Estimate\.lhs: expected str, got 3$"):
        Estimate.from_dict({**row.to_dict(), "lhs": 3})


def test_a_failed_step_is_null_and_renders_as_absent():
    s = Sections.of({"cfa": None, "sem": {}})
    assert s.cfa is None and s.sem is None and list(s.names()) == []
    assert s.to_dict() == {"cfa": {}, "sem": {}}


def test_an_efa_that_extracts_nothing_is_still_a_record():
    # 25 respondents: too few complete rows; the section says so instead of failing its record
    from coprod.analysis.responses import simulate
    from coprod.analysis.run.sections import efa_section
    df = simulate(25, seed=3).iloc[:4]
    items = ["INS_C1", "INS_C2", "INS_C3", "VIN_C1", "VIN_C2", "VIN_C3"]
    sec = efa_section(df, items, n_factors=2, fallback=2, method="minres", rotation="oblimin", n_iter=5,
                      seed=1, missing="listwise")
    fit = sec.solution.fit
    assert fit.chisq is None and fit.objective is None and fit.n_obs == sec.solution.n_obs
    assert sec.solution.warnings
