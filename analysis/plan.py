"""Sample-size planning by Monte Carlo: simulate a study of ``groups`` groups of ``n`` respondents
from a population model, refit the model, and count how often each effect is detected.

Pure: the replications are plain functions of ``(population, n, rep, seed)``, so whoever runs
them (one process, or Dask workers in :mod:`coprod.plan`) gets the same rows::

    pop = InstrumentPopulation.default(bank)                 # paths as SimulationParams
    rows = [replicate(pop, n, r, seed=1) for n in (40, 60) for r in range(200)]
    result = summarize(rows, pop, design)                    # power, convergence, bias per n

Each replication draws from its own ``SeedSequence(seed, spawn_key=(n, rep, group))``: no
replication's numbers depend on another's, or on the order they are run in.

Noninvariance (metric and scalar, across groups) is planned by
:class:`coprod.analysis.plan_invariance.NoninvariancePopulation`, alone or beside the paths in
:class:`Populations`.

Power is the share of converged replications whose Wald test (delta method for a defined
effect such as an indirect effect ``a1*b1``) rejects at ``alpha``; bias compares the mean
standardised estimate (``std_all``; for a defined effect the same expression of the paths'
``std_all``) with the population's standardised value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from coprod.instrument.bank import as_bank
from coprod.instrument.errors import CoprodError
from coprod.instrument.model import Bank

from .models import defined_effects, structural_model
from .responses.simulate import SimulationParams, simulate_population
from .default import reverse_keyed
from .sem.api import fit_sem

__all__ = ["PlanDesign", "PlanResult", "InstrumentPopulation", "RegressionPopulation", "Populations", "replicate",
           "summarize", "analytic_power", "paths_from_estimates", "PATH_PARAMS", "EXTRA_PARAMS", "ROW_COLUMNS", "TABLE_COLUMNS"]

#: the structural paths' labels and the simulator's parameter each one is
PATH_PARAMS = {"a1": "ins_com", "a2": "vin_rep", "b1": "com_amb", "b2": "rep_amb"}

#: further population values a fitted model gives: the INS–VIN correlation
EXTRA_PARAMS = {"r": "ins_vin_correlation"}

#: one row per replication and effect
ROW_COLUMNS = ("n_per_group", "rep", "effect", "converged", "est_std", "est", "se", "pvalue", "detected")
#: one row per sample size and effect
TABLE_COLUMNS = ("n_per_group", "n_total", "effect", "true", "reps", "converged", "convergence_rate",
                 "power", "power_mc_se", "mean_est", "bias", "relative_bias", "sd_est", "mean_se")

_TERM = re.compile(r"\s*([+-]?)\s*([A-Za-z_][A-Za-z0-9_]*(?:\s*\*\s*[A-Za-z_][A-Za-z0-9_]*)*)")


def _terms(expr: str) -> tuple[tuple[float, tuple[str, ...]], ...]:
    """``"a1*b1 - a2*b2"`` as ``((1, ("a1", "b1")), (-1, ("a2", "b2")))`` (sums of products)."""
    out, pos = [], 0
    expr = expr.strip()
    while pos < len(expr):
        m = _TERM.match(expr, pos)
        if not m or (out and not m.group(1)):
            raise CoprodError(f"effect {expr!r}: only sums and differences of products of labels")
        out.append((-1.0 if m.group(1) == "-" else 1.0, tuple(x.strip() for x in m.group(2).split("*"))))
        pos = m.end()
    return tuple(out)


def _evaluate(terms, values: Mapping[str, float]) -> float:
    return float(sum(sign * np.prod([values[x] for x in labels]) for sign, labels in terms))


def _seed(seed: int, *key: int) -> int:
    return int(np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in key)).generate_state(1)[0])


@dataclass(frozen=True, slots=True)
class InstrumentPopulation:
    """The instrument's population model (:mod:`analysis.responses.simulate`), refitted with the
    default structural model on the core items (pooled across sectors).

    ``params`` holds the standardised paths (``ins_com`` = a1, ``vin_rep`` = a2, ``com_amb`` =
    b1, ``rep_amb`` = b2) and the answer rates. :meth:`default` switches off what would make the
    paths differ from their standardised population values (the hypotheses' mean shifts, the
    municipality intercepts) and the careless respondents (a planned study removes them).
    """

    bank: Bank
    params: SimulationParams
    #: the effects whose power is reported; empty: the bank's path labels and defined effects
    effects: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.effects:
            object.__setattr__(self, "effects", (*self.bank.structural.labels, *defined_effects(self.bank)))

    @classmethod
    def default(cls, bank: Bank | None = None, *, paths: Mapping[str, float] | None = None,
                missing_rate: float = 0.0) -> "InstrumentPopulation":
        """The planning population; ``paths`` overrides ``a1``, ``a2``, ``b1``, ``b2`` and
        ``r`` (the INS–VIN correlation), e.g. from :func:`paths_from_estimates`."""
        names = {**PATH_PARAMS, **EXTRA_PARAMS}
        unknown = sorted(set(paths or {}) - set(names))
        if unknown:
            raise CoprodError(f"unknown path {', '.join(unknown)} (the paths are {', '.join(names)})")
        for k, v in (paths or {}).items():
            if not -0.95 <= v <= 0.95:
                raise CoprodError(f"path {k} = {v}: a standardised path lies between -0.95 and 0.95")
        p = SimulationParams(manager_com=0.0, frontline_rep=0.0, voluntary_asymmetry=0.0,
                             integration_selection=0.0, elderly_individualisation=0.0,
                             municipality_sd=0.0, careless_rate=0.0, attention_fail_rate=0.0,
                             speeder_rate=0.0, missing_rate=missing_rate, dont_know_rate=0.0)
        p = replace(p, **{names[k]: float(v) for k, v in (paths or {}).items()})
        r2 = p.com_amb ** 2 + p.rep_amb ** 2 + 2 * p.com_amb * p.rep_amb * p.ins_com * p.vin_rep * p.ins_vin_correlation
        if r2 >= 0.95:
            raise CoprodError(f"b1 = {p.com_amb} and b2 = {p.rep_amb} explain {r2:.2f} of AMB's variance; "
                              "the population needs less than 0.95")
        return cls(bank=as_bank(bank), params=p)

    @property
    def model(self) -> str:
        return structural_model(self.bank, None)

    def truth(self) -> dict[str, float]:
        paths = {k: float(getattr(self.params, v)) for k, v in PATH_PARAMS.items()}
        return {e: _evaluate(_terms(defined_effects(self.bank).get(e, e)), paths) for e in self.effects}

    def definition(self, effect: str) -> str:
        return defined_effects(self.bank).get(effect, effect)

    def sample(self, n: int, groups: int, seed: int, rep: int) -> pd.DataFrame:
        parts = []
        for g in range(groups):
            p = replace(self.params, municipalities=(f"group_{g + 1}",))
            sim = simulate_population(n, seed=_seed(seed, n, rep, g), bank=self.bank, params=p)
            parts.append(sim.table)
        table = pd.concat(parts, ignore_index=True)
        dk = {c.id: self.bank.scales[c.scale].dont_know for c in self.bank.items}
        for item, code in dk.items():
            if item in table:
                table[item] = table[item].where(table[item] != code)
        return reverse_keyed(table, self.bank)


@dataclass(frozen=True, slots=True)
class RegressionPopulation:
    """``y = b·x + e`` with standard normal ``x`` and ``Var(y) = 1``: a case whose power is known
    analytically (:func:`analytic_power`), to check the machinery."""

    slope: float
    effects: tuple[str, ...] = ("b",)
    model: str = "y ~ b*x"

    def truth(self) -> dict[str, float]:
        return {"b": float(self.slope)}

    def definition(self, effect: str) -> str:
        return effect

    def sample(self, n: int, groups: int, seed: int, rep: int) -> pd.DataFrame:
        rng = np.random.default_rng(_seed(seed, n, rep))
        x = rng.standard_normal(n * groups)
        y = self.slope * x + np.sqrt(1 - self.slope ** 2) * rng.standard_normal(n * groups)
        return pd.DataFrame({"x": x, "y": y, "group": np.repeat(np.arange(groups), n)})


@dataclass(frozen=True, slots=True)
class Populations:
    """Several plans in one run (the structural model's paths and the noninvariance tests of
    :mod:`coprod.analysis.plan_invariance`): each replication runs every part on its own seeds."""

    parts: tuple

    def __post_init__(self) -> None:
        effects = [e for p in self.parts for e in p.effects]
        if len(set(effects)) != len(effects):
            raise CoprodError(f"the plans' effects overlap: {effects}")

    @property
    def effects(self) -> tuple[str, ...]:
        return tuple(e for p in self.parts for e in p.effects)

    @property
    def model(self) -> str:
        return "\n".join(p.model for p in self.parts)

    def truth(self) -> dict[str, float]:
        return {k: v for p in self.parts for k, v in p.truth().items()}

    def definition(self, effect: str) -> str:
        return next(p.definition(effect) for p in self.parts if effect in p.effects)

    def replicate(self, n: int, rep: int, *, seed: int, groups: int) -> list[dict[str, Any]]:
        return [row for p in self.parts for row in replicate(p, n, rep, seed=seed, groups=groups)]


@dataclass(frozen=True, slots=True)
class PlanDesign:
    """What to simulate: ``groups`` groups of each size in ``n_per_group``, ``reps`` times."""

    n_per_group: tuple[int, ...]
    groups: int
    reps: int
    seed: int
    alpha: float = 0.05

    def __post_init__(self) -> None:
        if not self.n_per_group or any(int(n) < 2 for n in self.n_per_group):
            raise CoprodError(f"n per group {list(self.n_per_group)}: give sizes of 2 or more")
        if self.groups < 1 or self.reps < 1:
            raise CoprodError(f"groups = {self.groups}, reps = {self.reps}: both must be 1 or more")
        if not 0 < self.alpha < 1:
            raise CoprodError(f"alpha = {self.alpha}: must lie between 0 and 1")

    def tasks(self) -> list[tuple[int, int]]:
        """Every (n per group, replication), in table order."""
        return [(int(n), r) for n in self.n_per_group for r in range(self.reps)]

    def to_dict(self) -> dict[str, Any]:
        return {"n_per_group": [int(n) for n in self.n_per_group], "groups": self.groups,
                "reps": self.reps, "seed": self.seed, "alpha": self.alpha}


def replicate(pop, n: int, rep: int, *, seed: int, groups: int = 1) -> list[dict[str, Any]]:
    """One replication: simulate, refit, and one row per effect (:data:`ROW_COLUMNS`).

    A fit that fails or does not converge gives ``converged = False`` and missing estimates.

    Examples
    --------
    >>> rows = replicate(RegressionPopulation(0.3), 100, 0, seed=1)
    >>> rows[0]["effect"], rows[0]["converged"], round(rows[0]["est_std"], 3)
    ('b', True, 0.367)
    """
    if hasattr(pop, "replicate"):  # a population with tests of its own (noninvariance, several plans)
        return pop.replicate(n, rep, seed=seed, groups=groups)
    data = pop.sample(n, groups, seed, rep)
    try:
        fit = fit_sem(data, pop.model)
        ok = bool(fit.converged)
    except (CoprodError, ValueError, ArithmeticError, np.linalg.LinAlgError):
        fit, ok = None, False  # a sample the model cannot be fitted to counts as not converged
    rows = []
    std, est, se, pv = {}, {}, {}, {}
    if ok:
        e = fit.estimates
        labelled = e[e["label"].astype(str) != ""]
        std = dict(zip(labelled["label"], labelled["std_all"].astype(float)))
        for frame, key in ((labelled, "label"), (fit.defined, "name")):
            est.update(zip(frame[key], frame["est"].astype(float)))
            se.update(zip(frame[key], frame["se"].astype(float)))
            pv.update(zip(frame[key], frame["pvalue"].astype(float)))
    for eff in pop.effects:
        row = {"n_per_group": int(n), "rep": int(rep), "effect": eff, "converged": ok,
               "est_std": np.nan, "est": np.nan, "se": np.nan, "pvalue": np.nan, "detected": np.nan}
        if ok and eff in est:
            row.update(est_std=_evaluate(_terms(pop.definition(eff)), std), est=est[eff], se=se[eff],
                       pvalue=pv[eff])
            row["converged"] = bool(np.isfinite(row["pvalue"]))
        rows.append(row)
    return rows


@dataclass(frozen=True, slots=True)
class PlanResult:
    """Power, convergence and bias per sample size and effect (``table``, :data:`TABLE_COLUMNS`)
    and every replication's estimates (``rows``)."""

    table: pd.DataFrame
    rows: pd.DataFrame
    design: PlanDesign
    meta: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def to_dict(self) -> dict[str, Any]:
        recs = self.table.astype(object).where(self.table.notna(), None).to_dict("records")
        return {"design": self.design.to_dict(), "table": recs, "meta": dict(self.meta)}


def summarize(rows: Sequence[Mapping[str, Any]], pop, design: PlanDesign, *,
              meta: Mapping[str, Any] | None = None) -> PlanResult:
    """The plan table of the replications' rows (in any order: they are sorted first)."""
    df = pd.DataFrame(list(rows), columns=list(ROW_COLUMNS))
    order = {e: i for i, e in enumerate(pop.effects)}
    df = df.assign(_e=df["effect"].map(order)).sort_values(["n_per_group", "_e", "rep"]).drop(columns="_e")
    df = df.reset_index(drop=True)
    truth = pop.truth()
    out = []
    for n in sorted({int(x) for x in design.n_per_group}):
        for eff in pop.effects:
            d = df[(df["n_per_group"] == n) & (df["effect"] == eff)]
            ok = d[d["converged"].astype(bool)]
            k = len(ok)
            # a test's own decision where it made one (Chen's rule), else the Wald/Δχ² p < alpha
            hit = ok["detected"].astype(float).where(ok["detected"].notna(), (ok["pvalue"] < design.alpha).astype(float))
            power = float(hit.mean()) if k else np.nan
            mean = float(ok["est_std"].mean()) if k else np.nan
            true = truth[eff]
            out.append({
                "n_per_group": n, "n_total": n * design.groups, "effect": eff, "true": true,
                "reps": len(d), "converged": k, "convergence_rate": k / len(d) if len(d) else np.nan,
                "power": power, "power_mc_se": float(np.sqrt(power * (1 - power) / k)) if k else np.nan,
                "mean_est": mean, "bias": mean - true,
                "relative_bias": (mean - true) / true if true else np.nan,
                "sd_est": float(ok["est_std"].std(ddof=1)) if k > 1 else np.nan,
                "mean_se": float(ok["se"].mean()) if k else np.nan,
            })
    return PlanResult(table=pd.DataFrame(out, columns=list(TABLE_COLUMNS)), rows=df, design=design,
                      meta=dict(meta or {}))


def paths_from_estimates(estimates: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """The population values of a fitted structural model: the standardised (``std_all``) paths
    labelled ``a1``, ``a2``, ``b1``, ``b2`` and the INS–VIN correlation ``r``, from the rows of a
    parameter table (``results.json``'s ``sem.estimates``).

    Examples
    --------
    >>> paths_from_estimates([{"lhs": "COM", "op": "~", "rhs": "INS", "label": "a1", "std_all": 0.41},
    ...                       {"lhs": "INS", "op": "~~", "rhs": "VIN", "label": "", "std_all": 0.25}])
    {'a1': 0.41, 'r': 0.25}
    """
    out: dict[str, float] = {}
    for e in estimates:
        std = e.get("std_all")
        if std is None or not np.isfinite(float(std)):
            continue
        if e.get("op") == "~" and e.get("label") in PATH_PARAMS:
            out[str(e["label"])] = float(std)
        elif e.get("op") == "~~" and {e.get("lhs"), e.get("rhs")} == {"INS", "VIN"}:
            out["r"] = float(std)
    return out


def analytic_power(slope: float, n: int, *, alpha: float = 0.05) -> float:
    """Power of the two-sided Wald test of ``b`` in ``y = b·x + e`` (standardised, ``n`` rows):
    ``Φ(δ − z) + Φ(−δ − z)`` with ``δ = √n·|b| / √(1 − b²)`` and ``z`` the ``1 − α/2`` quantile.

    Examples
    --------
    >>> round(analytic_power(0.2, 200), 4)
    0.823
    """
    from scipy.stats import norm

    delta = np.sqrt(n) * abs(slope) / np.sqrt(1 - slope ** 2)
    z = norm.ppf(1 - alpha / 2)
    return float(norm.cdf(delta - z) + norm.cdf(-delta - z))
