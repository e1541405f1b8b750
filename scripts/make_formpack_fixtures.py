"""Build the KoboToolbox export fixtures with KoboToolbox's own exporter, formpack (issue 15).

formpack (github.com/kobotoolbox/formpack) is what KoboToolbox runs to turn submissions into its
CSV and XLSX downloads. It is not on PyPI and is not vendored here: this script takes a local
checkout of it, and runs it on coprod's own XLSForm and simulated submissions, with the options
KoboToolbox's export dialog passes (KPI ``ExportObjectMixin._build_export_options``: the copy
fields ``_id`` ... ``_tags``, ``force_index`` for ``_index``, ``lang``, ``hierarchy_in_labels``,
``group_sep``). It writes into ``--out`` (default ``tests/fixtures/formpack/``):

* ``form.xlsx``, ``codebook.json`` — the form the exports were made from (``coprod instrument
  build``) and its codebook;
* one CSV and one XLSX per variant (``manifest.json`` lists them with their options): XML values
  and headers with and without group prefixes, with ``/``, ``-`` and ``.`` separators; label
  headers and label values in English and in Danish, with and without groups;
* ``odk_central.csv`` — an ODK Central-style CSV of the same submissions (``SubmissionDate``,
  ``-``-prefixed fields with the notes and ``meta-instanceID``, ``KEY`` ... ``FormVersion``),
  written by this script from Central's documented columns (Central is not run here).

Run it with a Python that has formpack's requirements (not the project's venv)::

    python3 -m venv /tmp/formpack-venv
    /tmp/formpack-venv/bin/pip install begins jsonschema lxml pyquery pyxform==3.0.0 statistics \\
        XlsxWriter geojson-rewind python-dateutil
    /tmp/formpack-venv/bin/python scripts/make_formpack_fixtures.py /tmp/formpack \\
        --coprod .venv/bin/coprod --formpack-rev 176f619

The data are ``coprod simulate --format kobo`` (seeded), so the fixtures are reproducible for a
given bank and formpack revision.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

#: (name, lang, hierarchy_in_labels, group_sep); lang False = "XML values and headers"
VARIANTS = [
    ("xml", False, False, "/"),
    ("xml_groups_slash", False, True, "/"),
    ("xml_groups_dash", False, True, "-"),
    ("xml_groups_dot", False, True, "."),
    ("labels_en", "English (en)", False, "/"),
    ("labels_en_groups", "English (en)", True, "/"),
    ("labels_da", "Danish (da)", False, "/"),
    ("labels_da_groups", "Danish (da)", True, "/"),
]
VERSION_UID = "vH7sWk3JqZp2"  # what Kobo stores in __version__ (its deployment uid)
CENTRAL_TAIL = ["KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected",
                "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def _paths(survey: list[dict]) -> list[tuple[str, str, str]]:
    """(name, xpath, type) of every survey row that holds a value, in form order."""
    stack: list[str] = []
    out = []
    for row in survey:
        t = str(row.get("type", "")).strip().replace(" ", "_")
        name = row.get("name")
        if t == "begin_group":
            stack.append(name)
        elif t == "end_group":
            stack.pop()
        elif name:
            out.append((name, "/".join([*stack, name]), t))
    return out


def _submissions(sim_csv: Path, paths: list[tuple[str, str, str]]) -> list[dict]:
    """Kobo submission documents (what formpack reads) from coprod's simulated Kobo CSV."""
    with open(sim_csv, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    out = []
    for k, r in enumerate(rows, 1):
        iid = f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'coprod-formpack:{k}')}"
        sub: dict = {xp: r[name] for name, xp, _ in paths if r.get(name, "") != ""}
        sub.update({"__version__": VERSION_UID, "meta/instanceID": iid, "_id": 40000 + k,
                    "_uuid": iid.removeprefix("uuid:"), "_submission_time": r["_submission_time"],
                    "_validation_status": {}, "_notes": [], "_status": "submitted_via_web",
                    "_submitted_by": None, "_tags": []})
        out.append(sub)
    return out


def _central(subs: list[dict], paths: list[tuple[str, str, str]], version: str) -> str:
    """An ODK Central CSV: SubmissionDate, the fields ("-" between group and name, notes and
    meta-instanceID included), then Central's own columns."""
    fields = [(xp.replace("/", "-"), xp) for _, xp, _ in paths] + [("meta-instanceID", "meta/instanceID")]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["SubmissionDate", *(h for h, _ in fields), *CENTRAL_TAIL])
    for s in subs:
        w.writerow([s["_submission_time"] + ".000Z", *(s.get(xp, "") for _, xp in fields),
                    s["meta/instanceID"], "7", "enumerator1", "0", "0", "", "approved",
                    f"collect:{s['_id']:x}", "0", version])
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("formpack", type=Path, help="a checkout of kobotoolbox/formpack")
    ap.add_argument("--coprod", default="coprod", help="the coprod command (default: on PATH)")
    ap.add_argument("--out", type=Path, default=Path("tests/fixtures/formpack"))
    ap.add_argument("--n", type=int, default=80, help="respondents (default 80)")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--formpack-rev", default="unknown", help="formpack revision, for the manifest")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.formpack / "src"))
    from formpack import FormPack
    from formpack.schema.fields import (IdCopyField, NotesCopyField, SubmissionTimeCopyField,
                                        TagsCopyField, ValidationStatusCopyField)
    from formpack.utils.xls_to_ss_structure import xlsx_to_dicts

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    _run([args.coprod, "instrument", "build", "--format", "xlsform", "--out", str(out / "form.xlsx"), "-q"])
    _run([args.coprod, "instrument", "build", "--format", "codebook", "--out",
          str(out / "codebook.json"), "-q"])
    (out / "codebook.csv").unlink(missing_ok=True)
    with open(out / "form.xlsx", "rb") as f:
        content = xlsx_to_dicts(f)
    content["settings"] = content.get("settings", [{}])[0]
    paths = _paths(content["survey"])
    with tempfile.TemporaryDirectory() as tmp:
        sim = Path(tmp) / "sim.csv"
        _run([args.coprod, "simulate", "--n", str(args.n), "--seed", str(args.seed), "--format",
              "kobo", "--out", str(sim), "-q"])
        subs = _submissions(sim, paths)
    pack = FormPack([{"content": content, "version": VERSION_UID,
                      "id_string": content["settings"].get("form_id")}],
                    title="coprod", id_string=content["settings"].get("form_id"))
    # KoboToolbox's copy fields, in its export order (kpi ExportObjectMixin.COPY_FIELDS, with
    # __version__ where Kobo's downloads have it)
    copy_fields = (IdCopyField, "_uuid", SubmissionTimeCopyField, ValidationStatusCopyField,
                   NotesCopyField, "_status", "_submitted_by", "__version__", TagsCopyField)
    manifest = {"formpack_rev": args.formpack_rev, "n": args.n, "seed": args.seed,
                "form": "form.xlsx", "codebook": "codebook.json", "variants": []}
    for name, lang, hier, sep in VARIANTS:
        def export():
            return pack.export(lang=lang, hierarchy_in_labels=hier, group_sep=sep,
                               versions=pack.versions.keys(), multiple_select="both",
                               copy_fields=copy_fields, force_index=True,
                               tag_cols_for_header=["hxl"])
        text = "\n".join(export().to_csv(subs)) + "\n"
        (out / f"kobo_{name}.csv").write_text(text, encoding="utf-8")
        export().to_xlsx(str(out / f"kobo_{name}.xlsx"), subs)
        manifest["variants"].append({
            "name": name, "files": [f"kobo_{name}.csv", f"kobo_{name}.xlsx"],
            "headers": "xml" if lang is False else "labels", "values": "xml" if lang is False else "labels",
            "lang": None if lang is False else lang, "hierarchy_in_labels": hier,
            "group_sep": sep if hier else None})
    version = content["settings"].get("version", "")
    (out / "odk_central.csv").write_text(_central(subs, paths, version), encoding="utf-8")
    manifest["odk_central"] = "odk_central.csv"
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(VARIANTS) * 2 + 1} exports of {len(subs)} submissions to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
