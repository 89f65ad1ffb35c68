"""The economic graph end to end: `graph build` on a real index, `insights` CLI, GET /v1/insights,
the graph blend in the search pipeline, title expansion, and planted companies in a generated corpus."""
import json
import shutil

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from api.settings import Settings
from indexer.reader import IndexReader
from ranking.search.pipeline import SearchEngine, SearchRequest
from tests.conftest import AS_OF
from tests.support.graphs import assert_same_graph


@pytest.fixture(scope="module")
def graph_index(small_index, tmp_path_factory):
    """A copy of the small index with a graph built by the CLI (the shared index stays graph-free)."""
    index_dir = tmp_path_factory.mktemp("graph") / "index"
    shutil.copytree(small_index, index_dir)
    assert main(["graph", "build", "--index-dir", str(index_dir), "--no-progress"]) == 0
    return index_dir


@pytest.fixture(scope="module")
def engine(graph_index, encoder):
    return SearchEngine(IndexReader(graph_index), encoder, today=lambda: AS_OF)


@pytest.fixture(scope="module")
def client(graph_index, engine):
    with TestClient(create_app(Settings(index_dir=graph_index), engine=engine)) as c:
        yield c


def test_graph_build_writes_a_manifest_named_after_the_live_version(graph_index):
    manifest = json.loads((graph_index / "graph" / "manifest.json").read_text())
    assert manifest["kind"] == "talentsearch-graph" and manifest["profiles"] == 12
    assert manifest["source"]["index_version"] == (graph_index / "CURRENT").read_text().strip()


def test_insights_endpoint_describes_the_pool(client):
    r = client.get("/v1/insights", params={"query": 'title:"data engineer"', "vs_company": "Acme"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["pool"]["matched"] == body["supply"]["candidates"] > 0 and not body["pool"]["truncated"]
    assert body["top_titles"][0] == {"title": "Data Engineer", "count": 4}   # title: also matches past titles
    assert body["top_locations"][0]["city"] == "Berlin"
    assert body["vs_company"]["company"] == "Acme"


def test_insights_are_tenant_scoped(client):
    everyone = client.get("/v1/insights", params={"query": ""}).json()["supply"]["candidates"]
    acme = client.get("/v1/insights", params={"query": ""}, headers={"X-Tenant-Id": "acme-talent"}).json()
    assert acme["supply"]["candidates"] == everyone + 1    # its own private candidate joins the network


@pytest.mark.parametrize("params, field", [({"top": 0}, "top"), ({"window_months": 0}, "window_months"),
                                           ({"format": "gif"}, "format"), ({"min_years": "x"}, "min_years")])
def test_bad_parameters_are_422_naming_them(client, params, field):
    r = client.get("/v1/insights", params={"query": "", **params})
    assert r.status_code == 422 and field in r.json()["detail"]


def test_unknown_company_and_bad_filter_are_422(client):
    r = client.get("/v1/insights", params={"query": "", "vs_company": "No Such Co"})
    assert r.status_code == 422 and "vs_company" in r.json()["detail"]
    r = client.get("/v1/insights", params={"query": "", "near": "Atlantis-on-Sea"})
    assert r.status_code == 422 and r.json()["field"] == "filters.near"


def test_png_chart(client):
    r = client.get("/v1/insights", params={"query": "engineer", "format": "png", "vs_company": "Globex"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content[:4] == b"\x89PNG"


def test_no_graph_is_503(small_index, small_engine):
    with TestClient(create_app(Settings(index_dir=small_index), engine=small_engine)) as c:
        r = c.get("/v1/insights", params={"query": ""})
    assert r.status_code == 503 and "graph build" in r.json()["detail"]


def test_insights_cli_json_and_chart(graph_index, tmp_path, capsys):
    chart = tmp_path / "flows.png"
    assert main(["insights", "engineer", "--index-dir", str(graph_index), "--json", "--chart", str(chart)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["supply"]["candidates"] > 0 and chart.read_bytes()[:4] == b"\x89PNG"
    assert main(["insights", "", "--index-dir", str(graph_index), "--vs-company", "Nope"]) == 2
    assert "vs_company" in capsys.readouterr().err


def test_cli_graph_build_in_partitions_gives_the_same_graph(graph_index, tmp_path, capsys):
    """``--partition-rows 5`` (3 partitions of the 12 profiles) saves the graph the one-partition build saved;
    a bad value is exit 2 naming it, and the graph on disk is untouched."""
    from graph.store import Graph

    whole = Graph.load(graph_index / "graph")
    index_dir = tmp_path / "index"
    shutil.copytree(graph_index, index_dir)
    assert main(["graph", "build", "--index-dir", str(index_dir), "--partition-rows", "5", "--no-progress"]) == 0
    parted = Graph.load(index_dir / "graph")
    assert parted.manifest["build"] == {"runner": "local", "partitions": 3}
    assert_same_graph(whole, parted)
    capsys.readouterr()
    assert main(["graph", "build", "--index-dir", str(index_dir), "--partition-rows", "0", "--no-progress"]) == 2
    assert "partition_rows must be >= 1, not 0" in capsys.readouterr().err
    assert Graph.load(index_dir / "graph").manifest["created"] == parted.manifest["created"]


def test_graph_blend_reorders_only_with_the_flag(engine):
    base = engine.search(SearchRequest(query="data engineer spark", k=10))
    same = engine.search(SearchRequest(query="data engineer spark", k=10, graph_blend=()))
    assert [h.candidate_id for h in base.hits] == [h.candidate_id for h in same.hits] and "graph" not in base.timings_ms
    blended = engine.search(SearchRequest(query="data engineer spark", k=10,
                                          graph_blend=(("graph_skill_proximity", 5.0),)))
    assert "graph" in blended.timings_ms
    assert sorted(h.candidate_id for h in blended.hits) == sorted(h.candidate_id for h in base.hits)
    with pytest.raises(Exception, match="graph_blend"):
        engine.search(SearchRequest(query="x", graph_blend=(("graph_nope", 1.0),)))


def test_title_expansion_adds_related_title_clauses(engine):
    plain = engine.search(SearchRequest(query="statistician", mode="lexical", k=20, debug=True))
    expanded = engine.search(SearchRequest(query="statistician", mode="lexical", k=20, title_expansion=5))
    # no profile says "statistician"; Data Scientists is O*NET-related to Statisticians
    assert not plain.hits and "ds-001" in [h.candidate_id for h in expanded.hits]


def test_planted_companies_are_recovered_in_a_generated_corpus(tmp_path):
    import datetime as dt

    import pyarrow.parquet as pq

    from benchmarks.graph_bench import recovery
    from benchmarks.synth import generate
    from graph.build import COLUMNS, GraphConfig, build_graph

    generate(tmp_path, profiles=6000, seed=7, queries=20, progress=False)
    as_of = dt.date.fromisoformat(json.loads((tmp_path / "manifest.json").read_text())["as_of"])
    graph = build_graph(pq.read_table(tmp_path / "profiles.parquet", columns=list(COLUMNS)),
                        GraphConfig(as_of=as_of, progress=False))
    rec = recovery(tmp_path / "companies.parquet", graph)
    assert rec["layoffs_visible"]["precision"] >= 0.6 and rec["layoffs_visible"]["recall"] >= 0.6, rec
    assert rec["growing_visible"]["precision"] >= 0.5 and rec["growing_visible"]["recall"] >= 0.5, rec
    brands = rec["brands"]
    assert brands["Acme"]["flagged"] == "layoffs" and brands["Globex"]["flagged"] == "growing", brands
