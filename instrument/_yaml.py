"""YAML read with the safe loader, minus anchors and aliases (``&name`` / ``*name`` / ``<<``)
and nesting deeper than :data:`MAX_YAML_DEPTH`.

Neither an item bank nor an analysis spec has any use for them, and nested aliases let a few
hundred bytes expand into gigabytes ("billion laughs"), so they are refused while composing,
before anything is built. Otherwise :func:`safe_load` is ``yaml.safe_load``.
"""
from __future__ import annotations

from typing import Any

__all__ = ["AliasRefused", "safe_load", "MAX_YAML_BYTES", "MAX_YAML_DEPTH"]

#: the largest YAML file read (a spec or a bank file is a few kilobytes)
MAX_YAML_BYTES = 1_000_000
#: the deepest nesting of lists and mappings (a spec nests 3 levels; the parser recurses on each)
MAX_YAML_DEPTH = 50


class AliasRefused(ValueError):
    """A YAML anchor or alias, or nesting too deep; ``line`` is 1-based."""

    def __init__(self, line: int, what: str, refused: bool = True):
        self.line = line
        why = " (anchors & and aliases * are refused; write the value out)" if refused else ""
        super().__init__(f"line {line}: YAML {what} is not allowed{why}")


def safe_load(text: str) -> Any:
    import yaml  # deferred: keeps `coprod --help` fast

    class _Loader(yaml.SafeLoader):
        def compose_node(self, parent, index):  # noqa: D102 - the refusal happens here
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent):
                raise AliasRefused(event.start_mark.line + 1, f"alias *{event.anchor}")
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                raise AliasRefused(event.start_mark.line + 1, f"anchor &{anchor}")
            self._depth = getattr(self, "_depth", 0) + 1
            if self._depth > MAX_YAML_DEPTH:
                raise AliasRefused(event.start_mark.line + 1, f"nesting deeper than {MAX_YAML_DEPTH} "
                                   "levels", refused=False)
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except AliasRefused:
        raise
    except (ValueError, OverflowError) as exc:  # a value no constructor can build: an int of 5,000 digits
        raise yaml.YAMLError(f"a value cannot be read ({exc})") from None
    finally:
        loader.dispose()
