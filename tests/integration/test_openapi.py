"""The OpenAPI document describes the API as it answers (issue 17): errors as problem+json with the
Problem schema, the API-key security schemes on every /v1 operation, stable operationIds, a typed
schema for every success, ``Location`` on a job's 202, the docs pages without a CDN; and a client
generated from the document by openapi-python-client gets a typed response from every route."""
import asyncio
import importlib
import json
import re
import subprocess
import sys
import typing

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.middleware import ApiKeys
from api.settings import Settings

PROBLEM = "application/problem+json"
OPERATION_IDS = {
    ("post", "/v1/search"): "search", ("post", "/v1/rerank"): "rerank", ("post", "/v1/events"): "recordEvents",
    ("get", "/v1/candidates/{candidate_id}"): "getCandidate", ("get", "/v1/insights"): "getInsights",
    ("post", "/v1/jobs/rerank"): "submitRerankJob", ("get", "/v1/jobs/{job_id}"): "getJob",
    ("delete", "/v1/jobs/{job_id}"): "cancelJob", ("get", "/v1/jobs/{job_id}/result"): "getJobResult",
    ("post", "/v1/queries/generate"): "generateQueries", ("post", "/v1/queries/refine"): "refineQuery",
    ("get", "/v1/models"): "listModels", ("post", "/v1/models/train"): "trainModel",
    ("post", "/v1/models/{version}/promote"): "promoteModel", ("post", "/v1/models/rollback"): "rollbackModel",
    ("put", "/v1/audit/attributes"): "putAuditAttributes",
    ("post", "/v1/evaluate"): "evaluate", ("post", "/v1/jobs/evaluate"): "submitEvaluateJob", ("get", "/v1/evaluations"): "listEvaluations",
    ("get", "/v1/evaluations/{evaluation_id}"): "getEvaluation",
    ("put", "/v1/candidates/{candidate_id}"): "putCandidate", ("delete", "/v1/candidates/{candidate_id}"): "deleteCandidate",
    ("post", "/v1/candidates:batch"): "writeCandidates", ("post", "/v1/searches"): "createStandingSearch",
    ("get", "/v1/searches"): "listStandingSearches", ("get", "/v1/searches/{search_id}"): "getStandingSearch",
    ("patch", "/v1/searches/{search_id}"): "updateStandingSearch", ("delete", "/v1/searches/{search_id}"): "deleteStandingSearch",
    ("get", "/v1/searches/{search_id}/matches"): "standingSearchMatches",
    ("get", "/v1/searches/{search_id}/deliveries"): "standingSearchDeliveries",
    ("post", "/v1/searches/{search_id}/refresh"): "refreshStandingSearch", ("get", "/v1/webhooks/secret"): "webhookSecret",
    ("get", "/healthz"): "getHealth", ("get", "/readyz"): "getReadiness", ("get", "/metrics"): "getMetrics",
}


@pytest.fixture(scope="module")
def app(small_index, small_engine, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("openapi")
    return create_app(Settings(index_dir=small_index, jobs_dir=tmp / "jobs", ltr_dir=tmp / "ltr", standing_dir=tmp / "standing"),
                      engine=small_engine)


@pytest.fixture(scope="module")
def spec(app):
    with TestClient(app) as client:
        return client.get("/openapi.json").json()


def _operations(spec):
    return [(m, p, op) for p, item in spec["paths"].items() for m, op in item.items()]


def test_operation_ids_are_stable_and_explicit(spec):
    assert {(m, p): op["operationId"] for m, p, op in _operations(spec)} == OPERATION_IDS


def test_every_error_is_declared_as_problem_json(spec):
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for method, path, op in _operations(spec):
        errors = {s: r for s, r in op["responses"].items() if s[0] in "45"}
        if path.startswith("/v1/"):
            assert {"401", "422"} <= set(errors), (method, path)
        for status, response in errors.items():
            assert response["content"] == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}, (path, status)
    problem = spec["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "field", "errors"} <= set(problem)


def test_security_schemes_are_declared_and_applied(spec, small_index, small_engine, tmp_path):
    schemes = {name: {k: v for k, v in s.items() if k != "description"}
               for name, s in spec["components"]["securitySchemes"].items()}
    assert schemes == {"bearer": {"type": "http", "scheme": "bearer"},
                       "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}
    for method, path, op in _operations(spec):
        if path.startswith("/v1/"):       # development mode (no keys file): a key is optional
            assert op["security"] == [{"bearer": []}, {"apiKey": []}, {}], (method, path)
        else:
            assert "security" not in op, path
    ApiKeys(tmp_path / "keys.json").create("acme-talent")
    keyed = create_app(Settings(index_dir=small_index, jobs_dir=tmp_path / "jobs", api_keys_file=tmp_path / "keys.json"),
                       engine=small_engine).openapi()
    assert all(op["security"] == [{"bearer": []}, {"apiKey": []}] for _, p, op in _operations(keyed) if p.startswith("/v1/"))


def test_the_tenant_header_is_one_shared_parameter(spec):
    for method, path, op in _operations(spec):
        if path.startswith("/v1/"):
            tenant = [p for p in op["parameters"] if p["name"] == "x-tenant-id"]
            assert len(tenant) == 1 and tenant[0]["in"] == "header", (method, path)
            assert tenant[0]["schema"]["anyOf"][0]["pattern"].startswith("^[A-Za-z0-9]")


def test_every_success_has_a_typed_schema(spec):
    schemas = spec["components"]["schemas"]
    for method, path, op in _operations(spec):
        ok = {s: r for s, r in op["responses"].items() if s[0] == "2"}
        assert len(ok) == 1, (method, path)
        for media, body in next(iter(ok.values()))["content"].items():
            if media == "application/json":
                ref = body["schema"]["$ref"].rsplit("/", 1)[1]
                assert schemas[ref]["type"] == "object" and schemas[ref]["properties"], (path, ref)
            else:
                assert body["schema"]["type"] == "string", (path, media)


def test_a_job_202_declares_its_location(spec):
    accepted = spec["paths"]["/v1/jobs/rerank"]["post"]["responses"]["202"]
    assert accepted["headers"]["Location"]["required"] is True


def test_the_docs_pages_need_no_cdn(app):
    with TestClient(app) as client:
        for page in ("/docs", "/redoc"):
            html = client.get(page)
            assert html.status_code == 200
            urls = re.findall(r"""(?:src|href)=["']([^"']+)""", html.text)
            assert urls and all(u.startswith("/") for u in urls), urls
            assert "cdn" not in html.text and "https://" not in html.text
            for url in urls:
                asset = client.get(url)
                assert asset.status_code == 200 and len(asset.content) > 1000, url


# ---- a generated client ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def generated(spec, tmp_path_factory):
    """The client openapi-python-client generates from the document, imported as ``ts_client``."""
    pytest.importorskip("openapi_python_client")
    tmp = tmp_path_factory.mktemp("client")
    (tmp / "openapi.json").write_text(json.dumps(spec))
    # the generator reads only application/json, octet-stream and text bodies: Parquet is binary to it
    (tmp / "config.yaml").write_text("post_hooks: []\ncontent_type_overrides:\n"
                                     "  application/vnd.apache.parquet: application/octet-stream\n"
                                     "  application/x-ndjson: application/octet-stream\n")
    run = subprocess.run([sys.executable, "-m", "openapi_python_client", "generate", "--path", str(tmp / "openapi.json"),
                          "--output-path", str(tmp / "ts_client"), "--meta", "none", "--config", str(tmp / "config.yaml")],
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0 and "warning" not in (run.stdout + run.stderr).lower(), run.stdout + run.stderr
    sys.path.insert(0, str(tmp))
    try:
        yield importlib.import_module("ts_client")
    finally:
        sys.path.remove(str(tmp))
        for name in [m for m in sys.modules if m == "ts_client" or m.startswith("ts_client.")]:
            del sys.modules[name]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_the_generated_client_has_a_typed_response_for_every_route(spec, generated):
    import attrs

    types = importlib.import_module("ts_client.types")
    problem = importlib.import_module("ts_client.models").Problem
    for method, path, op in _operations(spec):
        module = importlib.import_module(f"ts_client.api.{op['tags'][0]}.{_snake(op['operationId'])}")
        answer = typing.get_args(module.sync_detailed.__annotations__["return"])[0]     # Response[...]
        success = [t for t in (typing.get_args(answer) or (answer,)) if t is not problem]
        assert len(success) == 1, (path, answer)
        typed = success[0]
        if typed in (types.File, str):
            assert "application/json" not in next(r for s, r in op["responses"].items() if s[0] == "2")["content"]
        else:
            fields = [f.name for f in attrs.fields(typed) if f.name != "additional_properties"]
            assert fields, f"{method.upper()} {path}: {typed.__name__} has no declared fields"


def test_the_generated_client_reads_the_servers_answers(app, generated):
    import httpx

    models = importlib.import_module("ts_client.models")
    search = importlib.import_module("ts_client.api.search.search")
    candidate = importlib.import_module("ts_client.api.candidates.get_candidate")
    health = importlib.import_module("ts_client.api.ops.get_health")

    async def calls():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            client = generated.AuthenticatedClient(base_url="http://test", token="unused").set_async_httpx_client(http)
            found = await search.asyncio(client=client, body=models.SearchBody(query="spark", k=2))
            bad = await search.asyncio(client=client, body=models.SearchBody(query="spark", k=2, cursor="forged"))
            one = await candidate.asyncio(client=client, candidate_id="de-001")
            ok = await health.asyncio(client=client)
            return found, bad, one, ok

    found, bad, one, ok = asyncio.run(calls())
    assert isinstance(found, models.SearchResult) and isinstance(found.hits[0], models.SearchHit)
    assert isinstance(found.hits[0].candidate, models.CandidateSummary) and found.next_cursor
    assert isinstance(bad, models.Problem) and bad.status == 422 and bad.field == "cursor"
    assert isinstance(one, models.Candidate) and one.candidate_id == "de-001"
    assert isinstance(one.positions[0], models.Position) and one.positions[0].start.year > 1950
    assert isinstance(ok, models.Health) and ok.status == "ok"
