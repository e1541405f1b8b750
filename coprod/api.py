"""The top-level Python API entry points that span the three parts of coprod.

Loaded on first use of ``coprod.analyze`` (``coprod/__init__.py`` is lazy), so importing the
analysis here at the top costs ``coprod --help`` nothing.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from coprod.analysis.run import analyze as analyze_spec
from coprod.analysis.run import analyze_instrument
from coprod.analysis.run.latent_scores import instrument_factor_scores, spec_factor_scores
from coprod.analysis.spec import AnalysisSpec, load_spec, spec_from_dict

__all__ = ["analyze", "respondent_scores"]


def analyze(data: Any, spec: Any = None, **options: Any):
    """Analyse a table: by ``spec`` when given, else as responses to the coprod instrument.

    Parameters
    ----------
    data : DataFrame or ResponseData
        A plain table (spec mode), or what :func:`coprod.read_responses` returned / a canonical
        table of the instrument (instrument mode).
    spec : AnalysisSpec, dict, str or Path, optional
        What to compute (see :mod:`coprod.analysis.spec`); a dict is read as a spec's YAML, a
        path is loaded. ``None``: the default analysis of the instrument.
    **options
        Passed on: ``progress``, ``meta`` in both modes; ``bank``, ``bootstrap``, ``seed``,
        ``missing``, ``keep_flagged``, ``n_jobs`` in instrument mode.

    Returns
    -------
    AnalysisResult

    Examples
    --------
    >>> import numpy as np, pandas as pd, coprod
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=300)
    >>> df = pd.DataFrame({f"x{i}": f + rng.normal(size=300) for i in range(4)})
    >>> res = coprod.analyze(df, {"scales": {"s": ["x0", "x1", "x2", "x3"]}})
    >>> round(res.sections.reliability["s"].alpha, 2)
    0.74
    """
    if spec is None:
        return analyze_instrument(data, **options)
    return analyze_spec(data, _as_spec(spec), **options)


def respondent_scores(data: Any, spec: Any = None, *, method: str = "regression", **options: Any):
    """Factor scores of the measurement model :func:`analyze` fits, one row per respondent.

    What ``coprod analyze --scores FILE.csv`` writes: the id (spec mode: the table's
    ``respondent_id`` or ``id`` column, else ``row``, the file row; instrument mode:
    ``respondent_id``) and one column per factor, NaN for respondents the model did not use.
    Scores are lavaan's ``lavPredict(fit, method=)``; for a fit in hand use
    :func:`coprod.factor_scores`. The table is respondent-level data, like ``data``.

    Parameters
    ----------
    data, spec
        As for :func:`analyze`; the model is the spec's ``cfa`` (else its ``sem``), or the
        instrument's CFA of the constructs.
    method : {"regression", "bartlett"}
    **options
        Instrument mode: ``bank``, ``keep_flagged``, ``missing``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, coprod
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=300)
    >>> df = pd.DataFrame({f"x{i}": f + rng.normal(size=300) for i in range(4)})
    >>> s = coprod.respondent_scores(df, {"cfa": "f =~ x0 + x1 + x2 + x3"}, method="bartlett")
    >>> list(s.columns), len(s)
    (['row', 'f'], 300)
    """
    if spec is None:
        return instrument_factor_scores(data, method=method, **options)
    return spec_factor_scores(data, _as_spec(spec), method=method)


def _as_spec(spec: Any) -> AnalysisSpec:
    if isinstance(spec, dict):
        return spec_from_dict(spec)
    if isinstance(spec, (str, Path)):
        return load_spec(Path(spec))
    if not isinstance(spec, AnalysisSpec):
        raise TypeError(f"spec must be an AnalysisSpec, a dict or a path, not {type(spec).__name__}")
    return spec
