"""Result objects of the SEM engine (frozen dataclasses, rendered elsewhere)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from coprod.analysis._result import jsonable
from coprod.analysis.sem.scores import factor_scores

__all__ = ["SemResult", "InvarianceResult", "ESTIMATE_COLUMNS", "DEFINED_COLUMNS"]

ESTIMATE_COLUMNS = ("lhs", "op", "rhs", "group", "label", "est", "se", "z", "pvalue", "ci_lower",
                    "ci_upper", "std_lv", "std_all", "free")
DEFINED_COLUMNS = ("name", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "boot_se",
                   "boot_ci_lower", "boot_ci_upper")


def _pick(mapping: dict, group, groups: tuple):
    if group is None:
        if len(groups) <= 1:
            return mapping[groups[0]] if groups else None
        return dict(mapping)
    if group not in mapping:
        raise KeyError(f"unknown group {group!r}; groups are {list(groups)}")
    return mapping[group]


@dataclass(frozen=True, slots=True)
class SemResult:
    """A fitted CFA/SEM.

    ``estimates`` is lavaan's ``parameterEstimates(standardized = TRUE)`` (``:=`` rows have group 0),
    ``defined`` the ``:=`` parameters with delta-method and (if requested) bootstrap inference,
    ``fit`` the fit measures (keys in :data:`analysis.sem.fit.FIT_KEYS`). Matrices per group are
    available through :meth:`implied_cov`, :meth:`latent_cov` and :meth:`latent_cor`.
    """

    fit: dict
    estimates: pd.DataFrame
    defined: pd.DataFrame
    r2: dict
    converged: bool
    warnings: tuple[str, ...]
    n_used: int
    n_dropped: int
    groups: tuple
    bootstrap_info: dict
    bootstrap_estimates: pd.DataFrame = field(default_factory=pd.DataFrame)
    implied: dict = field(default_factory=dict)       # group → (Σ DataFrame, μ Series)
    latent: dict = field(default_factory=dict)        # group → Cov(η) DataFrame
    vcov: pd.DataFrame = field(default_factory=pd.DataFrame)
    meta: dict = field(default_factory=dict)
    # what factor_scores needs (analysis.sem.scores.ScoreBasis); None for WLSMV fits; not in to_dict
    score_basis: Any = None

    def implied_cov(self, group: Any = None):
        """Model-implied covariance matrix (DataFrame), or a dict by group when there are several."""
        out = _pick(self.implied, group, self.groups)
        return {g: v[0] for g, v in out.items()} if isinstance(out, dict) else (out[0] if out else None)

    def implied_mean(self, group: Any = None):
        """Model-implied means (Series), or a dict by group."""
        out = _pick(self.implied, group, self.groups)
        return {g: v[1] for g, v in out.items()} if isinstance(out, dict) else (out[1] if out else None)

    def latent_cov(self, group: Any = None):
        """Model-implied covariance matrix of the latent variables (lavaan's ``cov.lv``)."""
        return _pick(self.latent, group, self.groups)

    def latent_cor(self, group: Any = None):
        """Latent correlation matrix (lavaan's ``cor.lv``)."""
        cov = self.latent_cov(group)

        def cor(c: pd.DataFrame) -> pd.DataFrame:
            with np.errstate(invalid="ignore", divide="ignore"):
                d = np.sqrt(np.diag(c.to_numpy()))
                return pd.DataFrame(c.to_numpy() / np.outer(d, d), index=c.index, columns=c.columns)
        if isinstance(cov, dict):
            return {g: cor(c) for g, c in cov.items()}
        return None if cov is None else cor(cov)

    def to_frame(self) -> pd.DataFrame:
        """The parameter table (one row per parameter, lavaan's order)."""
        return self.estimates.copy()

    def factor_scores(self, data: pd.DataFrame, *, method: str = "regression") -> pd.DataFrame:
        """lavaan's ``lavPredict(fit, method=)`` for the rows of ``data``: see
        :func:`coprod.analysis.sem.scores.factor_scores`."""
        return factor_scores(self, data, method=method)

    def to_dict(self) -> dict:
        """JSON-safe dictionary (NaN → None, full precision)."""
        lat = {str(g): {"cov": c, "cor": self.latent_cor(g)} for g, c in self.latent.items()}
        return jsonable({
            "fit": self.fit, "estimates": self.estimates, "defined": self.defined, "r2": self.r2,
            "converged": self.converged, "warnings": list(self.warnings), "n_used": self.n_used,
            "n_dropped": self.n_dropped, "groups": list(self.groups), "bootstrap_info": self.bootstrap_info,
            "bootstrap_estimates": self.bootstrap_estimates,
            "latent": {g: {k: (v.to_dict() if v is not None else None) for k, v in d.items()} for g, d in lat.items()},
            "meta": self.meta,
        })


@dataclass(frozen=True, slots=True)
class InvarianceResult:
    """Configural / metric / scalar invariance: fits, Δχ² tests, ΔCFI/ΔRMSEA and a decision.

    ``decision`` is the highest level that holds ("configural", "metric", "partial_metric", …,
    "none"), or "not tested" when a level's fit did not converge before a rejection: ``reason``
    then says which and why, ``highest_level`` is the level reached before it. ``steps[level]`` is
    {decision: "holds" | "partial" | "fails" | "not tested", reason} for each level examined.
    """

    models: dict
    lrt: dict
    delta: dict
    decision: str
    partial: dict
    rule: str
    warnings: tuple[str, ...]
    groups: tuple
    meta: dict = field(default_factory=dict)
    steps: dict = field(default_factory=dict)
    reason: str = ""
    highest_level: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row per level: fit measures, Δχ² test and ΔCFI/ΔRMSEA against the previous level."""
        rows = []
        for level, m in self.models.items():
            row = {"level": level, "step": self.steps.get(level, {}).get("decision", "")}
            row.update({k: v for k, v in m.items() if k != "chisq_by_group"})
            row.update({f"{k}": v for k, v in self.lrt.get(level, {}).items()})
            row.update({f"delta_{k}": v for k, v in self.delta.get(level, {}).items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        """JSON-safe dictionary."""
        return jsonable({"models": self.models, "lrt": self.lrt, "delta": self.delta, "decision": self.decision,
                         "partial": self.partial, "rule": self.rule, "warnings": list(self.warnings),
                         "groups": list(self.groups), "meta": self.meta, "steps": self.steps,
                         "reason": self.reason, "highest_level": self.highest_level})
