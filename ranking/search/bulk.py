"""Bulk re-ranking jobs: Parquet in, Parquet out, in bounded memory, resumable, cancellable.

Input: one row per (query, candidate) with columns ``query_id`` and ``candidate_id`` (strings) and
``query`` (the query text, Boolean or natural language; repeated on each row of a query, or given
on its first row only). Rows of one query must be contiguous (as written by a group-by or a sort on
``query_id``): each contiguous run is re-ranked as one list. A ``query_id`` that appears in two runs
is re-ranked twice, once per run, and counted in the report (``split_queries``; after a resume the
count covers the rows processed since). Candidate lists longer than ``ranking.search.rerank.MAX_CANDIDATES``
are scored in chunks and merged by score (RRF scores of different chunks are close to, not exactly,
comparable: keep lists at most 1,000 long for exact ranks).

Output: exactly one row per input row, in the input's order of queries, with ``input_row``, the
query and candidate ids, ``status`` (``ok`` / ``no_match`` / ``not_found`` from ``ranking.search.rerank``, or
``invalid`` for a bad input row, whose reason is in ``explanation``), ``rank``, ``score``, per-retriever
scores and ranks, ``matched_fields`` and ``explanation``.

Crash safety: the job works in ``<output>.work/``. Each unit of work (whole queries, about
``batch_rows`` rows) is written as a part file (temp name, fsync, rename) and then recorded in
``progress.json`` (same). A restart keeps the recorded parts, deletes any part written after the
last record and continues from the first unrecorded input row, so a SIGKILL at any instant loses
at most one unit and never duplicates a row. The final Parquet is assembled from the parts into a
temp file and renamed into place; the work directory goes last.

Runners: ``run_bulk`` computes the units in this process; ``ranking.search.bulk_ray.run_bulk_ray`` on a
pool of Ray actors. Both hand their results to ``run_units``, the only writer, so they share the
output, the work state and the guarantees above.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ranking.search.pipeline import SearchEngine
from ranking.search.rerank import MAX_CANDIDATES, RerankRequest, rerank
from records import durable
from records.errors import QueryError, ValidationError

REQUIRED = ("query_id", "candidate_id")
OUTPUT_SCHEMA = pa.schema([
    ("input_row", pa.int64()), ("query_id", pa.string()), ("candidate_id", pa.string()),
    ("status", pa.string()), ("rank", pa.int32()), ("score", pa.float64()),
    ("lexical_score", pa.float64()), ("dense_score", pa.float64()),
    ("lexical_rank", pa.int32()), ("dense_rank", pa.int32()),
    ("matched_fields", pa.list_(pa.string())), ("explanation", pa.string()),
])
JOB_FORMAT = "talentsearch-rerank-job/1"


@dataclass(frozen=True)
class BulkOptions:
    tenant_id: str | None = None
    batch_rows: int = 20_000            # rows per unit of work (a part file); whole queries only
    read_rows: int = 65_536             # rows per read from the input
    syntax: str = "auto"
    mode: str = "hybrid"


@dataclass
class BulkProgress:
    """What a job reports while it runs (and in ``progress.json``)."""
    total_rows: int
    rows_done: int = 0
    parts: int = 0
    queries: int = 0
    invalid_rows: int = 0
    not_found: int = 0
    split_queries: int = 0              # query ids seen in more than one contiguous run
    state: str = "running"              # running | done | cancelled | failed
    error: str | None = None
    started_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    resumed: int = 0                    # how many times the job continued after a stop

    @property
    def fraction(self) -> float:
        return self.rows_done / self.total_rows if self.total_rows else 1.0


class Cancelled(Exception):
    pass


def work_dir_for(output: Path) -> Path:
    return output.with_name(output.name + ".work")


def run_bulk(engine: SearchEngine, input_path: str | Path, output_path: str | Path, options: BulkOptions = BulkOptions(),
             *, cancel: threading.Event | None = None, on_progress: Callable[[BulkProgress], None] | None = None,
             progress_bar: bool = True) -> BulkProgress:
    """Run (or resume) the job ``input_path`` -> ``output_path`` in this process; returns the final progress record."""
    def score(units: Iterator[_Unit], tick: Callable[[int], None]) -> Iterator[Scored]:
        for unit in units:
            table, stats = rerank_unit(engine, unit, options)
            tick(unit.num_rows)
            yield unit.num_rows, table, stats

    return run_units(score, input_path, output_path, options, cancel=cancel, on_progress=on_progress,
                     progress_bar=progress_bar)


# (rows of the unit, its output table sorted by input_row, its counts): what a runner hands the committer
Scored = tuple[int, pa.Table, dict]
Scorer = Callable[[Iterator["_Unit"], Callable[[int], None]], Iterator[Scored]]


def run_units(score: Scorer, input_path: str | Path, output_path: str | Path, options: BulkOptions = BulkOptions(),
              *, cancel: threading.Event | None = None, on_progress: Callable[[BulkProgress], None] | None = None,
              progress_bar: bool = True) -> BulkProgress:
    """The job's driver, whatever computes the units: ``score(units, tick)`` yields one ``Scored`` per unit,
    in the order of ``units`` (``tick(rows)`` advances the progress bar as rows are computed), and this
    function alone writes: each unit's part file, then ``progress.json`` (the commit point), then the
    output. Runners differ only in ``score``, so their work state is the same and a job stopped under one
    runner resumes under the other."""
    src, out = Path(input_path), Path(output_path)
    work = work_dir_for(out)
    pf = _open_input(src)
    total = pf.metadata.num_rows
    fingerprint = {"format": JOB_FORMAT, "input": str(src.resolve()), "size": src.stat().st_size,
                   "rows": total, "options": asdict(options)}
    prog = _load_or_start(work, fingerprint, total)
    bar = None
    if progress_bar:
        from tqdm import tqdm
        bar = tqdm(total=total, initial=prog.rows_done, unit="row", desc=f"rerank {src.name}")
    try:
        seen_ids: set[str] = set()     # query ids met so far (in this run of the process)
        for rows, table, stats in score(_until(cancel, _units(pf, prog.rows_done, options)),
                                        bar.update if bar is not None else lambda n: None):
            part = work / "parts" / f"part-{prog.parts:06d}.parquet"
            durable.write_parquet(part, table)
            prog.rows_done += rows
            prog.parts += 1
            prog.queries += stats["queries"]
            prog.invalid_rows += stats["invalid"]
            prog.not_found += stats["not_found"]
            prog.split_queries += _count_split(stats["run_ids"], seen_ids)
            prog.updated_at = time.time()
            _save(work, fingerprint, prog)            # the commit point of this unit
            if on_progress is not None:
                on_progress(prog)
        if prog.rows_done < prog.total_rows:          # the units stopped early
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            raise RuntimeError(f"bulk job: the runner stopped at row {prog.rows_done:,} of {prog.total_rows:,} "
                               "without being cancelled (the work state is kept: run again to resume)")
        _assemble(work, out, prog.parts)
        prog.state = "done"
        prog.updated_at = time.time()
        if on_progress is not None:
            on_progress(prog)
        _remove_tree(work)
        return prog
    except Cancelled:
        prog.state = "cancelled"
        _save(work, fingerprint, prog)
        if on_progress is not None:
            on_progress(prog)
        return prog
    finally:
        if bar is not None:
            bar.close()


def _until(cancel: threading.Event | None, units: Iterator["_Unit"]) -> Iterator["_Unit"]:
    """``units`` until ``cancel`` is set (checked before each unit is handed out)."""
    for unit in units:
        if cancel is not None and cancel.is_set():
            return
        yield unit


def _count_split(run_ids: list[str], seen_ids: set[str]) -> int:
    """How many of these query runs reuse a query id met before (in this run of the process)."""
    split = 0
    for qid in run_ids:
        split += qid in seen_ids
        seen_ids.add(qid)
    return split


# ---- input ---------------------------------------------------------------------------------------
def _open_input(src: Path) -> pq.ParquetFile:
    try:
        pf = pq.ParquetFile(src)
    except FileNotFoundError:
        raise ValidationError(f"{src}: no such file") from None
    except (OSError, pa.ArrowInvalid) as exc:
        raise ValidationError(f"{src}: not a readable Parquet file ({exc})") from None
    names = pf.schema_arrow.names
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ValidationError(f"{src}: missing column(s) {missing}; a re-rank input needs query_id, candidate_id "
                              "and query (see ranking/search/bulk.py)")
    if "query" not in names:
        raise ValidationError(f"{src}: missing column 'query' (the query text of each query_id)")
    return pf


@dataclass
class _Unit:
    start_row: int                       # input row number of the first row
    query_id: list
    candidate_id: list
    query: list

    @property
    def num_rows(self) -> int:
        return len(self.query_id)


def _units(pf: pq.ParquetFile, skip: int, options: BulkOptions) -> Iterator[_Unit]:
    """Units of whole contiguous query runs, about ``batch_rows`` rows each, from input row ``skip`` on."""
    pending = _Unit(skip, [], [], [])
    row = 0
    for batch in _batches_from(pf, skip, options.read_rows):
        qid = [None if v is None else str(v) for v in batch.column("query_id").to_pylist()]
        cid = batch.column("candidate_id").to_pylist()
        qtx = batch.column("query").to_pylist()
        pending.query_id += qid
        pending.candidate_id += cid
        pending.query += qtx
        row += len(qid)
        while pending.num_rows >= options.batch_rows:
            cut = _cut_point(pending.query_id, options.batch_rows)
            if cut is None:          # one query run longer than the rest: wait for its end
                break
            yield _Unit(pending.start_row, pending.query_id[:cut], pending.candidate_id[:cut], pending.query[:cut])
            pending = _Unit(pending.start_row + cut, pending.query_id[cut:], pending.candidate_id[cut:], pending.query[cut:])
    if pending.num_rows:
        yield pending


def split_unit(unit: _Unit, rows: int) -> list[_Unit]:
    """``unit`` cut into pieces of whole query runs, about ``rows`` rows each (a run is never cut): the
    tasks a parallel runner spreads over workers. The pieces' outputs, concatenated in order, are the
    unit's output."""
    pieces = []
    while unit.num_rows > rows:
        cut = _cut_point(unit.query_id, rows)
        if cut is None:
            break
        pieces.append(_Unit(unit.start_row, unit.query_id[:cut], unit.candidate_id[:cut], unit.query[:cut]))
        unit = _Unit(unit.start_row + cut, unit.query_id[cut:], unit.candidate_id[cut:], unit.query[cut:])
    return [*pieces, unit]


def _batches_from(pf: pq.ParquetFile, skip: int, read_rows: int):
    """Record batches starting at input row ``skip`` (whole row groups before it are not read)."""
    groups, offset = [], 0
    for g in range(pf.metadata.num_row_groups):
        n = pf.metadata.row_group(g).num_rows
        if groups or offset + n > skip:    # from the group holding row ``skip`` on, every group
            groups.append(g)
        else:
            offset += n
    first = skip - offset
    cols = ["query_id", "candidate_id", "query"]
    for batch in pf.iter_batches(batch_size=read_rows, row_groups=groups, columns=cols):
        if first:
            if first >= batch.num_rows:
                first -= batch.num_rows
                continue
            batch = batch.slice(first)
            first = 0
        yield batch


def _cut_point(qids: list, target: int) -> int | None:
    """The first run boundary at or after ``target`` rows (None: the run goes on past the data)."""
    i = target
    while i < len(qids) and qids[i] == qids[i - 1]:
        i += 1
    return i if i < len(qids) else None


# ---- scoring -------------------------------------------------------------------------------------
def _runs(qids: list) -> Iterator[tuple[int, int]]:
    start = 0
    for i in range(1, len(qids) + 1):
        if i == len(qids) or qids[i] != qids[start]:
            yield start, i
            start = i


def rerank_unit(engine: SearchEngine, unit: _Unit, options: BulkOptions) -> tuple[pa.Table, dict]:
    """The output rows of one unit (sorted by ``input_row``) and its counts: ``queries``, ``invalid``,
    ``not_found`` and ``run_ids`` (the query id of each run, in order, for the committer's split count).
    A pure function of the unit: a runner may compute it more than once, on any process."""
    cols: dict[str, list] = {f.name: [] for f in OUTPUT_SCHEMA}
    stats = {"queries": 0, "invalid": 0, "not_found": 0, "run_ids": []}

    def emit(row: int, qid, cid, status, *, rank=None, score=None, lex=None, dense=None, lrank=None, drank=None,
             fields=(), why=""):
        for name, value in (("input_row", unit.start_row + row), ("query_id", qid), ("candidate_id", cid),
                            ("status", status), ("rank", rank), ("score", score), ("lexical_score", lex),
                            ("dense_score", dense), ("lexical_rank", lrank), ("dense_rank", drank),
                            ("matched_fields", list(fields)), ("explanation", why)):
            cols[name].append(value)

    for a, b in _runs(unit.query_id):
        qid = unit.query_id[a]
        stats["queries"] += 1
        if qid is not None:
            stats["run_ids"].append(qid)
        text = next((t for t in unit.query[a:b] if isinstance(t, str) and t.strip()), None)
        good: list[int] = []
        for i in range(a, b):
            cid = unit.candidate_id[i]
            why = None
            if qid is None:
                why = "query_id is null"
            elif text is None:
                why = f"query_id {qid!r}: no row of this query has a query text"
            elif not isinstance(cid, str) or not cid.strip():
                why = "candidate_id is null or empty"
            if why is not None:
                stats["invalid"] += 1
                emit(i, qid, cid if isinstance(cid, str) else None, "invalid", why=why)
            else:
                good.append(i)
        results: dict[str, object] = {}
        for chunk in _chunks(good, MAX_CANDIDATES):
            ids = tuple(unit.candidate_id[i] for i in chunk)
            try:
                res = rerank(engine, RerankRequest(text, ids, tenant_id=options.tenant_id, syntax=options.syntax,
                                                   mode=options.mode))
            except QueryError as exc:
                for i in chunk:
                    stats["invalid"] += 1
                    emit(i, qid, unit.candidate_id[i], "invalid", why=f"query {qid!r}: {exc}")
                continue
            offset = len(results)
            for r in res.items:
                if r.candidate_id not in results:
                    results[r.candidate_id] = (r, offset)
        # ranks over the whole run: lists above MAX_CANDIDATES are scored in chunks and merged by score
        merged = sorted(results.values(), key=lambda ro: (ro[0].rank is None, ro[0].status != "ok",
                                                          -(ro[0].score or 0.0), ro[1] + (ro[0].rank or 0)))
        final_rank = {r.candidate_id: (n if r.rank is not None else None) for n, (r, _) in enumerate(merged, start=1)}
        for i in good:
            cid = unit.candidate_id[i]
            if cid not in results:            # its chunk had a bad query: already emitted as invalid
                continue
            r, _ = results[cid]
            if r.status == "not_found":
                stats["not_found"] += 1
            emit(i, qid, cid, r.status, rank=final_rank[cid], score=r.score, lex=r.lexical_score, dense=r.dense_score,
                 lrank=r.lexical_rank, drank=r.dense_rank, fields=r.matched_fields, why=r.explanation)
    table = pa.table(cols, schema=OUTPUT_SCHEMA)
    return table.sort_by("input_row"), stats


def _chunks(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]


# ---- durable state -------------------------------------------------------------------------------
def _load_or_start(work: Path, fingerprint: dict, total: int) -> BulkProgress:
    state_file = work / "progress.json"
    if state_file.exists():
        saved = json.loads(state_file.read_text())
        if saved.get("job") != fingerprint:
            raise ValidationError(f"{work} holds another job's state (input or options differ); remove it to start over")
        prog = BulkProgress(**saved["progress"])
        prog.state, prog.error = "running", None
        prog.resumed += 1
        # parts written after the last commit are unrecorded: their rows will be redone
        for part in sorted((work / "parts").glob("part-*.parquet")):
            if int(part.stem.split("-")[1]) >= prog.parts:
                part.unlink()
        return prog
    (work / "parts").mkdir(parents=True, exist_ok=True)
    prog = BulkProgress(total_rows=total)
    _save(work, fingerprint, prog)
    return prog


def _save(work: Path, fingerprint: dict, prog: BulkProgress) -> None:
    durable.write_json(work / "progress.json", {"job": fingerprint, "progress": asdict(prog)})


def read_progress(output_path: str | Path) -> BulkProgress | None:
    """The recorded progress of an unfinished job writing ``output_path`` (None when there is none)."""
    state = work_dir_for(Path(output_path)) / "progress.json"
    if not state.exists():
        return None
    return BulkProgress(**json.loads(state.read_text())["progress"])


def _assemble(work: Path, out: Path, parts: int) -> None:
    """Concatenate the parts (streaming, one at a time) into ``out``, atomically."""
    def write(tmp: Path) -> None:
        with pq.ParquetWriter(tmp, OUTPUT_SCHEMA) as writer:
            for n in range(parts):
                writer.write_table(pq.read_table(work / "parts" / f"part-{n:06d}.parquet", schema=OUTPUT_SCHEMA))

    durable.write_atomic(out, write)


def _remove_tree(path: Path) -> None:
    for p in sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()
    path.rmdir()


__all__ = ["BulkOptions", "BulkProgress", "OUTPUT_SCHEMA", "Scored", "Scorer", "read_progress", "rerank_unit", "run_bulk",
           "run_units", "split_unit", "work_dir_for"]
