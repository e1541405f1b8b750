"""Measurement invariance across groups: configural → metric → scalar (→ strict).

Each level is a multi-group fit with lavaan's ``group.equal``: metric = "loadings", scalar =
"loadings" + "intercepts" (latent means then free in groups 2..G), strict adds "residuals".
Levels are compared with the previous one by the χ² difference test (lavaan's ``lavTestLRT``
for ML) and by the change in CFI, RMSEA and SRMR.

Decision rule (``chen=True``), Chen (2007, *Structural Equation Modeling* 14(3), 464–504, p. 501):
a level is **rejected** when ΔCFI ≤ −0.010 **and** (ΔRMSEA ≥ 0.015 **or** ΔSRMR ≥ 0.030 for
loadings / ≥ 0.010 for intercepts and residuals); otherwise it holds. With ``chen=False`` a level
holds when the Δχ² test has p ≥ ``alpha``. Configural invariance holds when the configural model
converged with CFI ≥ 0.90 and RMSEA ≤ 0.10 (``configural_cutoffs``). The decision is the highest
level reached without a rejection in between. A level whose fit did not converge is **not tested**
(never "rejected": a failed optimisation says nothing about invariance): the climb stops there, the
decision is "not tested" with the reason, and no partial search starts from that fit. Each fit is
warm-started from the previous level only if that one converged.

Partial invariance (``partial=True``): when metric or scalar is rejected, the constrained
loadings (metric) or intercepts (scalar) are freed one at a time — the one with the largest score
test (lavaan's ``lavTestScore`` for its constraints in all later groups, the expected drop in χ²)
is refitted and kept (the next ones if that refit does not converge); where no score test can be
computed (FIML), the ``screen`` candidates whose free estimates differ most across groups in the
less constrained model are refitted and the one whose release lowers χ² most is kept — until the
level holds, nothing is left, or ``max_free``
(a fifth) of the constraints are free, after which the level is taken not to hold (Byrne,
Shavelson & Muthén 1989: partial invariance needs most parameters equal). The freed parameters
stay free at the higher levels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from coprod.analysis._threads import one_blas_thread
from coprod.analysis.errors import ModelSpecError
from coprod.analysis.sem.api import summarize
from coprod.analysis.sem.engine import Engine
from coprod.analysis.sem.modindices import release_statistics
from coprod.analysis.sem.results import InvarianceResult, SemResult

__all__ = ["measurement_invariance", "LEVELS"]

LEVELS = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts"),
          "strict": ("loadings", "intercepts", "residuals")}
_SRMR_CUT = {"metric": 0.030, "scalar": 0.010, "strict": 0.010}
_SUMMARY = ("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic", "chisq_by_group")


def _summary(res: SemResult) -> dict:
    out = {k: res.fit[k] for k in _SUMMARY}
    out["converged"] = res.converged
    out["stop_reason"] = res.meta.get("stop_reason", "")
    out["optimizer_message"] = res.meta.get("optimizer_message", "")
    return out


def _not_converged(level: str, res: SemResult, what: str = "model") -> str:
    """Why a level is not tested: its fit did not converge (the optimiser's message)."""
    return f"{level} {what} did not converge ({res.meta.get('optimizer_message', '')}): {level} invariance not tested"


def _compare(cur: dict, prev: dict) -> tuple[dict, dict]:
    d_chi = cur["chisq"] - prev["chisq"]
    d_df = cur["df"] - prev["df"]
    p = float(stats.chi2.sf(d_chi, d_df)) if d_df > 0 and np.isfinite(d_chi) else math.nan
    lrt = {"chisq_diff": d_chi, "df_diff": d_df, "p_diff": p}
    delta = {"cfi": cur["cfi"] - prev["cfi"], "rmsea": cur["rmsea"] - prev["rmsea"], "srmr": cur["srmr"] - prev["srmr"]}
    return lrt, delta


def _holds(level: str, cur: dict, lrt: dict, delta: dict, chen: bool, alpha: float) -> bool:
    if not cur["converged"] or not np.isfinite(cur["chisq"]):
        return False
    if not chen:
        return not (lrt["p_diff"] < alpha)
    worse_cfi = delta["cfi"] <= -0.010
    worse_other = delta["rmsea"] >= 0.015 or delta["srmr"] >= _SRMR_CUT.get(level, 0.010)
    return not (worse_cfi and worse_other)


def _warm(engine: Engine, prev: SemResult | None) -> np.ndarray | None:
    """Starting θ from a previous converged fit of the same model (same rows, other equality
    pattern); a fit that did not converge is no start (its estimates may be anywhere)."""
    if prev is None or not prev.converged:
        return None
    est = prev.estimates["est"].to_numpy()
    pt = engine.pt
    acc, cnt = np.zeros(pt.nfree), np.zeros(pt.nfree)
    for i in pt.rows():
        if pt.free[i] and i < len(est) and np.isfinite(est[i]):
            acc[pt.free[i] - 1] += est[i]
            cnt[pt.free[i] - 1] += 1
    return np.where(cnt > 0, acc / np.maximum(cnt, 1), 0.0)


def _screen(cands: list[str], prev: SemResult | None, top: int) -> list[str]:
    """The ``top`` candidates whose free estimates differ most across groups in ``prev`` (the
    accepted, less constrained model): Σ_g (est_g − mean)² / mean(se²), a heterogeneity statistic."""
    if prev is None or len(cands) <= top:
        return cands
    est = prev.estimates
    score = {}
    for c in cands:
        if c.endswith("~1"):
            rows = est[(est["op"] == "~1") & (est["lhs"] == c[:-2])]
        elif "=~" in c:
            lhs, rhs = c.split("=~")
            rows = est[(est["op"] == "=~") & (est["lhs"] == lhs) & (est["rhs"] == rhs)]
        else:
            lhs, rhs = c.split("~~")
            rows = est[(est["op"] == "~~") & (est["lhs"] == lhs) & (est["rhs"] == rhs)]
        e = rows["est"].to_numpy(float)
        se = rows["se"].to_numpy(float) if "se" in rows else np.array([])
        se = se[np.isfinite(se)]
        se2 = float(np.mean(se ** 2)) if len(se) else np.nan  # refits skip SEs: rank by spread alone
        spread = float(np.sum((e - e.mean()) ** 2)) if len(e) else 0.0
        score[c] = spread / se2 if np.isfinite(se2) and se2 > 0 else spread
    return sorted(cands, key=lambda c: -score[c])[:top]


def _candidates(engine: Engine, level: str) -> list[str]:
    pt = engine.pt
    out = []
    for i in pt.rows(1):
        if not pt.free[i] or not pt.label[i].startswith(".p"):
            continue
        if level == "metric" and pt.op[i] == "=~":
            out.append(f"{pt.lhs[i]}=~{pt.rhs[i]}")
        elif level in ("scalar",) and pt.op[i] == "~1" and pt.lhs[i] not in pt.vars.lv:
            out.append(f"{pt.lhs[i]}~1")
        elif level == "strict" and pt.op[i] == "~~" and pt.lhs[i] == pt.rhs[i] and pt.lhs[i] not in pt.vars.lv:
            out.append(f"{pt.lhs[i]}~~{pt.rhs[i]}")
    return out


@one_blas_thread
def measurement_invariance(data: pd.DataFrame, model: str, group: str, *,
                           levels: Sequence[str] = ("configural", "metric", "scalar"),
                           missing: str = "listwise", partial: bool = True, chen: bool = True,
                           alpha: float = 0.05, configural_cutoffs: tuple[float, float] = (0.90, 0.10),
                           max_free: float = 0.2, screen: int = 5) -> InvarianceResult:
    """Test configural, metric and scalar invariance of a CFA across groups.

    Parameters
    ----------
    data : DataFrame
    model : str
        lavaan CFA syntax.
    group : str
        Grouping column (groups in order of first appearance).
    levels : sequence of str
        Any prefix-ordered subset of "configural", "metric", "scalar", "strict".
    missing : {"listwise", "fiml"}
    partial : bool
        Search for partial invariance when a level is rejected (see module docstring).
    chen : bool
        Decide by Chen's (2007) ΔCFI/ΔRMSEA/ΔSRMR cut-offs (True) or by the Δχ² test (False).
    alpha : float
        Level of the Δχ² test when ``chen=False``.
    max_free : float
        Share of a level's equality constraints the partial-invariance search may free (default
        a fifth, at least one); when more would be needed the level does not hold.
    screen : int
        Constraints refitted per search step: those whose free estimates differ most across
        groups in the less constrained model (keeps the search to a few fits per step).
    configural_cutoffs : (float, float)
        Minimum CFI and maximum RMSEA for configural invariance.

    Returns
    -------
    InvarianceResult
        ``models[level]`` = {npar, chisq, df, pvalue, cfi, tli, rmsea, srmr, aic, bic,
        chisq_by_group, converged, stop_reason, optimizer_message}; ``lrt[level]`` =
        {chisq_diff, df_diff, p_diff} and
        ``delta[level]`` = {cfi, rmsea, srmr} against the previous level; ``decision`` (or "not
        tested", with ``reason`` and ``highest_level``); ``steps[level]`` = {decision, reason};
        ``partial[level]`` = {freed, model, lrt, delta, holds, limit, method (per step: "score test"
        or "refit"), score_tests (per step: {candidate: X2})}.

    Notes
    -----
    Checked against lavaan 0.6.14 (``cfa(group=, group.equal=)`` and ``lavTestLRT``) on
    HolzingerSwineford1939 by school and a simulated Likert data set by sector (complete and FIML).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> f = rng.normal(size=400)
    >>> df = pd.DataFrame({f"x{i}": f + rng.normal(size=400) for i in range(1, 5)})
    >>> df["g"] = np.repeat(["a", "b"], 200)
    >>> mi = measurement_invariance(df, "f =~ x1 + x2 + x3 + x4", "g")
    >>> mi.decision
    'scalar'
    """
    levels = _check_levels(levels)
    fx = _Fitter(data, model, group, missing)
    fits, models, lrt, delta, warnings = _fit_levels(fx, levels)
    groups = fits[levels[-1]].groups
    if len(groups) < 2:
        warnings.append(f"only {len(groups)} group(s) in '{group}': invariance cannot be tested")
    conf = models["configural"]
    cfi_min, rmsea_max = configural_cutoffs
    decision, part, reason = "none", {}, ""
    if not conf["converged"]:
        decision, reason = "not tested", _not_converged("configural", fits["configural"])
        steps = {"configural": {"decision": "not tested", "reason": reason}}
    elif conf["cfi"] >= cfi_min and conf["rmsea"] <= rmsea_max:
        steps = {"configural": {"decision": "holds", "reason": ""}}
        decision, part, w, more = _highest_level(fx, levels, fits, partial=partial, chen=chen, alpha=alpha,
                                                 max_free=max_free, screen=screen)
        steps.update(more)
        warnings += w
    else:
        steps = {"configural": {"decision": "fails", "reason": f"CFI {conf['cfi']:.3f} < {cfi_min} or RMSEA "
                                                              f"{conf['rmsea']:.3f} > {rmsea_max}"}}
    highest = decision
    if any(st["decision"] == "not tested" for st in steps.values()):
        reason = next(st["reason"] for st in steps.values() if st["decision"] == "not tested")
        highest = "none" if decision == "not tested" else decision
        decision = "not tested"
        warnings.append(reason)
    rule = ("Chen (2007): reject a level if ΔCFI <= -0.010 and (ΔRMSEA >= 0.015 or ΔSRMR >= 0.030 for loadings / "
            "0.010 for intercepts, residuals)" if chen else f"Δχ² test: reject a level if p < {alpha}")
    rule += f"; configural holds if converged, CFI >= {cfi_min} and RMSEA <= {rmsea_max}"
    return InvarianceResult(models=models, lrt=lrt, delta=delta, decision=decision, partial=part, rule=rule,
                            warnings=tuple(dict.fromkeys(warnings)), groups=groups,
                            meta={"group": group, "missing": missing, "levels": levels,
                                  "group_counts": dict(fits["configural"].meta.get("group_counts", {}))},
                            steps=steps, reason=reason, highest_level=highest)


def _check_levels(levels: Sequence[str]) -> list[str]:
    levels = list(levels)
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad or not levels or levels[0] != "configural":
        raise ModelSpecError(f"levels must start with 'configural' and use {list(LEVELS)}; got {levels}")
    order = list(LEVELS)
    if [order.index(lv) for lv in levels] != sorted(order.index(lv) for lv in levels):
        raise ModelSpecError(f"levels must be in the order {order}; got {levels}")
    return levels


@dataclass(frozen=True)
class _Fitter:
    """The data, model and options that every fit of the invariance sequence shares."""

    data: pd.DataFrame
    model: str
    group: str
    missing: str

    def engine(self, level: str, freed: list[str] | None = None) -> Engine:
        """The model at ``level``, with the constraints ``freed`` released (lavaan's group.partial)."""
        if freed is None:
            return Engine(self.data, self.model, group=self.group, group_equal=LEVELS[level],
                          missing=self.missing)
        return Engine(self.data, self.model, group=self.group, group_equal=LEVELS[level], group_partial=freed,
                      missing=self.missing)

    def fit(self, level: str, freed: list[str] | None, warm_from: SemResult | None) -> SemResult:
        """Fit without SEs (not needed to compare levels), warm-started from a previous fit."""
        eng = self.engine(level, freed)
        return summarize(eng, compute_se=False, start=_warm(eng, warm_from))


def _fit_levels(fx: _Fitter, levels: list[str]):
    """Each level fitted in turn (warm-started from the one before) and compared with it.

    Returns ``(fits, models, lrt, delta, warnings)``, each keyed by level."""
    models, lrt, delta, warnings = {}, {}, {}, []
    fits: dict[str, SemResult] = {}
    prev_res: SemResult | None = None
    for level in levels:
        res = fx.fit(level, None, prev_res)
        fits[level] = res
        models[level] = _summary(res)
        warnings += [f"{level}: {w}" for w in res.warnings]
        if prev_res is not None:
            lrt[level], delta[level] = _compare(models[level], models[levels[levels.index(level) - 1]])
        prev_res = res
    return fits, models, lrt, delta, warnings


def _highest_level(fx: _Fitter, levels: list[str], fits: dict[str, SemResult], *, partial: bool, chen: bool,
                   alpha: float, max_free: float, screen: int) -> tuple[str, dict, list[str], dict]:
    """Climb from configural while each level (or its partial version) holds.

    A level whose fit did not converge is "not tested" and ends the climb: a failed optimisation
    says nothing about invariance, and no partial search starts from it.

    Returns ``(decision, partial results by level, warnings, steps by level)``."""
    decision, part, warnings, steps = "configural", {}, [], {}
    accepted = fits["configural"]
    freed: list[str] = []
    for level in levels[1:]:
        cur = fits[level]
        if freed:
            cur = fx.fit(level, freed, cur)
        if not cur.converged:
            steps[level] = {"decision": "not tested",
                            "reason": _not_converged(level, cur, "partial model" if freed else "model")}
            break
        cur_sum = _summary(cur)
        l_, d_ = _compare(cur_sum, _summary(accepted))
        ok = _holds(level, cur_sum, l_, d_, chen, alpha)
        name = f"partial_{level}" if freed else level
        stuck = ""
        if not ok and partial:
            extra, cur, ok, part[level], w, stuck = _partial_search(
                fx, level, freed, accepted, cur, (cur_sum, l_, d_), chen=chen, alpha=alpha,
                max_free=max_free, screen=screen)
            warnings += w
            if ok:
                freed += extra
                name = f"partial_{level}"
        if stuck:
            steps[level] = {"decision": "not tested", "reason": stuck}
            break
        steps[level] = {"decision": ("partial" if name.startswith("partial") else "holds") if ok else "fails",
                        "reason": ""}
        if not ok:
            break
        decision = name
        accepted = cur
    return decision, part, warnings, steps


def _partial_search(fx: _Fitter, level: str, freed: list[str], accepted: SemResult, cur: SemResult,
                    compared: tuple[dict, dict, dict], *, chen: bool, alpha: float, max_free: float,
                    screen: int):
    """Free ``level``'s constraints one at a time until it holds (see the module docstring).

    Returns ``(newly freed, last fit, holds, partial entry, warnings, why not tested)``; the last
    is non-empty when no release could be refitted to convergence, so the level is not tested."""
    cur_sum, l_, d_ = compared
    ok, stuck = False, ""
    extra: list[str] = []
    n_cands = len(_candidates(fx.engine(level, freed), level))
    # Byrne et al. (1989): partial invariance is meaningful only while most
    # parameters stay equal; beyond a fifth freed, the level is taken not to hold
    limit = max(1, math.ceil(max_free * n_cands))
    methods, scores = [], []
    while not ok and len(extra) < limit:
        eng = fx.engine(level, freed + extra)
        cands = _candidates(eng, level)
        if not cands:
            break
        ranked = _by_score_test(eng, cur, cands)
        if ranked is not None:
            # as researchers do: release the constraint with the largest score test (the
            # expected drop in χ²), refitting only it (the next ones if it does not converge)
            scores.append({c: x2 for c, x2 in ranked})
            cands = [c for c, _x2 in ranked][:screen]
            best = _first_converged(fx, level, freed + extra, cands, cur)
            methods.append("score test")
        else:
            # no score test (FIML or a singular information): refit the parameters that differ
            # most between groups where they are free, keep the largest drop in χ²
            cands = _screen(cands, accepted, screen)
            best = _best_release(fx, level, freed + extra, cands, cur)
            methods.append("refit")
        if best is None:
            stuck = (f"partial {level} search: no refit with one more constraint released converged "
                     f"({', '.join(cands)}): {level} invariance not tested")
            break
        extra.append(best[0])
        cur = best[1]
        cur_sum = _summary(cur)
        l_, d_ = _compare(cur_sum, _summary(accepted))
        ok = _holds(level, cur_sum, l_, d_, chen, alpha)
    entry = {"freed": list(extra), "model": cur_sum, "lrt": l_, "delta": d_, "holds": ok, "limit": limit,
             "method": methods, "score_tests": scores}
    warnings = []
    if not ok and len(extra) >= limit:
        warnings.append(f"partial {level} invariance: still rejected after freeing {len(extra)} of "
                        f"{n_cands} constraints (the most allowed, {max_free:.0%}); {level} does not hold")
    return extra, cur, ok, entry, warnings, stuck


def _by_score_test(eng: Engine, cur: SemResult, cands: list[str]) -> list[tuple[str, float]] | None:
    """``cands`` with the score test of releasing each (lavTestScore, all later groups at once),
    largest first; None when the tests cannot be computed (FIML, or a fit that did not converge)."""
    if eng.fiml or not cur.converged:
        return None
    stats_ = release_statistics(eng, cur)
    if stats_ is None:
        return None
    out = []
    for c in cands:
        op = "~1" if c.endswith("~1") else ("=~" if "=~" in c else "~~")
        lhs, rhs = (c[:-2], "") if op == "~1" else c.split(op, 1)
        x2 = stats_.get((lhs, op, rhs), (math.nan, 0))[0]
        if not np.isfinite(x2):
            return None
        out.append((c, x2))
    return sorted(out, key=lambda t: -t[1])


def _first_converged(fx: _Fitter, level: str, freed: list[str], cands: list[str],
                     cur: SemResult) -> tuple[str, SemResult] | None:
    """The first candidate (in score-test order) whose release refits to convergence."""
    for c in cands:
        r = fx.fit(level, freed + [c], cur)
        if r.converged:
            return c, r
    return None


def _best_release(fx: _Fitter, level: str, freed: list[str], cands: list[str],
                  cur: SemResult) -> tuple[str, SemResult] | None:
    """The candidate whose release (on top of ``freed``) lowers χ² most among converged refits."""
    best = None
    for c in cands:
        r = fx.fit(level, freed + [c], cur)
        if r.converged and (best is None or r.fit["chisq"] < best[1].fit["chisq"]):
            best = (c, r)
    return best
