"""``coprod demo``: the whole toolkit on simulated data, in one command.

Simulates a multi-municipality study (both sectors, several service areas), writes it as a
KoboToolbox export (so the demo also exercises a platform reader), analyses it, and writes the
study report, the comparison by service area and the printable questionnaire with its codebook.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

__all__ = ["run_demo", "DemoOutput"]


@dataclass(frozen=True, slots=True)
class DemoOutput:
    files: tuple[Path, ...]
    seconds: float
    warnings: tuple[str, ...] = ()


def run_demo(out: Path, *, n: int = 1200, seed: int = 2021, lang: str = "en",
             progress: Callable[[int, int], None] | None = None, quiet: bool = True) -> DemoOutput:
    """Simulate, analyse and report; returns the files a reader should open first.

    Examples
    --------
    >>> run_demo(Path("demo-out"), n=600)  # doctest: +SKIP
    """
    from analysis.pipeline import analyze_file
    from analysis.responses import simulate, write_simulated
    from instrument.bank import load_bank
    from instrument.exports import export, write_export

    from .compare import compare_file
    from .study import write_study_report

    t0 = time.perf_counter()
    out = Path(out)
    bank = load_bank()
    step = _Stepper(progress, 5)
    data = out / "data" / "kobo_export.csv"
    write_simulated(simulate(n, seed=seed, bank=bank), data, "kobo", bank=bank)
    step()
    for fmt, name in (("html", "questionnaire.html"), ("codebook", "codebook.json")):
        write_export(export(bank, fmt, lang=lang), out / "instrument" / name)
    step()
    run = analyze_file(data, out=out / "study")
    step()
    report = write_study_report(run.result, out / "study" / "report.html", lang=lang)
    step()
    cmp = compare_file(data, by="service_area", out=out / "by_service_area", lang=lang)
    step()
    index = next((p for p in cmp.files if p.name == "index.html"), cmp.files[0])
    files = (report, index, out / "study" / "results.json", out / "instrument" / "questionnaire.html")
    return DemoOutput(files=files, seconds=time.perf_counter() - t0,
                      warnings=tuple(run.warnings) + tuple(cmp.warnings))


class _Stepper:
    def __init__(self, progress, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def __call__(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)
