"""Benchmark of the full default analysis (``coprod analyze DATA --out DIR``), wall time per stage.

Usage::

    .venv/bin/python scripts/bench.py [--n 20000] [--bootstrap 1000] [--seed 1] [--jobs 2]
                                      [--data FILE] [--out DIR] [--report] [--profile FILE]

Simulates ``--n`` respondents (not timed; or reads ``--data``), then runs what ``coprod analyze
DATA --out DIR --bootstrap N --seed S`` runs, stage by stage and with the same functions as
:func:`analysis.pipeline.analyze_file`: hash the input, read + validate the export, the default
analysis of the instrument (each step timed by the pipeline itself, ``meta.timings_sec``),
``results.json``, and with ``--report`` the study report. Prints the wall time of every stage,
bootstrap draws per second, the total, the machine load (``uptime`` before and after) and the
BLAS / thread set-up.

Target (issue): under 30 s at n = 20,000 with 1,000 draws on a 2-core machine.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path


T_START = time.perf_counter()


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _blas_info() -> list[str]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["threadpoolctl not installed: BLAS threads unknown"]
    return [f"{d.get('internal_api')} {d.get('version')} ({d.get('user_api')}, {d.get('threading_layer', '?')}): "
            f"{d.get('num_threads')} thread(s)" for d in threadpool_info()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000, help="respondents to simulate (default 20000)")
    ap.add_argument("--bootstrap", type=int, default=1000, help="bootstrap draws (default 1000)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the simulation and the analysis (default 1)")
    ap.add_argument("--jobs", type=int, default=2, help="bootstrap worker processes (default 2)")
    ap.add_argument("--data", default=None, help="analyse this response file instead of simulating")
    ap.add_argument("--out", default=None, help="output folder (default: a temporary folder)")
    ap.add_argument("--report", action="store_true", help="also write the study report (report.html)")
    ap.add_argument("--profile", default=None, metavar="FILE",
                    help="write a cProfile of the analysis (not the simulation) to FILE")
    args = ap.parse_args(argv)

    load_before = _uptime()
    t0 = time.perf_counter()
    import numpy as np  # noqa: F401
    import pandas as pd  # noqa: F401

    import coprod.analysis.sem.api as sem_api
    from coprod.analysis.default import analyze_instrument
    from coprod.workflow import results_json, sha256_of, write_outputs
    from coprod.analysis.responses import simulate
    from coprod.responses import read_responses, write_simulated
    from coprod.instrument.bank import load_bank
    # the steps import these lazily; import them here so that step times are computation only
    import coprod.analysis.efa, coprod.analysis.items, coprod.analysis.reliability, coprod.analysis.sem, coprod.analysis.validity  # noqa: E401,F401
    import scipy.linalg, scipy.optimize, scipy.stats  # noqa: E401,F401
    t_import = time.perf_counter() - t0

    # time the bootstrap inside the "sem" step (a wrapper; it changes nothing in the results)
    boot_time: list[float] = []
    run_bootstrap = sem_api.run_bootstrap

    def timed_bootstrap(*a, **kw):
        tb = time.perf_counter()
        try:
            return run_bootstrap(*a, **kw)
        finally:
            boot_time.append(time.perf_counter() - tb)
    sem_api.run_bootstrap = timed_bootstrap
    # BLAS threads in effect inside the analysis (analyze_instrument may limit them)
    blas_seen: list[str] = []
    try:
        from threadpoolctl import threadpool_info

        def timed_bootstrap_info(*a, **kw):
            blas_seen.extend(f"{d.get('internal_api')} {d.get('num_threads')} thread(s)"
                             for d in threadpool_info() if d.get("user_api") == "blas")
            return timed_bootstrap(*a, **kw)
        sem_api.run_bootstrap = timed_bootstrap_info
    except ImportError:
        pass

    tmp = tempfile.TemporaryDirectory(prefix="coprod-bench-")
    out = Path(args.out) if args.out else Path(tmp.name) / "out"
    bank = load_bank()
    if args.data:
        data = Path(args.data)
        sim_note = f"data: {data}"
    else:
        data = Path(tmp.name) / f"sim{args.n}.csv"
        ts = time.perf_counter()
        write_simulated(simulate(args.n, seed=args.seed, bank=bank), data, "csv", bank=bank)
        sim_note = f"simulated n = {args.n} (seed {args.seed}) in {time.perf_counter() - ts:.2f} s, not timed"

    prof = None
    if args.profile:
        import cProfile
        prof = cProfile.Profile()
        prof.enable()
    stages: list[tuple[str, float]] = []
    t_run = time.perf_counter()
    t = time.perf_counter()
    meta = {"input_file": data.name, "input_sha256": sha256_of(data)}
    stages.append(("sha256 of input", time.perf_counter() - t))
    t = time.perf_counter()
    rd = read_responses(data, bank=bank)
    stages.append(("read + validate", time.perf_counter() - t))
    t = time.perf_counter()
    result = analyze_instrument(rd, bank=bank, bootstrap=args.bootstrap, seed=args.seed, meta=meta,
                                n_jobs=args.jobs)
    t_analysis = time.perf_counter() - t
    timings = dict(result.meta["timings_sec"])
    blas_inside = ", ".join(sorted(set(blas_seen)))
    t = time.perf_counter()
    write_outputs(out, {"results.json": results_json(result)})
    t_write = time.perf_counter() - t
    t_report = None
    if args.report:
        from coprod.workflow import write_study_report
        t = time.perf_counter()
        write_study_report(result, out / "report.html", bank=bank)
        t_report = time.perf_counter() - t
    t_total = time.perf_counter() - t_run
    if prof is not None:
        prof.disable()
        prof.dump_stats(args.profile)
    load_after = _uptime()

    rows: list[tuple[str, float, str]] = [(name, sec, "") for name, sec in stages]
    for name, sec in timings.items():
        note = ""
        if name == "sem" and boot_time:
            draws = args.bootstrap
            note = (f"of which bootstrap {boot_time[0]:.2f} s: {draws / boot_time[0]:.0f} draws/s "
                    f"({args.jobs} job(s))" if boot_time[0] > 0 else "")
        rows.append((f"  {name}", sec, note))
    rows.append(("  other (reverse keying, summaries, hypotheses)", t_analysis - sum(timings.values()), ""))
    rows.append(("analysis total", t_analysis, ""))
    rows.append(("results.json write", t_write, ""))
    if t_report is not None:
        rows.append(("study report", t_report, ""))
    rows.append(("TOTAL (as coprod analyze, without imports)", t_total, ""))
    rows.append(("imports (numpy, pandas, scipy, coprod)", t_import, "paid once per process"))

    n_used = result.data_summary.n_used if result.data_summary else None
    print(f"coprod analyze benchmark: {sim_note}; analysed n = {n_used}, bootstrap = {args.bootstrap}, "
          f"seed = {args.seed}, jobs = {args.jobs}")
    print(f"python {platform.python_version()}, {os.cpu_count()} CPU(s); BLAS outside the analysis: "
          + "; ".join(_blas_info()) + f"; inside: {blas_inside or 'as outside'}")
    print(f"load before: {load_before}")
    print(f"load after:  {load_after}")
    w = max(len(r[0]) for r in rows)
    print(f"{'stage':<{w}}  {'wall s':>8}")
    for name, sec, note in rows:
        print(f"{name:<{w}}  {sec:8.3f}" + (f"  {note}" if note else ""))
    boot = result.sections.sem.bootstrap_info if result.sections.sem else None
    if boot:
        print(f"bootstrap: {boot.n_converged} of {boot.n_requested} draws converged")
    if result.errors:
        print("errors:", *result.errors, sep="\n  ")
    print(f"results in {out}" if args.out else "results written to a temporary folder (use --out to keep)")
    print(f"wall time of the script: {time.perf_counter() - T_START:.2f} s")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
