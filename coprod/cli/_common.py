"""What every command shares: choices as data, progress on a terminal, quiet output, --bank."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

FORMATS = ("xlsform", "limesurvey", "redcap", "qualtrics", "qualtrics-qsf", "html", "codebook")
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


def positive_int(text: str) -> int:
    """An argparse type: a whole number of 1 or more (``--n``, ``--min-cell``, ``--max-rows``)."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def nonneg_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


# ------------------------------------------------------------------ --out, checked before any work
def out_folder(text: str) -> str:
    """An argparse type: a folder to write into (made if missing): not a file, and inside a
    writable folder. Checked before the analysis, so minutes of work are not lost at the end."""
    path = _path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder")
    _writable(path, text)
    return text


def out_file(text: str) -> str:
    """An argparse type: a file to write: not a folder, and inside a writable folder."""
    path = _path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give the name of the file to write")
    _writable(path.parent, text)
    return text


def _path(text: str) -> Path:
    if not text.strip() or "\0" in text:
        raise argparse.ArgumentTypeError(f"not a usable path: {text!r}")
    return Path(text)


def _writable(folder: Path, text: str) -> None:
    """``folder`` can be made (its nearest existing ancestor is a writable folder) or written."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"cannot write {text}: the folder {existing} is not writable")


# ------------------------------------------------------------------ limits of the table read
_LIMITS = (("--max-rows", "rows"), ("--max-columns", "columns"), ("--max-cells", "cells"))


def add_limits(sp: argparse.ArgumentParser) -> None:
    """``--max-rows``, ``--max-columns``, ``--max-cells``: the largest table read."""
    from coprod.instrument.platforms._limits import DEFAULT_LIMITS  # light: no pandas

    for flag, what in _LIMITS:
        default = getattr(DEFAULT_LIMITS, f"max_{what}")
        sp.add_argument(flag, type=positive_int, default=default, metavar="N",
                        help=f"refuse a file with more {what} than this (default {default:,})")


def limits(args):
    """The :class:`Limits` the options ``--max-rows/--max-columns/--max-cells`` ask for."""
    from coprod.instrument.platforms._limits import Limits

    return Limits(max_rows=args.max_rows, max_columns=args.max_columns, max_cells=args.max_cells)
