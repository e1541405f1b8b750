"""The path diagram of a structural model as inline SVG (see :func:`path_diagram`).

Split from :mod:`coprod.reports.figures` (which re-exports it) into its steps: the graph from the
nodes and edges, layers and their order, the layout, then each path, node and the legend.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from markupsafe import Markup

from coprod.reports import _svg as s
from coprod.reports.env import ReportError, fmt_num, signif_stars
from coprod.reports.i18n import t

__all__ = ["path_diagram"]


# --------------------------------------------------------------------------- path diagram
def _edge_records(edges, est_col: str | None) -> list[dict]:
    if isinstance(edges, pd.DataFrame):
        if {"lhs", "op", "rhs"} <= set(edges.columns):  # lavaan-style parameter table
            reg = edges[edges["op"] == "~"]
            col = est_col or next((c for c in ("std_all", "est_std", "std", "est") if c in reg), None)
            return [{"source": r["rhs"], "target": r["lhs"], "est": r[col] if col else None,
                     "pvalue": r.get("pvalue")} for _, r in reg.iterrows()]
        edges = edges.to_dict("records")
    out = []
    for e in edges:
        if isinstance(e, Mapping):
            rec = dict(e)
        else:
            src, tgt, *rest = e
            rec = {"source": src, "target": tgt, "est": rest[0] if rest else None,
                   "pvalue": rest[1] if len(rest) > 1 else None}
        if "source" not in rec or "target" not in rec:
            raise ReportError(f"edge {e!r} needs 'source' and 'target'")
        out.append(rec)
    return out


def _layers(ids: list[str], edges: list[dict]) -> dict[str, int]:
    """Longest-path layering (sources left); nodes on a cycle go after their placed parents."""
    preds: dict[str, list[str]] = {i: [] for i in ids}
    succs: dict[str, list[str]] = {i: [] for i in ids}
    for e in edges:
        if e["source"] != e["target"]:
            preds[e["target"]].append(e["source"])
            succs[e["source"]].append(e["target"])
    indeg = {i: len(preds[i]) for i in ids}
    queue = [i for i in ids if indeg[i] == 0]
    layer: dict[str, int] = {}
    while queue:  # Kahn's order, so every parent is placed before its child
        i = queue.pop(0)
        layer[i] = 1 + max((layer[p] for p in preds[i] if p in layer), default=-1)
        for c in succs[i]:
            indeg[c] -= 1
            if indeg[c] == 0:
                queue.append(c)
    for i in ids:  # left on a cycle
        if i not in layer:
            layer[i] = 1 + max((layer[p] for p in preds[i] if p in layer), default=-1)
    return layer


def _detour(src, tgt, xy, rx, ry) -> tuple[float, float] | None:
    """Control point of a curve around the nodes the straight line src→tgt would cross, or None."""
    (x1, y1), (x2, y2) = xy[src], xy[tgt]
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy)
    worst = None
    for k, (cx, cy) in xy.items():
        if k in (src, tgt):
            continue
        u = ((cx - x1) * dx + (cy - y1) * dy) / length ** 2
        if not 0.05 < u < 0.95:
            continue
        px, py = x1 + u * dx, y1 + u * dy
        # distance in the node's own ellipse units: < 1.25 means the line touches it
        d = math.hypot((cx - px) / rx[k], (cy - py) / ry[k])
        if d < 1.25 and (worst is None or d < worst[0]):
            worst = (d, k, px, py)
    if worst is None:
        return None
    _, k, px, py = worst
    nx, ny = -dy / length, dx / length  # unit normal; bend away from the blocking node
    cx, cy = xy[k]
    if (cx - px) * nx + (cy - py) * ny > 0 or (abs((cx - px) * nx + (cy - py) * ny) < 1e-9 and ny < 0):
        nx, ny = -nx, -ny  # (a node right on the line: bend downwards, where the canvas grows)
    reach = ry[k] * 2.6 + 24
    return (x1 + x2) / 2 + nx * reach, (y1 + y2) / 2 + ny * reach


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each node sits (centre, half-width, half-height) and the size of the drawing."""

    xy: dict[str, tuple[float, float]]
    rx: dict[str, float]
    ry: dict[str, float]
    width: float
    height: float


def _graph(nodes, edges, est_col: str | None) -> tuple[dict[str, dict], list[dict]]:
    """Nodes by id (those named only in ``edges`` added as latent) and the edges with string ids."""
    if isinstance(nodes, Mapping):
        node_list = [{"id": k, "label": v} for k, v in nodes.items()]
    else:
        node_list = [dict(n) if isinstance(n, Mapping) else {"id": n} for n in nodes]
    recs = _edge_records(edges, est_col)
    info = {str(n["id"]): n for n in node_list}
    for e in recs:
        e["source"], e["target"] = str(e["source"]), str(e["target"])
        for end in (e["source"], e["target"]):
            info.setdefault(end, {"id": end})
    return info, recs


def _columns(ids: list[str], recs: list[dict]) -> list[list[str]]:
    """The nodes of each layer, ordered by the mean position of their parents (fewer crossings)."""
    layer = _layers(ids, recs)
    n_layers = max(layer.values(), default=0) + 1
    cols: list[list[str]] = [[i for i in ids if layer[i] == L] for L in range(n_layers)]
    preds = {i: [e["source"] for e in recs if e["target"] == i] for i in ids}
    for _ in range(2):  # barycentre ordering, left to right
        pos = {i: r for col in cols for r, i in enumerate(col)}
        for L in range(1, n_layers):
            cols[L].sort(key=lambda i: (np.mean([pos[p] for p in preds[i]]) if preds[i] else pos[i]))
            pos.update({i: r for r, i in enumerate(cols[L])})
    return cols


def _node_label(info: dict[str, dict], i: str) -> str:
    return str(info[i].get("label", i))


def _layout(cols: list[list[str]], info: dict[str, dict]) -> _Layout:
    ids = list(info)
    rx = {i: max(34.0, s.text_width(_node_label(info, i), 13) / 2 + 16) for i in ids}
    ry = {i: 26.0 if info[i].get("r2") is not None else 21.0 for i in ids}
    col_w = [max(2 * rx[i] for i in col) if col else 0 for col in cols]
    gap, vstep = 120.0, 66.0
    height = max(len(c) for c in cols) * vstep + 20
    xy, x = {}, 20.0
    for L, col in enumerate(cols):
        cx = x + col_w[L] / 2
        for r, i in enumerate(col):
            xy[i] = (cx, 10 + height / 2 + (r - (len(col) - 1) / 2) * vstep)
        x += col_w[L] + gap
    return _Layout(xy=xy, rx=rx, ry=ry, width=x - gap + 20, height=height)


def _markers(fid: str) -> str:
    return "".join(
        f'<marker id="{fid}-{name}" viewBox="0 0 10 10" refX="9.5" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>'
        for name, c in (("sig", s.INK), ("ns", s.MUTED)))


def _border(lay: _Layout, info: dict[str, dict], i: str, dx: float, dy: float) -> tuple[float, float]:
    """Where a line leaving node ``i`` in direction (dx, dy) crosses its outline."""
    cx, cy = lay.xy[i]
    if info[i].get("kind") == "observed":
        k = 1 / max(abs(dx) / lay.rx[i], abs(dy) / lay.ry[i])
    else:
        k = 1 / math.sqrt((dx / lay.rx[i]) ** 2 + (dy / lay.ry[i]) ** 2)
    return cx + dx * k, cy + dy * k


def _edge_ends(e: dict, lay: _Layout, info: dict[str, dict], ctrl) -> tuple[float, float, float, float]:
    """Start and end of an arrow on the outlines of its nodes (the end pulled back for the head)."""
    (x1, y1), (x2, y2) = lay.xy[e["source"]], lay.xy[e["target"]]
    dx, dy = x2 - x1, y2 - y1
    if ctrl is None:
        ax, ay = _border(lay, info, e["source"], dx, dy)
        bx, by = _border(lay, info, e["target"], -dx, -dy)
    else:
        # a path that would cross another construct bends around it
        ax, ay = _border(lay, info, e["source"], ctrl[0] - x1, ctrl[1] - y1)
        bx, by = _border(lay, info, e["target"], ctrl[0] - x2, ctrl[1] - y2)
        dx, dy = bx - ctrl[0], by - ctrl[1]
    return ax, ay, bx - dx / math.hypot(dx, dy) * 2, by - dy / math.hypot(dx, dy) * 2


def _edge_svg(e: dict, lay: _Layout, info: dict[str, dict], ctrl, fid: str, lang: str,
              alpha: float) -> tuple[str, str | None]:
    """One path: its line or curve (with a tooltip) and its estimate label (``None`` without)."""
    ax, ay, bx, by = _edge_ends(e, lay, info, ctrl)
    p = e.get("pvalue")
    ns = p is not None and not pd.isna(p) and float(p) >= alpha
    colour, kind = (s.MUTED, "ns") if ns else (s.INK, "sig")
    dash = ' stroke-dasharray="6 4"' if ns else ""
    est = e.get("est")
    lab = str(e["label"]) if e.get("label") is not None else (
        fmt_num(est, lang=lang) + signif_stars(p) if est is not None else "")
    tip = f"{_node_label(info, e['source'])} \u2192 {_node_label(info, e['target'])}" + (f": {lab}" if lab else "")
    if ctrl is None:
        line = (f'<line x1="{s.f(ax)}" y1="{s.f(ay)}" x2="{s.f(bx)}" y2="{s.f(by)}" stroke="{colour}" '
                f'stroke-width="1.6"{dash} marker-end="url(#{fid}-{kind})">{s.title_el(tip)}</line>')
        lx, ly = ax + (bx - ax) * 0.55, ay + (by - ay) * 0.55
    else:
        line = (f'<path d="M{s.f(ax)},{s.f(ay)} Q{s.f(ctrl[0])},{s.f(ctrl[1])} {s.f(bx)},{s.f(by)}" '
                f'fill="none" stroke="{colour}" stroke-width="1.6"{dash} '
                f'marker-end="url(#{fid}-{kind})">{s.title_el(tip)}</path>')
        lx, ly = 0.25 * ax + 0.5 * ctrl[0] + 0.25 * bx, 0.25 * ay + 0.5 * ctrl[1] + 0.25 * by
    if not lab:
        return line, None
    w = s.text_width(lab, 11.5) + 10
    return line, (f'<rect x="{s.f(lx - w / 2)}" y="{s.f(ly - 9)}" width="{s.f(w)}" height="18" rx="3" '
                  f'fill="#ffffff" stroke="{s.GRID}"/>' + s.text(lx, ly, lab, anchor="middle", size=11.5, fill=colour))


def _node_svg(i: str, lay: _Layout, info: dict[str, dict], lang: str) -> list[str]:
    """A construct: an ellipse (latent) or rectangle (observed), its name and its R²."""
    cx, cy = lay.xy[i]
    rx, ry = lay.rx[i], lay.ry[i]
    label = _node_label(info, i)
    tip = s.title_el(label)
    if info[i].get("kind") == "observed":
        out = [f'<rect x="{s.f(cx - rx)}" y="{s.f(cy - ry)}" width="{s.f(2 * rx)}" '
               f'height="{s.f(2 * ry)}" fill="#f4f7fb" stroke="{s.INK}" stroke-width="1.3">{tip}</rect>']
    else:
        out = [f'<ellipse cx="{s.f(cx)}" cy="{s.f(cy)}" rx="{s.f(rx)}" ry="{s.f(ry)}" '
               f'fill="#eef4fb" stroke="#2b5f8e" stroke-width="1.4">{tip}</ellipse>']
    r2 = info[i].get("r2")
    if r2 is None:
        return out + [s.text(cx, cy, label, anchor="middle", size=13, weight="600")]
    return out + [s.text(cx, cy - 7, label, anchor="middle", size=13, weight="600"),
                  s.text(cx, cy + 9, f"R\u00b2 = {fmt_num(r2, lang=lang)}", anchor="middle", size=10.5, fill=s.MUTED)]


def _legend(ly: float, lang: str) -> tuple[list[str], float]:
    """Solid = significant, dashed = not, and the stars note; with the width the legend needs."""
    sig, ns = t("significant", lang), t("not_significant", lang)
    legend = [
        f'<line x1="20" y1="{ly}" x2="52" y2="{ly}" stroke="{s.INK}" stroke-width="1.6"/>',
        s.text(58, ly, sig, size=11),
        f'<line x1="{s.f(80 + s.text_width(sig, 11))}" y1="{ly}" '
        f'x2="{s.f(112 + s.text_width(sig, 11))}" y2="{ly}" stroke="{s.MUTED}" '
        f'stroke-width="1.6" stroke-dasharray="6 4"/>',
        s.text(118 + s.text_width(sig, 11), ly, ns, size=11),
        s.text(20, ly + 20, t("stars_note", lang), size=11, fill=s.MUTED),
    ]
    return legend, 150 + s.text_width(sig + ns, 11)


def path_diagram(nodes, edges, *, title: str, desc: str, lang: str = "en", alpha: float = 0.05,
                 est_col: str | None = None) -> Markup:
    """A structural model: constructs as ellipses in layers left to right, paths as arrows.

    Parameters
    ----------
    nodes : sequence of ids, mapping id -> label, or sequence of mappings
        ``{"id", "label"?, "kind"?: "latent" | "observed", "r2"?}``; latent nodes are ellipses,
        observed ones rectangles. Nodes named only in ``edges`` are added as latent.
    edges : iterable of mappings ``{"source", "target", "est", "pvalue"?}`` or tuples
        ``(source, target, est, pvalue)``, or a lavaan-style parameter table (``lhs, op, rhs``;
        rows with ``op == "~"`` are paths ``rhs -> lhs``; estimates from ``est_col`` or the
        first of std_all, est_std, std, est).
    alpha : float
        Paths with ``pvalue >= alpha`` are drawn dashed and grey.

    Notes
    -----
    Layers come from the edge list (a node sits one layer right of its furthest parent), and
    nodes within a layer are ordered by the mean position of their parents to limit crossings,
    so user models lay out without coordinates.

    Examples
    --------
    >>> svg = path_diagram(["INS", "COM"], [("INS", "COM", 0.42, 0.001)], title="Model", desc="INS → COM")
    >>> svg.count("<ellipse")
    2
    """
    info, recs = _graph(nodes, edges, est_col)
    ids = list(info)
    lay = _layout(_columns(ids, recs), info)
    ctrls = {(e["source"], e["target"]): _detour(e["source"], e["target"], lay.xy, lay.rx, lay.ry) for e in recs}
    curve_bottom = max([0.25 * lay.xy[a][1] + 0.5 * c[1] + 0.25 * lay.xy[b][1] + 14
                        for (a, b), c in ctrls.items() if c is not None], default=0.0)
    fid = s.fig_id("path", title, desc, ids)
    lines_, labels_ = [], []
    for e in recs:
        if lay.xy[e["source"]] == lay.xy[e["target"]]:
            continue  # a loop on one node has no direction to draw
        line, lab = _edge_svg(e, lay, info, ctrls[(e["source"], e["target"])], fid, lang, alpha)
        lines_.append(line)
        if lab is not None:
            labels_.append(lab)
    shapes = [part for i in ids for part in _node_svg(i, lay, info, lang)]
    ly = max(lay.height, curve_bottom) + 24
    legend, legend_width = _legend(ly, lang)
    width = max(lay.width, legend_width)
    return s.root(width, ly + 36, fid, title, desc, lines_ + shapes + labels_ + legend, _markers(fid))
