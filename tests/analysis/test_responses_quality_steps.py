"""The named steps of :func:`quality_flags` (analysis/responses/quality.py): sector groups, the
blocks asked, answered/flat counts per block, attention and speeding, and the module's example."""
from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.responses import quality
from coprod.analysis.responses.canonical import schema_for
from coprod.instrument.bank import load_bank

MINI = Path(__file__).parents[1] / "fixtures" / "bank_min"


@pytest.fixture(scope="module")
def mini():
    return load_bank(MINI)


def test_docstring_examples_run():
    result = doctest.testmod(quality, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_sector_groups_cover_every_row_once():
    sector = np.array(["voluntary", None, "municipal", "other", "municipal"], dtype=object)
    groups = quality._sector_groups(sector)
    assert [(s, rows.tolist()) for s, rows in groups] == \
        [("municipal", [2, 4]), ("voluntary", [0]), (None, [1, 3])]
    # no unknown sector, no None group
    assert [s for s, _ in quality._sector_groups(sector[[0, 2]])] == ["municipal", "voluntary"]


def test_blocks_asked_of_no_known_sector_are_the_common_items(mini):
    schema = schema_for(mini)
    assert quality._blocks_asked(schema, "municipal") == schema.blocks("municipal")
    assert quality._blocks_asked(schema, None) == {"INS": ["INS_C1", "INS_C2"]}


def test_answered_and_flat_ignore_dont_know(mini):
    sc = schema_for(mini).by_name["INS_C1"].scale
    X = np.array([[4, 4, 4], [4, 99, 4], [4, 5, np.nan], [np.nan, np.nan, np.nan]], dtype=float)
    answered, flat = quality._answered_and_flat(X, np.array([0, 1, 2, 3]), [0, 1, 2], sc)
    assert answered.tolist() == [3, 2, 2, 0]
    assert flat.tolist() == [True, True, False, False]
    answered, _ = quality._answered_and_flat(X, np.array([2]), [1], sc)  # a subset of rows/columns
    assert answered.tolist() == [1]


def test_attention_failed(mini):
    att = mini.attention.id
    t = pd.DataFrame({att: [mini.attention.expected, 6, np.nan, np.nan]})
    dk = pd.DataFrame({att: [False, False, False, True]})
    assert quality._attention_failed(t, mini, None).tolist() == [False, True, False, False]
    assert quality._attention_failed(t, mini, dk).tolist() == [False, True, False, True]
    assert not quality._attention_failed(t.drop(columns=[att]), mini, dk).any()


def test_speeding_needs_five_durations_per_sector():
    sector = np.array(["municipal"] * 5 + ["voluntary"] * 4, dtype=object)
    t = pd.DataFrame({"duration_s": [300, 310, 290, 305, 50] + [300, 310, 290, 50]})
    assert quality._speeding(t, sector, 0.4).tolist() == [False] * 4 + [True] + [False] * 4
    assert not quality._speeding(t.drop(columns=["duration_s"]), sector, 0.4).any()
