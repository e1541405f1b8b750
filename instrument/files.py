"""Writing output files so that an error never leaves a half-written file or set of files.

Shared by every package (exports, simulated data, results, reports): each file is written in full
to a temporary file in its target folder and moved into place with :func:`os.replace` only when
every file of the set is complete. Files get the mode a plain ``open()`` would give them.

A run killed while writing (SIGKILL, power loss) cannot remove its temporary files, so they are
named ``.NAME.coprod-PID-XXXX.tmp`` and the next write into that folder removes those of
processes no longer running (:func:`remove_stale_temps`).
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Callable, Mapping

__all__ = ["write_files", "write_with", "remove_stale_temps"]

_TEMP = re.compile(r"^\..+\.coprod-(\d+)-[^.]+\.tmp$")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process (or no such pid at all)
        return True
    return True


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove the temporary files coprod left in ``folder`` when a run was killed (those of
    processes that are no longer running); returns the files removed."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = _TEMP.match(name)
        if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            try:
                os.unlink(os.path.join(folder, name))
                removed.append(Path(folder) / name)
            except OSError:  # gone already, or not ours to remove: leave it
                pass
    return removed


def _temp_beside(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.coprod-{os.getpid()}-", suffix=".tmp",
                               dir=path.parent)
    os.close(fd)
    # mkstemp makes the file private (0600); give it the mode a plain open() would
    os.chmod(tmp, 0o666 & ~_umask())
    return tmp


def write_files(files: Mapping[str | Path, bytes | str]) -> list[Path]:
    """Write every ``path -> content`` (str is written as UTF-8), all or nothing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in write_files({d / "a.txt": "æøå", d / "b.bin": b"x"})]
    ['a.txt', 'b.bin']
    >>> (d / "a.txt").read_text(encoding="utf-8")
    'æøå'
    """
    temps: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            path = Path(path)
            tmp = _temp_beside(path)
            temps.append((tmp, path))
            with open(tmp, "wb") as fh:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
                fh.flush()
                os.fsync(fh.fileno())  # on disk before the rename makes it visible
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return [path for _, path in temps]


def write_with(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Atomic write through a writer that needs a file name (openpyxl, pyreadstat)."""
    path = Path(path)
    tmp = _temp_beside(path)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
