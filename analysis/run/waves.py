"""Change per group between two waves of a study (``coprod compare STUDY --waves 2026,2027``).

Each wave's construct scores are the observed means of the mirrored core items, as in
:func:`coprod.analysis.run.compare.compare_groups`. A change (later − earlier wave, per group and
construct) is only meaningful when the items measure the same thing in both waves, so the
core-items measurement model is tested for invariance **across the waves** (the wave as the
group, FIML, pooled over the groups: a group's own 50-odd respondents per wave are too few for a
two-group invariance test of 21 items), with the same machinery and Chen's rule as the groups'
test (:func:`coprod.analysis.sem.invariance.measurement_invariance`).

What is shown when longitudinal scalar invariance does not hold: **no change**. Each wave's
observed means stay on the pages (labelled observed, as every group's means are), but their
difference is not computed for the reader, for the same reason the groups' means are not compared
without scalar invariance: a difference could come from the items being read differently in the
second wave. ``comparable`` records the decision; the reports layer withholds the changes.

The waves are treated as independent samples (repeated cross-sections): the CI of a change is
Welch's t interval of two independent means. When the same people answered both waves their
positive within-person correlation makes this interval wider than a paired one (conservative).
"""
from __future__ import annotations

import math
from typing import Sequence

import pandas as pd
from scipy import stats

from coprod.instrument.model import Bank

from ..models import measurement_model, scale_items
from ..responses import score
from .compare import MIN_GROUP_FOR_MODEL, _mean_ci
from .instrument_sections import reverse_keyed
from .records import ChangeCell, ComparisonInvariance, InvarianceSection, MeanCi, WaveChange, WaveGroup, WaveStats
from .sections import invariance_section

__all__ = ["wave_stats", "compare_waves", "welch_change", "WAVE_COLUMN"]

#: the grouping column of the longitudinal invariance test
WAVE_COLUMN = "wave"
_TEST_FIELDS = tuple(f for f in InvarianceSection.__dataclass_fields__ if f not in ("min_group", "groups_tested"))


def wave_stats(table: pd.DataFrame, by: str, wave: str, *, bank: Bank) -> WaveStats:
    """Respondents and observed core-item construct means (t-based 95% CI) per group in one wave.

    Examples
    --------
    >>> from coprod.analysis.responses.simulate import simulate
    >>> from coprod.instrument.bank import load_bank
    >>> bank = load_bank()
    >>> ws = wave_stats(simulate(120, seed=1, bank=bank).table, "sector", "2026", bank=bank)
    >>> sorted(ws.groups), ws.overall.n
    (['municipal', 'voluntary'], 120)
    """
    if by not in table.columns:
        raise ValueError(f"the data of wave {wave} have no column {by!r}")
    scores = score(table, bank, keep_flagged=True, core_only=True)
    constructs = [c for c in bank.constructs if c in scores.columns]
    groups = {}
    for g in pd.unique(table[by].dropna()):
        rows = (table[by] == g).to_numpy()
        groups[str(g)] = WaveGroup(n=int(rows.sum()), means={c: _mean_ci(scores.loc[rows, c]) for c in constructs})
    overall = WaveGroup(n=len(table), means={c: _mean_ci(scores[c]) for c in constructs})
    return WaveStats(wave=str(wave), groups=groups, overall=overall)


def welch_change(before: MeanCi, after: MeanCi) -> ChangeCell:
    """``after.mean − before.mean`` with Welch's t 95% CI (``None`` when a wave has under 2 answers).

    Examples
    --------
    >>> c = welch_change(MeanCi(n=50, mean=4.0, sd=1.0, lower=None, upper=None),
    ...                  MeanCi(n=50, mean=4.5, sd=1.0, lower=None, upper=None))
    >>> round(c.diff, 2), round(c.lower, 3), round(c.upper, 3), round(c.df, 1)
    (0.5, 0.103, 0.897, 98.0)
    """
    if before.mean is None or after.mean is None:
        return ChangeCell(diff=None, lower=None, upper=None, df=None)
    diff = float(after.mean) - float(before.mean)
    if before.sd is None or after.sd is None or before.n < 2 or after.n < 2:
        return ChangeCell(diff=diff, lower=None, upper=None, df=None)
    v1, v2 = float(before.sd) ** 2 / before.n, float(after.sd) ** 2 / after.n
    se = math.sqrt(v1 + v2)
    if se == 0:
        return ChangeCell(diff=diff, lower=None, upper=None, df=None)
    df = (v1 + v2) ** 2 / (v1 ** 2 / (before.n - 1) + v2 ** 2 / (after.n - 1))
    h = float(stats.t.ppf(0.975, df)) * se
    return ChangeCell(diff=diff, lower=diff - h, upper=diff + h, df=df)


def compare_waves(tables: Sequence[pd.DataFrame], waves: Sequence[str], by: str, *, bank: Bank,
                  min_group: int = MIN_GROUP_FOR_MODEL) -> WaveChange:
    """Change per group from ``waves[0]`` to ``waves[1]``, gated by invariance across the waves.

    Parameters
    ----------
    tables : two DataFrames
        The canonical responses of each wave (flagged respondents already removed if wanted).
    waves : two str
        The waves' names, earlier first.
    by : str
        The grouping column.
    min_group : int
        Respondents each wave needs for the invariance test across the waves.

    Returns
    -------
    WaveChange
        ``change[group][construct]`` for every group with respondents in both waves.
    """
    if len(tables) != 2 or len(waves) != 2:
        raise ValueError(f"two waves are compared, not {len(waves)}")
    w1, w2 = (str(w) for w in waves)
    if w1 == w2:
        raise ValueError(f"the two waves are the same ({w1})")
    s1, s2 = (wave_stats(t, by, w, bank=bank) for t, w in zip(tables, (w1, w2)))
    inv = _longitudinal_invariance(tables, (w1, w2), bank, min_group)
    comparable = inv.decision in ("scalar", "partial_scalar")
    change = {g: {c: welch_change(s1.groups[g].means[c], m) for c, m in s2.groups[g].means.items()
                  if c in s1.groups[g].means}
              for g in s2.groups if g in s1.groups}
    return WaveChange(by=by, waves=(w1, w2), stats={w1: s1, w2: s2}, invariance=inv, comparable=comparable,
                      reason=_reason(inv, (w1, w2), min_group), change=change)


def _longitudinal_invariance(tables, waves, bank: Bank, min_group: int) -> ComparisonInvariance:
    model = measurement_model(bank, bank.latent_order, None)
    items = [i for c in bank.latent_order for i in scale_items(bank, c, None)]
    parts = []
    for t, w in zip(tables, waves):
        d = reverse_keyed(t, bank)[items]
        parts.append(d[d.notna().any(axis=1)].assign(**{WAVE_COLUMN: w}))
    if any(len(p) < min_group for p in parts):
        return ComparisonInvariance(groups_tested=(), min_group=min_group, decision="not tested",
                                    reason=f"fewer than {min_group} respondents in a wave")
    try:
        tested = invariance_section(pd.concat(parts, ignore_index=True), model, WAVE_COLUMN, missing="fiml")
    except ValueError as exc:  # the models cannot be estimated on these data: reported, not raised
        return ComparisonInvariance(groups_tested=tuple(waves), min_group=min_group, decision="not tested",
                                    reason=str(exc))
    return ComparisonInvariance(groups_tested=tuple(waves), min_group=min_group,
                                **{f: getattr(tested, f) for f in _TEST_FIELDS})


def _reason(inv: ComparisonInvariance, waves: tuple[str, str], min_group: int) -> str:
    w1, w2 = waves
    if inv.decision == "not tested":
        why = inv.reason or "the invariance models could not be estimated"
        return f"invariance across waves {w1} and {w2} could not be tested ({why}): change is not shown"
    if inv.decision not in ("scalar", "partial_scalar"):
        return (f"scalar invariance across waves {w1} and {w2} does not hold (highest level: {inv.decision}): "
                "the items may be read differently in the two waves, so change is not shown")
    return f"{inv.decision.replace('_', ' ')} invariance holds across waves {w1} and {w2}: change is shown"
