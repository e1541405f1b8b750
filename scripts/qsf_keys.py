"""The key sets of a QSF that Qualtrics exported, as the fixture the QSF writer is tested against.

Usage: ``python scripts/qsf_keys.py EXPORT.qsf > tests/fixtures/qsf/real_export_keys.json``

EXPORT may also be a Go source holding the QSF in a raw string (the public test data of
github.com/fflewddur/sp, ``libsp/data_test.go``, an export of a real Qualtrics survey). Only
the names of keys and element types are kept, never the survey's content.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path


def key_sets(qsf: dict) -> dict:
    """Element types in order of first appearance and the keys of each kind of object."""
    elements = qsf["SurveyElements"]
    out: dict = {"survey_entry": sorted(qsf["SurveyEntry"]), "element": sorted(elements[0]),
                 "element_types": list(dict.fromkeys(e["Element"] for e in elements)), "questions": {},
                 "block": set(), "flow_block": set(), "flow_embedded": set(), "embedded_field": set(),
                 "survey_options": sorted(next(e["Payload"] for e in elements if e["Element"] == "SO"))}
    for e in elements:
        if e["Element"] == "SQ":
            p = e["Payload"]
            key = "/".join(str(p.get(k)) for k in ("QuestionType", "Selector", "SubSelector"))
            out["questions"].setdefault(key, set()).update(p)
        elif e["Element"] == "BL":
            for b in e["Payload"]:
                out["block"].update(b)
        elif e["Element"] == "FL":
            for f in e["Payload"]["Flow"]:
                if f["Type"] == "EmbeddedData":
                    out["flow_embedded"].update(f)
                    for x in f["EmbeddedData"]:
                        out["embedded_field"].update(x)
                elif f["Type"] in ("Block", "Standard"):
                    out["flow_block"].update(f)
    return json.loads(json.dumps(out, default=sorted))


def main(path: str) -> None:
    text = Path(path).read_text(encoding="utf-8")
    m = re.search(r"= `(\{.*?\})`", text, re.S)  # the first raw string that is a QSF
    qsf = json.loads(m.group(1) if m else text)
    print(json.dumps({"source": "a QSF exported by Qualtrics: github.com/fflewddur/sp libsp/data_test.go "
                                "(commit c1bc8f9)", **key_sets(qsf)}, indent=1, sort_keys=False))


if __name__ == "__main__":
    main(sys.argv[1])
