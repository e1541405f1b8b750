"""The simulator: reproducible, the population model of constructs.md, the paper's hypotheses."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coprod.analysis.responses import (MUNICIPALITIES, SimulationParams, from_table, score,
                                       simulate, simulate_population)
from coprod.analysis.responses.simulate import _loading, _thresholds
from coprod.instrument.bank import load_bank


@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.fixture(scope="module")
def study(bank):
    sim = simulate_population(4000, seed=21, bank=bank)
    data = from_table(sim.table, bank=bank)
    return sim, data, score(data.table, bank).reset_index(drop=True)


def test_same_seed_same_table(bank):
    a = simulate(200, seed=1, bank=bank)
    pd.testing.assert_frame_equal(a, simulate(200, seed=1, bank=bank))
    assert not a.equals(simulate(200, seed=2, bank=bank))


def test_bad_arguments(bank):
    with pytest.raises(ValueError, match="n must be a positive whole number"):
        simulate(0, seed=1, bank=bank)
    with pytest.raises(ValueError, match="seed must be an integer"):
        simulate(10, seed="x", bank=bank)


def test_sample_composition(study, bank):
    _, data, _ = study
    t = data.table
    assert t["sector"].eq("municipal").mean() == pytest.approx(0.4, abs=0.03)
    assert set(t["service_area"]) == {"elderly_care", "integration", "other"}
    assert t["municipality"].nunique() == 20 and "Høje-Taastrup" in set(t["municipality"])
    assert set(t["municipality"]) <= set(MUNICIPALITIES)
    for s in ("municipal", "voluntary"):
        roles = {c.name for q in bank.context if q.id == "role" for c in q.choices if s in c.sectors}
        assert set(t.loc[t["sector"] == s, "role"]) <= roles
    # don't know ~2 % and missing ~2 % of the items asked
    asked = sum(int((t["sector"] == s).sum()) * len(bank.items_for(s)) for s in ("municipal", "voluntary"))
    items = [i.id for i in bank.items]
    dk = int(data.dont_know[items].to_numpy().sum())
    not_asked = sum(int((~t["sector"].isin(i.sectors)).sum()) for i in bank.items)
    missing = int(t[items].isna().to_numpy().sum()) - dk - not_asked
    assert dk / asked == pytest.approx(0.02, abs=0.004)
    assert missing / asked == pytest.approx(0.02, abs=0.004)
    assert (t["duration_s"] > 0).all()


def test_structural_paths(study):
    _, _, s = study
    c = s[["INS", "COM", "REP", "VIN", "AMB"]].corr()
    assert c.loc["INS", "COM"] > 0.3 and c.loc["VIN", "REP"] > 0.3
    assert c.loc["COM", "AMB"] > 0.2 and c.loc["REP", "AMB"] > 0.3
    assert abs(c.loc["INS", "REP"]) < 0.15  # no direct path
    strategies = ["SEL", "IND", "SEP", "DEP", "SYM", "DEM", "WEL"]
    assert all(s["AMB"].corr(s[k]) > 0.1 for k in strategies)


def test_further_hypotheses_of_the_paper(study):
    _, data, s = study
    t = data.table.reset_index(drop=True)
    managers = t["role"].isin(["manager", "volunteer_manager"])
    frontline = t["role"].isin(["frontline_employee", "frontline_volunteer"])
    assert s.loc[managers, "COM"].mean() > s.loc[frontline, "COM"].mean() + 0.2
    assert s.loc[frontline, "REP"].mean() > s.loc[managers, "REP"].mean() + 0.2
    by_sector = t.groupby("sector")["asymmetry"].mean()
    assert by_sector["voluntary"] > by_sector["municipal"] + 0.4
    area = t["service_area"]
    assert s.loc[area == "integration", "SEL"].mean() > s.loc[area == "elderly_care", "SEL"].mean() + 0.2
    assert s.loc[area == "elderly_care", "IND"].mean() > s.loc[area == "integration", "IND"].mean() + 0.2


def test_path_strengths_are_parameters(bank):
    none = SimulationParams(ins_com=0.0, careless_rate=0.0)
    s = score(simulate(3000, seed=4, bank=bank, params=none), bank)
    assert abs(s["INS"].corr(s["COM"])) < 0.08
    strong = SimulationParams(ins_com=0.9, careless_rate=0.0)
    s = score(simulate(3000, seed=4, bank=bank, params=strong), bank)
    assert s["INS"].corr(s["COM"]) > 0.55


def test_core_items_invariant_by_default(bank):
    p = SimulationParams()
    core = next(i for i in bank.items if i.is_core)
    sc = bank.scales[core.scale]
    assert _loading(core, "municipal", p) == _loading(core, "voluntary", p)
    np.testing.assert_array_equal(_thresholds(core.id, sc, "municipal", True, p),
                                  _thresholds(core.id, sc, "voluntary", True, p))
    lo, hi = p.core_loadings
    assert lo <= _loading(core, "municipal", p) <= hi
    dif = SimulationParams(core_noninvariance=0.2)
    assert _loading(core, "municipal", dif) != _loading(core, "voluntary", dif)
    over = SimulationParams(loadings={core.id: {"voluntary": 0.3}})
    assert _loading(core, "voluntary", over) == 0.3


def test_rates_and_durations_are_parameters(bank):
    clean = SimulationParams(missing_rate=0, dont_know_rate=0, careless_rate=0, durations=False)
    data = from_table(simulate(300, seed=6, bank=bank, params=clean), bank=bank)
    assert data.dont_know.to_numpy().sum() == 0
    assert data.table["duration_s"].isna().all()
    assert not data.flags["speeding"].any() and not data.flags["straightlining"].any()
    assert SimulationParams().to_dict()["ins_com"] == 0.45


def test_cli_simulate_and_validate(tmp_path, capsys):
    from coprod.cli import main

    out = tmp_path / "demo.csv"
    assert main(["simulate", "--n", "40", "--seed", "3", "--out", str(out), "-q"]) == 0
    assert main(["validate", str(out)]) == 0
    assert "40 respondent(s), canonical table, no problems" in capsys.readouterr().out
    kobo = tmp_path / "kobo.csv"
    assert main(["simulate", "--n", "40", "--seed", "3", "--format", "kobo", "--out", str(kobo),
                 "-q"]) == 0
    assert main(["validate", str(kobo), "--json"]) == 0
    broken = tmp_path / "broken.csv"
    broken.write_text(out.read_text("utf-8").replace("\n1,", "\n1,sector_x_", 1), "utf-8")
    assert main(["validate", str(broken)]) == 1
    (tmp_path / "empty.csv").write_bytes(b"")
    assert main(["validate", str(tmp_path / "empty.csv")]) == 2
