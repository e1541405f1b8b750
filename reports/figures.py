"""Figures of the reports as inline SVG: pure functions from data to escaped markup.

Each function returns ``markupsafe.Markup`` holding one ``<svg role="img">`` whose ``<title>`` and
``<desc>`` (referenced by ``aria-labelledby``) are the figure's text alternative. Every label is
escaped, so a municipality called ``<script>`` prints as text. Nothing needs JavaScript, fonts or
network access. Numbers are formatted with the filters of :mod:`reports.env` in the report's
``lang``. Figures never draw a suppressed value: the caller says what is suppressed
(:mod:`reports.suppression`) and the figure shows "suppressed" in its place.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from markupsafe import Markup

from coprod.reports import _svg as s
from coprod.reports._path_diagram import path_diagram
from coprod.reports.env import ReportError, fmt_ci, fmt_num, fmt_pct
from coprod.reports.i18n import t

__all__ = ["bar_chart", "diverging_stacked_bars", "dot_ci_plot", "heatmap", "path_diagram"]


def _row_labels(index: pd.Index, labels) -> list[str]:
    if labels is None:
        return [str(i) for i in index]
    if isinstance(labels, Mapping):
        return [str(labels.get(i, i)) for i in index]
    labels = list(labels)
    if len(labels) != len(index):
        raise ReportError(f"got {len(labels)} labels for {len(index)} rows")
    return [str(x) for x in labels]


def _legend_row(items: list[tuple[str, str]], x0: float, y: float, width: float) -> tuple[list[str], float]:
    """Swatch + label pairs laid left to right, wrapping; returns the markup and the height used."""
    out, x, row = [], x0, 0
    for swatch, label in items:
        w = 14 + 6 + s.text_width(label, 11) + 16
        if x + w > x0 + width and x > x0:
            x, row = x0, row + 1
        yy = y + row * 20
        out.append(swatch.format(x=s.f(x), y=s.f(yy - 6)))
        out.append(s.text(x + 20, yy + 1, label, size=11))
        x += w
    return out, (row + 1) * 20


def _swatch(fill: str, stroke: str = "none") -> str:
    return f'<rect x="{{x}}" y="{{y}}" width="14" height="12" rx="2" fill="{fill}" stroke="{stroke}"/>'


# --------------------------------------------------------------------------- Likert distributions
def diverging_stacked_bars(dist: pd.DataFrame, labels=None, *, title: str, desc: str,
                           neutral=None, categories: Sequence[str] | None = None,
                           lang: str = "en", width: float = 760) -> Markup:
    """Likert answers per item as bars centred on the neutral category.

    Parameters
    ----------
    dist : DataFrame
        One row per item, one column per answer category in scale order (lowest first); shares
        or counts (each row is rescaled to sum to 1). An all-missing row shows "no data".
    labels : sequence or mapping, optional
        Item labels (wording) for the rows; default the index.
    title, desc : str
        Text alternative (``<title>``, ``<desc>``).
    neutral : column label, optional
        The neutral category, split half left, half right of the centre line. Default: the
        middle column when there is an odd number of categories, none otherwise.
    categories : sequence of str, optional
        Legend labels for the columns; default the column names.
    """
    if not isinstance(dist, pd.DataFrame) or dist.shape[1] < 2:
        raise ReportError("dist must be a DataFrame with one column per answer category (2 or more)")
    cols = list(dist.columns)
    cat_labels = [str(c) for c in (categories if categories is not None else cols)]
    if len(cat_labels) != len(cols):
        raise ReportError(f"got {len(cat_labels)} category labels for {len(cols)} columns")
    if neutral is None and len(cols) % 2 == 1:
        neutral = cols[len(cols) // 2]
    if neutral is not None and neutral not in cols:
        raise ReportError(f"neutral category {neutral!r} is not a column of dist ({cols})")
    k = cols.index(neutral) if neutral is not None else len(cols) // 2
    n_neg = k
    n_pos = len(cols) - k - (1 if neutral is not None else 0)
    colours = (s.pick(s.NEG_RAMP, n_neg, 0, 5) + ([s.NEUTRAL] if neutral is not None else [])
               + list(reversed(s.pick(s.POS_RAMP, n_pos, 0, 5))))

    values = dist.apply(pd.to_numeric, errors="coerce").astype(float)
    if (values < 0).any().any():
        raise ReportError("dist holds negative shares")
    totals = values.sum(axis=1, min_count=1)
    shares = values.fillna(0).div(totals.where(totals > 0), axis=0)
    item_labels = _row_labels(dist.index, labels)

    fid = s.fig_id("likert", title, desc, cols)
    legend, legend_h = _legend_row([(_swatch(c), lab) for c, lab in zip(colours, cat_labels)], 0, 10, width)
    top = legend_h + 14
    label_w = min(width * 0.38, max(s.text_width(lab) for lab in item_labels) + 12)
    wrapped = [s.wrap(lab, label_w - 12) for lab in item_labels]
    x0, x1 = label_w + 8, width - 16
    neu = shares[neutral] / 2 if neutral is not None else 0.0
    left = (shares.iloc[:, :k].sum(axis=1) + neu).max()
    right = (shares.iloc[:, len(cols) - n_pos:].sum(axis=1) + neu).max()
    extent = min(1.0, math.ceil(max(left, right, 0.1) * 10 - 1e-9) / 10)
    mid = (x0 + x1) / 2
    scale = (x1 - x0) / 2 / extent

    body, y = legend, top
    rows_h = []
    for i, idx in enumerate(shares.index):
        h = max(30, 15 * len(wrapped[i]) + 10)
        cy = y + h / 2
        body.append(s.lines(label_w, cy, wrapped[i], anchor="end"))
        if pd.isna(totals.loc[idx]) or totals.loc[idx] <= 0:
            body.append(s.text(mid, cy, t("no_data", lang), anchor="middle", fill=s.MUTED, italic=True))
        else:
            row = shares.loc[idx]
            start = mid - (row.iloc[:k].sum() + (row[neutral] / 2 if neutral is not None else 0)) * scale
            for j, col in enumerate(cols):
                w = row[col] * scale
                if w <= 0:
                    continue
                tip = f"{item_labels[i]}: {cat_labels[j]} {fmt_pct(row[col], lang=lang)}"
                body.append(f'<rect x="{s.f(start)}" y="{s.f(cy - 10)}" width="{s.f(w)}" height="20" '
                            f'fill="{colours[j]}">{s.title_el(tip)}</rect>')
                if w >= 30:
                    body.append(s.text(start + w / 2, cy, fmt_pct(row[col], lang=lang), anchor="middle",
                                       size=10.5, fill=s.on_colour(colours[j])))
                start += w
        rows_h.append(h)
        y += h
    step = 0.25 if extent > 0.6 else (0.2 if extent > 0.3 else 0.1)
    n_ticks = int(extent / step + 1e-9)
    ticks = [k * step for k in range(-n_ticks, n_ticks + 1)]
    grid = [f'<line x1="{s.f(mid + v * scale)}" y1="{s.f(top - 4)}" x2="{s.f(mid + v * scale)}" '
            f'y2="{s.f(y + 4)}" stroke="{s.GRID}"/>' for v in ticks if abs(v) > 1e-9]
    axis = [s.text(mid + v * scale, y + 16, fmt_pct(abs(v), lang=lang), anchor="middle", size=10.5,
                   fill=s.MUTED) for v in ticks]
    centre = f'<line x1="{s.f(mid)}" y1="{s.f(top - 4)}" x2="{s.f(mid)}" y2="{s.f(y + 4)}" stroke="{s.INK}"/>'
    return s.root(width, y + 30, fid, title, desc, grid + body + [centre] + axis)


# --------------------------------------------------------------------------- heatmap
def _as_mask(mask, like: pd.DataFrame, name: str) -> pd.DataFrame:
    if mask is None:
        return pd.DataFrame(False, index=like.index, columns=like.columns)
    if isinstance(mask, pd.Series):  # per group: the whole row
        mask = pd.DataFrame({c: mask.reindex(like.index) for c in like.columns}, index=like.index)
    if not isinstance(mask, pd.DataFrame):
        raise ReportError(f"{name} must be a DataFrame shaped like matrix or a Series over its rows")
    mask = mask.reindex(index=like.index, columns=like.columns)
    if mask.isna().any().any():
        raise ReportError(f"{name} does not cover every cell of matrix")
    return mask.astype(bool)


def heatmap(matrix: pd.DataFrame, *, title: str, desc: str, suppressed_mask, missing_mask=None,
            lang: str = "en", digits: int = 2, vmin: float | None = None, vmax: float | None = None,
            min_cell: int = 5, cell_width: float = 86) -> Markup:
    """Groups (rows) x constructs (columns) coloured by value.

    Suppressed cells are hatched and labelled "suppressed", cells without data are flat grey and
    labelled "no data"; a legend explains both. A suppressed cell's value is never written into
    the figure, even if ``matrix`` holds one.

    Parameters
    ----------
    suppressed_mask : DataFrame of bool like ``matrix``, or Series of bool over its rows
    missing_mask : same shapes, optional
        Default: cells that are NaN and not suppressed.
    vmin, vmax : float, optional
        Ends of the colour scale (e.g. 1 and 7 for the scale range); default the shown values.
    """
    if not isinstance(matrix, pd.DataFrame):
        raise ReportError("matrix must be a DataFrame (rows = groups, columns = constructs)")
    values = matrix.apply(pd.to_numeric, errors="coerce").astype(float)
    sup = _as_mask(suppressed_mask, matrix, "suppressed_mask")
    miss = (_as_mask(missing_mask, matrix, "missing_mask") | values.isna()) & ~sup
    shown = values.where(~sup & ~miss)
    lo = vmin if vmin is not None else np.nanmin(shown.to_numpy()) if shown.notna().any().any() else 0.0
    hi = vmax if vmax is not None else np.nanmax(shown.to_numpy()) if shown.notna().any().any() else 1.0
    hi = hi if hi > lo else lo + 1

    fid = s.fig_id("heat", title, desc, list(matrix.index), list(matrix.columns))
    rows = [str(r) for r in matrix.index]
    colnames = [str(c) for c in matrix.columns]
    label_w = min(260.0, max(s.text_width(r) for r in rows) + 14) if rows else 60
    col_wrapped = [s.wrap(c, cell_width - 6, 11.5, 2) for c in colnames]
    head_h = 12 + 14 * max((len(w) for w in col_wrapped), default=1)
    cell_h = 32
    body = []
    for j, c in enumerate(col_wrapped):
        body.append(s.lines(label_w + (j + 0.5) * cell_width, head_h / 2, c, anchor="middle",
                            size=11.5, weight="600", line_height=14))
    for i, r in enumerate(rows):
        y = head_h + i * cell_h
        body.append(s.text(label_w - 10, y + cell_h / 2, s.wrap(r, label_w - 12, 12, 1)[0], anchor="end"))
        for j, c in enumerate(colnames):
            x = label_w + j * cell_width
            cx, cy = x + cell_width / 2, y + cell_h / 2
            rect = f'<rect x="{s.f(x + 1)}" y="{s.f(y + 1)}" width="{s.f(cell_width - 2)}" height="{cell_h - 2}"'
            if sup.iat[i, j]:
                body.append(f'{rect} fill="url(#{fid}-hatch)" class="cell-suppressed">'
                            f'{s.title_el(f"{r}, {c}: " + t("suppressed", lang))}</rect>')
                body.append(s.text(cx, cy, t("suppressed", lang), anchor="middle", size=10.5, italic=True,
                                   fill="#374151", halo=True))
            elif miss.iat[i, j]:
                body.append(f'{rect} fill="{s.NO_DATA}" class="cell-no-data">'
                            f'{s.title_el(f"{r}, {c}: " + t("no_data", lang))}</rect>')
                body.append(s.text(cx, cy, t("no_data", lang), anchor="middle", size=10.5, fill=s.MUTED))
            else:
                v = values.iat[i, j]
                fill = s.ramp(s.SEQ_RAMP, (v - lo) / (hi - lo))
                shown_v = fmt_num(v, digits, lang=lang)
                body.append(f'{rect} fill="{fill}">{s.title_el(f"{r}, {c}: {shown_v}")}</rect>')
                body.append(s.text(cx, cy, shown_v, anchor="middle", size=12, fill=s.on_colour(fill)))
    grid_w = label_w + len(colnames) * cell_width
    y = head_h + len(rows) * cell_h + 22
    stops = "".join(f'<stop offset="{k / 7:.3f}" stop-color="{c}"/>' for k, c in enumerate(s.SEQ_RAMP))
    defs = (s.hatch_pattern(f"{fid}-hatch")
            + f'<linearGradient id="{fid}-scale" x1="0" x2="1" y1="0" y2="0">{stops}</linearGradient>')
    sup_label = t("suppressed_legend", lang, min_cell=min_cell)
    end_digits = s.decimals([lo, hi], 1, digits)
    legend = [
        f'<rect x="{s.f(label_w)}" y="{y - 6}" width="120" height="12" fill="url(#{fid}-scale)"/>',
        s.text(label_w - 6, y, fmt_num(lo, end_digits, lang=lang), anchor="end", size=11, fill=s.MUTED),
        s.text(label_w + 126, y, fmt_num(hi, end_digits, lang=lang), size=11, fill=s.MUTED),
    ]
    x = label_w + 126 + s.text_width(fmt_num(hi, end_digits, lang=lang), 11) + 24
    legend += [f'<rect x="{s.f(x)}" y="{y - 7}" width="22" height="14" fill="url(#{fid}-hatch)" stroke="{s.RULE}"/>',
               s.text(x + 28, y, sup_label, size=11)]
    x += 28 + s.text_width(sup_label, 11) + 20
    legend += [f'<rect x="{s.f(x)}" y="{y - 7}" width="22" height="14" fill="{s.NO_DATA}" stroke="{s.RULE}"/>',
               s.text(x + 28, y, t("no_data", lang), size=11)]
    width = max(grid_w + 10, x + 28 + s.text_width(t("no_data", lang), 11) + 10)
    return s.root(width, y + 18, fid, title, desc, body + legend, defs)


# --------------------------------------------------------------------------- dot + CI, bars
def _axis(x0: float, x1: float, lo: float, hi: float, y_top: float, y_bot: float, lang: str,
          percent: bool = False) -> tuple[list[str], callable]:
    def sx(v):
        return x0 + (v - lo) / (hi - lo) * (x1 - x0)

    ticks = s.nice_ticks(lo, hi, 6)
    digits = s.decimals(ticks, 100 if percent else 1)
    out = []
    for v in ticks:
        out.append(f'<line x1="{s.f(sx(v))}" y1="{s.f(y_top)}" x2="{s.f(sx(v))}" y2="{s.f(y_bot)}" stroke="{s.GRID}"/>')
        tick = fmt_pct(v, digits, lang=lang) if percent else fmt_num(v, digits, lang=lang)
        out.append(s.text(sx(v), y_bot + 12, tick, anchor="middle", size=10.5, fill=s.MUTED))
    return out, sx


def dot_ci_plot(estimates: pd.DataFrame, *, title: str, desc: str, lang: str = "en",
                xlim: tuple[float, float] | None = None, xlabel: str | None = None,
                reference: float | None = None, digits: int = 2, width: float = 720) -> Markup:
    """Means with 95% confidence intervals, one row per group.

    ``estimates`` has columns ``group, mean, lower, upper`` and optionally ``suppressed`` (bool):
    suppressed rows show the word "suppressed" and no numbers; rows without a mean show
    "no data". ``reference`` draws a vertical line (e.g. the overall mean or the scale midpoint).
    """
    need = {"group", "mean", "lower", "upper"}
    if not isinstance(estimates, pd.DataFrame) or not need <= set(estimates.columns):
        raise ReportError(f"estimates must be a DataFrame with columns {sorted(need)}")
    df = estimates.reset_index(drop=True)
    sup = df["suppressed"].fillna(False).astype(bool) if "suppressed" in df else pd.Series(False, index=df.index)
    nums = df[["mean", "lower", "upper"]].apply(pd.to_numeric, errors="coerce").astype(float)
    ok = ~sup & nums["mean"].notna()
    if xlim is None:
        vis = nums[ok].to_numpy()
        vis = vis[~np.isnan(vis)]
        lo, hi = (float(vis.min()), float(vis.max())) if vis.size else (0.0, 1.0)
        pad = (hi - lo) * 0.08 or 0.5
        ticks = s.nice_ticks(lo - pad, hi + pad)
        xlim = (min(ticks[0], lo - pad), max(ticks[-1], hi + pad))
    lo, hi = xlim
    groups = [str(g) for g in df["group"]]
    label_w = min(width * 0.3, max(s.text_width(g) for g in groups) + 14) if groups else 60
    value_w = 130
    x0, x1 = label_w + 10, width - value_w
    row_h, top = 28, 26
    bottom = top + len(df) * row_h
    fid = s.fig_id("dotci", title, desc, groups)
    grid, sx = _axis(x0, x1, lo, hi, top, bottom, lang)
    body = []
    if reference is not None:
        body.append(f'<line x1="{s.f(sx(reference))}" y1="{top}" x2="{s.f(sx(reference))}" y2="{s.f(bottom)}" '
                    f'stroke="{s.MUTED}" stroke-dasharray="3 3"/>')
    for i, g in enumerate(groups):
        cy = top + (i + 0.5) * row_h
        body.append(s.text(label_w, cy, s.wrap(g, label_w - 12, 12, 1)[0], anchor="end"))
        if sup[i]:
            body.append(s.text((x0 + x1) / 2, cy, t("suppressed", lang), anchor="middle", italic=True,
                               fill=s.MUTED, halo=True))
            continue
        m, a, b = nums.loc[i, "mean"], nums.loc[i, "lower"], nums.loc[i, "upper"]
        if pd.isna(m):
            body.append(s.text((x0 + x1) / 2, cy, t("no_data", lang), anchor="middle", italic=True,
                               fill=s.MUTED, halo=True))
            continue
        value = fmt_num(m, digits, lang=lang)
        if not (pd.isna(a) or pd.isna(b)):
            xa, xb = sx(max(a, lo)), sx(min(b, hi))
            whisker = 'stroke="#2b5f8e" stroke-width="2"'
            body.append(f'<line x1="{s.f(xa)}" y1="{s.f(cy)}" x2="{s.f(xb)}" y2="{s.f(cy)}" {whisker}/>')
            body.extend(f'<line x1="{s.f(xx)}" y1="{s.f(cy - 5)}" x2="{s.f(xx)}" y2="{s.f(cy + 5)}" {whisker}/>'
                        for xx in (xa, xb))
            value += " " + fmt_ci(a, b, digits, lang=lang)
        body.append(f'<circle cx="{s.f(sx(m))}" cy="{s.f(cy)}" r="5" fill="#08306b" stroke="#ffffff" '
                    f'stroke-width="1.5">{s.title_el(f"{g}: {value}")}</circle>')
        body.append(s.text(x1 + 12, cy, value, size=11, fill=s.MUTED))
    extra = []
    h = bottom + 28
    if xlabel:
        extra.append(s.text((x0 + x1) / 2, bottom + 30, xlabel, anchor="middle", size=11))
        h += 14
    extra.append(s.text(x1 + 12, top - 14, f"{t('mean', lang)} [{t('ci95', lang)}]", size=10.5,
                        fill=s.MUTED, weight="600"))
    return s.root(width, h, fid, title, desc, grid + body + extra)


def bar_chart(values, *, title: str, desc: str, lang: str = "en", labels=None, percent: bool = False,
              digits: int | None = None, xmax: float | None = None, xlabel: str | None = None,
              suppressed: Iterable | pd.Series | None = None, width: float = 720,
              colour: str = "#2171b5") -> Markup:
    """Horizontal bars, one per category (e.g. how often each strategy is used).

    ``values``: Series or mapping label -> value (missing = "no data"). ``percent`` formats values
    as shares (0.42 -> 42%). ``suppressed``: labels, or a bool Series, of bars to hide.
    """
    series = pd.Series(values, dtype="object") if isinstance(values, Mapping) else values
    if not isinstance(series, pd.Series):
        raise ReportError("values must be a pandas Series or a mapping label -> value")
    nums = pd.to_numeric(series, errors="coerce").astype(float)
    digits = (0 if percent else 2) if digits is None else digits
    if isinstance(suppressed, pd.Series):
        hidden = set(suppressed[suppressed.astype(bool)].index)
    else:
        hidden = set(suppressed or ())
    names = _row_labels(series.index, labels)
    shown = nums[[i not in hidden for i in series.index]].dropna()
    top_v = xmax if xmax is not None else (max(shown.max(), 0) if len(shown) else 1.0) or 1.0
    ticks = s.nice_ticks(0, top_v)
    top_v = max(top_v, ticks[-1])
    label_w = min(width * 0.35, max((s.text_width(n) for n in names), default=40) + 14)
    x0, x1 = label_w + 10, width - 70
    row_h, top = 26, 8
    bottom = top + len(series) * row_h
    fid = s.fig_id("bars", title, desc, names)
    grid, sx = _axis(x0, x1, 0, top_v, top, bottom, lang, percent)
    body = []
    for i, key in enumerate(series.index):
        cy = top + (i + 0.5) * row_h
        body.append(s.text(label_w, cy, s.wrap(names[i], label_w - 12, 12, 1)[0], anchor="end"))
        v = nums[key] if not isinstance(nums[key], pd.Series) else nums[key].iloc[0]
        if key in hidden or pd.isna(v):
            word = t("suppressed", lang) if key in hidden else t("no_data", lang)
            body.append(s.text(x0 + 6, cy, word, italic=True, fill=s.MUTED))
            continue
        shown_v = fmt_pct(v, digits, lang=lang) if percent else fmt_num(v, digits, lang=lang)
        body.append(f'<rect x="{s.f(x0)}" y="{s.f(cy - 8)}" width="{s.f(max(0.0, sx(v) - x0))}" height="16" '
                    f'fill="{colour}">{s.title_el(f"{names[i]}: {shown_v}")}</rect>')
        body.append(s.text(max(x0, sx(v)) + 6, cy, shown_v, size=11))
    extra, h = [], bottom + 26
    if xlabel:
        extra.append(s.text((x0 + x1) / 2, bottom + 30, xlabel, anchor="middle", size=11))
        h += 14
    axis_line = f'<line x1="{s.f(x0)}" y1="{top}" x2="{s.f(x0)}" y2="{s.f(bottom)}" stroke="{s.INK}"/>'
    return s.root(width, h, fid, title, desc, grid + body + [axis_line] + extra)
