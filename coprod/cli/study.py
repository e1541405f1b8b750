"""``coprod study init|add|list|invited``: a study of many exports (municipalities, waves)."""
from __future__ import annotations

import sys
from pathlib import Path

from ._common import add_common, say

PLATFORMS = ("auto", "canonical", "kobo", "limesurvey", "redcap", "qualtrics")


def add(sub) -> None:
    st = sub.add_parser("study", help="a study of many exports: init, add, list, invited",
                        description="Keep the exports of many municipalities, platforms and waves in "
                                    "one study store (DuckDB, or PostgreSQL for a team), each import "
                                    "with its provenance.")
    ssub = st.add_subparsers(dest="study_command", metavar="ACTION")
    ssub.required = True
    i = ssub.add_parser("init", help="create a study folder",
                        description="Create a study in DIR: a DuckDB file by default, or the tables "
                                    "on a PostgreSQL server with --db.")
    i.add_argument("dir", help="study folder (created)")
    i.add_argument("--db", default=None, metavar="URL",
                   help="postgresql://user@host/dbname (password in PGPASSWORD or ~/.pgpass); "
                        "default: DIR/study.duckdb")
    add_common(i)
    i.set_defaults(func=run_init)
    a = ssub.add_parser("add", help="validate an export and add it to the study",
                        description="Validate a response export and append it to the study with its "
                                    "provenance. Nothing is stored when it has problems (unless "
                                    "--keep-valid-rows); a file or respondent ids already stored are "
                                    "refused.")
    a.add_argument("study", help="study folder")
    a.add_argument("export", help="response export (any supported platform)")
    a.add_argument("--municipality", required=True, help="the municipality the export is from")
    a.add_argument("--wave", required=True, help="the wave (e.g. 2027)")
    a.add_argument("--platform", choices=PLATFORMS, default="auto", help="platform (default: detected)")
    a.add_argument("--keep-valid-rows", action="store_true",
                   help="store the rows without problems; write the rejected rows to STUDY/rejected/")
    a.add_argument("--supersedes", type=int, default=None, metavar="IMPORT",
                   help="this export corrects import IMPORT (which stays recorded, no longer analysed)")
    a.add_argument("--note", default=None, help="a note recorded with the import")
    a.add_argument("--codebook", metavar="JSON", default=None,
                   help="codebook of the form that was fielded (needed for --sector or --seed forms)")
    add_common(a)
    a.set_defaults(func=run_add)
    ls = ssub.add_parser("list", help="imports and respondents per municipality × wave × sector",
                         description="List the imports and the respondents per municipality, wave and "
                                     "sector, with response rates where invited counts are known.")
    ls.add_argument("study", help="study folder")
    ls.add_argument("--json", action="store_true", help="print as JSON")
    add_common(ls)
    ls.set_defaults(func=run_list)
    inv = ssub.add_parser("invited", help="record how many were invited per group",
                          description="Record the number invited per municipality and sector "
                                      "(columns municipality, sector, invited; optional wave).")
    inv.add_argument("study", help="study folder")
    inv.add_argument("file", help="CSV: municipality, sector, invited[, wave]")
    add_common(inv)
    inv.set_defaults(func=run_invited)


def run_init(args) -> int:
    from coprod.store import init_study  # deferred, as in every command: --help stays light

    with init_study(Path(args.dir), db=args.db, bank=args.bank) as st:
        say(args, f"created study {st.folder} ({st.backend.name})")
    return 0


def run_add(args) -> int:
    from coprod.store import add_export, open_study  # deferred, as in every command

    with open_study(Path(args.study)) as st:
        res = add_export(st, Path(args.export), municipality=args.municipality, wave=args.wave,
                         platform=args.platform, bank=args.bank, codebook=args.codebook,
                         keep_valid_rows=args.keep_valid_rows, supersedes=args.supersedes,
                         note=args.note)
    for w in res.warnings:
        print(f"warning: {w}", file=sys.stderr)
    r = res.record
    say(args, f"import {r['import_id']}: {r['file_name']} ({r['platform']}), {r['municipality']} wave "
              f"{r['wave']}: {r['n_stored']} respondent(s) stored"
              + (f", {r['n_rejected']} rejected (written to {res.rejected_file})" if r["n_rejected"] else "")
              + (f"; supersedes import {r['supersedes']}" if r["supersedes"] is not None else ""))
    return 0


def run_list(args) -> int:
    from coprod.store import open_study  # deferred, as in every command
    from coprod.store.listing import listing_json, listing_text

    with open_study(Path(args.study)) as st:
        print(listing_json(st) if args.json else listing_text(st))
    return 0


def run_invited(args) -> int:
    from coprod.store import add_invited, open_study  # deferred, as in every command

    with open_study(Path(args.study)) as st:
        lines = add_invited(st, Path(args.file))
    say(args, f"recorded the invited counts of {len(lines)} group(s) from {Path(args.file).name}")
    return 0
