"""The figure of ``coprod plan``: power against the number of respondents per group, one line per
effect, with the conventional 80% line. A pure function from the plan table to SVG markup."""
from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from coprod.reports import _svg as s

__all__ = ["power_curve"]

#: ColorBrewer Dark2: distinct lines for up to eight effects
_LINES = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def power_curve(table: pd.DataFrame, *, title: str = "Power by respondents per group",
                target: float = 0.8, width: float = 720, height: float = 420) -> Markup:
    """Power (y, 0–100%) by ``n_per_group`` (x) for every ``effect`` of a plan table.

    Examples
    --------
    >>> t = pd.DataFrame({"n_per_group": [40, 60], "effect": ["b", "b"], "power": [0.5, 0.7]})
    >>> str(power_curve(t)).startswith('<svg')
    True
    """
    effects = list(dict.fromkeys(table["effect"]))
    ns = sorted({int(n) for n in table["n_per_group"]})
    left, right, top, bottom = 56, 190, 40, height - 48
    x_lo, x_hi = (ns[0], ns[-1]) if len(ns) > 1 else (ns[0] - 1, ns[0] + 1)

    def sx(n: float) -> float:
        return left + (n - x_lo) / (x_hi - x_lo) * (width - right - left)

    def sy(p: float) -> float:
        return bottom - p * (bottom - top)

    body = [s.text(left, 18, title, weight="600", size=14)]
    for p in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
        body.append(f'<line x1="{left}" y1="{s.f(sy(p))}" x2="{s.f(width - right)}" y2="{s.f(sy(p))}" '
                    f'stroke="{s.GRID}"/>')
        body.append(s.text(left - 6, sy(p), f"{p:.0%}", anchor="end", fill=s.MUTED, size=11))
    body.append(f'<line x1="{left}" y1="{s.f(sy(target))}" x2="{s.f(width - right)}" '
                f'y2="{s.f(sy(target))}" stroke="{s.MUTED}" stroke-dasharray="4 3"/>')
    for n in ns:
        body.append(s.text(sx(n), bottom + 14, n, anchor="middle", fill=s.MUTED, size=11))
    body.append(s.text((left + width - right) / 2, bottom + 34, "respondents per group", anchor="middle"))
    desc = []
    for k, eff in enumerate(effects):
        colour = _LINES[k % len(_LINES)]
        d = table[table["effect"] == eff].sort_values("n_per_group")
        pts = [(sx(float(n)), sy(float(p))) for n, p in zip(d["n_per_group"], d["power"]) if pd.notna(p)]
        if len(pts) > 1:
            body.append('<polyline fill="none" stroke-width="2" stroke="' + colour + '" points="'
                        + " ".join(f"{s.f(x)},{s.f(y)}" for x, y in pts) + '"/>')
        body.extend(f'<circle cx="{s.f(x)}" cy="{s.f(y)}" r="3.5" fill="{colour}"/>' for x, y in pts)
        ly = top + 10 + 20 * k
        body.append(f'<line x1="{s.f(width - right + 16)}" y1="{s.f(ly)}" x2="{s.f(width - right + 36)}" '
                    f'y2="{s.f(ly)}" stroke="{colour}" stroke-width="2"/>')
        body.append(s.text(width - right + 42, ly, eff, size=11))
        desc.append(f"{eff}: " + ", ".join(f"n={int(n)} {p:.0%}" for n, p in zip(d["n_per_group"], d["power"])
                                            if pd.notna(p)))
    return s.root(width, height, s.fig_id("plan", title, *effects), title, "; ".join(desc), body)
