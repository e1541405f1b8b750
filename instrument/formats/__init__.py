"""Formats of the questionnaire that are not a survey platform (the printable HTML page), and
:class:`ExportResult`, what every questionnaire export returns (platform forms included).

The platforms' forms are in :mod:`coprod.instrument.platforms`; the codebook, which records what
every platform stores, is :mod:`coprod.instrument.platforms.codebook`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

__all__ = ["ExportResult"]


@dataclass(frozen=True, slots=True)
class ExportResult:
    """The files of one export (suffix -> bytes) and the warnings to show the user."""

    files: Mapping[str, bytes]
    warnings: tuple[str, ...] = ()
