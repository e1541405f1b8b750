"""The platforms by name: their description for a bank, which one wrote a file, reading a file
into a :class:`~.base.RawTable`, and writing a canonical table as a platform's export.

Column names and stored codes come from the codebook (:mod:`.codebook`, built from
:mod:`coprod.instrument.naming` and the questionnaire generator, the same sources the forms
use), so a file exported from a fielded form maps back to item ids without guessing. By default
the codebook of the combined form in bank order is used; pass the codebook of the form as
fielded when it was built with ``--sector`` or ``--seed``.

Platforms: ``canonical`` (also SPSS/Stata), ``kobo`` (KoboToolbox, ODK Central, SurveyCTO: any
XLSForm server), ``limesurvey``, ``redcap``, ``qualtrics``.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

from ..bank import as_bank
from ..errors import CoprodError, UnreadableFileError
from ..files import write_with
from ..generator import OptionError, build_questionnaire
from ..model import Bank
from . import kobo, limesurvey, qualtrics, redcap, spss_stata, tabular
from ._guard import cannot_read, reason_of, strip_controls
from ._limits import DEFAULT_LIMITS, Limits, check_shape, check_text
from .base import Platform, RawTable
from .codebook import build_codebook
from .schema import schema_for
from .sniff import sniff_container

__all__ = ["PLATFORMS", "LABELS", "FILE_KINDS", "ALIASES", "TEMPLATES", "FORMATS", "platform_for",
           "all_platforms", "detect_platform", "default_codebook", "is_known_anywhere", "read_raw",
           "read_export", "load_codebook", "write_simulated"]

#: every platform, undescribed (the order detection tries them in, and messages list them)
TEMPLATES: Mapping[str, Platform] = {p.name: p for p in (
    tabular.PLATFORM, kobo.PLATFORM, limesurvey.PLATFORM, redcap.PLATFORM, qualtrics.PLATFORM)}
PLATFORMS = tuple(TEMPLATES)
LABELS = {name: p.label for name, p in TEMPLATES.items()}
FILE_KINDS = {name: p.file_kind for name, p in TEMPLATES.items()}
#: other names users give the platforms (``--platform``)
ALIASES = {"odk": "kobo", "kobotoolbox": "kobo", "xlsform": "kobo", "surveycto": "kobo",
           "sav": "canonical", "spss": "canonical", "stata": "canonical", "csv": "canonical"}
#: the formats :func:`write_simulated` writes
FORMATS = ("csv", "xlsx", "sav", "dta", "kobo", "limesurvey", "redcap", "qualtrics")
#: the file extension of each (the platforms' exports are CSV)
SUFFIXES = {"xlsx": ".xlsx", "sav": ".sav", "dta": ".dta"}
_CACHE: dict[tuple[int, str], tuple[Bank, Platform]] = {}
_CB_CACHE: dict[int, tuple[Bank, dict]] = {}


def default_codebook(bank: Bank) -> dict:
    """The codebook of the combined form in bank order (what ``coprod instrument build --format
    codebook`` writes without ``--sector``/``--seed``)."""
    return build_codebook(build_questionnaire(bank))


def _default_cb(bank: Bank) -> dict:
    hit = _CB_CACHE.get(id(bank))
    if hit is not None and hit[0] is bank:
        return hit[1]
    cb = default_codebook(bank)
    _CB_CACHE.clear()
    _CB_CACHE[id(bank)] = (bank, cb)
    return cb


def platform_for(bank: Bank, name: str, codebook: Mapping[str, Any] | None = None) -> Platform:
    """The description of platform ``name`` for ``bank``.

    ``codebook`` is the codebook JSON of the form as fielded (``coprod instrument build --format
    codebook``, as a dict); needed only for forms built with ``--sector`` or ``--seed`` (Qualtrics
    numbers matrix rows by position). By default the combined form in bank order is assumed.

    Examples
    --------
    >>> from coprod.instrument.bank import load_bank
    >>> plat = platform_for(load_bank(), "redcap")
    >>> plat.label, plat.id_columns, plat.field_for("sector").target
    ('REDCap', ('record_id',), 'sector')
    """
    if name not in PLATFORMS:
        raise ValueError(f"unknown platform {name!r} (allowed: {', '.join(PLATFORMS)})")
    if codebook is None:
        hit = _CACHE.get((id(bank), name))
        if hit is not None and hit[0] is bank:
            return hit[1]
    template = TEMPLATES[name]
    cb = codebook
    if cb is None and template.codebook_key is not None:
        cb = _default_cb(bank)
    p = template.for_bank(bank, cb)
    if codebook is None:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[(id(bank), name)] = (bank, p)
    return p


def all_platforms(bank: Bank, codebook: Mapping[str, Any] | None = None) -> list[Platform]:
    return [platform_for(bank, n, codebook) for n in PLATFORMS]


def is_known_anywhere(bank: Bank, codebook: Mapping[str, Any] | None = None) -> Callable[[str], bool]:
    """Predicate: does some platform know this header (a field or a signature column)?"""
    plats = all_platforms(bank, codebook)

    def known(name: str) -> bool:
        # labels do not count: Qualtrics' question-text row would outscore its header row
        return any(p.field_for(name) is not None or name in p.signature for p in plats)

    return known


def detect_platform(bank: Bank, columns: list[str], codebook: Mapping[str, Any] | None = None,
                    texts: list[str] | None = None) -> tuple[Platform, int]:
    """The platform whose fields and signature columns best match ``columns`` (``texts``: the
    rows under the header, :attr:`RawTable.header_texts`, for Qualtrics' default tags).

    Returns the platform and how many of the columns are its fields (0: nothing matched).
    """
    best: tuple[float, int, Platform] | None = None
    for p in all_platforms(bank, codebook):
        names = p.resolve(columns, texts).names  # label headers, default tags: as their fields
        n_fields = sum(1 for c in names if p.field_for(c) is not None
                       and (not p.exact_headers or c in p.lookup))
        n_sig = sum(1 for c in columns if str(c).strip().lstrip("\ufeff") in p.signature)
        # a few signature columns decide between platforms that share context names
        score = n_fields + 5 * n_sig
        if best is None or score > best[0]:
            best = (score, n_fields, p)
    return best[2], best[1]  # type: ignore[index]


# ------------------------------------------------------------------------------ reading
def read_raw(path: Path, is_known: Callable[[str], bool],
             dtype_hint: Callable[[list[str]], dict[str, str]] | None = None,
             limits: Limits = DEFAULT_LIMITS) -> RawTable:
    """Read ``path`` whatever it is (CSV/TSV text, XLSX, SPSS, Stata).

    The container is sniffed from the bytes; ``is_known`` finds the header row, the platforms'
    :class:`~.base.HeaderRows` the rows some write under it. ``dtype_hint(header)`` may name
    columns to parse as ``category`` (choice and text questions: the CSV parser then builds the
    distinct values itself, which saves a pass later). Tables beyond ``limits`` are refused
    before they are built; control characters in text cells are removed (with a warning).

    Raises
    ------
    FileNotFoundError
        When there is no such file.
    UnreadableFileError
        When the file cannot be read at all (empty, binary, unknown encoding, broken workbook,
        too large): whatever a reader raises becomes ``NAME: cannot be read (reason)``.
    """
    path = Path(path)
    name = path.name
    with cannot_read(name):  # the error boundary (issue 12, item 2)
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        kind = sniff_container(data, name)
        hooks = [p.header_rows for p in TEMPLATES.values() if p.header_rows is not None]
        if kind == "xlsx":
            raw = tabular.read_xlsx(data, name, digest, is_known, hooks, limits=limits)
        elif kind == "sav":
            raw = spss_stata.read_spss(path, digest, limits)
        elif kind == "dta":
            raw = spss_stata.read_stata(path, digest, limits)
        else:
            check_text(data, name, limits)
            raw = tabular.read_text(data, name, digest, is_known, dtype_hint, hooks)
        check_shape(name, *raw.frame.shape, limits)
        return strip_controls(raw)


def load_codebook(codebook: Any, bank: Bank | None = None) -> dict | None:
    """The codebook JSON of a fielded form: a dict as it is, or read from a path; with ``bank``,
    checked to be a codebook of it (every platform can be described from it)."""
    if codebook is None:
        return None
    name = "the codebook" if isinstance(codebook, dict) else Path(codebook).name
    cb = codebook
    if not isinstance(codebook, dict):
        p = Path(codebook)
        try:
            cb = json.loads(p.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError, RecursionError) as exc:
            raise UnreadableFileError(f"{p.name}: cannot read the codebook ({exc})") from None
    if bank is not None:
        try:
            if not isinstance(cb, dict):
                raise TypeError(f"a JSON object was expected, not {type(cb).__name__}")
            all_platforms(bank, cb)
        except CoprodError:
            raise
        except Exception as exc:  # noqa: BLE001 - any part missing or of the wrong type
            raise UnreadableFileError(f"{name}: not a codebook of instrument {bank.id} as "
                                      f"'coprod instrument build --format codebook' writes it "
                                      f"({reason_of(exc)})") from None
    return cb


def read_export(path: Path, bank: Bank, *, platform: str = "auto",
                codebook: Mapping[str, Any] | None = None,
                limits: Limits = DEFAULT_LIMITS) -> tuple[RawTable, Platform]:
    """Read a response file and tell which platform's export it is.

    ``platform`` is ``"auto"`` (detected from the header) or a name of :data:`PLATFORMS` (or
    one of :data:`ALIASES`); ``limits`` bound the table read. Returns the raw table and the
    platform described for ``bank``, what :func:`coprod.analysis.responses.from_raw` turns into
    the canonical table.

    Raises
    ------
    ValueError
        An unknown platform name.
    UnreadableFileError
        When the file cannot be read, or none of its columns belongs to the instrument.
    FileNotFoundError
        When there is no such file.
    """
    name = ALIASES.get(platform, platform)
    if name != "auto" and name not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r} (allowed: auto, {', '.join(PLATFORMS)})")

    def choose(header: list[str], texts: list[str] | None = None) -> tuple[Platform, int]:
        if name != "auto":
            return platform_for(bank, name, codebook), 1
        return detect_platform(bank, header, codebook, texts)

    def hints(header: list[str]) -> dict[str, str]:
        plat, _ = choose(header)
        return {h: "category" for h, k in zip(header, plat.resolve(header).names)
                if (f := plat.field_for(k)) is not None and f.codebook.kind in ("choice", "text")}

    raw = read_raw(Path(path), is_known_anywhere(bank, codebook), hints, limits)
    plat, n_fields = choose(raw.header, raw.header_texts)
    if n_fields == 0:
        raise _no_match(raw, bank)
    return raw, plat


def _no_match(raw: RawTable, bank: Bank) -> UnreadableFileError:
    cols = [c for c in raw.header if c]
    shown = ", ".join(cols[:8]) + (" ..." if len(cols) > 8 else "")
    hint = ""
    if any(c in ("_uuid", "_submission_time", "__version__") for c in cols):
        hint = ("; the headers look like question labels: export from KoboToolbox with "
                "'XML values and headers'")
    elif any(re.match(r"^\d+X\d+X\d+", c) for c in cols):
        hint = "; these are LimeSurvey SGQA headings: export with headings 'Question code'"
    return UnreadableFileError(f"{raw.file}: none of the columns belongs to instrument {bank.id} "
                               f"in any known export (columns: {shown}){hint}")


# ------------------------------------------------------------------------------ writing
def write_simulated(table: pd.DataFrame, path, fmt: str = "csv", *, bank: Bank | None = None,
                    labels: str | None = None, groups: bool = False,
                    codebook: dict | None = None) -> Path:
    """Write a canonical table (e.g. ``simulate`` output) as ``fmt``, atomically.

    Parameters
    ----------
    table : DataFrame
        Canonical table with don't know coded (99), as ``simulate`` returns it.
    path : str or Path
        Output file; written via a temporary file in the same folder and ``os.replace``. Its
        extension, if any, must be the format's (``.csv``, ``.xlsx``, ``.sav``, ``.dta``).
    fmt : str
        ``csv`` (the canonical table), ``xlsx``, ``sav``, ``dta``, ``kobo``, ``limesurvey``,
        ``redcap`` or ``qualtrics``.
    bank : Bank, optional
        :func:`coprod.instrument.load_bank` by default.
    labels : {"en", "da"}, optional
        Kobo only: write choice labels in this language instead of XML values.
    groups : bool
        Kobo only: headers with group prefixes (``INS_m/INS_C1_m``).
    codebook : dict, optional
        Platform formats: the codebook of the form as fielded (built with ``--sector`` or
        ``--seed``); the combined form in bank order by default.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OptionError
        ``path`` has another extension than the format's.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (allowed: {', '.join(FORMATS)})")
    suffix = SUFFIXES.get(fmt, ".csv")
    path = Path(path)
    if path.suffix and path.suffix.lower() != suffix:
        raise OptionError(f"--out {path.name}: a {fmt} file is written as {suffix}, not "
                          f"{path.suffix}; use --out {path.with_suffix(suffix).name}"
                          + ("" if fmt != "csv" else " (or --format for another format)"))
    bank = as_bank(bank)
    missing = [c for c in schema_for(bank).names if c not in table.columns]
    if missing:
        raise ValueError("the table is not a canonical table of this bank; missing columns: "
                         + ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else ""))

    def plat(name: str) -> Platform:
        return platform_for(bank, name, codebook)

    writers: dict[str, Callable[[Path], None]] = {
        "csv": lambda p: tabular.write_csv(table, bank, p),
        "xlsx": lambda p: tabular.write_xlsx(table, bank, p),
        "sav": lambda p: spss_stata.write_sav(table, bank, p),
        "dta": lambda p: spss_stata.write_dta(table, bank, p),
        "kobo": lambda p: kobo.write_simulated(table, bank, p, plat("kobo"), labels=labels,
                                               groups=groups),
        "limesurvey": lambda p: limesurvey.write_simulated(table, bank, p, plat("limesurvey")),
        "redcap": lambda p: redcap.write_simulated(table, bank, p, plat("redcap")),
        "qualtrics": lambda p: qualtrics.write_simulated(
            table, bank, p, plat("qualtrics"), codebook if codebook is not None else _default_cb(bank)),
    }
    return write_with(Path(path), writers[fmt])
