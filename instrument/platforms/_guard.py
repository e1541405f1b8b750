"""The boundary every file reader passes through.

- :func:`cannot_read`: whatever a reader raises while reading (a damaged zip, broken XML, an
  encoding, pyreadstat, the csv module, openpyxl) becomes one :class:`UnreadableFileError`
  ``NAME: cannot be read (Kind: reason)``; errors coprod raises on purpose pass unchanged.
- :func:`in_child`: a reader of an untrusted binary format (pyreadstat's C code) run in a forked
  child process, so that a crash inside it (SIGSEGV on one flipped byte of a ``.sav``) or a hang
  is a message and exit 2, not a dead process.
- :func:`strip_controls`: NUL and other control characters removed from the cells and header of
  a table as read, with one warning per column.

>>> with cannot_read("x.xlsx"):          # doctest: +ELLIPSIS
...     raise KeyError("xl/workbook.xml")
Traceback (most recent call last):
...
coprod.instrument.errors.UnreadableFileError: x.xlsx: cannot be read (KeyError: 'xl/workbook.xml')
"""
from __future__ import annotations

import faulthandler
import multiprocessing
import re
import signal
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Callable, Iterator

import pandas as pd

from ..errors import CoprodError, UnreadableFileError, problem
from .base import RawTable

__all__ = ["cannot_read", "reason_of", "in_child", "strip_controls", "CHILD_TIMEOUT"]

#: seconds a reader in a child process may take before it is stopped (a hang is "cannot be read")
CHILD_TIMEOUT = 300.0

#: C0 controls and DEL, except tab, line feed and carriage return (legitimate in free text)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 0x1b: "ESC", 0x7f: "DEL"}


def reason_of(exc: BaseException) -> str:
    """``Kind: first line of the message`` (``zlib.error`` for the modules' bare ``error``)."""
    if isinstance(exc, RecursionError):
        return "the file is nested too deeply to read"
    if isinstance(exc, MemoryError):
        return "not enough memory to read the file"
    text = str(exc).strip()
    reason = text.splitlines()[0] if text else ""
    kind = type(exc).__name__
    kind = f"{type(exc).__module__}.{kind}" if kind == "error" else kind
    if len(reason) > 200:  # a reader may quote a whole line of the file
        reason = reason[:200] + "..."
    return f"{kind}: {reason}" if reason else kind


@contextmanager
def cannot_read(name: str) -> Iterator[None]:
    """The error boundary around reading ``name``: any exception but coprod's own (and a missing
    file, which keeps its own message) becomes ``NAME: cannot be read (reason)``, exit 2."""
    try:
        yield
    except (FileNotFoundError, CoprodError, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - the boundary: no reader's exception escapes
        if isinstance(exc, IsADirectoryError):
            raise UnreadableFileError(f"{name}: cannot be read (it is a folder, not a file)") from None
        if isinstance(exc, OSError) and exc.strerror:  # PermissionError ...
            raise UnreadableFileError(f"{name}: cannot be read ({exc.strerror})") from None
        raise UnreadableFileError(f"{name}: cannot be read ({reason_of(exc)})") from None


def in_child(fn: Callable[..., Any], *args: Any, name: str, timeout: float = CHILD_TIMEOUT) -> Any:
    """``fn(*args)`` in a forked child process; its result (pickled) is returned.

    An exception in the child is raised here as ``NAME: cannot be read (reason)`` (coprod's own
    errors as they are); a child killed by a signal or taking longer than ``timeout`` seconds is
    reported the same way. Without ``fork`` (Windows) ``fn`` runs in this process.

    Forking costs a few milliseconds (the parent has already imported the reader); the table
    comes back through a pipe.
    """
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - no fork on this platform
        with cannot_read(name):
            return fn(*args)
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
    proc.start()
    send.close()
    try:
        if not receive.poll(timeout):
            raise UnreadableFileError(f"{name}: cannot be read (the reader did not finish within "
                                      f"{timeout:.0f} s)")
        try:
            status, payload = receive.recv()
        except (EOFError, OSError):  # the child died before it answered
            proc.join(10)
            raise UnreadableFileError(f"{name}: cannot be read (the reader crashed: "
                                      f"{_death(proc.exitcode)})") from None
    finally:
        receive.close()
        proc.join(1)
        if proc.is_alive():
            proc.kill()
            proc.join()
    if status == "raise":
        raise payload
    if status == "error":
        raise UnreadableFileError(f"{name}: cannot be read ({payload})")
    return payload


def _child(send, fn: Callable[..., Any], args: tuple) -> None:
    faulthandler.disable()  # a crash is reported by the parent, in one line, not as a C stack
    try:
        answer: tuple[str, Any] = ("ok", fn(*args))
    except CoprodError as exc:
        answer = ("raise", exc)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
        answer = ("error", reason_of(exc))
    try:
        send.send(answer)
    except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
        send.send(("error", reason_of(exc)))
    finally:
        send.close()


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def strip_controls(raw: RawTable) -> RawTable:
    """``raw`` without control characters in its text cells and header (a NUL or an escape
    sequence in a free-text answer would reach every report); one warning per column says how
    many cells were changed and where the first is."""
    warnings = []
    header = list(raw.header)
    frame = raw.frame
    for j, col in enumerate(frame.columns):
        s = frame[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            if not _texts(s.cat.categories.dtype) or not s.cat.categories.map(_has_control).any():
                continue
            values = s.astype(object)
        elif _texts(s.dtype):
            values = s.astype(object)
        else:
            continue
        hit = values.map(_has_control).to_numpy(dtype=bool)
        if not hit.any():
            continue
        if frame is raw.frame:
            frame = frame.copy()
        cleaned = values.where(~hit, values[hit].map(lambda v: _CONTROL.sub("", v)))
        frame[col] = cleaned.astype("category") if isinstance(s.dtype, pd.CategoricalDtype) else \
            cleaned.astype(s.dtype)
        first = int(hit.argmax())
        column = header[j] if j < len(header) else str(col)
        warnings.append(problem(
            raw.file, "control_chars", f"{int(hit.sum())} cell(s) held control characters "
            f"({_which(values[hit])}); they were removed", row=int(raw.rows[first]),
            column=_CONTROL.sub("", column), severity="warning"))
    bad = [h for h in header if _CONTROL.search(h)]
    if bad:
        header = [_CONTROL.sub("", h) for h in header]
        warnings.append(problem(raw.file, "control_chars", f"the header held control characters "
                                f"({_which(pd.Series(bad))}); they were removed",
                                row=raw.header_row, severity="warning"))
    if not warnings:
        return raw
    return replace(raw, frame=frame, header=header, warnings=[*raw.warnings, *warnings])


def _texts(dtype) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _has_control(v: Any) -> bool:
    return isinstance(v, str) and _CONTROL.search(v) is not None


def _which(values: pd.Series) -> str:
    found = sorted({ord(c) for v in values for c in _CONTROL.findall(v)})
    shown = [_NAMES.get(o, f"U+{o:04X}") for o in found[:5]]
    return ", ".join(shown) + (", ..." if len(found) > 5 else "")
