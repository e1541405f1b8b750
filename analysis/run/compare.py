"""Per-group statistics behind ``coprod compare`` (service area, municipality, sector, role).

Construct scores are means of the mirrored core items (comparable across sectors), and they are
compared between groups only where **scalar** invariance holds (tested by FIML, so every
respondent with any core answer counts) for the grouping
(constructs.md: metric for paths and correlations, scalar for means). Invariance is tested on the
core-items measurement model across the groups large enough to estimate it; when it cannot be
tested, or fails, the comparison says so instead of comparing. Privacy (small-cell suppression)
is applied by the reports layer, which never shows what this module computes for a small group.
The invariance test and each group's structural model run as steps of the shared runner.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import pandas as pd
from scipy import stats

from coprod.instrument.model import Bank

from .._result import jsonable
from ..alignment import TRUST_SHARE, align_factor
from ..models import measurement_model, scale_items, structural_model
from ..responses import score
from ..sem import fit_sem
from .instrument_sections import reverse_keyed
from .records import AlignedFactor, ComparisonAlignment, ComparisonInvariance, InvarianceSection, GroupPaths, GroupStats, MeanCi, NoPaths, Overall, PathEstimate, PathFit
from .records._base import ABSENT, _convert, opt
from .results import provenance
from .sections import invariance_section
from .steps import Steps

__all__ = ["compare_groups", "ComparisonResult", "GROUPINGS", "MIN_GROUP_FOR_MODEL", "MIN_GROUPS_FOR_ALIGNMENT"]

GROUPINGS = ("service_area", "municipality", "sector", "role")
#: respondents a group needs before it enters the invariance test or gets its own SEM
MIN_GROUP_FOR_MODEL = 50
#: groups at the analytic minimum needed before latent means are compared by alignment
MIN_GROUPS_FOR_ALIGNMENT = 5
#: a comparison step that fails for its data is reported, not raised (anything else is a bug)
_COMPARE_ERRORS = (ValueError,)


@dataclass(frozen=True, slots=True)
class ComparisonResult:
    """Statistics per group; ``invariance`` decides whether means may be compared.

    ``groups``, ``invariance`` and ``overall`` are records (:mod:`.records.compare`); given as
    results.json objects they are read into records, and a key they do not know is an error.
    """

    by: str
    groups: Mapping[str, GroupStats]
    invariance: ComparisonInvariance
    means_comparable: bool
    reason: str
    overall: Overall
    warnings: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)
    alignment: ComparisonAlignment | None = None  # 5 or more groups at the analytic minimum

    def __post_init__(self) -> None:
        if isinstance(self.alignment, Mapping):
            object.__setattr__(self, "alignment", _convert(self.alignment, ComparisonAlignment, "alignment"))
        object.__setattr__(self, "groups", _convert(self.groups, Mapping[str, GroupStats], "groups"))
        object.__setattr__(self, "invariance", _convert(self.invariance, ComparisonInvariance, "invariance"))
        object.__setattr__(self, "overall", _convert(self.overall, Overall, "overall"))

    def to_dict(self) -> dict:
        return jsonable({"by": self.by, "groups": {g: d.to_dict() for g, d in self.groups.items()},
                         "invariance": self.invariance.to_dict(), "means_comparable": self.means_comparable,
                         "reason": self.reason, "overall": self.overall.to_dict(), "warnings": list(self.warnings),
                         "meta": self.meta,
                         **({"alignment": self.alignment.to_dict()} if self.alignment is not None else {})})

    def to_frame(self) -> pd.DataFrame:
        """One row per group and construct: n, mean, CI."""
        rows = []
        for g, d in self.groups.items():
            for c, m in d.means.items():
                rows.append({"group": g, "construct": c, **m.to_dict()})
        return pd.DataFrame(rows)


def _mean_ci(x: pd.Series) -> MeanCi:
    x = x.dropna().astype(float)
    n = len(x)
    if n == 0:
        return MeanCi(n=0, mean=None, sd=None, lower=None, upper=None)
    m = float(x.mean())
    if n < 2:
        return MeanCi(n=n, mean=m, sd=None, lower=None, upper=None)
    sd = float(x.std())
    h = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    return MeanCi(n=n, mean=m, sd=sd, lower=m - h, upper=m + h)


def _hedges_g(a: pd.Series, b: pd.Series) -> float | None:
    a, b = a.dropna().astype(float), b.dropna().astype(float)
    if len(a) < 2 or len(b) < 2:
        return None
    sp = math.sqrt(((len(a) - 1) * a.var() + (len(b) - 1) * b.var()) / (len(a) + len(b) - 2))
    if sp == 0:
        return None
    return (1 - 3 / (4 * (len(a) + len(b)) - 9)) * (a.mean() - b.mean()) / sp


def _paths(df: pd.DataFrame, model: str, missing: str = "listwise") -> GroupPaths | NoPaths:
    res = fit_sem(df, model, missing=missing)
    npar = res.fit.get("npar") or 0
    if not res.converged or res.n_used <= npar:
        # too few usable rows for this model: paths would be noise, so none are shown
        used = "complete responses" if missing == "listwise" else "responses"
        return NoPaths(error=f"the structural model could not be estimated reliably for this group "
                             f"({res.n_used} {used}, {npar} parameters"
                             f"{'' if res.converged else ', no convergence'})", n=res.n_used)
    out = {}
    for e in res.to_dict()["estimates"]:
        if e["op"] == "~":
            out[f"{e['lhs']} ~ {e['rhs']}"] = PathEstimate(est=e["est"], std_all=e.get("std_all"),
                                                           pvalue=e.get("pvalue"))
    return GroupPaths(n=res.n_used, converged=res.converged, paths=out,
                      fit=PathFit(**{k: res.fit.get(k) for k in ("cfi", "rmsea", "srmr")}),
                      warnings=tuple(res.warnings))


def compare_groups(table: pd.DataFrame, by: str, *, bank: Bank, progress: Callable[[int, int], None] | None = None,
                   min_group_for_model: int = MIN_GROUP_FOR_MODEL, missing: str = "listwise") -> ComparisonResult:
    """Construct means with 95% CIs, strategy profiles and structural paths per group.

    Parameters
    ----------
    table : DataFrame
        Canonical responses (flagged respondents already removed if wanted); reverse-keyed items
        are handled here.
    by : str
        Grouping column, one of ``GROUPINGS``.
    min_group_for_model : int
        Respondents a group needs for the invariance test, the alignment and its own paths.
    missing : {"listwise", "fiml"}
        Missing answers in each group's structural model (the invariance test is always FIML).

    Returns
    -------
    ComparisonResult
    """
    if missing not in ("listwise", "fiml"):
        raise ValueError(f"missing must be 'listwise' or 'fiml', not {missing!r}")
    if by not in GROUPINGS:
        raise ValueError(f"cannot compare by {by!r}; choose one of {', '.join(GROUPINGS)}")
    if by not in table.columns:
        raise ValueError(f"the data have no column {by!r}")
    df = reverse_keyed(table, bank)
    # core items only: they ask the same question of both sectors, and the invariance test
    # that licenses a mean comparison is run on them
    scores = score(table, bank, keep_flagged=True, core_only=True)
    constructs = [c for c in bank.constructs if c in scores.columns]
    labels = [g for g in pd.unique(df[by].dropna())]
    steps = Steps()
    inv, big = _invariance(df, by, labels, bank, steps, min_group_for_model)
    # the comparison's warnings are its invariance test's failures; a group whose paths cannot
    # be estimated says so in its own ``sem.error``
    warnings = tuple(steps.errors)
    decision = inv.decision
    comparable = decision in ("scalar", "partial_scalar") and len(big) == len(labels)
    reason = _reason(by, inv, comparable, min_group_for_model)
    sem_model = structural_model(bank, None)
    groups: dict[str, GroupStats] = {}
    for k, g in enumerate(labels, 1):
        rows = df[by] == g
        s = scores.loc[rows]
        sem: GroupPaths | NoPaths | None
        if g in big:
            name = f"sem[{g}]"
            sem = steps.run(name, lambda rows=rows: _paths(df[rows], sem_model, missing), catch=_COMPARE_ERRORS)
            if sem is None:
                sem = NoPaths(error=steps.failures[name])
        else:
            sem = NoPaths(error=f"fewer than {min_group_for_model} respondents for a structural model")
        groups[str(g)] = GroupStats(
            n=int(rows.sum()), means={c: _mean_ci(s[c]) for c in constructs},
            by_sector={str(k2): int(v) for k2, v in df.loc[rows, "sector"].value_counts().items()},
            effect_vs_rest=({c: _hedges_g(s[c], scores.loc[~rows, c]) for c in constructs} if comparable
                            else ABSENT), sem=sem, analytic=g in big)
        if progress:
            progress(k, len(labels))
    overall = Overall(n=len(df), means={c: _mean_ci(scores[c]) for c in constructs})
    alignment = _alignment(df, by, big, bank) if len(big) >= MIN_GROUPS_FOR_ALIGNMENT else None
    return ComparisonResult(by=by, groups=groups, invariance=inv, means_comparable=comparable, reason=reason,
                            overall=overall, warnings=warnings, alignment=alignment,
                            meta=provenance({} if missing == "listwise" else {"missing": missing},
                                            source={"instrument_version": bank.version}))


def _alignment(df: pd.DataFrame, by: str, big: list, bank: Bank) -> ComparisonAlignment:
    """Each latent construct's core items aligned (FIXED, FIML configural fits) across ``big``.

    The means and variances are re-expressed over the aligned groups (mean of means 0, mean
    variance 1): the latent scale is arbitrary, and this one reads as SD units from the average
    group rather than from whichever group happened to be the reference.
    """
    factors, errors = {}, {}
    for c in bank.latent_order:
        items = list(scale_items(bank, c, None))
        if len(items) < 3:
            continue
        try:
            r = align_factor(df, items, group=by, groups=big, method="fixed")
        except _COMPARE_ERRORS as exc:
            errors[c] = str(exc)
            continue
        m, v = pd.Series(r.mean, index=r.groups), pd.Series(r.variance, index=r.groups)
        scale = math.sqrt(float(v.mean()))
        factors[c] = AlignedFactor(
            items=tuple(items), method=r.method, mean=((m - m.mean()) / scale).to_dict(),
            variance=(v / v.mean()).to_dict(), noninvariant_share=r.noninvariant_share,
            r2_loadings=r.r2["loadings"], r2_intercepts=r.r2["intercepts"], trusted=r.trusted,
            converged=r.converged)
    return ComparisonAlignment(groups=tuple(str(g) for g in big), min_groups=MIN_GROUPS_FOR_ALIGNMENT,
                               trust_share=TRUST_SHARE, factors=factors or ABSENT, errors=errors or ABSENT)


def _invariance(df: pd.DataFrame, by: str, labels: list, bank: Bank, steps: Steps,
                min_group: int) -> tuple[ComparisonInvariance, list]:
    """Invariance of the core-items model across the groups with ``min_group`` respondents, and
    those groups."""
    core_model = measurement_model(bank, bank.latent_order, None)
    core_items = [i for c in bank.latent_order for i in scale_items(bank, c, None)]
    # FIML: every respondent who answered any core item counts (a don't-know is missing, and
    # listwise deletion over 21 items would leave too few for most groups)
    answered = df[df[core_items].notna().any(axis=1)]
    big = [g for g in labels if (answered[by] == g).sum() >= min_group]
    tested = None
    if len(big) >= 2:
        tested = steps.run(f"invariance by {by}", lambda: invariance_section(
            answered[answered[by].isin(big)], core_model, by, missing="fiml"), catch=_COMPARE_ERRORS)
    test = {f: getattr(tested, f) for f in _TEST_FIELDS} if tested is not None else {"decision": "not tested"}
    return ComparisonInvariance(groups_tested=tuple(str(g) for g in big), min_group=min_group, **test), big


#: what a comparison keeps of its invariance test: all of it (the reports layer publishes part)
_TEST_FIELDS = tuple(f.name for f in dataclasses.fields(InvarianceSection)
                     if f.name not in ("min_group", "groups_tested"))


def _reason(by: str, inv: ComparisonInvariance, comparable: bool, min_group: int) -> str:
    """Why the groups' means are, or are not, compared."""
    decision = inv.decision
    if decision == "not tested" and len(inv.groups_tested) < 2:
        return (f"measurement invariance by {by} could not be tested: fewer than two groups have "
                f"{min_group} respondents")
    if decision == "not tested":
        why = opt(inv.reason) or "the invariance models could not be estimated"
        return f"measurement invariance by {by} could not be tested: {why}"
    if decision not in ("scalar", "partial_scalar"):
        return (f"scalar invariance by {by} does not hold (highest level: {decision}), so the groups "
                "may understand the items differently and their means are not compared")
    if not comparable:
        return (f"scalar invariance holds for the groups large enough to test, but not every group "
                f"could be tested (fewer than {min_group} respondents)")
    return f"{decision.replace('_', ' ')} invariance holds by {by}: means are comparable"
