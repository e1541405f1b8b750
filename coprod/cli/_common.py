"""What every command shares: choices as data, progress on a terminal, quiet output, --bank."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

FORMATS = ("xlsform", "limesurvey", "redcap", "qualtrics", "html", "codebook")
SIM_FORMATS = ("csv", "xlsx", "sav", "dta", "kobo", "limesurvey", "redcap", "qualtrics")
LANGS = ("en", "da")
SECTORS = ("municipal", "voluntary")
COMPARE_BY = ("service_area", "municipality", "sector", "role")


def add_common(sp: argparse.ArgumentParser) -> None:
    """``--quiet`` and ``--bank``, on every command."""
    sp.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    sp.add_argument("--bank", metavar="DIR", default=None,
                    help="item bank folder (default: the bank shipped with coprod)")


def progress(args, label: str):
    """A callback ``f(done, total)`` drawing a one-line bar on a terminal; ``None`` in scripts."""
    if getattr(args, "quiet", False) or not sys.stderr.isatty():
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


def say(args, msg: str) -> None:
    if not getattr(args, "quiet", False):
        print(msg)


def report_outputs(args, warnings, files) -> None:
    """Warnings to stderr (always), the files written to stdout (unless quiet)."""
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    for p in files:
        say(args, f"wrote {p}")


def codebook(args):
    """The codebook JSON of a form built with ``--sector``/``--seed`` (column names, codes)."""
    if not getattr(args, "codebook", None):
        return None
    path = Path(args.codebook)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        from coprod.instrument.errors import CoprodError  # deferred: keeps --help light

        raise CoprodError(f"{path}: cannot read the codebook ({exc})") from None


def nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value
