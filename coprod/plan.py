"""``coprod plan`` run on Dask: the replications of :mod:`coprod.analysis.plan` as tasks, the table
and the figure written at the end.

A local cluster (``workers`` processes, one thread each) by default, or any running Dask
scheduler (``scheduler="tcp://host:8786"``). Every replication is seeded by its own
``(seed, n, rep)``, so the table is the same on 1 worker, 2 workers or a cluster, whatever order
the tasks finish in::

    result = run_plan(InstrumentPopulation.default(bank), PlanDesign((40, 60), 20, 200, seed=1),
                      workers=2)
    files = write_plan(result, Path("plan-out"))        # plan.csv, plan.svg, plan.json
"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Callable

from coprod import __version__
from coprod.analysis.plan import (PATH_PARAMS, PlanDesign, PlanResult, paths_from_estimates, replicate,
                                  summarize)
from coprod.instrument.errors import CoprodError, UnreadableFileError
from coprod.instrument.files import write_files
from coprod.reports.plan_figure import power_curve

__all__ = ["run_plan", "write_plan", "plan_text", "run_chunk", "paths_from_results"]

Progress = Callable[[int, int], None]


def run_chunk(pop, seed: int, groups: int, tasks: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """The rows of a few replications (one Dask task: fewer, larger tasks cost less overhead)."""
    from threadpoolctl import threadpool_limits

    # one BLAS thread per worker process: the workers are the parallelism
    with threadpool_limits(1):
        return [row for n, rep in tasks for row in replicate(pop, n, rep, seed=seed, groups=groups)]


def _chunks(tasks: list, size: int) -> list[list]:
    return [tasks[i:i + size] for i in range(0, len(tasks), size)]


def run_plan(pop, design: PlanDesign, *, workers: int | None = None, scheduler: str | None = None,
             progress: Progress | None = None, chunk: int | None = None) -> PlanResult:
    """Run every replication of ``design`` on Dask and summarise them.

    Parameters
    ----------
    pop : InstrumentPopulation or RegressionPopulation
        The population simulated from and the model refitted.
    design : PlanDesign
    workers : int, optional
        Worker processes of the local cluster (default: every core). Ignored with ``scheduler``.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``) instead of a local cluster.
    progress : callable, optional
        ``progress(done, total)`` in replications.
    chunk : int, optional
        Replications per task (default: about four tasks per worker and sample size, at most 25).

    Returns
    -------
    PlanResult
        ``meta`` has the seconds taken, the replications per second and the number of workers.
    """
    from distributed import Client, LocalCluster, as_completed  # deferred: heavy, only here

    tasks = design.tasks()
    t0 = time.perf_counter()
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="20s")
        else:
            workers = workers or os.cpu_count() or 1
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
    except (OSError, TimeoutError) as exc:
        raise CoprodError(f"cannot reach the Dask scheduler {scheduler or '(local cluster)'} ({exc})") from None
    try:
        n_workers = len(client.scheduler_info().get("workers", {})) or (workers or 1)
        size = chunk or max(1, min(25, design.reps // (4 * n_workers) or 1))
        parts = _chunks(tasks, size)
        pop_f = client.scatter(pop, broadcast=True)
        t_run = time.perf_counter()  # throughput excludes starting the cluster
        futures = [client.submit(run_chunk, pop_f, design.seed, design.groups, part, pure=False)
                   for part in parts]
        sizes = {f.key: len(p) for f, p in zip(futures, parts)}
        rows: list[dict[str, Any]] = []
        done = 0
        if progress:
            progress(0, len(tasks))
        for fut in as_completed(futures):
            rows.extend(fut.result())
            done += sizes[fut.key]
            if progress:
                progress(done, len(tasks))
        running = time.perf_counter() - t_run
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    seconds = time.perf_counter() - t0
    meta = {"coprod_version": __version__, "workers": n_workers, "scheduler": scheduler or "local",
            "seconds": round(seconds, 3), "seconds_running": round(running, 3),
            "replications": len(tasks), "replications_per_second": round(len(tasks) / running, 3),
            "population": type(pop).__name__, "model": pop.model, "truth": pop.truth()}
    return summarize(rows, pop, design, meta=meta)


def paths_from_results(path: Path) -> dict[str, float]:
    """The population paths of the structural model fitted in a ``results.json`` of
    ``coprod analyze`` (see :func:`coprod.analysis.plan.paths_from_estimates`).

    Raises
    ------
    UnreadableFileError
        When the file is not the results.json of an analysis with a fitted structural model.
    """
    path = Path(path)
    try:
        sem = json.loads(path.read_text(encoding="utf-8")).get("sem") or {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
        raise UnreadableFileError(f"{path}: not the results.json of coprod analyze ({exc})") from None
    paths = paths_from_estimates(sem.get("estimates") or [])
    if not paths:
        raise UnreadableFileError(f"{path}: holds no fitted structural model (no sem estimates with "
                                  f"the paths {', '.join(PATH_PARAMS)})")
    return paths


def plan_text(result: PlanResult) -> str:
    """The plan table as printed: power, convergence and bias per size and effect."""
    t = result.table
    head = ["n/group", "N", "effect", "true", "power", "±MC se", "converged", "mean est", "bias"]
    rows = [[int(r.n_per_group), int(r.n_total), r.effect, f"{r.true:.3f}",
             "" if r.power != r.power else f"{r.power:.1%}",
             "" if r.power_mc_se != r.power_mc_se else f"{r.power_mc_se:.1%}",
             f"{r.convergence_rate:.0%}", "" if r.mean_est != r.mean_est else f"{r.mean_est:.3f}",
             "" if r.bias != r.bias else f"{r.bias:+.3f}"] for r in t.itertuples()]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = "  ".join(f"{{:>{w}}}" for w in widths)
    m = result.meta
    d = result.design
    lines = [f"{d.reps} replications × {len(d.n_per_group)} sizes, {d.groups} groups, seed {d.seed}, "
             f"alpha {d.alpha}: {m.get('seconds_running')} s on {m.get('workers')} worker(s) "
             f"({m.get('replications_per_second')} replications/s)", fmt.format(*head)]
    return "\n".join(lines + [fmt.format(*map(str, r)) for r in rows])


def write_plan(result: PlanResult, out: Path) -> list[Path]:
    """``out/plan.csv`` (the table), ``out/plan.svg`` (power curves), ``out/plan.json`` (the
    table, design and meta) and ``out/replications.csv``; all rendered, then written at once."""
    out = Path(out)
    files = {
        out / "plan.csv": result.table.to_csv(index=False),
        out / "plan.svg": str(power_curve(result.table)),
        out / "plan.json": json.dumps(result.to_dict(), ensure_ascii=False, indent=1, default=float),
        out / "replications.csv": result.rows.to_csv(index=False),
    }
    return write_files(files)
