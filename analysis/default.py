"""The default analysis of the coprod instrument, ``coprod analyze DATA`` without ``--spec``:
kept as the import path of :func:`analyze_instrument` (defined in
:mod:`coprod.analysis.run.instrument_mode`).
"""
from __future__ import annotations

from .run.instrument_mode import DEFAULT_BOOTSTRAP, InstrumentPlan, analyze_instrument, instrument_plan
from .run.instrument_sections import reverse_keyed

__all__ = ["analyze_instrument", "reverse_keyed", "DEFAULT_BOOTSTRAP", "instrument_plan", "InstrumentPlan"]
