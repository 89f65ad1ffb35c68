"""POST /v1/evaluate, GET /v1/evaluations[/{id}] over the 12-profile corpus: verdicts with evidence that is
the profile's own text, must-haves first, bad input 422 naming the field, tenants isolated."""
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from ranking.evaluate.profile import value_of

QUALS = [{"kind": "skill", "text": "spark"}, {"kind": "years", "min_years": 5},
         {"kind": "location", "text": "Berlin", "radius_km": 50},
         {"kind": "education", "degree": "master", "field": "Computer Science", "must": False}]


@pytest.fixture(scope="module")
def client(small_index, small_engine, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evaluate")
    app = create_app(Settings(index_dir=small_index, jobs_dir=tmp / "jobs", ltr_dir=tmp / "ltr",
                              evaluations_dir=tmp / "evaluations"), engine=small_engine)
    with TestClient(app) as c:
        yield c


def _post(client, body, tenant="acme-talent"):
    return client.post("/v1/evaluate", json=body, headers={"X-Tenant-Id": tenant} if tenant else {})


def test_verdicts_quote_the_profile_and_must_haves_come_first(client):
    ids = [f"de-00{i}" for i in range(1, 6)] + ["nobody"]
    r = _post(client, {"qualifications": QUALS, "candidate_ids": ids[::-1]})
    assert r.status_code == 200, r.text
    data = r.json()
    by_id = {c["candidate_id"]: c for c in data["candidates"]}
    assert by_id["nobody"]["status"] == "not_found" and by_id["nobody"]["rank"] is None
    one = {j["qualification_id"]: j for j in by_id["de-001"]["judgements"]}
    assert one["q1"]["verdict"] == "meets" and one["q2"]["verdict"] == "meets" and one["q3"]["verdict"] == "meets"
    ranked = sorted((c for c in data["candidates"] if c["status"] == "ok"), key=lambda c: c["rank"])
    assert [c["rank"] for c in ranked] == list(range(1, 6)) and by_id["de-001"]["all_musts"]
    keys = [(not c["all_musts"], -c["must_met"], -c["score"]) for c in ranked]
    assert keys == sorted(keys) and not ranked[-1]["all_musts"]      # every must met first, then more musts
    profile = client.get("/v1/candidates/de-001").json()
    for j in by_id["de-001"]["judgements"]:
        for e in j["evidence"]:
            assert value_of(profile, e["field"])[e["start"]:e["end"]] == e["text"]
    years = {j["qualification_id"]: j for j in by_id["de-002"]["judgements"]}["q2"]
    assert years["verdict"] == "meets"   # 2020-01 .. 2026-11: 6.8 years


def test_stored_per_tenant_and_another_tenant_gets_404(client):
    made = _post(client, {"qualifications": QUALS[:1], "candidate_ids": ["de-001"]}).json()
    eid = made["evaluation_id"]
    assert client.get(f"/v1/evaluations/{eid}", headers={"X-Tenant-Id": "acme-talent"}).json()["candidates"] == made["candidates"]
    assert eid in [e["evaluation_id"] for e in client.get("/v1/evaluations", headers={"X-Tenant-Id": "acme-talent"}).json()["items"]]
    assert client.get(f"/v1/evaluations/{eid}", headers={"X-Tenant-Id": "globex-hr"}).status_code == 404
    assert client.get(f"/v1/evaluations/{eid}").status_code == 404
    assert eid not in [e["evaluation_id"] for e in client.get("/v1/evaluations", headers={"X-Tenant-Id": "globex-hr"}).json()["items"]]


def test_another_tenants_private_candidate_is_not_found(client):
    data = _post(client, {"qualifications": QUALS[:1], "candidate_ids": ["pv-001", "pv-002"]}).json()
    status = {c["candidate_id"]: c["status"] for c in data["candidates"]}
    assert status == {"pv-001": "ok", "pv-002": "not_found"}
    assert all(not c["judgements"] for c in data["candidates"] if c["status"] == "not_found")


@pytest.mark.parametrize("body, field", [
    ({"qualifications": [{"kind": "telepathy", "text": "x"}], "candidate_ids": ["de-001"]}, "qualifications.0.kind"),
    ({"qualifications": [], "candidate_ids": ["de-001"]}, "qualifications"),
    ({"qualifications": [{"kind": "skill", "text": "x"}] * 33, "candidate_ids": ["de-001"]}, "qualifications"),
    ({"qualifications": [{"kind": "skill", "text": "spark"}], "candidate_ids": []}, "candidate_ids"),
    ({"qualifications": [{"kind": "location", "text": "Atlantisville"}], "candidate_ids": ["de-001"]}, "qualifications[0].text"),
    ({"qualifications": [{"kind": "seniority", "level": "emperor"}], "candidate_ids": ["de-001"]}, "qualifications[0].level"),
    ({"qualifications": [{"kind": "years"}], "candidate_ids": ["de-001"]}, "qualifications[0].min_years"),
])
def test_bad_input_is_422_naming_the_field_and_nothing_is_stored(client, body, field):
    before = len(client.get("/v1/evaluations", headers={"X-Tenant-Id": "globex-hr"}).json()["items"])
    r = _post(client, body, tenant="globex-hr")
    assert r.status_code == 422, r.text
    assert field in r.text
    assert len(client.get("/v1/evaluations", headers={"X-Tenant-Id": "globex-hr"}).json()["items"]) == before


def test_protected_qualifications_are_stripped_with_a_reason_or_refused(client):
    r = _post(client, {"qualifications": [{"kind": "skill", "text": "spark"},
                                          {"kind": "free_text", "text": "female candidates under 30"}],
                       "candidate_ids": ["de-001"]})
    assert r.status_code == 200
    data = r.json()
    assert [q["id"] for q in data["qualifications"]] == ["q1"]
    assert {g["category"] for g in data["guard"]} >= {"sex/gender"} and data["guard"][0]["where"].startswith("qualifications[1]")
    r = _post(client, {"qualifications": [{"kind": "language", "text": "native German speaker"}], "candidate_ids": ["de-001"]})
    assert r.status_code == 422 and "national origin" in r.text


def test_requirements_and_search_are_accepted_instead(client):
    r = _post(client, {"requirements": "Senior Data Engineer in Berlin, 5+ years, Spark and Kafka",
                       "search": {"query": "spark", "k": 3}})
    assert r.status_code == 200, r.text
    data = r.json()
    kinds = {q["kind"] for q in data["qualifications"]}
    assert {"occupation", "skill", "years", "location"} <= kinds
    assert 1 <= len(data["candidates"]) <= 3 and all(c["status"] == "ok" for c in data["candidates"])


def test_search_with_qualifications_orders_each_page_must_haves_first(client):
    body = {"query": "data engineer", "k": 4, "qualifications": [{"kind": "location", "text": "Berlin", "radius_km": 30},
                                                                {"kind": "skill", "text": "Kafka", "must": False}]}
    plain = client.post("/v1/search", json={"query": "data engineer", "k": 4}).json()
    r = client.post("/v1/search", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    assert {h["candidate_id"] for h in data["hits"]} == {h["candidate_id"] for h in plain["hits"]}   # same page, reordered
    keys = [(not h["evaluation"]["all_musts"], -h["evaluation"]["must_met"], -h["evaluation"]["score"]) for h in data["hits"]]
    assert keys == sorted(keys) and [h["rank"] for h in data["hits"]] == [1, 2, 3, 4]
    assert data["qualifications"][0]["label"] == "within 30 km of Berlin" and data["timings_ms"]["evaluate"] >= 0
    assert plain["hits"][0]["evaluation"] is None
    if data["next_cursor"]:
        second = client.post("/v1/search", json={**body, "cursor": data["next_cursor"]}).json()
        assert not {h["candidate_id"] for h in second["hits"]} & {h["candidate_id"] for h in data["hits"]}
    bad = client.post("/v1/search", json={"query": "x", "qualifications": [{"kind": "astrology", "text": "leo"}]})
    assert bad.status_code == 422 and "qualifications" in bad.text
