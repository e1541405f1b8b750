"""``coprod compare``: the comparative report per group."""
from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (COMPARE_BY, LANGS, add_common, add_limits, limits, out_folder, positive_int,
                      progress, report_outputs)


def add(sub) -> None:
    cp = sub.add_parser("compare", help="comparative report per group",
                        description="Write a comparative report per service area, municipality, sector or role. "
                                    "On a study: response rates per group (coprod study invited), and with "
                                    "two waves the change per group between them.")
    cp.add_argument("data", help="response file, or a study folder (coprod study init)")
    cp.add_argument("--by", required=True, choices=COMPARE_BY, help="grouping column")
    cp.add_argument("--wave", default=None,
                    help="compare the groups of one wave of a study, without change (default: see --waves)")
    cp.add_argument("--waves", type=_two_waves, default=None, metavar="A,B",
                    help="compare the groups of wave B and show each group's change since wave A, gated "
                         "by measurement invariance across the waves; default for a study that holds two "
                         "waves or more: its last two")
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


def _two_waves(text: str) -> tuple[str, str]:
    waves = tuple(w.strip() for w in text.split(","))
    if len(waves) != 2 or not all(waves) or waves[0] == waves[1]:
        raise argparse.ArgumentTypeError(f"give two different waves, earlier first, e.g. 2026,2027 (not {text!r})")
    return waves


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
                       missing=args.missing, waves=args.waves)
    report_outputs(args, out.warnings, out.files)
    return 0
