"""Issue 14's "done when": three municipalities on three platforms, two waves, in one study,
compared by municipality (response rates, change per group) -- through the CLI, as the README
shows it -- and the pieces (rates, Welch change, suppression per group × wave) on their own."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from coprod.analysis.run.rates import response_rates
from coprod.analysis.run.records import GroupRate, MeanCi, ResponseRates, WaveGroup, WaveStats
from coprod.analysis.run.waves import welch_change
from coprod.cli import main
from coprod.reports.views.published_waves import publish_change, publish_rates

#: (file, platform, municipality, wave, n, seed): Vejle has 4 respondents in 2026 (suppressed)
EXPORTS = (("aarhus_kobo.csv", "kobo", "Aarhus", "2026", 110, 1),
           ("odense_ls.csv", "limesurvey", "Odense", "2026", 90, 2),
           ("vejle_redcap.csv", "redcap", "Vejle", "2026", 4, 3),
           ("aarhus_2027_q.csv", "qualtrics", "Aarhus", "2027", 110, 4),
           ("odense_2027_kobo.csv", "kobo", "Odense", "2027", 90, 5),
           ("vejle_2027_redcap.csv", "redcap", "Vejle", "2027", 70, 6))

INVITED = ("municipality,sector,invited\nAarhus,municipal,100\nAarhus,voluntary,200\n"
           "Odense,municipal,80\nOdense,voluntary,150\nVejle,municipal,60\nVejle,voluntary,120\n")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    d = tmp_path_factory.mktemp("waves")
    st = str(d / "study")
    assert main(["study", "init", st, "-q"]) == 0
    for name, fmt, mun, wave, n, seed in EXPORTS:
        assert main(["simulate", "--n", str(n), "--seed", str(seed), "--format", fmt, "--out", str(d / name), "-q"]) == 0
        assert main(["study", "add", st, str(d / name), "--municipality", mun, "--wave", wave, "-q"]) == 0
    (d / "invited.csv").write_text(INVITED, encoding="utf-8")
    assert main(["study", "invited", st, str(d / "invited.csv"), "-q"]) == 0
    out = d / "by-municipality"
    assert main(["compare", st, "--by", "municipality", "--out", str(out), "-q"]) == 0
    assert main(["plan", "--n-per-group", "20,30", "--groups", "2", "--reps", "2", "--seed", "1", "--workers", "1",
                 "--noninvariance-loading", "0.2", "--noninvariance-intercept", "0.3", "--out", str(d / "plan"),
                 "-q"]) == 0
    return d, out


def test_the_workflow_reports_rates_and_change(workflow):
    d, out = workflow
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert res["meta"]["waves"] == ["2026", "2027"]
    platforms = {i["file"]: i["platform"] for i in res["meta"]["imports"]}  # the later wave's imports
    assert platforms == {"aarhus_2027_q.csv": "qualtrics", "odense_2027_kobo.csv": "kobo",
                         "vejle_2027_redcap.csv": "redcap"}
    # wave 2027 is the page's wave: every group is shown with n / invited
    rates = res["response_rates"]
    assert rates["wave"] == "2027"
    for g, invited in (("Aarhus", 300), ("Odense", 230), ("Vejle", 180)):
        n = res["groups"][g]["n"]
        assert rates["groups"][g] == {"invited": invited, "rate": pytest.approx(n / invited)}
    assert rates["overall"]["invited"] == 710
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'id="rates-table"' in index and "Response rate" in index
    # change: invariance across the waves was tested, and Aarhus (shown in both waves) has a change
    waves = res["waves"]
    assert waves["waves"] == ["2026", "2027"] and waves["invariance"]["groups_tested"] == ["2026", "2027"]
    assert waves["invariance"]["decision"] in ("scalar", "partial_scalar")
    assert waves["comparable"] is True
    aarhus = waves["groups"]["Aarhus"]["COM"]
    assert aarhus["change"]["diff"] == pytest.approx(aarhus["after"]["mean"] - aarhus["before"]["mean"])
    assert aarhus["change"]["lower"] < aarhus["change"]["diff"] < aarhus["change"]["upper"]
    assert f'data-change-group="Aarhus" data-construct="COM" data-change="{aarhus["change"]["diff"]}"' in index
    # Vejle (4 in 2026) is hidden in 2026, and Odense with it (else Vejle = total - Aarhus - Odense):
    # neither has a 2026 figure or a change anywhere
    assert waves["n"]["Vejle"] == {"2026": None, "2027": res["groups"]["Vejle"]["n"]}
    assert waves["n"]["Odense"]["2026"] is None
    for g in ("Vejle", "Odense"):
        for c, cell in waves["groups"][g].items():
            assert cell["before"] == {"suppressed": True} and "change" not in cell, (g, c)
        assert f'data-change-group="{g}"' not in index
    page = _text((out / "group-vejle.html").read_text(encoding="utf-8"))
    assert "figures of wave 2026 are not shown" in page
    assert "Response rate = " in page
    plan = pd.read_csv(d / "plan" / "plan.csv")
    assert {"ind_INS_COM_AMB", "metric_lrt", "scalar_chen"} <= set(plan["effect"]) and (plan["reps"] == 2).all()


def test_a_group_suppressed_on_the_page_shows_no_rate(workflow, tmp_path):
    d, _ = workflow
    out = tmp_path / "w2026"
    assert main(["compare", str(d / "study"), "--by", "municipality", "--wave", "2026", "--out", str(out), "-q"]) == 0
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert "waves" not in res  # one wave: no change
    rates = res["response_rates"]
    assert rates["groups"]["Vejle"] == {"suppressed": True} and rates["groups"]["Odense"] == {"suppressed": True}
    assert rates["groups"]["Aarhus"]["rate"] == pytest.approx(res["groups"]["Aarhus"]["n"] / 300)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'data-rate-group="Vejle"' not in index and 'data-rate-group="Odense"' not in index
    vejle = (out / "group-vejle.html").read_text(encoding="utf-8")
    assert "data-rate" not in vejle and 'id="change"' not in vejle


def test_danish_pages_of_the_waves(workflow, tmp_path):
    from tests.reports.test_danish import english_words

    d, _ = workflow
    out = tmp_path / "da"
    assert main(["compare", str(d / "study"), "--by", "municipality", "--lang", "da", "--out", str(out), "-q"]) == 0
    for name in ("index.html", "group-aarhus.html", "group-vejle.html"):
        html = (out / name).read_text(encoding="utf-8")
        assert "Ændring mellem runderne" in html and "Svarprocent" in html
        assert english_words(html, allow=frozenset({"Aarhus", "Odense", "Vejle"})) == {}, name


def test_waves_are_checked(workflow, capsys):
    d, _ = workflow
    st = str(d / "study")
    assert main(["compare", st, "--by", "municipality", "--waves", "2026,2030", "--out", str(d / "x"), "-q"]) == 1
    assert "no wave 2030 (the study's waves: 2026, 2027)" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["compare", st, "--by", "municipality", "--waves", "2026", "--out", str(d / "x")])
    assert exc.value.code == 2
    assert "give two different waves, earlier first, e.g. 2026,2027 (not '2026')" in capsys.readouterr().err


def test_welch_change_matches_scipy():
    from scipy import stats

    a = MeanCi(n=30, mean=4.1, sd=1.2, lower=None, upper=None)
    b = MeanCi(n=45, mean=4.6, sd=0.9, lower=None, upper=None)
    c = welch_change(a, b)
    # scipy's Welch test of the same summary statistics gives the same t and df
    t, _ = stats.ttest_ind_from_stats(4.6, 0.9, 45, 4.1, 1.2, 30, equal_var=False)
    se = (c.upper - c.diff) / stats.t.ppf(0.975, c.df)
    assert c.diff / se == pytest.approx(t)
    assert welch_change(a, MeanCi(n=1, mean=5.0, sd=None, lower=None, upper=None)).lower is None


def test_rates_need_every_sector_with_respondents():
    t = pd.DataFrame({"municipality": ["A"] * 6 + ["B"] * 6, "sector": ["municipal"] * 4 + ["voluntary"] * 2 + ["municipal"] * 6})
    inv = pd.DataFrame({"municipality": ["A", "B"], "wave": [None, None], "sector": ["municipal", "municipal"],
                        "invited": [20, 30]})
    r = response_rates(t, "municipality", inv)
    # A's voluntary respondents have no invited count: a rate of its municipal part would tell its n
    assert r.groups["A"] == GroupRate(n=6, invited=None, rate=None,
                                      reason="invited counts do not cover every sector with respondents")
    assert r.groups["B"].rate == pytest.approx(0.2)
    assert r.overall.rate is None
    assert response_rates(t, "service_area", inv) is None


def test_published_rates_hide_hidden_groups_and_partial_totals():
    rates = ResponseRates(by="municipality", wave="1", groups={
        "A": GroupRate(n=3, invited=10, rate=0.3), "B": GroupRate(n=40, invited=80, rate=0.5),
        "C": GroupRate(n=41, invited=None, rate=None, reason="no invited count")},
        overall=GroupRate(n=84, invited=None, rate=None))
    pr = publish_rates(rates, frozenset({"A", "B"}), hide_total=False)
    assert pr.to_dict()["groups"] == {"A": {"suppressed": True}, "B": {"suppressed": True},
                                      "C": {"invited": None, "rate": None}}
    assert pr.overall.suppressed
    assert all(r.suppressed for r in publish_rates(rates, frozenset(), hide_total=True).groups.values())


def _stats(wave: str, ns: dict[str, int]) -> WaveStats:
    m = lambda n: {"COM": MeanCi(n=n, mean=4.0, sd=1.0, lower=3.5, upper=4.5)}  # noqa: E731
    return WaveStats(wave=wave, groups={g: WaveGroup(n=n, means=m(n)) for g, n in ns.items()},
                     overall=WaveGroup(n=sum(ns.values()), means=m(sum(ns.values()))))


def test_change_is_suppressed_per_group_and_wave():
    from coprod.analysis.run.records import ChangeCell, ComparisonInvariance, WaveChange

    s1, s2 = _stats("1", {"A": 3, "B": 40, "C": 41}), _stats("2", {"A": 30, "B": 40, "C": 41})
    cc = {g: {"COM": ChangeCell(diff=0.0, lower=-0.5, upper=0.5, df=50.0)} for g in "ABC"}
    inv = ComparisonInvariance(groups_tested=("1", "2"), min_group=50, decision="scalar")
    ch = WaveChange(by="municipality", waves=("1", "2"), stats={"1": s1, "2": s2}, invariance=inv, comparable=True,
                    reason="", change=cc)
    pc = publish_change(ch, min_cell=5)
    # wave 1: A (3) and B (the next smallest) hidden; wave 2 all shown: only C has a change
    assert pc.hidden == {"1": frozenset({"A", "B"}), "2": frozenset()}
    assert [g for g in "ABC" if pc.cells[g]["COM"].change is not None] == ["C"]
    assert pc.n["A"] == {"1": None, "2": 30}
    # what the page hides in the later wave is hidden here too
    assert publish_change(ch, min_cell=5, page_hidden=frozenset({"C"})).cells["C"]["COM"].after.suppressed
    # no longitudinal invariance: no change at all, the waves' means stay
    none = publish_change(WaveChange(**{**{f: getattr(ch, f) for f in ch.__dataclass_fields__}, "comparable": False}),
                          min_cell=5)
    assert all(c["COM"].change is None for c in none.cells.values()) and none.cells["C"]["COM"].after.mean == 4.0
