"""What ``coprod study list`` prints: the imports and the respondents per group, as text or JSON."""
from __future__ import annotations

import json

import pandas as pd

from .study import Study

__all__ = ["listing_text", "listing_dict", "listing_json"]

_IMPORT_COLS = ("import_id", "imported_at", "file_name", "platform", "municipality", "wave",
                "n_stored", "n_rejected", "sha256", "supersedes", "superseded_by")


def _cell(v) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    return v.item() if hasattr(v, "item") else v


def listing_dict(study: Study) -> dict:
    """The imports (every one, superseded ones included) and the counts of the active ones."""
    imports = study.imports()
    counts = study.counts()
    return {
        "study": study.name, "backend": study.backend.name, **{k: v for k, v in study.meta().items()
                                                               if k != "columns"},
        "imports": [{c: _cell(r[c]) for c in _IMPORT_COLS} for _, r in imports.iterrows()],
        "groups": [{c: _cell(r[c]) for c in counts.columns} for _, r in counts.iterrows()],
    }


def _table(rows: list[list[str]], head: list[str]) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*head).rstrip()] + [fmt.format(*map(str, r)).rstrip() for r in rows]


def listing_text(study: Study) -> str:
    """The listing as aligned text (see :func:`listing_dict`)."""
    d = listing_dict(study)
    lines = [f"study {d['study']} ({d['backend']}; instrument {d['instrument_id']} "
             f"{d['instrument_version']}; created {d['created_at']})", ""]
    if not d["imports"]:
        return "\n".join(lines + ["no imports yet (coprod study add STUDY EXPORT --municipality M --wave W)"])
    rows = []
    for r in d["imports"]:
        status = (f"superseded by {r['superseded_by']}" if r["superseded_by"] is not None else
                  f"supersedes {r['supersedes']}" if r["supersedes"] is not None else "")
        rows.append([r["import_id"], r["imported_at"], r["file_name"], r["platform"], r["municipality"],
                     r["wave"], r["n_stored"], r["n_rejected"], r["sha256"][:12], status])
    lines += ["imports:"] + _table(rows, ["id", "imported (UTC)", "file", "platform", "municipality",
                                          "wave", "stored", "rejected", "sha256", "status"])
    rows = [[g["municipality"], g["wave"], g["sector"], g["n"], "" if g["invited"] is None else g["invited"],
             "" if g["response_rate"] is None else f"{g['response_rate']:.1%}"] for g in d["groups"]]
    total = sum(g["n"] for g in d["groups"])
    lines += ["", f"respondents of the active imports ({total}):"]
    lines += _table(rows, ["municipality", "wave", "sector", "n", "invited", "response rate"])
    return "\n".join(lines)


def listing_json(study: Study) -> str:
    return json.dumps(listing_dict(study), ensure_ascii=False, indent=1)
