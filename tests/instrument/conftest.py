"""Shared fixtures for the instrument tests.

Most tests run on the shipped bank (``instrument/data``); ``mini_bank`` is the small fixture bank
that broken-bank variants are made from.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coprod.instrument.bank import load_bank

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "bank_min"


@pytest.fixture(scope="session")
def bank():
    return load_bank()


@pytest.fixture(scope="session")
def mini_bank():
    return load_bank(MINI)


@pytest.fixture
def mini_copy(tmp_path):
    """A writable copy of the fixture bank."""
    d = tmp_path / "bank"
    shutil.copytree(MINI, d)
    return d


def expected_fields(q):
    """{(row id, sector)} that a form must ask: every item of each fielded sector, plus the
    attention check in every sector whose form holds its block."""
    bank = q.bank
    out = {(i.id, s) for s in q.sectors for i in bank.items_for(s)}
    att = bank.attention
    out |= {(att.id, s) for s in q.sectors if s in bank.constructs[att.block].sectors}
    return out


@pytest.fixture(name="expected_fields", scope="session")
def _expected_fields_fixture():
    return expected_fields
