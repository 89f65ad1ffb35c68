"""Query generation and refinement end to end on the hand-made corpus (real index, real engine)."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.queries import pool_counter
from query.intake.requirements import Intake
from query.llm.expand import TaxonomyExpander
from query.llm.generate import QueryGenerator
from query.llm.history import HistoryStore
from query.lang.parser import parse
from query.refine import Feedback, RefineConfig, Refiner


@pytest.fixture(scope="module")
def intake():
    return Intake()


def test_too_narrow_query_is_broadened_into_the_target_range(small_engine, intake):
    req = intake.from_text("Senior Data Engineer in Berlin (within 10 km). Must have: Spark, Kafka and Scala. "
                           "At least 8 years of experience.")
    count = pool_counter(small_engine)
    out = Refiner(intake.taxonomy, TaxonomyExpander(), RefineConfig(2, 8, max_steps=8)).refine(req, count)
    trace = out.trace
    assert trace[0].action == "start" and trace[0].count < 2
    assert out.status == "in_range" and 2 <= out.count <= 8, [s.to_dict() for s in trace]
    assert all(s.action.startswith("broaden:") for s in trace[1:])
    assert [s.count for s in trace] == sorted(s.count for s in trace)      # broadening never shrinks the pool
    for s in trace:
        parse(s.query)
        assert s.reason
    assert len(trace) - 1 <= 8


def test_too_broad_query_is_narrowed(small_engine, intake):
    req = intake.from_fields({"titles": ["Data Engineer"], "nice_to_have": ["Apache Spark", "Python"]})
    count = pool_counter(small_engine)
    out = Refiner(intake.taxonomy, None, RefineConfig(1, 3, max_steps=4)).refine(req, count)
    assert out.trace[0].count > 3
    assert out.trace[1].action == "narrow:promote-skill" and out.trace[1].count < out.trace[0].count
    assert out.status == "in_range" and 1 <= out.count <= 3, [s.to_dict() for s in out.trace]


def test_low_engagement_narrows_a_pool_of_fine_size(small_engine, intake):
    req = intake.from_fields({"titles": ["Data Engineer"], "nice_to_have": ["Python"]})
    out = Refiner(intake.taxonomy, None, RefineConfig(1, 50, max_steps=3)).refine(
        req, pool_counter(small_engine), feedback=Feedback(engagement_rate=0.02))
    assert out.trace[1].action.startswith("narrow:") and "engagement 0.02" in out.trace[1].reason


def test_refinement_stops_within_max_steps(small_engine, intake):
    req = intake.from_fields({"titles": ["Registered Nurse"], "must_have": ["Epic Systems"]})
    out = Refiner(intake.taxonomy, None, RefineConfig(50, 100, max_steps=2)).refine(req, pool_counter(small_engine))
    assert len(out.trace) <= 3 and out.status in ("max_steps", "no_action")


def test_history_priors_are_tenant_scoped(tmp_path, intake):
    store = HistoryStore(tmp_path / "querygen" / "history.sqlite3")
    gen = QueryGenerator(history=store)
    first = gen.generate(text="Data Engineer in Berlin with Spark", tenant_id="acme")
    strict = first.strategies[0]
    store.record("acme", first.requirements.occupation_code, strict, 0.6, first.requirements.must_have)
    again = gen.generate(text="Data Engineer with Spark and Python", tenant_id="acme")
    history = [s for s in again.strategies if s.name == "history"]
    assert [h.query for h in history] == [strict.query] and "engagement 0.60" in history[0].rationale
    other = gen.generate(text="Data Engineer with Spark and Python", tenant_id="globex")
    assert not [s for s in other.strategies if s.name == "history"]
    with pytest.raises(ValueError, match="tenant_id is required"):
        store.record("", None, strict, 0.5)


@pytest.fixture(scope="module")
def client(small_engine, small_index, tmp_path_factory):
    from api.app import create_app
    from api.settings import Settings

    settings = Settings(index_dir=tmp_path_factory.mktemp("qidx"), ltr_dir=tmp_path_factory.mktemp("ltr"))
    return TestClient(create_app(settings, engine=small_engine))


def test_api_generate(client):
    r = client.post("/v1/queries/generate", json={"text": "Senior Data Engineer in Berlin with Spark and Python"},
                    headers={"X-Tenant-Id": "acme"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["provider"] == "offline-planner" and body["is_llm"] is False and body["prompt_version"] is None
    assert {s["name"] for s in body["strategies"]} >= {"strict", "broad", "semantic"}
    for s in body["strategies"]:
        parse(s["query"])
        assert s["rationale"]


def test_api_refine_returns_a_trace(client):
    r = client.post("/v1/queries/refine", json={"requirements": {"titles": ["Data Engineer"], "must_have": ["Kafka", "Scala"],
                                                                 "near": "Berlin", "radius_km": 10},
                                                "target_min": 2, "target_max": 6, "max_steps": 6})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["trace"][0]["action"] == "start" and body["status"] == "in_range"
    assert 2 <= body["count"] <= 6


def test_api_refuses_discriminatory_requests_and_names_bad_fields(client):
    r = client.post("/v1/queries/generate", json={"text": "young women only"})
    assert r.status_code == 422 and r.json()["title"] == "Request refused"
    assert {f["category"] for f in r.json()["findings"]} == {"age", "sex/gender"}
    r = client.post("/v1/queries/generate", json={"requirements": {"titles": ["Nurse"], "min_years": -1}})
    assert r.status_code == 422 and r.json()["field"] == "min_years"
    r = client.post("/v1/queries/generate", json={"requirements": {"titles": ["Nurse"]}, "text": "x"})
    assert r.status_code == 422


def test_api_reads_real_postings_and_bad_input_never_500s(client):
    posting = ("Registered Nurse\nBoston, MA\nQualifications:Current RN LicenseAt least two years of acute care "
               "experience.BENEFITS:Medical/Dental/Vision\nWe are an equal opportunity employer and do not "
               "discriminate based on age, race or religion.")
    r = client.post("/v1/queries/generate", json={"text": posting})
    assert r.status_code == 200, r.text
    req = r.json()["requirements"]
    assert req["titles"] == ["Registered Nurse"] and req["min_years"] == 2 and req["place"]["city"] == "Boston"
    assert "RN license" in req["must_have"] and req["skill_kinds"]["RN license"] == "credential"
    assert r.json()["guard"] == []                                   # EEO boilerplate is not a criterion
    # the posting's own fields win over the text
    r = client.post("/v1/queries/generate", json={"text": "We need help.\nRequirements: SQL and Tableau.",
                                                   "title": "Data Analyst", "location": "Chicago, IL"})
    assert r.status_code == 200 and r.json()["requirements"]["place"]["label"] == "Chicago, IL, US"
    r = client.post("/v1/queries/generate", json={"requirements": {"titles": ["Nurse"]}, "title": "Nurse"})
    assert r.status_code == 422
    for body, status in (({"text": ""}, 422), ({"text": "x" * 300_000}, 422),
                         ({"text": "<p>Data Analyst</p><p>Requirements: SQL</p>"}, 200),
                         ({"text": "Krankenpfleger\nBerlin\nWir suchen eine examinierte Pflegekraft für die Nachtschicht "
                                   "mit Erfahrung in der Intensivpflege und Freude an der Arbeit im Team."}, None)):
        r = client.post("/v1/queries/generate", json=body)
        assert r.status_code < 500, r.text
        if status is not None:
            assert r.status_code == status, r.text
        if r.status_code == 422:
            assert r.json().get("detail")                           # says what was wrong
        elif "Krankenpfleger" in body["text"]:
            assert any("does not look like English" in n for n in r.json()["notes"])


def test_api_guard_on_boolean_requests_and_errors_carry_the_findings(client):
    r = client.post("/v1/queries/generate", json={"text": "title:nurse AND gender:female"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(g["category"], g["text"]) for g in body["guard"]] == [("sex/gender", "gender:female")]
    assert all("female" not in s["query"].lower() for s in body["strategies"])
    r = client.post("/v1/queries/generate", json={"text": 'titel:"Elektriker" AND alter:<40'})
    assert r.status_code == 422 and r.json()["column"] == 1
    assert [f["category"] for f in r.json()["findings"]] == ["age"]
    r = client.post("/v1/queries/generate", json={"requirements": {"titles": ["Nurse"], "exclude_companies": ["Mexico"]}})
    assert r.status_code == 200 and r.json()["requirements"]["exclude_companies"] == []
    assert r.json()["guard"][0]["category"] == "national origin"
