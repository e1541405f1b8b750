"""The generic hypothesis evaluator gives, on the demo data and on data that fail some
hypotheses, exactly what the hard-coded evaluator it replaced gave (kept below, verbatim, as the
reference)."""
from __future__ import annotations

import math
import shutil

import pandas as pd
import pytest
import yaml
from scipy import stats

from coprod.analysis.default import analyze_instrument
from coprod.analysis.responses import from_table, simulate
from coprod.analysis.run.hypotheses import evaluate_hypotheses
from coprod.analysis.run.instrument_sections import reverse_keyed, score_table
from coprod.analysis.run.records import SemSection


def _evaluate(bank, sem, scores, df) -> list[dict]:
    """The evaluator's rows as results.json holds them (``sem``: a section record or its dict)."""
    if isinstance(sem, dict):
        sem = SemSection.from_dict(sem)
    return [h.to_dict() for h in evaluate_hypotheses(bank, sem, scores, df)]
from coprod.instrument.bank import default_bank_dir, load_bank


# ---------------------------------------------------------------- the reference (analysis/default.py, before)
def _welch(a: pd.Series, b: pd.Series) -> dict:
    """Welch's t test with Hedges' g; the difference is mean(a) - mean(b)."""
    a, b = a.dropna().astype(float), b.dropna().astype(float)
    if len(a) < 2 or len(b) < 2:
        return {"n1": len(a), "n2": len(b), "diff": None, "t": None, "df": None, "p": None, "g": None}
    t = stats.ttest_ind(a, b, equal_var=False)
    sp = math.sqrt(((len(a) - 1) * a.var() + (len(b) - 1) * b.var()) / (len(a) + len(b) - 2))
    j = 1 - 3 / (4 * (len(a) + len(b)) - 9)
    return {"n1": len(a), "n2": len(b), "mean1": a.mean(), "mean2": b.mean(), "diff": a.mean() - b.mean(),
            "t": float(t.statistic), "df": float(t.df), "p": float(t.pvalue),
            "g": j * (a.mean() - b.mean()) / sp if sp > 0 else None}


MANAGERS = ("manager", "volunteer_manager")


def _hypotheses(sections: dict, scores: pd.DataFrame, df: pd.DataFrame) -> list[dict]:
    """Today's evaluator, verbatim (before the hypotheses became bank data)."""
    out: list[dict] = []
    sem = sections.get("sem") or {}
    est = {(e["lhs"], e["op"], e["rhs"]): e for e in sem.get("estimates", [])}
    defined = {d["name"]: d for d in sem.get("defined", [])}

    def path(hid, text, lhs, rhs):
        e = est.get((lhs, "~", rhs))
        if e is None:
            out.append({"id": hid, "statement": text, "test": f"SEM path {lhs} ~ {rhs}", "verdict": "not tested"})
            return
        ok = e.get("pvalue") is not None and e["pvalue"] < 0.05 and e["est"] > 0
        out.append({"id": hid, "statement": text, "test": f"SEM path {lhs} ~ {rhs}", "estimate": e.get("std_all"),
                    "p": e.get("pvalue"), "verdict": "supported" if ok else "not supported"})

    path("H1", "Insufficiency makes the partner compelling", "COM", "INS")
    path("H2", "Value incongruence makes the partner repelling", "REP", "VIN")
    path("H3a", "Compellingness feeds ambivalence", "AMB", "COM")
    path("H3b", "Repellence feeds ambivalence", "AMB", "REP")
    for lhs, op, rhs in est:
        if op == "~" and rhs == "AMB":
            path(f"H4-{lhs}", f"Ambivalence drives {lhs} boundary work", lhs, "AMB")
    for name, text in (("ind_INS_COM_AMB", "Indirect effect INS → COM → AMB"),
                       ("ind_VIN_REP_AMB", "Indirect effect VIN → REP → AMB")):
        d = defined.get(name)
        if d is None:
            continue
        lo, hi = d.get("boot_ci_lower"), d.get("boot_ci_upper")
        kind = "bootstrap percentile 95% CI"
        if lo is None:
            lo, hi, kind = d.get("ci_lower"), d.get("ci_upper"), "delta-method 95% CI"
        ok = lo is not None and (lo > 0 or hi < 0)
        out.append({"id": name, "statement": text, "test": kind, "estimate": d.get("est"),
                    "ci": [lo, hi], "verdict": "supported" if ok else "not supported"})

    role = df.get("role")
    if role is not None and "COM" in scores and "REP" in scores:
        mgr = role.isin(MANAGERS)
        t = _welch(scores.loc[mgr, "COM"], scores.loc[~mgr, "COM"])
        out.append({"id": "R1", "statement": "Managers report more compellingness than frontline staff and volunteers",
                    "test": "Welch t test (managers − others)", **t,
                    "verdict": _verdict(t, positive=True)})
        t = _welch(scores.loc[~mgr, "REP"], scores.loc[mgr, "REP"])
        out.append({"id": "R2", "statement": "Frontline staff and volunteers report more repellence than managers",
                    "test": "Welch t test (others − managers)", **t, "verdict": _verdict(t, positive=True)})
    if "asymmetry" in df:
        a = pd.to_numeric(df["asymmetry"], errors="coerce")
        t = _welch(a[df["sector"] == "voluntary"], a[df["sector"] == "municipal"])
        out.append({"id": "R3", "statement": "Voluntary respondents report more power asymmetry",
                    "test": "Welch t test (voluntary − municipal), single item", **t,
                    "verdict": _verdict(t, positive=True)})
    area = df.get("service_area")
    if area is not None:
        for sid, s, hi, lo in (("R4", "SEL", "integration", "elderly_care"), ("R5", "IND", "elderly_care", "integration")):
            if s in scores:
                t = _welch(scores.loc[area == hi, s], scores.loc[area == lo, s])
                out.append({"id": sid, "statement": f"{s} strategy more common in {hi} than in {lo}",
                            "test": f"Welch t test ({hi} − {lo}), municipal respondents", **t,
                            "verdict": _verdict(t, positive=True)})
    return out


def _verdict(t: dict, *, positive: bool) -> str:
    if t.get("p") is None:
        return "not tested"
    return "supported" if t["p"] < 0.05 and (t["diff"] > 0) == positive else "not supported"


# ---------------------------------------------------------------- tests
@pytest.fixture(scope="module")
def demo():
    """The demo's respondents (``coprod demo``: 1200, seed 2021), analysed without bootstrap."""
    bank = load_bank()
    data = simulate(1200, seed=2021, bank=bank)
    res = analyze_instrument(data, bank=bank, bootstrap=0, invariance_by=("sector",))
    table = from_table(data, bank=bank, strict=False).analysis_table()
    return bank, res, score_table(table, bank), reverse_keyed(table, bank)


def _same(new, ref):
    """The same rows as the reference, which predates ``reason`` (why "not tested", issue 11)."""
    assert [h["id"] for h in new] == [h["id"] for h in ref]
    for x, y in zip(new, ref):
        assert (x.pop("reason") is None) == (x["verdict"] != "not tested"), x["id"]
        assert list(x) == list(y), x["id"]
        for k in x:
            if isinstance(x[k], float) and math.isnan(x[k]):
                assert math.isnan(y[k]), (x["id"], k)
            else:
                assert x[k] == y[k], (x["id"], k)


def test_demo_verdicts_are_todays(demo):
    bank, res, scores, df = demo
    new = _evaluate(bank, res.sections.sem, scores, df)
    assert new == [h.to_dict() for h in res.sections.hypotheses]
    _same(new, _hypotheses({"sem": res.sections.sem.to_dict()}, scores, df))
    assert [h["id"] for h in new] == ["H1", "H2", "H3a", "H3b", "H4-DEM", "H4-WEL", "ind_INS_COM_AMB",
                                      "ind_VIN_REP_AMB", "R1", "R2", "R3", "R4", "R5"]
    assert {h["verdict"] for h in new} == {"supported"}


def test_failed_and_untested_hypotheses_are_todays(demo):
    bank, res, scores, df = demo
    sem = res.sections.sem.to_dict()
    broken = {**sem, "estimates": [
        {**e, "est": -abs(e["est"])} if (e["lhs"], e["rhs"]) == ("REP", "VIN") else e
        for e in sem["estimates"] if (e["lhs"], e["op"], e["rhs"]) != ("COM", "~", "INS")],
        "defined": [{**d, "ci_lower": -0.1, "ci_upper": 0.2} for d in sem["defined"]]}
    flipped = scores.copy()
    flipped[["COM", "SEL"]] = -flipped[["COM", "SEL"]]
    for sc, frame in ((flipped, df), (scores, df.drop(columns=["role", "asymmetry"]))):
        _same(_evaluate(bank, broken, sc, frame), _hypotheses({"sem": broken}, sc, frame))
    verdicts = {h["id"]: h["verdict"] for h in _evaluate(bank, broken, flipped, df)}
    assert verdicts["H1"] == "not tested" and verdicts["H2"] == "not supported"
    assert verdicts["ind_INS_COM_AMB"] == "not supported"
    assert verdicts["R1"] == verdicts["R4"] == "not supported" and verdicts["R2"] == "supported"


def test_without_a_structural_model_every_path_is_not_tested(demo):
    bank, _, scores, df = demo
    rows = _evaluate(bank, None, scores, df)
    assert [(h["id"], h["verdict"]) for h in rows if h["test"].startswith("SEM")] == [
        ("H1", "not tested"), ("H2", "not tested"), ("H3a", "not tested"), ("H3b", "not tested")]
    _same(rows, _hypotheses({}, scores, df))


def test_what_is_tested_and_said_follows_the_bank(demo, tmp_path):
    bank, res, scores, df = demo
    d = tmp_path / "bank"
    shutil.copytree(default_bank_dir(), d)
    path = d / "analysis.yaml"
    design = yaml.safe_load(path.read_text(encoding="utf-8"))
    design["hypotheses"] = [h for h in design["hypotheses"] if h["id"] in ("H1", "R3")]
    design["hypotheses"][0]["statement"]["en"] = "Reworded H1"
    design["groups"]["voluntary"]["values"] = ["municipal"]  # R3 now compares a sector with itself
    path.write_text(yaml.safe_dump(design, allow_unicode=True), encoding="utf-8")
    rows = _evaluate(load_bank(d), res.sections.sem, scores, df)
    assert [(h["id"], h["statement"]) for h in rows] == [
        ("H1", "Reworded H1"), ("R3", "Voluntary respondents report more power asymmetry")]
    assert rows[1]["diff"] == 0 and rows[1]["verdict"] == "not supported"


# ------------------------------------------------- verdicts only from admissible models (issue 11, item 3)
def _inadmissible(sem: dict, how: str) -> dict:
    if how == "few_rows":
        return {**sem, "n_used": sem["fit"]["npar"]}
    if how == "negative_variance":
        return {**sem, "estimates": [{**e, "est": -0.05} if (e["op"], e["lhs"], e["rhs"]) == ("~~", "COM", "COM")
                                     else e for e in sem["estimates"]]}
    if how == "r2":
        return {**sem, "r2": {**sem["r2"], "AMB": float("nan")}}
    if how == "not_converged":
        return {**sem, "converged": False}
    return {**sem, "fit": {**sem["fit"], "df": -3}}


@pytest.mark.parametrize("how, reason", [
    ("few_rows", "the model rests on {n} respondents, not more than its {n} parameters"),
    ("negative_variance", "the solution is improper: negative variance of COM"),
    ("r2", "the solution is improper: R² above 1 (shown as NA) for AMB"),
    ("not_converged", "the model did not converge"),
    ("negative_df", "the model is not identified (negative degrees of freedom: -3)"),
])
def test_an_inadmissible_model_tests_no_path(demo, how, reason):
    bank, res, scores, df = demo
    sem = res.sections.sem.to_dict()
    rows = {h["id"]: h for h in _evaluate(bank, _inadmissible(sem, how), scores, df)}
    want = reason.format(n=sem["fit"]["npar"])
    for hid in ("H1", "H2", "H3a", "ind_INS_COM_AMB"):
        assert rows[hid]["verdict"] == "not tested" and rows[hid]["reason"] == want, hid
        assert rows[hid]["estimate"] is None if hid.startswith("ind") else "estimate" not in rows[hid]
    assert rows["R2"]["verdict"] == "supported" and rows["R2"]["reason"] is None  # mean tests need no SEM


def test_a_missing_path_and_a_missing_model_say_why(demo):
    bank, res, scores, df = demo
    sem = res.sections.sem.to_dict()
    no_path = {**sem, "estimates": [e for e in sem["estimates"] if (e["lhs"], e["op"], e["rhs"]) != ("COM", "~", "INS")]}
    assert _evaluate(bank, no_path, scores, df)[0]["reason"] == "the model has no such path"
    assert _evaluate(bank, None, scores, df)[0]["reason"] == "the structural model could not be estimated"
