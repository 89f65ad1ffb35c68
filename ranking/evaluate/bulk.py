"""Bulk evaluation as a resumable job (the way ``ranking.search.bulk`` re-ranks): candidates evaluated in
units of ``chunk`` ids, each unit a part file recorded in ``progress.json`` only once it is on disk, so a
stopped job continues where it was; at the end the parts are ranked together (every must-have met first)
into one Parquet file, one row per distinct candidate id.

Input: ``job.json``-style spec ``{"qualifications": [...], "candidate_ids": [...]}``.
"""
from __future__ import annotations

import json
import threading
from dataclasses import asdict
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from query.qualifications import guard_qualifications, parse_qualifications
from ranking.evaluate.service import EvaluateRequest, evaluate
from ranking.search.bulk import BulkProgress, work_dir_for
from records import durable
from records.errors import QueryError

MAX_BULK_CANDIDATES = 100_000
OUTPUT_SCHEMA = pa.schema([
    pa.field("candidate_id", pa.string()), pa.field("status", pa.string()), pa.field("rank", pa.int32()),
    pa.field("score", pa.float64()), pa.field("must_met", pa.int32()), pa.field("must_total", pa.int32()),
    pa.field("all_musts", pa.bool_()), pa.field("judgements", pa.string()),   # JSON: verdicts with evidence
], metadata={"talentsearch.schema": "bulk-evaluation/1"})


def check_spec(spec) -> dict:
    """Validate a bulk evaluation spec now (a 422 at submission, not a failed job later); ids de-duplicated."""
    if not isinstance(spec, dict):
        raise QueryError("body: an object with qualifications and candidate_ids")
    guard_qualifications(parse_qualifications(spec.get("qualifications")))
    ids = spec.get("candidate_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(c, str) and c.strip() for c in ids):
        raise QueryError("candidate_ids: a non-empty list of non-empty strings")
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_BULK_CANDIDATES:
        raise QueryError(f"candidate_ids: at most {MAX_BULK_CANDIDATES:,} per job, got {len(ids):,}")
    return {"qualifications": spec["qualifications"], "candidate_ids": ids}


def run_bulk_evaluation(engine, spec_path: Path, output: Path, *, tenant_id: str | None, chunk: int = 500,
                        cancel: threading.Event | None = None) -> BulkProgress:
    spec = json.loads(Path(spec_path).read_text())
    quals, _ = guard_qualifications(parse_qualifications(spec["qualifications"]))
    ids = spec["candidate_ids"]
    work = work_dir_for(Path(output))
    state = work / "progress.json"
    if state.exists():
        prog = BulkProgress(**json.loads(state.read_text())["progress"])
        prog.state, prog.resumed = "running", prog.resumed + 1
    else:
        (work / "parts").mkdir(parents=True, exist_ok=True)
        prog = BulkProgress(total_rows=len(ids))
    while prog.rows_done < len(ids):
        if cancel is not None and cancel.is_set():
            prog.state = "cancelled"
            return prog
        part = ids[prog.rows_done: prog.rows_done + chunk]
        res = evaluate(engine, engine.evaluator, EvaluateRequest(quals, tuple(part), tenant_id=tenant_id))
        rows = [{"candidate_id": c.candidate_id, "status": c.status, "rank": None, "score": c.score,
                 "must_met": c.must_met, "must_total": c.must_total, "all_musts": c.all_musts,
                 "judgements": json.dumps([j.to_dict() for j in c.judgements])} for c in res.candidates]
        durable.write_parquet(work / "parts" / f"part-{prog.parts:06d}.parquet", pa.Table.from_pylist(rows, OUTPUT_SCHEMA))
        prog.rows_done += len(part)
        prog.parts += 1
        prog.not_found += sum(c.status == "not_found" for c in res.candidates)
        durable.write_json(state, {"job": {"kind": "evaluate"}, "progress": asdict(prog)})
    _assemble(work, Path(output), prog.parts)
    prog.state = "done"
    for p in sorted(work.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()
    work.rmdir()
    return prog


def _assemble(work: Path, out: Path, parts: int) -> None:
    """All parts ranked together: every must met first, then more musts met, then score; not_found last."""
    table = pa.concat_tables([pq.read_table(work / "parts" / f"part-{n:06d}.parquet", schema=OUTPUT_SCHEMA)
                              for n in range(parts)])
    ok = pc.equal(table["status"], "ok")
    key = pa.table({"nf": pc.invert(ok), "am": pc.invert(pc.fill_null(table["all_musts"], False)),
                    "mm": pc.negate(pc.fill_null(table["must_met"], 0)), "sc": pc.negate(pc.fill_null(table["score"], 0.0))})
    order = pc.sort_indices(key, sort_keys=[("nf", "ascending"), ("am", "ascending"), ("mm", "ascending"),
                                            ("sc", "ascending")])
    table = table.take(order)
    n_ok = pc.sum(ok).as_py() or 0
    ranks = pa.array(list(range(1, n_ok + 1)) + [None] * (table.num_rows - n_ok), pa.int32())
    table = table.set_column(table.schema.get_field_index("rank"), "rank", ranks)
    durable.write_parquet(out, table)


__all__ = ["MAX_BULK_CANDIDATES", "OUTPUT_SCHEMA", "check_spec", "run_bulk_evaluation"]
