"""The errors the analysis raises, re-exported from :mod:`coprod.instrument.errors` (their one
home), so ``from coprod.analysis.errors import ModelSpecError`` keeps working."""
from __future__ import annotations

from coprod.instrument.errors import (CoprodError, ModelSpecError, Problem, ResponseDataError,
                                      UnreadableFileError)

__all__ = ["CoprodError", "ResponseDataError", "ModelSpecError", "UnreadableFileError", "Problem"]
