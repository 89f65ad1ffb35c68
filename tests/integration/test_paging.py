"""Cursor pagination of hybrid results: pages concatenate to the one-shot ranking, never overlap,
and a cursor is refused for another request or after the index changed."""
import dataclasses

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from ranking.search.paging import CursorError, search_page
from ranking.search.pipeline import SearchRequest


def test_pages_concatenate_to_the_single_ranking(small_engine):
    req = SearchRequest("data engineer spark berlin", k=3, syntax="keywords")
    whole = [h.candidate_id for h in small_engine.search(dataclasses.replace(req, k=50)).hits]
    pages, cursor = [], None
    for _ in range(20):
        res, cursor = search_page(small_engine, req, cursor)
        pages.append([h.candidate_id for h in res.hits])
        first = 3 * (len(pages) - 1) + 1
        assert [h.rank for h in res.hits] == list(range(first, first + len(res.hits)))
        assert len(res.hits) == 3 or cursor is None        # only the last page may be short
        if cursor is None:
            break
    flat = [c for p in pages for c in p]
    assert len(flat) == len(set(flat)) == len(whole)
    assert flat == whole
    assert len(pages) > 2


def test_a_cursor_only_continues_its_own_request(small_engine):
    req = SearchRequest("data engineer", k=2, syntax="keywords")
    _, cursor = search_page(small_engine, req)
    assert cursor
    with pytest.raises(CursorError, match="another query"):
        search_page(small_engine, dataclasses.replace(req, query="nurse"), cursor)
    with pytest.raises(CursorError, match="another query"):
        search_page(small_engine, dataclasses.replace(req, k=5), cursor)
    with pytest.raises(CursorError, match="not a cursor"):
        search_page(small_engine, req, "garbage!!")


def test_the_api_pages_and_names_the_cursor_field(small_index, small_engine, tmp_path):
    with TestClient(create_app(Settings(index_dir=small_index, jobs_dir=tmp_path / "j", ltr_dir=tmp_path / "l"),
                               engine=small_engine)) as client:
        body = {"query": "spark", "k": 2}
        first = client.post("/v1/search", json=body).json()
        assert first["next_cursor"]
        second = client.post("/v1/search", json={**body, "cursor": first["next_cursor"]}).json()
        assert not {h["candidate_id"] for h in first["hits"]} & {h["candidate_id"] for h in second["hits"]}
        assert [h["rank"] for h in second["hits"]] == [3, 4]
        bad = client.post("/v1/search", json={**body, "query": "nurse", "cursor": first["next_cursor"]})
        assert bad.status_code == 422 and bad.json()["field"] == "cursor"


def test_a_cursor_is_refused_after_the_index_changed(tmp_path, encoder):
    from indexer.build import IndexConfig, ingest
    from indexer.reader import IndexReader
    from ranking.search.pipeline import SearchEngine
    from tests.conftest import AS_OF, DATA

    index = tmp_path / "index"
    ingest([DATA / "profiles_small.jsonl"], index, IndexConfig(as_of=AS_OF), progress=False, encoder=encoder)
    engine = SearchEngine(IndexReader(index), encoder, today=lambda: AS_OF)
    req = SearchRequest("data engineer", k=2, syntax="keywords")
    _, cursor = search_page(engine, req)
    ingest([], index, IndexConfig(as_of=AS_OF), delete_ids=["de-001"], progress=False, encoder=encoder)
    with pytest.raises(CursorError, match="changed since the first page"):
        search_page(engine, req, cursor)


def test_the_api_serves_facets_and_highlights(small_index, small_engine, tmp_path):
    with TestClient(create_app(Settings(index_dir=small_index, jobs_dir=tmp_path / "j", ltr_dir=tmp_path / "l"),
                               engine=small_engine)) as client:
        r = client.post("/v1/search", json={"query": 'title:"data engineer"', "k": 3, "facets": ["location", "seniority"],
                                            "highlight": True})
        assert r.status_code == 200, r.text
        body = r.json()
        locations = dict(body["facets"]["location"])
        assert locations["Berlin"] >= 3 and sum(locations.values()) == body["total_lexical"]
        assert any("<em>" in v for h in body["hits"] for vals in (h["highlights"] or {}).values() for v in vals)
        bad = client.post("/v1/search", json={"query": "x", "facets": ["salary"]})
        assert bad.status_code == 422 and "facets" in bad.json()["field"]


@pytest.mark.parametrize("change", [{"d": "abc"}, {"d": None}, {"d": [1]}, {"d": 1_000_000_000}, {"d": True},
                                    {"o": "3"}, {"o": 0}, {"o": 10**9}, {"q": 7}, {"v": None}, {"m": 1}, {"extra": 1}])
def test_a_signed_cursor_must_still_hold_what_this_version_writes(small_engine, change):
    from ranking.search.paging import CursorCodec

    codec = CursorCodec(b"k" * 32)
    req = SearchRequest("data engineer", k=2, syntax="keywords")
    _, cursor = search_page(small_engine, req, codec=codec)
    state = codec.decode(cursor)
    with pytest.raises(CursorError, match="not a cursor this server version reads"):
        search_page(small_engine, req, codec.encode({**state, **change}), codec=codec)


def test_a_cursor_needs_the_key_that_signed_it(small_engine):
    from ranking.search.paging import CursorCodec

    req = SearchRequest("data engineer", k=2, syntax="keywords")
    _, cursor = search_page(small_engine, req, codec=CursorCodec(b"a" * 32))
    assert search_page(small_engine, req, cursor, codec=CursorCodec(b"a" * 32))[0].hits
    with pytest.raises(CursorError, match="signature does not match"):
        search_page(small_engine, req, cursor, codec=CursorCodec(b"b" * 32))
    payload, _, sig = cursor.partition(".")
    with pytest.raises(CursorError, match="not a cursor returned by this API"):
        search_page(small_engine, req, payload, codec=CursorCodec(b"a" * 32))
