"""The outcome of checking one response file: what ``coprod validate`` prints (and ``--json``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from coprod.instrument.platforms.registry import FILE_KINDS

from .._result import jsonable
from .canonical import ResponseData
from .problems import RULES, ResponseProblem, problem

__all__ = ["ValidationReport", "report_from", "unreadable_report"]


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The outcome of checking one response file.

    ``problems`` are errors (exit code 1), ``warnings`` do not change the exit code; a file that
    cannot be read at all has exit code 2 and its reason as the only problem.
    """

    file: str
    problems: tuple[ResponseProblem, ...]
    warnings: tuple[ResponseProblem, ...] = ()
    counts: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    unreadable: bool = False

    @property
    def exit_code(self) -> int:
        if self.unreadable:
            return 2
        return 1 if self.problems else 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def by_rule(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.problems:
            out[p.rule] = out.get(p.rule, 0) + 1
        return out

    def summary(self) -> str:
        if self.unreadable:
            return f"{self.file}: cannot be read"
        n = self.counts.get("n_respondents", 0)
        plat = self.source.get("platform", "?")
        kind = FILE_KINDS.get(plat, f"{plat} export")
        head = f"{self.file}: {n} respondent(s), {kind}"
        if not self.problems:
            return head + ", no problems" + (f" ({len(self.warnings)} warning(s))" if self.warnings else "")
        rules = ", ".join(f"{k} {v}" for k, v in sorted(self.by_rule().items()))
        return f"{head}, {len(self.problems)} problem(s): {rules}"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([p.to_dict() for p in (*self.problems, *self.warnings)],
                            columns=["file", "row", "column", "value", "rule", "severity",
                                     "message", "text"])

    def to_dict(self) -> dict:
        return jsonable({
            "file": self.file, "exit_code": self.exit_code, "ok": self.ok,
            "n_problems": len(self.problems), "n_warnings": len(self.warnings),
            "by_rule": self.by_rule(), "problems": [p.to_dict() for p in self.problems],
            "warnings": [p.to_dict() for p in self.warnings], "counts": self.counts,
            "source": self.source, "rules": {k: RULES[k] for k in sorted(
                {p.rule for p in (*self.problems, *self.warnings)} & set(RULES))},
        })


def report_from(data: ResponseData) -> ValidationReport:
    return ValidationReport(file=str(data.source.get("file", "")), problems=tuple(data.problems),
                            warnings=tuple(data.warnings), counts=data.counts(),
                            source=dict(data.source))


def unreadable_report(file: str, exc: BaseException) -> ValidationReport:
    msg = str(exc)
    prefix = f"{file}: "
    if msg.startswith(prefix):
        msg = msg[len(prefix):]
    return ValidationReport(file=file, problems=(problem(file, "unreadable", msg),),
                            unreadable=True)

