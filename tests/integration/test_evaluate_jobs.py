"""Bulk evaluation jobs: POST /v1/jobs/evaluate -> poll -> Parquet result ranked must-haves first, another
tenant's job is 404; the runner resumes a stopped job with every candidate once."""
import io
import json
import threading
import time

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from ranking.evaluate.bulk import run_bulk_evaluation

QUALS = [{"kind": "location", "text": "Berlin", "radius_km": 30}, {"kind": "skill", "text": "spark"}]
IDS = ["de-001", "de-002", "de-003", "rn-001", "pv-001", "pv-002", "ghost", "de-001"]


@pytest.fixture(scope="module")
def client(small_index, small_engine, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evaljobs")
    app = create_app(Settings(index_dir=small_index, jobs_dir=tmp / "jobs", ltr_dir=tmp / "ltr",
                              evaluations_dir=tmp / "evaluations"), engine=small_engine)
    with TestClient(app) as c:
        yield c


def test_a_bulk_evaluation_job_ranks_every_distinct_candidate(client):
    acme = {"X-Tenant-Id": "acme-talent"}
    r = client.post("/v1/jobs/evaluate", json={"qualifications": QUALS, "candidate_ids": IDS}, headers=acme)
    assert r.status_code == 202, r.text
    job = r.json()["job_id"]
    assert r.headers["Location"].endswith(f"/v1/jobs/{job}") and r.json()["total_rows"] == 7
    for _ in range(200):
        status = client.get(f"/v1/jobs/{job}", headers=acme).json()
        if status["state"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    assert status["state"] == "done" and status["not_found"] == 2, status
    assert client.get(f"/v1/jobs/{job}", headers={"X-Tenant-Id": "globex-hr"}).status_code == 404
    table = pq.read_table(io.BytesIO(client.get(f"/v1/jobs/{job}/result", headers=acme).content)).to_pylist()
    assert sorted(r["candidate_id"] for r in table) == sorted(set(IDS))
    assert {r["candidate_id"] for r in table if r["status"] == "not_found"} == {"pv-002", "ghost"}
    ok = [r for r in table if r["status"] == "ok"]
    assert [r["rank"] for r in ok] == list(range(1, len(ok) + 1))
    keys = [(not r["all_musts"], -r["must_met"], -r["score"]) for r in ok]
    assert keys == sorted(keys)
    assert json.loads(ok[0]["judgements"])[0]["evidence"][0]["field"] == "location.city"


def test_bad_bulk_input_is_422(client):
    r = client.post("/v1/jobs/evaluate", json={"qualifications": [{"kind": "years"}], "candidate_ids": ["de-001"]})
    assert r.status_code == 422 and "min_years" in r.text
    r = client.post("/v1/jobs/evaluate", json={"qualifications": QUALS, "candidate_ids": []})
    assert r.status_code == 422 and "candidate_ids" in r.text


class StopAfter(threading.Event):
    """Set after ``n`` checks: the job stops after its first unit, as on a shutdown."""
    def __init__(self, n):
        super().__init__()
        self.n = n

    def is_set(self):
        self.n -= 1
        return self.n < 0


def test_a_stopped_job_resumes_with_every_candidate_once(small_engine, tmp_path):
    spec = tmp_path / "input.json"
    ids = ["de-001", "de-002", "de-003", "rn-001", "ghost"]
    spec.write_text(json.dumps({"qualifications": QUALS, "candidate_ids": ids}))
    out = tmp_path / "result.parquet"
    first = run_bulk_evaluation(small_engine, spec, out, tenant_id=None, chunk=2, cancel=StopAfter(1))
    assert first.state == "cancelled" and first.rows_done == 2 and not out.exists()
    done = run_bulk_evaluation(small_engine, spec, out, tenant_id=None, chunk=2)
    assert done.state == "done" and done.resumed == 1 and done.parts == 3
    assert sorted(pq.read_table(out).column("candidate_id").to_pylist()) == sorted(ids)
