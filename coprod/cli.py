"""The ``coprod`` command line: parses arguments and calls the Python API, nothing more.

Heavy libraries (pandas, semopy, scipy...) are imported inside the command functions so that
``coprod --help`` answers at once.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["main"]

FORMATS = ("xlsform", "limesurvey", "redcap", "qualtrics", "html", "codebook")
SIM_FORMATS = ("csv", "xlsx", "sav", "dta", "kobo", "limesurvey", "redcap", "qualtrics")
LANGS = ("en", "da")
SECTORS = ("municipal", "voluntary")
COMPARE_BY = ("service_area", "municipality", "sector", "role")


def _progress_enabled(args) -> bool:
    return not getattr(args, "quiet", False) and sys.stderr.isatty()


def _progress(args, label: str):
    """A callback ``f(done, total)`` drawing a one-line bar on a terminal; ``None`` in scripts."""
    if not _progress_enabled(args):
        return None

    def update(done: int, total: int) -> None:
        width = 30
        frac = done / total if total else 1.0
        bar = "#" * int(frac * width)
        sys.stderr.write(f"\r{label:<22} [{bar:<{width}}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return update


def _say(args, msg: str) -> None:
    if not getattr(args, "quiet", False):
        print(msg)


# ---------------------------------------------------------------- instrument
def cmd_instrument_build(args) -> int:
    from coprod.instrument.bank import load_bank
    from coprod.instrument.exports import export, write_export

    bank = load_bank(args.bank)
    result = export(bank, args.format, lang=args.lang, sector=args.sector, seed=args.seed)
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for p in write_export(result, Path(args.out)):
        _say(args, f"wrote {p}")
    return 0


def cmd_instrument_check(args) -> int:
    from coprod.instrument.bank import load_bank

    bank = load_bank(args.bank)
    by = {}
    for item in bank.items:
        for s in item.sectors:
            by.setdefault((item.construct, s), 0)
            by[(item.construct, s)] += 1
    _say(args, f"item bank OK: {bank.id} version {bank.version}, {len(bank.items)} items")
    for c in bank.constructs.values():
        counts = ", ".join(f"{s} {by.get((c.id, s), 0)}" for s in c.sectors)
        _say(args, f"  {c.id}  {c.name['en']}: {counts}")
    return 0


# ---------------------------------------------------------------- responses
def cmd_validate(args) -> int:
    from coprod.responses import validate_responses
    from coprod.instrument.bank import load_bank

    bank = load_bank(args.bank)
    report = validate_responses(Path(args.file), bank=bank, codebook=_codebook(args))
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


def cmd_simulate(args) -> int:
    from coprod.analysis.responses import simulate
    from coprod.responses import write_simulated
    from coprod.instrument.bank import load_bank

    bank = load_bank(args.bank)
    table = simulate(args.n, seed=args.seed, bank=bank)
    written = write_simulated(table, Path(args.out), args.format, bank=bank)
    for p in (written if isinstance(written, (list, tuple)) else [written or args.out]):
        _say(args, f"wrote {p}")
    return 0


# ---------------------------------------------------------------- analysis
def cmd_analyze(args) -> int:
    from coprod.workflow import analyze_file

    if args.spec and (args.bootstrap is not None or args.seed is not None or args.missing is not None):
        print("error: --bootstrap, --seed and --missing are for the default analysis; with --spec "
              "set them in the spec", file=sys.stderr)
        return 2
    run = analyze_file(Path(args.data), out=Path(args.out), spec=Path(args.spec) if args.spec else None,
                       report=not args.no_report, lang=args.lang, bank=args.bank, keep_flagged=args.keep_flagged,
                       progress=_progress(args, "bootstrap"), bootstrap=args.bootstrap, seed=args.seed,
                       missing=args.missing, codebook=_codebook(args))
    for w in run.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for p in run.files:
        _say(args, f"wrote {p}")
    return 0


def _codebook(args):
    """The codebook JSON of a form built with ``--sector``/``--seed`` (column names, codes)."""
    if not getattr(args, "codebook", None):
        return None
    path = Path(args.codebook)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        from coprod.instrument.errors import CoprodError

        raise CoprodError(f"{path}: cannot read the codebook ({exc})") from None


def cmd_compare(args) -> int:
    from coprod.workflow import compare_file

    out = compare_file(Path(args.data), by=args.by, out=Path(args.out), min_cell=args.min_cell,
                       lang=args.lang, bank=args.bank, keep_flagged=args.keep_flagged,
                       progress=_progress(args, "groups"))
    for w in out.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for p in out.files:
        _say(args, f"wrote {p}")
    return 0


def cmd_report(args) -> int:
    from coprod.workflow import report_file

    run = report_file(Path(args.results), out=Path(args.out), lang=args.lang, bank=args.bank,
                      min_cell=args.min_cell)
    for w in run.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for p in run.files:
        _say(args, f"wrote {p}")
    return 0


def cmd_demo(args) -> int:
    from coprod.workflow import run_demo

    out = run_demo(Path(args.out), n=args.n, seed=args.seed, lang=args.lang, bank=args.bank,
                   progress=_progress(args, "demo"), quiet=args.quiet)
    for w in out.warnings:
        print(f"warning: {w}", file=sys.stderr)
    _say(args, f"demo finished in {out.seconds:.1f} s; open these in a browser:")
    for p in out.files:
        _say(args, f"  {p}")
    return 0


# ---------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="coprod",
        description="Survey instrument and psychometrics for coproduction ambivalence "
                    "between municipalities and voluntary organisations.")
    p.add_argument("--version", action="version", version=f"coprod {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def common(sp):
        sp.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
        sp.add_argument("--bank", metavar="DIR", default=None,
                        help="item bank folder (default: the bank shipped with coprod)")

    d = sub.add_parser("demo", help="simulate a multi-municipality study, analyse it and write reports",
                       description="Simulate a study (both sectors, several municipalities and service "
                                   "areas), analyse it, and write the study report and the comparison "
                                   "by service area.")
    d.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    d.add_argument("--n", type=int, default=1200, help="respondents to simulate (default 1200)")
    d.add_argument("--seed", type=int, default=2021, help="random seed (default 2021)")
    d.add_argument("--lang", choices=LANGS, default="en", help="report language")
    common(d)
    d.set_defaults(func=cmd_demo)

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
    b.add_argument("--out", required=True, help="output file")
    common(b)
    b.set_defaults(func=cmd_instrument_build)
    c = isub.add_parser("check", help="check the item bank and list item counts",
                        description="Check the item bank against its schema.")
    common(c)
    c.set_defaults(func=cmd_instrument_check)

    v = sub.add_parser("validate", help="check a response file and list every problem",
                       description="Check a response export. Exit 0 when clean, 1 when problems "
                                   "were found, 2 when the file cannot be read.")
    v.add_argument("file", help="response file (CSV, XLSX, SAV, DTA, or a platform export)")
    v.add_argument("--json", action="store_true", help="print the problems as JSON")
    v.add_argument("--codebook", metavar="JSON", default=None,
                   help="codebook of the form that was fielded (needed for --sector or --seed forms)")
    common(v)
    v.set_defaults(func=cmd_validate)

    s = sub.add_parser("simulate", help="write synthetic responses",
                       description="Simulate responses from the population model (seeded).")
    s.add_argument("--n", type=int, required=True, help="number of respondents")
    s.add_argument("--seed", type=int, required=True, help="random seed")
    s.add_argument("--format", choices=SIM_FORMATS, default="csv",
                   help="file format (csv = the canonical table)")
    s.add_argument("--out", required=True, help="output file")
    common(s)
    s.set_defaults(func=cmd_simulate)

    a = sub.add_parser("analyze", help="reliability, factor structure, CFA, invariance and SEM",
                       description="Analyse a response file and write DIR/results.json and DIR/report.html.")
    a.add_argument("data", help="response file")
    a.add_argument("--spec", default=None, help="analysis spec (YAML or JSON)")
    a.add_argument("--out", required=True, help="output folder")
    a.add_argument("--lang", choices=LANGS, default="en", help="report language")
    a.add_argument("--keep-flagged", action="store_true",
                   help="keep respondents flagged by the data-quality checks")
    a.add_argument("--no-report", action="store_true", help="write results.json only")
    a.add_argument("--missing", choices=("listwise", "fiml"), default=None,
                   help="missing answers in the default analysis: listwise deletion per step "
                        "(default) or full-information ML (slower)")
    a.add_argument("--codebook", metavar="JSON", default=None,
                   help="codebook of the form that was fielded (needed for --sector or --seed forms)")
    a.add_argument("--bootstrap", type=_nonneg_int, default=None, metavar="N",
                   help="bootstrap draws for the indirect effects (default analysis only; default 500)")
    a.add_argument("--seed", type=int, default=None, metavar="S",
                   help="seed of every random step (default analysis only; default 2021)")
    common(a)
    a.set_defaults(func=cmd_analyze)

    cp = sub.add_parser("compare", help="comparative report per group",
                        description="Write a comparative report per service area, municipality, sector or role.")
    cp.add_argument("data", help="response file")
    cp.add_argument("--by", required=True, choices=COMPARE_BY, help="grouping column")
    cp.add_argument("--out", required=True, help="output folder")
    cp.add_argument("--min-cell", type=int, default=5,
                    help="suppress figures for groups with fewer respondents (default 5)")
    cp.add_argument("--lang", choices=LANGS, default="en", help="report language")
    cp.add_argument("--keep-flagged", action="store_true",
                    help="keep respondents flagged by the data-quality checks")
    common(cp)
    cp.set_defaults(func=cmd_compare)

    r = sub.add_parser("report", help="render the study report of a results.json again",
                       description="Render the study report of an analysis results.json (another "
                                   "language or threshold) without analysing again.")
    r.add_argument("results", help="results.json written by coprod analyze")
    r.add_argument("--out", required=True, help="report file to write (HTML)")
    r.add_argument("--lang", choices=LANGS, default="en", help="report language")
    r.add_argument("--min-cell", type=int, default=5,
                   help="suppress figures for groups with fewer respondents (default 5)")
    common(r)
    r.set_defaults(func=cmd_report)
    return p


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _version() -> str:
    from coprod import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from coprod.instrument.errors import CoprodError

    try:
        return int(args.func(args) or 0)
    except CoprodError as exc:
        problems = getattr(exc, "problems", None)
        if problems and not getattr(exc, "message_lists_problems", False):
            print(f"error: {len(problems)} problem(s):", file=sys.stderr)
            for pr in problems:
                print(f"  {pr}", file=sys.stderr)
        else:
            print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except FileNotFoundError as exc:
        print(f"error: file not found: {exc.filename or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
