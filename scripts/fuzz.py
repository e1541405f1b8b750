"""Fuzz every reader: damaged copies of a good file of each format, through the command line.

For each case a seed file (simulated responses written as the canonical CSV, XLSX, SAV, DTA and
the KoboToolbox, LimeSurvey, REDCap and Qualtrics exports; a table and an analysis spec for spec
mode) is damaged by a few random operations (bytes flipped, cut, deleted, inserted, duplicated;
a cell replaced, in a text file or in a workbook's sheet; a workbook member damaged inside a
valid zip) and given to ``coprod validate``
(or ``coprod analyze --spec``), in this process. Each case must end with exit 0, 1 or 2, no
traceback, its input unchanged, within the time limit; the peak memory of the run is reported.

    python scripts/fuzz.py --cases 10000 --seed 1            # the figures in issue 12
    python scripts/fuzz.py --cases 200 --formats sav,xlsx    # a quick look at two readers

``tests/test_fuzz.py`` drives the same cases from hypothesis (bounded and seeded).
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import random
import re
import resource
import signal
import sys
import tempfile
import time
import traceback
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

#: the response formats validate reads, and the spec-mode inputs analyze reads
RESPONSE_FORMATS = ("csv", "xlsx", "sav", "dta", "kobo", "limesurvey", "redcap", "qualtrics")
SPEC_FORMATS = ("spec-csv", "spec-xlsx", "spec-sav", "spec-dta", "spec-yaml")
FORMATS = RESPONSE_FORMATS + SPEC_FORMATS
#: values a damaged cell takes: out of range, not numbers, huge, empty, injected, control chars
CELL_VALUES = ("", "-1", "0", "99", "100000", "1e308", "nan", "NA", "ø", "Æblegrød", '="1"',
               "3.5", "<script>", "\x00", "\x1b[31m", "9" * 5000, "1,2", '"', "\r", "TRUE")
INSERTS = (b"\x00", b'"', b"\r", b"\n", b",", b";", b"\t", b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3",
           b"9" * 1000, b"<", b"]]>", b"&#0;", b"PK\x03\x04")
SPEC = "scales:\n  s1: [INS_C1, INS_C2, INS_C3]\n  s2: [COM_C1, COM_C2, COM_C3]\nscale_min: 1\nscale_max: 5\n"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one case did: exit code (``None`` for a traceback or hang), and why."""

    fmt: str
    code: int | None
    traceback: str | None = None
    hang: bool = False
    modified: bool = False
    seconds: float = 0.0


# ------------------------------------------------------------------------------ seed files
def seed_files(folder: Path, n: int = 30, seed: int = 7) -> dict[str, Path]:
    """One good file per format in ``folder`` (and ``spec.yaml`` for spec mode)."""
    from coprod.analysis.responses import simulate
    from coprod.responses import write_simulated

    folder.mkdir(parents=True, exist_ok=True)
    table = simulate(n, seed=seed)
    files: dict[str, Path] = {}
    for fmt in RESPONSE_FORMATS:
        suffix = {"xlsx": ".xlsx", "sav": ".sav", "dta": ".dta"}.get(fmt, ".csv")
        files[fmt] = write_simulated(table, folder / f"seed-{fmt}{suffix}", fmt)
    for fmt in ("csv", "xlsx", "sav", "dta"):
        files[f"spec-{fmt}"] = files[fmt]
    spec = folder / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    files["spec-yaml"] = spec
    return files


# ------------------------------------------------------------------------------ damage
def apply_ops(data: bytes, ops: list[tuple]) -> bytes:
    """Apply damage operations; positions are fractions of the current length, so any list
    of operations applies to any file (hypothesis shrinks them freely)."""
    for op in ops:
        kind, frac = op[0], op[1]
        at = int(frac * len(data)) if data else 0
        if kind == "flip":
            if data:
                b = bytearray(data)
                b[min(at, len(b) - 1)] = op[2]
                data = bytes(b)
        elif kind == "cut":
            data = data[:at]
        elif kind == "delete":
            data = data[:at] + data[at + op[2]:]
        elif kind == "insert":
            data = data[:at] + op[2] + data[at:]
        elif kind == "dup":
            data = data[:at + op[2]] + data[at:at + op[2]] + data[at + op[2]:]
        elif kind == "cell":
            data = _replace_cell(data, frac, op[2], op[3])
        elif kind == "member":
            data = _damage_member(data, frac, op[2])
        elif kind == "xcell":
            data = _damage_member(data, None, [("value", frac, op[2])])
        elif kind == "value":  # inside a sheet's XML: the text of one <v> element
            data = _replace_value(data, frac, op[2])
    return data


def _replace_value(xml: bytes, frac: float, value: str) -> bytes:
    starts = [m.end() for m in re.finditer(rb"<v>", xml)]
    if not starts:
        return xml
    at = starts[int(frac * len(starts))]
    end = xml.find(b"</v>", at)
    text = value.replace("&", "&amp;").replace("<", "&lt;").encode("utf-8", errors="replace")
    return xml[:at] + text + xml[end:] if end >= 0 else xml


def _replace_cell(data: bytes, row_frac: float, col_frac: float, value: str) -> bytes:
    text = data.decode("utf-8", errors="surrogateescape")
    lines = text.split("\n")
    if len(lines) < 2:
        return data
    delim = max((",", ";", "\t"), key=lines[0].count)
    i = int(row_frac * (len(lines) - 1))
    cells = lines[i].split(delim)
    cells[min(int(col_frac * len(cells)), len(cells) - 1)] = value
    lines[i] = delim.join(cells)
    return "\n".join(lines).encode("utf-8", errors="surrogateescape")


def _damage_member(data: bytes, frac: float | None, ops: list[tuple]) -> bytes:
    """Damage one member of a zip (a workbook; ``frac`` ``None``: its first sheet) and zip it
    again, so the damage reaches the XML parsers instead of stopping at the zip's checksums."""
    try:
        zin = zipfile.ZipFile(io.BytesIO(data))
        members = zin.infolist()
        target = ("xl/worksheets/sheet1.xml" if frac is None
                  else members[int(frac * len(members))].filename)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for m in members:
                body = zin.read(m.filename)
                zout.writestr(m.filename, apply_ops(body, ops) if m.filename == target else body)
        return out.getvalue()
    except Exception:  # noqa: BLE001 - the zip is already too damaged to open: keep it as it is
        return data


def random_ops(fmt: str, rng: random.Random) -> list[tuple]:
    """One to four damage operations, drawn for ``fmt`` (cells for text, members for workbooks,
    the header for SPSS/Stata files, where the structure is)."""
    ops: list[tuple] = []
    for _ in range(rng.choice((1, 1, 2, 3, 4))):
        r = rng.random()
        base = fmt.removeprefix("spec-")
        if base in ("sav", "dta") and r < 0.5:  # header and dictionary: the first few KB
            ops.append(("flip", rng.random() * rng.choice((0.02, 0.1, 1.0)), rng.randrange(256)))
            continue
        if base == "xlsx" and r < 0.3:
            ops.append(("member", rng.random(), [_byte_op(rng) for _ in range(rng.choice((1, 2)))]))
            continue
        if base == "xlsx" and r < 0.6:
            ops.append(("xcell", rng.random(), rng.choice(CELL_VALUES)))
            continue
        if base not in ("xlsx", "sav", "dta") and r < 0.4:
            ops.append(("cell", rng.random(), rng.random(), rng.choice(CELL_VALUES)))
            continue
        ops.append(_byte_op(rng))
    return ops


def _byte_op(rng: random.Random) -> tuple:
    kind = rng.choice(("flip", "flip", "cut", "delete", "insert", "insert", "dup"))
    frac = rng.random()
    if kind == "flip":
        return ("flip", frac, rng.randrange(256))
    if kind == "cut":
        return ("cut", frac)
    if kind == "insert":
        return ("insert", frac, rng.choice(INSERTS))
    return (kind, frac, rng.choice((1, 7, 64, 1000)))


# ------------------------------------------------------------------------------ one case
class _Hang(BaseException):
    """Raised by the alarm; a BaseException so that no error boundary swallows it."""


def _alarm(signum, frame):
    raise _Hang()


def run_case(fmt: str, path: Path, seeds: dict[str, Path], work: Path, timeout: int = 30) -> Outcome:
    """Give ``path`` (a damaged ``fmt`` file) to the command that reads it, in this process."""
    from coprod.cli import main

    if fmt == "spec-yaml":
        argv = ["analyze", str(seeds["spec-csv"]), "--spec", str(path), "--out", str(work / "out"), "--no-report"]
    elif fmt.startswith("spec-"):
        argv = ["analyze", str(path), "--spec", str(seeds["spec-yaml"]), "--out", str(work / "out"), "--no-report"]
    else:
        argv = ["validate", str(path)]
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    out, err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    t0 = time.perf_counter()
    code, tb, hang = None, None, False
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse
                code = exc.code if isinstance(exc.code, int) else 2
    except _Hang:
        hang = True
    except BaseException:  # noqa: BLE001 - a traceback is what we are looking for
        tb = traceback.format_exc()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    seconds = time.perf_counter() - t0
    if tb is None and "Traceback (most recent call last)" in out.getvalue() + err.getvalue():
        tb = err.getvalue()
    modified = hashlib.sha256(path.read_bytes()).hexdigest() != before
    return Outcome(fmt, code, tb, hang, modified, seconds)


def ok(o: Outcome) -> bool:
    """A case passes: exit 0, 1 or 2, no traceback, no hang, input unchanged."""
    return o.code in (0, 1, 2) and o.traceback is None and not o.hang and not o.modified


def peak_rss_mb() -> float:
    """The largest resident set of this process and of any child it waited for (MB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


# ------------------------------------------------------------------------------ the run
@dataclass
class Tally:
    cases: int = 0
    codes: Counter = field(default_factory=Counter)
    tracebacks: int = 0
    hangs: int = 0
    modified: int = 0
    failing: int = 0
    slowest: float = 0.0
    examples: list = field(default_factory=list)


def fuzz(cases: int, seed: int, formats: tuple[str, ...], work: Path, timeout: int,
         report_every: int = 500) -> dict[str, Tally]:
    seeds = seed_files(work / "seeds")
    originals = {f: seeds[f].read_bytes() for f in formats}
    rng = random.Random(seed)
    tallies: dict[str, Tally] = defaultdict(Tally)
    t0 = time.perf_counter()
    for k in range(cases):
        fmt = formats[k % len(formats)]
        ops = random_ops(fmt, rng)
        case = work / "case" / f"case{seeds[fmt].suffix}"
        case.parent.mkdir(parents=True, exist_ok=True)
        case.write_bytes(apply_ops(originals[fmt], ops))
        o = run_case(fmt, case, seeds, work, timeout)
        t = tallies[fmt]
        t.cases += 1
        t.codes[o.code] += 1
        t.tracebacks += o.traceback is not None
        t.hangs += o.hang
        t.modified += o.modified
        t.failing += not ok(o)
        t.slowest = max(t.slowest, o.seconds)
        if not ok(o) and len(t.examples) < 3:
            keep = work / "failures" / f"{fmt}-{k}{seeds[fmt].suffix}"
            keep.parent.mkdir(parents=True, exist_ok=True)
            keep.write_bytes(case.read_bytes())
            t.examples.append({"file": str(keep), "ops": repr(ops)[:300],
                               "traceback": (o.traceback or "")[-1500:], "hang": o.hang})
        if report_every and (k + 1) % report_every == 0:
            print(f"{k + 1} cases, {time.perf_counter() - t0:.0f} s, peak {peak_rss_mb():.0f} MB",
                  file=sys.stderr, flush=True)
    return tallies


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--formats", default=",".join(FORMATS), help="comma-separated, of: " + ", ".join(FORMATS))
    ap.add_argument("--timeout", type=int, default=30, help="seconds per case before it counts as a hang")
    ap.add_argument("--json", default=None, help="write the figures here too")
    args = ap.parse_args(argv)
    formats = tuple(f for f in args.formats.split(",") if f)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        ap.error(f"unknown format(s): {', '.join(unknown)}")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="coprod-fuzz-") as tmp:
        tallies = fuzz(args.cases, args.seed, formats, Path(tmp), args.timeout)
        seconds = time.perf_counter() - t0
        rows = []
        print(f"{'format':<12}{'cases':>7}{'exit 0':>8}{'exit 1':>8}{'exit 2':>8}{'traceb.':>9}"
              f"{'hangs':>7}{'modif.':>8}{'slowest s':>11}")
        for fmt in formats:
            t = tallies[fmt]
            rows.append({"format": fmt, "cases": t.cases, "exit": {str(k): v for k, v in t.codes.items()},
                         "tracebacks": t.tracebacks, "hangs": t.hangs, "modified": t.modified,
                         "failing": t.failing,
                         "slowest_s": round(t.slowest, 2), "examples": t.examples})
            print(f"{fmt:<12}{t.cases:>7}{t.codes[0]:>8}{t.codes[1]:>8}{t.codes[2]:>8}{t.tracebacks:>9}"
                  f"{t.hangs:>7}{t.modified:>8}{t.slowest:>11.2f}")
            for ex in t.examples:
                print(f"  failure: {ex['ops']}\n{ex['traceback']}", file=sys.stderr)
        total = sum(t.cases for t in tallies.values())
        bad = sum(t.failing for t in tallies.values())
        peak = peak_rss_mb()
        print(f"{total} cases in {seconds:.0f} s (seed {args.seed}); {bad} failing; peak memory {peak:.0f} MB")
        if args.json:
            Path(args.json).write_text(json.dumps({"cases": total, "seconds": round(seconds, 1),
                                                   "seed": args.seed, "peak_rss_mb": round(peak),
                                                   "failing": bad, "formats": rows}, indent=1))
    return 1 if bad or peak > 1024 else 0


if __name__ == "__main__":
    sys.exit(main())
