"""How many respondents each step of the analysis used, of those it could have used.

:func:`row_losses` lists every step that left out more than :data:`LOSS_LIMIT` of its rows (a
model's listwise deletion, a scale's missing answers); the report shows them in a warning box at
the top, with the numbers, so that a reader never takes a model on 354 respondents for one on 1,134.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from coprod.analysis.run.records import Omega, Sections
from coprod.reports.i18n import t

from ._shared import construct_label, sector_label

__all__ = ["LOSS_LIMIT", "LossRow", "row_losses"]

#: a step that left out more than this share of the rows it could have used is reported
LOSS_LIMIT = 0.20


class LossRow(NamedTuple):
    """A step that used ``n`` of the ``total`` rows it could have used."""

    step: str
    n: int
    total: int
    lost: float


def _row(step: str, n: Any, total: Any) -> LossRow | None:
    if not isinstance(n, int) or not isinstance(total, int) or total <= 0 or n > total:
        return None
    lost = 1 - n / total
    return LossRow(step, n, total, lost) if lost > LOSS_LIMIT else None


def _models(s: Sections, bank, lang: str):
    for key, model in (("cfa", s.cfa), ("sem", s.sem)):
        if model is not None:
            yield t(f"study_step_{key}", lang), model.n_used, model.n_used + model.n_dropped
    for sector, m in (s.cfa_by_sector or {}).items():
        if m is not None:
            yield t("study_step_cfa_sector", lang, sector=sector_label(bank, sector, lang)), m.n_used, m.n_used + m.n_dropped
    if s.ordinal is not None:
        yield t("study_step_ordinal", lang), s.ordinal.n, s.ordinal.n + s.ordinal.n_dropped


def _rows_of_sector(s: Sections, sector: str) -> int | None:
    """The rows a sector's battery could use: the sector's analysed respondents."""
    return s.sample.by_sector.get(sector) if s.sample is not None else None


def row_losses(s: Sections, n_analysed: int | None, bank, lang: str) -> tuple[LossRow, ...]:
    """Every step that lost more than :data:`LOSS_LIMIT` of its rows, in the order of the report."""
    rows: list[LossRow | None] = []
    if s.efa is not None:
        rows.append(_row(t("study_step_efa", lang), s.efa.n, n_analysed))
    om = s.omega_hierarchical
    if isinstance(om, Omega):
        rows.append(_row(t("study_step_omega", lang, sector=t("study_all_items", lang)), om.n, n_analysed))
    elif om:
        rows += [_row(t("study_step_omega", lang, sector=sector_label(bank, k, lang)), o.n, _rows_of_sector(s, k))
                 for k, o in om.items() if o is not None]
    rows += [_row(step, n, total) for step, n, total in _models(s, bank, lang)]
    rel = [(k, r) for k, r in (s.reliability or {}).items() if r is not None and _row(k, r.n, r.n_rows)]
    if rel:
        k, worst = max(rel, key=lambda kr: 1 - kr[1].n / kr[1].n_rows)
        if worst.construct and bank is not None:
            sector = worst.sector
            k = construct_label(bank, worst.construct, lang) + (f", {sector_label(bank, sector, lang)}" if sector else "")
        rows.append(LossRow(t("study_step_reliability", lang, k=len(rel), total=len(s.reliability), scale=k),
                            worst.n, worst.n_rows, 1 - worst.n / worst.n_rows))
    return tuple(r for r in rows if r is not None)
