"""``coprod report``: the study report of a results.json again, without analysing."""
from __future__ import annotations

from pathlib import Path

from ._common import LANGS, add_common, out_file, positive_int, report_outputs


def add(sub) -> None:
    r = sub.add_parser("report", help="render the study report of a results.json again",
                       description="Render the study report of an analysis results.json (another "
                                   "language or threshold) without analysing again.")
    r.add_argument("results", help="results.json written by coprod analyze")
    r.add_argument("--out", required=True, type=out_file, help="report file to write (HTML)")
    r.add_argument("--lang", choices=LANGS, default="en", help="report language")
    r.add_argument("--min-cell", type=positive_int, default=5,
                   help="suppress figures for groups with fewer respondents (default 5)")
    r.add_argument("--tables", choices=("xlsx", "csv"), default=None,
                   help="also write every table of the report: OUT.xlsx (a sheet per table) or "
                        "OUT-tables/*.csv")
    r.add_argument("--pdf", action="store_true",
                   help="also print the report to OUT.pdf with headless Chromium (where installed)")
    add_common(r)
    r.set_defaults(func=run)


def run(args) -> int:
    from coprod.workflow import report_file  # deferred, as in every command: --help stays light

    out = report_file(Path(args.results), out=Path(args.out), lang=args.lang, bank=args.bank,
                      min_cell=args.min_cell, tables=args.tables, pdf=args.pdf)
    report_outputs(args, out.warnings, out.files)
    return 0
