"""The HTTP API's input defects found as a new user would (issue 17), each a 500 or a wrong answer
before: unbounded numeric filters, lone surrogates in JSON strings, unsigned paging cursors, an
unlimited events batch; and the error contract: 404/405 as problem+json, every validation error
with its field, ``Location`` on a job's 202."""
import base64
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings

PROBLEM = "application/problem+json"


def _settings(index, tmp, **kw):
    return Settings(index_dir=index, jobs_dir=tmp / "jobs", ltr_dir=tmp / "ltr", **kw)


@pytest.fixture()
def client(small_index, small_engine, tmp_path):
    with TestClient(create_app(_settings(small_index, tmp_path, max_events_per_request=5), engine=small_engine)) as c:
        yield c


def _is_problem(r, status, field=None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if field is not None:
        assert body["field"] == field, body
    return body


# ---- numeric filters are bounded in the schema ------------------------------------------------------
@pytest.mark.parametrize("name, value", [("active_within_days", 1e30), ("active_within_days", 1e15),
                                         ("active_within_days", 10**30),
                                         ("radius_km", 1e300), ("min_years", 1e30), ("max_years", 1e30)])
def test_huge_filter_numbers_are_422_naming_the_field(client, name, value):
    r = client.post("/v1/search", json={"query": "java", "filters": {name: value}})
    _is_problem(r, 422, f"filters.{name}")


@pytest.mark.parametrize("name", ["active_within_days", "radius_km", "min_years", "lat"])
def test_huge_insights_parameters_are_422_naming_them(client, name):
    r = client.get("/v1/insights", params={"query": "", name: str(10**30)})
    assert name in _is_problem(r, 422, name)["detail"]


# ---- lone surrogates ---------------------------------------------------------------------------------
@pytest.mark.parametrize("path, body, field", [
    ("/v1/rerank", '{"query":"java","candidate_ids":["ok","c\\ud800"]}', "candidate_ids.1"),
    ("/v1/search", '{"query":"java \\udfff"}', "query"),
    ("/v1/search", '{"query":"java","filters":{"near":"\\ud800x"}}', "filters.near"),
    ("/v1/queries/generate", '{"text":"data engineer \\ud83d"}', "text"),
])
def test_a_lone_surrogate_is_422_naming_the_field(client, path, body, field):
    r = client.post(path, content=body.encode(), headers={"Content-Type": "application/json", "X-Tenant-Id": "acme-talent"})
    problem = _is_problem(r, 422, field)
    assert [e["field"] for e in problem["errors"]] == [field]


def test_a_lone_surrogate_in_an_event_is_422_and_nothing_is_stored(client):
    ev = '{"event_id":"e1","type":"view","candidate_id":"de-001","recruiter_id":"r\\udc00","timestamp":"2026-11-01T10:00:00Z"}'
    r = client.post("/v1/events", content=f"[{ev}]".encode(),
                    headers={"Content-Type": "application/json", "X-Tenant-Id": "acme-talent"})
    _is_problem(r, 422, "0.recruiter_id")
    assert client.app.state.events.get("acme-talent").count_events() == 0


def test_paired_surrogates_are_ordinary_text(client):
    r = client.post("/v1/search", content=b'{"query":"java \\ud83d\\ude00"}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text


def test_a_body_that_is_not_utf8_is_422(client):
    r = client.post("/v1/search", content=b'{"query":"caf\xe9"}', headers={"Content-Type": "application/json"})
    _is_problem(r, 422, "body")


# ---- paging cursors are signed ----------------------------------------------------------------------
def _first_cursor(client, body):
    r = client.post("/v1/search", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"]
    return r.json()["next_cursor"]


def _tamper(cursor: str, **changes) -> str:
    payload, dot, sig = cursor.partition(".")
    state = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    state.update(changes)
    raw = base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")
    return raw + dot + sig


@pytest.mark.parametrize("depth", ["abc", None, [1], 1_000_000_000, -1, True])
def test_a_tampered_cursor_is_refused_naming_the_cursor(client, depth):
    body = {"query": "spark", "k": 2}
    bad = _tamper(_first_cursor(client, body), d=depth)
    _is_problem(client.post("/v1/search", json={**body, "cursor": bad}), 422, "cursor")


@pytest.mark.parametrize("cursor", ["", "x", "e30", "e30.AAAA", "....", "%%%", "eyJxIjoxfQ.", "a" * 2000])
def test_garbage_cursors_are_refused_naming_the_cursor(client, cursor):
    r = client.post("/v1/search", json={"query": "spark", "k": 2, "cursor": cursor})
    if cursor == "":
        assert r.status_code == 200      # an empty cursor is the first page
    else:
        _is_problem(r, 422, "cursor")


def test_cursors_survive_a_restart_and_need_the_servers_key(small_index, small_engine, tmp_path):
    body = {"query": "spark", "k": 2}
    with TestClient(create_app(_settings(small_index, tmp_path), engine=small_engine)) as first:
        cursor = _first_cursor(first, body)
    assert (tmp_path / "jobs" / ".cursor-secret").stat().st_mode & 0o077 == 0      # kept, readable by the server only
    with TestClient(create_app(_settings(small_index, tmp_path), engine=small_engine)) as again:
        r = again.post("/v1/search", json={**body, "cursor": cursor})
        assert r.status_code == 200 and [h["rank"] for h in r.json()["hits"]] == [3, 4]
    other = tmp_path / "other"
    with TestClient(create_app(_settings(small_index, other), engine=small_engine)) as stranger:
        _is_problem(stranger.post("/v1/search", json={**body, "cursor": cursor}), 422, "cursor")
    configured = tmp_path / "configured"
    with TestClient(create_app(_settings(small_index, configured, cursor_secret="s" * 32), engine=small_engine)) as keyed:
        mine = _first_cursor(keyed, body)
        assert keyed.post("/v1/search", json={**body, "cursor": mine}).status_code == 200
        _is_problem(keyed.post("/v1/search", json={**body, "cursor": cursor}), 422, "cursor")
    assert not (configured / "jobs" / ".cursor-secret").exists()      # a configured key is never written down


# ---- events: a stated batch limit -------------------------------------------------------------------
def _events(n):
    return [{"event_id": f"e{i}", "type": "view", "candidate_id": "de-001", "recruiter_id": "r1",
             "timestamp": "2026-11-01T10:00:00Z"} for i in range(n)]


def test_an_events_batch_over_the_limit_is_413_saying_the_limit(client):
    r = client.post("/v1/events", json=_events(6), headers={"X-Tenant-Id": "acme-talent"})
    problem = _is_problem(r, 413)
    assert "at most 5" in problem["detail"] and "6" in problem["detail"]
    assert client.app.state.events.get("acme-talent").count_events() == 0
    ok = client.post("/v1/events", json=_events(5), headers={"X-Tenant-Id": "acme-talent"})
    assert ok.status_code == 200 and ok.json()["accepted"] == 5


def test_the_default_events_limit_is_ten_thousand():
    assert Settings().max_events_per_request == 10_000


# ---- the error contract -----------------------------------------------------------------------------
def test_unknown_paths_and_methods_are_problems(client):
    _is_problem(client.get("/v1/nothing-here"), 404)
    r = client.get("/v1/search")
    _is_problem(r, 405)
    assert r.headers["allow"] == "POST"
    assert _is_problem(client.put("/v1/jobs/0123456789abcdef0123456789abcdef"), 405)


def test_every_validation_error_is_returned_with_its_field(client):
    r = client.post("/v1/search", json={"query": "x", "k": 0, "mode": "psychic", "filters": {"colour": "red"}})
    problem = _is_problem(r, 422)
    fields = {e["field"]: e for e in problem["errors"]}
    assert set(fields) == {"k", "mode", "filters.colour"}
    assert problem["field"] in fields and all(e["location"] == "body" and e["message"] for e in fields.values())
    assert all(f in problem["detail"] for f in fields)
    r = client.get("/v1/insights", params={"top": 0, "window_months": 0}, headers={"X-Tenant-Id": "../../etc"})
    assert {(e["location"], e["field"]) for e in _is_problem(r, 422)["errors"]} == {
        ("query", "top"), ("query", "window_months"), ("header", "x-tenant-id")}


def test_a_submitted_job_says_where_it_is(client):
    buf = io.BytesIO()
    pq.write_table(pa.table({"query_id": ["q1"], "query": ["spark"], "candidate_id": ["de-001"]}), buf)
    r = client.post("/v1/jobs/rerank", content=buf.getvalue(), headers={"Content-Type": "application/vnd.apache.parquet"})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    assert r.headers["location"].endswith(f"/v1/jobs/{job_id}")
    assert client.get(r.headers["location"]).json()["job_id"] == job_id
