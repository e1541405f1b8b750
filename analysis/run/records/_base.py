"""The base of every results.json record: typed fields in, the same JSON out.

A record is a frozen, slotted, keyword-only dataclass whose fields are the keys of one object of
results.json, in the order results.json writes them. :meth:`Record.from_dict` builds it from a
mapping, checking that every key is a field and every field without a default is a key, and
converting nested records, tuples and mappings by the field's type; :meth:`Record.to_dict` gives
the mapping back, leaving out the optional keys that were absent. Scalars are kept as they are
(numpy numbers from an analysis, plain numbers from a file): ``jsonable`` makes the file.
"""
from __future__ import annotations

import dataclasses
import numbers
import types
import typing
from typing import Any, Mapping, Union

__all__ = ["Record", "ABSENT", "RecordError", "record", "opt"]


class _Absent:
    """A key results.json leaves out (not the same as ``null``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


#: the default of an optional key: left out of ``to_dict`` when not given
ABSENT: Any = _Absent()


def opt(value: Any) -> Any:
    """``value``, or ``None`` when it is :data:`ABSENT` (an optional key the result lacks).

    >>> opt(ABSENT), opt(0.0)
    (None, 0.0)
    """
    return None if value is ABSENT else value


class RecordError(ValueError):
    """A mapping that is not the record it should be: the path, and what is wrong there."""


def record(cls):
    """Decorate a :class:`Record` subclass as a frozen, slotted, keyword-only dataclass."""
    return dataclasses.dataclass(frozen=True, slots=True, kw_only=True)(cls)


_SCALARS = {int: numbers.Integral, float: numbers.Real, str: str, bool: (bool,)}


def _convert(value: Any, hint: Any, path: str) -> Any:
    """``value`` read as ``hint`` (a record, tuple, mapping, union or scalar type)."""
    if hint is Any or value is ABSENT:
        return value
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        args = typing.get_args(hint)
        if type(None) in args and (value is None or (isinstance(value, Mapping) and not value)):
            return None  # null, or {}: what a failed step leaves
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(value, arg, path)
            except RecordError as exc:
                errors.append(str(exc))
        raise RecordError(errors[0] if errors else f"{path}: unexpected {value!r}")
    if isinstance(hint, type) and issubclass(hint, Record):
        if isinstance(value, hint):
            return value
        if not isinstance(value, Mapping) and hasattr(value, "to_dict"):  # an estimator's result
            value = value.to_dict()
        return hint.from_dict(value, path=path)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise RecordError(f"{path}: expected a list, got {type(value).__name__}")
        (item, *_rest) = typing.get_args(hint)
        return tuple(_convert(v, item, f"{path}[{i}]") for i, v in enumerate(value))
    if origin in (dict, Mapping) or origin is typing.get_origin(Mapping[str, Any]):
        if not isinstance(value, Mapping):
            raise RecordError(f"{path}: expected an object, got {type(value).__name__}")
        _key, item = typing.get_args(hint)
        return {k: _convert(v, item, f"{path}.{k}") for k, v in value.items()}
    if hint is type(None):
        if value is not None:
            raise RecordError(f"{path}: expected null, got {value!r}")
        return None
    want = _SCALARS.get(hint)
    if want is not None:
        if value is None:  # NaN became null in the file: a number field may be null
            if hint in (int, float):
                return None
            raise RecordError(f"{path}: expected {hint.__name__}, got null")
        if isinstance(value, bool) and hint in (int, float):
            raise RecordError(f"{path}: expected {hint.__name__}, got {value!r}")
        if not isinstance(value, want) and not (hint is bool and type(value).__name__ == "bool_"):
            raise RecordError(f"{path}: expected {hint.__name__}, got {value!r}")
    return value


_HINTS: dict[type, dict[str, Any]] = {}  # each record class's field types, resolved once


def _emit(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_emit(v) for v in value]
    if isinstance(value, dict):
        return {k: _emit(v) for k, v in value.items()}
    return value


class Record:
    """One object of results.json as typed fields (see the module docstring).

    Examples
    --------
    >>> @record
    ... class Ci(Record):
    ...     lower: float | None
    ...     upper: float | None
    ...     level: float = ABSENT
    >>> ci = Ci.from_dict({"lower": 0.1, "upper": None})
    >>> ci.lower, ci.to_dict()
    (0.1, {'lower': 0.1, 'upper': None})
    >>> try:
    ...     Ci.from_dict({"lower": 0.1, "uper": 2})
    ... except RecordError as exc:
    ...     print(exc)
    Ci: unknown key 'uper'; missing 'upper'
    """

    __slots__ = ()

    @classmethod
    def _field_hints(cls) -> dict[str, Any]:
        hints = _HINTS.get(cls)
        if hints is None:
            hints = typing.get_type_hints(cls)
            hints = _HINTS[cls] = {f.name: hints[f.name] for f in dataclasses.fields(cls)}
        return hints

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, path: str | None = None):
        """The record ``d`` holds; :class:`RecordError` names the first key that does not fit."""
        path = path or cls.__name__
        if not isinstance(d, Mapping):
            raise RecordError(f"{path}: expected an object, got {type(d).__name__}")
        hints = cls._field_hints()
        unknown = [k for k in d if k not in hints]
        required = [f.name for f in dataclasses.fields(cls)
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        missing = [k for k in required if k not in d]
        if unknown or missing:
            parts = ([f"unknown key {', '.join(map(repr, unknown))}"] if unknown else []) + \
                    ([f"missing {', '.join(map(repr, missing))}"] if missing else [])
            raise RecordError(f"{path}: {'; '.join(parts)}")
        return cls(**{k: _convert(v, hints[k], f"{path}.{k}") for k, v in d.items()})

    def to_dict(self) -> dict:
        """The results.json object: fields in order, absent optional keys left out."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is not ABSENT:
                out[f.name] = _emit(value)
        return out
