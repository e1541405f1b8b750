"""coprod instrument: the item bank, the questionnaire generator and the fielding exports.

>>> from coprod.instrument import load_bank, build_questionnaire, export
>>> bank = load_bank()
>>> q = build_questionnaire(bank, sector="municipal", lang="da")
>>> result = export(bank, "codebook", lang="da", sector="municipal")
>>> sorted(result.files)
['.csv', '.json']

Importing this package is cheap: YAML, openpyxl, jinja2 and the export modules are loaded only
when used.
"""
from __future__ import annotations

from .bank import load_bank
from .errors import CoprodError, ItemBankError, Problem
from .exports import FORMATS, ExportResult, export, write_export
from .generator import (Block, ContextField, Matrix, OptionError, Questionnaire, Row,
                        build_questionnaire)
from .model import (LANGUAGES, SECTOR_TAG, SECTORS, AttentionCheck, Bank, Choice, Construct,
                    ContextQuestion, Item, Scale)

__all__ = [
    "load_bank", "build_questionnaire", "export", "write_export", "ExportResult", "FORMATS",
    "Questionnaire", "Block", "Matrix", "Row", "ContextField",
    "Bank", "Item", "Scale", "Construct", "ContextQuestion", "AttentionCheck", "Choice",
    "SECTORS", "LANGUAGES", "SECTOR_TAG",
    "CoprodError", "ItemBankError", "OptionError", "Problem",
]
