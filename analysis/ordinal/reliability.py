"""Composite reliability of a WLSMV CFA with ordered indicators, as ``semTools::compRelSEM``.

For each factor f with indicators I_f (loadings λ, factor variance φ_ff from ``cov.lv``):

* ``ord_scale=False`` — reliability of the sum of the *latent responses* y*:
  ω = 1ᵀ(λλᵀφ_ff)1 / 1ᵀR_f1, R_f the polychoric correlations of I_f (``obs_var=True``, semTools'
  default: lavaan's ``sampstat``) or the model-implied correlations (``obs_var=False``).
* ``ord_scale=True`` (semTools' default) — Green & Yang (2009): reliability of the sum of the
  *observed* ordinal scores,

      ω = Σ_j Σ_j' Σ_c Σ_c' [Φ₂(τ_jc, τ_j'c'; λ_jλ_j'φ_ff) − Φ(τ_jc)Φ(τ_j'c')]
          / Σ_j Σ_j' Σ_c Σ_c' [Φ₂(τ_jc, τ_j'c'; r_jj') − Φ(τ_jc)Φ(τ_j'c')],

  over all pairs of items including j = j' (where the numerator's "correlation" is the
  communality λ_j²φ_ff and the denominator's is 1), τ the estimated thresholds.

semTools 0.5-6 (``compRelSEM``, ``omegaCat``); the delta parameterization's scales are 1. Factors
with a single indicator are skipped (``dropSingle = TRUE``).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import ndtr

from coprod.analysis.errors import ModelSpecError
from coprod.analysis.ordinal._bvn import bivariate_normal_cdf
from coprod.analysis.validity import ConstructValidityResult

__all__ = ["composite_reliability_ordinal", "wlsmv_reliability"]


def _omega_cat(common: np.ndarray, denom: np.ndarray, taus: list[np.ndarray]) -> float:
    """semTools' ``omegaCat`` (Green & Yang 2009), vectorised over threshold pairs."""
    num = den = 0.0
    k = len(taus)
    for a in range(k):
        for b in range(k):
            t1, t2 = taus[a], taus[b]
            x = np.repeat(t1, len(t2))
            y = np.tile(t2, len(t1))
            prod = float(ndtr(t1).sum() * ndtr(t2).sum())
            num += float(bivariate_normal_cdf(x, y, common[a, b]).sum()) - prod
            den += float(bivariate_normal_cdf(x, y, denom[a, b]).sum()) - prod
    return num / den


def composite_reliability_ordinal(result, *, ord_scale: bool = True, obs_var: bool = True
                                  ) -> ConstructValidityResult:
    """Composite reliability (omega) per factor of a WLSMV fit, as ``semTools::compRelSEM``.

    Parameters
    ----------
    result : SemResult
        A fit of ``fit_sem(..., ordered=...)`` (estimator WLSMV): its estimates have threshold rows.
    ord_scale : bool, default True
        True: reliability of the observed ordinal sum score (Green & Yang 2009); False: of the
        sum of the latent responses.
    obs_var : bool, default True
        Denominator from the sample polychoric correlations (True, semTools' default) or the
        model-implied correlations.

    Returns
    -------
    ConstructValidityResult
        ``values[factor]``; measure ``omega_ordinal_scale`` or ``omega_latent_response_scale``.

    Raises
    ------
    ModelSpecError
        ``result`` is not a single-group fit with ordered indicators.

    Notes
    -----
    Checked against R: ``semTools::compRelSEM(fit)`` and ``compRelSEM(fit, ord.scale = FALSE)``
    (semTools 0.5-6, lavaan 0.6-14) on ``likert_ordinal`` (tests/analysis/test_sem_wlsmv.py).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from coprod.analysis.sem import fit_sem
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=400)
    >>> y = pd.DataFrame({f"y{i}": np.digitize(0.8 * f + 0.6 * rng.normal(size=400), [-1, 0, 1])
    ...                   for i in range(1, 5)})
    >>> fit = fit_sem(y, "f =~ y1 + y2 + y3 + y4", ordered=True)
    >>> rel = composite_reliability_ordinal(fit, ord_scale=False)
    >>> 0.8 < rel["f"] < 0.95
    True
    """
    est = getattr(result, "estimates", None)
    meta = getattr(result, "meta", {}) or {}
    if est is None or not (est["op"] == "|").any() or meta.get("estimator") != "WLSMV":
        raise ModelSpecError("composite_reliability_ordinal needs a WLSMV fit with ordered indicators "
                             "(fit_sem(..., ordered=...))")
    if len(getattr(result, "groups", ())) > 1:
        raise ModelSpecError("composite_reliability_ordinal: multi-group fits are not supported")
    warnings: list[str] = []
    ov = list(meta.get("ordered") or [])
    if obs_var:
        cor = meta["sample"]["correlation"]
        S = np.array([[cor[a][b] for b in ov] for a in ov], dtype=float)
    else:
        S = result.implied_cov().loc[ov, ov].to_numpy()
    phi = result.latent_cov()
    scales = {r.lhs: r.est for r in est[est["op"] == "~*~"].itertuples()}
    sc = np.array([scales.get(v, 1.0) for v in ov])
    S = S / np.outer(sc, sc)  # semTools: SIGMA rescaled by 1/scales (identity for delta)
    loads = est[(est["op"] == "=~") & est["rhs"].isin(ov)]
    lvs = list(phi.index)
    L = pd.DataFrame(0.0, index=ov, columns=lvs)
    for r in loads.itertuples():
        L.loc[r.rhs, r.lhs] = r.est
    th = est[est["op"] == "|"]
    taus = {v: th.loc[th["lhs"] == v, "est"].to_numpy(dtype=float) * s for v, s in zip(ov, sc)}
    out: dict[str, float] = {}
    for f in lvs:
        idx = [j for j, v in enumerate(ov) if L.iloc[j][f] != 0]
        if len(idx) < 2:
            if len(idx) == 1:
                warnings.append(f"factor {f} has a single indicator: skipped (semTools' dropSingle)")
            continue
        lam = L[f].to_numpy()[idx]
        common = np.outer(lam, lam) * float(phi.loc[f, f])
        total = S[np.ix_(idx, idx)]
        if not ord_scale:
            out[f] = float(common.sum() / total.sum())
            continue
        d = np.sqrt(np.diag(total))
        denom = total / np.outer(d, d)
        rc = common * np.outer(sc[idx], sc[idx])
        if np.any(np.abs(rc) > 1 + 1e-12) or np.any(np.abs(denom) > 1 + 1e-12):
            warnings.append(f"factor {f}: a communality or correlation exceeds 1 (Heywood case); "
                            "omega on the ordinal scale not computed")
            out[f] = math.nan
            continue
        out[f] = _omega_cat(np.clip(rc, -1, 1), np.clip(denom, -1, 1), [taus[ov[j]] for j in idx])
    measure = "omega_ordinal_scale" if ord_scale else "omega_latent_response_scale"
    values = pd.Series(out, dtype=float, name=measure)
    values.index.name = "factor"
    return ConstructValidityResult(measure, values, bool(obs_var), int(result.n_used), tuple(warnings))


def wlsmv_reliability(result) -> dict:
    """Both semTools figures of a WLSMV fit, keyed as ``ordinal.wlsmv_cfa.reliability`` in the
    conformance files: ``{"omega_ordinal_scale": {...}, "omega_latent_response_scale": {...},
    "warnings": [...]}``."""
    a = composite_reliability_ordinal(result, ord_scale=True)
    b = composite_reliability_ordinal(result, ord_scale=False)
    return {"omega_ordinal_scale": {k: float(v) for k, v in a.values.items()},
            "omega_latent_response_scale": {k: float(v) for k, v in b.values.items()},
            "warnings": list(dict.fromkeys(a.warnings + b.warnings))}
