"""On a generated corpus: every hit of every retriever satisfies every constraint, checked
against the profiles themselves (tests/support/oracle.py), and the judged set is usable."""
import datetime as dt
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.synth import generate
from indexer.build import IndexConfig, ingest
from indexer.reader import IndexReader
from query.lang.filters import Filters
from query.lang.parser import parse
from records.geo import haversine_km
from ranking.search.pipeline import SearchEngine, SearchRequest
from tests.support.oracle import satisfies_filters, satisfies_query

PROFILES = 20_000      # generated in ~4 s; only a subset is indexed (below) to keep encoding short
KEEP_OTHERS = 2500
MUST_SHOW = 'title:"data engineer" AND (spark OR airflow) NOT company:acme'


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, encoder):
    root = tmp_path_factory.mktemp("gen")
    generate(root / "corpus", profiles=PROFILES, seed=7, progress=False)
    manifest = json.loads((root / "corpus" / "manifest.json").read_text())
    as_of = dt.date.fromisoformat(manifest["as_of"])
    # index everyone within 300 km of Berlin plus the first KEEP_OTHERS profiles from elsewhere
    table = pq.read_table(root / "corpus" / "profiles.parquet")
    loc = table.column("location").combine_chunks()
    near = haversine_km(52.52, 13.405, loc.field("lat").to_numpy(zero_copy_only=False),
                        loc.field("lon").to_numpy(zero_copy_only=False)) <= 300
    keep = near | (np.cumsum(~near) <= KEEP_OTHERS) & ~near
    pq.write_table(table.filter(pa.array(keep)), root / "subset.parquet")
    ingest([root / "subset.parquet"], root / "index", IndexConfig(as_of=as_of), progress=False, encoder=encoder)
    engine = SearchEngine(IndexReader(root / "index"), encoder, today=lambda: as_of)
    queries = [json.loads(x) for x in (root / "corpus" / "queries.jsonl").read_text().splitlines()]
    return engine, queries, as_of


def check_hits(engine, query, filters: Filters, as_of, *, boolean: bool) -> dict:
    node = parse(query) if boolean else None
    out = {}
    for mode in ("lexical", "dense", "hybrid"):
        res = engine.search(SearchRequest(query=query, filters=filters, k=30, mode=mode,
                                          syntax="boolean" if boolean else "keywords"))
        for h in res.hits:
            assert satisfies_filters(filters, h.profile, today=as_of), (mode, query, h.candidate_id)
            if boolean:
                assert satisfies_query(node, h.profile), (mode, query, h.candidate_id)
        ids = [h.candidate_id for h in res.hits]
        assert len(ids) == len(set(ids)) <= 30
        out[mode] = ids
    return out


def test_must_show_query_near_berlin_has_hits_that_obey_everything(corpus):
    engine, _, as_of = corpus
    got = check_hits(engine, MUST_SHOW, Filters.from_dict({"near": "Berlin", "radius_km": 50}), as_of, boolean=True)
    assert got["lexical"] and got["dense"] and got["hybrid"]
    assert set(got["dense"]) == set(got["lexical"]) or len(got["lexical"]) == 30   # same Boolean match set


def test_judged_queries_obey_constraints_on_every_retriever(corpus):
    engine, queries, as_of = corpus
    checked = 0
    for q in queries[:60]:
        filters = Filters.from_dict(q.get("filters"), tenant_id=q.get("tenant_id"))
        check_hits(engine, q["query"], filters, as_of, boolean=q["kind"] == "boolean")
        checked += 1
    assert checked == 60
