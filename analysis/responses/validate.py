"""Map a raw file onto the canonical table and check every rule on the way.

Every problem is collected (never just the first): unknown and missing columns, values outside
the scale, unknown labels or categories, choices not offered to the respondent's sector, items
answered that the respondent's sector is not asked, missing sector, missing and duplicated
respondent ids, totals rows, a different instrument version. The report ``coprod validate``
prints is :class:`~analysis.responses.report.ValidationReport`.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from coprod.instrument.model import SECTORS, Bank

from .canonical import DURATION, ID, ResponseData, schema_for
from .decode import Decoded, decode, text_codebook
from .platforms import Field, Platform
from .problems import ResponseProblem, problem
from .readers import RawTable

__all__ = ["to_canonical"]

#: first-cell texts of a totals/summary row (English and Danish spreadsheet habits)
TOTAL_WORDS = frozenset({"total", "totals", "total:", "sum", "sum:", "i alt", "i alt:", "ialt",
                         "average", "mean", "gennemsnit", "samlet", "sum total", "grand total",
                         "count", "antal", "in all", "all"})
#: Qualtrics ``Status`` values that are not real responses (text and numeric exports)
QUALTRICS_NOT_RESPONSES = {"survey preview": "preview", "survey test": "test", "spam": "spam",
                           "preview spam": "spam", "imported spam": "spam",
                           "offline survey preview": "preview",
                           1: "preview", 2: "test", 8: "spam", 9: "spam", 12: "spam", 17: "preview"}


class _Collector:
    def __init__(self, raw: RawTable):
        self.raw = raw
        self.file = raw.file
        self.problems: list[ResponseProblem] = list(raw.problems)
        self.warnings: list[ResponseProblem] = list(raw.warnings)
        self.rows = raw.rows

    def add(self, rule: str, message: str, **kw: Any) -> None:
        self.problems.append(problem(self.file, rule, message, **kw))

    def warn(self, rule: str, message: str, **kw: Any) -> None:
        self.warnings.append(problem(self.file, rule, message, severity="warning", **kw))

    def cells(self, positions: np.ndarray, column: str, values: list, rule: str,
              messages: list[str]) -> None:
        rows = self.rows[positions]
        for r, v, m in zip(rows.tolist(), values, messages):
            self.problems.append(problem(self.file, rule, m, row=int(r), column=column, value=v))


def _classify_columns(raw: RawTable, plat: Platform, c: _Collector, bank_id: str):
    """Which file column is which field; unknown, duplicated and missing columns reported."""
    fields: list[tuple[int, Field]] = []
    special: dict[str, int] = {}
    seen: dict[str, int] = {}
    frame = raw.frame
    for j, name in enumerate(raw.header):
        if not name or name.startswith("Unnamed: "):
            if frame[j].notna().any():
                c.add("unknown_column", f"column {j + 1} has no header but holds data",
                      column=f"#{j + 1}")
            continue
        key = plat.key(name)
        if key in seen:
            c.add("duplicate_column", f"the column appears twice (columns {seen[key] + 1} and "
                  f"{j + 1}); the second one was ignored", column=name)
            continue
        seen[key] = j
        f = plat.field_for(name)
        if f is not None:
            fields.append((j, f))
        elif plat.consent is not None and key == plat.consent.column:
            special["consent"] = j
        elif plat.version_column is not None and key == plat.version_column:
            special["version"] = j
        elif name in plat.id_columns or key in plat.id_columns:
            special.setdefault("id:" + (name if name in plat.id_columns else key), j)
        elif plat.is_system(name):
            special.setdefault("sys:" + name, j)
            special.setdefault("sys:" + key, j)
        else:
            c.add("unknown_column", f"unknown column (not a column of instrument {bank_id} in a "
                  f"{plat.label} file)", column=name)
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
        for f in missing:
            if len(f.sectors) == 1 and f.sectors[0] in whole:
                continue
            c.add("missing_column", f"column {f.column} ({f.target}) is missing", column=f.column)
    return fields, special


def _match_row_texts(raw: RawTable, plat: Platform, fields: list[tuple[int, Field]],
                     c: _Collector) -> list[tuple[int, Field]]:
    """Qualtrics numbers matrix columns by row position, so a form fielded in another order
    (built with ``--seed``, or rows moved by hand) would put answers under the wrong item. Its
    second header row holds ``question text - item text``: check each column's item text and,
    when it is the text of another row of the same matrix, read the column as that item."""
    from .decode import norm_label

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


def _summary_rows(frame: pd.DataFrame, cols: list[int]) -> np.ndarray:
    """Rows whose first cell or id says Total/Sum/I alt..."""
    mask = np.zeros(len(frame), dtype=bool)
    for j in dict.fromkeys(cols):
        s = frame[j]
        if pd.api.types.is_numeric_dtype(s.dtype):
            continue
        norm = s.astype("str").str.strip().str.casefold()
        mask |= norm.isin(TOTAL_WORDS).to_numpy() | norm.str.startswith("total").fillna(False).to_numpy()
    return mask


def _last_row_is_totals(frame: pd.DataFrame, fields: list[tuple[int, Field]], id_j: int | None,
                        skip: np.ndarray) -> int | None:
    """The last row, when its id is empty and most of its numbers are not answer codes (sums)."""
    rest = np.flatnonzero(~skip)
    if not len(rest) or not fields:
        return None
    r = int(rest[-1])
    if id_j is not None and pd.notna(frame.iat[r, id_j]) and str(frame.iat[r, id_j]).strip():
        return None
    n_num = n_bad = 0
    for j, f in fields:
        if f.codebook.kind != "scale":
            continue
        x = pd.to_numeric(pd.Series([frame.iat[r, j]]), errors="coerce").iloc[0]
        if pd.isna(x):
            continue
        n_num += 1
        codes = {float(k) for k in f.codebook.codes if k.lstrip("-").isdigit()}
        n_bad += float(x) not in codes
    return r if n_num >= 3 and n_bad >= n_num / 2 else None


def _duration(plat: Platform, frame: pd.DataFrame, special: dict[str, int]) -> np.ndarray | None:
    def col(name: str) -> pd.Series | None:
        j = special.get("sys:" + name)
        return frame[j] if j is not None else None

    def seconds(s: pd.Series | None) -> np.ndarray | None:
        if s is None:
            return None
        x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return np.where(x >= 0, x, np.nan) if np.isfinite(x).any() else None

    def between(a: pd.Series | None, b: pd.Series | None) -> np.ndarray | None:
        if a is None or b is None:
            return None
        t0 = pd.to_datetime(a, errors="coerce", utc=True, format="mixed")
        t1 = pd.to_datetime(b, errors="coerce", utc=True, format="mixed")
        d = (t1 - t0).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan)
        return np.where(d >= 0, d, np.nan) if np.isfinite(d).any() else None

    if plat.name == "canonical":
        return seconds(col(DURATION))
    if plat.name == "kobo":
        return between(col("start"), col("end"))
    if plat.name == "qualtrics":
        return seconds(col("Duration (in seconds)"))
    if plat.name == "limesurvey":
        d = seconds(col("interviewtime"))
        return d if d is not None else between(col("startdate"), col("submitdate"))
    return None


def _show_sectors(sectors: tuple[str, ...]) -> str:
    return " and ".join(sectors)


def _drop_rows(raw: RawTable, plat: Platform, bank: Bank, c: _Collector, frame: pd.DataFrame,
               fields: list[tuple[int, Field]], special: dict[str, int],
               id_j: int | None) -> tuple[np.ndarray, dict[str, int]]:
    """Rows that are not respondents: blank rows, totals rows, Qualtrics previews/tests/spam,
    respondents who declined consent. Returns the mask of rows to keep and counts by reason."""
    n = len(frame)
    drop = np.zeros(n, dtype=bool)
    dropped: dict[str, int] = {}
    sec = next(((j, f) for j, f in fields if f.target == "sector"), None)
    if sec is not None:
        ok = decode(frame[sec[0]], sec[1].codebook).present
        cand = np.flatnonzero(~ok)  # a blank or totals row never holds a valid sector
    else:
        cand = np.arange(n)
    if len(cand):
        sub = frame.iloc[cand]
        blank_c = sub.isna().all(axis=1).to_numpy()
        if blank_c.any():
            drop[cand[blank_c]] = True
            dropped["blank"] = int(blank_c.sum())
        rest = cand[~blank_c]
        summary = np.zeros(n, dtype=bool)
        if len(rest):
            summary[rest] = _summary_rows(frame.iloc[rest], [x for x in (id_j, 0) if x is not None])
            last = _last_row_is_totals(frame, fields, id_j, drop | summary)
            if last is not None:
                summary[last] = True
        for r in np.flatnonzero(summary):
            first = next((str(v) for v in frame.iloc[r].tolist() if pd.notna(v) and str(v).strip()), "")
            has_id = id_j is not None and pd.notna(frame.iat[r, id_j]) and str(frame.iat[r, id_j]).strip()
            why = (f" ({first[:30]!r})" if has_id or id_j is None else
                   f" (no respondent id, and {_fmt(first)} is not an answer code)" if first else "")
            c.add("summary_row", "this looks like a totals row" + why + ", not a respondent; it "
                  "was left out (delete it from the file)", row=int(raw.rows[r]))
        if summary.any():
            dropped["summary"] = int(summary.sum())
            drop |= summary
    if plat.name == "qualtrics" and "sys:Status" in special:
        st = frame[special["sys:Status"]]
        kinds = st.map(lambda v: QUALTRICS_NOT_RESPONSES.get(
            v.strip().casefold() if isinstance(v, str)
            else (int(v) if pd.notna(v) and float(v).is_integer() else None))).to_numpy(dtype=object)
        for kind in ("preview", "test", "spam"):
            m = (kinds == kind) & ~drop
            if m.any():
                dropped[kind] = int(m.sum())
                c.warn("dropped_rows", f"{int(m.sum())} {kind} response(s) (Status column) were "
                       "left out", column="Status")
                drop |= m
    if "consent" in special and plat.consent is not None:
        d = decode(frame[special["consent"]], plat.consent.codebook)
        yes = next((ch.name for ch in bank.consent.choices if ch.name == "yes"), None)
        no = d.present & (d.cat != (d.categories.index(yes) if yes in d.categories else -2)) & ~drop
        if no.any():
            dropped["no_consent"] = int(no.sum())
            c.warn("dropped_rows", f"{int(no.sum())} respondent(s) who did not consent were left out",
                   column=plat.consent.column)
            drop |= no
    _incomplete(plat, frame, special, drop, c)
    return ~drop, dropped


def _incomplete(plat: Platform, frame: pd.DataFrame, special: dict[str, int], drop: np.ndarray,
                c: _Collector) -> None:
    """Partial responses are kept (their answers count); say how many there are."""
    if plat.name == "limesurvey" and "sys:submitdate" in special:
        m = frame[special["sys:submitdate"]].isna().to_numpy() & ~drop
        where = "no submitdate"
    elif plat.name == "qualtrics" and "sys:Finished" in special:
        fin = frame[special["sys:Finished"]].astype("str").str.strip().str.casefold()
        m = fin.isin(["0", "false", "0.0"]).to_numpy() & ~drop
        where = "Finished = 0"
    else:
        return
    if m.any():
        c.warn("incomplete", f"{int(m.sum())} incomplete response(s) ({where}) were kept; the "
               "missingness flag marks those with most items unanswered")


def to_canonical(raw: RawTable, plat: Platform, bank: Bank) -> ResponseData:
    """Build the canonical table from ``raw`` read as platform ``plat``; collect every problem.

    Bad cells become missing; rows that are not respondents (blank rows, Qualtrics previews,
    respondents who declined consent, totals rows) are left out and counted.
    """
    schema = schema_for(bank)
    c = _Collector(raw)
    frame = raw.frame
    fields, special = _classify_columns(raw, plat, c, bank.id)
    id_name, id_j = _id_column(plat, special)
    if id_j is None:
        c.add("missing_column", f"no respondent id column ({' or '.join(plat.id_columns)}); "
              "row numbers are used as ids", column=plat.id_columns[0])
    n_file = len(frame)
    keep, dropped = _drop_rows(raw, plat, bank, c, frame, fields, special, id_j)
    if not keep.all():
        frame = frame.loc[keep]
        c.rows = raw.rows[keep]
    n = len(frame)
    rows = c.rows
    if n == 0:
        c.add("no_rows", "no respondents: the file has a header but no data rows")

    # ---- decode every field
    by_target: dict[str, list[tuple[int, Field, Decoded]]] = {}
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
        by_target.setdefault(f.target, []).append((j, f, d))

    # ---- sector
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
                      "questions cannot be assigned", row=int(rows[p]), column=raw.header[j_sec])
    known = sidx >= 0

    # ---- canonical columns
    out: dict[str, Any] = {}
    if id_j is not None:
        ids = decode(frame[id_j], text_codebook()).values
    else:
        ids = np.array([str(r) for r in rows], dtype=object)
    out[ID] = ids
    dk_cols: list[np.ndarray] = []
    for col in schema.columns:
        if col.kind in ("id", "duration"):
            continue
        numeric = col.dtype != "str"
        flds = by_target.get(col.name, [])
        if len(flds) == 1 and set(flds[0][1].sectors) >= set(SECTORS):
            j, f, d = flds[0]
            vals = d.values
            if col.kind == "select_one" and col.name != "sector":
                vals = vals.copy()
                _check_choice_sectors(c, col, vals, d, d.present, sidx, frame[j], raw.header[j], rows)
        else:
            vals = np.full(n, np.nan) if numeric else np.full(n, None, dtype=object)
            for j, f, d in flds:
                v = d.values
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
                np.copyto(vals, v, where=take)
                if col.kind == "select_one" and col.name != "sector":
                    _check_choice_sectors(c, col, vals, d, take, sidx, frame[j], raw.header[j], rows)
        if col.coded:
            dk = vals == col.scale.dont_know
            dk_cols.append(dk)
            if dk.any():
                vals = np.where(dk, np.nan, vals)
        out[col.name] = vals
    dur = _duration(plat, frame, special)
    out[DURATION] = dur if dur is not None else np.full(n, np.nan)

    index = pd.Index(rows, name="row")
    table = _frame(schema, out, index)
    dk_block = np.vstack(dk_cols) if dk_cols else np.zeros((0, n), dtype=bool)
    dont_know = pd.DataFrame(dk_block.T, columns=schema.coded, index=index, copy=False)

    # ---- ids
    if id_j is not None:
        idser = pd.Series(ids)
        empty = idser.isna().to_numpy()
        rawid = frame[id_j]
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

    version = _check_version(c, raw, frame, special, bank)
    order = {name: k for k, name in enumerate(raw.header)}
    key = (lambda p: (p.row is not None, p.row or 0,
                      -1 if p.column is None else order.get(p.column, len(order))))
    source = {
        "file": raw.file, "sha256": raw.sha256, "platform": plat.name, "container": raw.container,
        "encoding": raw.encoding, "delimiter": raw.delimiter, "header_row": raw.header_row,
        "instrument_version": version, "bank_version": bank.version, "n_rows_file": n_file,
        "n_respondents": n, "dropped": dropped, "values": _value_kind(decoded),
    }
    return ResponseData(table=table, dont_know=dont_know, source=source,
                        problems=tuple(sorted(c.problems, key=key)), warnings=tuple(c.warnings))


def _by_value_labels(series: pd.Series, labels: dict, f: Field) -> pd.Series:
    """SPSS/Stata: read a coded choice column through its value labels when every label names a
    choice (the file's codes may differ from the bank's); otherwise keep the codes."""
    from .decode import norm_label

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


def _not_applicable(c: _Collector, wrong: np.ndarray, raw_series: pd.Series, name: str, f: Field,
                    sidx: np.ndarray, rows: np.ndarray) -> None:
    pos = np.flatnonzero(wrong)
    raw_vals = raw_series.to_numpy()[pos].tolist()
    c.cells(pos, name, raw_vals, "not_applicable",
            [f"value {_fmt(rv)} answered, but {name} is asked of {_show_sectors(f.sectors)} "
             f"respondents only (this respondent is {SECTORS[sidx[p]]})"
             for p, rv in zip(pos, raw_vals)])


def _check_version(c: _Collector, raw: RawTable, frame: pd.DataFrame, special: dict[str, int],
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


def _check_choice_sectors(c: _Collector, col, vals: np.ndarray, d: Decoded, take: np.ndarray,
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


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
