"""Run the examples in the docstrings of the lead modules (others run theirs in their own tests)."""
from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = ["coprod", "coprod.analysis.run.records", "coprod.analysis.run.records._base", "coprod.api", "coprod.instrument.bank", "coprod.instrument.model", "coprod.instrument.files", "coprod.analysis.spec", "coprod.analysis.run.spec_mode", "coprod.analysis.run.steps", "coprod.analysis.run.results", "coprod.analysis.run.instrument_mode", "coprod.analysis.run.hypotheses", "coprod.analysis.models", "coprod.analysis.residuals"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, monkeypatch):
    monkeypatch.chdir(ROOT)  # examples name fixture paths relative to the repository
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
