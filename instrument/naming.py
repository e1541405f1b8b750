"""Platform column names: one function per platform and kind of field.

Every export and the codebook take their names from here, so the name a platform writes into
its response export is decided once. Each rated item is asked once per sector, so each
``(item, sector)`` pair is its own field:

=========  ======================  =====================================================
platform   field name              response-export column
=========  ======================  =====================================================
XLSForm    ``INS_C1_m``            ``INS_C1_m`` (Kobo "XML values and headers")
REDCap     ``ins_c1_m``            ``ins_c1_m``
LimeSurvey ``INSm`` / ``C1``       ``INSm[C1]`` (one Array question per construct and sector)
Qualtrics  ``INS_m`` row 3         ``INS_m_3`` (one Matrix per construct and sector; the number
                                   is the row's position, so it depends on the item order)
=========  ======================  =====================================================

``m``/``v`` is the sector tag (:data:`instrument.model.SECTOR_TAG`). Context questions keep
their bank id where the platform allows it (LimeSurvey drops the underscores: ``servicearea``).

A block whose items use more than one response scale is split into *parts*, one matrix per
scale; parts after the first get a number (``INSm2``, ``ins_m_2``, ``INS_m2``). The shipped bank
has one scale per construct, so this never happens there.

Answer codes
------------
XLSForm choice names are the bank's choice ``name`` for context questions and the numeric code
(``"1"`` .. ``"7"``, don't know ``"99"``) for scale points. REDCap stores the bank's integer
codes. LimeSurvey answer codes are ``A<code>`` (``A1`` .. ``A7``, ``A0`` for consent "no"),
``AM<n>`` for a negative code ``-n``, and ``DK`` for don't know (at most 5 characters).
Qualtrics recodes are positional, ``1..n`` in the order shown, so don't know becomes ``n + 1``
(8 on a 7-point scale).
"""
from __future__ import annotations

import re
import zlib

from .errors import ItemBankError, Problem
from .model import SECTOR_TAG

__all__ = [
    "XLSFORM_NAME", "REDCAP_NAME", "REDCAP_MAX_LENGTH", "LIMESURVEY_CODE", "LIMESURVEY_MAX_LENGTH",
    "LIMESURVEY_ANSWER_MAX_LENGTH", "LIMESURVEY_RESERVED", "LIMESURVEY_DONT_KNOW",
    "xlsform_item", "xlsform_block", "xlsform_context",
    "redcap_item", "redcap_matrix", "redcap_context",
    "limesurvey_question", "limesurvey_subquestion", "limesurvey_column", "limesurvey_context",
    "limesurvey_answer", "limesurvey_scale_answer",
    "qualtrics_question", "qualtrics_column", "qualtrics_context",
    "VERSION_FIELD",
]

XLSFORM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
REDCAP_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: REDCap warns above 26 characters and statistics packages truncate
REDCAP_MAX_LENGTH = 26
LIMESURVEY_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
LIMESURVEY_SUBCODE = re.compile(r"^[A-Za-z0-9]+$")
LIMESURVEY_MAX_LENGTH = 20
LIMESURVEY_ANSWER_MAX_LENGTH = 5
#: ExpressionScript keywords and response-export columns a question code must not equal
#: (compared case-insensitively)
LIMESURVEY_RESERVED = frozenset({
    "LANG", "SID", "SAVEDID", "TOKEN", "QID", "GID", "SGQ", "SELF", "THAT", "THIS", "ID", "SEED",
    "SUBMITDATE", "STARTDATE", "DATESTAMP", "STARTLANGUAGE", "LASTPAGE", "IPADDR", "REFURL",
    "NULL", "TRUE", "FALSE", "AND", "OR", "NOT", "TIME",
})
LIMESURVEY_DONT_KNOW = "DK"
#: name of the hidden field that records the instrument version in every response, per platform
VERSION_FIELD = {"xlsform": "instrument_version", "redcap": "instrument_version",
                 "limesurvey": "instrumentversion", "qualtrics": "instrument_version"}


def _tag(sector: str) -> str:
    return SECTOR_TAG[sector]


def _part(part: int, sep: str = "") -> str:
    return "" if part == 1 else f"{sep}{part}"


# ------------------------------------------------------------------------------------ XLSForm
def xlsform_item(item_id: str, sector: str) -> str:
    """``INS_C1`` asked of the municipal sector -> ``INS_C1_m`` (attention check: ``ATT_1_m``)."""
    return f"{item_id}_{_tag(sector)}"


def xlsform_block(construct: str, sector: str, part: int = 1) -> str:
    """The group holding one construct's block for one sector: ``INS_m``."""
    return f"{construct}_{_tag(sector)}{_part(part, '_')}"


def xlsform_context(question_id: str) -> str:
    return question_id


# ------------------------------------------------------------------------------------- REDCap
def _redcap_check(name: str, where: str) -> str:
    if not REDCAP_NAME.match(name) or len(name) > REDCAP_MAX_LENGTH:
        raise ItemBankError([Problem("", where, "id", f"REDCap variable name {name!r} must match "
                                     f"{REDCAP_NAME.pattern} and have at most {REDCAP_MAX_LENGTH} characters")])
    return name


def redcap_item(item_id: str, sector: str) -> str:
    """``INS_C1``, municipal -> ``ins_c1_m``."""
    return _redcap_check(f"{item_id}_{_tag(sector)}".lower(), item_id)


def redcap_matrix(construct: str, sector: str, part: int = 1) -> str:
    """Matrix Group Name of a block: ``ins_m``."""
    return _redcap_check(f"{construct}_{_tag(sector)}{_part(part, '_')}".lower(), construct)


def redcap_context(question_id: str) -> str:
    return _redcap_check(question_id, question_id)


# --------------------------------------------------------------------------------- LimeSurvey
def limesurvey_question(construct: str, sector: str, part: int = 1) -> str:
    """The Array (flexible labels) question of a block: ``INSm``."""
    return f"{construct}{_tag(sector)}{_part(part)}"


def limesurvey_subquestion(item_id: str, construct: str) -> str:
    """Subquestion code of an item inside its construct's array.

    The construct prefix is dropped when what remains starts with a letter (``INS_C1`` -> ``C1``);
    otherwise, and for items of another prefix such as the attention check, the whole id without
    underscores is used (``ATT_1`` -> ``ATT1``). Item ids are unique, so the codes are unique
    within a question.
    """
    prefix, _, rest = item_id.partition("_")
    if prefix == construct and rest[:1].isalpha():
        code = rest.replace("_", "")
    else:
        code = item_id.replace("_", "")
    if not LIMESURVEY_SUBCODE.match(code) or len(code) > LIMESURVEY_MAX_LENGTH or code.lower() == "time":
        raise ItemBankError([Problem("items.yaml", item_id, "id",
                                     f"cannot derive a LimeSurvey subquestion code (got {code!r})")])
    return code


def limesurvey_column(question: str, subquestion: str) -> str:
    """Response-export heading of an array cell: ``INSm[C1]``."""
    return f"{question}[{subquestion}]"


def limesurvey_context(question_id: str) -> str:
    """A context question's code: the id without underscores (``service_area`` -> ``servicearea``).

    Deterministic fallbacks keep the code legal: a ``Q`` prefix when it would not start with a
    letter or would be a reserved word, and a CRC-based suffix when it is longer than 20
    characters.
    """
    code = re.sub(r"[^A-Za-z0-9]", "", question_id)
    if not code[:1].isalpha() or code.upper() in LIMESURVEY_RESERVED:
        code = "Q" + code
    if len(code) > LIMESURVEY_MAX_LENGTH:
        crc = f"{zlib.crc32(question_id.encode()) & 0xFFFF:04x}"
        code = code[:LIMESURVEY_MAX_LENGTH - 4] + crc
    return code


def limesurvey_answer(code: int) -> str:
    """Answer code of an integer choice code: ``1`` -> ``A1``, ``0`` -> ``A0``, ``-2`` -> ``AM2``."""
    out = f"A{code}" if code >= 0 else f"AM{-code}"
    if len(out) > LIMESURVEY_ANSWER_MAX_LENGTH:
        raise ItemBankError([Problem("", str(code), "code", "choice code too long for a LimeSurvey "
                                     f"answer code (at most {LIMESURVEY_ANSWER_MAX_LENGTH} characters)")])
    return out


def limesurvey_scale_answer(code: int, dont_know: int) -> str:
    """Answer code of a scale point; the don't-know code becomes ``DK``."""
    return LIMESURVEY_DONT_KNOW if code == dont_know else limesurvey_answer(code)


# ---------------------------------------------------------------------------------- Qualtrics
def qualtrics_question(construct: str, sector: str, part: int = 1) -> str:
    """The Matrix question of a block: ``INS_m`` (its export tag)."""
    return f"{construct}_{_tag(sector)}{_part(part)}"


def qualtrics_column(question: str, position: int) -> str:
    """Response column of the matrix row at 1-based ``position``: ``INS_m_3``."""
    return f"{question}_{position}"


def qualtrics_context(question_id: str) -> str:
    return question_id
