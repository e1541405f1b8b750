import numpy as np
import pandas as pd
import pytest

from coprod.reports.suppression import (SUPPRESSED, apply_suppression, suppress_columns, suppress_small_cells,
                                 total_is_small)


def _supp(counts, min_cell=5):
    return suppress_small_cells(pd.Series(counts), min_cell).to_dict()


@pytest.mark.parametrize("counts, expected", [
    # one small group alone would be total - shown: the next-smallest (B) is hidden with it
    ({"A": 3, "B": 40, "C": 41}, {"A": True, "B": True, "C": False}),
    # two small groups adding up to min_cell: nothing recoverable, nothing more hidden
    ({"A": 3, "B": 2, "C": 50}, {"A": True, "B": True, "C": False}),
    ({"A": 10, "B": 12}, {"A": False, "B": False}),
    # two small groups adding up to < min_cell: their sum is a small cell, hide one more
    ({"A": 1, "B": 1, "C": 9, "D": 30}, {"A": True, "B": True, "C": True, "D": False}),
    # exactly min_cell is shown
    ({"A": 5, "B": 7}, {"A": False, "B": False}),
    # an empty group has nothing to protect and does not count as a cover
    ({"A": 0, "B": 3, "C": 20, "D": 30}, {"A": False, "B": True, "C": True, "D": False}),
    # ties broken by table order
    ({"A": 2, "B": 30, "C": 30}, {"A": True, "B": True, "C": False}),
    # every group small: all hidden
    ({"A": 1, "B": 2}, {"A": True, "B": True}),
])
def test_examples(counts, expected):
    assert _supp(counts) == expected


def test_min_cell_is_respected():
    assert _supp({"A": 8, "B": 40, "C": 41}, min_cell=10) == {"A": True, "B": True, "C": False}
    assert _supp({"A": 8, "B": 40, "C": 41}, min_cell=5) == {"A": False, "B": False, "C": False}


def test_no_suppressed_group_is_recoverable_random_tables():
    rng = np.random.default_rng(20240611)
    for _ in range(500):
        k = int(rng.integers(2, 8))
        counts = pd.Series(rng.integers(0, 25, size=k), index=[f"g{i}" for i in range(k)])
        mask = suppress_small_cells(counts)
        hidden = counts[mask]
        assert not ((counts >= 1) & (counts < 5) & ~mask).any(), "primary cell shown"
        assert (counts[mask] > 0).all(), "empty group suppressed"
        if mask.any():
            everything_hidden = mask[counts > 0].all()
            assert everything_hidden or (len(hidden) >= 2 and hidden.sum() >= 5), counts.to_dict()


def test_total_is_small():
    assert total_is_small(pd.Series({"A": 1, "B": 2}))
    assert not total_is_small(pd.Series({"A": 3, "B": 2}))
    assert not total_is_small(pd.Series({"A": 0, "B": 0}))


@pytest.mark.parametrize("bad", [{"A": -1, "B": 9}, {"A": 2.5, "B": 9}, {"A": None, "B": 9}])
def test_bad_counts_are_rejected(bad):
    with pytest.raises(ValueError, match="non-negative whole numbers"):
        suppress_small_cells(pd.Series(bad))


def test_bad_min_cell_and_types():
    with pytest.raises(ValueError, match="min_cell"):
        suppress_small_cells(pd.Series({"A": 3}), 0)
    with pytest.raises(TypeError):
        suppress_small_cells({"A": 3})
    with pytest.raises(ValueError, match="duplicate"):
        suppress_small_cells(pd.Series([3, 9], index=["A", "A"]))


def test_suppress_columns_works_per_column():
    counts = pd.DataFrame({"COM": [3, 40, 41], "REP": [6, 40, 41]}, index=["A", "B", "C"])
    mask = suppress_columns(counts)
    assert mask["COM"].tolist() == [True, True, False]
    assert mask["REP"].tolist() == [False, False, False]


def test_apply_suppression_rows_keeps_missing_distinct():
    table = pd.DataFrame({"n": [3, 40, 41], "mean": [4.2, np.nan, 5.0]}, index=["A", "B", "C"])
    out = apply_suppression(table, pd.Series({"A": True, "B": False, "C": False}))
    assert out.loc["A", "n"] is SUPPRESSED and out.loc["A", "mean"] is SUPPRESSED
    assert pd.isna(out.loc["B", "mean"]) and out.loc["B", "mean"] is not SUPPRESSED
    assert out.loc["C", "mean"] == 5.0
    assert table.loc["A", "n"] == 3  # input untouched


def test_apply_suppression_cells_and_series():
    table = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]}, index=["A", "B"])
    mask = pd.DataFrame({"x": [False, True], "y": [True, False]}, index=["A", "B"])
    out = apply_suppression(table, mask)
    assert [out.loc["B", "x"], out.loc["A", "y"]] == [SUPPRESSED, SUPPRESSED]
    assert out.loc["A", "x"] == 1.0
    s = apply_suppression(pd.Series({"A": 1.0, "B": 2.0}), pd.Series({"A": False, "B": True}))
    assert s["B"] is SUPPRESSED and s["A"] == 1.0
    with pytest.raises(ValueError, match="no entry"):
        apply_suppression(table, pd.Series({"A": True}))
