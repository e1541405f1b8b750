"""QA utility: open a report in headless Chromium, screenshot it, list console errors and requests.

Not used when reports are produced; tests and reviewers use it to check that a page renders,
makes no network request and logs no error. It speaks the DevTools protocol over
``--remote-debugging-pipe`` (NUL-delimited JSON on file descriptors 3 and 4), so it needs no
websocket library and opens no port. Every host name resolves to nothing
(``--host-resolver-rules``), so a stray ``https://`` reference is recorded, never fetched.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from base64 import b64decode
from dataclasses import dataclass
from pathlib import Path

from coprod.instrument.errors import CoprodError

__all__ = [
    "BrowserError",
    "BrowserReport",
    "chromium_available",
    "render_pdf",
    "chromium_path",
    "external_references",
    "render_png",
]

_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--no-default-browser-check",
    "--hide-scrollbars", "--mute-audio", "--force-color-profile=srgb",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


_TRAMPOLINE = (
    "import os, sys\n"
    "r, w = int(sys.argv[1]), int(sys.argv[2])\n"
    "os.dup2(r, 3); os.dup2(w, 4); os.close(r); os.close(w)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


class BrowserError(CoprodError, RuntimeError):
    """Chromium could not be started, crashed, or did not answer in time."""


@dataclass(frozen=True, slots=True)
class BrowserReport:
    """What one page load produced."""

    png_path: Path
    console_errors: tuple[str, ...]
    network_requests: tuple[str, ...]
    page_size: tuple[int, int]  # CSS pixels (width, full height)


def chromium_path() -> str | None:
    """Path of a Chromium/Chrome executable, or None."""
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_available() -> bool:
    """True when a headless Chromium can be run here."""
    return chromium_path() is not None


_EXTERNAL = re.compile(
    r"""(?:(?<![\w:-])(?:src|href|xlink:href|action|poster|data|srcset)\s*=\s*["']?\s*|url\(\s*["']?|@import\s+["'])"""
    r"""((?:https?:)?//[^\s"')>]+)""",
    re.IGNORECASE,
)


def external_references(html: str) -> list[str]:
    """http(s) or protocol-relative URLs the markup would load or link to (``xmlns`` ignored).

    >>> external_references('<svg xmlns="http://www.w3.org/2000/svg"></svg><img src="https://x.org/a.png">')
    ['https://x.org/a.png']
    """
    return _EXTERNAL.findall(html)


class _Pipe:
    """Minimal DevTools client over the two pipes."""

    def __init__(self, write_fd: int, read_fd: int, proc: subprocess.Popen, deadline: float):
        self.w, self.r, self.proc, self.deadline = write_fd, read_fd, proc, deadline
        self.buf = b""
        self.next_id = 0
        self.events: list[dict] = []

    def _read(self, until: float) -> dict | None:
        """The next message, or None if none arrived before ``until``."""
        while b"\0" not in self.buf:
            left = until - time.monotonic()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                return None
            chunk = os.read(self.r, 1 << 16)
            if not chunk:
                raise BrowserError(f"Chromium closed the DevTools pipe (exit code {self.proc.poll()})")
            self.buf += chunk
        raw, _, self.buf = self.buf.partition(b"\0")
        message = json.loads(raw)
        if message.get("method") == "Page.javascriptDialogOpening":
            # dismiss alert()/confirm() so the load can finish; the dialog is reported as an error
            self._send("Page.handleJavaScriptDialog", {"accept": True}, message.get("sessionId"))
        return message

    def _send(self, method: str, params: dict, session: str | None) -> int:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        call_id = self._send(method, params or {}, session)
        while (reply := self._read(self.deadline)) is not None:
            if reply.get("id") == call_id:
                if "error" in reply:
                    raise BrowserError(f"DevTools {method} failed: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)
        raise BrowserError(f"Chromium did not answer {method} in time")

    def wait_for(self, method: str) -> bool:
        """Collect events until ``method`` is seen (True) or the deadline passes (False)."""
        if any(e["method"] == method for e in self.events):
            return True
        while (event := self._read(self.deadline)) is not None:
            if "method" in event:
                self.events.append(event)
                if event["method"] == method:
                    return True
        return False

    def drain(self, seconds: float) -> None:
        """Collect events for a moment (late requests, console output after load)."""
        until = min(self.deadline, time.monotonic() + seconds)
        while (event := self._read(until)) is not None:
            if "method" in event:
                self.events.append(event)


def _renumber(fd: int) -> int:
    """``fd`` moved to a descriptor numbered 10 or above."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


def _console_text(params: dict) -> str:
    parts = []
    for arg in params.get("args", []):
        parts.append(str(arg.get("value", arg.get("description", arg.get("type", "")))))
    return " ".join(parts)


def _summarise(events: list[dict], page_url: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    errors, requests = [], []
    for e in events:
        method, p = e["method"], e.get("params", {})
        if method == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if url != page_url and not url.startswith(("data:", "about:")):
                requests.append(url)
        elif method == "Network.webSocketCreated":
            requests.append(p.get("url", ""))
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append(f"console.{p['type']}: {_console_text(p)}")
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            errors.append(f"exception: {d.get('exception', {}).get('description') or d.get('text', '')}")
        elif method == "Page.javascriptDialogOpening":
            errors.append(f"dialog ({p.get('type')}): {p.get('message', '')}")
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            entry = p["entry"]
            errors.append(f"{entry.get('source', 'log')}: {entry.get('text', '')} {entry.get('url', '')}".strip())
    return tuple(errors), tuple(requests)


def render_png(html_path: str | os.PathLike, png_path: str | os.PathLike, *, width: int = 1200,
               height: int = 900, full_page: bool = True, javascript: bool = True,
               media: str = "screen", timeout: float = 60.0) -> BrowserReport:
    """Load ``html_path`` in headless Chromium and save a PNG screenshot to ``png_path``.

    Parameters
    ----------
    width, height : int
        Viewport in CSS pixels; with ``full_page`` the shot covers the whole page height.
    javascript : bool
        False loads the page with scripting disabled (a report must read without it).
    media : "screen" or "print"
        "print" applies the page's ``@media print`` rules to the screenshot.

    Returns
    -------
    BrowserReport
        The PNG's path, console errors (console.error, uncaught exceptions, failed loads, CSP
        violations) and every URL requested besides the page itself.

    Raises
    ------
    BrowserError
        Chromium missing, crashed or too slow.
    """
    return _render(html_path, png_path, width=width, height=height, full_page=full_page,
                   javascript=javascript, media=media, timeout=timeout, pdf=False)


def render_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike, *,
               timeout: float = 60.0) -> BrowserReport:
    """Print ``html_path`` to a PDF at ``pdf_path`` with headless Chromium (the page's print CSS,
    A4, backgrounds; long tables opened).

    Raises
    ------
    BrowserError
        Chromium missing, crashed or too slow.
    """
    return _render(html_path, pdf_path, width=1200, height=900, full_page=False, javascript=True,
                   media="print", timeout=timeout, pdf=True)


def _render(html_path, out_path, *, width: int, height: int, full_page: bool, javascript: bool, media: str,
            timeout: float, pdf: bool) -> BrowserReport:
    exe = chromium_path()
    if exe is None:
        raise BrowserError("no Chromium found (install Debian's 'chromium' package)")
    if media not in ("screen", "print"):
        raise ValueError(f"media must be 'screen' or 'print', got {media!r}")
    html = Path(html_path).resolve()
    if not html.is_file():
        raise FileNotFoundError(html)
    png = Path(out_path)
    page_url = html.as_uri()
    deadline = time.monotonic() + timeout
    profile = tempfile.mkdtemp(prefix="coprod-chromium-")
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    # Chromium reads commands on fd 3 and writes replies on fd 4. A tiny Python trampoline moves
    # our pipe ends there (copies numbered >= 10 first, so neither clobbers the other) and execs
    # Chromium; this avoids preexec_fn, which is unsafe in threaded parents.
    to_chrome_r, from_chrome_w = _renumber(to_chrome_r), _renumber(from_chrome_w)
    argv = [sys.executable, "-c", _TRAMPOLINE, str(to_chrome_r), str(from_chrome_w), exe, *_FLAGS,
            "--remote-debugging-pipe", f"--user-data-dir={profile}", f"--window-size={width},{height}",
            "about:blank"]
    stderr = tempfile.TemporaryFile()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                            pass_fds=(to_chrome_r, from_chrome_w))
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    cdp = _Pipe(to_chrome_w, from_chrome_r, proc, deadline)
    try:
        target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            cdp.call(f"{domain}.enable", session=session)
        cdp.call("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
        if not javascript:
            cdp.call("Emulation.setScriptExecutionDisabled", {"value": True}, session)
        if media == "print":
            cdp.call("Emulation.setEmulatedMedia", {"media": "print"}, session)
        cdp.events.clear()
        cdp.call("Page.navigate", {"url": page_url}, session)
        if not cdp.wait_for("Page.loadEventFired"):
            raise BrowserError(f"{html.name} did not finish loading in {timeout:g} s")
        cdp.drain(0.3)
        size = cdp.call("Page.getLayoutMetrics", session=session)["cssContentSize"]
        page_w, page_h = int(size["width"]), int(size["height"])
        if pdf:
            data = cdp.call("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True}, session)["data"]
        else:
            shot: dict = {"format": "png"}
            if full_page:
                shot.update(captureBeyondViewport=True,
                            clip={"x": 0, "y": 0, "width": max(width, page_w), "height": page_h, "scale": 1})
            data = cdp.call("Page.captureScreenshot", shot, session)["data"]
        png.parent.mkdir(parents=True, exist_ok=True)
        png.write_bytes(b64decode(data))
        errors, requests = _summarise(cdp.events, page_url)
        return BrowserReport(png, errors, requests, (page_w, page_h))
    except BrowserError as err:
        stderr.seek(0)
        tail = stderr.read().decode("utf-8", "replace").strip().splitlines()[-5:]
        raise BrowserError(f"{err}; chromium stderr: {' | '.join(tail)}") from None
    finally:
        with contextlib.suppress(OSError):  # Chromium may already be gone
            os.write(to_chrome_w, json.dumps({"id": 10**6, "method": "Browser.close"}).encode() + b"\0")
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(to_chrome_w)
        os.close(from_chrome_r)
        stderr.close()
        shutil.rmtree(profile, ignore_errors=True)
