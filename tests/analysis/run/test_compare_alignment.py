"""The comparison's alignment step on simulated municipalities (analysis/run/compare.py)."""
from __future__ import annotations

import numpy as np
import pytest

from coprod.analysis.alignment import align_factor
from coprod.analysis.models import scale_items
from coprod.analysis.responses import simulate
from coprod.analysis.run.compare import ComparisonResult, _alignment
from coprod.analysis.run.instrument_sections import reverse_keyed
from coprod.analysis.run.records import ComparisonAlignment
from coprod.instrument.bank import load_bank


@pytest.fixture(scope="module")
def aligned():
    bank = load_bank()
    raw = simulate(1200, seed=2021, bank=bank)
    items = [i.id for i in bank.items if i.id in raw.columns]
    raw[items] = raw[items].where(raw[items] != 99)  # don't know is missing, as in the canonical table
    df = reverse_keyed(raw, bank)
    counts = df["municipality"].value_counts()
    big = [g for g in counts.index if counts[g] >= 60][:6]
    return bank, df, big, _alignment(df, "municipality", big, bank)


def test_every_latent_construct_is_aligned_across_the_groups(aligned):
    bank, _, big, al = aligned
    assert isinstance(al, ComparisonAlignment)
    assert al.groups == tuple(big) and al.min_groups == 5 and al.trust_share == 0.25
    assert list(al.factors) == [c for c in bank.latent_order if len(scale_items(bank, c, None)) >= 3]
    for c, f in al.factors.items():
        assert f.method == "fixed" and f.converged
        assert f.items == tuple(scale_items(bank, c, None))
        m, v = np.array([f.mean[g] for g in big]), np.array([f.variance[g] for g in big])
        # re-expressed over the aligned groups: mean of means 0, mean variance 1
        assert m.mean() == pytest.approx(0.0, abs=1e-12) and v.mean() == pytest.approx(1.0, abs=1e-12)
        assert 0.0 <= f.noninvariant_share <= 1.0 and f.trusted == (f.noninvariant_share < 0.25)


def test_aligned_means_are_a_rescaling_of_align_factor(aligned):
    bank, df, big, al = aligned
    c = next(iter(al.factors))
    r = align_factor(df, list(al.factors[c].items), group="municipality", groups=big, method="fixed")
    m, v = np.array(r.mean), np.array(r.variance)
    expect = (m - m.mean()) / np.sqrt(v.mean())
    np.testing.assert_allclose([al.factors[c].mean[g] for g in big], expect, atol=1e-12)
    assert al.factors[c].noninvariant_share == r.noninvariant_share


def test_alignment_round_trips_through_results_json(aligned):
    _, _, _, al = aligned
    d = {"by": "municipality", "groups": {}, "invariance": {"groups_tested": [], "min_group": 50,
                                                             "decision": "not tested"},
         "means_comparable": False, "reason": "r", "overall": {"n": 0, "means": {}},
         "alignment": al.to_dict()}
    r = ComparisonResult(**d)
    assert r.alignment == al and r.to_dict()["alignment"] == al.to_dict()
