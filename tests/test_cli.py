"""The command line: thin argument parsing, exit codes, no partial outputs."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coprod.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coprod", *args], capture_output=True, text=True, cwd=ROOT)


def test_help_imports_no_heavy_library():
    # `coprod --help` must answer at once: nothing heavy may be imported on that path
    code = ("import sys; from coprod.cli import build_parser; build_parser().format_help(); "
            "heavy = [m for m in ('pandas', 'numpy', 'scipy', 'semopy', 'jinja2', 'openpyxl', 'yaml') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("cmd", [[], ["instrument"], ["instrument", "build"], ["validate"], ["simulate"],
                                 ["analyze"], ["compare"], ["report"], ["demo"]])
def test_every_command_has_help(cmd):
    proc = run(*cmd, "--help")
    assert proc.returncode == 0
    assert "usage: coprod" in proc.stdout


def test_usage_error_exits_2():
    proc = run("instrument", "build", "--format", "pdf", "--out", "x")
    assert proc.returncode == 2
    assert "invalid choice: 'pdf'" in proc.stderr


@pytest.mark.parametrize("fmt,suffixes", [("xlsform", [".xlsx"]), ("limesurvey", [".txt"]), ("redcap", [".csv"]),
                                          ("qualtrics", [".txt"]), ("html", [".html"]), ("codebook", [".json", ".csv"])])
@pytest.mark.parametrize("lang", ["en", "da"])
def test_instrument_build_writes_every_format(tmp_path, fmt, suffixes, lang):
    out = tmp_path / f"form{suffixes[0]}"
    assert main(["instrument", "build", "--format", fmt, "--lang", lang, "--out", str(out), "-q"]) == 0
    for s in suffixes:
        assert out.with_suffix(s).stat().st_size > 500


def test_broken_bank_exits_1_lists_every_problem_and_writes_nothing(tmp_path, capsys):
    bank = tmp_path / "bank"
    shutil.copytree(ROOT / "tests" / "fixtures" / "bank_min", bank)
    items = (bank / "items.yaml").read_text(encoding="utf-8")
    items = items.replace("construct: SEL", "construct: XYZ").replace('da: "Vi mangler lokaler."', 'fr: "x"')
    (bank / "items.yaml").write_text(items, encoding="utf-8")
    out = tmp_path / "form.xlsx"
    code = main(["instrument", "build", "--format", "xlsform", "--bank", str(bank), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "items.yaml, SEL_M1, construct: unknown construct 'XYZ'" in err
    assert "items.yaml, INS_V1, text.da: missing translation" in err
    assert not out.exists() and list(tmp_path.glob("*.xlsx")) == []


def test_simulate_then_validate_clean(tmp_path):
    data = tmp_path / "sim.csv"
    assert main(["simulate", "--n", "60", "--seed", "4", "--out", str(data), "-q"]) == 0
    proc = run("validate", str(data), "--json")
    assert proc.returncode == 0, proc.stdout[-2000:]
    report = json.loads(proc.stdout)
    assert report["problems"] == []


def test_validate_unreadable_file_exits_2(tmp_path):
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    assert run("validate", str(bad)).returncode == 2


def test_analyze_spec_error_exits_1_and_writes_nothing(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("scales: {s: [a, b]}\nbootstrap: -3\nbogus: 1\n")
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,2\n2,3\n3,3\n")
    proc = run("analyze", str(data), "--spec", str(spec), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert "bogus: unknown key" in proc.stderr and "bootstrap: must be 0 or more" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_analyze_bootstrap_and_seed_reach_the_default_analysis(tmp_path):
    data = tmp_path / "sim.csv"
    assert main(["simulate", "--n", "400", "--seed", "3", "--out", str(data), "-q"]) == 0
    out = tmp_path / "out"
    assert main(["analyze", str(data), "--out", str(out), "--bootstrap", "25", "--seed", "7",
                 "--no-report", "-q"]) == 0
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert res["meta"]["bootstrap"] == 25 and res["meta"]["seed"] == 7
    assert res["sem"]["bootstrap_info"]["n_requested"] == 25


def test_analyze_bootstrap_option_rejects_negative_and_spec_mode(tmp_path):
    assert run("analyze", "x.csv", "--out", str(tmp_path / "o"), "--bootstrap", "-1").returncode == 2
    spec = tmp_path / "spec.yaml"
    spec.write_text("scales: {s: [a, b]}\n")
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,2\n2,3\n3,3\n")
    proc = run("analyze", str(data), "--spec", str(spec), "--out", str(tmp_path / "out"), "--seed", "3")
    assert proc.returncode == 2 and "in the spec" in proc.stderr
    assert not (tmp_path / "out").exists()
    for opt in ("--bank", "--codebook"):
        proc = run("analyze", str(data), "--spec", str(spec), "--out", str(tmp_path / "out"), opt, "x")
        assert proc.returncode == 2
        assert proc.stderr.startswith("error: --bank, --codebook and --groups are for the default analysis")
        assert not (tmp_path / "out").exists()


def test_analyze_fiml_uses_every_analysed_respondent(tmp_path):
    data = tmp_path / "sim.csv"
    assert main(["simulate", "--n", "300", "--seed", "11", "--out", str(data), "-q"]) == 0
    out = tmp_path / "out"
    assert main(["analyze", str(data), "--out", str(out), "--missing", "fiml", "--bootstrap", "0",
                 "--no-report", "-q"]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["meta"]["missing"] == "fiml"
    # FIML keeps every analysed respondent; listwise would drop anyone with a missing core item
    assert res["cfa"]["n_used"] == res["sample"]["n_analysed"]


def test_failing_report_leaves_no_results(tmp_path, monkeypatch):
    import coprod.reports.study

    def broken(*a, **k):
        raise ValueError("template broke")

    monkeypatch.setattr(coprod.reports.study, "render_study_report", broken)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"scales": {"s": ["a", "b", "c"]}}))
    data = tmp_path / "d.csv"
    data.write_text("a,b,c\n1,2,2\n2,3,3\n3,3,4\n4,5,4\n2,2,3\n")
    with pytest.raises(ValueError, match="template broke"):
        main(["analyze", str(data), "--spec", str(spec), "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


@pytest.fixture()
def renamed_bank(tmp_path):
    """A copy of the shipped bank with one construct and one service area worded differently."""
    bank = tmp_path / "bank"
    shutil.copytree(ROOT / "instrument" / "data", bank)
    for name, old, new in (("constructs.yaml", "Partner compellingness", "Partner allure XYZ"),
                           ("context.yaml", '"Elderly care"', '"Care of the aged XYZ"')):
        text = (bank / name).read_text(encoding="utf-8")
        assert old in text
        (bank / name).write_text(text.replace(old, new), encoding="utf-8")
    return bank


def test_analyze_and_compare_show_the_wording_of_the_bank_given(tmp_path, renamed_bank):
    data = tmp_path / "sim.csv"
    assert main(["simulate", "--n", "300", "--seed", "4", "--out", str(data), "--bank", str(renamed_bank), "-q"]) == 0
    out = tmp_path / "study"
    assert main(["analyze", str(data), "--out", str(out), "--bootstrap", "0", "--bank", str(renamed_bank), "-q"]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Partner allure XYZ" in html and "Partner compellingness" not in html
    # the comparison's models are switched off to keep this fast; the group labels are the bank's
    cmp = tmp_path / "cmp"
    assert main(["compare", str(data), "--by", "service_area", "--out", str(cmp), "--bank", str(renamed_bank),
                 "--min-analytic", "1000000000", "-q"]) == 0
    index = (cmp / "index.html").read_text(encoding="utf-8")
    assert "Care of the aged XYZ" in index and "Elderly care" not in index


def test_every_command_takes_bank():
    from coprod.cli import build_parser

    parser = build_parser()
    for argv in (["analyze", "x.csv", "--out", "o"], ["compare", "x.csv", "--by", "sector", "--out", "o"],
                 ["validate", "x.csv"], ["simulate", "--n", "1", "--seed", "1", "--out", "o"], ["demo"],
                 ["instrument", "check"], ["instrument", "build", "--format", "html", "--out", "o"],
                 ["report", "results.json", "--out", "r.html"]):
        assert parser.parse_args(argv).bank is None  # None: the shipped bank
        assert parser.parse_args(argv + ["--bank", "b"]).bank == "b"


def test_report_renders_a_results_json_again_exactly(tmp_path):
    """`coprod report` on results.json gives the page `coprod analyze` wrote from memory, in
    either language: the JSON holds everything the report shows."""
    data = tmp_path / "sim.csv"
    assert main(["simulate", "--n", "400", "--seed", "3", "--out", str(data), "-q"]) == 0
    for lang in ("en", "da"):
        out = tmp_path / lang
        assert main(["analyze", str(data), "--out", str(out), "--bootstrap", "20", "--lang", lang, "-q"]) == 0
        assert main(["report", str(out / "results.json"), "--out", str(tmp_path / f"again-{lang}.html"), "--lang", lang,
                     "-q"]) == 0
        assert (tmp_path / f"again-{lang}.html").read_text(encoding="utf-8") == (out / "report.html").read_text(encoding="utf-8")


def test_report_refuses_what_is_not_an_analysis_results_json(tmp_path, capsys):
    bad = tmp_path / "results.json"
    for text in ("{not json", json.dumps({"groups": {}, "meta": {}}), "[1, 2]"):
        bad.write_text(text, encoding="utf-8")
        assert main(["report", str(bad), "--out", str(tmp_path / "r.html"), "-q"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {bad}: not the results.json of coprod analyze") and "Traceback" not in err
    assert not (tmp_path / "r.html").exists()


def test_report_warns_when_the_bank_is_another_version(tmp_path, capsys):
    data = tmp_path / "sim.csv"
    assert main(["simulate", "--n", "300", "--seed", "4", "--out", str(data), "-q"]) == 0
    assert main(["analyze", str(data), "--out", str(tmp_path / "a"), "--bootstrap", "0", "--no-report", "-q"]) == 0
    res = json.loads((tmp_path / "a" / "results.json").read_text(encoding="utf-8"))
    res["meta"]["instrument_version"] = "0.9+old"
    (tmp_path / "old.json").write_text(json.dumps(res), encoding="utf-8")
    assert main(["report", str(tmp_path / "old.json"), "--out", str(tmp_path / "r.html"), "-q"]) == 0
    assert "computed with instrument version 0.9+old" in capsys.readouterr().err


def test_groups_file_merges_spellings_in_compare(tmp_path):
    """``compare --groups FILE.csv`` maps spellings normalising cannot merge (issue 15, item 5)."""
    from coprod.analysis.responses import simulate
    from coprod.cli import main
    from coprod.instrument.bank import load_bank
    from coprod.responses import write_simulated

    bank = load_bank()
    sim = simulate(60, seed=8, bank=bank)
    sim["municipality"] = ["Aarhus"] * 30 + ["Århus"] * 10 + ["Odense"] * 20
    data = write_simulated(sim, tmp_path / "kobo.csv", "kobo", bank=bank)
    groups = tmp_path / "groups.csv"
    groups.write_text("spelling,group\nÅrhus,Aarhus\n", encoding="utf-8")
    assert main(["compare", str(data), "--by", "municipality", "--groups", str(groups),
                 "--out", str(tmp_path / "cmp"), "-q"]) == 0
    res = json.loads((tmp_path / "cmp" / "results.json").read_text(encoding="utf-8"))
    assert sorted(res["groups"]) == ["Aarhus", "Odense"] and res["groups"]["Aarhus"]["n"] <= 40
    # a spec analysis reads the table as it is: --groups is refused there
    assert main(["analyze", str(data), "--spec", str(groups), "--groups", str(groups),
                 "--out", str(tmp_path / "a"), "-q"]) == 2
