"""The analysis spec: what ``coprod analyze --spec`` computes.

A spec is YAML or JSON (read with a safe loader). Allowed keys and their types are declared once,
in ``SPEC_KEYS``; every problem in a spec is reported together.

Example
-------
.. code-block:: yaml

    scales: {compelling: [comp1, comp2, comp3]}
    reverse: [comp3]
    scale_min: 1
    scale_max: 7
    cfa: |
      compelling =~ comp1 + comp2 + comp3
    group: sector
    missing: listwise
    bootstrap: 1000
    seed: 1
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from .errors import ModelSpecError, Problem

__all__ = ["AnalysisSpec", "load_spec", "spec_from_dict", "SPEC_KEYS", "MISSING_METHODS"]

MISSING_METHODS = ("listwise", "fiml")
ESTIMATORS = ("ML", "MLR")
# key -> (python types, description)
SPEC_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "scales": ((dict,), "a mapping {scale: [item, ...]}"),
    "reverse": ((list,), "a list of item columns"),
    "scale_min": ((int, float), "a number"),
    "scale_max": ((int, float), "a number"),
    "cfa": ((str,), "lavaan model syntax"),
    "sem": ((str,), "lavaan model syntax"),
    "group": ((str,), "a column name"),
    "ordered": ((bool,), "true or false"),
    "missing": ((str,), "listwise or fiml"),
    "estimator": ((str,), "ML or MLR"),
    "cluster": ((str,), "a column name (cluster-robust standard errors)"),
    "bootstrap": ((int,), "a non-negative integer"),
    "seed": ((int,), "an integer"),
    "parallel_n_iter": ((int,), "a positive integer"),
    "n_factors": ((int,), "a positive integer"),
    "efa_method": ((str,), "ml or minres"),
    "efa_rotation": ((str,), "oblimin, promax, varimax or none"),
    "invariance": ((bool,), "true or false"),
    "name": ((str,), "a string (documentation only)"),
    "description": ((str,), "a string (documentation only)"),
    "data": ((str,), "a data path relative to the spec (documentation only)"),
}
#: keys of the conformance fixtures' specs, accepted as synonyms
ALIASES = {"cfa_model": "cfa", "sem_model": "sem"}
_IGNORED = ("name", "description", "data")


@dataclass(frozen=True, slots=True)
class AnalysisSpec:
    """What to compute. ``None`` means "not requested" (or, without a spec, derived from the bank)."""

    scales: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    reverse: tuple[str, ...] = ()
    scale_min: float | None = None
    scale_max: float | None = None
    cfa: str | None = None
    sem: str | None = None
    group: str | None = None
    ordered: bool = False
    missing: str = "listwise"
    estimator: str = "ML"  # of the CFA and the structural model; MLR: robust SEs and scaled test
    cluster: str | None = None  # cluster-robust SEs of the CFA and the structural model (implies MLR)
    bootstrap: int = 0
    seed: int = 1
    parallel_n_iter: int = 20
    n_factors: int | None = None
    efa_method: str = "ml"
    efa_rotation: str = "oblimin"
    invariance: bool = True
    source: str = ""

    def used_columns(self) -> list[str]:
        """Every data column the spec refers to (items of scales and models, group), in order."""
        cols: list[str] = []
        for items in self.scales.values():
            cols.extend(items)
        for model in (self.cfa, self.sem):
            if model:
                cols.extend(observed_variables(model))
        if self.group:
            cols.append(self.group)
        if self.cluster:
            cols.append(self.cluster)
        return list(dict.fromkeys(cols))

    def to_dict(self) -> dict:
        return {"scales": {k: list(v) for k, v in self.scales.items()}, "reverse": list(self.reverse),
                "scale_min": self.scale_min, "scale_max": self.scale_max, "cfa": self.cfa,
                "sem": self.sem, "group": self.group, "ordered": self.ordered,
                "missing": self.missing, "estimator": self.estimator, "cluster": self.cluster,
                "bootstrap": self.bootstrap, "seed": self.seed,
                "parallel_n_iter": self.parallel_n_iter, "n_factors": self.n_factors,
                "efa_method": self.efa_method, "efa_rotation": self.efa_rotation,
                "invariance": self.invariance}

    def with_(self, **changes: Any) -> "AnalysisSpec":
        return replace(self, **changes)


def spec_from_dict(d: Mapping[str, Any], *, source: str = "spec") -> AnalysisSpec:
    """Check a spec mapping and return an :class:`AnalysisSpec`.

    Raises
    ------
    ModelSpecError
        Listing every unknown key, wrong type or bad value; ``exc.problems`` holds each as a
        :class:`~coprod.instrument.errors.Problem` (file, location, key, message).

    Examples
    --------
    >>> spec_from_dict({"scales": {"s": ["a", "b"]}, "bootstrap": 10}).bootstrap
    10
    """
    problems: list[Problem] = []
    if not isinstance(d, Mapping):
        raise ModelSpecError([Problem(source, "", "", f"expected a mapping of keys, got {type(d).__name__}")],
                             f"{source}: expected a mapping of keys, got {type(d).__name__}")
    clean: dict[str, Any] = {}
    for key, value in d.items():
        key = ALIASES.get(key, key)
        if key not in SPEC_KEYS:
            problems.append(Problem(source, "", str(key), "unknown key (allowed: " + ", ".join(SPEC_KEYS) + ")"))
            continue
        if value is None:
            continue
        types, desc = SPEC_KEYS[key]
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            problems.append(Problem(source, "", key, f"expected {desc}, got {value!r}"))
            continue
        if key not in _IGNORED:
            clean[key] = value
    scales = clean.get("scales", {})
    for name, items in scales.items():
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            problems.append(Problem(source, "scales", str(name), "expected a non-empty list of column names"))
    if clean.get("missing", "listwise") not in MISSING_METHODS:
        problems.append(Problem(source, "", "missing", f"expected one of {', '.join(MISSING_METHODS)}, "
                                                       f"got {clean['missing']!r}"))
    if "estimator" in clean:
        clean["estimator"] = clean["estimator"].upper()
        if clean["estimator"] not in ESTIMATORS:
            problems.append(Problem(source, "", "estimator", f"expected one of {', '.join(ESTIMATORS)}, "
                                                             f"got {d.get('estimator')!r}"))
    if clean.get("cluster") and clean.get("estimator", "MLR") != "MLR":
        problems.append(Problem(source, "", "cluster", "cluster-robust standard errors need estimator MLR "
                                                       f"(got {clean['estimator']})"))
    if clean.get("cluster"):
        clean.setdefault("estimator", "MLR")
    if clean.get("bootstrap", 0) < 0:
        problems.append(Problem(source, "", "bootstrap", "must be 0 or more"))
    if clean.get("reverse") and ("scale_min" not in clean or "scale_max" not in clean):
        problems.append(Problem(source, "", "reverse", "reverse-scoring needs scale_min and scale_max"))
    if clean.get("efa_method", "ml") not in ("ml", "minres"):
        problems.append(Problem(source, "", "efa_method", "expected ml or minres"))
    if clean.get("efa_rotation", "oblimin") not in ("oblimin", "promax", "varimax", "none"):
        problems.append(Problem(source, "", "efa_rotation", "expected oblimin, promax, varimax or none"))
    if problems:
        raise ModelSpecError(problems)
    if "scales" in clean:
        clean["scales"] = {str(k): tuple(v) for k, v in scales.items()}
    if "reverse" in clean:
        clean["reverse"] = tuple(clean["reverse"])
    return AnalysisSpec(**clean, source=source)


def load_spec(path: str | Path) -> AnalysisSpec:
    """Read a YAML or JSON spec file (safe loader) and check it."""
    from coprod.instrument._yaml import MAX_YAML_BYTES, AliasRefused, safe_load

    p = Path(path)
    size = p.stat().st_size  # a missing file raises FileNotFoundError, as before
    if size > MAX_YAML_BYTES:
        raise _unreadable(p, f"the file is {size:,} bytes; a spec may be at most "
                             f"{MAX_YAML_BYTES:,} bytes")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _unreadable(p, f"not UTF-8 text ({exc})") from None
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _unreadable(p, f"not valid JSON: line {exc.lineno}: {exc.msg}") from None
        except RecursionError:
            raise _unreadable(p, "the JSON is nested too deeply to be a spec") from None
    else:
        import yaml

        try:
            data = safe_load(text)
        except AliasRefused as exc:
            raise _unreadable(p, str(exc)) from None
        except yaml.YAMLError as exc:
            raise _unreadable(p, f"not valid YAML: {exc}") from None
    return spec_from_dict(data or {}, source=p.name)


def _unreadable(path: Path, message: str) -> ModelSpecError:
    """A spec file that cannot be parsed: one problem, and the message as before (full path)."""
    return ModelSpecError([Problem(str(path), "", "", message)], f"{path}: {message}")


def observed_variables(model: str) -> list[str]:
    """Observed variables of a lavaan model: every name used that is not a latent (``=~``) factor."""
    from .sem.syntax import parse_model  # deferred: the parser lives with the engine

    parsed = parse_model(model)
    latent = {f.lhs for f in parsed.formulas if f.op == "=~"}
    names: list[str] = []
    for f in parsed.formulas:
        for n in (f.lhs, f.rhs):
            if n and n not in latent:
                names.append(n)
    return list(dict.fromkeys(names))
