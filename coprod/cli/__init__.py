"""The ``coprod`` command line: parses arguments and calls the Python API, nothing more.

One module per command, each with ``add(subparsers)`` (its options) and ``run(args)`` (the call
into :mod:`coprod.workflow` or the API). Heavy libraries (pandas, scipy, jinja2...) are imported
inside ``run`` so that ``coprod --help`` answers at once.
"""
from __future__ import annotations

import argparse
import sys

from . import analyze, compare, demo, instrument, plan, report, simulate, study, validate

__all__ = ["main", "build_parser"]

# the order of `coprod --help`
COMMANDS = (demo, instrument, validate, simulate, study, analyze, compare, report, plan)


class _Parser(argparse.ArgumentParser):
    """A usage error is one line (what is wrong and where to look), exit 2; not the usage text."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from coprod import __version__

    p = _Parser(
        prog="coprod",
        description="Survey instrument and psychometrics for coproduction ambivalence "
                    "between municipalities and voluntary organisations.")
    p.add_argument("--version", action="version", version=f"coprod {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command; known errors print one clean line per problem, never a traceback."""
    args = build_parser().parse_args(argv)
    from coprod.instrument.errors import CoprodError  # deferred: --help stays light

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
    except OSError as exc:  # an output that cannot be written after all (disk full, permissions)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
