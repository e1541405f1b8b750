"""Map a raw file onto the canonical table and check every rule on the way.

Every problem is collected (never just the first): unknown and missing columns, values outside
the scale, unknown labels or categories, choices not offered to the respondent's sector, items
answered that the respondent's sector is not asked, missing sector, missing and duplicated
respondent ids, totals rows, a different instrument version. The report ``coprod validate``
prints is :class:`~analysis.responses.report.ValidationReport`; which rows are respondents is
:mod:`.rows`.
"""
from __future__ import annotations

import difflib
from typing import Any, Mapping

import numpy as np
import pandas as pd

from coprod.instrument.generator import LANGUAGE_NAMES
from coprod.instrument.model import SECTORS, Bank
from coprod.instrument.platforms.base import Field, Headers, Platform, RawTable

from .canonical import DURATION, ID, ResponseData, Schema, schema_for
from .decode import Decoded, decode, norm_label, text_codebook, to_floats
from .groups import merge_spellings
from .problems import Collector, ResponseProblem, problem, show
from .rows import drop_rows

__all__ = ["to_canonical"]


def _classify_columns(raw: RawTable, plat: Platform, c: Collector, bank_id: str,
                      strict_columns: bool = False):
    """Which file column is which field; unknown, duplicated and missing columns reported."""
    unknown: list[str] = []
    fields: list[tuple[int, Field]] = []
    special: dict[str, int] = {}
    seen: dict[str, int] = {}
    frame = raw.frame
    resolved = plat.resolve(raw.header, raw.header_texts)
    _say_mapping(c, resolved)
    for j, (name, as_name) in enumerate(zip(raw.header, resolved.names)):
        if not name or name.startswith("Unnamed: "):
            if frame[j].notna().any():
                c.add("unknown_column", f"column {j + 1} has no header but holds data",
                      column=f"#{j + 1}")
            continue
        key = plat.key(as_name)
        if key in seen:
            c.add("duplicate_column", f"the column appears twice (columns {seen[key] + 1} and "
                  f"{j + 1}); the second one was ignored", column=name)
            continue
        seen[key] = j
        f = plat.field_for(as_name)
        if f is not None:
            fields.append((j, f))
        elif plat.consent is not None and key == plat.consent.column:
            special["consent"] = j
        elif plat.version_column is not None and key == plat.version_column:
            special["version"] = j
        elif as_name in plat.id_columns or key in plat.id_columns:
            special.setdefault("id:" + (as_name if as_name in plat.id_columns else key), j)
        elif plat.is_system(as_name):
            special.setdefault("sys:" + as_name, j)
            special.setdefault("sys:" + key, j)
        else:
            unknown.append(name)
    if raw.header_texts is not None:
        fields = _match_row_texts(raw, plat, fields, c)
    present = {f.column for _, f in fields}
    missing = [f for f in plat.fields if f.column not in present]
    if missing:
        by_sector: dict[str, list[Field]] = {}
        for f in plat.fields:
            if len(f.sectors) == 1:
                by_sector.setdefault(f.sectors[0], []).append(f)
        whole = [s for s, fs in by_sector.items()
                 if all(f.column not in present for f in fs)
                 and any(f.column in present for s2, fs2 in by_sector.items() if s2 != s for f in fs2)]
        for s in whole:
            c.warn("sector_form", f"the file has no columns for {s} respondents (a form for "
                   "one sector only); their questions are read as not asked")
        missing = [f for f in missing if not (len(f.sectors) == 1 and f.sectors[0] in whole)]
        for f in missing:
            c.add("missing_column", f"column {f.column} ({f.target}) is missing", column=f.column)
    _unknown_columns(c, unknown, [f.column for f in missing], plat, bank_id, strict_columns)
    how = ("names" if resolved.lang is None and not resolved.n_ids else
           "ImportIds and question texts" if resolved.from_texts or resolved.n_ids else
           f"labels ({_language(resolved.lang)})")
    return fields, special, how


def _unknown_columns(c: Collector, unknown: list[str], missing: list[str], plat: Platform,
                     bank_id: str, strict: bool) -> None:
    """Columns that are neither fields nor platform columns. One that looks like a missing
    column (renamed by hand) is a problem with a suggestion; the others are the user's own
    (a municipality's extra question): kept aside with one warning, or problems when
    ``strict``."""
    what = f"not a column of instrument {bank_id} in a {plat.label} file"
    by_fold = {m.casefold(): m for m in missing}
    custom = []
    for name in unknown:
        close = difflib.get_close_matches(plat.key(name).casefold(), list(by_fold), n=1, cutoff=0.8)
        if close:
            m = by_fold[close[0]]
            c.add("unknown_column", f"unknown column ({what}); did you mean {m}? (column {m} is "
                  "missing)", column=name)
        elif strict:
            c.add("unknown_column", f"unknown column ({what})", column=name)
        else:
            custom.append(name)
    if custom:
        shown = ", ".join(custom[:12]) + (f" and {len(custom) - 12} more" if len(custom) > 12 else "")
        c.warn("unknown_column", f"{len(custom)} column(s) that are not part of instrument {bank_id} "
               f"were kept aside, not read: {shown} (validate --strict reports them as problems)")


def _say_mapping(c: Collector, r: Headers) -> None:
    """Say how columns that are not the form's names were read (label headers, Qualtrics'
    default export tags through their ImportId or question text)."""
    if r.from_texts or r.n_ids:
        how = [f"{r.n_ids} by their ImportId (header row 3)"] if r.n_ids else []
        if r.n_labels:
            how.append(f"{r.n_labels} by their question text in {_language(r.lang)} (header row 2)")
        c.warn("default_tags", "the question columns are not named with the form's export tags "
               "(Qualtrics' defaults such as Q1, Q13_1?); they were matched to the form's "
               "questions: " + ", ".join(how))
    elif r.lang is not None:
        c.warn("label_headers", f"the headers are question labels in {_language(r.lang)} "
               f"({r.n_labels} column(s) matched to the form's fields by their label)")


def _language(lang: str) -> str:
    """``English (en)`` as it stands; a bare code with its name (``da`` -> ``Danish (da)``)."""
    return f"{LANGUAGE_NAMES[lang]} ({lang})" if lang in LANGUAGE_NAMES else lang


def _match_row_texts(raw: RawTable, plat: Platform, fields: list[tuple[int, Field]],
                     c: Collector) -> list[tuple[int, Field]]:
    """Qualtrics numbers matrix columns by row position, so a form fielded in another order
    (built with ``--seed``, or rows moved by hand) would put answers under the wrong item. Its
    second header row holds ``question text - item text``: check each column's item text and,
    when it is the text of another row of the same matrix, read the column as that item."""
    by_text: dict[tuple[str, str], Field] = {}
    for f in plat.fields:
        for t in f.texts:
            by_text[(f.column.rpartition("_")[0], t)] = f
    out: list[tuple[int, Field]] = []
    moved = []
    for j, f in fields:
        cell = raw.header_texts[j] if j < len(raw.header_texts) else ""
        if not f.texts or not cell.strip():
            out.append((j, f))
            continue
        text = norm_label(cell)
        if any(text == t or text.endswith(" - " + t) for t in f.texts):
            out.append((j, f))
            continue
        tag = f.column.rpartition("_")[0]
        other = next((g for (tg, t), g in by_text.items()
                      if tg == tag and (text == t or text.endswith(" - " + t))), None)
        if other is not None:
            out.append((j, Field(f.column, other.target, other.sectors, other.codebook,
                                 other.store, other.texts)))
            moved.append(f.column)
        else:
            c.warn("column_text", f"the question text {cell[:60]!r} is not the text of "
                   f"{f.target}; the column was read as {f.target} by its position", column=f.column)
            out.append((j, f))
    if moved:
        c.warn("column_text", f"{len(moved)} matrix column(s) ({', '.join(moved[:4])}"
               + (" ..." if len(moved) > 4 else "") + ") were matched to items by their question "
               "text: the form asks them in another order than the codebook (built with --seed?)")
    return out


def _id_column(plat: Platform, special: dict[str, int]) -> tuple[str | None, int | None]:
    for name in plat.id_columns:
        j = special.get("id:" + name)
        if j is not None:
            return name, j
    return None, None


def _duration(plat: Platform, frame: pd.DataFrame, special: dict[str, int]) -> np.ndarray | None:
    """Seconds taken: the platform's seconds column, else the span between its two timestamps."""
    def col(name: str) -> pd.Series | None:
        j = special.get("sys:" + name)
        return frame[j] if j is not None else None

    def seconds(s: pd.Series | None) -> np.ndarray | None:
        if s is None:
            return None
        x = to_floats(s)
        return np.where(x >= 0, x, np.nan) if np.isfinite(x).any() else None

    def between(a: pd.Series | None, b: pd.Series | None) -> np.ndarray | None:
        if a is None or b is None:
            return None
        t0 = pd.to_datetime(a, errors="coerce", utc=True, format="mixed")
        t1 = pd.to_datetime(b, errors="coerce", utc=True, format="mixed")
        d = (t1 - t0).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan)
        return np.where(d >= 0, d, np.nan) if np.isfinite(d).any() else None

    d = seconds(col(plat.duration_seconds)) if plat.duration_seconds is not None else None
    if d is None and plat.duration_span is not None:
        d = between(col(plat.duration_span[0]), col(plat.duration_span[1]))
    return d


def _show_sectors(sectors: tuple[str, ...]) -> str:
    return " and ".join(sectors)


def to_canonical(raw: RawTable, plat: Platform, bank: Bank, *, strict_columns: bool = False,
                 groups: Mapping[str, str] | None = None) -> ResponseData:
    """Build the canonical table from ``raw`` read as platform ``plat``; collect every problem.

    Bad cells become missing; rows that are not respondents (blank rows, Qualtrics previews,
    respondents who declined consent, totals rows) are left out and counted. The steps: which
    column is which field, which rows are respondents, decode every field, the respondents'
    sectors, the canonical columns, then the checks of ids and instrument version. Columns
    that are not the instrument's are kept aside with one warning, or are problems with
    ``strict_columns``. Free-text group names (the municipality) are written one way per group
    (:mod:`.groups`; ``groups`` maps spellings explicitly), every merge a warning.
    """
    schema = schema_for(bank)
    c = Collector(raw)
    fields, special, header_how = _classify_columns(raw, plat, c, bank.id, strict_columns)
    id_name, id_j = _id_column(plat, special)
    if id_j is None:
        c.add("missing_column", f"no respondent id column ({' or '.join(plat.id_columns)}); "
              "row numbers are used as ids", column=plat.id_columns[0])
    frame = raw.frame
    keep, dropped = drop_rows(raw, plat, bank, c, frame, fields, special, id_j)
    if not keep.all():
        frame = frame.loc[keep]
        c.rows = raw.rows[keep]
    n = len(frame)
    if n == 0:
        c.add("no_rows", "no respondents: the file has a header but no data rows")
    decoded = _decode_fields(raw, frame, fields, c)
    by_target: dict[str, list[tuple[int, Field, Decoded]]] = {}
    for entry in decoded:
        by_target.setdefault(entry[1].target, []).append(entry)
    sidx = _sector_index(raw, by_target, n, c)
    ids = (decode(frame[id_j], text_codebook()).values if id_j is not None
           else np.array([str(r) for r in c.rows], dtype=object))
    out, dk_cols = _canonical_columns(raw, schema, frame, by_target, sidx, c)
    _group_spellings(raw, schema, out, by_target, c, groups)
    out = {ID: ids, **out}
    dur = _duration(plat, frame, special)
    out[DURATION] = dur if dur is not None else np.full(n, np.nan)
    index = pd.Index(c.rows, name="row")
    table = _frame(schema, out, index)
    dk_block = np.vstack(dk_cols) if dk_cols else np.zeros((0, n), dtype=bool)
    dont_know = pd.DataFrame(dk_block.T, columns=schema.coded, index=index, copy=False)
    if id_j is not None:
        _check_ids(c, ids, frame[id_j], id_name)
    version = _check_version(c, raw, frame, special, bank)
    source = {
        "file": raw.file, "sha256": raw.sha256, "platform": plat.name, "container": raw.container,
        "encoding": raw.encoding, "delimiter": raw.delimiter, "header_row": raw.header_row,
        "instrument_version": version, "bank_version": bank.version, "n_rows_file": len(raw.frame),
        "n_respondents": n, "dropped": dropped, "values": _value_kind(decoded),
        "headers": header_how,
    }
    return ResponseData(table=table, dont_know=dont_know, source=source,
                        problems=_in_file_order(c.problems, raw.header), warnings=tuple(c.warnings))


def _group_spellings(raw: RawTable, schema: Schema, out: dict[str, Any],
                     by_target: dict[str, list[tuple[int, Field, Decoded]]], c: Collector,
                     groups: Mapping[str, str] | None) -> None:
    """One spelling per municipality (every free-text context column); each merge reported."""
    for col in schema.context:
        if col.kind != "text" or col.name not in out or not by_target.get(col.name):
            continue
        out[col.name], merges = merge_spellings(out[col.name], explicit=groups)
        header = raw.header[by_target[col.name][0][0]]
        for m in merges:
            c.warn("group_spelling", str(m), column=header, value=m.spelling)


def _in_file_order(problems: list[ResponseProblem], header: list[str]) -> tuple[ResponseProblem, ...]:
    """File-level problems first, then by row and by column as the file has them."""
    order = {name: k for k, name in enumerate(header)}
    key = (lambda p: (p.row is not None, p.row or 0,
                      -1 if p.column is None else order.get(p.column, len(order))))
    return tuple(sorted(problems, key=key))


def _decode_fields(raw: RawTable, frame: pd.DataFrame, fields: list[tuple[int, Field]],
                   c: Collector) -> list[tuple[int, Field, Decoded]]:
    """Every field's column decoded through its codebook; bad cells reported."""
    decoded: list[tuple[int, Field, Decoded]] = []
    for j, f in fields:
        name = raw.header[j]
        series = frame[j]
        if name in raw.value_labels and f.codebook.kind == "choice":
            series = _by_value_labels(series, raw.value_labels[name], f)
        d = decode(series, f.codebook)
        for bad in d.bad:
            c.cells(bad.positions, name, bad.values, bad.rule, bad.messages)
        if d.n_codes and d.n_labels:
            c.warn("mixed_codes_labels", f"the column mixes codes and labels; {d.n_labels} "
                   "label(s) were read as their codes", column=name)
        decoded.append((j, f, d))
    return decoded


def _sector_index(raw: RawTable, by_target: dict[str, list[tuple[int, Field, Decoded]]], n: int,
                  c: Collector) -> np.ndarray:
    """Each respondent's sector as its index in ``SECTORS`` (-1: missing, reported)."""
    sidx = np.full(n, -1, dtype=np.int8)
    if by_target.get("sector"):
        j_sec, _, d_sec = by_target["sector"][0]
        for k, u in enumerate(d_sec.categories):
            if u in SECTORS:
                sidx[d_sec.cat == k] = SECTORS.index(u)
        bad_pos = {int(p) for b in d_sec.bad for p in b.positions}
        for p in np.flatnonzero(sidx < 0):
            if int(p) not in bad_pos:
                c.add("missing_sector", "sector is missing, so the answers to sector-specific "
                      "questions cannot be assigned", row=int(c.rows[p]), column=raw.header[j_sec])
    return sidx


def _canonical_columns(raw: RawTable, schema: Schema, frame: pd.DataFrame,
                       by_target: dict[str, list[tuple[int, Field, Decoded]]], sidx: np.ndarray,
                       c: Collector) -> tuple[dict[str, Any], list[np.ndarray]]:
    """The values of every canonical column but the id and duration (don't know missing), and
    the don't-know masks of the coded ones."""
    out: dict[str, Any] = {}
    dk_cols: list[np.ndarray] = []
    for col in schema.columns:
        if col.kind in ("id", "duration"):
            continue
        vals = _column_values(raw, col, frame, by_target.get(col.name, []), sidx, c)
        if col.coded:
            dk = vals == col.scale.dont_know
            dk_cols.append(dk)
            if dk.any():
                vals = np.where(dk, np.nan, vals)
        out[col.name] = vals
    return out, dk_cols


def _column_values(raw: RawTable, col, frame: pd.DataFrame,
                   flds: list[tuple[int, Field, Decoded]], sidx: np.ndarray,
                   c: Collector) -> np.ndarray:
    """One canonical column from its fields: one asked of everyone, or one per sector (answers
    from a sector the field is not asked of are reported, not taken)."""
    rows = c.rows
    choice = col.kind == "select_one" and col.name != "sector"
    if len(flds) == 1 and set(flds[0][1].sectors) >= set(SECTORS):
        j, f, d = flds[0]
        vals = d.values
        if choice:
            vals = vals.copy()
            _check_choice_sectors(c, col, vals, d, d.present, sidx, frame[j], raw.header[j], rows)
        return vals
    n = len(frame)
    vals = np.full(n, np.nan) if col.dtype != "str" else np.full(n, None, dtype=object)
    known = sidx >= 0
    for j, f, d in flds:
        present = d.present
        if set(f.sectors) >= set(SECTORS):
            take = present
        else:
            ks = [SECTORS.index(s) for s in f.sectors]
            applicable = sidx == ks[0] if len(ks) == 1 else np.isin(sidx, ks)
            wrong = present & ~applicable & known
            if wrong.any():
                _not_applicable(c, wrong, frame[j], raw.header[j], f, sidx, rows)
            take = present & applicable
        np.copyto(vals, d.values, where=take)
        if choice:
            _check_choice_sectors(c, col, vals, d, take, sidx, frame[j], raw.header[j], rows)
    return vals


def _check_ids(c: Collector, ids: np.ndarray, rawid: pd.Series, id_name: str | None) -> None:
    """Empty and duplicated respondent ids."""
    rows = c.rows
    idser = pd.Series(ids)
    empty = idser.isna().to_numpy()
    # numbers hash much faster than their text; same duplicates either way
    key = rawid if pd.api.types.is_integer_dtype(rawid.dtype) else idser
    for p in np.flatnonzero(empty):
        c.add("missing_id", "the respondent id is empty", row=int(rows[p]), column=id_name)
    dup = key.duplicated(keep="first").to_numpy() & ~empty
    if dup.any():
        firsts = ~empty & ~dup
        first_row = dict(zip(idser[firsts].tolist(), rows[firsts].tolist()))
        for p in np.flatnonzero(dup):
            c.add("duplicate_id", f"respondent id {ids[p]!r} is also on row {first_row[ids[p]]}",
                  row=int(rows[p]), column=id_name, value=ids[p])


def _by_value_labels(series: pd.Series, labels: dict, f: Field) -> pd.Series:
    """SPSS/Stata: read a coded choice column through its value labels when every label names a
    choice (the file's codes may differ from the bank's); otherwise keep the codes."""
    used = pd.unique(series.dropna())
    mapping = {}
    for v in used:
        lab = labels.get(v, labels.get(float(v)) if isinstance(v, (int, float)) else None)
        if lab is None or norm_label(lab) not in f.codebook.labels:
            return series
        mapping[v] = lab
    return series.map(mapping)


def _frame(schema, out: dict[str, Any], index: pd.Index) -> pd.DataFrame:
    """The canonical table: numeric columns in one contiguous block (each column contiguous),
    text columns inserted at their places; no copy of the block."""
    names = schema.names
    num = [k for k in names if schema.by_name[k].dtype != "str"]
    block = np.empty((len(num), len(index)))
    for i, k in enumerate(num):
        block[i] = out[k]
    table = pd.DataFrame(block.T, columns=num, index=index, copy=False)
    for k in names:
        if schema.by_name[k].dtype == "str":
            table.insert(names.index(k), k, pd.array(out[k], dtype="str"))
    return table


def _not_applicable(c: Collector, wrong: np.ndarray, raw_series: pd.Series, name: str, f: Field,
                    sidx: np.ndarray, rows: np.ndarray) -> None:
    pos = np.flatnonzero(wrong)
    raw_vals = raw_series.to_numpy()[pos].tolist()
    c.cells(pos, name, raw_vals, "not_applicable",
            [f"value {show(rv)} answered, but {name} is asked of {_show_sectors(f.sectors)} "
             f"respondents only (this respondent is {SECTORS[sidx[p]]})"
             for p, rv in zip(pos, raw_vals)])


def _check_version(c: Collector, raw: RawTable, frame: pd.DataFrame, special: dict[str, int],
                   bank: Bank):
    if "version" not in special:
        return None
    col = raw.header[special["version"]]
    vs = sorted({str(v).strip() for v in pd.unique(frame[special["version"]].dropna())
                 if str(v).strip()})
    for v in vs:
        if v == bank.version:
            continue
        msg = (f"the file was collected with instrument version {v}, but the item bank is "
               f"version {bank.version}")
        if v.split("+")[0] != bank.base_version:
            c.add("version_mismatch", msg + "; check that items and codes still match",
                  column=col, value=v)
        else:
            c.warn("version_mismatch", msg + " (same base version, edited texts)", column=col, value=v)
    return vs[0] if len(vs) == 1 else (vs or None)


def _value_kind(decoded: list[tuple[int, Field, Decoded]]) -> str:
    codes = sum(d.n_codes for _, f, d in decoded if f.codebook.kind in ("scale", "choice"))
    labels = sum(d.n_labels for _, f, d in decoded)
    return "labels" if labels and not codes else ("mixed" if labels else "codes")


def _check_choice_sectors(c: Collector, col, vals: np.ndarray, d: Decoded, take: np.ndarray,
                          sidx: np.ndarray, raw_series: pd.Series, name: str, rows: np.ndarray) -> None:
    """A choice offered to the other sector only (``role = manager`` for a volunteer)."""
    restricted = {ch.name: ch for ch in col.choices if set(ch.sectors) != set(SECTORS)}
    if not restricted or d.cat is None:
        return
    codes = d.cat
    for k, u in enumerate(d.categories):
        ch = restricted.get(u)
        if ch is None:
            continue
        allowed = [SECTORS.index(s) for s in ch.sectors]
        wrong = take & (codes == k) & (sidx >= 0) & ~np.isin(sidx, allowed)
        if not wrong.any():
            continue
        pos = np.flatnonzero(wrong)
        raw_vals = raw_series.to_numpy()[pos].tolist()
        for p, rv in zip(pos, raw_vals):
            s = SECTORS[sidx[p]]
            offered = ", ".join(x.name for x in col.choices if s in x.sectors)
            c.problems.append(problem(
                c.file, "category_not_for_sector",
                f"{ch.name!r} is not offered to {s} respondents (choices for {s}: {offered})",
                row=int(rows[p]), column=name, value=rv))
        vals[pos] = None
