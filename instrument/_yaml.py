"""YAML read with the safe loader, minus anchors and aliases (``&name`` / ``*name`` / ``<<``).

Neither an item bank nor an analysis spec has any use for them, and nested aliases let a few
hundred bytes expand into gigabytes ("billion laughs"), so they are refused while composing,
before anything is built. Otherwise :func:`safe_load` is ``yaml.safe_load``.
"""
from __future__ import annotations

from typing import Any

__all__ = ["AliasRefused", "safe_load", "MAX_YAML_BYTES"]

#: the largest YAML file read (a spec or a bank file is a few kilobytes)
MAX_YAML_BYTES = 1_000_000


class AliasRefused(ValueError):
    """A YAML anchor or alias; ``line`` is 1-based."""

    def __init__(self, line: int, what: str):
        self.line = line
        super().__init__(f"line {line}: YAML {what} is not allowed (anchors & and aliases * "
                         "are refused; write the value out)")


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
            return super().compose_node(parent, index)

    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
