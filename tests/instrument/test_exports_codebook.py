"""Codebook: its shape, and that its column names are the ones the exports really contain."""
from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from coprod.instrument.exports import export
from coprod.instrument.platforms.codebook import PLATFORMS
from coprod.instrument.generator import build_questionnaire
from coprod.instrument.model import SECTORS

FORMS = [(None, "en", None), ("municipal", "da", None), (None, "da", 3), ("voluntary", "en", 8)]


def _codebook(bank, sector, lang, seed):
    res = export(bank, "codebook", sector=sector, lang=lang, seed=seed)
    assert set(res.files) == {".json", ".csv"}
    cb = json.loads(res.files[".json"].decode("utf-8"))
    rows = list(csv.DictReader(io.StringIO(res.files[".csv"].decode("utf-8-sig"), newline="")))
    return res, cb, rows


def _export_columns(bank, sector, lang, seed) -> dict[str, set[str]]:
    """The response columns each platform's file defines, read back from the files themselves."""
    out = {}
    wb = load_workbook(io.BytesIO(export(bank, "xlsform", sector=sector, lang=lang, seed=seed).files[".xlsx"]))
    ws = wb["survey"]
    header = [c.value for c in ws[1]]
    out["xlsform"] = {r[header.index("name")] for r in ws.iter_rows(min_row=2, values_only=True)
                      if r[header.index("type")] not in ("begin_group", "end_group", "note")}
    rc = csv.DictReader(io.StringIO(export(bank, "redcap", sector=sector, lang=lang, seed=seed).files[".csv"].decode()))
    out["redcap"] = {r["Variable / Field Name"] for r in rc if r["Field Type"] != "descriptive"}
    ls = csv.DictReader(io.StringIO(export(bank, "limesurvey", sector=sector, lang=lang, seed=seed)
                                    .files[".txt"].decode("utf-8-sig")), delimiter="\t")
    cols, question = set(), None
    for r in ls:
        if r["language"] != lang:
            continue
        if r["class"] == "Q":
            question = r["name"]
            if r["type/scale"] != "F":
                cols.add(question)
        elif r["class"] == "SQ":
            cols.add(f"{question}[{r['name']}]")
    out["limesurvey"] = cols
    txt = export(bank, "qualtrics", sector=sector, lang=lang, seed=seed).files[".txt"].decode().split("\n")
    cols = set()
    for k, line in enumerate(txt):
        if line.startswith("[[ED:"):
            cols.add(line[5:].split(":")[0])
        if line.startswith("[[Question:") and not line.startswith("[[Question:DB"):
            qid = txt[k + 1][5:-2]
            if line == "[[Question:Matrix]]":
                j = txt.index("[[Choices]]", k) + 1
                n = txt.index("[[Answers]]", j) - j
                cols |= {f"{qid}_{p}" for p in range(1, n + 1)}
            else:
                cols.add(qid)
    out["qualtrics"] = cols
    return out


@pytest.mark.parametrize("sector,lang,seed", FORMS)
def test_columns_match_the_exports(bank, sector, lang, seed):
    _, cb, _ = _codebook(bank, sector, lang, seed)
    exported = _export_columns(bank, sector, lang, seed)
    for p in PLATFORMS:
        listed = {c for e in cb["items"] + [cb["attention"]] for c in e["columns"][p].values()}
        listed |= {c["columns"][p] for c in cb["context"]}
        listed.add(cb["version_columns"][p])
        listed |= set(cb["helper_columns"].get(p, []))
        assert listed == exported[p], p


def test_shape(bank):
    _, cb, _ = _codebook(bank, None, "en", None)
    inst = cb["instrument"]
    assert inst["id"] == bank.id and inst["version"] == bank.version
    assert inst["base_version"] == bank.base_version and inst["languages"] == ["en", "da"]
    assert inst["title"]["da"] == bank.title["da"]
    assert cb["generated"] == {"sector": None, "lang": "en", "seed": None, "sectors": list(SECTORS),
                               "shuffled": False, "item_order": build_questionnaire(bank).item_order()}
    assert len(cb["items"]) == len(bank.items)
    ids = [i["id"] for i in cb["items"]] + [cb["attention"]["id"]] + [c["id"] for c in cb["context"]]
    assert len(ids) == len(set(ids))
    first = cb["items"][0]
    i0 = bank.items[0]
    assert first["id"] == i0.id and first["text"] == dict(i0.text) and first["source"] == i0.source
    assert set(first) >= {"id", "construct", "facet", "sectors", "reverse", "scale", "text",
                          "text_by_sector", "source", "columns"}
    assert first["scale"] == {"id": "agree7", "min": 1, "max": 7, "dont_know": 99}
    for item in cb["items"]:
        assert set(item["text_by_sector"]) == set(item["sectors"])
        for p in PLATFORMS:
            assert set(item["columns"][p]) == set(item["sectors"])
    com = next(i for i in cb["items"] if "{partner}" in i["text"]["en"])
    for s in com["sectors"]:
        assert bank.partner[s]["en"] in com["text_by_sector"][s]["en"]
    assert cb["items"][0]["columns"] == {
        "xlsform": {"municipal": "INS_C1_m", "voluntary": "INS_C1_v"},
        "redcap": {"municipal": "ins_c1_m", "voluntary": "ins_c1_v"},
        "limesurvey": {"municipal": "INSm[C1]", "voluntary": "INSv[C1]"},
        "qualtrics": {"municipal": "INS_m_1", "voluntary": "INS_v_1"}}
    att = cb["attention"]
    assert att["expected"] == bank.attention.expected and att["columns"]["xlsform"]["municipal"] == "ATT_1_m"


def test_scales_and_codes(bank):
    _, cb, _ = _codebook(bank, None, "en", None)
    agree = cb["scales"]["agree7"]
    assert agree["dont_know"]["code"] == 99 and agree["points"][0]["label"]["da"] == "Helt uenig"
    assert agree["qualtrics_recode"]["99"] == 8 and agree["qualtrics_recode"]["1"] == 1
    assert agree["limesurvey_codes"]["99"] == "DK" and agree["limesurvey_codes"]["7"] == "A7"
    assert agree["xlsform_names"]["99"] == "99" and agree["redcap_codes"]["99"] == 99
    assert cb["scales"]["freq5"]["qualtrics_recode"]["99"] == 6
    ctx = {c["id"]: c for c in cb["context"]}
    assert list(ctx)[:2] == ["consent", "sector"]
    assert ctx["service_area"]["columns"]["limesurvey"] == "servicearea"
    role = ctx["role"]["choices"]
    assert [c["codes"]["qualtrics"] for c in role] == list(range(1, len(role) + 1))
    assert role[0]["codes"] == {"xlsform": "manager", "redcap": 1, "limesurvey": "A1", "qualtrics": 1}
    assert role[0]["sectors"] == ["municipal"]
    assert "label_by_sector" in ctx["contact_frequency"]
    con = {c["id"]: c for c in cb["constructs"]}
    assert list(con)[:5] == ["INS", "COM", "REP", "VIN", "AMB"]
    assert con["INS"]["core_items"] == [i.id for i in bank.items if i.construct == "INS" and i.is_core]
    assert con["SEL"]["items"] == {"municipal": [i.id for i in bank.items_for("municipal", "SEL")]}
    assert con["INS"]["blocks"]["voluntary"]["limesurvey"] == "INSv"
    lim = cb["platform_limitations"]
    assert set(lim) == {"xlsform", "redcap", "limesurvey", "qualtrics", "qualtrics-qsf", "html"}
    assert any("Survey Flow" in m for m in lim["qualtrics"])
    assert any("translations" in m for m in lim["qualtrics"])


def test_sector_form_codebook(bank):
    _, cb, rows = _codebook(bank, "municipal", "da", None)
    assert all(set(i["columns"]["xlsform"]) == {"municipal"} for i in cb["items"])
    assert not any(i["id"].startswith(("DEP", "SYM")) for i in cb["items"])
    sector = next(c for c in cb["context"] if c["id"] == "sector")
    assert sector["fixed"] == "municipal" and len(sector["choices"]) == 2
    role = next(c for c in cb["context"] if c["id"] == "role")
    assert all(c["sectors"] == ["municipal"] for c in role["choices"])
    assert {r["sector"] for r in rows if r["kind"] == "item"} == {"municipal"}


def test_shuffled_order_recorded(bank):
    _, cb, rows = _codebook(bank, None, "da", 3)
    q = build_questionnaire(bank, seed=3)
    assert cb["generated"]["shuffled"] and cb["generated"]["item_order"] == q.item_order()
    for item in cb["items"]:
        for s, col in item["columns"]["qualtrics"].items():
            key = f"{item['construct']}_{'m' if s == 'municipal' else 'v'}"
            assert int(col.rsplit("_", 1)[1]) == q.item_order()[key].index(item["id"]) + 1


def test_csv(bank):
    res, cb, rows = _codebook(bank, None, "en", None)
    assert res.files[".csv"].startswith(b"\xef\xbb\xbf")
    n_item_rows = sum(len(i["sectors"]) for i in cb["items"]) + len(cb["attention"]["sectors"])
    kinds = [r["kind"] for r in rows]
    assert kinds.count("item") + kinds.count("attention") == n_item_rows
    assert kinds.count("context") == len(cb["context"]) and kinds.count("version") == 1
    r = next(r for r in rows if r["id"] == "INS_C1" and r["sector"] == "voluntary")
    assert (r["xlsform"], r["redcap"], r["limesurvey"], r["qualtrics"]) == ("INS_C1_v", "ins_c1_v", "INSv[C1]", "INS_v_1")
    assert r["block"] == "INS_v" and r["position"] == "1" and r["scale"] == "agree7"
    text = res.files[".csv"].decode("utf-8-sig")
    assert all(ch in text for ch in "æøå") and bank.version in text
    assert all(ch in res.files[".json"].decode("utf-8") for ch in "æøå")
