"""The sections only the instrument analysis has: sample, items, per-sector reliability, scores
and strategies.

Which items go where follows constructs.md: within a sector a construct's scale is its core
items plus that sector's facets; across sectors only the mirrored core items are used.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from coprod.instrument.model import SECTORS, Bank

from ..items import item_analysis
from ..models import scale_items
from ..reliability import cronbach_alpha
from ..responses import ResponseData, flag_counts, score
from .records import ItemAnalysis, Reliability, Sample, Scores, ScoreStat

__all__ = ["reverse_keyed", "sample_section", "items_section", "reliability_section", "score_table",
           "describe_scores", "strategy_use"]


def reverse_keyed(table: pd.DataFrame, bank: Bank) -> pd.DataFrame:
    """Item columns as floats with reverse-keyed items reverse-scored (``min + max - x``)."""
    out = table.copy()
    for item in bank.items:
        if item.id not in out.columns:
            continue
        col = pd.to_numeric(out[item.id], errors="coerce").astype(float)
        if item.reverse:
            sc = bank.scales[item.scale]
            col = sc.min + sc.max - col
        out[item.id] = col
    return out


def sample_section(rd: ResponseData, df: pd.DataFrame, *, keep_flagged: bool) -> Sample:
    """Who was read, who was excluded and why, and who was analysed."""
    flags = rd.flags
    n_file = rd.source.get("n_rows_file")
    return Sample(
        n_file=int(n_file) if n_file is not None else rd.n,
        n_read=rd.n, n_flagged=int(flags["flagged"].sum()) if flags is not None else 0,
        excluded_by_reason=flag_counts(flags) if flags is not None else {},
        keep_flagged=keep_flagged, n_analysed=len(df),
        by_sector={str(k): int(v) for k, v in df["sector"].value_counts().items()},
        by_service_area={str(k): int(v) for k, v in df["service_area"].value_counts().items()},
        n_municipalities=int(df["municipality"].nunique()),
        dont_know=rd.counts().get("dont_know"), source=dict(rd.source))


def items_section(table: pd.DataFrame, bank: Bank, dont_know: pd.DataFrame | None) -> dict[str, ItemAnalysis]:
    """Item analysis per sector (raw answers, before reverse scoring)."""
    out = {}
    for sector in SECTORS:
        rows = table[table["sector"] == sector]
        items = [i.id for i in bank.items if sector in i.sectors and i.id in table.columns]
        dk = (dont_know.loc[rows.index, [i for i in items if i in dont_know.columns]]
              if dont_know is not None else None)
        out[sector] = ItemAnalysis.from_dict(item_analysis(rows, items=items, dont_know=dk).to_dict())
    return out


def reliability_section(df: pd.DataFrame, bank: Bank, missing: str) -> dict[str, Reliability]:
    """Alpha of each construct's scale in each sector, and of its core items over both sectors."""
    out: dict[str, Reliability] = {}
    by_sector: dict[str, pd.DataFrame] = {}  # each sector's rows, selected once
    for c in bank.constructs.values():
        for sector in c.sectors:
            if sector not in by_sector:
                by_sector[sector] = df[df["sector"] == sector]
            rows = by_sector[sector]
            items = scale_items(bank, c.id, sector)
            if len(items) >= 2 and len(rows) >= 3:
                r = cronbach_alpha(rows, items=items, scale=f"{c.id}_{sector}", missing=missing).to_dict()
                r.update(construct=c.id, sector=sector, scope="sector scale")
                out[f"{c.id}_{sector}"] = Reliability.from_dict(r)
        core = scale_items(bank, c.id, None)
        if len(c.sectors) == len(SECTORS) and len(core) >= 2:
            r = cronbach_alpha(df, items=core, scale=f"{c.id}_core", missing=missing).to_dict()
            r.update(construct=c.id, sector=None, scope="core items, both sectors")
            out[f"{c.id}_core"] = Reliability.from_dict(r)
    return out


def score_table(table: pd.DataFrame, bank: Bank) -> pd.DataFrame:
    """Construct scores of every analysed respondent (the flag filter is already applied)."""
    return score(table, bank, keep_flagged=True)


def describe_scores(scores: pd.DataFrame, df: pd.DataFrame, bank: Bank) -> Scores:
    """Construct and strategy means by sector, and felt vs Griffin ambivalence."""
    cols = [c for c in bank.constructs if c in scores.columns]
    by_sector = {}
    for sector in SECTORS:
        s = scores.loc[df["sector"] == sector, cols]
        by_sector[sector] = {c: ScoreStat(n=int(s[c].notna().sum()), mean=s[c].mean(), sd=s[c].std())
                             for c in cols if s[c].notna().any()}
    if "griffin" not in scores.columns or "AMB" not in scores.columns:
        return Scores(by_sector=by_sector)
    pair = scores[["AMB", "griffin"]].dropna()
    griffin: dict[str, Any] = {"n": len(pair), "r": pair["AMB"].corr(pair["griffin"]) if len(pair) > 2 else None}
    for sector in SECTORS:
        p = pair[df.loc[pair.index, "sector"] == sector]
        griffin[sector] = p["AMB"].corr(p["griffin"]) if len(p) > 2 else None
    return Scores(by_sector=by_sector, griffin_vs_felt=griffin)


def strategy_use(scores: pd.DataFrame, df: pd.DataFrame, bank: Bank) -> dict[str, dict[str, ScoreStat]]:
    """Mean use of each boundary-work strategy in each sector that is asked it."""
    out: dict[str, dict[str, ScoreStat]] = {}
    for c in bank.constructs.values():
        if c.kind != "strategy" or c.id not in scores:
            continue
        out[c.id] = {s: ScoreStat(n=int(scores.loc[df["sector"] == s, c.id].notna().sum()),
                                  mean=scores.loc[df["sector"] == s, c.id].mean()) for s in c.sectors}
    return out
