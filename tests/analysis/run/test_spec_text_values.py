"""Issue 10, defect 5: text such as "n/a" in an item column becomes missing with a warning that
names the column and the count, never silently (spec mode, read through the workflow layer)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from coprod.analysis.spec import spec_from_dict
from coprod.workflow import run_analysis


def _table(seed=3, n=120):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n)
    return pd.DataFrame({f"x{i}": np.clip(np.round(3 + f + rng.normal(size=n)), 1, 5) for i in range(1, 5)})


SPEC = {"scales": {"s": ["x1", "x2", "x3", "x4"]}, "cfa": "s =~ x1 + x2 + x3 + x4"}


def test_text_in_an_item_column_is_missing_with_a_warning(tmp_path):
    df = _table()
    text = df.astype(object)
    text.loc[[3, 10, 40], "x2"] = "n/a"
    text.loc[7, "x2"] = " - "
    text.loc[5, "x4"] = "N/A"
    text.loc[8, "x1"] = ""      # blank: missing, no warning
    text.loc[9, "x3"] = "NA"    # R's missing marker: missing, no warning
    path = tmp_path / "data.csv"
    text.to_csv(path, index=False)
    res = run_analysis(path, spec=spec_from_dict(SPEC))
    notes = [w for w in res.warnings if w.startswith("data:")]
    assert notes == ["data: column 'x2' has 4 value(s) that are not numbers ('n/a', '-'); treated as missing",
                     "data: column 'x4' has 1 value(s) that are not numbers ('N/A'); treated as missing"]
    # the same numbers as with those cells blank
    blank = df.copy()
    blank.loc[[3, 10, 40, 7], "x2"] = np.nan
    blank.loc[5, "x4"] = blank.loc[8, "x1"] = blank.loc[9, "x3"] = np.nan
    ref = tmp_path / "blank.csv"
    blank.to_csv(ref, index=False)
    want = run_analysis(ref, spec=spec_from_dict(SPEC))
    assert res.data_summary.n_used == want.data_summary.n_used == 120 - 7
    assert json.dumps(res.sections.cfa.fit.to_dict()) == json.dumps(want.sections.cfa.fit.to_dict())
    assert not [w for w in want.warnings if w.startswith("data:")]


def test_numeric_data_give_no_data_warning(tmp_path):
    path = tmp_path / "data.csv"
    _table().to_csv(path, index=False)
    res = run_analysis(path, spec=spec_from_dict(SPEC))
    assert not [w for w in res.warnings if w.startswith("data:")]
