"""MLR (complete data and FIML) of the instrument's pooled CFA and structural model: coprod against
lavaan on the same respondents, one timed run each (issue 10, items 6-7).

    python scripts/robust_benchmark.py prepare EXPORT.csv DIR   # analysis table -> DIR/{fiml,complete}.csv
    Rscript scripts/robust_benchmark.R DIR                      # lavaan -> DIR/lavaan.json
    python scripts/robust_benchmark.py compare DIR              # coprod, timed, against lavaan

``fiml.csv`` is the analysis table of the default analysis (flagged respondents left out, reverse-keyed
items reversed); ``complete.csv`` is the same respondents with each missing cell of a model item set
to that item's median, so that listwise MLR uses every respondent.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def prepare(export: Path, out: Path) -> None:
    from coprod.analysis.run.instrument_mode import instrument_plan
    from coprod.analysis.run.instrument_sections import reverse_keyed
    from coprod.analysis.spec import observed_variables
    from coprod.instrument.bank import load_bank
    from coprod.workflow import read_input

    bank = load_bank()
    rd, _ = read_input(export, bank=bank)
    df = reverse_keyed(rd.analysis_table(keep_flagged=False), bank)
    plan = instrument_plan(bank)
    models = {"cfa": plan.cfa, "sem": plan.sem}
    cols = list(dict.fromkeys(v for m in models.values() for v in observed_variables(m)))
    out.mkdir(parents=True, exist_ok=True)
    df[cols].to_csv(out / "fiml.csv", index=False)
    df[cols].fillna(df[cols].median()).to_csv(out / "complete.csv", index=False)
    (out / "models.json").write_text(json.dumps(models, indent=1))
    print(f"{len(df)} respondents, {len(cols)} items, {df[cols].isna().mean().mean():.1%} cells missing")


def compare(folder: Path) -> None:
    from coprod.analysis.sem.api import fit_sem

    models = json.loads((folder / "models.json").read_text())
    ref = json.loads((folder / "lavaan.json").read_text()) if (folder / "lavaan.json").exists() else {}
    for data_name, missing in (("complete", "listwise"), ("fiml", "fiml")):
        data = pd.read_csv(folder / f"{data_name}.csv")
        for name, model in models.items():
            t0 = time.perf_counter()
            res = fit_sem(data, model, estimator="MLR", missing=missing)
            sec = time.perf_counter() - t0
            key = f"{data_name}_{name}"
            line = f"{key}: n = {res.n_used}, coprod {sec:.2f} s"
            r = ref.get(key)
            if r:
                est = res.estimates[res.estimates.free > 0]
                lav = pd.DataFrame(r["estimates"])
                merged = lav.merge(est, on=["lhs", "op", "rhs"], suffixes=("_lav", ""))
                d_est = np.max(np.abs(merged.est - merged.est_lav))
                d_se = np.max(np.abs(merged.se - merged.se_lav))
                worst = max(abs(res.fit[k.replace(".", "_")] - v) / (abs(v) if "chisq" in k else 1.0)
                            for k, v in r["fit"].items() if k not in ("df",))
                line += (f", lavaan {r['seconds']:.2f} s; max |Δest| {d_est:.1e}, max |Δse| {d_se:.1e}, "
                         f"worst fit difference {worst:.1e} (χ² relative); "
                         f"χ²_scaled {res.fit['chisq_scaled']:.3f} vs {r['fit']['chisq.scaled']:.3f}, "
                         f"CFI robust {res.fit['cfi_robust']:.4f} vs {r['fit']['cfi.robust']:.4f}")
            print(line)


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "prepare" and len(sys.argv) == 4:
        prepare(Path(sys.argv[2]), Path(sys.argv[3]))
    elif cmd == "compare" and len(sys.argv) == 3:
        compare(Path(sys.argv[2]))
    else:
        sys.exit(__doc__)
