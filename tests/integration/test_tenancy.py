"""Tenancy through API keys: every /v1 endpoint needs a key, the key (not a header) decides the tenant,
and one tenant never sees another's private candidates, jobs or events. Also request ids and /metrics."""
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.middleware import ApiKeys
from api.settings import Settings

MUST_SHOW = 'title:"data engineer" AND (spark OR airflow) NOT company:acme'
ENDPOINTS = [
    ("POST", "/v1/search", {"json": {"query": "spark"}}),
    ("GET", "/v1/candidates/de-001", {}),
    ("POST", "/v1/events", {"json": {"event_id": "e1", "type": "view", "candidate_id": "de-001", "recruiter_id": "r1",
                                     "timestamp": "2026-11-01T10:00:00Z"}}),
    ("POST", "/v1/rerank", {"json": {"query": "spark", "candidate_ids": ["de-001"]}}),
    ("POST", "/v1/jobs/rerank", {"content": b"x"}),
    ("GET", "/v1/jobs/0123456789abcdef0123456789abcdef", {}),
    ("GET", "/v1/jobs/0123456789abcdef0123456789abcdef/result", {}),
    ("DELETE", "/v1/jobs/0123456789abcdef0123456789abcdef", {}),
    ("GET", "/v1/insights?query=spark", {}),
    ("POST", "/v1/queries/generate", {"json": {"text": "data engineer with spark"}}),
    ("POST", "/v1/queries/refine", {"json": {"text": "data engineer with spark"}}),
    ("GET", "/v1/models", {}),
    ("POST", "/v1/models/train", {"json": {"debias": "position"}}),
    ("POST", "/v1/models/v000001/promote", {}),
    ("POST", "/v1/models/rollback", {}),
    ("PUT", "/v1/audit/attributes", {"content": b"candidate_id,sex\nde-001,female\n"}),
    ("POST", "/v1/evaluate", {"json": {"qualifications": [{"kind": "skill", "text": "spark"}], "candidate_ids": ["de-001"]}}),
    ("GET", "/v1/evaluations", {}),
    ("POST", "/v1/jobs/evaluate", {"json": {"qualifications": [{"kind": "skill", "text": "spark"}], "candidate_ids": ["de-001"]}}),
    ("GET", "/v1/evaluations/0123456789abcdef0123456789abcdef", {}),
    ("PUT", "/v1/candidates/de-001", {"json": {"headline": "x"}}),
    ("DELETE", "/v1/candidates/de-001", {}),
    ("POST", "/v1/candidates:batch", {"content": b"{}"}),
    ("POST", "/v1/searches", {"json": {"name": "n", "query": "spark"}}),
    ("GET", "/v1/searches", {}),
    ("GET", "/v1/searches/ss-0123456789abcdef", {}),
    ("PATCH", "/v1/searches/ss-0123456789abcdef", {"json": {"name": "m"}}),
    ("DELETE", "/v1/searches/ss-0123456789abcdef", {}),
    ("GET", "/v1/searches/ss-0123456789abcdef/matches", {}),
    ("GET", "/v1/searches/ss-0123456789abcdef/deliveries", {}),
    ("POST", "/v1/searches/ss-0123456789abcdef/refresh", {}),
    ("GET", "/v1/webhooks/secret", {}),
]


@pytest.fixture(scope="module")
def keyed(small_index, small_engine, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tenancy")
    keys = ApiKeys(tmp / "keys.json")
    _, acme = keys.create("acme-talent")
    _, globex = keys.create("globex-hr")
    settings = Settings(index_dir=small_index, api_keys_file=tmp / "keys.json", jobs_dir=tmp / "jobs", ltr_dir=tmp / "ltr",
                        evaluations_dir=tmp / "evaluations", standing_dir=tmp / "standing")
    app = create_app(settings, engine=small_engine)
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {acme}"}, {"X-API-Key": globex}, app


def test_openapi_lists_every_endpoint_this_test_covers(keyed):
    client, *_ = keyed
    paths = client.get("/openapi.json").json()["paths"]
    covered = {p.split("?")[0].replace("de-001", "{candidate_id}").replace("evaluations/0123456789abcdef0123456789abcdef", "evaluations/{evaluation_id}").replace("0123456789abcdef0123456789abcdef", "{job_id}")
               .replace("v000001", "{version}").replace("ss-0123456789abcdef", "{search_id}")
               for _, p, _ in ENDPOINTS}
    v1 = {p for p in paths if p.startswith("/v1/")}
    assert v1 <= covered, f"endpoints without a tenancy test: {sorted(v1 - covered)}"


@pytest.mark.parametrize("method, path, kwargs", ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_every_v1_endpoint_needs_a_valid_key(keyed, method, path, kwargs):
    client, *_ = keyed
    missing = client.request(method, path, **kwargs)
    assert missing.status_code == 401 and missing.headers["content-type"].startswith("application/problem+json")
    assert "missing API key" in missing.json()["detail"]
    wrong = client.request(method, path, headers={"Authorization": "Bearer ts_nope_nope"}, **kwargs)
    assert wrong.status_code == 401 and "invalid API key" in wrong.json()["detail"]
    spoofed = client.request(method, path, headers={"X-Tenant-Id": "acme-talent"}, **kwargs)
    assert spoofed.status_code == 401                # a tenant header alone is not a credential


def test_the_key_decides_the_tenant_not_the_header(keyed):
    client, acme, globex, _ = keyed
    body = {"query": MUST_SHOW, "filters": {"near": "Berlin"}, "k": 20}
    ids = lambda r: {h["candidate_id"] for h in r.json()["hits"]}  # noqa: E731
    assert "pv-001" in ids(client.post("/v1/search", json=body, headers=acme))
    spoof = {**globex, "X-Tenant-Id": "acme-talent"}
    assert "pv-001" not in ids(client.post("/v1/search", json=body, headers=spoof))
    assert client.get("/v1/candidates/pv-001", headers=spoof).status_code == 404
    assert client.get("/v1/candidates/pv-001", headers=acme).status_code == 200
    rr = client.post("/v1/rerank", json={"query": "spark", "candidate_ids": ["pv-001"]}, headers=spoof).json()
    assert rr["items"][0]["status"] == "not_found"


def test_jobs_and_events_stay_with_their_tenant(keyed):
    client, acme, globex, app = keyed
    buf = io.BytesIO()
    pq.write_table(pa.table({"query_id": ["q1", "q1"], "query": ["spark", None], "candidate_id": ["de-001", "pv-001"]}), buf)
    job = client.post("/v1/jobs/rerank", content=buf.getvalue(), headers=acme).json()["job_id"]
    for method, suffix in (("GET", ""), ("GET", "/result"), ("DELETE", "")):
        assert client.request(method, f"/v1/jobs/{job}{suffix}", headers={**globex, "X-Tenant-Id": "acme-talent"}).status_code == 404
    assert client.get(f"/v1/jobs/{job}", headers=acme).status_code == 200
    ev = {"event_id": "tenancy-e1", "type": "shortlist", "candidate_id": "de-001", "recruiter_id": "r1",
          "timestamp": "2026-11-01T10:00:00Z", "request_id": "r-1", "position": 1}
    r = client.post("/v1/events", json=ev, headers={**globex, "X-Tenant-Id": "acme-talent"})
    assert r.status_code == 200, r.text
    stores = app.state.events
    assert "tenancy-e1" in {e.event_id for e in stores.get("globex-hr").events()}
    assert "tenancy-e1" not in {e.event_id for e in stores.get("acme-talent").events()}


def test_request_ids_and_metrics(keyed):
    client, acme, *_ = keyed
    r = client.post("/v1/search", json={"query": "spark"}, headers={**acme, "X-Request-Id": "agent-run-42"})
    assert r.headers["x-request-id"] == "agent-run-42"
    assert len(client.get("/healthz").headers["x-request-id"]) == 32          # generated when none is sent
    text = client.get("/metrics").text
    assert 'talentsearch_http_requests_total{method="POST",route="/v1/search",status="200"}' in text
    assert 'talentsearch_http_requests_total{method="POST",route="unauthenticated",status="401"}' in text
    assert "talentsearch_http_request_seconds_bucket" in text


def test_revoked_keys_stop_working_without_a_restart(keyed, tmp_path):
    client, *_ = keyed
    keys = ApiKeys(client.app.state.api_keys.path)
    rec, secret = keys.create("initech")
    assert client.post("/v1/search", json={"query": "spark"}, headers={"X-API-Key": secret}).status_code == 200
    keys.revoke(rec.key_id)
    assert client.post("/v1/search", json={"query": "spark"}, headers={"X-API-Key": secret}).status_code == 401


def test_keys_cli_as_the_readme_shows_it(tmp_path, capsys, monkeypatch):
    """Issue 17: without a keys file the command said so on stdout; the README example failed as written."""
    from api.cli import main

    monkeypatch.delenv("TALENTSEARCH_API_KEYS_FILE", raising=False)
    assert main(["keys", "create", "--tenant", "acme"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "--keys-file" in out.err and "TALENTSEARCH_API_KEYS_FILE" in out.err
    path = tmp_path / "api-keys.json"
    assert main(["keys", "create", "--tenant", "acme", "--keys-file", str(path)]) == 0
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    assert ApiKeys(path).tenant_for(secret) == "acme"
    assert main(["keys", "list", "--keys-file", str(path)]) == 0 and "acme" in capsys.readouterr().out


@pytest.mark.parametrize("tenant", ["acme\n", "../../etc", ".hidden", "a" * 129])
def test_tenant_ids_outside_the_pattern_are_refused_everywhere(tenant):
    """One pattern (records.ids), matched whole: a trailing newline passed `re.match(...$)`."""
    from api.middleware import ApiKeys  # noqa: F401  (the API checks with the same pattern)
    from ranking.ltr.events import check_tenant
    from records.errors import ValidationError

    with pytest.raises(ValidationError):
        check_tenant(tenant)
