"""``coprod instrument build|check``: the questionnaire for a platform, and the bank's check."""
from __future__ import annotations

import sys
from pathlib import Path

from ._common import FORMATS, LANGS, SECTORS, add_common, out_file, say


def add(sub) -> None:
    ins = sub.add_parser("instrument", help="build the questionnaire for a survey platform",
                         description="Build and check the questionnaire.")
    isub = ins.add_subparsers(dest="instrument_command", metavar="ACTION")
    isub.required = True
    b = isub.add_parser("build", help="export the questionnaire",
                        description="Export the questionnaire to a survey platform's import format.")
    b.add_argument("--format", required=True, choices=FORMATS, help="platform format")
    b.add_argument("--lang", choices=LANGS, default="en", help="language (default en)")
    b.add_argument("--sector", choices=SECTORS, default=None,
                   help="one sector's form (default: the combined form routed by a sector question)")
    b.add_argument("--seed", type=int, default=None, help="shuffle items within blocks with this seed")
    b.add_argument("--municipality", default=None, metavar="NAME",
                   help="a form for one municipality: the name is recorded as a hidden value, not asked")
    b.add_argument("--show-codes", action="store_true",
                   help="html: print the variable codes (the fieldwork copy; hidden by default, as they "
                        "name the constructs and the attention check to respondents)")
    b.add_argument("--out", required=True, type=out_file, help="output file")
    add_common(b)
    b.set_defaults(func=run_build)
    c = isub.add_parser("check", help="check the item bank and list item counts",
                        description="Check the item bank against its schema.")
    add_common(c)
    c.set_defaults(func=run_check)


def run_build(args) -> int:
    from coprod.instrument.bank import load_bank  # deferred, as in every command: --help stays light
    from coprod.instrument.exports import export, write_export

    bank = load_bank(args.bank)
    result = export(bank, args.format, lang=args.lang, sector=args.sector, seed=args.seed,
                    municipality=args.municipality, show_codes=args.show_codes)
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for p in write_export(result, Path(args.out)):
        say(args, f"wrote {p}")
    return 0


def run_check(args) -> int:
    from coprod.instrument.bank import load_bank  # deferred: --help stays light

    bank = load_bank(args.bank)
    by: dict[tuple[str, str], int] = {}
    for item in bank.items:
        for s in item.sectors:
            by[(item.construct, s)] = by.get((item.construct, s), 0) + 1
    say(args, f"item bank OK: {bank.id} version {bank.version}, {len(bank.items)} items")
    for c in bank.constructs.values():
        counts = ", ".join(f"{s} {by.get((c.id, s), 0)}" for s in c.sectors)
        say(args, f"  {c.id}  {c.name['en']}: {counts}")
    return 0
