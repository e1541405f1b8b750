"""Exports of the questionnaire for fielding, and its codebook.

One pure function per format takes a :class:`~instrument.generator.Questionnaire` and returns an
:class:`ExportResult`: the platforms' forms live with the readers of their response exports in
:mod:`coprod.instrument.platforms` (``kobo.to_xlsform``, ``limesurvey.to_limesurvey``,
``redcap.to_redcap``, ``qualtrics.to_qualtrics``), the codebook in
:mod:`coprod.instrument.platforms.codebook` (``to_codebook``), the printable page in
:mod:`coprod.instrument.formats.html` (``to_html``). :func:`export` builds the questionnaire from
the bank and dispatches, :func:`write_export` writes the result atomically.

``ExportResult.files`` maps a file suffix to the file's bytes (``{".xlsx": ...}``; the codebook
has ``.json`` and ``.csv``). :func:`write_export` writes each next to ``out``: ``out`` with its
suffix replaced by the file's suffix when it already has one of the result's suffixes, or the
suffix appended otherwise (``--out form`` -> ``form.xlsx``; ``--out cb.json`` -> ``cb.json`` and
``cb.csv``).

Submodules are imported on first use, so ``import instrument`` stays cheap.
"""
from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from ..files import write_files
from ..formats import ExportResult
from ..generator import OptionError
from ..model import LANGUAGES, SECTORS

if TYPE_CHECKING:  # pragma: no cover
    from ..generator import Questionnaire
    from ..model import Bank

__all__ = ["ExportResult", "FORMATS", "LANGUAGES", "SECTORS", "SUFFIXES", "export", "write_export",
           "OptionError"]

#: allowed export formats (in the order they are listed in messages)
FORMATS: tuple[str, ...] = ("xlsform", "limesurvey", "redcap", "qualtrics", "qualtrics-qsf", "html", "codebook")
# LANGUAGES (en, da) and SECTORS (municipal, voluntary) are re-exported for the CLI's choices;
# a bank may declare more languages (bank.languages is what export() checks).
#: the files each format writes, by suffix
SUFFIXES: Mapping[str, tuple[str, ...]] = {
    "xlsform": (".xlsx",), "limesurvey": (".txt",), "redcap": (".csv",), "qualtrics": (".txt",),
    "qualtrics-qsf": (".qsf",),
    "html": (".html",), "codebook": (".json", ".csv"),
}
#: the module that writes each format (imported on first use: ``import coprod.instrument`` stays
#: cheap, and a form writer's module also holds the platform's pandas-based readers)
MODULES: Mapping[str, str] = {
    "xlsform": "coprod.instrument.platforms.kobo", "limesurvey": "coprod.instrument.platforms.limesurvey",
    "redcap": "coprod.instrument.platforms.redcap", "qualtrics": "coprod.instrument.platforms.qualtrics",
    "qualtrics-qsf": "coprod.instrument.platforms.qualtrics_qsf",
    "html": "coprod.instrument.formats.html", "codebook": "coprod.instrument.platforms.codebook",
}


def export(bank: "Bank | Questionnaire", fmt: str, *, lang: str = "en", sector: str | None = None,
           seed: int | None = None, municipality: str | None = None, show_codes: bool = False) -> ExportResult:
    """Build the questionnaire and export it in one format.

    Parameters
    ----------
    bank : Bank or Questionnaire
        The item bank (then ``lang``, ``sector`` and ``seed`` build the questionnaire), or a
        questionnaire already built (the options must then be left at their defaults).
    fmt : str
        One of :data:`FORMATS`.
    lang, sector, seed, municipality
        See :func:`instrument.generator.build_questionnaire`.
    show_codes : bool
        ``html`` only: print the variable codes (the fieldwork copy; hidden from respondents by
        default, as they name the constructs and the attention check).

    Returns
    -------
    ExportResult

    Raises
    ------
    OptionError
        An unknown format, language or sector (the message lists the allowed values).
    ItemBankError
        The bank cannot be expressed on the platform (e.g. a name too long for REDCap).
    """
    from ..generator import Questionnaire, build_questionnaire

    if fmt not in FORMATS:
        raise OptionError(f"unknown export format {fmt!r} (allowed: {', '.join(FORMATS)})")
    if isinstance(bank, Questionnaire):
        if (lang, sector, seed) != ("en", None, None) and (lang, sector, seed) != (
                bank.lang, bank.sector, bank.seed):
            raise OptionError("pass lang/sector/seed to build_questionnaire, not to export, "
                              "when exporting a questionnaire")
        q = bank
    else:
        q = build_questionnaire(bank, sector=sector, lang=lang, seed=seed, municipality=municipality)
    if show_codes and fmt != "html":
        raise OptionError(f"show_codes is for the html format, not {fmt!r}")
    writer = getattr(import_module(MODULES[fmt]), "to_" + fmt.replace("-", "_"))
    return writer(q, show_codes=True) if show_codes else writer(q)



def _targets(result: ExportResult, out: Path) -> list[tuple[Path, bytes]]:
    """The files to write for ``out``: its name with each suffix of the export. A name with
    another extension is refused rather than written under a name the user did not give."""
    suffixes = list(result.files)
    if out.suffix and out.suffix.lower() not in suffixes:
        right = " and ".join(out.with_suffix(s).name for s in suffixes)
        raise OptionError(f"--out {out.name}: this export is written as {' and '.join(suffixes)}, "
                          f"not {out.suffix}; use --out {out.with_suffix(suffixes[0]).name}"
                          + (f" (writes {right})" if len(suffixes) > 1 else ""))
    base = out.with_suffix("") if out.suffix else out
    return [(base.with_name(base.name + sfx), data) for sfx, data in result.files.items()]



def write_export(result: ExportResult, out: str | Path) -> list[Path]:
    """Write the files of ``result`` next to ``out``, atomically.

    Each file is first written in full to a temporary file in the target folder; only when every
    file is written are they moved into place with :func:`os.replace`. On any error the
    temporary files are removed and no target file is created or truncated.

    Returns
    -------
    list of Path
        The files written, in the order of ``result.files``.

    Raises
    ------
    OptionError
        ``out`` has an extension the export is not written with (``form.csv`` for an XLSForm).
    """
    targets = _targets(result, Path(out))
    return write_files(dict(targets))
