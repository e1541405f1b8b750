"""The top-level Python API entry points that span the three parts of coprod.

Loaded on first use of ``coprod.analyze`` (``coprod/__init__.py`` is lazy), so importing the
analysis here at the top costs ``coprod --help`` nothing.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from coprod.analysis.run import analyze as analyze_spec
from coprod.analysis.run import analyze_instrument
from coprod.analysis.spec import AnalysisSpec, load_spec, spec_from_dict

__all__ = ["analyze"]


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
    if isinstance(spec, dict):
        spec = spec_from_dict(spec)
    elif isinstance(spec, (str, Path)):
        spec = load_spec(Path(spec))
    elif not isinstance(spec, AnalysisSpec):
        raise TypeError(f"spec must be an AnalysisSpec, a dict or a path, not {type(spec).__name__}")
    return analyze_spec(data, spec, **options)
