"""Scoring (reverse-keying, minimum items, Griffin index) and data-quality flags."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.responses import (from_table, griffin, quality_flags, score, simulate,
                                       simulate_population)
from coprod.instrument.bank import load_bank

MINI = Path(__file__).parents[1] / "fixtures" / "bank_min"


@pytest.fixture(scope="module")
def mini():
    return load_bank(MINI)


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def _mini_table(mini, rows: list[dict]) -> pd.DataFrame:
    """A canonical table of the mini bank (INS: C1, C2 reversed, M1 municipal, V1 voluntary)."""
    t = simulate(len(rows), seed=0, bank=mini)
    for k, r in enumerate(rows):
        for col in ("INS_C1", "INS_C2", "INS_M1", "INS_V1", "SEL_M1"):
            t.loc[k, col] = np.nan
        for col, v in r.items():
            t.loc[k, col] = v
        sector = t.loc[k, "sector"]
        t.loc[k, "role"] = "manager" if sector == "municipal" else "frontline_volunteer"
        t.loc[k, "organisation_type"] = ("municipal_department" if sector == "municipal"
                                         else "local_association")
    return t


def test_reverse_keying_and_sector_scale(mini):
    t = _mini_table(mini, [
        {"sector": "municipal", "INS_C1": 7, "INS_C2": 1, "INS_M1": 7, "SEL_M1": 4},
        {"sector": "voluntary", "INS_C1": 2, "INS_C2": 5, "INS_V1": 2},
    ])
    s = score(from_table(t, bank=mini).table, mini, keep_flagged=True)
    # municipal: (7 + (1+7-1) + 7) / 3; voluntary: (2 + 3 + 2) / 3 with its own facet item
    assert s["INS"].tolist() == pytest.approx([7.0, 7 / 3])
    assert s["SEL"].iloc[0] == 4.0 and np.isnan(s["SEL"].iloc[1])  # SEL is not asked of volunteers
    assert np.isnan(s["griffin"]).all()  # the mini bank has no COM/REP


def test_minimum_items_rule(mini):
    t = _mini_table(mini, [
        {"sector": "municipal", "INS_C1": 6},                  # 1 of 3 answered
        {"sector": "municipal", "INS_C1": 6, "INS_M1": 4},     # 2 of 3
        {"sector": "municipal", "INS_C1": 6, "INS_C2": 99},    # don't know is not an answer
    ])
    table = from_table(t, bank=mini, strict=False).table
    assert score(table, mini, keep_flagged=True)["INS"].tolist()[:2] == pytest.approx(
        [np.nan, 5.0], nan_ok=True)
    assert np.isnan(score(table, mini, keep_flagged=True)["INS"].iloc[2])
    assert score(table, mini, min_items=1, keep_flagged=True)["INS"].tolist() == [6.0, 5.0, 6.0]
    assert np.isnan(score(table, mini, min_items=1.0, keep_flagged=True)["INS"]).all()
    # a raw table still holding 99 scores the same as the read one
    assert score(t, mini, min_items=1, keep_flagged=True)["INS"].tolist() == [6.0, 5.0, 6.0]
    with pytest.raises(ValueError, match="min_items"):
        score(table, mini, min_items=0)
    with pytest.raises(ValueError, match="min_items"):
        score(table, mini, min_items=1.5)


def test_core_only(mini):
    t = _mini_table(mini, [{"sector": "municipal", "INS_C1": 7, "INS_C2": 7, "INS_M1": 1}])
    table = from_table(t, bank=mini).table
    assert score(table, mini, keep_flagged=True)["INS"].iloc[0] == pytest.approx(3.0)
    assert score(table, mini, core_only=True, keep_flagged=True)["INS"].iloc[0] == pytest.approx(4.0)


def test_griffin_index():
    # (P + N)/2 - |P - N| (Thompson, Zanna & Griffin 1995)
    assert griffin(6.0, 6.0) == 6.0
    assert griffin(7.0, 1.0) == -2.0
    assert griffin(1.0, 1.0) == 1.0
    np.testing.assert_allclose(griffin(np.array([5.0, 2.0]), np.array([3.0, 6.0])), [2.0, 0.0])


def test_griffin_column_from_com_and_rep(bank):
    data = from_table(simulate(300, seed=8, bank=bank), bank=bank)
    s = score(data.analysis_table(), bank)
    p, n = s["COM"].to_numpy(), s["REP"].to_numpy()
    np.testing.assert_allclose(s["griffin"].to_numpy(), (p + n) / 2 - np.abs(p - n))
    assert list(s.columns) == ["respondent_id", "sector", *bank.constructs, "griffin"]
    # felt ambivalence and the Griffin index go together (a validity check in reports)
    assert s["AMB"].corr(s["griffin"]) > 0.15


def test_flagged_respondents_left_out_by_default(bank):
    data = from_table(simulate(400, seed=9, bank=bank), bank=bank)
    n_flagged = int(data.flags["flagged"].sum())
    assert n_flagged > 0
    assert len(score(data.analysis_table(), bank)) == 400 - n_flagged
    # a table carrying the flag column: score leaves flagged respondents out unless told not to
    assert len(score(data.analysis_table(keep_flagged=True), bank)) == 400 - n_flagged
    assert len(score(data.analysis_table(keep_flagged=True), bank, keep_flagged=True)) == 400
    assert len(score(data.table, bank)) == 400  # no flag column, nothing to leave out


def test_quality_flags_find_the_careless(bank):
    sim = simulate_population(3000, seed=21, bank=bank)
    data = from_table(sim.table, bank=bank)
    f = data.flags.reset_index(drop=True)
    careless = sim.careless
    straight = careless == "straightline"
    rand = careless == "random"
    genuine = careless == ""
    assert f.loc[straight, "straightlining"].mean() > 0.95
    assert f.loc[rand, "attention_failed"].mean() > 0.7
    assert f.loc[~genuine, "flagged"].mean() > 0.9
    assert f.loc[genuine, "straightlining"].mean() < 0.005
    assert f.loc[genuine, "flagged"].mean() < 0.05
    assert f["speeding"].sum() > 0 and f.loc[genuine, "speeding"].mean() < 0.03
    counts = data.counts()["flags"]
    assert counts["flagged"] == int(f["flagged"].sum())


def test_quality_flag_rules(mini):
    rows = [
        {"sector": "municipal", "INS_C1": 4, "INS_C2": 4, "INS_M1": 4, "SEL_M1": 2,
         "ATT_1": 2, "duration_s": 300},
        {"sector": "municipal", "INS_C1": 4, "INS_C2": 5, "INS_M1": 4, "SEL_M1": 2,
         "ATT_1": 6, "duration_s": 310},
        {"sector": "municipal", "INS_C1": 4, "ATT_1": 2, "duration_s": 40},
    ] + [{"sector": "municipal", "INS_C1": 5, "INS_C2": 3, "INS_M1": 5, "SEL_M1": 3,
          "ATT_1": 2, "duration_s": 290 + k} for k in range(5)]
    t = _mini_table(mini, rows)
    f = quality_flags(t, mini, straightline_min_items=3)
    assert f["straightlining"].tolist()[:3] == [True, False, False]
    assert f["attention_failed"].tolist()[:3] == [False, True, False]
    assert f["speeding"].tolist()[:3] == [False, False, True]
    assert f["missingness"].tolist()[:3] == [False, False, True]  # 3 of 4 items missing
    assert f["flagged"].tolist() == [True, True, True] + [False] * 5
    # with the default minimum block size of 4, the 3-item block does not count
    assert not quality_flags(t, mini)["straightlining"].any()
    # a don't-know on the attention check fails it
    dk = pd.DataFrame({"ATT_1": [False] * 7 + [True]}, index=t.index)
    assert quality_flags(t, mini, dont_know=dk)["attention_failed"].iloc[7]


@pytest.mark.parametrize("name", ["coprod.analysis.responses", "coprod.analysis.responses.scoring",
                                  "coprod.analysis.responses.quality", "coprod.analysis.responses.simulate"])
def test_docstring_examples_run(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
