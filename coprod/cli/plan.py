"""``coprod plan``: sample-size planning by Monte Carlo, run on Dask."""
from __future__ import annotations

import argparse
from pathlib import Path

from ._common import add_common, progress, say


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r} (e.g. 40,60,100)") from None
    if not sizes or min(sizes) < 2:
        raise argparse.ArgumentTypeError(f"give sizes of 2 or more, e.g. 40,60,100 (not {text!r})")
    return sizes


def _path(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not LABEL=VALUE: {text!r} (e.g. a1=0.3)") from None


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {v}")
    return v


def _share(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < v <= 1:
        raise argparse.ArgumentTypeError(f"a share above 0 and at most 1, not {v}")
    return v


def _at_least_three(text: str) -> int:
    v = _positive(text)
    if v < 3:
        raise argparse.ArgumentTypeError(f"a factor needs 3 items or more, not {v}")
    return v


def add(sub) -> None:
    p = sub.add_parser("plan", help="sample-size planning: power, convergence and bias by Monte Carlo",
                       description="Simulate studies of GROUPS groups of each size from the population "
                                   "model, refit the structural model and report power for the paths "
                                   "and indirect effects, convergence and bias (OUT/plan.csv, plan.svg), and with "
                                   "--noninvariance-* the power of the Δχ² test and of Chen's rule to detect "
                                   "metric and scalar noninvariance. "
                                   "Runs on Dask: a local cluster, or --scheduler.")
    p.add_argument("--n-per-group", type=_sizes, required=True, metavar="N,N,...",
                   help="respondents per group, e.g. 40,60,100")
    p.add_argument("--groups", type=_positive, required=True, help="number of groups (municipalities)")
    p.add_argument("--reps", type=_positive, default=1000, help="replications per size (default 1000)")
    p.add_argument("--seed", type=int, required=True, help="random seed")
    p.add_argument("--path", type=_path, action="append", default=[], metavar="LABEL=VALUE",
                   help="a standardised path of the population (a1 INS→COM, a2 VIN→REP, b1 COM→AMB, "
                        "b2 REP→AMB; r the INS–VIN correlation), e.g. --path a1=0.3; repeatable")
    p.add_argument("--from-results", default=None, metavar="RESULTS.json",
                   help="take the population's paths (and the INS–VIN correlation) from the structural "
                        "model fitted in a results.json of coprod analyze; --path overrides")
    p.add_argument("--missing-rate", type=float, default=0.0,
                   help="share of item answers missing (listwise deletion; default 0)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    ni = p.add_argument_group(
        "noninvariance", "power to detect metric/scalar noninvariance across the groups (beside the paths): a "
                         "one-factor model whose noninvariant items, in half of the groups, have their loading "
                         "raised and their intercept shifted by these standardised amounts")
    ni.add_argument("--noninvariance-loading", type=float, default=None, metavar="D",
                    help="loading difference of the noninvariant items, e.g. 0.2 (metric noninvariance)")
    ni.add_argument("--noninvariance-intercept", type=float, default=None, metavar="D",
                    help="intercept difference of the noninvariant items in SD units, e.g. 0.3 (scalar noninvariance)")
    ni.add_argument("--noninvariance-share", type=_share, default=1 / 3, metavar="S",
                    help="share of the items that are noninvariant (default 1/3; never the marker item)")
    ni.add_argument("--noninvariance-items", type=_at_least_three, default=6, metavar="K",
                    help="items of the factor (default 6)")
    ni.add_argument("--noninvariance-only", action="store_true",
                    help="plan the noninvariance tests only, not the structural model's paths")
    p.add_argument("--workers", type=_positive, default=None,
                   help="local Dask worker processes (default: every core)")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="a running Dask scheduler instead of a local cluster")
    p.add_argument("--out", required=True, help="output folder")
    add_common(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from coprod.analysis.plan import InstrumentPopulation, PlanDesign, Populations  # deferred: --help stays light
    from coprod.analysis.plan_invariance import NoninvariancePopulation
    from coprod.instrument.bank import load_bank
    from coprod.instrument.errors import CoprodError
    from coprod.plan import paths_from_results, plan_text, run_plan, write_plan

    paths = paths_from_results(Path(args.from_results)) if args.from_results else {}
    paths.update(dict(args.path))
    parts = [] if args.noninvariance_only else [
        InstrumentPopulation.default(load_bank(args.bank), paths=paths, missing_rate=args.missing_rate)]
    if args.noninvariance_loading is not None or args.noninvariance_intercept is not None or args.noninvariance_only:
        parts.append(NoninvariancePopulation(d_loading=args.noninvariance_loading or 0.0,
                                             d_intercept=args.noninvariance_intercept or 0.0,
                                             share=args.noninvariance_share, items=args.noninvariance_items))
        if args.groups < 2:
            raise CoprodError("--groups 1: noninvariance across groups needs 2 groups or more")
    pop = parts[0] if len(parts) == 1 else Populations(tuple(parts))
    design = PlanDesign(n_per_group=args.n_per_group, groups=args.groups, reps=args.reps,
                        seed=args.seed, alpha=args.alpha)
    result = run_plan(pop, design, workers=args.workers, scheduler=args.scheduler,
                      progress=progress(args, "replications"))
    files = write_plan(result, Path(args.out))
    say(args, plan_text(result))
    for f in files:
        say(args, f"wrote {f}")
    return 0
