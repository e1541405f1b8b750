"""View-model of a benchmark page (``coprod compare --benchmark``): one group against the others.

A benchmark page is meant to be sent to the group it is about (a municipality), so it shows that
group's own published figures and, for the others, only their distribution: Harrell–Davis
estimates of the first quartile, median and third quartile. Each is a weighted average of all the
other groups' figures, so no other group's figure appears (an ordinary median of an odd number of
groups *is* one group's figure), and no other group is named or linked. Only groups and cells the
comparison publishes enter (:class:`~coprod.reports.views.published.Published`), and a
distribution is shown only over :data:`MIN_OTHERS` or more other groups.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from scipy.stats.mstats import hdquantiles

from coprod.reports.i18n import t

from ._shared import ProvenanceEntry
from .compare import PageCommon, alignment_rule, display_label
from .published import Published

__all__ = ["BenchmarkRow", "BenchmarkPage", "benchmark_page", "others_quartiles", "MIN_OTHERS"]

#: other groups with a figure needed before their distribution is shown
MIN_OTHERS = 5


class BenchmarkRow(NamedTuple):
    """One construct: the group's own figure beside the others' quartiles, and where it falls."""

    id: str
    name: str
    kind: str  # "observed" or "aligned"
    n: Any
    mean: Any
    lower: Any
    upper: Any
    k: int  # other groups in the distribution
    q1: Any
    median: Any
    q3: Any
    position: str | None


@dataclass(frozen=True, slots=True)
class BenchmarkPage:
    title: str
    group: str
    n: Any
    intro: str
    observed: tuple[BenchmarkRow, ...]
    aligned: tuple[BenchmarkRow, ...]
    aligned_rule: str | None
    analytic_note: str | None
    too_few: str | None
    comparable: bool
    reason: str
    min_cell: int
    provenance: tuple[ProvenanceEntry, ...]
    meta: str

    def context(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__slots__}


def others_quartiles(values) -> tuple[float, float, float] | None:
    """Harrell–Davis first quartile, median and third quartile of ``values`` (None: too few).

    >>> [round(q, 3) for q in others_quartiles([1.0, 2.0, 3.0, 4.0, 5.0])]
    [1.77, 3.0, 4.23]
    """
    v = np.array([x for x in values if x is not None], dtype=float)
    if len(v) < MIN_OTHERS:
        return None
    q = hdquantiles(v, prob=[0.25, 0.5, 0.75])
    return float(q[0]), float(q[1]), float(q[2])


def _position(x, q, lang: str) -> str | None:
    if x is None or q is None:
        return None
    key = "cmp_benchmark_below" if x < q[0] else "cmp_benchmark_above" if x > q[2] else "cmp_benchmark_within"
    return t(key, lang)


def _observed(g: str, pub: Published, infos: dict, lang: str) -> tuple[BenchmarkRow, ...]:
    rows = []
    own = pub.groups[g]
    for c, info in infos.items():
        m = own.means.get(c)
        if m is None or m.suppressed:
            continue
        others = [pub.groups[h].means.get(c) for h in pub.groups if h != g and not pub.groups[h].suppressed]
        q = others_quartiles([o.mean for o in others if o is not None and not o.suppressed])
        k = sum(1 for o in others if o is not None and not o.suppressed and o.mean is not None)
        rows.append(BenchmarkRow(c, info.name, "observed", m.n, m.mean, m.lower, m.upper, k,
                                 *(q or (None, None, None)), _position(m.mean, q, lang)))
    return tuple(rows)


def _aligned(g: str, pub: Published, infos: dict, lang: str) -> tuple[BenchmarkRow, ...]:
    al = pub.alignment
    if al is None or al.withheld or g not in al.groups:
        return ()
    rows = []
    for c, f in al.factors.items():
        others = [f.mean[h] for h in al.groups if h != g and h in f.mean]
        q = others_quartiles(others)
        x = f.mean.get(g)
        rows.append(BenchmarkRow(c, infos[c].name if c in infos else c, "aligned", None, x, None, None,
                                 len(others), *(q or (None, None, None)), _position(x, q, lang)))
    return tuple(rows)


def benchmark_page(g: str, pub: Published, common: PageCommon, *, bank, infos: dict, lang: str) -> BenchmarkPage:
    """The benchmark page of the published (not suppressed) group ``g``."""
    pg = pub.groups[g]
    if pg.suppressed:
        raise ValueError(f"group {g!r} is suppressed: it gets no benchmark page")
    kind = pub.by if pub.by == "municipality" else "other"
    plural = t(f"cmp_benchmark_plural_{kind}", lang)
    singular = t(f"cmp_benchmark_singular_{kind}", lang)
    label = display_label(bank, pub.by, g, lang)
    observed = _observed(g, pub, infos, lang)
    aligned = _aligned(g, pub, infos, lang)
    k = max((r.k for r in observed), default=0)
    return BenchmarkPage(
        title=t("cmp_benchmark_title", lang, group=label, by_plural=plural), group=label, n=pg.n,
        intro=t("cmp_benchmark_intro", lang, k=k, by_plural=plural, by_singular=singular),
        observed=observed, aligned=aligned,
        aligned_rule=alignment_rule(pub.alignment, lang) if aligned else None,
        analytic_note=(t("cmp_descriptive_only", lang, n=pub.min_group) if pg.analytic is False else None),
        too_few=(t("cmp_benchmark_too_few", lang, k=MIN_OTHERS)
                 if not any(r.median is not None for r in observed) else None),
        comparable=common.comparable, reason=common.reason, min_cell=common.min_cell,
        provenance=common.provenance, meta=common.meta)
