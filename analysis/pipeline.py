"""The full analysis behind ``coprod analyze``: one call from data (+ spec) to ``results.json``.

Each step (reliability, factorability, EFA, CFA, invariance, SEM, ordinal) is a pure function
from other modules; this module only decides which steps run on which rows, collects their
results in one :class:`AnalysisResult`, and records provenance. A step that fails is recorded
in ``errors`` and the others still run: one bad model never loses the rest of the analysis.
"""
from __future__ import annotations

import functools
import os
import platform
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from ._result import jsonable
from .errors import ModelSpecError
from .spec import AnalysisSpec

__all__ = ["analyze", "AnalysisResult", "package_versions"]

Progress = Callable[[int, int], None]


def package_versions() -> dict[str, str]:
    """Versions of coprod and the libraries whose numbers end up in the results."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("coprod", "numpy", "scipy", "pandas", "factor_analyzer", "scikit-learn", "jinja2"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """Everything ``coprod analyze`` computed; ``to_dict()`` is the content of results.json."""

    sections: dict[str, Any]
    warnings: tuple[str, ...]
    errors: tuple[str, ...]
    not_supported: tuple[str, ...]
    meta: dict[str, Any]
    data_summary: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = {"meta": self.meta, "data_summary": self.data_summary}
        d.update(self.sections)
        d["warnings"] = list(self.warnings)
        d["errors"] = list(self.errors)
        d["not_supported"] = list(self.not_supported)
        return jsonable(d)

    def to_frame(self) -> pd.DataFrame:
        """Reliability per scale as a tidy table (the most-read part of the results)."""
        rel = self.sections.get("reliability", {})
        return pd.DataFrame([{"scale": k, **{x: v for x, v in r.items() if not isinstance(v, (dict, list))}}
                             for k, r in rel.items()])


def one_blas_thread(fn: Callable) -> Callable:
    """Run ``fn`` with BLAS limited to one thread (threadpoolctl; a no-op without it).

    Every matrix of the analysis is small (p ≤ ~70 items): multi-threaded BLAS only adds
    synchronisation, and on a machine whose cores are busy it makes small decompositions many
    times slower. One thread also makes the last bits of the results independent of the
    number of cores. The bootstrap's worker processes limit themselves the same way.
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            import scipy.linalg  # noqa: F401  (loads scipy's own BLAS, so that it is limited too)
            from threadpoolctl import threadpool_limits
        except ImportError:
            return fn(*args, **kwargs)
        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)
    return wrapper


class _Steps:
    """Runs named steps, timing them and turning exceptions into recorded errors."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.timings: dict[str, float] = {}

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        try:
            return fn()
        except (ValueError, np.linalg.LinAlgError, ArithmeticError, KeyError) as exc:
            self.errors.append(f"{name}: {exc}")
            return None
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 4)


def _reverse(df: pd.DataFrame, spec: AnalysisSpec) -> pd.DataFrame:
    if not spec.reverse:
        return df
    df = df.copy()
    unknown = [c for c in spec.reverse if c not in df.columns]
    if unknown:
        raise ModelSpecError("reverse: unknown column(s) " + ", ".join(unknown))
    lo, hi = spec.scale_min, spec.scale_max
    for c in spec.reverse:
        df[c] = lo + hi - df[c]
    return df


def _check_columns(df: pd.DataFrame, spec: AnalysisSpec) -> None:
    missing = [c for c in spec.used_columns() if c not in df.columns]
    if missing:
        raise ModelSpecError("the data have no column(s) " + ", ".join(missing)
                             + f" named in the spec (columns: {', '.join(map(str, df.columns[:30]))}"
                             + (" ..." if len(df.columns) > 30 else "") + ")")


@one_blas_thread
def analyze(data: pd.DataFrame, spec: AnalysisSpec, *, progress: Progress | None = None,
            meta: dict | None = None) -> AnalysisResult:
    """Run every analysis ``spec`` asks for on ``data``.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; numeric item columns.
    spec : AnalysisSpec
        What to compute (see :mod:`analysis.spec`).
    progress : callable, optional
        ``progress(done, total)`` for long steps (bootstrap).
    meta : dict, optional
        Provenance merged into ``result.meta`` (input file hash, instrument version...).

    Returns
    -------
    AnalysisResult

    Notes
    -----
    With ``missing: listwise`` every step uses the rows complete on all columns the spec names
    (the conformance convention), so every number in one results.json describes the same rows.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=300)
    >>> df = pd.DataFrame({f"x{i}": f + rng.normal(size=300) for i in range(4)})
    >>> from coprod.analysis.spec import spec_from_dict
    >>> res = analyze(df, spec_from_dict({"scales": {"s": ["x0", "x1", "x2", "x3"]}}))
    >>> round(res.sections["reliability"]["s"]["alpha"], 2)  # population value 0.80
    0.74
    """
    _check_columns(data, spec)
    steps = _Steps()
    used = spec.used_columns()
    df = _reverse(data, spec)
    numeric_cols = [c for c in used if c != spec.group]
    for c in numeric_cols:
        if not pd.api.types.is_numeric_dtype(df[c]):
            df[c] = pd.to_numeric(df[c], errors="coerce")
    n_file = len(df)
    if spec.missing == "listwise":
        df = df.dropna(subset=used)
    sections: dict[str, Any] = {}
    not_supported: list[str] = []
    summary = {"n_rows_file": n_file, "n_used": len(df), "n_dropped": n_file - len(df),
               "missing": spec.missing}
    if spec.group:
        summary["group_counts"] = {str(k): int(v) for k, v in
                                   df[spec.group].value_counts(sort=False).items()}

    scale_items = list(dict.fromkeys(i for items in spec.scales.values() for i in items))
    if spec.scales:
        sections["reliability"] = steps.run("reliability", lambda: _reliability(df, spec)) or {}
        if len(spec.scales) >= 2:
            sections["validity"] = {"htmt": steps.run("htmt", lambda: _htmt(df, spec))}
        if len(spec.scales) >= 3:
            # all scales together as one multidimensional battery: how much is one general factor?
            sections["omega_hierarchical"] = steps.run(
                "omega_hierarchical", lambda: _omega_h(df, scale_items, len(spec.scales), spec.missing)) or {}
        if len(scale_items) >= 3:
            sections["efa"] = steps.run("efa", lambda: _efa(df, scale_items, spec)) or {}
    estimator_missing = "fiml" if spec.missing == "fiml" else "listwise"
    if spec.cfa:
        sections["cfa"] = steps.run("cfa", lambda: cfa_section(df, spec.cfa, estimator_missing)) or {}
        if spec.group and spec.invariance:
            sections["invariance"] = steps.run(
                "invariance", lambda: invariance_section(df, spec.cfa, spec.group, estimator_missing)) or {}
    if spec.sem:
        sections["sem"] = steps.run("sem", lambda: sem_fit_section(
            df, spec.sem, missing=estimator_missing, bootstrap=spec.bootstrap, seed=spec.seed, progress=progress)) or {}
    if spec.ordered:
        sections["ordinal"] = steps.run("ordinal", lambda: _ordinal(df, spec)) or {}

    warnings = list(steps.warnings)
    for name, sec in sections.items():
        for w in (sec or {}).get("warnings", []) if isinstance(sec, dict) else []:
            warnings.append(f"{name}: {w}")
    m = {"seed": spec.seed, "spec": spec.to_dict(), "versions": package_versions(),
         "timings_sec": steps.timings, "instrument_version": None, "input_sha256": None}
    m.update(meta or {})
    return AnalysisResult(sections=sections, warnings=tuple(warnings), errors=tuple(steps.errors),
                          not_supported=tuple(not_supported), meta=m, data_summary=summary)


# ------------------------------------------------------------------ steps
def _reliability(df: pd.DataFrame, spec: AnalysisSpec) -> dict:
    from .reliability import cronbach_alpha

    out = {}
    for name, items in spec.scales.items():
        r = cronbach_alpha(df, items=list(items), missing=spec.missing, scale=name)
        out[name] = r.to_dict()
    return out


def _htmt(df: pd.DataFrame, spec: AnalysisSpec) -> dict:
    from .validity import htmt

    return htmt(df, {k: list(v) for k, v in spec.scales.items()}, missing=spec.missing).to_dict()


def _omega_h(df: pd.DataFrame, items: list[str], n_groups: int, missing: str) -> dict:
    from .reliability import omega_hierarchical

    return omega_hierarchical(df, items=items, n_groups=n_groups, missing=missing).to_dict()


def _efa(df: pd.DataFrame, items: list[str], spec: AnalysisSpec) -> dict:
    from .efa import efa, factorability, parallel_analysis

    fac = factorability(df, items=items, missing=spec.missing).to_dict()
    par = parallel_analysis(df, items=items, n_iter=spec.parallel_n_iter, seed=spec.seed,
                            missing=spec.missing).to_dict()
    k = spec.n_factors or par.get("n_factors") or len(spec.scales) or 1
    rotation = None if spec.efa_rotation == "none" else spec.efa_rotation
    e = efa(df, items=items, n_factors=int(k), method=spec.efa_method, rotation=rotation,
            missing=spec.missing).to_dict()
    out = dict(fac)
    out["parallel"] = par
    out["n_factors_parallel"] = par.get("n_factors")
    out["solution"] = e
    return out


def cfa_section(df: pd.DataFrame, model: str, missing: str = "listwise") -> dict:
    """A CFA's results.json section: fit and estimates, composite reliability, AVE, Fornell–Larcker
    and the largest residual correlations (shared by spec mode and the instrument's analysis)."""
    from .sem import fit_sem
    from .validity import ave, composite_reliability, fornell_larcker, latent_correlations

    res = fit_sem(df, model, missing=missing)
    d = res.to_dict()
    d["model"] = model
    est = res.estimates
    cr = composite_reliability(est, df, missing=missing)
    av = ave(est, df, missing=missing)
    d["composite_reliability"] = cr.to_dict()["values"]
    d["ave"] = av.to_dict()["values"]
    d["warnings"] = list(d.get("warnings", [])) + list(cr.warnings) + list(av.warnings)
    d["modification_hints"] = _hints(df, res)
    try:
        d["fornell_larcker"] = fornell_larcker(av, latent_correlations(est)).to_dict()
    except (ValueError, KeyError) as exc:
        d["warnings"].append(f"Fornell-Larcker: {exc}")
    return d


def _hints(df: pd.DataFrame, res) -> list[dict]:
    """Largest residual correlations of a single-group model (complete rows)."""
    from .residuals import largest_residuals, residual_correlations

    implied = res.implied_cov()
    if implied is None or isinstance(implied, dict):
        return []
    return largest_residuals(residual_correlations(df, implied))


def invariance_section(df: pd.DataFrame, model: str, group: str, missing: str = "listwise") -> dict:
    """Measurement invariance as results.json holds it: ``<level>.{chisq, df, cfi, rmsea}`` beside
    ``decision``, ``lrt``, ``delta``, ``partial`` and ``rule``."""
    from .sem import measurement_invariance

    d = measurement_invariance(df, model, group, missing=missing).to_dict()
    models = d.pop("models")
    return {**models, **d, "group": group, "model": model}


def sem_fit_section(df: pd.DataFrame, model: str, *, missing: str = "listwise", bootstrap: int = 0,
                    seed: int | None = None, progress: Progress | None = None, group: str | None = None,
                    group_equal: tuple[str, ...] = (), n_jobs: int | None = None) -> dict:
    """Fit a structural model (bootstrap on both cores by default) and return its section."""
    from .sem import fit_sem

    res = fit_sem(df, model, group=group, group_equal=group_equal, missing=missing, bootstrap=bootstrap,
                  seed=seed, n_jobs=min(2, os.cpu_count() or 1) if n_jobs is None else n_jobs,
                  progress=progress)
    d = sem_section(res)
    d["model"] = model
    return d


def sem_section(res) -> dict:
    """``res.to_dict()`` with lavaan's ``se = "bootstrap"`` reporting of defined parameters.

    ``sem.defined[].se`` stays the delta-method SE; ``ci_lower``/``ci_upper`` are the bootstrap
    percentile CI when draws were made (lavaan's ``boot.ci.type = "perc"``), the delta-method
    Wald CI otherwise; ``ci_method`` says which, and the Wald CI is kept as ``wald_ci_*``.
    """
    d = res.to_dict()
    for row in d.get("defined", []):
        row["wald_ci_lower"], row["wald_ci_upper"] = row.get("ci_lower"), row.get("ci_upper")
        if row.get("boot_ci_lower") is not None and row.get("boot_ci_upper") is not None:
            row["ci_lower"], row["ci_upper"] = row["boot_ci_lower"], row["boot_ci_upper"]
            row["ci_method"] = "bootstrap percentile"
        else:
            row["ci_method"] = "delta method (Wald)"
    return d


def _ordinal(df: pd.DataFrame, spec: AnalysisSpec) -> dict:
    from .ordinal import ordinal_alpha, polychoric

    items = list(dict.fromkeys(i for its in spec.scales.values() for i in its))
    pc = polychoric(df, items=items)
    out = pc.to_dict()
    out["ordinal_alpha"] = {name: ordinal_alpha(pc.matrix, list(its)) for name, its in spec.scales.items()}
    if spec.cfa:
        out["wlsmv_cfa"] = _wlsmv_cfa(df, spec, out)
    return out


def _wlsmv_cfa(df: pd.DataFrame, spec: AnalysisSpec, out: dict) -> dict | None:
    """lavaan ``cfa(model, ordered = <model items>, estimator = "WLSMV")`` + semTools ``compRelSEM``.

    A model WLSMV cannot fit (e.g. an item with one category) is a warning of the ordinal
    section, so that the polychorics and ordinal alpha are kept.
    """
    from .ordinal.reliability import wlsmv_reliability
    from .sem import fit_sem

    notes = out.setdefault("warnings", [])
    try:
        res = fit_sem(df, spec.cfa, ordered=True, estimator="WLSMV")  # listwise over the model's items
        rel = wlsmv_reliability(res)
    except (ValueError, np.linalg.LinAlgError, ArithmeticError) as exc:
        notes.append(f"wlsmv_cfa not fitted: {exc}")
        return None
    if spec.missing == "fiml":
        notes.append("wlsmv_cfa uses the rows complete on the model's items (lavaan's WLSMV would use "
                     "pairwise deletion)")
    d = res.to_dict()
    notes += [f"wlsmv_cfa: {w}" for w in list(d["warnings"]) + rel["warnings"]]
    return {"estimator": "WLSMV", "parameterization": "delta", "converged": d["converged"],
            "n_used": d["n_used"], "n_dropped": d["n_dropped"], "fit": d["fit"],
            "estimates": d["estimates"], "r2": d["r2"], "latent": d["latent"],
            "reliability": {k: rel[k] for k in ("omega_ordinal_scale", "omega_latent_response_scale")}}
