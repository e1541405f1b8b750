"""``coprod compare``: the comparative report per group."""
from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (COMPARE_BY, LANGS, add_common, add_limits, limits, out_folder, positive_int,
                      progress, report_outputs)


def add(sub) -> None:
    cp = sub.add_parser("compare", help="comparative report per group",
                        description="Write a comparative report per service area, municipality, sector or role.")
    cp.add_argument("data", help="response file, or a study folder (coprod study init)")
    cp.add_argument("--by", required=True, choices=COMPARE_BY, help="grouping column")
    cp.add_argument("--wave", default=None, help="a study's wave (default: every wave)")
    cp.add_argument("--out", required=True, type=out_folder, help="output folder")
    cp.add_argument("--min-cell", type=positive_int, default=5,
                    help="suppress figures for groups with fewer respondents (default 5)")
    cp.add_argument("--min-analytic", type=_at_least_two, default=50,
                    help="respondents a group needs for the invariance test, alignment and its own "
                         "structural model; smaller groups get descriptive figures only (default 50)")
    cp.add_argument("--benchmark", action="store_true",
                    help="also write benchmark-<group>.html: each group against the distribution of "
                         "the others (median and quartiles), naming no other group")
    cp.add_argument("--lang", choices=LANGS, default="en", help="report language")
    cp.add_argument("--missing", choices=("listwise", "fiml"), default="listwise",
                    help="missing answers in each group's structural model: listwise deletion (default) or "
                         "full-information ML (slower); the invariance test is always FIML")
    cp.add_argument("--groups", metavar="CSV", default=None,
                    help="municipality spellings mapped to one name (two columns: spelling,group)")
    cp.add_argument("--keep-flagged", action="store_true",
                    help="keep respondents flagged by the data-quality checks")
    add_limits(cp)
    add_common(cp)
    cp.set_defaults(func=run)


def _at_least_two(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 2:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 2, got {text!r}")
    return value


def run(args) -> int:
    from coprod.workflow import compare_file  # deferred, as in every command: --help stays light

    out = compare_file(Path(args.data), by=args.by, out=Path(args.out), min_cell=args.min_cell,
                       lang=args.lang, bank=args.bank, keep_flagged=args.keep_flagged,
                       progress=progress(args, "groups"), wave=args.wave, limits=limits(args),
                       groups=args.groups, min_analytic=args.min_analytic, benchmark=args.benchmark,
                       missing=args.missing)
    report_outputs(args, out.warnings, out.files)
    return 0
