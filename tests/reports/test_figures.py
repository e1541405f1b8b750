import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from markupsafe import Markup
from report_sample import EVIL

from coprod.reports import figures as F
from coprod.reports._svg import NEG_RAMP, NEUTRAL, NO_DATA, POS_RAMP
from coprod.reports.env import ReportError, get_environment

NS = "{http://www.w3.org/2000/svg}"


def parse(svg):
    assert isinstance(svg, Markup)
    root = ET.fromstring(str(svg))
    assert root.tag == f"{NS}svg" and root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{NS}title").get("id") == title_id
    assert root.find(f"{NS}desc").get("id") == desc_id
    return root


def texts(root):
    return [el.text for el in root.iter(f"{NS}text")]


def by_title(root, tag):
    """Elements of ``tag`` keyed by the text of their <title> child (tooltip)."""
    return {el.find(f"{NS}title").text: el for el in root.iter(f"{NS}{tag}") if el.find(f"{NS}title") is not None}


LIKERT = pd.DataFrame([[10, 20, 40, 20, 10], [0, 0, 0, 50, 50], [np.nan] * 5],
                      index=["i1", "i2", "i3"], columns=["SD", "D", "N", "A", "SA"])
EDGES = [("INS", "COM", 0.46, 0.0001), ("VIN", "REP", 0.38, 0.002), ("COM", "AMB", 0.29, 0.01),
         ("REP", "AMB", 0.11, 0.21), ("AMB", "SEL", 0.31, 0.001), ("AMB", "WEL", -0.18, 0.03)]


def all_figures(label=EVIL, lang="en"):
    heat = pd.DataFrame({"INS": [4.2, 9.87], "COM": [np.nan, 9.87]}, index=[label, "B"])
    est = pd.DataFrame({"group": [label, "B"], "mean": [4.1, 6.543], "lower": [3.9, 6.0], "upper": [4.3, 7.0],
                        "suppressed": [False, True]})
    return {
        "likert": F.diverging_stacked_bars(LIKERT, [label, "two", "three"], title=label, desc=label, lang=lang),
        "path": F.path_diagram({"INS": label}, EDGES, title=label, desc=label, lang=lang),
        "heat": F.heatmap(heat, title=label, desc=label, suppressed_mask=pd.Series({label: False, "B": True}),
                          lang=lang),
        "dots": F.dot_ci_plot(est, title=label, desc=label, lang=lang),
        "bars": F.bar_chart(pd.Series({label: 0.42, "B": 0.1}), title=label, desc=label, percent=True, lang=lang),
    }


@pytest.mark.parametrize("name", ["likert", "path", "heat", "dots", "bars"])
def test_svg_is_xml_with_escaped_labels(name):
    svg = all_figures()[name]
    assert "<script" not in svg
    root = parse(svg)
    assert root.find(f"{NS}title").text == EVIL and root.find(f"{NS}desc").text == EVIL
    assert EVIL in texts(root) or any(EVIL in (x or "") for x in texts(root))
    # inside the page it is not escaped twice
    out = get_environment().from_string("{{ svg }}").render(svg=svg)
    assert out == str(svg)


def test_attribute_escaping():
    quote = 'A" onload="alert(1)'
    root = parse(F.bar_chart(pd.Series({quote: 1.0}), title=quote, desc="d"))
    assert all(not k.startswith("on") for el in root.iter() for k in el.attrib)
    assert quote in texts(root)


def test_ids_are_stable_and_distinct():
    a = F.bar_chart(pd.Series({"x": 1.0}), title="one", desc="d")
    b = F.bar_chart(pd.Series({"x": 1.0}), title="two", desc="d")
    assert a == F.bar_chart(pd.Series({"x": 1.0}), title="one", desc="d")
    assert ET.fromstring(str(a)).get("id") != ET.fromstring(str(b)).get("id")


# ------------------------------------------------------------------ Likert
def test_likert_centred_on_neutral_with_legend():
    root = parse(F.diverging_stacked_bars(LIKERT, title="t", desc="d"))
    rects = by_title(root, "rect")
    neutral = rects["i1: N 40%"]
    assert neutral.get("fill") == NEUTRAL
    centre = [ln for ln in root.iter(f"{NS}line") if ln.get("stroke") == "#1f2933"][0]
    mid = float(neutral.get("x")) + float(neutral.get("width")) / 2
    assert mid == pytest.approx(float(centre.get("x1")), abs=0.2)
    # i2 is all agreement: its bars start at the centre line
    assert float(rects["i2: A 50%"].get("x")) == pytest.approx(float(centre.get("x1")), abs=0.2)
    # disagree side orange, agree side blue, legend lists every category in order
    assert rects["i1: SD 10%"].get("fill") in NEG_RAMP and rects["i1: SA 10%"].get("fill") in POS_RAMP
    assert [x for x in texts(root) if x in LIKERT.columns] == list(LIKERT.columns)
    assert "no data" in texts(root)  # the all-missing row


def test_likert_counts_are_rescaled_and_danish():
    counts = pd.DataFrame([[1, 1, 2]], columns=["no", "maybe", "yes"])
    root = parse(F.diverging_stacked_bars(counts, categories=["Nej", "Måske", "Ja"], title="t", desc="d",
                                          lang="da"))
    assert "0: Ja 50\u00a0%" in by_title(root, "rect")


def test_likert_even_scale_and_bad_neutral():
    even = pd.DataFrame([[0.25, 0.25, 0.25, 0.25]], columns=list("abcd"))
    parse(F.diverging_stacked_bars(even, title="t", desc="d"))
    with pytest.raises(ReportError, match="neutral category 'x'"):
        F.diverging_stacked_bars(LIKERT, title="t", desc="d", neutral="x")
    with pytest.raises(ReportError, match="labels"):
        F.diverging_stacked_bars(LIKERT, ["only one"], title="t", desc="d")


# ------------------------------------------------------------------ path diagram
def centres(root):
    out = {}
    for tag in ("ellipse", "rect"):
        for el in root.iter(f"{NS}{tag}"):
            t = el.find(f"{NS}title")
            if t is None:
                continue
            if tag == "ellipse":
                out[t.text] = (float(el.get("cx")), float(el.get("cy")))
            else:
                out[t.text] = (float(el.get("x")) + float(el.get("width")) / 2,
                               float(el.get("y")) + float(el.get("height")) / 2)
    return out


def test_path_diagram_layers_left_to_right():
    root = parse(F.path_diagram(["INS", "VIN", "COM", "REP", "AMB", "SEL", "WEL"], EDGES, title="t", desc="d"))
    c = centres(root)
    x = {k: v[0] for k, v in c.items()}
    assert x["INS"] == x["VIN"] < x["COM"] == x["REP"] < x["AMB"] < x["SEL"] == x["WEL"]
    assert c["INS"][1] < c["VIN"][1] and c["COM"][1] < c["REP"][1]  # order follows parents


def test_path_diagram_labels_stars_and_dashes():
    root = parse(F.path_diagram([], EDGES, title="t", desc="d"))
    labels = texts(root)
    for lab in ("0.46***", "0.38**", "0.29*", "0.11", "\u22120.18*"):
        assert lab in labels
    lines = by_title(root, "line")
    assert lines["REP \u2192 AMB: 0.11"].get("stroke-dasharray")           # p = .21
    assert lines["INS \u2192 COM: 0.46***"].get("stroke-dasharray") is None
    assert "not significant" in labels


def test_path_diagram_from_parameter_table_and_cycles():
    params = pd.DataFrame({"lhs": ["COM", "AMB", "COM"], "op": ["~", "~", "~~"], "rhs": ["INS", "COM", "COM"],
                           "est": [0.5, 0.4, 1.0], "std_all": [0.45, 0.35, 1.0], "pvalue": [0.001, 0.2, np.nan]})
    root = parse(F.path_diagram(["INS", "COM", "AMB"], params, title="t", desc="d"))
    assert "0.45**" in texts(root) and "0.35" in texts(root) and "1.00" not in texts(root)
    cyc = parse(F.path_diagram([], [("A", "B", 0.1, 0.01), ("B", "A", 0.2, 0.01), ("B", "C", 0.3, 0.5)],
                               title="t", desc="d"))
    assert set(centres(cyc)) == {"A", "B", "C"}


def test_path_diagram_observed_nodes_and_r2():
    root = parse(F.path_diagram([{"id": "AMB", "r2": 0.123}, {"id": "SEL", "kind": "observed", "label": "Selection"}],
                                [("AMB", "SEL", 0.3, 0.01)], title="t", desc="d"))
    assert "R\u00b2 = 0.12" in texts(root)
    assert any(el.find(f"{NS}title").text == "Selection" for el in root.iter(f"{NS}rect")
               if el.find(f"{NS}title") is not None)


# ------------------------------------------------------------------ heatmap
def test_heatmap_suppressed_differs_from_no_data_and_hides_values():
    m = pd.DataFrame({"INS": [4.2, 9.87, np.nan], "COM": [np.nan, 9.87, 3.1]}, index=["A", "B", "C"])
    sup = pd.DataFrame({"INS": [False, True, False], "COM": [False, True, False]}, index=m.index)
    svg = F.heatmap(m, title="t", desc="d", suppressed_mask=sup, vmin=1, vmax=7)
    root = parse(svg)
    assert "9.87" not in svg
    cells = by_title(root, "rect")
    assert cells["B, INS: suppressed"].get("fill").startswith("url(#") and "hatch" in cells["B, INS: suppressed"].get("fill")
    assert cells["A, COM: no data"].get("fill") == NO_DATA
    assert cells["C, INS: no data"].get("fill") == NO_DATA
    assert cells["A, INS: 4.20"].get("fill") not in (NO_DATA,)
    assert texts(root).count("suppressed") == 2 and texts(root).count("no data") == 3  # 2 + legend
    assert "suppressed for privacy (min. n = 5)" in texts(root)
    assert root.find(f".//{NS}pattern") is not None


def test_heatmap_row_mask_and_danish():
    m = pd.DataFrame({"INS": [4.25, 5.0]}, index=["A", "B"])
    root = parse(F.heatmap(m, title="t", desc="d", suppressed_mask=pd.Series({"A": False, "B": True}), lang="da"))
    assert "4,25" in texts(root) and "skjult" in texts(root) and "5,00" not in texts(root)
    with pytest.raises(ReportError, match="suppressed_mask"):
        F.heatmap(m, title="t", desc="d", suppressed_mask=pd.Series({"A": False}))


# ------------------------------------------------------------------ dot + CI, bars
def test_dot_ci_plot():
    est = pd.DataFrame({"group": ["A", "B", "C"], "mean": [4.1, 6.543, np.nan], "lower": [3.9, 6.0, np.nan],
                        "upper": [4.3, 7.0, np.nan], "suppressed": [False, True, False]})
    svg = F.dot_ci_plot(est, title="t", desc="d", xlim=(1, 7), reference=4)
    root = parse(svg)
    assert "4.10 [3.90, 4.30]" in texts(root)
    assert "6.54" not in svg and "suppressed" in texts(root) and "no data" in texts(root)
    assert len(list(root.iter(f"{NS}circle"))) == 1
    assert [x for x in texts(root) if re.fullmatch(r"\d", x or "")] == [str(i) for i in range(1, 8)]
    with pytest.raises(ReportError, match="columns"):
        F.dot_ci_plot(est.drop(columns="upper"), title="t", desc="d")


def test_bar_chart():
    root = parse(F.bar_chart({"SEL": 0.42, "IND": None, "SEP": 0.3}, title="t", desc="d", percent=True,
                             suppressed=["SEP"]))
    labels = texts(root)
    assert "42%" in labels and "no data" in labels and "suppressed" in labels
    bars = by_title(root, "rect")
    assert set(bars) == {"SEL: 42%"}
    root = parse(F.bar_chart(pd.Series({"a": 1.5}), title="t", desc="d", lang="da"))
    assert "1,50" in texts(root)


def test_path_that_would_cross_a_node_bends_around_it():
    import xml.etree.ElementTree as ET

    from coprod.reports.figures import path_diagram

    edges = [("ind60", "dem60", 0.45, 0.001), ("dem60", "dem65", 0.89, 0.001), ("ind60", "dem65", 0.18, 0.01)]
    svg = str(path_diagram(["ind60", "dem60", "dem65"], edges, title="t", desc="d"))
    ET.fromstring(svg)
    assert svg.count(" Q") == 1          # only the layer-skipping path is a curve
    assert svg.count("<line") >= 2      # the other two stay straight
