"""The HTTP API and the CLI over the hand-made corpus: answers, error mapping, exit codes."""
import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from api.settings import Settings
from indexer.reader import IndexReader
from ranking.search.pipeline import SearchEngine
from tests.conftest import AS_OF, DATA

MUST_SHOW = 'title:"data engineer" AND (spark OR airflow) NOT company:acme'


@pytest.fixture(scope="module")
def client(small_index, small_engine):
    with TestClient(create_app(Settings(index_dir=small_index), engine=small_engine)) as c:
        yield c


def test_search_returns_hits_with_retriever_details(client):
    r = client.post("/v1/search", json={"query": MUST_SHOW, "filters": {"near": "Berlin", "radius_km": 50}})
    assert r.status_code == 200
    body = r.json()
    assert {h["candidate_id"] for h in body["hits"]} == {"de-001", "de-003"}
    hit = body["hits"][0]
    assert set(hit["retrievers"]) == {"lexical", "dense"} and hit["matched_fields"]
    assert hit["candidate"]["location"].endswith("DE") and body["syntax"] == "boolean"


def test_tenant_header_scopes_private_candidates(client):
    body = {"query": MUST_SHOW, "filters": {"near": "Berlin"}}
    assert "pv-001" in {h["candidate_id"] for h in client.post("/v1/search", json=body, headers={"X-Tenant-Id": "acme-talent"}).json()["hits"]}
    assert "pv-001" not in {h["candidate_id"] for h in client.post("/v1/search", json=body, headers={"X-Tenant-Id": "globex-hr"}).json()["hits"]}
    assert client.get("/v1/candidates/pv-001", headers={"X-Tenant-Id": "globex-hr"}).status_code == 404
    assert client.get("/v1/candidates/pv-001", headers={"X-Tenant-Id": "acme-talent"}).json()["candidate_id"] == "pv-001"


def test_company_filters_take_one_name_or_a_list(client):
    one = client.post("/v1/search", json={"query": "engineer", "filters": {"not_current_company": "Acme"}, "k": 50})
    many = client.post("/v1/search", json={"query": "engineer", "filters": {"not_current_company": ["Acme"]}, "k": 50})
    assert one.status_code == many.status_code == 200, one.text
    assert [h["candidate_id"] for h in one.json()["hits"]] == [h["candidate_id"] for h in many.json()["hits"]]
    assert all((h["candidate"]["current_company"] or "").lower() != "acme" for h in one.json()["hits"])


def test_syntax_error_is_422_naming_the_column(client):
    r = client.post("/v1/search", json={"query": "title:(data AND"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["column"] == 16 and problem["field"] == "query"
    assert "column 16" in problem["detail"]


@pytest.mark.parametrize("body, field", [
    ({"query": "x", "filters": {"near": "Atlantis-on-Sea"}}, "filters.near"),
    ({"query": "x", "filters": {"min_years": 9, "max_years": 1}}, "filters.min_years"),
    ({"query": "x", "k": 0}, "k"),
    ({"query": "x", "filters": {"colour": "red"}}, "filters.colour"),
    ({"query": "x", "mode": "psychic"}, "mode"),
])
def test_bad_request_fields_are_named(client, body, field):
    r = client.post("/v1/search", json=body)
    assert r.status_code == 422
    assert r.json()["field"] == field, r.json()


def test_missing_index_is_503(tmp_path, encoder):
    engine = SearchEngine(IndexReader(tmp_path / "nothing"), encoder, today=lambda: AS_OF)
    with TestClient(create_app(Settings(index_dir=tmp_path / "nothing"), engine=engine)) as c:
        r = c.post("/v1/search", json={"query": "spark"})
        assert r.status_code == 503 and "no index" in r.json()["detail"]
        assert c.get("/readyz").status_code == 503
        assert c.get("/healthz").status_code == 200


def test_openapi_schema_documents_search(client):
    spec = client.get("/openapi.json").json()
    assert "/v1/search" in spec["paths"] and "422" in spec["paths"]["/v1/search"]["post"]["responses"]


def test_cli_syntax_error_exits_non_zero_with_the_column(small_index, capsys):
    assert main(["search", "title:(data AND", "--index-dir", str(small_index)]) == 2
    err = capsys.readouterr().err
    assert "column 16" in err and "title:(data AND" in err


@pytest.mark.parametrize("query, column", [(")python(", 1), ("title:", 7)])
def test_cli_reports_a_syntax_error_before_loading_the_index(tmp_path, capsys, query, column):
    """The query is parsed first: no index (nor encoder) is needed to learn it is malformed."""
    assert main(["search", query, "--index-dir", str(tmp_path / "no-index-here")]) == 2
    err = capsys.readouterr().err
    assert f"column {column}" in err and "no index" not in err


@pytest.mark.parametrize("query, column", [(")python(", 1), ("title:", 7)])
def test_empty_scope_and_parentheses_out_of_order_are_422(client, query, column):
    r = client.post("/v1/search", json={"query": query})
    assert r.status_code == 422 and r.json()["column"] == column and r.json()["field"] == "query"


def test_cli_search_json(small_index, capsys):
    rc = main(["search", MUST_SHOW, "--index-dir", str(small_index), "--near", "Berlin", "--radius-km", "50", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert {h["candidate_id"] for h in out["hits"]} == {"de-001", "de-003"}


def test_cli_index_reports_rejects_and_keeps_good_rows(tmp_path, capsys):
    good = (DATA / "profiles_small.jsonl").read_text().splitlines()[:3]
    lines = [good[0], '{"candidate_id": "bad-1", "positions": [{"title": "X"}]}', "not json", good[1], good[2]]
    src = tmp_path / "mixed.jsonl"
    src.write_text("\n".join(lines) + "\n")
    index_dir = tmp_path / "idx"
    assert main(["index", str(src), "--index-dir", str(index_dir), "--as-of", "2026-11-01", "--no-progress", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["added"], report["rejected"], report["total"]) == (3, 2, 3)
    rejects = [json.loads(x) for x in open(report["rejects_path"])]
    assert [(r["row"], r["candidate_id"]) for r in rejects] == [(2, "bad-1"), (3, None)]
    assert "positions[0].start: required date" in rejects[0]["reason"] and "invalid JSON" in rejects[1]["reason"]
    assert main(["search", "", "--index-dir", str(index_dir), "--json"]) == 0       # every good row is searchable
    found = {h["candidate_id"] for h in json.loads(capsys.readouterr().out)["hits"]}
    assert found == {json.loads(x)["candidate_id"] for x in (good[0], good[1], good[2])}
