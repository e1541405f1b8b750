"""The attacker's arithmetic (issue 12, item 1): no output of one run gives away a small group.

A simulated study is reshaped so that service areas, municipalities and municipality x sector
cells of 1-4 respondents sit next to normal ones. ``coprod analyze``, ``coprod compare`` (by
municipality and by service area, with ``--benchmark``) and ``coprod report --tables csv`` are
run as a user runs them, into a temporary folder (analyze and the comparison by municipality read
the respondents as a study, one export per municipality, as ``coprod study add`` stores them); then every output is read as an attacker would
(every results.json, the text of every HTML page, every CSV table, the warnings on stderr) and
every number derivable from them is worked out:

* direct counts: a number published next to a small group's name (JSON keys, records that name
  it such as a study's imports, table rows);
* differences of margins across outputs and groupings: a published total (overall, per sector,
  per group) minus the groups or cells shown beside it, for every grouping of the run;
* N of every fitted model: ``exp((BIC - AIC)/npar + 2)``, from chi-square, df and RMSEA
  (``RMSEA = sqrt(max(chisq - df, 0)/(df (N - 1)))``, with and without lavaan's sqrt(G)), and
  from AIC, BIC and the log-likelihood; then the total minus that N and that N minus the groups
  it was said to be fitted on;
* a small group's mean: overall mean x valid n minus the shown groups' mean x n.

The test asserts that none of these equals a suppressed group's (or cell's) true n or mean, that
no residual aggregate of hidden cells is between 1 and ``min_cell - 1``, that no test statistic of
a small group is published, and that no warning names a small group. The truth comes from the
same table coprod analyses (read with coprod's reader, flagged respondents excluded).
"""
from __future__ import annotations

import csv
import json
import math
import re
import subprocess
import sys
from html.parser import HTMLParser
from itertools import chain
from pathlib import Path

import pandas as pd
import pytest

from coprod.analysis.compare import compare_groups
from coprod.analysis.responses import simulate
from coprod.instrument.bank import load_bank
from coprod.responses import read_responses

MIN_CELL = 5
ROOT = Path(__file__).resolve().parents[1]
BANK = load_bank()


# --------------------------------------------------------------------------------- the data
def _attack_table() -> pd.DataFrame:
    """400 simulated respondents; small service areas, municipalities and cells put in."""
    d = simulate(400, seed=3).reset_index(drop=True)
    d["service_area"] = "elderly_care"
    d.loc[0:2, "service_area"] = "integration"  # 3 respondents (the case)
    d.loc[3:62, "service_area"] = "other"
    muni = list(d.index[d["sector"] == "municipal"])
    vol = list(d.index[d["sector"] == "voluntary"])

    def take(pool: list, k: int) -> list:
        out = pool[:k]
        del pool[:k]
        return out

    where: dict[int, str] = {}
    for name, rows in (("Tinyby", take(vol, 1)),                  # one respondent
                       ("Smallby", take(muni, 2)),                # two, one sector
                       ("Fourby", take(muni, 2) + take(vol, 2)),  # four, cells of 2 and 2
                       ("Mixby", take(muni, 30) + take(vol, 1))):  # shown, with a cell of 1
        where.update({i: name for i in rows})
    big = ["Aarhus", "Odense", "Vejle", "Aalborg", "Kolding", "Roskilde"]
    where.update({i: big[k % len(big)] for k, i in enumerate(sorted(muni + vol))})
    d["municipality"] = pd.Series(where)
    return d


def _cli(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "coprod", *args, "--quiet"], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attacker")
    data = tmp / "responses.csv"
    df = _attack_table()
    df.to_csv(data, index=False)
    # the same respondents as a study: one export per municipality (its provenance counts rows)
    store = tmp / "store"
    _cli("study", "init", str(store))
    for name, rows in df.groupby("municipality"):
        export = tmp / "exports" / f"{name}.csv"
        export.parent.mkdir(exist_ok=True)
        rows.to_csv(export, index=False)
        _cli("study", "add", str(store), str(export), "--municipality", str(name), "--wave", "2026")
    err = [_cli("analyze", str(store), "--out", str(tmp / "study"), "--bootstrap", "0").stderr]
    err.append(_cli("report", str(tmp / "study" / "results.json"), "--out", str(tmp / "again" / "report.html"),
                    "--tables", "csv").stderr)
    err.append(_cli("compare", str(store), "--by", "municipality", "--out", str(tmp / "by-municipality"),
                    "--benchmark").stderr)
    err.append(_cli("compare", str(data), "--by", "service_area", "--out", str(tmp / "by-service_area"),
                    "--benchmark").stderr)
    table = read_responses(data).analysis_table(keep_flagged=False)
    return tmp, table, "\n".join(err)


# --------------------------------------------------------------------------------- the truth
GROUPINGS = ("service_area", "municipality")


def _truth(table: pd.DataFrame) -> dict:
    """The small groups and cells (1..MIN_CELL-1 respondents) with their true n and means."""
    groups, cells, means = {}, {}, {}
    for by in GROUPINGS:
        counts = table[by].value_counts()
        groups[by] = {str(g): int(n) for g, n in counts.items() if 1 <= n < MIN_CELL}
        cross = pd.crosstab(table[by], table["sector"])
        cells[by] = {(str(g), str(s)): int(cross.at[g, s]) for g in cross.index for s in cross.columns
                     if 1 <= cross.at[g, s] < MIN_CELL}
        raw = compare_groups(table, by, bank=BANK, min_group_for_model=10 ** 6)
        means[by] = {g: {c: m.mean for c, m in raw.groups[g].means.items() if m.mean == m.mean and m.mean is not None}
                     for g in groups[by]}
    return {"groups": groups, "cells": cells, "means": means}


def _labels(by: str, g: str) -> set[str]:
    return {g, BANK.answer_label(by, g, "en") or g}


# --------------------------------------------------------------------------------- reading
class _Rows(HTMLParser):
    """Every table row of a page as its cells' text, and the page's whole text."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _html(path: Path) -> _Rows:
    p = _Rows()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _int(text: str) -> int | None:
    t = text.strip().replace(",", "")
    return int(t) if re.fullmatch(r"\d+", t) else None


def _walk(obj, path=()):
    """Every (path, dict) in a JSON document."""
    if isinstance(obj, dict):
        yield path, obj
        for k, v in obj.items():
            yield from _walk(v, path + (str(k),))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk(v, path + (str(i),))


def _leaves(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, path + (str(k),))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, path + (str(i),))
    else:
        yield path, obj


def _num(x) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


# --------------------------------------------------------------------------------- the attack
def _fit_ns(d: dict) -> list[float]:
    """Every N that the fit statistics of one model give away."""
    out = []
    aic, bic, npar, ll = (_num(d.get(k)) for k in ("aic", "bic", "npar", "loglik"))
    if aic is not None and bic is not None and npar:
        out.append(math.exp((bic - aic) / npar + 2))
    if bic is not None and ll is not None:
        k = npar if npar else ((aic + 2 * ll) / 2 if aic is not None else None)
        if k:
            out.append(math.exp((bic + 2 * ll) / k))
    chisq, df, rmsea = (_num(d.get(k)) for k in ("chisq", "df", "rmsea"))
    if chisq is not None and df and rmsea:
        g = _num(d.get("ngroups")) or 1
        for scale in {1.0, g}:
            out.append(1 + max(chisq - df, 0) * scale / (df * rmsea ** 2))
    for key in ("nobs", "n", "n_used"):
        if _num(d.get(key)) is not None:
            out.append(float(d[key]))
    return [x for x in out if math.isfinite(x) and 0 < x < 1e7]


class Attack:
    def __init__(self, truth: dict):
        self.truth = truth
        self.hits: list[str] = []
        self.tried = 0

    def n(self, by: str, value: float, how: str, *, groups=None, cells=None) -> None:
        """A derived n: a hit when it is (within rounding) the true n of a small group or cell."""
        self.tried += 1
        targets = {f"{by} {g!r}": n for g, n in self.truth["groups"][by].items() if groups is None or g in groups}
        targets.update({f"{by} {g!r} x {s}": n for (g, s), n in self.truth["cells"][by].items()
                        if cells is None or (g, s) in cells})
        for what, n in targets.items():
            if abs(value - n) < 0.5:
                self.hits.append(f"{how} = {value:g} = n of {what}")

    def aggregate(self, value: int, how: str) -> None:
        """Total minus what is shown: a hidden aggregate of 1..MIN_CELL-1 is a disclosure too."""
        self.tried += 1
        if 1 <= value < MIN_CELL:
            self.hits.append(f"{how} = {value} (a hidden aggregate under min. n)")

    def mean(self, by: str, c: str, value: float, how: str) -> None:
        self.tried += 1
        for g, ms in self.truth["means"][by].items():
            if c in ms and abs(value - ms[c]) < 1e-6:
                self.hits.append(f"{how} = {value:.6f} = mean of {c} in {by} {g!r}")


def _margins(att: Attack, by: str, cmp: dict, sectors: dict[str, int], total: int | None) -> None:
    """Totals of every output minus the groups and cells a comparison shows."""
    shown = {g: d for g, d in cmp["groups"].items() if not d.get("suppressed") and d.get("n") is not None}
    hidden = [g for g in cmp["groups"] if g not in shown]
    totals = {"compare overall n": cmp["overall"].get("n"), "analyze n_analysed": total}
    for name, t in totals.items():
        if isinstance(t, int):
            rest = t - sum(d["n"] for d in shown.values())
            att.n(by, rest, f"{by}: {name} - shown groups", groups=hidden)
            att.aggregate(rest, f"{by}: {name} - shown groups")
    for s, t in sectors.items():  # the study report's sector counts minus the pages' sector splits
        if not isinstance(t, int):
            continue
        known = [(d.get("by_sector") or {}).get(s) for d in shown.values()]
        rest = t - sum(k for k in known if isinstance(k, int))
        att.n(by, rest, f"{by}: sector {s} total - shown cells")
        att.aggregate(rest, f"{by}: sector {s} total - shown cells")
    for g, d in shown.items():  # a shown group's n minus its shown sector cells
        split = d.get("by_sector") or {}
        known = [v for v in split.values() if isinstance(v, int)]
        if len(known) < len(split):
            rest = d["n"] - sum(known)
            att.n(by, rest, f"{by}: n of {g!r} - its shown sector cells",
                  cells=[(g, s) for s, v in split.items() if v is None])
            att.aggregate(rest, f"{by}: n of {g!r} - its shown sector cells")
    overall = cmp["overall"].get("means") or {}
    for c, m in overall.items():  # overall mean x n minus the shown groups' -> the hidden groups' mean
        if not isinstance(m.get("n"), int) or _num(m.get("mean")) is None:
            continue
        parts = [(d["means"][c]["n"], d["means"][c]["mean"]) for d in shown.values()
                 if c in (d.get("means") or {}) and isinstance(d["means"][c].get("n"), int)
                 and _num(d["means"][c].get("mean")) is not None]
        n_rest = m["n"] - sum(n for n, _ in parts)
        att.n(by, n_rest, f"{by}: valid n of {c} overall - shown groups", groups=hidden)
        if n_rest > 0:
            mean = (m["mean"] * m["n"] - sum(n * x for n, x in parts)) / n_rest
            att.mean(by, c, mean, f"{by}: mean of {c} overall x n - shown groups")


def _fits(att: Attack, doc: dict, where: str, totals: dict[str, int], cmp: dict | None = None,
          by: str | None = None) -> None:
    """N of every model in a results.json, and what it gives with the totals and shown groups."""
    shown_n = {}
    if cmp is not None:
        shown_n = {g: d["n"] for g, d in cmp["groups"].items() if isinstance(d.get("n"), int)}
    for path, d in _walk(doc):
        ns = _fits_at(d)
        if not ns:
            continue
        tested = None
        if cmp is not None and path[:1] == ("invariance",):
            tested = cmp["invariance"].get("groups_tested")
        for grouping in GROUPINGS:
            for n in ns:
                how = f"{where}:{'.'.join(path)} N"
                att.n(grouping, n, how)
                for name, t in totals.items():
                    att.n(grouping, t - n, f"{name} - {how}")
                if tested is not None and grouping == by:
                    rest = n - sum(shown_n.get(g, 0) for g in tested)
                    att.n(grouping, rest, f"{how} - shown groups tested")


def _fits_at(d: dict) -> list[float]:
    if not any(k in d for k in ("aic", "bic", "rmsea", "nobs", "loglik")):
        return []
    return _fit_ns(d)


def _direct_json(att: Attack, doc: dict, where: str) -> None:
    """Any number published under a small group's name (a key or a test that names it)."""
    for by in GROUPINGS:
        small = att.truth["groups"][by]
        names = {lab: g for g in small for lab in _labels(by, g)}
        for path, value in _leaves(doc):
            v = _num(value)
            if v is None:
                continue
            named = [names[p] for p in path if p in names]
            if named:
                att.n(by, v, f"{where}:{'.'.join(path)}", groups=named)
        for path, d in _walk(doc):  # a record that names a small group: {"municipality": "Tinyby", "n_stored": 1}
            named = [names[v] for v in d.values() if isinstance(v, str) and v in names]
            for k, v in d.items():
                if named and _num(v) is not None:
                    att.n(by, _num(v), f"{where}:{'.'.join(path + (k,))}", groups=named)
    for h in doc.get("hypotheses") or ():
        test = str(h.get("test", ""))
        for by in GROUPINGS:
            for g in att.truth["groups"][by]:
                if re.search(rf"\b{re.escape(g)}\b", test):
                    att.tried += 1
                    leaked = {k: h.get(k) for k in ("n1", "n2", "mean1", "mean2", "diff", "t", "df", "p", "g")
                              if h.get(k) is not None}
                    if leaked:
                        att.hits.append(f"{where}: hypothesis {h['id']} tests {by} {g!r}: {sorted(leaked)}")


def _direct_rows(att: Attack, rows: list[list[str]], where: str, group: tuple[str, str] | None = None) -> None:
    """Numbers in a table row that names a small group (or a sector, on a small cell's page)."""
    for by in GROUPINGS:
        for g in att.truth["groups"][by]:
            labels = _labels(by, g)
            for row in rows:
                if any(cell in labels or any(re.search(rf"\b{re.escape(lab)}\b", cell) for lab in labels)
                       for cell in row):
                    for cell in row:
                        v = _int(cell)
                        if v is not None:
                            att.n(by, v, f"{where}: row {row[:3]}", groups=[g])
    if group is not None:
        by, g = group
        for s in ("municipal", "voluntary"):
            if (g, s) not in att.truth["cells"][by]:
                continue
            label = BANK.answer_label("sector", s, "en") or s
            for row in rows:
                if row and row[0] in (label, s, f"{label} sector"):
                    for cell in row[1:]:
                        v = _int(cell)
                        if v is not None:
                            att.n(by, v, f"{where}: row {row[:3]}", cells=[(g, s)])


def _attack(tmp: Path, truth: dict, stderr: str) -> Attack:
    att = Attack(truth)
    study = json.loads((tmp / "study" / "results.json").read_text(encoding="utf-8"))
    cmps = {by: json.loads((tmp / f"by-{by}" / "results.json").read_text(encoding="utf-8")) for by in GROUPINGS}
    sample = study.get("sample") or {}
    sectors = sample.get("by_sector") or {}
    total = sample.get("n_analysed")
    totals = {"analyze n_analysed": total, **{f"sector {s} total": t for s, t in sectors.items()},
              **{f"compare by {by} overall n": c["overall"].get("n") for by, c in cmps.items()}}
    totals = {k: v for k, v in totals.items() if isinstance(v, int)}
    # analyze's own groupings: the service areas of the sample table
    areas = sample.get("by_service_area") or {}
    shown = [v for v in areas.values() if isinstance(v, int)]
    if isinstance(total, int) and areas:
        rest = total - sum(shown)
        att.n("service_area", rest, "analyze: n_analysed - shown service areas",
              groups=[g for g, v in areas.items() if not isinstance(v, int)])
        att.aggregate(rest, "analyze: n_analysed - shown service areas")
    _direct_json(att, study, "analyze results.json")
    _fits(att, study, "analyze results.json", totals)
    for by, cmp in cmps.items():
        _direct_json(att, cmp, f"compare --by {by} results.json")
        _margins(att, by, cmp, sectors, total)
        _fits(att, cmp, f"compare --by {by} results.json", totals, cmp, by)
    pages = chain((tmp / "study").glob("*.html"), (tmp / "again").glob("*.html"),
                  *((tmp / f"by-{by}").glob("*.html") for by in GROUPINGS))
    for page in pages:
        parsed = _html(page)
        group = None
        for by in GROUPINGS:
            for g in chain(truth["groups"][by], {g for g, _ in truth["cells"][by]}):
                slug = re.sub(r"[^a-z0-9]+", "-", g.lower()).strip("-")
                if page.name in (f"group-{slug}.html", f"benchmark-{slug}.html"):
                    group = (by, g)
        _direct_rows(att, parsed.rows, page.name, group)
        if group is not None and group[1] in truth["groups"][group[0]]:
            for m in re.finditer(r"\bn\s*=\s*([\d,]+)", " ".join(parsed.text)):
                att.n(group[0], int(m.group(1).replace(",", "")), f"{page.name}: 'n = '", groups=[group[1]])
    for table in (tmp / "again" / "report-tables").glob("*.csv"):
        with open(table, newline="", encoding="utf-8") as f:
            _direct_rows(att, list(csv.reader(f)), table.name)
    # warnings: on stderr and in every results.json
    texts = [stderr] + [w for doc in (study, *cmps.values()) for path, w in _leaves(doc)
                        if isinstance(w, str) and any(p in ("warnings", "errors") for p in path)]
    for by in GROUPINGS:
        for g in truth["groups"][by]:
            for lab in _labels(by, g):
                for text in texts:
                    att.tried += 1
                    if re.search(rf"(?<!\w){re.escape(lab)}(?!\w)", text):
                        att.hits.append(f"a warning names {by} {g!r}: {text.strip()[:120]}")
                        break
    return att


def test_the_data_has_small_groups_next_to_normal_ones(run):
    _, table, _ = run
    truth = _truth(table)
    assert truth["groups"]["service_area"] == {"integration": 3}
    assert set(truth["groups"]["municipality"]) == {"Tinyby", "Smallby", "Fourby"}
    assert ("Mixby", "voluntary") in truth["cells"]["municipality"]


def test_no_derivation_gives_a_suppressed_n_or_mean(run):
    tmp, table, stderr = run
    att = _attack(tmp, _truth(table), stderr)
    assert att.tried > 500  # the attack did look at the outputs
    assert att.hits == [], f"{len(att.hits)} of {att.tried} derivations hit:\n" + "\n".join(att.hits[:60])
