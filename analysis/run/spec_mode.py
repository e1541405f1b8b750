"""Spec mode (``coprod analyze --spec``): the steps an :class:`AnalysisSpec` asks for, on any table.

Each step (reliability, HTMT, omega hierarchical, EFA, CFA, invariance, SEM, ordinal) is a pure
function from other modules; this module only decides which steps run on which rows and puts
their sections together through the shared runner, warnings and provenance.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import ModelSpecError
from ..ordinal import ordinal_alpha, polychoric
from ..ordinal.reliability import wlsmv_reliability
from ..reliability import cronbach_alpha
from ..sem import fit_sem
from ..spec import AnalysisSpec
from .records import ABSENT, DataSummary, OrdinalSection, Reliability, Sections, Validity
from .results import AnalysisResult, collect_warnings, provenance
from .sections import (cfa_section, efa_section, htmt_section, invariance_section, omega_h_section,
                       sem_fit_section)
from .steps import Progress, Steps, one_blas_thread

__all__ = ["analyze"]


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


def _numeric_items(data: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """``columns`` as numbers: text that is not a number (``n/a``, ``-``, ``don't know``) becomes
    missing, with one warning per column naming it and the count (never silently); blank cells
    are missing already."""
    df, notes = data, []
    for c in columns:
        s = data[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            continue
        text = s.astype("string").str.strip()
        conv = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = conv.isna() & text.notna() & (text != "")
        if df is data:
            df = data.copy()
        df[c] = conv.astype(float)
        if bad.any():
            examples = ", ".join(repr(v) for v in pd.unique(text[bad])[:3])
            notes.append(f"data: column '{c}' has {int(bad.sum())} value(s) that are not numbers "
                         f"({examples}); treated as missing")
    return df, notes


def _rows(data: pd.DataFrame, spec: AnalysisSpec) -> tuple[pd.DataFrame, DataSummary, list[str]]:
    """The rows every step uses (numeric, reverse-scored), the data summary and the data's
    warnings."""
    used = spec.used_columns()
    df, notes = _numeric_items(data, [c for c in used if c not in (spec.group, spec.cluster)])
    df = _reverse(df, spec)
    n_file = len(df)
    if spec.missing == "listwise":
        df = df.dropna(subset=used)
    counts = ({str(k): int(v) for k, v in df[spec.group].value_counts(sort=False).items()}
              if spec.group else ABSENT)
    return df, DataSummary(n_rows_file=n_file, n_used=len(df), n_dropped=n_file - len(df), missing=spec.missing,
                           group_counts=counts), notes


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
    >>> round(res.sections.reliability["s"].alpha, 2)  # population value 0.80
    0.74
    """
    _check_columns(data, spec)
    df, summary, notes = _rows(data, spec)
    steps = Steps()
    sections = {**_scale_sections(df, spec, steps), **_model_sections(df, spec, steps, progress)}
    if spec.ordered:
        sections["ordinal"] = steps.section("ordinal", lambda: _ordinal(df, spec))
    m = provenance({"seed": spec.seed, "spec": spec.to_dict()}, timings=steps.timings,
                   source={"instrument_version": None, "input_sha256": None}, extra=meta)
    return AnalysisResult(sections=Sections.of(sections), warnings=collect_warnings(sections, first=notes),
                          errors=tuple(steps.errors), not_supported=(), meta=m, data_summary=summary)


def _scale_sections(df: pd.DataFrame, spec: AnalysisSpec, steps: Steps) -> dict[str, Any]:
    """Reliability, HTMT, omega hierarchical and EFA of the spec's scales."""
    out: dict[str, Any] = {}
    if not spec.scales:
        return out
    items = list(dict.fromkeys(i for its in spec.scales.values() for i in its))
    out["reliability"] = steps.section("reliability", lambda: _reliability(df, spec))
    if len(spec.scales) >= 2:
        out["validity"] = Validity(htmt=steps.run("htmt", lambda: htmt_section(df, spec.scales,
                                                                                missing=spec.missing)))
    if len(spec.scales) >= 3:
        # all scales together as one multidimensional battery: how much is one general factor?
        out["omega_hierarchical"] = steps.section(
            "omega_hierarchical", lambda: omega_h_section(df, items, len(spec.scales), spec.missing))
    if len(items) >= 3:
        out["efa"] = steps.section("efa", lambda: efa_section(
            df, items, n_factors=spec.n_factors, fallback=len(spec.scales) or 1, method=spec.efa_method,
            rotation=None if spec.efa_rotation == "none" else spec.efa_rotation,
            n_iter=spec.parallel_n_iter, seed=spec.seed, missing=spec.missing))
    return out


def _model_sections(df: pd.DataFrame, spec: AnalysisSpec, steps: Steps,
                    progress: Progress | None) -> dict[str, Any]:
    """CFA (and its invariance across ``spec.group``) and the structural model."""
    out: dict[str, Any] = {}
    missing = "fiml" if spec.missing == "fiml" else "listwise"
    if spec.cfa:
        out["cfa"] = steps.section("cfa", lambda: cfa_section(df, spec.cfa, missing, estimator=spec.estimator,
                                                              cluster=spec.cluster))
        if spec.group and spec.invariance:
            out["invariance"] = steps.section(
                "invariance", lambda: invariance_section(df, spec.cfa, spec.group, missing))
    if spec.sem:
        out["sem"] = steps.section("sem", lambda: sem_fit_section(
            df, spec.sem, missing=missing, bootstrap=spec.bootstrap, seed=spec.seed, progress=progress,
            estimator=spec.estimator, cluster=spec.cluster))
    return out


def _reliability(df: pd.DataFrame, spec: AnalysisSpec) -> dict[str, Reliability]:
    return {name: Reliability.from_dict(cronbach_alpha(df, items=list(items), missing=spec.missing, scale=name).to_dict())
            for name, items in spec.scales.items()}


def _ordinal(df: pd.DataFrame, spec: AnalysisSpec) -> OrdinalSection:
    items = list(dict.fromkeys(i for its in spec.scales.values() for i in its))
    pc = polychoric(df, items=items)
    out = pc.to_dict()
    out["ordinal_alpha"] = {name: ordinal_alpha(pc.matrix, list(its)) for name, its in spec.scales.items()}
    if spec.cfa:
        out["wlsmv_cfa"] = _wlsmv_cfa(df, spec, out)
    return OrdinalSection.from_dict(out)


def _wlsmv_cfa(df: pd.DataFrame, spec: AnalysisSpec, out: dict) -> dict | None:
    """lavaan ``cfa(model, ordered = <model items>, estimator = "WLSMV")`` + semTools ``compRelSEM``.

    A model WLSMV cannot fit (e.g. an item with one category) is a warning of the ordinal
    section, so that the polychorics and ordinal alpha are kept.
    """
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
