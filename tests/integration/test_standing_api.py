"""Issue 20 over HTTP: live writes, standing searches, the new-match feed and webhooks.

Each module gets its own copy of the 12-profile corpus indexed with the static encoder (writes change the
index; the session's shared small index stays untouched). Webhooks go to a real HTTP receiver on 127.0.0.1.
"""
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from indexer.build import IndexConfig, ingest
from indexer.encoder import EncoderConfig
from ranking.standing.webhooks import verify
from tests.conftest import AS_OF, DATA

ACME, GLOBEX, ROOT = {"X-Tenant-Id": "acme"}, {"X-Tenant-Id": "globex"}, {"X-Tenant-Id": "root"}
DE = 'title:"data engineer"'


def _rows():
    return [json.loads(x) for x in (DATA / "profiles_small.jsonl").read_text().splitlines()]


def _settings(tmp, **extra) -> Settings:
    return Settings(index_dir=tmp / "index", standing_dir=tmp / "standing", jobs_dir=tmp / "jobs", ltr_dir=tmp / "ltr",
                    encoder_backend="static", as_of=AS_OF, admin_tenants=["root"], live_fold_interval_s=0.2,
                    max_batch_bytes=8192, webhook_backoff_s=0.1, **extra)


@pytest.fixture(scope="module")
def index_copy(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("standing")
    ingest([DATA / "profiles_small.jsonl"], tmp / "index", IndexConfig(as_of=AS_OF, encoder=EncoderConfig(backend="static")),
           progress=False)
    return tmp


@pytest.fixture(scope="module")
def client(index_copy):
    with TestClient(create_app(_settings(index_copy))) as c:
        yield c


def _profile(cid, *, title="Senior Data Engineer", skills=("Apache Spark",), owner=None):
    p = {**_rows()[0], "candidate_id": cid, "skills": list(skills)}
    p["positions"] = [{**p["positions"][0], "title": title}]
    p.pop("owner_tenant", None)
    if owner:
        p["owner_tenant"] = owner
    return p


def _ids(client, query, headers):
    r = client.post("/v1/search", json={"query": query, "k": 100, "mode": "lexical", "syntax": "boolean"}, headers=headers)
    assert r.status_code == 200, r.text
    return {h["candidate_id"] for h in r.json()["hits"]}


def _wait(pred, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def _feed(client, sid, headers=ACME, after=None):
    url = f"/v1/searches/{sid}/matches" + (f"?after={after}" if after is not None else "")
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_write_enters_the_feed_at_once_and_search_within_the_fold_interval(client):
    sid = client.post("/v1/searches", json={"name": "de", "query": DE}, headers=ACME).json()["search_id"]
    assert _feed(client, sid)["entries"] == []                       # current matches are members, not news
    r = client.put("/v1/candidates/live-1", json=_profile("live-1"), headers=ACME)
    assert r.status_code == 200 and r.json()["operation"] == "upsert" and r.json()["feed_entries"] >= 1
    [entry] = _feed(client, sid)["entries"]
    assert (entry["candidate_id"], entry["event"]) == ("live-1", "entered")
    assert "title" in entry["why"]["matched_fields"] and entry["why"]["source"] == "write"
    assert _wait(lambda: "live-1" in _ids(client, DE, ACME)), "not searchable after 10 s"
    assert "live-1" not in _ids(client, DE, GLOBEX)                  # acme's private candidate
    # an update that stops matching leaves; a delete of a non-member adds nothing
    r = client.put("/v1/candidates/live-1", json=_profile("live-1", title="Nurse"), headers=ACME)
    # a fold has run (live-1 became searchable): the receipt adds its duration to the 0.2 s interval
    assert client.app.state.live.last_fold_s > 0 and r.json()["searchable_within_s"] > 0.2
    cursor = _feed(client, sid)["next_cursor"]
    assert [(e["candidate_id"], e["event"]) for e in _feed(client, sid)["entries"]][-1] == ("live-1", "left")
    assert client.delete("/v1/candidates/live-1", headers=ACME).status_code == 200
    assert _feed(client, sid, after=cursor)["entries"] == []
    assert _wait(lambda: client.get("/v1/candidates/live-1", headers=ACME).status_code == 404)
    assert client.delete("/v1/candidates/live-1", headers=ACME).status_code == 404


def test_batch_writes_keep_good_records_and_return_bad_ones(client):
    sid = client.post("/v1/searches", json={"name": "spark", "query": "skill:spark"}, headers=ACME).json()["search_id"]
    good = [_profile(f"b-{i}") for i in range(2)]
    bad_dates = {"candidate_id": "b-bad", "positions": [{"title": "x", "start": "2020-01-01", "end": "2019-01-01"}]}
    body = "".join(json.dumps(p) + "\n" for p in good) + "{not json\n" + json.dumps(bad_dates) + "\n" \
        + json.dumps(_profile("b-other", owner="globex")) + "\n"
    r = client.post("/v1/candidates:batch", content=body, headers={**ACME, "content-type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["accepted"] == 2 and out["last_seq"] - out["first_seq"] == 1
    reasons = {x["row"]: x["reason"] for x in out["rejected"]}
    assert set(reasons) == {3, 4, 5}
    assert "invalid JSON" in reasons[3] and "positions[0]: end 2019-01-01 is before start" in reasons[4]
    assert "owner_tenant: must be your tenant" in reasons[5]
    assert {e["candidate_id"] for e in _feed(client, sid)["entries"]} == {"b-0", "b-1"}
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([{"candidate_id": "pq-1", "headline": "Spark wizard", "skills": ["Apache Spark"]}]), buf)
    r = client.post("/v1/candidates:batch", content=buf.getvalue(), headers={**ACME, "content-type": "application/vnd.apache.parquet"})
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    assert "pq-1" in {e["candidate_id"] for e in _feed(client, sid)["entries"]}
    big = client.post("/v1/candidates:batch", content=b"{}\n" * 5000, headers={**ACME, "content-type": "application/x-ndjson"})
    assert big.status_code == 413 and "8,192" in big.json()["detail"]
    assert _wait(lambda: {"b-0", "b-1", "pq-1"} <= _ids(client, "skill:spark", ACME))


def test_tenants_are_isolated_on_every_route(client):
    sid = client.post("/v1/searches", json={"name": "mine", "query": "spark"}, headers=ACME).json()["search_id"]
    assert client.put("/v1/candidates/iso-1", json=_profile("iso-1"), headers=ACME).status_code == 200
    for method, path, kwargs in [("GET", f"/v1/searches/{sid}", {}), ("PATCH", f"/v1/searches/{sid}", {"json": {"name": "x"}}),
                                 ("GET", f"/v1/searches/{sid}/matches", {}), ("GET", f"/v1/searches/{sid}/deliveries", {}),
                                 ("POST", f"/v1/searches/{sid}/refresh", {}), ("DELETE", f"/v1/searches/{sid}", {}),
                                 ("PUT", "/v1/candidates/iso-1", {"json": _profile("iso-1")}),
                                 ("DELETE", "/v1/candidates/iso-1", {})]:
        r = client.request(method, path, headers=GLOBEX, **kwargs)
        assert r.status_code == 404, (method, path, r.text)
    assert sid not in {s["search_id"] for s in client.get("/v1/searches", headers=GLOBEX).json()["searches"]}
    assert sid in {s["search_id"] for s in client.get("/v1/searches", headers=ACME).json()["searches"]}
    assert client.get("/v1/webhooks/secret", headers=ACME).json() != client.get("/v1/webhooks/secret", headers=GLOBEX).json()
    # network profiles: admin keys only
    r = client.put("/v1/candidates/de-001", json=_rows()[0], headers=ACME)
    assert r.status_code == 403 and "admin" in r.json()["detail"]
    assert client.delete("/v1/candidates/de-001", headers=GLOBEX).status_code == 403
    assert client.put("/v1/candidates/net-1", json=_profile("net-1"), headers=ROOT).status_code == 200
    assert client.put("/v1/candidates/net-1", json=_profile("net-1"), headers=ACME).status_code == 403
    assert client.put("/v1/candidates/x", json={"headline": "h"}).status_code == 422     # no tenant at all
    assert _wait(lambda: client.get("/v1/candidates/iso-1", headers=ACME).status_code == 200)
    assert client.get("/v1/candidates/iso-1", headers=GLOBEX).status_code == 404
    assert _wait(lambda: client.get("/v1/candidates/net-1", headers=GLOBEX).status_code == 200)


def test_bad_input_is_refused_with_its_field(client):
    r = client.post("/v1/searches", json={"name": "bad", "query": "title:(data AND"}, headers=ACME)
    assert r.status_code == 422 and r.json()["column"] == 16 and r.json()["field"] == "query"
    r = client.post("/v1/searches", json={"name": "bad", "query": "spark", "qualifications": ["(x"]}, headers=ACME)
    assert r.status_code == 422 and "qualifications[0]" in r.json()["detail"] and r.json()["column"] == 1
    assert r.json()["field"] == "qualifications.0"
    r = client.post("/v1/searches", json={"name": "bad", "query": "spark", "filters": {"seniority": ["wizard"]}}, headers=ACME)
    assert r.status_code == 422 and r.json()["field"] == "filters.seniority"
    for url, why in [("ftp://example.com/h", "http or https"), ("http://10.1.2.3/h", "private"),
                     ("https://169.254.169.254/x", "private"), ("http:///nohost", "no host")]:
        r = client.post("/v1/searches", json={"name": "w", "query": "spark", "callback_url": url}, headers=ACME)
        assert r.status_code == 422 and why in r.json()["detail"] and r.json()["field"] == "callback_url", url
    assert client.post("/v1/searches", json={"name": "w", "query": "spark", "callback_url": "http://127.0.0.1:9/h"},
                       headers=ACME).status_code == 201
    sid = client.post("/v1/searches", json={"name": "ok", "query": "spark"}, headers=ACME).json()["search_id"]
    r = client.get(f"/v1/searches/{sid}/matches?after=abc", headers=ACME)
    assert r.status_code == 422 and r.json()["field"] == "after"
    r = client.put("/v1/candidates/c-1", json={"candidate_id": "c-2"}, headers=ACME)
    assert r.status_code == 422 and "candidate_id" in r.json()["detail"]
    r = client.put("/v1/candidates/c-1", json={"positions": [{"title": "x"}]}, headers=ACME)
    assert r.status_code == 422 and "positions[0]" in r.json()["detail"]
    assert client.get("/v1/candidates/c-1", headers=ACME).status_code == 404      # nothing was written


class _Receiver(BaseHTTPRequestHandler):
    got: list = []
    fail_first = 1

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).got.append((dict(self.headers), body))
        status = 500 if len(type(self).got) <= type(self).fail_first else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhooks_are_signed_retried_and_logged(client):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        sid = client.post("/v1/searches", json={"name": "hook", "query": "title:welder", "callback_url": url},
                          headers=ACME).json()["search_id"]
        assert client.put("/v1/candidates/hook-1", json=_profile("hook-1", title="Welder"), headers=ACME).status_code == 200
        assert _wait(lambda: len(_Receiver.got) >= 2), "no retried delivery"
        secret = client.get("/v1/webhooks/secret", headers=ACME).json()["secret"]
        (h1, b1), (h2, b2) = _Receiver.got[:2]
        assert b1 == b2 and h1["Idempotency-Key"] == h2["Idempotency-Key"]        # a retry is the same delivery
        assert verify(secret, h2["X-Talentsearch-Timestamp"], b2, h2["X-Talentsearch-Signature"])
        assert not verify("other-secret", h2["X-Talentsearch-Timestamp"], b2, h2["X-Talentsearch-Signature"])
        assert not verify(secret, str(int(h2["X-Talentsearch-Timestamp"]) - 3600), b2, h2["X-Talentsearch-Signature"])
        payload = json.loads(b2)
        assert payload["search_id"] == sid and [e["candidate_id"] for e in payload["entries"]] == ["hook-1"]
        log = client.get(f"/v1/searches/{sid}/deliveries", headers=ACME).json()["deliveries"]
        assert [d["status"] for d in reversed(log)][:2] == ["failed", "delivered"]
        assert log[-1]["http_status"] == 500 and log[0]["attempt"] == 2
        time.sleep(0.5)
        assert len(_Receiver.got) == 2                                             # delivered: not sent again
    finally:
        server.shutdown()


def test_the_feed_cursor_survives_a_restart(index_copy, tmp_path):
    settings = _settings(index_copy).model_copy(update={"standing_dir": tmp_path / "standing"})
    with TestClient(create_app(settings)) as c:
        sid = c.post("/v1/searches", json={"name": "r", "query": "title:plumber"}, headers=ACME).json()["search_id"]
        c.put("/v1/candidates/rs-1", json=_profile("rs-1", title="Plumber"), headers=ACME)
        cursor = _feed(c, sid)["next_cursor"]
    with TestClient(create_app(settings)) as c:
        assert _feed(c, sid, after=cursor)["entries"] == []
        c.put("/v1/candidates/rs-2", json=_profile("rs-2", title="Plumber"), headers=ACME)
        page = _feed(c, sid, after=cursor)
        assert [e["candidate_id"] for e in page["entries"]] == ["rs-2"] and int(page["next_cursor"]) > int(cursor)
        assert [e["candidate_id"] for e in _feed(c, sid)["entries"]] == ["rs-1", "rs-2"]


def test_refresh_and_update_report_what_moved(client):
    sid = client.post("/v1/searches", json={"name": "u", "query": "title:engineer"}, headers=ACME,
                      params={"backfill": "true"}).json()["search_id"]
    entered = {e["candidate_id"] for e in _feed(client, sid)["entries"]}
    assert entered and all(e["why"]["rank"] for e in _feed(client, sid)["entries"])
    cursor = _feed(client, sid)["next_cursor"]
    r = client.patch(f"/v1/searches/{sid}", json={"filters": {"near": "Berlin", "radius_km": 30}}, headers=ACME)
    assert r.status_code == 200 and r.json()["filters"] == {"near": "Berlin", "radius_km": 30}
    left = {e["candidate_id"] for e in _feed(client, sid, after=cursor)["entries"] if e["event"] == "left"}
    assert left and left < entered
    assert client.post(f"/v1/searches/{sid}/refresh", headers=ACME).json()["feed_entries"] == 0   # nothing moved since
    assert client.delete(f"/v1/searches/{sid}", headers=ACME).status_code == 200
    assert client.get(f"/v1/searches/{sid}", headers=ACME).status_code == 404


def test_a_read_sees_an_acknowledged_write_before_it_is_folded(tmp_path):
    ingest([DATA / "profiles_small.jsonl"], tmp_path / "index", IndexConfig(as_of=AS_OF, encoder=EncoderConfig(backend="static")),
           progress=False)
    network = _rows()[1]["candidate_id"]
    with TestClient(create_app(_settings(tmp_path).model_copy(update={"live_fold_interval_s": 0}))) as c:   # no folding
        assert c.put("/v1/candidates/unfolded-1", json=_profile("unfolded-1", title="Quantum Welder"), headers=ACME).status_code == 200
        r = c.get("/v1/candidates/unfolded-1", headers=ACME)
        assert r.status_code == 200, r.text
        assert r.json()["current_title"] == "Quantum Welder" and r.json()["owner_tenant"] == "acme"   # derived as ingest does
        assert c.get("/v1/candidates/unfolded-1", headers=GLOBEX).status_code == 404
        assert _ids(c, "title:quantum", ACME) == set()              # search has not seen it: the read came from the log
        changed = {**_rows()[1], "headline": "Rewritten Headline"}
        assert c.put(f"/v1/candidates/{network}", json=changed, headers=ROOT).status_code == 200
        assert c.get(f"/v1/candidates/{network}", headers=GLOBEX).json()["headline"] == "Rewritten Headline"
        assert c.delete("/v1/candidates/unfolded-1", headers=ACME).status_code == 200
        assert c.get("/v1/candidates/unfolded-1", headers=ACME).status_code == 404
        assert c.app.state.live.log.pending_count() == 2             # still nothing folded
