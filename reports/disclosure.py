"""Disclosure control: the one layer every published figure of a run passes through (issue 12).

:mod:`coprod.reports.suppression` decides, for one set of groups under one total, which groups to
hide. A run publishes many such sets at once -- the study report's sample table (sectors, service
areas), the comparison by municipality or service area (each group's n and its split by sector),
hypothesis tests between named groups, models fitted across groups -- and an attacker subtracts
across all of them. This module makes the decisions for all of them together, from the counts of
every grouping the run publishes:

* :func:`disclosure_masks` -- the counts of every grouping (a Series of group sizes, or a
  DataFrame of group x sector cells) in, a mask of what to hide for each out. A new published
  figure asks it (or the :class:`Disclosure` made by :func:`plan_disclosure`) before showing
  anything about a group.
* :func:`plan_disclosure` -- those masks for the groupings coprod publishes, from the analysed
  table (``sector``, ``service_area``, ``municipality``, ``role``, each crossed with ``sector``).
* :func:`disclose_analysis` -- ``coprod analyze``'s result as it may be published: it is what
  ``results.json`` holds, what the study report and its table exports show, and what the
  warnings on the terminal say.

The rules (docs/privacy.md has them for readers):

1. A group of 1 to ``min_cell - 1`` respondents is hidden (primary); further groups are hidden,
   smallest first, until the hidden ones cannot be recovered as the total minus those shown
   (secondary). A grouping whose total is under ``min_cell`` hides every group.
2. In a group x sector table the cells of hidden groups are hidden, cells of 1 to
   ``min_cell - 1`` are hidden, and then, until nothing changes, every row (a shown group, whose
   n is published) and every column (a sector, whose total the study report publishes) whose
   hidden cells are a single non-empty cell or add up to 1 to ``min_cell - 1`` hides its smallest
   shown non-empty cell too.
3. A test between named groups is published only when no value of either group is hidden.
4. A model fitted across the groups of a grouping (an invariance test, a multi-group model)
   publishes its fit statistics (chi-square, df-based indices, AIC, BIC, log-likelihood, RMSEA
   and its CI, per-group chi-square) only when none of its groups is hidden: from AIC, BIC and the
   number of parameters N follows exactly, and N minus the groups shown gives the hidden ones.
   The decision (which level holds) is still published.
5. A warning that names a hidden group is not shown; one line says how many were left out.
6. A study's provenance lists its imports (file, hash, platform, municipality, wave) without
   their sizes: an import is one municipality's export of one wave.

Example
-------
>>> import pandas as pd
>>> cross = pd.DataFrame({"municipal": [30, 2, 20, 25], "voluntary": [1, 2, 25, 30]},
...                      index=pd.Index(["Mixby", "Fourby", "Aarhus", "Odense"], name="municipality"))
>>> m = disclosure_masks({"municipality": cross}, min_cell=5)["municipality"]
>>> m.astype(int).to_dict("index")  # doctest: +NORMALIZE_WHITESPACE
{'Mixby': {'municipal': 1, 'voluntary': 1}, 'Fourby': {'municipal': 1, 'voluntary': 1},
 'Aarhus': {'municipal': 1, 'voluntary': 1}, 'Odense': {'municipal': 0, 'voluntary': 0}}

Fourby (4) is hidden, and Mixby (31) with it, so that 4 is not the total minus the rest. The
volunteers of the two would still be the sector's total minus the pages' splits, 1 + 2 = 3, so
Aarhus's split is hidden too (Aarhus's n stays shown); 1 + 2 + 25 cannot be undone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

import pandas as pd

from coprod.analysis.run.records import MeanHypothesis, opt

from .suppression import suppress_small_cells, total_is_small

__all__ = ["GROUPINGS", "PRIVACY_REASON", "Disclosure", "disclosure_masks", "cross_mask", "plan_disclosure",
           "disclose_analysis", "scrub_warnings", "withhold_invariance", "resuppress", "public_provenance"]

#: the groupings coprod publishes figures by (each also crossed with ``sector``)
GROUPINGS = ("sector", "service_area", "municipality", "role")
#: why a hypothesis between groups is not tested when one of them is hidden (results.json, English)
PRIVACY_REASON = "a group it compares is suppressed for privacy"


# ------------------------------------------------------------------------------------ masks
def _one_d(counts: pd.Series, min_cell: int) -> pd.Series:
    mask = suppress_small_cells(counts, min_cell)
    if total_is_small(counts, min_cell):
        mask[:] = True
    return mask


def _recoverable(n: pd.Series, hidden: pd.Series, min_cell: int) -> bool:
    h = n[hidden & (n > 0)]
    return not h.empty and (len(h) == 1 or h.sum() < min_cell)


def _hide_smallest(line: pd.Series, hidden: pd.Series) -> Any:
    rest = line[~hidden & (line > 0)]
    return None if rest.empty else rest.sort_values(kind="stable").index[0]


def cross_mask(cross: pd.DataFrame, min_cell: int = 5, rows: pd.Series | None = None) -> pd.DataFrame:
    """Which cells of a group x sector table to hide (rule 2 of the module).

    Parameters
    ----------
    cross : DataFrame
        Respondents per group (rows) and sector (columns).
    min_cell : int
    rows : Series of bool, optional
        The groups hidden already (default: :mod:`~coprod.reports.suppression`'s rule on the row
        sums).

    Returns
    -------
    DataFrame of bool shaped like ``cross``; True where the cell is hidden.

    Examples
    --------
    >>> t = pd.DataFrame({"m": [3, 40, 41], "v": [10, 1, 50]}, index=["A", "B", "C"])
    >>> cross_mask(t).astype(int).to_dict("list")
    {'m': [1, 1, 0], 'v': [1, 1, 0]}
    """
    cross = cross.fillna(0).astype("int64")
    if rows is None:
        rows = _one_d(cross.sum(axis=1), min_cell)
    rows = rows.reindex(cross.index).fillna(False).astype(bool)
    mask = pd.DataFrame(False, index=cross.index, columns=cross.columns)
    mask.loc[rows[rows].index, :] = True
    mask |= (cross >= 1) & (cross < min_cell)
    changed = True
    while changed:
        changed = False
        lines = [(cross.loc[g], mask.loc[g], ("row", g)) for g in cross.index if not rows[g]]
        lines += [(cross[s], mask[s], ("col", s)) for s in cross.columns]
        for n, hidden, (kind, key) in lines:
            if _recoverable(n, hidden, min_cell):
                pick = _hide_smallest(n, hidden)
                if pick is None:
                    continue
                if kind == "row":
                    mask.at[key, pick] = True
                else:
                    mask.at[pick, key] = True
                changed = True
                break
    return mask


def disclosure_masks(counts: Mapping[str, pd.Series | pd.DataFrame], min_cell: int = 5) -> dict[str, Any]:
    """What to hide of every grouping a run publishes, decided together.

    Parameters
    ----------
    counts : mapping
        Grouping name -> a Series of respondents per group (the grouping's total published), or
        a DataFrame of respondents per group (rows) and sector (columns), whose row and column
        totals are published. A DataFrame's rows take the hidden groups of the Series of the
        same name when there is one.
    min_cell : int

    Returns
    -------
    dict
        The same keys: a Series of bool (hidden groups) or a DataFrame of bool (hidden cells).

    Examples
    --------
    >>> disclosure_masks({"area": pd.Series({"a": 3, "b": 60, "c": 300})})["area"].to_dict()
    {'a': True, 'b': True, 'c': False}
    """
    out: dict[str, Any] = {}
    for name, c in counts.items():
        if isinstance(c, pd.Series):
            out[name] = _one_d(c, min_cell)
    for name, c in counts.items():
        if isinstance(c, pd.DataFrame):
            key = c.index.name if c.index.name in out else name
            out[name] = cross_mask(c, min_cell, rows=out.get(key) if isinstance(out.get(key), pd.Series) else None)
    return out


def resuppress(counts: Mapping[str, Any], min_cell: int, total: int | None = None) -> pd.Series:
    """The groups to hide among counts some of which (``None``) are hidden already.

    Used by ``coprod report``, which reads a results.json disclosed at one ``--min-cell`` and may be
    asked for a larger one: the hidden groups stay hidden and count as one hidden block of
    ``total`` minus the known counts.

    >>> resuppress({"a": None, "b": None, "c": 300, "d": 6}, 10, total=380).to_dict()
    {'a': True, 'b': True, 'c': False, 'd': True}
    """
    keys = list(counts)
    known = pd.Series({k: int(v) for k, v in counts.items() if v is not None}, dtype="int64")
    mask = pd.Series(False, index=keys)
    mask[[k for k in keys if counts[k] is None]] = True
    small = known[(known >= 1) & (known < min_cell)].index
    mask[list(small)] = True
    block = None if total is None else int(total) - int(known.sum())
    while True:
        shown = known[~mask.reindex(known.index).astype(bool) & (known > 0)]
        hidden_known = known[mask.reindex(known.index).astype(bool) & (known > 0)]
        n_hidden = len(hidden_known) + sum(1 for k in keys if counts[k] is None)
        hidden_sum = int(hidden_known.sum()) + (block if block is not None else min_cell)
        if n_hidden == 0 or not (n_hidden == 1 or hidden_sum < min_cell) or shown.empty:
            return mask.astype(bool)
        mask[shown.sort_values(kind="stable").index[0]] = True


# ------------------------------------------------------------------------------------ the plan
@dataclass(frozen=True, slots=True)
class Disclosure:
    """What one run may not publish: hidden groups and hidden group x sector cells per grouping.

    Examples
    --------
    >>> t = pd.DataFrame({"sector": ["municipal"] * 40 + ["voluntary"] * 43,
    ...                   "service_area": ["integration"] * 3 + ["other"] * 30 + ["elderly_care"] * 50})
    >>> d = plan_disclosure(t, min_cell=5)
    >>> sorted(d.hidden("service_area")), d.is_hidden("sector", "municipal")
    (['integration', 'other'], False)
    """

    min_cell: int
    groups: Mapping[str, frozenset] = field(default_factory=dict)
    cells: Mapping[str, frozenset] = field(default_factory=dict)

    def hidden(self, grouping: str) -> frozenset:
        """The hidden values of ``grouping`` (empty for a grouping the run does not publish)."""
        return self.groups.get(grouping, frozenset())

    def is_hidden(self, grouping: str, value: Any) -> bool:
        return str(value) in self.hidden(grouping)

    def cell_hidden(self, grouping: str, value: Any, sector: Any) -> bool:
        return (str(value), str(sector)) in self.cells.get(grouping, frozenset())

    def scrub(self, warnings: Iterable[str]) -> tuple[str, ...]:
        """``warnings`` without those naming a hidden group (rule 5)."""
        return scrub_warnings(warnings, {g: self.hidden(g) for g in self.groups})


def plan_disclosure(table: pd.DataFrame, *, min_cell: int = 5, groupings: Iterable[str] = GROUPINGS,
                    cross: str | None = "sector") -> Disclosure:
    """The :class:`Disclosure` of a run that analysed ``table`` (one row per respondent).

    Every grouping column of ``table`` among ``groupings`` is counted, and crossed with ``cross``
    (when ``table`` has it), as coprod's outputs publish them; :func:`disclosure_masks` decides.
    """
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
        raise ValueError(f"min_cell must be a positive integer, got {min_cell!r}")
    counts: dict[str, Any] = {}
    crosses: dict[str, pd.DataFrame] = {}
    for g in groupings:
        if g not in table.columns:
            continue
        col = table[g].dropna().astype(str)
        counts[g] = col.value_counts()
        if cross and cross in table.columns and g != cross:
            ct = pd.crosstab(col, table.loc[col.index, cross].astype(str))
            ct.index.name = g
            crosses[f"{g} x {cross}"] = ct
    masks = disclosure_masks({**counts, **crosses}, min_cell)
    groups = {g: frozenset(str(k) for k, v in masks[g].items() if v) for g in counts}
    cells = {name.split(" x ")[0]: frozenset((str(r), str(c)) for r in m.index for c in m.columns if m.at[r, c])
             for name, m in masks.items() if isinstance(m, pd.DataFrame)}
    return Disclosure(min_cell=min_cell, groups=groups, cells=cells)


# ------------------------------------------------------------------------------------ warnings
def _names(hidden: Mapping[str, Iterable[str]]) -> re.Pattern | None:
    # any mention as a word: quoted ('integration'), bare ("(group integration)") or a name; a
    # warning dropped because a hidden value is also a common word ("other") costs a line, never privacy
    alts = sorted({re.escape(str(v)) for values in hidden.values() for v in values}, key=len, reverse=True)
    return re.compile(r"(?<![\w])(?:" + "|".join(alts) + r")(?![\w])") if alts else None


def scrub_warnings(warnings: Iterable[str], hidden: Mapping[str, Iterable[str]], *,
                   numbers: bool = False) -> tuple[str, ...]:
    """``warnings`` without those naming a value of ``hidden`` (grouping -> hidden values) as a
    word, and (``numbers``) without those stating a number (rows used by a withheld model).

    >>> scrub_warnings(["column 'X' is constant in group 'integration'", "all fine"], {"area": ["integration"]})
    ('all fine', '1 warning about a group suppressed for privacy is not shown')
    """
    pattern = _names(hidden)
    warnings = tuple(warnings)
    if pattern is None and not numbers:
        return warnings
    kept = tuple(w for w in warnings if not (pattern is not None and pattern.search(str(w)))
                 and not (numbers and re.search(r"\d", str(w))))
    dropped = len(warnings) - len(kept)
    if dropped:
        kept += (f"{dropped} warning{'s' if dropped > 1 else ''} about a group suppressed for privacy "
                 f"{'are' if dropped > 1 else 'is'} not shown",)
    return kept


# ------------------------------------------------------------------------------------ models
_FIT_NONE = ("chisq", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")


def _withheld_fit(fit):
    if fit is None or not hasattr(fit, "chisq_by_group"):
        return fit
    return replace(fit, **{k: None for k in _FIT_NONE}, chisq_by_group={})


def withhold_invariance(inv, hidden: Iterable[str], disclosure_warnings: Mapping[str, Iterable[str]]):
    """An invariance section as published (rule 4): its fit statistics withheld when one of its
    groups is hidden; its warnings scrubbed (rule 5) either way."""
    hidden = {str(h) for h in hidden}
    if not hidden & {str(g) for g in inv.groups}:
        return replace(inv, warnings=scrub_warnings(inv.warnings, disclosure_warnings))
    # "fewer usable rows (154) than ..." states the N of the fit as plainly as its AIC and BIC do
    warnings = scrub_warnings(inv.warnings, disclosure_warnings, numbers=True)
    levels = {lv: _withheld_fit(opt(getattr(inv, lv))) for lv in ("configural", "metric", "scalar", "strict")
              if opt(getattr(inv, lv)) is not None}
    meta = {k: v for k, v in (inv.meta or {}).items() if k != "group_counts"}  # they add up to N
    return replace(inv, **levels, lrt={}, delta={}, partial={}, warnings=warnings, meta=meta, withheld=True)


# ------------------------------------------------------------------------------------ provenance
#: per-import figures of a study's provenance that count respondents (one import is one
#: municipality's export of one wave, so its size is a municipality x wave cell)
_IMPORT_COUNTS = ("n_stored", "n_rows_file", "n_rejected", "n_valid")


def public_provenance(meta: Mapping[str, Any] | None) -> dict:
    """``meta`` (or a ``source``) with the imports of a study listed without their sizes (rule 6).

    >>> public_provenance({"imports": [{"file": "a.csv", "municipality": "Tinyby", "n_stored": 3}]})
    {'imports': [{'file': 'a.csv', 'municipality': 'Tinyby'}]}
    """
    out = dict(meta or {})
    if isinstance(out.get("imports"), (list, tuple)):
        out["imports"] = [{k: v for k, v in dict(i).items() if k not in _IMPORT_COUNTS} if isinstance(i, Mapping)
                          else i for i in out["imports"]]
    return out


# ------------------------------------------------------------------------------------ analyze
def _hyp_values(h, bank, table_values: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """The grouping values a welch hypothesis compares (both groups; a complement's too)."""
    spec = next((x for x in getattr(bank, "hypotheses", ()) if x.id == h.id), None)
    out: dict[str, set[str]] = {}
    if spec is None or not getattr(spec, "compare", None):
        return out
    groups = bank.groups
    for gid in spec.compare:
        g = groups[gid]
        if g.complement_of is not None:
            inner = groups[g.complement_of]
            vals = set(map(str, table_values.get(g.column, ()))) - set(map(str, inner.values))
        else:
            vals = set(map(str, g.values))
        out.setdefault(g.column, set()).update(vals)
    return out


def _withheld_hypothesis(h: MeanHypothesis) -> MeanHypothesis:
    return replace(h, n1=None, n2=None, mean1=None, mean2=None, diff=None, t=None, df=None, p=None, g=None,
                   verdict="not tested", reason=PRIVACY_REASON)


def _counts(mapping, hidden: frozenset):
    if not mapping:
        return mapping
    return {k: (None if str(k) in hidden else v) for k, v in mapping.items()}


def _without_sectors(s, hidden: frozenset) -> dict[str, Any]:
    """The sections split by sector, without the hidden sectors' parts (rule 1 for ``sector``).

    Item statistics, reliability, omega, the CFA, scores and strategies of a hidden sector are
    its answers; the structural model fitted across sectors is a fit on it (rule 4)."""
    def keep(mapping):
        return None if mapping is None else {k: v for k, v in mapping.items() if str(k) not in hidden} or None

    out: dict[str, Any] = {"items": keep(s.items), "cfa_by_sector": keep(s.cfa_by_sector)}
    if isinstance(s.omega_hierarchical, Mapping):
        out["omega_hierarchical"] = keep(s.omega_hierarchical)
    if s.reliability:
        out["reliability"] = {k: r for k, r in s.reliability.items()
                              if r is None or str(opt(getattr(r, "sector", None)) or "") not in hidden} or None
    if s.scores is not None:
        gvf = opt(s.scores.griffin_vs_felt)
        out["scores"] = replace(s.scores, by_sector=keep(s.scores.by_sector) or {},
                                **({} if gvf is None else {"griffin_vs_felt": {k: v for k, v in gvf.items()
                                                                               if str(k) not in hidden}}))
    if s.strategies:
        out["strategies"] = {k: v for k, v in ((k, keep(v)) for k, v in s.strategies.items()) if v} or None
    if s.sem_by_sector is not None:
        out["sem_by_sector"] = None
    return out


def disclose_analysis(result, disclosure: Disclosure, *, bank=None, values: Mapping[str, Iterable[str]] | None = None):
    """``coprod analyze``'s result as it may be published under ``disclosure``.

    Hidden groups' counts become ``None`` (sample table, spec mode's group counts); a welch
    hypothesis comparing a hidden value is "not tested" with :data:`PRIVACY_REASON` and no number;
    an invariance test across groups of which one is hidden keeps its decision but not its fit
    statistics; every warning naming a hidden group is left out.

    Parameters
    ----------
    result : AnalysisResult
    disclosure : Disclosure
        From :func:`plan_disclosure` on the analysed table.
    bank : Bank, optional
        Tells which groups each hypothesis compares (instrument mode).
    values : mapping, optional
        Every value of each grouping column (for a complement group such as "everyone else").
    """
    hidden = {g: disclosure.hidden(g) for g in disclosure.groups}
    s = result.sections
    changes: dict[str, Any] = {}
    if s.sample is not None:
        changes["sample"] = replace(s.sample, by_sector=_counts(s.sample.by_sector, disclosure.hidden("sector")),
                                    by_service_area=_counts(s.sample.by_service_area,
                                                            disclosure.hidden("service_area")),
                                    source=public_provenance(s.sample.source))
    inv_by = dict(s.invariance_by or {})
    if inv_by:
        changes["invariance_by"] = {g: (None if inv is None else withhold_invariance(inv, disclosure.hidden(g), hidden))
                                    for g, inv in inv_by.items()}
    if s.invariance is not None:
        g = s.invariance.group or s.invariance.meta.get("group")
        changes["invariance"] = withhold_invariance(s.invariance, disclosure.hidden(str(g)), hidden)
    if s.hypotheses:
        rows = []
        for h in s.hypotheses:
            if isinstance(h, MeanHypothesis):
                compared = _hyp_values(h, bank, values or {})
                if any(v in disclosure.hidden(col) for col, vals in compared.items() for v in vals):
                    h = _withheld_hypothesis(h)
            rows.append(h)
        changes["hypotheses"] = tuple(rows)
    hidden_sectors = disclosure.hidden("sector")
    if hidden_sectors:
        changes.update(_without_sectors(s, hidden_sectors))
        # rule 7: a test across sectors is split by sector too, even with its fit withheld
        if "sector" in changes.get("invariance_by", {}):
            changes["invariance_by"] = {**changes["invariance_by"], "sector": None}
        if s.invariance is not None and str(s.invariance.group or s.invariance.meta.get("group")) == "sector":
            changes["invariance"] = None
    sections = replace(s, **changes)
    ds = result.data_summary
    if ds is not None and opt(ds.group_counts):
        group = (result.meta or {}).get("spec", {}).get("group") if isinstance((result.meta or {}).get("spec"), dict) else None
        hid = disclosure.hidden(str(group)) if group else frozenset().union(*hidden.values()) if hidden else frozenset()
        ds = replace(ds, group_counts=_counts(ds.group_counts, hid))
    return replace(result, sections=sections, data_summary=ds, meta=public_provenance(result.meta),
                   warnings=scrub_warnings(result.warnings, hidden),
                   errors=scrub_warnings(result.errors, hidden))
