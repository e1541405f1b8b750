"""``coprod simulate``: synthetic responses from the population model."""
from __future__ import annotations

from pathlib import Path

from ._common import SIM_FORMATS, add_common, out_file, positive_int, say


def add(sub) -> None:
    s = sub.add_parser("simulate", help="write synthetic responses",
                       description="Simulate responses from the population model (seeded).")
    s.add_argument("--n", type=positive_int, required=True, help="number of respondents")
    s.add_argument("--seed", type=int, required=True, help="random seed")
    s.add_argument("--format", choices=SIM_FORMATS, default="csv",
                   help="file format (csv = the canonical table)")
    s.add_argument("--out", required=True, type=out_file, help="output file")
    add_common(s)
    s.set_defaults(func=run)


def run(args) -> int:
    from coprod.analysis.responses import simulate  # deferred, as in every command: --help stays light
    from coprod.instrument.bank import load_bank
    from coprod.responses import write_simulated

    bank = load_bank(args.bank)
    table = simulate(args.n, seed=args.seed, bank=bank)
    written = write_simulated(table, Path(args.out), args.format, bank=bank)
    for p in (written if isinstance(written, (list, tuple)) else [written or args.out]):
        say(args, f"wrote {p}")
    return 0
