"""``coprod validate``: every problem in a response file."""
from __future__ import annotations

import json
from pathlib import Path

from ._common import add_common, add_limits, limits


def add(sub) -> None:
    v = sub.add_parser("validate", help="check a response file and list every problem",
                       description="Check a response export. Exit 0 when clean, 1 when problems "
                                   "were found, 2 when the file cannot be read.")
    v.add_argument("file", help="response file (CSV, XLSX, SAV, DTA, or a platform export)")
    v.add_argument("--json", action="store_true", help="print the problems as JSON")
    v.add_argument("--codebook", metavar="JSON", default=None,
                   help="codebook of the form that was fielded (needed for --sector or --seed forms)")
    v.add_argument("--strict", action="store_true",
                   help="columns that are not the instrument's are problems (default: kept aside "
                        "with a warning)")
    v.add_argument("--groups", metavar="CSV", default=None,
                   help="municipality spellings mapped to one name (two columns: spelling,group)")
    add_limits(v)
    add_common(v)
    v.set_defaults(func=run)


def run(args) -> int:
    from coprod.instrument.bank import load_bank  # deferred, as in every command: --help stays light
    from coprod.responses import validate_responses

    from coprod.instrument.platforms.registry import load_codebook

    bank = load_bank(args.bank)
    cb = load_codebook(args.codebook, bank)  # a bad codebook is its own error, not the file's
    report = validate_responses(Path(args.file), bank=bank, codebook=cb, strict_columns=args.strict,
                                groups=args.groups, limits=limits(args))
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        for p in report.problems:
            print(str(p))
        for w in report.warnings:
            print(f"warning: {w}")
        print(report.summary() if hasattr(report, "summary") else
              f"{len(report.problems)} problem(s) in {args.file}")
    return report.exit_code
