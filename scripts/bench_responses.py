"""Benchmark: read + validate + score 100,000 respondents from CSV, against pandas.read_csv alone.

Usage::

    .venv/bin/python scripts/bench_responses.py [--n 100000] [--format csv] [--repeat 3]

Simulates ``n`` respondents (not timed), writes them in ``--format`` (the canonical CSV by
default, or a platform export such as ``kobo``), then times

* ``pandas.read_csv(path)`` with pandas' defaults (plus the separator / header rows the format
  needs), and
* ``read_responses(path, strict=False)`` (encoding, delimiter, header and platform detection,
  mapping to item ids, every validation rule, don't-know masks, quality flags) +
  ``validate_responses(data)`` + ``score(data.analysis_table())``.

Each is the best of ``--repeat`` runs. Target: under 5 s and at most 3 times pandas' parse.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


import pandas as pd  # noqa: E402

from coprod.analysis.responses import score, simulate  # noqa: E402
from coprod.responses import read_responses, validate_responses, write_simulated  # noqa: E402
from coprod.instrument.bank import load_bank  # noqa: E402

_PANDAS_ARGS = {"csv": {}, "kobo": {"sep": ";"}, "limesurvey": {"encoding": "utf-8-sig"},
                "redcap": {}, "qualtrics": {"skiprows": [1, 2], "encoding": "utf-8-sig"}}


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", default="csv", choices=sorted(_PANDAS_ARGS))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    bank = load_bank()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"responses_{args.format}.csv"
        t0 = time.perf_counter()
        write_simulated(simulate(args.n, seed=args.seed, bank=bank), path, args.format, bank=bank)
        setup = time.perf_counter() - t0
        size = path.stat().st_size / 1e6

        t_pandas, df = _best(lambda: pd.read_csv(path, **_PANDAS_ARGS[args.format]), args.repeat)

        def ours():
            data = read_responses(path, bank=bank, strict=False)
            report = validate_responses(data)
            scores = score(data.analysis_table(), bank)
            return data, report, scores

        t_ours, (data, report, scores) = _best(ours, args.repeat)

    print(f"file: {args.format}, {args.n} respondents x {df.shape[1]} columns, {size:.1f} MB "
          f"(simulated and written in {setup:.1f} s, not timed)")
    print(f"pandas.read_csv alone:          {t_pandas:6.2f} s")
    print(f"read + validate + score:        {t_ours:6.2f} s   ({t_ours / t_pandas:.2f} x pandas)")
    print(f"  respondents {data.n}, problems {len(report.problems)}, flagged "
          f"{int(data.flags['flagged'].sum())}, scored {len(scores)}")
    ok = t_ours < 5.0 and t_ours <= 3 * t_pandas
    print("target (< 5 s and <= 3 x pandas):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
