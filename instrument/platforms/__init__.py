"""The survey platforms, one module each, both directions: the form to field and the reading of
its response export (plus the simulator's writer of that export).

===================  ====================================  =====================================
module               form (``coprod instrument build``)    response export (read and simulated)
===================  ====================================  =====================================
:mod:`.kobo`         XLSForm (KoboToolbox, ODK, SurveyCTO)  Kobo/ODK CSV (values or labels)
:mod:`.limesurvey`   LimeSurvey TSV structure               LimeSurvey CSV (question codes)
:mod:`.redcap`       REDCap data dictionary                 REDCap raw CSV
:mod:`.qualtrics`    Qualtrics advanced TXT                 Qualtrics CSV (three header rows)
:mod:`.spss_stata`   --                                     SPSS ``.sav``, Stata ``.dta``
:mod:`.tabular`      --                                     the canonical table as CSV/XLSX
===================  ====================================  =====================================

Each declares its ``PLATFORM`` (:class:`~.base.Platform`: system columns, id column, how it
marks previews, partial responses and durations, its header style) as data; :mod:`.registry`
finds them by name, detects which one wrote a file and reads the file into a
:class:`~.base.RawTable`. :mod:`.codebook` records, for every question, each platform's column
and codes; :mod:`.schema` the canonical table they are all read into. Turning a raw table into
that table (pure, no files) is :func:`coprod.analysis.responses.from_raw`.

The names below load on first use, so that building one form does not import the others.
"""
from __future__ import annotations

from importlib import import_module

# public name -> module that defines it
_API = {
    "Platform": "base", "Field": "base", "RawTable": "base", "Completion": "base",
    "HeaderRows": "base", "PLATFORMS": "registry", "FORMATS": "registry", "LABELS": "registry",
    "platform_for": "registry", "all_platforms": "registry", "detect_platform": "registry",
    "is_known_anywhere": "registry", "default_codebook": "registry", "read_raw": "registry",
    "write_simulated": "registry", "build_codebook": "codebook", "schema_for": "schema",
}

__all__ = list(_API)


def __getattr__(name: str):
    if name in _API:
        value = getattr(import_module(f"{__name__}.{_API[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
