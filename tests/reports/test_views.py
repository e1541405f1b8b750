"""The typed view-models of the reports: every template renders from its view-model, a misspelt
field raises instead of printing nothing, and no renderer fetches an item bank itself."""
from __future__ import annotations

import ast
import collections.abc
import dataclasses
import types
import typing
from pathlib import Path

import jinja2
import pytest

import coprod.reports
from coprod.analysis.pipeline import AnalysisResult
from coprod.analysis.run.records import SECTION_TYPES, DataSummary, Record, Sections
from coprod.instrument.bank import load_bank
from coprod.reports.env import get_environment
from coprod.reports.study import render_study_report
from coprod.reports.views.study import StudyView, study_view
from coprod.workflow import write_comparison
from test_compare import _result  # a hand-built ComparisonResult (tests/reports/test_compare.py)

REPORTS = Path(coprod.reports.__file__).parent
TEMPLATES = REPORTS / "templates"

FIT = {"chisq": 12.5, "df": 8, "pvalue": 0.13, "cfi": 0.987, "tli": 0.975, "rmsea": 0.031,
       "rmsea_ci_lower": 0.0, "rmsea_ci_upper": 0.06, "srmr": 0.028, "nobs": 410}
SECTIONS = {
    "sample": {"n_file": 420, "n_analysed": 410, "n_flagged": 10, "keep_flagged": False,
               "excluded_by_reason": {"straight_lining": 6, "flagged": 10, "too_fast": 4},
               "by_sector": {"municipal": 250, "voluntary": 160}, "by_service_area": {"elderly_care": 3, "other": 407},
               "n_municipalities": 12, "dont_know": 31},
    "items": {"municipal": {"n_rows": 250, "categories": {"COM_C1": {"1": 20, "4": 100, "7": 130},
                                                          "COM_C2": {"2": 50, "6": 200}}}},
    "reliability": {"INS_core": {"construct": "INS", "k": 4, "n": 410, "alpha": 0.84, "omega_total": 0.86,
                                 "alpha_ci": {"lower": 0.81, "upper": 0.87}}},
    "efa": {"kmo": 0.88, "bartlett": {"chi2": 1500.2, "df": 66, "p": 0.0}, "n": 410, "n_factors_parallel": 3,
            "items": ["a", "b", "c"],
            "solution": {"loadings": {"a": {"ML1": 0.7, "ML2": 0.1}, "b": {"ML1": 0.05, "ML2": 0.8}},
                         "communalities": {"a": 0.5, "b": 0.64},
                         "phi": {"ML1": {"ML1": 1.0, "ML2": 0.3}, "ML2": {"ML1": 0.3, "ML2": 1.0}}}},
    "omega_hierarchical": {"municipal": {"items": ["a", "b"], "n": 250, "omega_h": 0.6, "omega_total": 0.9,
                                         "alpha": 0.85, "ecv": 0.4, "n_groups": 2, "omega_limit": 0.7,
                                         "loadings": {}, "group_omegas": {}, "warnings": [], "meta": {}}},
    "cfa": {"fit": FIT, "n_used": 410, "composite_reliability": {"INS": 0.86}, "ave": {"INS": 0.61},
            "fornell_larcker": {"passes": {"INS": True}},
            "estimates": [{"lhs": "INS", "op": "=~", "rhs": "INS_C1", "est": 1.0, "std_all": 0.7},
                          {"lhs": "INS", "op": "=~", "rhs": "INS_C2", "est": 0.9, "se": 0.05, "std_all": 0.72,
                           "pvalue": 0.0}],
            "modification_hints": [{"lhs": "INS_C1", "rhs": "COM_C1", "residual_cor": 0.12, "large": True}]},
    "validity": {"htmt": {"matrix": {"INS": {"COM": 0.4}, "COM": {"INS": 0.4}}}},
    "invariance_by": {"sector": {"configural": {"chisq": 20.0, "df": 16, "cfi": 0.99, "rmsea": 0.02},
                                 "metric": {"chisq": 25.0, "df": 19, "cfi": 0.99, "rmsea": 0.02},
                                 "lrt": {"metric": {"chisq_diff": 5.0, "df_diff": 3, "p_diff": 0.17}},
                                 "delta": {"metric": {"cfi": -0.001, "rmsea": 0.0}}, "decision": "metric",
                                 "rule": "ΔCFI ≥ −.01", "groups": ["municipal", "voluntary"],
                                 "partial": {"scalar": {"freed": ["INS_C2 ~1"], "holds": True,
                                                        "model": {"chisq": 27.0, "df": 21, "cfi": 0.99},
                                                        "delta": {"cfi": -0.002, "rmsea": 0.0}}}}},
    "ordinal": {"items": ["a", "b"], "n": 400, "thresholds": {"a|t1": -1.0, "a|t2": 0.5, "b|t1": -0.2},
                "ordinal_alpha": {"INS": {"alpha": 0.8, "k": 2}},
                "wlsmv_cfa": {"estimator": "WLSMV", "parameterization": "delta", "n_used": 400,
                              "fit": {"chisq_scaled": 10.0, "df_scaled": 8, "cfi_scaled": 0.99},
                              "reliability": {"omega_ordinal_scale": {"INS": 0.78}}}},
    "sem": {"estimates": [{"lhs": "COM", "op": "=~", "rhs": "COM_1"},
                          {"lhs": "COM", "op": "~", "rhs": "INS", "est": 0.5, "se": 0.1, "std_all": 0.42,
                           "pvalue": 0.001}],
            "r2": {"COM": 0.18}, "fit": FIT, "n_used": 410, "converged": True, "bootstrap_info": {"n_requested": 100},
            "defined": [{"name": "ind", "est": 0.1, "boot_ci_lower": 0.02, "boot_ci_upper": 0.2, "pvalue": 0.01}]},
    "sem_by_sector": {"groups": ["municipal", "voluntary"], "group_equal": ["loadings"], "fit": FIT,
                      "converged": True, "n_used": 410,
                      "estimates": [{"lhs": "COM", "op": "~", "rhs": "INS", "group": g, "std_all": 0.4,
                                     "pvalue": 0.01} for g in (1, 2)]},
    "hypotheses": [{"id": "H1", "statement": "INS raises COM", "test": "SEM path COM ~ INS", "estimate": 0.42,
                    "p": 0.001, "verdict": "supported"},
                   {"id": "H2", "statement": "sectors differ", "test": "t-test", "n1": 250, "n2": 160, "diff": 0.3,
                    "g": 0.2, "p": 0.2, "verdict": "not supported"},
                   {"id": "H3", "statement": "an indirect effect", "test": "bootstrap percentile 95% CI",
                    "estimate": 0.1, "ci": [0.02, 0.2], "verdict": "supported"}],
    "scores": {"griffin_vs_felt": {"r": 0.41, "n": 400, "municipal": 0.39, "voluntary": 0.44}},
    "strategies": {"SEL": {"municipal": {"mean": 2.5, "n": 240}, "voluntary": {"mean": 3.1, "n": 3}}},
}


def _filled(hint, value):
    """``value`` (a partial results.json object) with every required key it lacks as null or
    empty, so that a hand-made section holds only what a test is about."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        records = [a for a in args if isinstance(a, type) and issubclass(a, Record)]
        if isinstance(value, dict) and records:
            for cls in records:  # the first kind of record whose keys the value has
                if set(value) <= {f.name for f in dataclasses.fields(cls)}:
                    return _filled(cls, value)
        return value
    if isinstance(hint, type) and issubclass(hint, Record) and isinstance(value, dict):
        hints = hint._field_hints()
        out = {k: _filled(hints[k], v) for k, v in value.items()}
        for f in dataclasses.fields(hint):
            if f.name not in out and f.default is dataclasses.MISSING:
                h = hints[f.name]
                o = typing.get_origin(h)
                if o is tuple:
                    out[f.name] = ()
                elif o in (dict, collections.abc.Mapping):
                    out[f.name] = {}
                elif isinstance(h, type) and issubclass(h, Record):
                    out[f.name] = _filled(h, {})
                else:
                    out[f.name] = {str: "", bool: False, int: 0}.get(h)
        return out
    if origin is tuple and isinstance(value, (list, tuple)):
        return [_filled(args[0], v) for v in value]
    if origin in (dict, collections.abc.Mapping) and isinstance(value, dict):
        return {k: _filled(args[1], v) for k, v in value.items()}
    return value


def _sections(sections: dict) -> Sections:
    return Sections.of({k: _filled(SECTION_TYPES[k], v) for k, v in sections.items()})


def _analysis(**changes) -> AnalysisResult:
    base = dict(sections=SECTIONS, warnings=("a warning",), errors=("an error",), not_supported=("x",),
                meta={"mode": "instrument", "seed": 1, "bootstrap": 100, "versions": {"coprod": "0"},
                      "timings_sec": {"sem": 1.25}}, data_summary=DataSummary(n_rows_file=420, n_used=410))
    base.update(changes)
    base["sections"] = _sections(base["sections"])
    return AnalysisResult(**base)


@pytest.fixture()
def seen_templates(monkeypatch):
    """The names of the templates loaded (directly, or by extends/include/import) while rendering."""
    env = get_environment()
    real = env.get_template
    seen: set[str] = set()

    def recording(name, *args, **kwargs):
        seen.add(name if isinstance(name, str) else name.name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(env, "get_template", recording)
    return seen


def test_every_template_renders_from_its_view_model(seen_templates, tmp_path):
    bank = load_bank()
    html = render_study_report(_analysis(), bank=bank, lang="en")
    for sid in ("sample", "items", "reliability", "factors", "invariance", "sem", "hypotheses", "ambivalence",
                "strategies", "warnings", "methods"):
        assert f'id="{sid}"' in html
    render_study_report(_analysis(), bank=None, lang="da")  # spec mode: no bank, ids for wording
    for comparable in (True, False):
        write_comparison(_result(comparable=comparable), tmp_path / str(comparable), bank=bank, min_cell=5, benchmark=True)
    templates = {p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.j2")}
    assert templates - seen_templates == set()  # every template was rendered, under StrictUndefined


def test_views_are_typed_and_frozen():
    view = study_view(_analysis(), bank=None)
    assert isinstance(view, StudyView)
    assert view.factors.cfa.cfi == FIT["cfi"] and view.invariance[0].steps[1].p_diff == 0.17
    assert view.hypotheses[1].kind == "diff" and view.sem.by_group.formats == ("text", 2, "pval", 2, "pval")
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.sem = None
    with pytest.raises(AttributeError):
        view.factors.cfa.cfy  # noqa: B018 -- a NamedTuple row has no such field


def _mutated(template: str, old: str, new: str) -> jinja2.Template:
    env = get_environment()
    source, _, _ = env.loader.get_source(env, template)
    assert old in source, f"{old!r} not in {template}"
    return env.from_string('{% import "_macros.html.j2" as m with context %}' + source.replace(old, new))


@pytest.mark.parametrize("template, old, new", [
    ("study/_sample.html.j2", "sample.n_file", "sample.n_fiel"),
    ("study/_factors.html.j2", "r.cfi", "r.cfy"),
    ("study/_sem.html.j2", "sem.fit.rmsea_lower", "sem.fit.rmsea_low"),
    ("study/_hypotheses.html.j2", "h.verdict_text", "h.verdict_txt"),
])
def test_a_misspelt_field_in_a_study_template_raises(template, old, new):
    context = study_view(_analysis(), bank=None).context()
    _mutated(template, old, old).render(lang="en", **context)  # the real template renders
    with pytest.raises(jinja2.UndefinedError):
        _mutated(template, old, new).render(lang="en", **context)


@pytest.mark.parametrize("template, old, new", [
    ("compare_index.html.j2", "c.mean|num", "c.maen|num"),
    ("compare_group.html.j2", "r.upper", "r.uper"),
])
def test_a_misspelt_field_in_a_compare_template_raises(template, old, new):
    from coprod.reports.views.compare import construct_infos, group_page, index_page, page_common
    from coprod.reports.views.published import publish

    bank = load_bank()
    pub = publish(_result(), bank=bank, min_cell=5)
    infos = construct_infos(pub, bank, "en")
    common = page_common(pub, version="0", lang="en")
    if template == "compare_index.html.j2":
        page = index_page(pub, common, bank=bank, infos=infos, slugs={g: g for g in pub.groups}, lang="en")
    else:
        page = group_page("Aarhus", pub, common, bank=bank, infos=infos, lang="en")
    _mutated(template, old, old).render(lang="en", **page.context())
    with pytest.raises(jinja2.UndefinedError):
        _mutated(template, old, new).render(lang="en", **page.context())


def test_no_renderer_loads_a_bank():
    # the Bank a report shows is the one it is given (issue 9): nothing in reports/ may fetch one
    offenders = []
    for path in REPORTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, (ast.Import, ast.ImportFrom))
                     else [node.id] if isinstance(node, ast.Name)
                     else [node.attr] if isinstance(node, ast.Attribute) else [])
            if "load_bank" in names or (isinstance(node, ast.ImportFrom) and (node.module or "").endswith("bank")):
                offenders.append(f"{path.relative_to(REPORTS)}:{node.lineno}")
    assert offenders == []


def test_renderers_take_a_bank_not_a_folder(tmp_path):
    from coprod.reports.compare import build_comparison

    with pytest.raises(TypeError, match="bank must be a Bank"):
        render_study_report(_analysis(), bank="instrument/data", lang="en")
    with pytest.raises(TypeError, match="bank must be a Bank"):
        build_comparison(_result(), bank=tmp_path, min_cell=5)


def test_comparison_without_a_bank_shows_ids():
    from coprod.reports.compare import build_comparison

    files = build_comparison(_result(), bank=None, min_cell=5)
    with_bank = build_comparison(_result(), bank=load_bank(), min_cell=5)
    assert 'title="INS">INS<' in files["index.html"]  # the construct's id, not its bank name
    assert 'title="INS">INS<' not in with_bank["index.html"]


def test_hypothesis_statements_come_from_the_bank_in_the_report_language():
    """results.json keeps the English statement; the page shows the bank's text in its language."""
    bank = load_bank()
    da = study_view(_analysis(), bank=bank, lang="da").hypotheses
    assert da[0].statement == bank.hypothesis_statement("H1", "da") == "Utilstrækkelighed gør partneren tiltrækkende"
    en = study_view(_analysis(), bank=bank, lang="en").hypotheses
    assert en[0].statement == "Insufficiency makes the partner compelling"
    assert da[1].statement == "Værdikonflikt gør partneren frastødende"
    # an id the bank does not know, and spec mode (no bank), show what the result holds
    unknown = dict(SECTIONS, hypotheses=[{"id": "X9", "statement": "own hypothesis", "verdict": "not tested"}])
    assert study_view(_analysis(sections=unknown), bank=bank, lang="da").hypotheses[0].statement == "own hypothesis"
    assert study_view(_analysis(), bank=None, lang="da").hypotheses[0].statement == "INS raises COM"


def test_the_header_counts_respondents_in_the_pages_notation():
    """'1.134 respondenter analyseret' in Danish, '1,134 respondents analysed' in English."""
    res = _analysis(data_summary=DataSummary(n_rows_file=1200, n_used=1134))
    assert study_view(res, bank=None, lang="da").meta == "1.134 respondenter analyseret"
    assert study_view(res, bank=None, lang="en").meta == "1,134 respondents analysed"
