"""``coprod demo``: the whole toolkit on simulated data."""
from __future__ import annotations

import sys
from pathlib import Path

from ._common import LANGS, add_common, out_folder, positive_int, progress, say


def add(sub) -> None:
    d = sub.add_parser("demo", help="simulate a multi-municipality study, analyse it and write reports",
                       description="Simulate a study (both sectors, several municipalities and service "
                                   "areas), analyse it, and write the study report and the comparison "
                                   "by service area.")
    d.add_argument("--out", default="demo-out", type=out_folder, help="output folder (default: demo-out)")
    d.add_argument("--n", type=positive_int, default=1200, help="respondents to simulate (default 1200)")
    d.add_argument("--seed", type=int, default=2021, help="random seed (default 2021)")
    d.add_argument("--lang", choices=LANGS, default="en", help="report language")
    add_common(d)
    d.set_defaults(func=run)


def run(args) -> int:
    from coprod.workflow import run_demo  # deferred, as in every command: --help stays light

    out = run_demo(Path(args.out), n=args.n, seed=args.seed, lang=args.lang, bank=args.bank,
                   progress=progress(args, "demo"), quiet=args.quiet)
    for w in out.warnings:
        print(f"warning: {w}", file=sys.stderr)
    say(args, f"demo finished in {out.seconds:.1f} s; open these in a browser:")
    for p in out.files:
        say(args, f"  {p}")
    return 0
