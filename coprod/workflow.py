"""The workflow layer: read → analyse → render → write, the only place coprod touches files.

``coprod.analysis`` computes on tables and ``coprod.reports`` renders results to text; both are
pure. The functions here are what the command line (and a script that wants files) calls: they
read an input file (hashing it for provenance), run the analysis, render every output in memory
and only then write them all, each replaced atomically, so an error never leaves half a result
set and never touches the input.

>>> from pathlib import Path
>>> run = analyze_file(Path("responses.csv"), out=Path("out"))  # doctest: +SKIP
>>> [p.name for p in run.files]                                  # doctest: +SKIP
['results.json', 'report.html']
"""
from __future__ import annotations

import hashlib
import io
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from coprod.analysis.compare import compare_groups
from coprod.analysis.default import analyze_instrument
from coprod.analysis.errors import ModelSpecError
from coprod.analysis.pipeline import AnalysisResult, analyze
from coprod.analysis.run.rates import response_rates
from coprod.analysis.run.waves import compare_waves
from coprod.analysis.responses import simulate
from coprod.analysis.run.latent_scores import instrument_factor_scores, spec_factor_scores
from coprod.analysis.sem.size import check_model_size
from coprod.analysis.spec import AnalysisSpec, load_spec
from coprod.instrument.bank import as_bank
from coprod.instrument.errors import CoprodError, UnreadableFileError
from coprod.instrument.exports import export, write_export
from coprod.instrument.files import write_files
from coprod.instrument.platforms._guard import cannot_read, in_child
from coprod.instrument.platforms._limits import (DEFAULT_LIMITS, Limits, bounded_rows, check_shape,
                                                 check_text, check_workbook)
from coprod.instrument.platforms._workbook import workbook_notes
from coprod.instrument.platforms.sniff import decode_text
from coprod.instrument.platforms.spss_stata import read_readstat
# modules, not names: tests replace a renderer on its module to check that a failing page writes nothing
from coprod.reports import compare as compare_report
from coprod.reports import browser
from coprod.reports import study as study_report
from coprod.reports.disclosure import GROUPINGS, disclose_analysis, plan_disclosure, scrub_warnings
from coprod.reports.tables import TABLE_FORMATS, study_tables, tables_csv, tables_xlsx
from coprod.responses import read_responses, write_simulated
from coprod.store import is_study, open_study

__all__ = ["sha256_of", "read_table", "run_analysis", "analyze_file", "compare_file", "run_demo", "report_file",
           "results_json", "published_analysis", "read_input", "write_outputs", "write_comparison", "write_study_report", "RunOutput", "CompareOutput", "DemoOutput"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class RunOutput:
    """What :func:`analyze_file` wrote, the warnings to print, and the result itself."""
    files: tuple[Path, ...]
    warnings: tuple[str, ...]
    result: Any  # coprod.analysis.pipeline.AnalysisResult


@dataclass(frozen=True, slots=True)
class CompareOutput:
    """What :func:`compare_file` wrote, and the warnings to print."""
    files: tuple[Path, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoOutput:
    """The files a reader of the demo should open first, and how long it took."""
    files: tuple[Path, ...]
    seconds: float
    warnings: tuple[str, ...] = ()


# ------------------------------------------------------------------------------ reading
def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks (recorded in every results.json)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _existing(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "no such file", str(path))
    if path.is_dir() and not is_study(path):
        raise UnreadableFileError(f"{path}: cannot be read (it is a folder, not a file)")
    return path


def read_table(path: Path, *, limits: Limits = DEFAULT_LIMITS) -> pd.DataFrame:
    """A plain data file for spec mode (any columns): CSV/TSV (delimiter sniffed), XLSX (its
    first sheet), SAV, DTA.

    Text is decoded as ``validate`` decodes response files (BOM, UTF-8, else Windows-1252 with a
    warning; see :func:`_read_table`). Anything that fails while reading (a damaged workbook, a
    truncated SPSS file, text in no known encoding, a header without rows) and a table beyond
    ``limits`` raise :class:`UnreadableFileError` ``PATH: cannot be read (reason)``, never the
    reader's exception; SPSS/Stata files are read in a child process (a crash in the reader is
    such an error too).
    """
    return _read_table(path, limits)[0]


def _read_table(path: Path, limits: Limits = DEFAULT_LIMITS) -> tuple[pd.DataFrame, list[str]]:
    """:func:`read_table`, and the warnings to report with the result (how the text was decoded,
    the other sheets of a workbook, formulas without a saved value)."""
    path = Path(path)
    name = str(path)
    suffix = path.suffix.lower()
    notes: list[str] = []
    with cannot_read(name):  # the error boundary (issue 12, item 2)
        data = path.read_bytes()
        if suffix in (".xlsx", ".xls"):
            notes = _scan_workbook(data, path, limits)
            # only blank cells and R's NA are missing markers here: other text ("n/a", "-")
            # reaches spec mode, which reports it per column instead of dropping it silently
            df = pd.read_excel(io.BytesIO(data), keep_default_na=False, na_values=["", "NA"])
        elif suffix in (".sav", ".dta"):
            df = in_child(read_readstat, path, suffix[1:], limits, False, name, name=name)[0]
        else:
            try:
                text, _, decoded = decode_text(data, name)
            except UnreadableFileError as exc:
                reason = str(exc).removeprefix(f"{path}: ")
                raise UnreadableFileError(f"{path}: cannot be read ({reason})") from None
            notes = [f"{path.name}: {n}" for n in decoded]
            check_text(data, name, limits)
            df = pd.read_csv(io.StringIO(text), sep=None, engine="python", keep_default_na=False,
                             na_values=["", "NA"])
        check_shape(name, *df.shape, limits)
    if len(df) == 0:
        raise UnreadableFileError(f"{path}: cannot be read (the file has a header but no rows)")
    return df, notes


def _scan_workbook(data: bytes, path: Path, limits: Limits) -> list[str]:
    """Check a workbook against ``limits`` (its zip directory, then its sheets as they are
    streamed) before pandas builds its first sheet, and say what reading that sheet leaves out."""
    import openpyxl  # deferred: only for workbooks

    check_workbook(data, str(path), limits)
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets, first = [], None
        for ws in wb.worksheets:
            rows = bounded_rows(ws.iter_rows(values_only=True), str(path), limits, ws.title)
            if first is None:
                first = (ws.title, rows, getattr(ws, "_worksheet_path", None))
            if rows:
                sheets.append(ws.title)
    finally:
        wb.close()
    if first is None:
        return []
    problems, warnings = workbook_notes(data, path.name, sheets, *first)
    return [str(p) for p in [*warnings, *problems]]


# ------------------------------------------------------------------------------ analysing
def run_analysis(path: Path, *, spec=None, bank=None, keep_flagged: bool = False,
                 progress: Progress | None = None, bootstrap: int | None = None,
                 seed: int | None = None, missing: str | None = None, codebook: Any = None,
                 wave: str | None = None, limits: Limits = DEFAULT_LIMITS, groups: Any = None,
                 estimator: str | None = None, cluster: str | None = None):
    """Read and analyse a file (or a study folder); nothing is written.

    Parameters
    ----------
    path : Path
        With ``spec``, any table (read with :func:`read_table`); without, a response export of
        the coprod instrument (platform detected through ``codebook`` or the bank, validated,
        scored) for the default analysis of the instrument.
    spec : Path or AnalysisSpec, optional
        What to compute in spec mode.
    bank : Bank or path, optional
        The item bank the responses answer (the shipped one by default); instrument mode only.
    bootstrap, seed, missing, estimator, cluster : optional
        Instrument mode: override the defaults (``None`` keeps them; ``estimator="MLR"`` and
        ``cluster`` make the CFA and structural models' SEs and fit robust). In spec mode they
        are set in the spec.
    wave : str, optional
        For a study folder (``coprod study``): analyse that wave only (default: every wave).
    limits : Limits, optional
        The largest table read (rows, columns, cells).
    groups : dict or path, optional
        Municipality spellings mapped to one name (see :func:`coprod.responses.read_responses`).

    Returns
    -------
    AnalysisResult
    """
    return _analyse(path, spec=spec, bank=bank, keep_flagged=keep_flagged, progress=progress,
                    bootstrap=bootstrap, seed=seed, missing=missing, codebook=codebook, wave=wave,
                    limits=limits, groups=groups, estimator=estimator, cluster=cluster)[0]


def _analyse(path: Path, *, spec, bank, keep_flagged, progress, bootstrap, seed, missing, codebook, wave,
             limits, groups, estimator=None, cluster=None) -> tuple[AnalysisResult, pd.DataFrame]:
    """:func:`run_analysis`, and the table analysed (its groups decide what may be published)."""
    path = _existing(path)
    if spec is not None:
        if is_study(path) or wave is not None:
            raise CoprodError(f"{path}: a study (and --wave) is analysed with the default analysis of the "
                              "instrument; --spec reads one table")
        meta = {"input_file": path.name, "input_sha256": sha256_of(path)}
        if any(v is not None for v in (bootstrap, seed, missing, estimator, cluster)):
            raise ModelSpecError("bootstrap, seed, missing, estimator and cluster are set in the spec, not as "
                                 "options, in spec mode")
        spec_obj = spec if isinstance(spec, AnalysisSpec) else load_spec(spec)
        table, notes = _read_table(path, limits)
        _check_model_sizes(spec_obj, table)
        result = analyze(table, spec_obj, progress=progress, meta=meta)
        return (replace(result, warnings=tuple(notes) + result.warnings) if notes else result), table

    bank = as_bank(bank)
    rd, meta = read_input(path, bank=bank, codebook=codebook, wave=wave, limits=limits, groups=groups)
    given = {k: v for k, v in (("bootstrap", bootstrap), ("seed", seed), ("missing", missing),
                               ("estimator", estimator), ("cluster", cluster)) if v is not None}
    result = analyze_instrument(rd, bank=bank, keep_flagged=keep_flagged, progress=progress, meta=meta, **given)
    return result, rd.analysis_table(keep_flagged=keep_flagged)


def published_analysis(result: AnalysisResult, table: pd.DataFrame, *, bank=None, min_cell: int = 5) -> AnalysisResult:
    """``result`` as it may be published: through the disclosure layer
    (:func:`coprod.reports.disclosure.disclose_analysis`), with the groups of ``table`` (the rows
    analysed) deciding what is hidden. In spec mode the spec's ``group`` column is the grouping."""
    spec = (result.meta or {}).get("spec")
    groupings = GROUPINGS
    if isinstance(spec, dict) and spec.get("group"):
        groupings = (str(spec["group"]),)
    plan = plan_disclosure(table, min_cell=min_cell, groupings=groupings,
                           cross="sector" if groupings == GROUPINGS else None)
    values = {g: tuple(table[g].dropna().astype(str).unique()) for g in groupings if g in table.columns}
    return disclose_analysis(result, plan, bank=bank, values=values)


def _check_model_sizes(spec: AnalysisSpec, table: pd.DataFrame) -> None:
    """Refuse a spec's models that are too large to estimate (or for the rows there are) before
    the analysis allocates them; invariance fits the CFA in every group at once."""
    groups = 1
    if spec.group and spec.group in table.columns and spec.invariance:
        groups = max(1, int(table[spec.group].nunique()))
    meanstructure = spec.missing == "fiml"
    columns = [str(c) for c in table.columns]
    for what, model, ngroups in (("cfa", spec.cfa, groups), ("sem", spec.sem, 1)):
        if model:
            check_model_size(model, columns, n_rows=len(table), ngroups=ngroups,
                             meanstructure=meanstructure or ngroups > 1, what=what)


# ------------------------------------------------------------------------------ a study as input
def read_input(path: Path, *, bank, codebook: Any = None, wave: str | None = None,
               limits: Limits = DEFAULT_LIMITS, groups: Any = None):
    """The responses of ``path`` and its provenance for ``meta``: a response file (read with
    :func:`read_responses`; ``groups`` maps municipality spellings, ``--groups FILE.csv``) or a
    study folder (``coprod study``: its active imports, of ``wave`` or of every wave), returned
    as ``(ResponseData, meta)``."""
    if is_study(path):
        if codebook is not None or groups is not None:
            raise CoprodError(f"{path}: --codebook and --groups are for a response file; a study's "
                              "exports were read with theirs by coprod study add")
        with open_study(path) as st:
            rd = st.responses(wave=wave, bank=bank)
        return rd, {"input_file": path.name, "input_sha256": rd.source["sha256"], "input_kind": "study",
                    "wave": wave, "imports": rd.source["imports"]}
    if path.is_dir():
        raise UnreadableFileError(f"{path}: a folder, neither a response file nor a study (no study.json)")
    if wave is not None:
        raise CoprodError(f"{path}: --wave is for a study folder (coprod study init), not a response file")
    return read_responses(path, bank=bank, codebook=codebook, limits=limits, groups=groups), {
        "input_file": path.name, "input_sha256": sha256_of(path)}


# ------------------------------------------------------------------------------ writing
def results_json(result) -> str:
    """The text of results.json (the only place a result becomes JSON)."""
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=1)


def write_outputs(out: Path, texts: dict[str, str]) -> tuple[Path, ...]:
    """Write every ``name -> text`` into ``out``; all are rendered before the first is written, and
    each file is replaced atomically, so an error never leaves half a result set."""
    return tuple(write_files({Path(out) / name: text for name, text in texts.items()}))


def analyze_file(path: Path, *, out: Path, spec=None, report: bool = True, lang: str = "en",
                 bank=None, keep_flagged: bool = False, progress: Progress | None = None,
                 bootstrap: int | None = None, seed: int | None = None, missing: str | None = None,
                 codebook: Any = None, wave: str | None = None, limits: Limits = DEFAULT_LIMITS,
                 groups: Any = None, scores: Path | None = None, score_method: str = "regression",
                 estimator: str | None = None, cluster: str | None = None, min_cell: int = 5) -> RunOutput:
    """Analyse a file and write ``out/results.json`` and (``report``) ``out/report.html``.

    All are rendered before any is written (see :func:`run_analysis` for the options); the
    report shows the wording of the bank the responses were analysed with (none in spec mode).
    ``scores``: also write the factor scores of the measurement model to that CSV file (see
    :mod:`coprod.analysis.run.latent_scores`), one row per respondent.
    Both, and the warnings returned, are the published result: groups under ``min_cell`` and what
    would give them away are suppressed (:func:`published_analysis`, docs/privacy.md), so the
    results.json that ``coprod report`` reads again is the suppressed one too.
    """
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
        raise ValueError(f"min_cell must be a positive integer, got {min_cell!r}")
    bank = None if spec is not None else as_bank(bank)
    raw, table = _analyse(path, spec=spec, bank=bank, keep_flagged=keep_flagged, progress=progress,
                          bootstrap=bootstrap, seed=seed, missing=missing, codebook=codebook, wave=wave,
                          limits=limits, groups=groups, estimator=estimator, cluster=cluster)
    result = published_analysis(raw, table, bank=bank, min_cell=min_cell)
    texts = {Path(out) / "results.json": results_json(result)}
    if report:
        texts[Path(out) / "report.html"] = study_report.render_study_report(result, bank=bank, lang=lang,
                                                                            min_cell=min_cell)
    if scores is not None:
        scores_table = _scores_table(path, spec=spec, bank=bank, keep_flagged=keep_flagged, codebook=codebook,
                              wave=wave, limits=limits, groups=groups,
                              missing=missing or str(result.meta.get("missing") or "listwise"),
                              method=score_method)
        texts[Path(scores)] = scores_table.to_csv(index=False, lineterminator="\n")
    files = tuple(write_files(texts))
    return RunOutput(files=files, warnings=result.warnings + result.errors, result=result)


def _scores_table(path: Path, *, spec, bank, keep_flagged: bool, codebook, wave, limits: Limits, groups,
                  missing: str, method: str) -> pd.DataFrame:
    """The factor scores of :func:`analyze_file`'s analysis; the input is read again (the
    analysis keeps no respondent-level table)."""
    if spec is not None:
        table, _ = _read_table(_existing(path), limits)
        return spec_factor_scores(table, spec if isinstance(spec, AnalysisSpec) else load_spec(spec), method=method)
    rd, _ = read_input(_existing(path), bank=bank, codebook=codebook, wave=wave, limits=limits, groups=groups)
    return instrument_factor_scores(rd, bank=bank, keep_flagged=keep_flagged, missing=missing, method=method)


def report_file(results: Path, *, out: Path, lang: str = "en", bank=None,
                min_cell: int = 5, tables: str | None = None, pdf: bool = False) -> RunOutput:
    """Render the study report of a results.json written by :func:`analyze_file` again (another
    language, another threshold) without analysing anything; writes ``out`` atomically.

    ``tables="xlsx"`` also writes every table of the report to ``<out>.xlsx`` (a sheet per table),
    ``"csv"`` to ``<out>-tables/<table>.csv``; ``pdf`` prints the report to ``<out>.pdf`` with
    headless Chromium (an error, before anything is written, when Chromium is not installed).

    The wording comes from ``bank`` (the shipped bank by default) for an instrument analysis, none
    for a spec analysis. A warning is returned when the bank is not the version the results were
    computed with.

    Raises
    ------
    UnreadableFileError
        When ``results`` is not readable JSON, or not the results.json of ``coprod analyze``
        (a comparison's results.json, say).
    """
    results = _existing(results)
    try:
        result = AnalysisResult.from_dict(json.loads(results.read_text(encoding="utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise UnreadableFileError(f"{results}: not the results.json of coprod analyze ({exc})") from None
    except RecursionError:
        raise UnreadableFileError(f"{results}: not the results.json of coprod analyze (nested too "
                                  "deeply)") from None
    warnings: list[str] = []
    if result.meta.get("mode") == "instrument":
        bank = as_bank(bank)
        used = result.meta.get("instrument_version")
        if used and used != bank.version:
            warnings.append(f"the results were computed with instrument version {used}; the report's "
                            f"wording is from version {bank.version}")
    else:
        bank = None
    if pdf and not browser.chromium_available():
        raise ReportExportError("--pdf needs headless Chromium, which is not installed (Debian: apt-get install "
                                "chromium); nothing was written. The HTML report prints to PDF from any browser.")
    out = Path(out)
    view = study_report.build_context(result, bank=bank, lang=lang, min_cell=min_cell)
    texts: dict[Path, str | bytes] = {out: study_report.render_view(view, lang=lang)}
    if tables is not None:
        texts.update(_table_files(study_tables(view), tables, out))
    files = tuple(write_files(texts))
    if pdf:
        files += (_print_pdf(out),)
    return RunOutput(files=files, warnings=tuple(warnings), result=result)


class ReportExportError(CoprodError, ValueError):
    """An export of the report that cannot be made here (no Chromium for --pdf, an unknown format)."""


def _table_files(tables, fmt: str, out: Path) -> dict[Path, str | bytes]:
    if fmt == "xlsx":
        return {out.with_suffix(".xlsx"): tables_xlsx(tables)}
    if fmt == "csv":
        folder = out.with_name(out.stem + "-tables")
        return {folder / name: text for name, text in tables_csv(tables).items()}
    raise ReportExportError(f"--tables must be one of {', '.join(TABLE_FORMATS)}, not {fmt!r}")


def _print_pdf(html: Path) -> Path:
    """``html`` printed to ``html.pdf`` (via a temporary file, so a failed print leaves no PDF)."""
    target = html.with_suffix(".pdf")
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        browser.render_pdf(html, tmp)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def compare_file(path: Path, *, by: str, out: Path, min_cell: int = 5, lang: str = "en",
                 bank=None, keep_flagged: bool = False, progress: Progress | None = None,
                 wave: str | None = None, limits: Limits = DEFAULT_LIMITS, groups: Any = None,
                 min_analytic: int = 50, benchmark: bool = False, missing: str = "listwise",
                 waves: tuple[str, str] | None = None) -> CompareOutput:
    """Read a response file (or a study folder, of one ``wave`` or all), compare the groups ``by``
    a column and write the reports to ``out``.

    Writes ``index.html``, one ``group-<slug>.html`` per group and the published ``results.json``
    (small groups suppressed, see :mod:`coprod.reports.compare`).

    A study with invited counts (``coprod study invited``) adds response rates per group. With
    ``waves=(A, B)`` -- or without ``wave``/``waves`` when the study holds two waves or more
    (the last two) -- the groups of wave B are compared, and the change from A to B is shown per
    group, gated by invariance across the waves (:mod:`coprod.analysis.run.waves`).
    """
    path = _existing(path)
    bank = as_bank(bank)
    notes: list[str] = []
    if waves is not None and wave is not None:
        raise CoprodError("give --wave (one wave) or --waves (change between two), not both")
    if waves is not None and not is_study(path):
        raise CoprodError(f"{path}: --waves is for a study folder (coprod study init), not a response file")
    if is_study(path) and wave is None:
        waves = _study_waves(path, waves, notes)
    main_wave = waves[1] if waves else wave
    data, meta = read_input(path, bank=bank, wave=main_wave, limits=limits, groups=groups)
    table = data.analysis_table(keep_flagged=keep_flagged)
    result = compare_groups(table, by, bank=bank, progress=progress, min_group_for_model=min_analytic,
                            missing=missing)
    rates = change = None
    if is_study(path):
        with open_study(path) as st:
            invited = st.invited()
        rates = response_rates(table, by, invited, wave=main_wave)
    if waves:
        before, _ = read_input(path, bank=bank, wave=waves[0], limits=limits)
        change = compare_waves([before.analysis_table(keep_flagged=keep_flagged), table], waves, by, bank=bank,
                               min_group=min_analytic)
        meta["waves"] = list(waves)
    meta = {**meta, "keep_flagged": keep_flagged}
    files = write_comparison(result, Path(out), bank=bank, min_cell=min_cell, lang=lang, meta=meta,
                             benchmark=benchmark, rates=rates, change=change)
    hidden = compare_report.hidden_groups(result, min_cell)
    warnings = notes + list(scrub_warnings(result.warnings, {by: hidden}))
    if hidden:
        warnings.append(f"{len(hidden)} group(s) suppressed for privacy (min. n = {min_cell})")
    return CompareOutput(files=tuple(files), warnings=tuple(warnings))


def _wave_key(w: str) -> tuple:
    """Waves in time order: numerically when they are numbers (2026 < 2027, 9 < 10)."""
    return (0, int(w), w) if str(w).isdigit() else (1, 0, str(w))


def _study_waves(path: Path, waves: tuple[str, str] | None, notes: list[str]) -> tuple[str, str] | None:
    """The two waves to compare: those asked for (checked to be in the study), or the last two."""
    with open_study(path) as st:
        have = sorted({str(w) for w in st.active_imports()["wave"]}, key=_wave_key)
    if waves is not None:
        unknown = [w for w in waves if w not in have]
        if unknown:
            raise CoprodError(f"{path}: no wave {', '.join(unknown)} (the study's waves: {', '.join(have) or 'none'})")
        return waves
    if len(have) < 2:
        return None
    if len(have) > 2:
        notes.append(f"the study holds waves {', '.join(have)}: wave {have[-1]} is compared with wave "
                     f"{have[-2]}; choose others with --waves A,B, or one wave with --wave")
    return have[-2], have[-1]


def write_comparison(result, out_dir: Path, *, bank, min_cell: int = 5, lang: str = "en",
                     meta: dict | None = None, benchmark: bool = False, rates=None, change=None) -> list[Path]:
    """Render the comparison of ``result`` (``index.html``, the group pages, ``results.json``) and
    write it into ``out_dir``: everything is rendered first, then written at once, each file
    atomically; stale ``group-*.html`` pages of an earlier run there are removed.

    ``bank`` (a ``Bank``, a bank folder, or ``None`` for the shipped bank) is the one the groups
    were compared with: its wording names the groups and constructs."""
    files = compare_report.build_comparison(result, bank=as_bank(bank), min_cell=min_cell, lang=lang, meta=meta,
                                            benchmark=benchmark, rates=rates, change=change)
    out_dir = Path(out_dir)
    write_files({out_dir / name: text for name, text in files.items()})
    for old in [*out_dir.glob("group-*.html"), *out_dir.glob("benchmark-*.html")]:
        if old.name not in files:
            old.unlink(missing_ok=True)
    order = (["index.html"] + sorted(n for n in files if n.startswith("group-"))
             + sorted(n for n in files if n.startswith("benchmark-")) + ["results.json"])
    return [out_dir / n for n in order if n in files]


def write_study_report(result, path: Path, *, bank, lang: str = "en", min_cell: int = 5) -> Path:
    """Render the study report of ``result`` and write it to ``path`` atomically.

    ``bank``: the ``Bank`` the result was analysed with, or ``None`` for a spec-mode result.
    """
    html = study_report.render_study_report(result, bank=bank, lang=lang, min_cell=min_cell)
    return write_files({Path(path): html})[0]


# ------------------------------------------------------------------------------ the demo
def run_demo(out: Path, *, n: int = 1200, seed: int = 2021, lang: str = "en", bank=None,
             progress: Progress | None = None, quiet: bool = True) -> DemoOutput:
    """The whole toolkit on simulated data: simulate a multi-municipality study, write it as a
    KoboToolbox export (so a platform reader is exercised too), analyse it, and write the study
    report, the comparison by service area and the printable questionnaire with its codebook,
    all from one ``bank`` (a ``Bank`` or folder; the shipped bank by default).

    Examples
    --------
    >>> run_demo(Path("demo-out"), n=600)  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    out = Path(out)
    bank = as_bank(bank)
    steps = [0]

    def step() -> None:
        steps[0] += 1
        if progress:
            progress(steps[0], 4)

    data = out / "data" / "kobo_export.csv"
    write_simulated(simulate(n, seed=seed, bank=bank), data, "kobo", bank=bank)
    step()
    for fmt, name in (("html", "questionnaire.html"), ("codebook", "codebook.json")):
        write_export(export(bank, fmt, lang=lang), out / "instrument" / name)
    step()
    run = analyze_file(data, out=out / "study", lang=lang, bank=bank)
    step()
    cmp = compare_file(data, by="service_area", out=out / "by_service_area", lang=lang, bank=bank)
    step()
    report = next(p for p in run.files if p.name == "report.html")
    index = next((p for p in cmp.files if p.name == "index.html"), cmp.files[0])
    files = (report, index, out / "study" / "results.json", out / "instrument" / "questionnaire.html")
    return DemoOutput(files=files, seconds=time.perf_counter() - t0,
                      warnings=tuple(run.warnings) + tuple(cmp.warnings))
