"""What an analysis returns, and the one place its warnings and provenance are put together.

:class:`AnalysisResult` is the result of spec mode and of the instrument analysis alike;
``to_dict()`` is the content of results.json. :func:`collect_warnings` and :func:`provenance`
build its ``warnings`` and ``meta`` (and those of a comparison) the same way for every mode.
"""
from __future__ import annotations

import platform
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Iterable, Mapping

import pandas as pd

from .._result import jsonable
from .records import DataSummary, Record, RecordError, Sections

__all__ = ["AnalysisResult", "package_versions", "collect_warnings", "provenance", "VERSIONED"]

#: the distributions whose code computes the numbers of a results.json
VERSIONED = ("coprod", "numpy", "scipy", "pandas", "factor_analyzer", "scikit-learn", "jinja2")


def package_versions() -> dict[str, str]:
    """Versions of coprod and the libraries whose numbers end up in the results."""
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """Everything ``coprod analyze`` computed; ``to_dict()`` is the content of results.json.

    ``sections`` holds the typed record of each section (:mod:`.records`): renderers read
    their attributes, and JSON is made of them only here, in :meth:`to_dict`.
    """

    sections: Sections
    warnings: tuple[str, ...]
    errors: tuple[str, ...]
    not_supported: tuple[str, ...]
    meta: dict[str, Any]
    data_summary: DataSummary | None = None

    def to_dict(self) -> dict:
        d = {"meta": self.meta, "data_summary": self.data_summary.to_dict() if self.data_summary else {}}
        d.update(self.sections.to_dict())
        d["warnings"] = list(self.warnings)
        d["errors"] = list(self.errors)
        d["not_supported"] = list(self.not_supported)
        return jsonable(d)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "AnalysisResult":
        """The result a results.json holds (the inverse of :meth:`to_dict`, up to JSON types).

        Raises
        ------
        ValueError
            When ``d`` is not the content of an analysis results.json: the message names the first
            section, key and value that do not fit.

        Examples
        --------
        >>> h = {"id": "H1", "statement": "s", "test": "t", "estimate": 0.3, "p": 0.01, "verdict": "supported"}
        >>> r = AnalysisResult(Sections.of({"hypotheses": [h]}), ("w",), (), (), {"seed": 1})
        >>> AnalysisResult.from_dict(r.to_dict()) == r
        True
        >>> AnalysisResult.from_dict({"meta": {}, "warnings": [], "cfa": {"n_used": 9}})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: cfa: missing 'fit', 'estimates', ...
        """
        if not isinstance(d, Mapping) or not isinstance(d.get("meta"), Mapping) or "warnings" not in d:
            raise ValueError("no meta and warnings")
        lists = {}
        for key in ("warnings", "errors", "not_supported"):
            value = d.get(key) or []
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                raise ValueError(f"{key!r} is not a list of texts")
            lists[key] = tuple(value)
        reserved = {"meta", "data_summary", "warnings", "errors", "not_supported"}
        try:
            sections = Sections.of({k: v for k, v in d.items() if k not in reserved})
            summary = DataSummary.from_dict(d["data_summary"]) if d.get("data_summary") else None
        except RecordError as exc:
            raise ValueError(str(exc)) from None
        return cls(sections=sections, meta=dict(d["meta"]), data_summary=summary, **lists)

    def to_frame(self) -> pd.DataFrame:
        """Reliability per scale as a tidy table (the most-read part of the results)."""
        rel = self.sections.reliability or {}
        return pd.DataFrame([{"scale": k, **{x: v for x, v in r.to_dict().items() if not isinstance(v, (dict, list))}}
                             for k, r in rel.items()])


def collect_warnings(sections: Mapping[str, Any], *, first: Iterable[str] = ()) -> tuple[str, ...]:
    """``first`` (e.g. the data's warnings), then each section's ``warnings`` as ``"section: text"``.

    Examples
    --------
    >>> collect_warnings({"cfa": {"warnings": ["not positive definite"]}, "efa": None},
    ...                  first=["data: 3 rows dropped"])
    ('data: 3 rows dropped', 'cfa: not positive definite')
    """
    out = list(first)
    for name, sec in sections.items():
        if isinstance(sec, Record):
            warnings = getattr(sec, "warnings", None) or ()
        elif isinstance(sec, dict):
            warnings = sec.get("warnings", []) or []
        else:
            continue
        out.extend(f"{name}: {w}" for w in warnings)
    return tuple(out)


def provenance(options: Mapping[str, Any], *, source: Mapping[str, Any],
               timings: Mapping[str, float] | None = None, extra: Mapping[str, Any] | None = None) -> dict:
    """The ``meta`` of a result: the options that shape the numbers, then (when steps were timed)
    the package versions and timings, then where the data and the instrument came from, then the
    caller's ``extra`` (input file and hash from the workflow layer), which wins.

    Examples
    --------
    >>> m = provenance({"seed": 1}, source={"input_sha256": None}, timings={"cfa": 0.5},
    ...                extra={"input_sha256": "ab12"})
    >>> list(m), m["input_sha256"]
    (['seed', 'versions', 'timings_sec', 'input_sha256'], 'ab12')
    >>> provenance({}, source={"instrument_version": "1.0+x"})
    {'instrument_version': '1.0+x'}
    """
    m = dict(options)
    if timings is not None:
        m["versions"] = package_versions()
        m["timings_sec"] = dict(timings)
    m.update(source)
    m.update(extra or {})
    return m
