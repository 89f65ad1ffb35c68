"""Failure behaviour of the OpenSearch backend: a cluster that goes away, mid-bulk and at query time."""
from __future__ import annotations

import dataclasses
import socket

import pytest

from tests.conftest import AS_OF, DATA


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_stopped_mid_bulk_reports_failures_and_a_rerun_completes(contract_store, tmp_path):
    """Must-show: kill the server after ~300 acknowledged documents; the load reports every
    document it could not index (nothing published); a re-run against the restarted server
    ends with the cluster's count equal to the source."""
    from osmem_server import OsmemServer

    from indexer.opensearch.config import OpenSearchConfig
    from indexer.opensearch.index import BulkIndexError, OpenSearchLexicalIndex
    from indexer.opensearch.sync import write_version

    addr = f"127.0.0.1:{_free_port()}"
    server = OsmemServer.start(japanese=False, addr=addr)
    config = OpenSearchConfig(url=server.url, index_prefix="ts-kill", replicas=0, bulk_chunk=100, bulk_retries=2, backoff_s=0.05,
                              timeout_s=5)
    table = contract_store.table
    killed = []

    def stop_server(done: int) -> None:
        if done >= 300 and not killed:
            server.process.kill()
            server.process.wait()
            killed.append(done)

    try:
        with pytest.raises(BulkIndexError) as err:
            write_version(config, "v000001", None, fresh=table, removed_ids=[], store_table=table,
                          rejects_dir=tmp_path / "rejects", progress=False, on_progress=stop_server)
    except BaseException:
        server.close()
        raise
    report = err.value.report
    assert killed and report.indexed == killed[0] >= 300
    assert len(report.failed) == table.num_rows - report.indexed
    assert {f.candidate_id for f in report.failed} <= set(table.column("candidate_id").to_pylist())
    assert report.attempts == 3                       # first pass + bulk_retries passes with backoff
    lines = (tmp_path / "rejects").glob("*-opensearch.jsonl")
    assert sum(1 for path in lines for _ in open(path)) == len(report.failed)

    server = OsmemServer.start(japanese=False, addr=addr)   # same address: the re-run is the same command
    # ...with the patience a loaded machine needs: under CPU load a 5 s request timeout with 50 ms backoff
    # refused a whole chunk (100 of 1,500) of the re-run; the kill phase needs no patience (connection refused)
    patient = dataclasses.replace(config, timeout_s=60, bulk_retries=5, backoff_s=1.0)
    try:
        done = write_version(patient, "v000001", None, fresh=table, removed_ids=[], store_table=table,
                             rejects_dir=tmp_path / "rejects", progress=False)
        assert done["documents"] == table.num_rows
        assert OpenSearchLexicalIndex(config, config.index_name("v000001")).num_docs() == table.num_rows
    finally:
        server.close()


def test_a_write_block_mid_bulk_reports_exactly_the_missing_documents(contract_store, opensearch_config, tmp_path):
    """Per-document failures with the cluster up: the report names exactly the documents that are
    missing, and re-sending only the source again brings the count to the source's."""
    from indexer.opensearch.index import OpenSearchLexicalIndex

    table = contract_store.table.slice(0, 600)
    idx = OpenSearchLexicalIndex(opensearch_config, opensearch_config.index_name("v000077"))
    idx.create(loading=False)
    blocked = []

    def block(done: int) -> None:
        if done >= 250 and not blocked:
            idx.client.indices.put_settings(index=idx.index, body={"index": {"blocks": {"write": True}}})
            blocked.append(done)

    rows = table.to_pylist()
    report = idx.bulk_index(rows, on_progress=block)
    idx.client.indices.put_settings(index=idx.index, body={"index": {"blocks": {"write": False}}})
    idx.finish_load()
    present = {h["_id"] for h in idx.client.search(index=idx.index, body={"size": 1000, "_source": False})["hits"]["hits"]}
    failed = {f.candidate_id for f in report.failed}
    assert failed and report.indexed == len(present)
    assert failed == {r["candidate_id"] for r in rows} - present
    assert all(f.status == 403 for f in report.failed)
    again = idx.bulk_index(rows)
    idx.finish_load()
    assert again.ok and idx.num_docs() == len(rows)
    idx.client.indices.delete(index=idx.index)


def test_unreachable_cluster_is_503_from_the_api(small_index, encoder):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings
    from indexer.reader import IndexReader
    from ranking.search.pipeline import SearchEngine

    settings = Settings(index_dir=small_index, lexical_backend="opensearch", opensearch_url=f"http://127.0.0.1:{_free_port()}",
                        opensearch_timeout_s=2)
    engine = SearchEngine(IndexReader(small_index, opensearch=settings.opensearch_config()), encoder, today=lambda: AS_OF)
    with TestClient(create_app(settings, engine=engine)) as client:
        res = client.post("/v1/search", json={"query": "title:engineer", "mode": "lexical"})
    assert res.status_code == 503
    body = res.json()
    assert body["title"] == "Backend unavailable" and "unreachable" in body["detail"] and "127.0.0.1" in body["detail"]


def test_hybrid_search_through_the_pipeline_on_opensearch(tmp_path, encoder, opensearch_config):
    """End to end: ingest to the cluster (alias published), then the same hits, facets and pages
    as the embedded index for a Boolean query, hybrid and lexical."""
    from dataclasses import replace

    from indexer.build import IndexConfig, ingest
    from indexer.reader import IndexReader
    from query.lang.filters import Filters
    from ranking.search.pipeline import SearchEngine, SearchRequest

    config = replace(opensearch_config, index_prefix=opensearch_config.index_prefix + "-e2e")
    os_dir, tan_dir = tmp_path / "os", tmp_path / "tan"
    ingest([DATA / "profiles_small.jsonl"], os_dir, IndexConfig(as_of=AS_OF, opensearch=config), progress=False, encoder=encoder)
    ingest([DATA / "profiles_small.jsonl"], tan_dir, IndexConfig(as_of=AS_OF), progress=False, encoder=encoder)
    engines = {name: SearchEngine(IndexReader(d, opensearch=config if name == "os" else None), encoder, today=lambda: AS_OF)
               for name, d in (("os", os_dir), ("tan", tan_dir))}
    client = config.client()
    assert list(client.indices.get_alias(name=config.alias)) == [config.index_name("v000001")]
    req = SearchRequest(query="engineer OR developer", filters=Filters(), k=20, mode="lexical",
                        facets=("seniority", "open_to_work"), highlight=True)
    res = {name: e.search(req) for name, e in engines.items()}
    assert res["os"].hits and {h.candidate_id for h in res["os"].hits} == {h.candidate_id for h in res["tan"].hits}
    assert res["os"].facets == res["tan"].facets
    assert res["os"].highlights == res["tan"].highlights
    assert any("<em>" in frag for frags in res["os"].highlights.values() for v in frags.values() for frag in v)
    hybrid = engines["os"].search(replace(req, mode="hybrid", facets=(), highlight=False))
    assert {h.candidate_id for h in hybrid.hits} <= {h.candidate_id for h in res["tan"].hits}
    pages, cursor = [], None
    while True:
        hits, cursor = engines["os"].page(req, size=2, cursor=cursor)
        pages.extend(h.candidate_id for h in hits)
        if cursor is None:
            break
    assert sorted(pages) == sorted(h.candidate_id for h in res["tan"].hits)
    # a second version swaps the alias and keeps the previous versioned index (keep_versions=2)
    ingest([DATA / "profiles_small.jsonl"], os_dir, IndexConfig(as_of=AS_OF, opensearch=config), progress=False,
           encoder=encoder, delete_ids=[res["tan"].hits[0].candidate_id])
    assert list(client.indices.get_alias(name=config.alias)) == [config.index_name("v000002")]
    assert engines["os"].search(req).hits and len(engines["os"].search(req).hits) == len(res["tan"].hits) - 1
