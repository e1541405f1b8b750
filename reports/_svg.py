"""Small building blocks for the SVG figures: escaping, the accessible root element, text, colour.

Every string that reaches SVG markup goes through :func:`esc` (markupsafe), in text nodes and in
attribute values alike.
"""
from __future__ import annotations

import hashlib
import math
import textwrap

from markupsafe import Markup, escape

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif"
INK = "#1f2933"
MUTED = "#5f6b7a"
RULE = "#c9d1da"
GRID = "#e6eaef"
NO_DATA = "#e9ecef"
HATCH = "#8a96a3"

# ColorBrewer Oranges / Blues (dark -> light); blue vs orange stays distinct for all common
# colour-vision deficiencies.
NEG_RAMP = ("#7f2704", "#a63603", "#d94801", "#f16913", "#fd8d3c", "#fdae6b")
POS_RAMP = ("#08306b", "#08519c", "#2171b5", "#4292c6", "#6baed6", "#9ecae1")
NEUTRAL = "#d3d7dc"
# ColorBrewer YlGnBu (light -> dark), the heatmap's sequential scale
SEQ_RAMP = ("#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58")


def esc(value: object) -> str:
    """``value`` as text safe in SVG/XML content and in double- or single-quoted attributes."""
    return str(escape(str(value)))


def f(x: float) -> str:
    """A coordinate with at most one decimal."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def fig_id(kind: str, *parts: object) -> str:
    """A stable id prefix for one figure (same input, same id; no global counter)."""
    digest = hashlib.sha1("\x1f".join(map(str, (kind, *parts))).encode("utf-8")).hexdigest()
    return f"{kind}-{digest[:10]}"


def root(width: float, height: float, fid: str, title: str, desc: str, body: list[str],
         defs: str = "") -> Markup:
    """The ``<svg role="img">`` element with ``<title>``/``<desc>`` referenced by aria-labelledby."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="figure-svg" id="{fid}" '
        f'viewBox="0 0 {f(width)} {f(height)}" width="{f(width)}" height="{f(height)}" '
        f'role="img" aria-labelledby="{fid}-title {fid}-desc" '
        f'font-family="{esc(FONT)}" font-size="12" fill="{INK}">'
        f'<title id="{fid}-title">{esc(title)}</title>'
        f'<desc id="{fid}-desc">{esc(desc)}</desc>'
    )
    parts = [head]
    if defs:
        parts.append(f"<defs>{defs}</defs>")
    parts.extend(body)
    parts.append("</svg>")
    return Markup("".join(parts))


def text(x: float, y: float, content: object, *, anchor: str = "start", size: float = 12,
         fill: str = INK, weight: str | None = None, italic: bool = False, cls: str | None = None,
         halo: bool = False) -> str:
    """One line of text vertically centred on ``y``."""
    attrs = [f'x="{f(x)}"', f'y="{f(y)}"', 'dy="0.35em"']
    if anchor != "start":
        attrs.append(f'text-anchor="{anchor}"')
    if size != 12:
        attrs.append(f'font-size="{f(size)}"')
    if fill != INK:
        attrs.append(f'fill="{fill}"')
    if weight:
        attrs.append(f'font-weight="{weight}"')
    if italic:
        attrs.append('font-style="italic"')
    if cls:
        attrs.append(f'class="{esc(cls)}"')
    if halo:  # white outline behind the glyphs keeps text legible on hatching
        attrs.append('stroke="#ffffff" stroke-width="3" paint-order="stroke" stroke-linejoin="round"')
    return f"<text {' '.join(attrs)}>{esc(content)}</text>"


def lines(x: float, y: float, rows: list[str], *, line_height: float = 15, **kw) -> str:
    """Several lines of text centred as a block on ``y``."""
    top = y - (len(rows) - 1) * line_height / 2
    return "".join(text(x, top + i * line_height, row, **kw) for i, row in enumerate(rows))


def text_width(content: object, size: float = 12) -> float:
    """Rough rendered width of ``content`` (sans-serif averages ~0.56 em per character)."""
    return len(str(content)) * size * 0.56


def wrap(content: object, max_width: float, size: float = 12, max_lines: int = 3) -> list[str]:
    """``content`` wrapped to fit ``max_width`` pixels, at most ``max_lines`` lines (ellipsis)."""
    chars = max(4, int(max_width / (size * 0.56)))
    rows = textwrap.wrap(str(content), chars, break_long_words=True) or [""]
    if len(rows) > max_lines:
        rows = rows[:max_lines]
        rows[-1] = rows[-1][: max(1, chars - 1)].rstrip() + "\u2026"
    return rows


def title_el(content: object) -> str:
    """A ``<title>`` child: the tooltip (and accessible name) of one mark."""
    return f"<title>{esc(content)}</title>"


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def mix(a: str, b: str, w: float) -> str:
    """Colour ``w`` of the way from ``a`` to ``b``."""
    ra, rb = _rgb(a), _rgb(b)
    return "#" + "".join(f"{round(x + (y - x) * w):02x}" for x, y in zip(ra, rb))


def ramp(colours: tuple[str, ...], u: float) -> str:
    """Colour at position ``u`` in [0, 1] along a list of anchor colours."""
    u = min(1.0, max(0.0, u))
    pos = u * (len(colours) - 1)
    i = min(int(pos), len(colours) - 2)
    return mix(colours[i], colours[i + 1], pos - i)


def pick(colours: tuple[str, ...], k: int, start: int = 0, stop: int | None = None) -> list[str]:
    """``k`` colours spread evenly over ``colours[start:stop]`` (interpolated when k exceeds it)."""
    pool = colours[start:stop]
    if k <= 0:
        return []
    if k > len(pool):
        return [ramp(pool, i / (k - 1)) for i in range(k)]
    if k == 1:
        return [pool[len(pool) // 2]]
    return [pool[round(i * (len(pool) - 1) / (k - 1))] for i in range(k)]


def on_colour(fill: str) -> str:
    """Text colour readable on ``fill`` (WCAG relative luminance)."""
    def lin(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in _rgb(fill))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#ffffff" if lum < 0.33 else INK


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, target)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = first
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    return ticks


def decimals(values: list[float], factor: float = 1, most: int = 3) -> int:
    """Fewest decimals (at most ``most``) that print every ``value * factor`` exactly."""
    for d in range(most + 1):
        if all(abs(round(v * factor, d) - v * factor) < 1e-9 for v in values):
            return d
    return most


def hatch_pattern(pid: str) -> str:
    """Diagonal hatching for suppressed cells (distinct from the flat grey of "no data")."""
    return (
        f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="6" height="6" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{HATCH}" stroke-width="2.2"/></pattern>'
    )
