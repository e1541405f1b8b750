"""The analysis pipeline: which rows each step uses, and what results.json holds."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.pipeline import analyze
from coprod.analysis.reliability import omega_hierarchical
from coprod.analysis.spec import spec_from_dict


@pytest.fixture(scope="module")
def battery():
    rng = np.random.default_rng(7)
    g = rng.normal(size=500)
    cols = {}
    for f in range(3):
        s = rng.normal(size=500)
        for j in range(4):
            cols[f"f{f}_{j}"] = 0.5 * g + 0.6 * s + rng.normal(scale=0.7, size=500)
    df = pd.DataFrame(cols)
    df.iloc[::17, 2] = np.nan  # some missing cells: listwise must drop those rows everywhere
    return df


def test_omega_hierarchical_of_the_battery(battery):
    scales = {f"s{f}": [f"f{f}_{j}" for j in range(4)] for f in range(3)}
    res = analyze(battery, spec_from_dict({"scales": scales}))
    om = res.sections.omega_hierarchical
    items = [i for v in scales.values() for i in v]
    direct = omega_hierarchical(battery.dropna(subset=items), items=items, n_groups=3)
    assert om.omega_h == pytest.approx(direct.omega_h, abs=1e-12)
    assert 0 < om.omega_h < om.omega_total <= 1


def test_listwise_uses_the_same_rows_in_every_step(battery):
    scales = {"s0": ["f0_0", "f0_1", "f0_2", "f0_3"], "s1": ["f1_0", "f1_1", "f1_2", "f1_3"]}
    res = analyze(battery, spec_from_dict({"scales": scales, "cfa": "A =~ f0_0 + f0_1 + f0_2 + f0_3\nB =~ f1_0 + f1_1 + f1_2 + f1_3"}))
    n_complete = int(battery.dropna().shape[0])
    assert res.data_summary.n_used == n_complete
    assert res.sections.reliability["s1"].n == n_complete  # s1 has no missing cell itself
    assert res.sections.cfa.n_used == n_complete


def test_paths_by_sector_are_free_in_each_sector():
    # a label in a multi-group model is one parameter shared by all groups (lavaan): the by-sector
    # model must therefore be unlabelled, or every path would come out equal across sectors
    from coprod.analysis.default import analyze_instrument
    from coprod.analysis.models import structural_model
    from coprod.analysis.responses import simulate
    from coprod.instrument.bank import load_bank

    assert "*" not in structural_model(load_bank(), None, labels=False)
    res = analyze_instrument(simulate(500, seed=2), bootstrap=0, invariance_by=("sector",))
    mg = res.sections.sem_by_sector
    est = {(e.lhs, e.rhs, e.group): e.est for e in mg.estimates if e.op == "~"}
    assert est[("COM", "INS", 1)] != pytest.approx(est[("COM", "INS", 2)], abs=1e-6)
    assert mg.group_equal in (("loadings",), ())
