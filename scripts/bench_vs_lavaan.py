"""coprod against lavaan (R) on the same generated data, in one run: time ratios per workload.

Workloads (n = 2,000 unless said): CFA with 21 and 60 items, the coproduction SEM, the SEM with
a bootstrap, the SEM by FIML (10% MCAR), WLSMV on 5-category items, and configural → metric →
scalar invariance across 2, 10 and 20 groups (12 items), and across 2 groups with 60 items
(n = 2,000) and 21 items (n = 20,000). Each side fits each workload ``--reps`` times
in one warm process (R: ``lavaan`` loaded once; Python: coprod imported once) and the median
is reported; a second table times whole commands (``coprod analyze --spec`` against
``Rscript`` running the same CFA and SEM), start-up included.

Usage: ``.venv/bin/python scripts/bench_vs_lavaan.py [--reps 3] [--boot 200] [--only cfa21,sem]``

Without ``Rscript`` and lavaan (Debian: ``r-base-core r-cran-lavaan``) only coprod's times are
printed. R is a benchmark tool here, never a dependency of coprod.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from coprod.analysis.sem import fit_sem, measurement_invariance

STRUCTURAL = "COM ~ a1*F1\nREP ~ a2*F4\nAMB ~ b1*COM + b2*REP\nind1 := a1*b1\nind2 := a2*b2\n"


@dataclass(frozen=True)
class Workload:
    name: str
    data: pd.DataFrame
    model: str
    kind: str  # "cfa", "sem", "invariance"
    options: dict


def _factor_data(rng, n: int, n_factors: int, per: int, *, groups: int = 0, categories: int = 0,
                 missing: float = 0.0) -> tuple[pd.DataFrame, str]:
    """``n_factors`` correlated factors with ``per`` indicators each (loadings .6-.8); with
    ``groups``, group mean shifts and one slightly non-invariant intercept per factor."""
    cor = np.full((n_factors, n_factors), 0.3)
    np.fill_diagonal(cor, 1.0)
    f = rng.multivariate_normal(np.zeros(n_factors), cor, size=n)
    g = rng.integers(0, groups, size=n) if groups else np.zeros(n, dtype=int)
    if groups:
        f += rng.normal(0, 0.3, size=(groups, n_factors))[g]
    cols, lines = {}, []
    for k in range(n_factors):
        names = [f"y{k + 1}_{j + 1}" for j in range(per)]
        lines.append(f"F{k + 1} =~ " + " + ".join(names))
        for j, name in enumerate(names):
            lam = 0.6 + 0.2 * ((j * 7 + k) % 3) / 2
            shift = 0.25 * (g % 2) if (groups and j == per - 1) else 0.0
            cols[name] = lam * f[:, k] + shift + rng.normal(0, np.sqrt(1 - lam ** 2), size=n)
    df = pd.DataFrame(cols)
    if categories:
        cuts = np.quantile(df.to_numpy(), np.linspace(0, 1, categories + 1)[1:-1])
        df = df.apply(lambda c: np.searchsorted(cuts, c) + 1)
    if missing:
        df = df.mask(rng.random(df.shape) < missing)
    if groups:
        df["g"] = [f"g{x:02d}" for x in g]
    return df, "\n".join(lines)


def _sem_data(rng, n: int, missing: float = 0.0) -> tuple[pd.DataFrame, str]:
    """Five factors (F1 INS, F2 COM, F3 REP, F4 VIN, F5 AMB) with the coproduction paths."""
    ins = rng.normal(size=n)
    vin = 0.3 * ins + rng.normal(scale=0.95, size=n)
    com = 0.5 * ins + rng.normal(scale=0.85, size=n)
    rep = 0.4 * vin + rng.normal(scale=0.9, size=n)
    amb = 0.45 * com + 0.5 * rep + rng.normal(scale=0.8, size=n)
    cols, lines = {}, []
    for k, (name, f, per) in enumerate((("F1", ins, 4), ("COM", com, 4), ("REP", rep, 5), ("F4", vin, 4),
                                         ("AMB", amb, 4))):
        names = [f"s{k + 1}_{j + 1}" for j in range(per)]
        lines.append(f"{name} =~ " + " + ".join(names))
        for j, item in enumerate(names):
            cols[item] = (0.7 + 0.05 * j) * f / f.std() + rng.normal(scale=0.6, size=n)
    df = pd.DataFrame(cols)
    if missing:
        df = df.mask(rng.random(df.shape) < missing)
    return df, "\n".join(lines) + "\n" + STRUCTURAL


def workloads(seed: int, boot: int) -> list[Workload]:
    rng = np.random.default_rng(seed)
    out = []
    df, m = _factor_data(rng, 2000, 5, 4)
    df["y5_5"] = df["y5_1"] + rng.normal(size=len(df))  # 21 items
    out.append(Workload("cfa21", df, m + " + y5_5", "cfa", {}))
    df, m = _factor_data(rng, 2000, 12, 5)
    out.append(Workload("cfa60", df, m, "cfa", {}))
    df, m = _sem_data(rng, 2000)
    out.append(Workload("sem", df, m, "sem", {}))
    out.append(Workload(f"bootstrap{boot}", df, m, "sem", {"bootstrap": boot}))
    df, m = _sem_data(rng, 2000, missing=0.10)
    out.append(Workload("fiml", df, m, "sem", {"missing": "fiml"}))
    df, m = _factor_data(rng, 2000, 5, 4, categories=5)
    out.append(Workload("wlsmv", df, m, "cfa", {"ordered": True}))
    for k in (2, 10, 20):
        df, m = _factor_data(rng, 200 * k, 3, 4, groups=k)
        out.append(Workload(f"invariance{k}", df, m, "invariance", {"group": "g"}))
    # the two cases issue 13 found slower than lavaan: 2 groups x 60 items at n = 2,000 and
    # 2 groups x 21 items at n = 20,000
    df, m = _factor_data(rng, 2000, 12, 5, groups=2)
    out.append(Workload("inv2x60", df, m, "invariance", {"group": "g"}))
    df, m = _factor_data(rng, 20000, 5, 4, groups=2)
    df["y5_5"] = df["y5_1"] + rng.normal(size=len(df))
    out.append(Workload("inv2x21n20k", df, m + " + y5_5", "invariance", {"group": "g"}))
    return out


def time_coprod(w: Workload, reps: int) -> float:
    def once():
        if w.kind == "invariance":
            measurement_invariance(w.data, w.model, w.options["group"], partial=False)
        elif w.options.get("ordered"):
            fit_sem(w.data, w.model, ordered=True, estimator="WLSMV")
        else:
            fit_sem(w.data, w.model, missing=w.options.get("missing", "listwise"),
                    bootstrap=w.options.get("bootstrap", 0), seed=1, n_jobs=1)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        once()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


_R = r"""
suppressMessages(library(lavaan)); suppressMessages(library(jsonlite))
args <- commandArgs(TRUE); w <- fromJSON(args[1]); reps <- as.integer(args[2])
d <- read.csv(w$csv)
once <- function() {
  if (w$kind == "invariance") {
    for (eq in list("none", "loadings", c("loadings", "intercepts")))
      cfa(w$model, d, group = w$group, group.equal = eq, meanstructure = TRUE)
  } else if (isTRUE(w$ordered)) {
    cfa(w$model, d, ordered = TRUE, estimator = "WLSMV")
  } else if (!is.null(w$bootstrap)) {
    sem(w$model, d, se = "bootstrap", bootstrap = w$bootstrap, iseed = 1)
  } else if (!is.null(w$missing)) {
    sem(w$model, d, missing = "ml")
  } else sem(w$model, d)
}
t <- sapply(seq_len(reps), function(i) system.time(once())[["elapsed"]])
cat(toJSON(list(median = median(t)), auto_unbox = TRUE, digits = 6))
"""


def time_lavaan(w: Workload, reps: int, tmp: Path) -> float | None:
    csv = tmp / f"{w.name}.csv"
    w.data.to_csv(csv, index=False)
    spec = {"csv": str(csv), "model": w.model, "kind": w.kind, **{k: v for k, v in w.options.items()
                                                                  if k != "missing"}}
    if w.options.get("missing") == "fiml":
        spec["missing"] = "ml"
    (tmp / "w.json").write_text(json.dumps(spec))
    (tmp / "bench.R").write_text(_R)
    r = subprocess.run(["Rscript", str(tmp / "bench.R"), str(tmp / "w.json"), str(reps)],
                       capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        print(f"  lavaan failed on {w.name}: {r.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return float(json.loads(r.stdout)["median"])


def _have_lavaan() -> bool:
    if shutil.which("Rscript") is None:
        return False
    r = subprocess.run(["Rscript", "-e", "library(lavaan); library(jsonlite)"], capture_output=True)
    return r.returncode == 0


def cli_table(tmp: Path, have_r: bool, seed: int) -> list[tuple[str, float, float | None]]:
    """Whole commands, start-up included: ``coprod analyze --spec`` vs Rscript doing the same fits."""
    df, m = _sem_data(np.random.default_rng(seed), 2000)
    cfa = "\n".join(line for line in m.splitlines() if "=~" in line)
    csv = tmp / "cli.csv"
    df.to_csv(csv, index=False)
    spec = tmp / "spec.json"
    spec.write_text(json.dumps({"cfa": cfa, "sem": m, "bootstrap": 0, "seed": 1}))
    coprod = Path(sys.executable).with_name("coprod")
    rows = []
    t0 = time.perf_counter()
    subprocess.run([str(coprod), "analyze", str(csv), "--spec", str(spec), "--out", str(tmp / "out"), "--quiet"],
                   check=True, capture_output=True)
    t_coprod = time.perf_counter() - t0
    t_r = None
    if have_r:
        script = tmp / "cli.R"
        script.write_text(f"suppressMessages(library(lavaan)); d <- read.csv('{csv}')\n"
                          f"f1 <- cfa('{cfa}', d); f2 <- sem('{m}', d)\n"
                          "invisible(fitMeasures(f1)); invisible(parameterEstimates(f2, standardized = TRUE))\n")
        t0 = time.perf_counter()
        subprocess.run(["Rscript", str(script)], check=True, capture_output=True)
        t_r = time.perf_counter() - t0
    rows.append(("analyze --spec (CFA + SEM, 2,000 rows)", t_coprod, t_r))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=3, help="fits per workload and side (median reported)")
    ap.add_argument("--boot", type=int, default=200, help="bootstrap draws of the bootstrap workload")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated workload names (default: all)")
    args = ap.parse_args(argv)
    have_r = _have_lavaan()
    only = {x for x in args.only.split(",") if x}
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; lavaan: "
          f"{'yes' if have_r else 'not installed (coprod only)'}; median of {args.reps}")
    print(f"{'workload':<14} {'coprod s':>9} {'lavaan s':>9} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for w in workloads(args.seed, args.boot):
            if only and w.name not in only:
                continue
            tc = time_coprod(w, args.reps)
            tl = time_lavaan(w, args.reps, tmp) if have_r else None
            ratio = f"{tc / tl:7.2f}" if tl else "      -"
            print(f"{w.name:<14} {tc:9.3f} {tl if tl is not None else float('nan'):9.3f} {ratio}", flush=True)
        print(f"\n{'command':<42} {'coprod s':>9} {'Rscript s':>9} {'ratio':>7}")
        for name, tc, tl in cli_table(tmp, have_r, args.seed):
            ratio = f"{tc / tl:7.2f}" if tl else "      -"
            print(f"{name:<42} {tc:9.3f} {tl if tl is not None else float('nan'):9.3f} {ratio}")
    print("\nratio = coprod / lavaan (below 1: coprod is faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
