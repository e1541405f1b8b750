"""Render the sample report in headless Chromium: it must draw, log no error and fetch nothing."""
import struct
import zlib

import pytest
from report_sample import render_sample

from coprod.reports.browser import BrowserReport, chromium_available, external_references, render_png

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason="Chromium is not installed (Debian: apt-get install chromium); report rendering not checked",
)


def png_facts(path):
    """(width, height, distinct byte values in the pixel stream) read with the standard library."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def check_clean(report: BrowserReport, width: int):
    assert report.console_errors == ()
    assert report.network_requests == ()
    assert report.png_path.stat().st_size > 50_000
    w, h, distinct = png_facts(report.png_path)
    assert w == width and h >= 1500  # the whole page, not just the viewport
    assert distinct > 100  # a blank page has a handful of byte values


def test_sample_page_renders_clean(tmp_path):
    html = tmp_path / "report.html"
    html.write_text(render_sample("en"), encoding="utf-8")
    assert external_references(html.read_text(encoding="utf-8")) == []
    report = render_png(html, tmp_path / "report.png", width=1200)
    check_clean(report, 1200)
    assert report.page_size[1] > 1500


def test_danish_page_without_javascript_in_print_layout(tmp_path):
    html = tmp_path / "rapport.html"
    html.write_text(render_sample("da"), encoding="utf-8")
    report = render_png(html, tmp_path / "rapport.png", width=794, javascript=False, media="print")
    check_clean(report, 794)


def test_errors_requests_and_dialogs_are_caught(tmp_path):
    # the negative control: proves the clean results above are not the detector being blind
    html = tmp_path / "bad.html"
    html.write_text(
        "<!doctype html><html lang='en'><body><p>bad</p>"
        "<img src='https://cdn.example.invalid/x.png' alt=''>"
        "<script>console.error('boom'); alert('xss');</script></body></html>",
        encoding="utf-8")
    report = render_png(html, tmp_path / "bad.png", width=400, height=300)
    assert "https://cdn.example.invalid/x.png" in report.network_requests
    assert any("boom" in e for e in report.console_errors)
    assert any("dialog" in e and "xss" in e for e in report.console_errors)
    assert report.png_path.exists()
