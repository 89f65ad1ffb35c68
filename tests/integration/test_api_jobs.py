"""POST /v1/rerank and the bulk re-ranking jobs of the API: results, tenancy, bad uploads, restarts."""
import io
import threading
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.jobs import JobManager
from api.settings import Settings
from ranking.search.bulk import BulkOptions, read_progress, run_bulk

CANDIDATES = ["de-001", "de-002", "rn-001", "pv-001", "nobody"]


@pytest.fixture()
def client(small_index, small_engine, tmp_path):
    settings = Settings(index_dir=small_index, jobs_dir=tmp_path / "jobs", ltr_dir=tmp_path / "ltr")
    with TestClient(create_app(settings, engine=small_engine)) as c:
        yield c


def _parquet(queries: int = 6) -> bytes:
    rows = {"query_id": [], "query": [], "candidate_id": []}
    for q in range(queries):
        for cid in CANDIDATES:
            rows["query_id"].append(f"q{q}")
            rows["query"].append("data engineer spark")
            rows["candidate_id"].append(cid)
    buf = io.BytesIO()
    pq.write_table(pa.table(rows), buf)
    return buf.getvalue()


def _wait(client, job_id, headers, states=("done", "failed", "cancelled"), timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        if st["state"] in states:
            return st
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {st['state']}")


def test_sync_rerank_scopes_private_candidates_to_their_tenant(client):
    body = {"query": "data engineer spark", "candidate_ids": CANDIDATES}
    acme = client.post("/v1/rerank", json=body, headers={"X-Tenant-Id": "acme-talent"}).json()
    other = client.post("/v1/rerank", json=body, headers={"X-Tenant-Id": "globex-hr"}).json()
    st_acme = {i["candidate_id"]: i["status"] for i in acme["items"]}
    st_other = {i["candidate_id"]: i["status"] for i in other["items"]}
    assert st_acme["pv-001"] == "ok" and st_other["pv-001"] == "not_found"
    assert st_acme["nobody"] == st_other["nobody"] == "not_found"
    ranks = [i["rank"] for i in acme["items"] if i["status"] == "ok"]
    assert ranks == list(range(1, len(ranks) + 1))


def test_sync_rerank_bad_input_is_422_naming_the_field(client):
    r = client.post("/v1/rerank", json={"query": "x", "candidate_ids": []})
    assert r.status_code == 422 and r.json()["field"] == "candidate_ids"
    r = client.post("/v1/rerank", json={"query": "title:(data AND", "candidate_ids": ["de-001"], "syntax": "boolean"})
    assert r.status_code == 422 and r.json()["column"] == 16


def test_bulk_job_round_trip_and_tenant_isolation(client):
    acme = {"X-Tenant-Id": "acme-talent"}
    r = client.post("/v1/jobs/rerank?batch_rows=100", content=_parquet(), headers=acme)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    # another tenant cannot see, fetch or cancel it
    other = {"X-Tenant-Id": "globex-hr"}
    assert client.get(f"/v1/jobs/{job_id}", headers=other).status_code == 404
    assert client.get(f"/v1/jobs/{job_id}/result", headers=other).status_code == 404
    assert client.delete(f"/v1/jobs/{job_id}", headers=other).status_code == 404
    st = _wait(client, job_id, acme)
    assert st["state"] == "done" and st["rows_done"] == st["total_rows"] == 6 * len(CANDIDATES), st
    res = client.get(f"/v1/jobs/{job_id}/result", headers=acme)
    assert res.status_code == 200
    table = pq.read_table(io.BytesIO(res.content))
    assert table.num_rows == 6 * len(CANDIDATES)
    assert table.column("candidate_id").to_pylist() == CANDIDATES * 6
    assert set(table.filter(pa.compute.equal(table.column("candidate_id"), "pv-001")).column("status").to_pylist()) == {"ok"}


def test_bad_upload_is_422_and_leaves_nothing_behind(client, tmp_path):
    r = client.post("/v1/jobs/rerank", content=b"definitely not parquet")
    assert r.status_code == 422 and "not a readable Parquet file" in r.json()["detail"]
    buf = io.BytesIO()
    pq.write_table(pa.table({"query_id": ["q"], "candidate_id": ["de-001"]}), buf)
    r = client.post("/v1/jobs/rerank", content=buf.getvalue())
    assert r.status_code == 422 and "query" in r.json()["detail"]
    assert not any((tmp_path / "jobs").rglob("input.parquet"))
    assert client.get("/v1/jobs/0123456789abcdef0123456789abcdef").status_code == 404
    assert client.get("/v1/jobs/..%2F..%2Fetc").status_code == 404


def test_a_job_left_running_by_a_dead_server_resumes_on_start(small_engine, tmp_path):
    jobs = JobManager(tmp_path / "jobs", lambda: small_engine)
    st = jobs.submit("acme-talent", _parquet(20), batch_rows=20)     # queued; no worker started
    d = tmp_path / "jobs" / "acme-talent" / st["job_id"]
    cancel, units = threading.Event(), []
    prog = run_bulk(small_engine, d / "input.parquet", d / "result.parquet", BulkOptions(tenant_id="acme-talent", batch_rows=20),
                    cancel=cancel, on_progress=lambda p: (units.append(p.rows_done), cancel.set()), progress_bar=False)
    assert prog.state == "cancelled" and read_progress(d / "result.parquet").rows_done == units[0] < 100
    fresh = JobManager(tmp_path / "jobs", lambda: small_engine)          # "the server restarted"
    fresh.start()
    try:
        deadline = time.monotonic() + 60
        while fresh.status("acme-talent", st["job_id"])["state"] != "done" and time.monotonic() < deadline:
            time.sleep(0.1)
        final = fresh.status("acme-talent", st["job_id"])
    finally:
        fresh.stop()
    assert final["state"] == "done" and final["rows_done"] == 20 * len(CANDIDATES)
    table = pq.read_table(fresh.result_path("acme-talent", st["job_id"]))
    assert table.column("input_row").to_pylist() == list(range(20 * len(CANDIDATES)))


def test_cancel_stops_a_job(small_engine, tmp_path):
    jobs = JobManager(tmp_path / "jobs", lambda: small_engine)
    st = jobs.submit(None, _parquet(4))
    assert jobs.cancel(None, st["job_id"])["state"] == "cancelled"
    jobs.start()
    try:
        time.sleep(0.3)
        assert jobs.status(None, st["job_id"])["state"] == "cancelled"
    finally:
        jobs.stop()


def _until(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_job_waits_for_an_unavailable_index_and_finishes_when_it_appears(small_index, small_engine, tmp_path):
    """Issue 17: a job that met an unavailable index failed for good; it now waits and retries with backoff."""
    import shutil

    from indexer.reader import IndexReader
    from ranking.search.pipeline import SearchEngine
    from tests.conftest import AS_OF

    index = tmp_path / "index"          # nothing published yet
    engine = SearchEngine(IndexReader(index), small_engine.encoder, today=lambda: AS_OF)
    jobs = JobManager(tmp_path / "jobs", lambda: engine, retry_base_s=0.05, retry_max_s=0.2)
    st = jobs.submit("acme-talent", _parquet(3))
    jobs.start()
    try:
        waiting = _until(lambda: (s := jobs.status("acme-talent", st["job_id"]))["attempts"] >= 2 and s, "two attempts")
        assert waiting["state"] in ("queued", "running") and "no index" in waiting["error"]
        shutil.copytree(small_index, index)          # the index is published
        final = _until(lambda: (s := jobs.status("acme-talent", st["job_id"]))["state"] in ("done", "failed") and s, "done")
    finally:
        jobs.stop()
    assert final["state"] == "done" and final["rows_done"] == 3 * len(CANDIDATES) and final["error"] is None


def test_a_job_gives_up_after_its_attempts(small_engine, tmp_path):
    from indexer.reader import IndexReader
    from ranking.search.pipeline import SearchEngine

    engine = SearchEngine(IndexReader(tmp_path / "never"), small_engine.encoder)
    jobs = JobManager(tmp_path / "jobs", lambda: engine, retry_attempts=3, retry_base_s=0.01, retry_max_s=0.01)
    st = jobs.submit(None, _parquet(1))
    jobs.start()
    try:
        final = _until(lambda: (s := jobs.status(None, st["job_id"]))["state"] == "failed" and s, "failed")
    finally:
        jobs.stop()
    assert final["attempts"] == 3 and "gave up after 3 attempts" in final["error"]
