"""Bulk re-ranking on Ray: the job of ``ranking.search.bulk``, its units computed by a pool of actors.

Same input, same output (row for row: ranks, scores, explanations) and the same work state as the
local runner, so a job stopped under one runner resumes under the other. The driver reads the input,
cuts each unit (a future part file) into tasks of whole query runs (``task_rows``), and hands them to
actors that each built the engine once (``engine_factory()``, e.g. ``api.wiring.build_engine`` with
the job's settings). Results come back in order; the driver alone writes the part, then
``progress.json``, exactly as the local runner does.

Crash safety, by the same commit protocol: a worker killed mid-task is restarted by Ray (reloading
its engine) and its tasks run again; a task only returns rows, so running it twice writes nothing
twice. A killed driver leaves the committed parts and ``progress.json``; the next run (either runner)
deletes unrecorded parts and continues from the first unrecorded row.
"""
from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from ranking.search.bulk import (BulkOptions, BulkProgress, Scored, rerank_unit, run_units, split_unit)
from ranking.search.pipeline import SearchEngine
from records.raypool import ActorPool, RayOptions

TASK_ROWS = 1_000          # rows per task: small enough to spread a unit over the actors, large enough
#                            that Ray's per-task cost (about a millisecond) stays out of the way


@dataclass(frozen=True)
class _Task:
    unit: int              # which unit (part) this piece belongs to
    last: bool             # the unit's last piece
    piece: object          # ranking.search.bulk._Unit


class _Reranker:
    """Lives inside one actor: the engine, built once when the actor starts (and again if it restarts)."""

    def __init__(self, engine_factory: Callable[[], SearchEngine], options: BulkOptions):
        self.engine = engine_factory()
        self.options = options

    def score(self, task: _Task) -> tuple[int, bool, int, pa.Table, dict]:
        table, stats = rerank_unit(self.engine, task.piece, self.options)
        return task.unit, task.last, task.piece.num_rows, table, stats


def run_bulk_ray(engine_factory: Callable[[], SearchEngine], input_path: str | Path, output_path: str | Path,
                 options: BulkOptions = BulkOptions(), ray_options: RayOptions = RayOptions(), *,
                 task_rows: int = TASK_ROWS, cancel: threading.Event | None = None,
                 on_progress: Callable[[BulkProgress], None] | None = None,
                 progress_bar: bool = True) -> BulkProgress:
    """Run (or resume) the job ``input_path`` -> ``output_path`` on Ray; returns the final progress record.

    Call inside ``records.raypool.connected(...)`` (or after your own ``ray.init``). ``engine_factory`` is
    pickled to the actors: a module-level function or a ``functools.partial`` of one, whose settings
    name paths every node can read."""
    if task_rows < 1:
        raise ValueError(f"task_rows must be >= 1, not {task_rows}")

    def score(units: Iterator, tick: Callable[[int], None]) -> Iterator[Scored]:
        tasks = (_Task(n, k == len(pieces) - 1, piece)
                 for n, unit in enumerate(units)
                 for pieces in (split_unit(unit, task_rows),)
                 for k, piece in enumerate(pieces))
        first = next(tasks, None)
        if first is None:                       # nothing left to do (a finished job resumed): no actors
            return
        tasks = itertools.chain([first], tasks)
        with ActorPool(functools.partial(_Reranker, engine_factory, options), ray_options, name="rerank") as pool:
            rows, tables, counts = 0, [], {"queries": 0, "invalid": 0, "not_found": 0, "run_ids": []}
            for _, last, n_rows, table, stats in pool.map("score", tasks):
                rows += n_rows
                tables.append(table)
                for key, value in stats.items():
                    counts[key] += value
                tick(n_rows)
                if last:
                    yield rows, pa.concat_tables(tables).combine_chunks(), counts
                    rows, tables, counts = 0, [], {"queries": 0, "invalid": 0, "not_found": 0, "run_ids": []}

    return run_units(score, input_path, output_path, options, cancel=cancel, on_progress=on_progress,
                     progress_bar=progress_bar)


__all__ = ["TASK_ROWS", "run_bulk_ray"]
