"""``coprod analyze``: results.json and the study report of a response file."""
from __future__ import annotations

import sys
from pathlib import Path

from ._common import (LANGS, add_common, add_limits, limits, nonneg_int, out_folder, positive_int, progress,
                      report_outputs)

# = coprod.analysis.sem.scores.SCORE_METHODS (not imported: --help stays light; a test keeps them equal)
SCORE_METHODS = ("regression", "bartlett")


def add(sub) -> None:
    a = sub.add_parser("analyze", help="reliability, factor structure, CFA, invariance and SEM",
                       description="Analyse a response file and write DIR/results.json and DIR/report.html.")
    a.add_argument("data", help="response file, or a study folder (coprod study init)")
    a.add_argument("--wave", default=None, help="a study's wave (default: every wave)")
    a.add_argument("--spec", default=None, help="analysis spec (YAML or JSON)")
    a.add_argument("--out", required=True, type=out_folder, help="output folder")
    a.add_argument("--lang", choices=LANGS, default="en", help="report language")
    a.add_argument("--keep-flagged", action="store_true",
                   help="keep respondents flagged by the data-quality checks")
    a.add_argument("--no-report", action="store_true", help="write results.json only")
    a.add_argument("--min-cell", type=positive_int, default=5,
                   help="suppress figures for groups with fewer respondents, in results.json and the "
                        "report (default 5; see docs/privacy.md)")
    a.add_argument("--missing", choices=("listwise", "fiml"), default=None,
                   help="missing answers (a don't-know counts as missing) in the default analysis: "
                        "full-information ML (default) or listwise deletion per step")
    a.add_argument("--estimator", choices=("ML", "MLR"), type=str.upper, default=None,
                   help="estimator of the CFA and structural models in the default analysis: MLR "
                        "(default: robust SEs, Yuan-Bentler scaled chi-square, scaled and robust "
                        "CFI/TLI/RMSEA, as lavaan) or ML")
    a.add_argument("--cluster", metavar="COL", default=None,
                   help="column whose respondents are not independent: cluster-robust SEs for the CFA "
                        "and structural models (implies MLR); by default 'municipality' when the data "
                        "hold 20 or more municipalities; 'none' switches clustering off")
    a.add_argument("--codebook", metavar="JSON", default=None,
                   help="codebook of the form that was fielded (needed for --sector or --seed forms)")
    a.add_argument("--groups", metavar="CSV", default=None,
                   help="municipality spellings mapped to one name (two columns: spelling,group)")
    a.add_argument("--bootstrap", type=nonneg_int, default=None, metavar="N",
                   help="bootstrap draws for the indirect effects (default analysis only; default 500)")
    a.add_argument("--seed", type=int, default=None, metavar="S",
                   help="seed of every random step (default analysis only; default 2021)")
    a.add_argument("--scores", metavar="FILE.csv", default=None,
                   help="also write factor scores of the measurement model (the spec's cfa, else its sem; "
                        "the instrument's CFA), as lavaan's lavPredict: one row per respondent, the "
                        "respondent id and one column per factor, empty where a respondent was not "
                        "analysed. This is respondent-level data, like the input: keep it where the "
                        "responses are kept, not with the reports")
    a.add_argument("--score-method", choices=SCORE_METHODS, default=None,
                   help="regression (default) or bartlett scores (with --scores)")
    add_limits(a)
    add_common(a)
    a.set_defaults(func=run)


def run(args) -> int:
    if args.spec and any(v is not None for v in (args.bootstrap, args.seed, args.missing, args.estimator,
                                                   args.cluster)):
        print("error: --bootstrap, --seed, --missing, --estimator and --cluster are for the default "
              "analysis; with --spec set them in the spec (estimator: MLR, cluster: COL)", file=sys.stderr)
        return 2
    if args.cluster and args.cluster.lower() != "none" and args.estimator == "ML":
        print("error: --cluster needs --estimator MLR (cluster-robust SEs are MLR's)", file=sys.stderr)
        return 2
    if args.spec and (args.bank is not None or args.codebook is not None or args.groups is not None):
        print("error: --bank, --codebook and --groups are for the default analysis of the instrument; a spec "
              "analysis reads the table as it is", file=sys.stderr)
        return 2
    if args.score_method is not None and args.scores is None:
        print("error: --score-method is for --scores FILE.csv", file=sys.stderr)
        return 2
    from coprod.workflow import analyze_file  # deferred, as in every command: --help stays light

    out = analyze_file(Path(args.data), out=Path(args.out), spec=Path(args.spec) if args.spec else None,
                       report=not args.no_report, lang=args.lang, bank=args.bank,
                       keep_flagged=args.keep_flagged, progress=progress(args, "bootstrap"),
                       bootstrap=args.bootstrap, seed=args.seed, missing=args.missing,
                       codebook=args.codebook, wave=args.wave, limits=limits(args), groups=args.groups,
                       scores=Path(args.scores) if args.scores else None,
                       score_method=args.score_method or "regression",
                       estimator=args.estimator, cluster=args.cluster,
                       min_cell=args.min_cell)
    report_outputs(args, out.warnings, out.files)
    return 0
