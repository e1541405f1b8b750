"""The analysis's warnings in Danish reports (issue 11, item 6).

1. Every warning template the package can write (found by walking its source, see
   tests/reports/warning_sites.py) has a Danish translation, so a new English warning without
   Danish fails here.
2. Warnings of a real run on degenerate data (a constant item, few rows, models that do not
   converge) translate to the exact Danish expected.
3. The Danish study report of that run has no English in its warnings box.
"""
from __future__ import annotations

import html
import re
import warnings as pywarnings

import numpy as np
import pandas as pd
import pytest

from coprod.reports.study import render_study_report
from coprod.reports.warning_text import find_translation, translate_warning, translate_warnings

from .test_danish import english_words
from .warning_sites import raised, sites

#: option values the Danish text quotes as they are typed
CODE = frozenset({"equal"})
#: code in a message, typed as it is: snake_case names, keyword arguments, command-line options
_CODE_TOKEN = re.compile(r"\b\w*_\w*\b|\b\w+=|--\w+")


def _no_english(danish: str) -> dict:
    return english_words(f"<p>{_CODE_TOKEN.sub(' ', danish)}</p>", allow=CODE)


def _filled(template: str) -> str:
    """``template`` with each ``{expression}`` replaced by a value (the same expression, the same value)."""
    values: dict[str, str] = {}
    return re.sub(r"\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}",
                  lambda m: values.setdefault(m.group(1), f"v{len(values) + 1}"), template)


SITES, FRAGMENT_SITES, UNFOLLOWED = sites()
RAISED, RAISED_FRAGMENTS = raised()


def test_the_walk_finds_the_package_warnings():
    texts = {s for _, _, s in SITES}
    assert len(texts) > 120
    assert "only {n} usable row(s){where}: the model cannot be estimated" in texts
    assert "items with no variance were left out (as psych does): {const}" in texts  # a helper's list
    assert "information matrix is not finite: standard errors not computed" in texts  # returned through msg
    assert UNFOLLOWED == []  # a warning appended through a new variable must be followed in warning_sites.py


@pytest.mark.parametrize("where,template", sorted({(f"{f}:{line}", s) for f, line, s in SITES}))
def test_every_warning_template_has_danish(where, template):
    english = _filled(template)
    danish = find_translation(english)
    assert danish is not None, f"{where}: no Danish for {template!r} (add it to reports/_i18n_warnings.py)"
    assert _no_english(danish) == {}, (where, danish)
    # as results.json holds it: behind a section's name
    assert find_translation(f"cfa: {english}") == f"CFA: {danish}"


@pytest.mark.parametrize("where,template", sorted({(f"{f}:{line}", s) for f, line, s in FRAGMENT_SITES}))
def test_every_fragment_has_danish(where, template):
    """The optimiser's messages, as they stand inside "model did not converge: {message}"."""
    english = _filled(template)
    danish = find_translation(f"sem: model did not converge: {english}")
    assert danish is not None and danish.startswith("SEM: modellen konvergerede ikke: "), (where, template)
    assert _no_english(danish) == {}, (where, danish)


@pytest.mark.parametrize("where,template", sorted({(f"{f}:{line}", s) for f, line, s in RAISED}))
def test_every_step_error_has_danish(where, template):
    """A model that cannot be read or estimated: the step's error, as results.json's ``errors`` holds it."""
    english = _filled(template)
    danish = find_translation(f"invariance[sector]: {english}")
    assert danish is not None, f"{where}: no Danish for {template!r} (add it to reports/_i18n_warnings.py)"
    assert danish.startswith("invarians[sektor]: ")
    assert _no_english(danish) == {}, (where, danish)


@pytest.mark.parametrize("where,template", sorted({(f"{f}:{line}", s) for f, line, s in RAISED_FRAGMENTS}))
def test_every_syntax_error_has_danish(where, template):
    english = f"sem: model syntax, line 3: {_filled(template)} in 'F =~ a + b'"
    danish = find_translation(english)
    assert danish is not None and danish.startswith("SEM: modelsyntaks, linje 3: "), (where, template)
    assert _no_english(danish) == {}, (where, danish)


def test_prefixes_fragments_and_numbers():
    assert translate_warning("invariance[sector]: configural: only 2 usable row(s) in group 'Aarhus': "
                             "the model cannot be estimated", "da") == \
        "invarians[sektor]: konfigural: kun 2 brugbare rækker i gruppen 'Aarhus': modellen kan ikke estimeres"
    assert translate_warning("reliability[INS_core]: only 7 complete rows: reliability estimates are very "
                             "uncertain", "da") == "reliabilitet[INS_core]: kun 7 komplette rækker: " \
                                                  "reliabilitetsestimaterne er meget usikre"
    assert translate_warning("sem: model did not converge: no convergence in 300 iterations (retried from "
                             "pooled starts; first start: line search failed)", "da") == \
        "SEM: modellen konvergerede ikke: ingen konvergens på 300 iterationer (forsøgt igen fra samlede " \
        "startværdier; første start: linjesøgningen mislykkedes)"
    assert translate_warning("data: export.csv, row 4, column COM_3: 2 cell(s) held control characters "
                             "(\\x07); they were removed", "da") == \
        "data: export.csv, række 4, kolonne COM_3: 2 celler indeholdt kontroltegn (\\x07); de blev fjernet"
    assert translate_warning("data: export.csv, column version: the file was collected with instrument "
                             "version 1.2, but the item bank is version 1.3 (same base version, edited texts)",
                             "da") == \
        "data: export.csv, kolonne version: filen er indsamlet med instrumentversion 1.2, men " \
        "spørgsmålsbanken er version 1.3 (samme grundversion, redigerede tekster)"
    assert translate_warning("data: my export.xlsx: 3 preview response(s) (status column) were left out", "da") \
        == "data: my export.xlsx: 3 forhåndsvisningsbesvarelser (kolonnen status) blev udeladt"
    assert translate_warning("data: x.csv, column Kommune: 'Aarhus ' (2 rows) grouped with 'Aarhus' (by the "
                             "groups file)", "da") == \
        "data: x.csv, kolonne Kommune: 'Aarhus ' (2 rækker) samlet med 'Aarhus' (efter gruppefilen)"
    assert translate_warning("invariance by sector: only 1 group(s) in 'sector': invariance cannot be tested",
                             "da") == "invarians efter sektor: kun 1 gruppe i 'sector': invarians kan ikke testes"
    assert translate_warning("ordinal: wlsmv_cfa not fitted: model syntax is empty", "da") == \
        "ordinal analyse: WLSMV-CFA ikke estimeret: modelsyntaksen er tom"
    assert translate_warning("sem: information matrix is singular (smallest eigenvalue -7.87e-15): the model may "
                             "not be identified; standard errors not computed", "da") == \
        "SEM: informationsmatricen er singulær (mindste egenværdi -7,87e-15): modellen er muligvis ikke " \
        "identificeret; standardfejl ikke beregnet"
    # English pages keep the text; an unknown (older) warning stays English, marked as such
    assert translate_warning("cfa: the factor extraction did not converge", "en") == \
        "cfa: the factor extraction did not converge"
    assert str(translate_warning("cfa: <a warning from 2025>", "da")) == \
        '<span lang="en">cfa: &lt;a warning from 2025&gt;</span>'


# ------------------------------------------------------------------------------ a real run
@pytest.fixture(scope="module")
def degenerate_run():
    """Spec mode on 12 rows in two groups of 6, one constant item: models that cannot converge."""
    from coprod.analysis.run.spec_mode import analyze
    from coprod.analysis.spec import spec_from_dict

    rng = np.random.default_rng(1)
    f = rng.normal(size=12)
    df = pd.DataFrame({f"x{i}": np.clip(np.round(4 + f + rng.normal(size=12)), 1, 7) for i in range(6)})
    df["x5"] = 4.0
    df["g"] = ["a"] * 6 + ["b"] * 6
    spec = spec_from_dict({"scales": {"s1": ["x0", "x1", "x2"], "s2": ["x3", "x4", "x5"]},
                           "cfa": "F1 =~ x0 + x1 + x2\nF2 =~ x3 + x4 + x5",
                           "sem": "F1 =~ x0 + x1 + x2\nF2 =~ x3 + x4\nF2 ~ F1", "group": "g",
                           "scale_min": 1, "scale_max": 7})
    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore", RuntimeWarning)  # numpy on a constant column
        return analyze(df, spec)


EXPECTED = {
    "efa: items with no variance were left out: ['x5']": "EFA: spørgsmål uden varians blev udeladt: ['x5']",
    "cfa: column 'x5' is constant: its variance is 0 and the sample covariance matrix is singular":
        "CFA: kolonnen 'x5' er konstant: dens varians er 0, og stikprøvens kovariansmatrix er singulær",
    "cfa: fewer usable rows (12) than free parameters (13): estimates are unreliable or not identified":
        "CFA: færre brugbare rækker (12) end frie parametre (13): estimaterne er usikre eller ikke identificerede",
    "cfa: model did not converge: information matrix not finite; after BFGS: information matrix not finite":
        "CFA: modellen konvergerede ikke: informationsmatricen er ikke endelig; efter BFGS: "
        "informationsmatricen er ikke endelig",
    "invariance: configural: sample covariance matrix is not positive definite in group 'a': χ² and logL_h1 "
    "undefined": "invarians: konfigural: stikprøvens kovariansmatrix er ikke positiv definit i gruppen 'a': "
                 "χ² og logL_h1 er udefinerede",
    "invariance: configural: negative variance estimate(s) (Heywood case; solution not admissible): x0 ~~ x0 "
    "(group a), x2 ~~ x2 (group b), x4 ~~ x4 (group b)":
        "invarians: konfigural: negative variansestimater (Heywood-tilfælde; løsningen er ikke tilladelig): "
        "x0 ~~ x0 (gruppe a), x2 ~~ x2 (gruppe b), x4 ~~ x4 (gruppe b)",
    "invariance: configural model did not converge (information matrix not finite; after BFGS: information "
    "matrix not finite): configural invariance not tested":
        "invarians: modellen for konfigural invarians konvergerede ikke (informationsmatricen er ikke endelig; "
        "efter BFGS: informationsmatricen er ikke endelig): konfigural invarians ikke testet",
}


def test_real_warnings_translate(degenerate_run):
    got = degenerate_run.warnings
    assert len(got) > 20
    for en, da in EXPECTED.items():
        assert en in got, en  # the analysis still writes it so
        assert translate_warning(en, "da") == da
    untranslated = [w for w in got if find_translation(w) is None]
    assert untranslated == []


def test_danish_warnings_box_has_no_english(degenerate_run):
    page = render_study_report(degenerate_run, bank=None, lang="da")
    box = re.search(r'<section[^>]*id="warnings".*?</section>', page, re.DOTALL).group(0)
    assert len(re.findall("<li>", box)) >= len(degenerate_run.warnings)
    assert 'lang="en"' not in box
    assert english_words(box, allow=frozenset({"a", "b"})) == {}  # the groups' own values
    assert "modellen konvergerede ikke" in box
    assert english_words(render_study_report(degenerate_run, bank=None, lang="en").split('id="warnings"')[1])


def test_the_comparison_index_shows_its_warnings_in_danish(tmp_path):
    from dataclasses import replace

    from coprod.instrument.bank import load_bank
    from coprod.workflow import write_comparison

    from .test_compare import _result

    res = replace(_result(), warnings=(
        "invariance by municipality: only 1 group(s) in 'municipality': invariance cannot be tested",
        "sem[Aarhus]: model did not converge: no convergence in 300 iterations"))
    write_comparison(res, tmp_path / "da", bank=load_bank(), min_cell=5, lang="da", meta={})
    write_comparison(res, tmp_path / "en", bank=load_bank(), min_cell=5, lang="en", meta={})
    da = (tmp_path / "da" / "index.html").read_text()
    box = html.unescape(re.search(r'<section[^>]*id="warnings".*?</section>', da, re.DOTALL).group(0))
    assert "<li>invarians efter kommune: kun 1 gruppe i 'municipality': invarians kan ikke testes</li>" in box
    assert "<li>SEM[Aarhus]: modellen konvergerede ikke: ingen konvergens på 300 iterationer</li>" in box
    assert english_words(box, allow=frozenset({"Aarhus"})) == {}
    # the published record keeps the English
    assert res.warnings[0] in (tmp_path / "da" / "results.json").read_text()
    assert res.warnings[1] in (tmp_path / "en" / "index.html").read_text()
