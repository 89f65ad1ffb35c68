"""Re-ranking a given candidate list, and bulk re-ranking jobs (Parquet in, Parquet out, resumable)."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ranking.search.bulk import BulkOptions, read_progress, run_bulk, work_dir_for
from ranking.search.pipeline import SearchRequest
from ranking.search.rerank import RerankRequest, rerank
from records.errors import QueryError, ValidationError

REPO = Path(__file__).resolve().parents[2]
DATA_ENGINEERS = ("de-001", "de-002", "de-003", "de-004", "de-005", "de-006")
EVERYONE = DATA_ENGINEERS + ("sw-001", "sw-002", "ds-001", "rn-001")


# ---- synchronous re-rank ---------------------------------------------------------------------------
def test_rerank_orders_like_search_restricted_to_the_list(small_engine):
    res = rerank(small_engine, RerankRequest("data engineer spark", EVERYONE))
    assert sorted(r.candidate_id for r in res.items) == sorted(EVERYONE)
    assert [r.rank for r in res.items] == list(range(1, len(EVERYONE) + 1))
    full = small_engine.search(SearchRequest("data engineer spark", k=50, syntax="keywords"))
    in_list = [h.candidate_id for h in full.hits if h.candidate_id in EVERYONE]
    # the same engine on the same candidates: the relative order of the search's hits is kept
    reranked = [r.candidate_id for r in res.items]
    assert [c for c in reranked if c in in_list][: len(in_list)] == in_list
    assert res.items[0].candidate_id in DATA_ENGINEERS
    assert res.items[0].lexical_score is not None and res.items[0].dense_score is not None
    assert "lexical #" in res.items[0].explanation


def test_rerank_reports_unknown_private_and_non_matching_candidates(small_engine):
    ids = ("de-001", "nobody-42", "rn-001", "pv-002", "de-002")
    res = rerank(small_engine, RerankRequest('title:"data engineer"', ids, tenant_id="acme-talent", syntax="boolean"))
    status = {r.candidate_id: r.status for r in res.items}
    assert status == {"de-001": "ok", "de-002": "ok", "rn-001": "no_match", "nobody-42": "not_found",
                      "pv-002": "not_found"}        # another tenant's private profile is not revealed
    assert [r.candidate_id for r in res.items][:2] in (["de-001", "de-002"], ["de-002", "de-001"])
    assert res.items[2].candidate_id == "rn-001" and res.items[2].rank == 3
    assert all(r.rank is None for r in res.items if r.status == "not_found")


def test_rerank_validates_its_input(small_engine):
    with pytest.raises(QueryError, match="candidate_ids"):
        rerank(small_engine, RerankRequest("x", ()))
    with pytest.raises(QueryError, match="at most 1000"):
        rerank(small_engine, RerankRequest("x", tuple(f"c{i}" for i in range(1001))))
    with pytest.raises(QueryError, match="column"):
        rerank(small_engine, RerankRequest("title:(data AND", ("de-001",), syntax="boolean"))


def test_search_within_restricts_every_retriever(small_engine):
    res = small_engine.search(SearchRequest("spark", k=20), within=["de-003", "rn-001"])
    assert {h.candidate_id for h in res.hits} <= {"de-003", "rn-001"}


# ---- bulk jobs ---------------------------------------------------------------------------------------
def _input(path: Path, queries: int, *, bad_rows: bool = True) -> pa.Table:
    rows = {"query_id": [], "query": [], "candidate_id": []}
    texts = ["data engineer spark", 'title:"data engineer" AND berlin', "nurse", "python developer"]
    for q in range(queries):
        for j, cid in enumerate(EVERYONE + ("ghost-1",)):
            rows["query_id"].append(f"q{q:04d}")
            rows["query"].append(texts[q % len(texts)] if j == 0 else None)     # text on the first row only
            rows["candidate_id"].append(cid)
    if bad_rows:
        rows["query_id"].append("q-bad")
        rows["query"].append("spark")
        rows["candidate_id"].append(None)
        rows["query_id"].append(None)
        rows["query"].append("spark")
        rows["candidate_id"].append("de-001")
    table = pa.table(rows)
    pq.write_table(table, path, row_group_size=37)
    return table


def test_bulk_job_writes_one_row_per_input_row(small_engine, tmp_path):
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    table = _input(src, 8)
    prog = run_bulk(small_engine, src, out, BulkOptions(batch_rows=25), progress_bar=False)
    assert prog.state == "done" and prog.rows_done == table.num_rows and prog.parts > 2
    got = pq.read_table(out)
    assert got.column("input_row").to_pylist() == list(range(table.num_rows))
    assert got.column("candidate_id").to_pylist() == table.column("candidate_id").to_pylist()
    status = got.column("status").to_pylist()
    assert status.count("invalid") == 2 == prog.invalid_rows
    assert status.count("not_found") == 8 == prog.not_found            # ghost-1 in every query
    assert not work_dir_for(out).exists()
    rows = got.to_pylist()
    # per query: ranks 1..n over the found candidates, consistent with the synchronous re-rank
    q0 = [r for r in rows if r["query_id"] == "q0000" and r["status"] in ("ok", "no_match")]
    assert sorted(r["rank"] for r in q0) == list(range(1, len(EVERYONE) + 1))
    sync = rerank(small_engine, RerankRequest("data engineer spark", EVERYONE))
    assert [r["candidate_id"] for r in sorted(q0, key=lambda r: r["rank"])] == [r.candidate_id for r in sync.items]
    bad = [r for r in rows if r["status"] == "invalid"]
    assert {r["explanation"] for r in bad} == {"candidate_id is null or empty", "query_id is null"}


def test_bulk_job_resumes_after_a_stop_without_duplicates(small_engine, tmp_path):
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    table = _input(src, 12)
    cancel = threading.Event()
    seen = []

    def stop_after_three(prog):
        seen.append(prog.rows_done)
        if len(seen) == 3:
            cancel.set()

    first = run_bulk(small_engine, src, out, BulkOptions(batch_rows=20), cancel=cancel, on_progress=stop_after_three,
                     progress_bar=False)
    assert first.state == "cancelled" and 0 < first.rows_done < table.num_rows and not out.exists()
    assert read_progress(out).rows_done == first.rows_done
    # a part written after the last recorded one (a crash between the two writes) must be dropped
    orphan = work_dir_for(out) / "parts" / f"part-{first.parts:06d}.parquet"
    pq.write_table(pq.read_table(work_dir_for(out) / "parts" / "part-000000.parquet"), orphan)
    second = run_bulk(small_engine, src, out, BulkOptions(batch_rows=20), progress_bar=False)
    assert second.state == "done" and second.resumed == 1
    got = pq.read_table(out).column("input_row").to_pylist()
    assert got == list(range(table.num_rows))


def test_bulk_job_rejects_a_bad_input_file_clearly(small_engine, tmp_path):
    pq.write_table(pa.table({"query_id": ["q"], "candidate_id": ["de-001"]}), tmp_path / "noquery.parquet")
    with pytest.raises(ValidationError, match="missing column 'query'"):
        run_bulk(small_engine, tmp_path / "noquery.parquet", tmp_path / "o.parquet", progress_bar=False)
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(ValidationError, match="not a readable Parquet file"):
        run_bulk(small_engine, tmp_path / "junk.parquet", tmp_path / "o.parquet", progress_bar=False)
    # another job's state in the work directory is never mixed into this one
    src = tmp_path / "in.parquet"
    _input(src, 2)
    work = work_dir_for(tmp_path / "o2.parquet")
    work.mkdir()
    (work / "progress.json").write_text(json.dumps({"job": {"input": "elsewhere"}, "progress": {"total_rows": 1}}))
    with pytest.raises(ValidationError, match="another job"):
        run_bulk(small_engine, src, tmp_path / "o2.parquet", progress_bar=False)


def test_cli_rerank_survives_sigkill_and_resumes_exactly(small_index, tmp_path):
    """A real process killed with SIGKILL half way; the same command again ends with every row once."""
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    table = _input(src, 240, bad_rows=False)
    cmd = [sys.executable, "-m", "api.cli", "rerank", str(src), str(out), "--index-dir", str(small_index),
           "--batch-rows", "55", "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    prog = None
    while time.monotonic() < deadline and proc.poll() is None:
        prog = read_progress(out)
        if prog is not None and prog.parts >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"the job ended before it could be killed: {proc.stdout.read().decode()[-2000:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    killed_at = read_progress(out).rows_done
    assert 0 < killed_at < table.num_rows and not out.exists()
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "resuming" in done.stdout
    got = pq.read_table(out)
    assert got.column("input_row").to_pylist() == list(range(table.num_rows))
    assert got.column("candidate_id").to_pylist() == table.column("candidate_id").to_pylist()
