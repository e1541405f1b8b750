"""Power to detect metric and scalar noninvariance across groups, by Monte Carlo (``coprod plan
--noninvariance-loading 0.2 --noninvariance-intercept 0.3``).

The population: one factor measured by ``items`` continuous indicators with standardised loading
``loading`` (residual variance ``1 − loading²``, intercept 0) in ``groups`` groups of ``n``. In the
second half of the groups (``groups // 2`` of them) the last ``round(share · items)`` items (at
least one; never the first, the marker that fixes the factor's scale) have loading
``loading + d_loading`` and intercept ``d_intercept``: the noninvariance to detect. The factor is
standard normal in every group, so any difference the tests find is in the measurement.

Each replication fits configural, metric and scalar models
(:func:`coprod.analysis.sem.invariance.measurement_invariance`, ML, no partial search) and
records, for each level, the Δχ² test against the level below (``metric_lrt``, ``scalar_lrt``:
detected when p < alpha) and Chen's (2007) rule on ΔCFI/ΔRMSEA/ΔSRMR (``metric_chen``,
``scalar_chen``: detected when the rule rejects the level). ``true`` is the size simulated. With
no noninvariance (sizes 0) the same table gives the tests' false-positive rates.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coprod.instrument.errors import CoprodError

from .sem.invariance import measurement_invariance

__all__ = ["NoninvariancePopulation", "CHEN_CUTOFFS", "NONINVARIANCE_EFFECTS"]

#: the effects of a noninvariance plan, in table order
NONINVARIANCE_EFFECTS = ("metric_lrt", "metric_chen", "scalar_lrt", "scalar_chen")
#: Chen (2007): a level fails when ΔCFI <= cfi and (ΔRMSEA >= rmsea or ΔSRMR >= srmr[level])
CHEN_CUTOFFS = {"cfi": -0.010, "rmsea": 0.015, "srmr": {"metric": 0.030, "scalar": 0.010}}
_ERRORS = (CoprodError, ValueError, ArithmeticError, np.linalg.LinAlgError)


def _seed(seed: int, *key: int) -> int:
    return int(np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in key)).generate_state(1)[0])


@dataclass(frozen=True, slots=True)
class NoninvariancePopulation:
    """One factor, ``items`` indicators; noninvariance in a ``share`` of the items in half the groups.

    Examples
    --------
    >>> pop = NoninvariancePopulation(d_loading=0.2, d_intercept=0.3)
    >>> pop.model, pop.noninvariant_items
    ('F =~ x1 + x2 + x3 + x4 + x5 + x6', ('x5', 'x6'))
    >>> rows = pop.replicate(100, 0, seed=1, groups=4)
    >>> [r["effect"] for r in rows]
    ['metric_lrt', 'metric_chen', 'scalar_lrt', 'scalar_chen']
    """

    d_loading: float = 0.0
    d_intercept: float = 0.0
    share: float = 1 / 3
    items: int = 6
    loading: float = 0.7
    effects: tuple[str, ...] = NONINVARIANCE_EFFECTS

    def __post_init__(self) -> None:
        if self.items < 3:
            raise CoprodError(f"noninvariance items = {self.items}: a factor needs 3 items or more")
        if not 0 < self.share <= 1:
            raise CoprodError(f"noninvariance share = {self.share}: give a share of the items above 0, at most 1")
        if not 0 < self.loading < 1 or not 0 < self.loading + self.d_loading < 1:
            raise CoprodError(f"loading {self.loading} + noninvariance {self.d_loading}: standardised loadings "
                              "lie between 0 and 1")

    @property
    def model(self) -> str:
        return "F =~ " + " + ".join(f"x{i}" for i in range(1, self.items + 1))

    @property
    def noninvariant_items(self) -> tuple[str, ...]:
        k = min(self.items - 1, max(1, round(self.share * self.items)))
        return tuple(f"x{i}" for i in range(self.items - k + 1, self.items + 1))

    def truth(self) -> dict[str, float]:
        return {"metric_lrt": self.d_loading, "metric_chen": self.d_loading,
                "scalar_lrt": self.d_intercept, "scalar_chen": self.d_intercept}

    def definition(self, effect: str) -> str:
        return effect

    def sample(self, n: int, groups: int, seed: int, rep: int) -> pd.DataFrame:
        if groups < 2:
            raise CoprodError("noninvariance across groups needs --groups 2 or more")
        shifted = set(self.noninvariant_items)
        parts = []
        for g in range(groups):
            # the stream differs from the structural model's (key 1): the two plans are independent
            rng = np.random.default_rng(_seed(seed, n, rep, g, 1))
            eta = rng.standard_normal(n)
            other = g >= groups - groups // 2
            cols = {}
            for i in range(1, self.items + 1):
                name = f"x{i}"
                lam = self.loading + (self.d_loading if other and name in shifted else 0.0)
                tau = self.d_intercept if other and name in shifted else 0.0
                cols[name] = tau + lam * eta + np.sqrt(1 - self.loading ** 2) * rng.standard_normal(n)
            parts.append(pd.DataFrame(cols).assign(group=f"g{g + 1}"))
        return pd.concat(parts, ignore_index=True)

    def replicate(self, n: int, rep: int, *, seed: int, groups: int) -> list[dict[str, Any]]:
        """One replication's rows (:data:`coprod.analysis.plan.ROW_COLUMNS`)."""
        data = self.sample(n, groups, seed, rep)
        try:
            mi = measurement_invariance(data, self.model, "group", partial=False)
            ok = bool(all(mi.models[lv]["converged"] for lv in ("configural", "metric", "scalar")))
        except _ERRORS:
            mi, ok = None, False  # a sample the models cannot be fitted to counts as not converged
        rows = []
        for eff in self.effects:
            level, test = eff.split("_")
            row = {"n_per_group": int(n), "rep": int(rep), "effect": eff, "converged": ok, "est_std": np.nan,
                   "est": np.nan, "se": np.nan, "pvalue": np.nan, "detected": np.nan}
            if ok:
                if test == "lrt":  # detected when p < the design's alpha (coprod.analysis.plan.summarize)
                    p = float(mi.lrt[level]["p_diff"])
                    row.update(pvalue=p, converged=bool(np.isfinite(p)))
                else:
                    row["detected"] = float(_chen_rejects(mi.delta[level], level))
            rows.append(row)
        return rows


def _chen_rejects(delta, level: str) -> bool:
    """Chen's (2007) rule on one level's changes in fit (:data:`CHEN_CUTOFFS`)."""
    c = CHEN_CUTOFFS
    return bool(delta["cfi"] <= c["cfi"] and (delta["rmsea"] >= c["rmsea"] or delta["srmr"] >= c["srmr"][level]))
