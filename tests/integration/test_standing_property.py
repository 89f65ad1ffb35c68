"""The exactly-once property of the feed (issue 20), with a fixed seed: a random stream of upserts and deletes
against a few standing searches; for every search, replaying its feed on top of a fresh search before the
stream gives exactly a fresh search after it: no candidate missing, none entered twice, none left while out.

The fresh searches are the engine's own (``SearchEngine.search``, lexical, Boolean syntax, k above the corpus
size) over the published index, after the write log is folded: an oracle independent of the reverse matcher.
"""
import datetime as dt
import json
import random

import pytest

from indexer.build import IndexConfig, ingest
from indexer.encoder import EncoderConfig
from indexer.reader import IndexReader
from indexer.validate import coerce_row
from query.lang.filters import Filters
from ranking.search.pipeline import SearchEngine, SearchRequest
from ranking.standing.service import LiveConfig, LiveService
from tests.conftest import AS_OF, DATA

TITLES = ["Senior Data Engineer", "Data Analyst", "Machine Learning Engineer", "Registered Nurse", "Backend Developer",
          "Site Reliability Engineer", "Product Manager", "Staff Software Engineer", "Welder", "Data Scientist"]
SKILLS = ["Python", "Apache Spark", "Kubernetes", "Java", "SQL", "Apache Kafka", "Go", "Nursing", "Welding", "TensorFlow"]
CITIES = [("Berlin", "DE", 52.52, 13.405), ("Munich", "DE", 48.137, 11.575), ("Paris", "FR", 48.857, 2.352),
          ("London", "GB", 51.507, -0.128)]
COMPANIES = ["Globex", "Initech", "Acme", "Umbrella", "Hooli"]
SEARCHES = [("acme", "title:engineer", {}), ("acme", "skill:python AND skill:spark", {}),
            ("acme", '"data engineer" OR title:analyst', {"near": "Berlin", "radius_km": 100}),
            ("globex", "title:engineer NOT skill:java", {"min_years": 4}), ("globex", "kubernetes OR go", {}),
            ("acme", "", {"open_to_work": True}), ("globex", "NOT title:nurse", {"seniority": ["senior", "lead"]}),
            ("acme", "company:globex OR past_company:initech", {}), ("globex", "data*", {}),
            ("acme", '"data engineer"~2 OR skill:go', {}), ("globex", "title:engin*", {"current_company": ["Globex"]}),
            ("acme", '"machine learn*"', {"past_company": ["initech"]}), ("globex", "sql", {"not_current_company": ["hooli"]}),
            ("acme", "nurse OR welder", {"active_within_days": 60, "max_years": 15})]


def _profile(rng: random.Random, cid: str, owner: str | None) -> dict:
    city, country, lat, lon = rng.choice(CITIES)
    start = rng.randint(2005, 2022)
    positions = [{"company_name": rng.choice(COMPANIES), "title": rng.choice(TITLES), "start": f"{start}-01-01",
                  "end": None}]
    if rng.random() < 0.6:
        positions.append({"company_name": rng.choice(COMPANIES), "title": rng.choice(TITLES),
                          "start": f"{start - rng.randint(2, 6)}-01-01", "end": f"{start - 1}-06-01"})
    p = {"candidate_id": cid, "headline": rng.choice(TITLES), "summary": " ".join(rng.sample(SKILLS, 2)),
         "location": {"city": city, "country": country, "lat": lat, "lon": lon}, "positions": positions,
         "skills": rng.sample(SKILLS, rng.randint(1, 4)), "open_to_work": rng.random() < 0.5,
         "last_active": "2026-10-01", "owner_tenant": owner}
    return coerce_row(json.loads(json.dumps(p)), latest=dt.date(2027, 1, 1))


def _fresh(engine: SearchEngine, tenant: str, query: str, filters: dict) -> set[str]:
    res = engine.search(SearchRequest(query=query, filters=Filters.from_dict(filters, tenant_id=tenant), k=1000,
                                      mode="lexical", syntax="boolean", rerank=False))
    return {h.candidate_id for h in res.hits}


@pytest.fixture()
def world(tmp_path):
    cfg = IndexConfig(as_of=AS_OF, encoder=EncoderConfig(backend="static"))
    ingest([DATA / "profiles_small.jsonl"], tmp_path / "index", cfg, progress=False)
    svc = LiveService(tmp_path / "index", tmp_path / "standing", LiveConfig(index=cfg, fold_interval_s=0), today=lambda: AS_OF)
    engine = SearchEngine(IndexReader(tmp_path / "index"), None, today=lambda: AS_OF)
    yield svc, engine
    svc.close()


def _replay(svc, sid: str, before: set[str]) -> set[str]:
    members = set(before)
    for e in svc.store.feed(sid, limit=100_000):
        if e.event == "entered":
            assert e.candidate_id not in members, f"{sid}: {e.candidate_id} entered twice (seq {e.seq})"
            members.add(e.candidate_id)
        else:
            assert e.candidate_id in members, f"{sid}: {e.candidate_id} left without being in (seq {e.seq})"
            members.remove(e.candidate_id)
    return members


def test_feeds_equal_the_difference_of_fresh_searches(world):
    svc, engine = world
    rng = random.Random(20)
    # a first wave of profiles, folded, so the searches start with members
    seed = [_profile(rng, f"p-{i}", rng.choice([None, None, "acme", "globex"])) for i in range(80)]
    svc.upsert_many(list(enumerate(seed, 1)), "root", admin=True)
    svc.fold()
    searches = []
    for tenant, query, filters in SEARCHES:
        s = svc.create_search(tenant, {"name": query or "filters only", "query": query, "filters": filters})
        before = _fresh(engine, tenant, query, filters)
        assert svc.store.members(s.search_id) == before, f"baseline of {query!r}"
        searches.append((s.search_id, tenant, query, filters, before))
    owners = {p["candidate_id"]: p["owner_tenant"] for p in seed}
    alive = set(owners)
    ops = 0
    for step in range(40):                           # 40 batches, ~400 writes, two intermediate checks
        batch = []
        for _ in range(rng.randint(1, 20)):
            roll = rng.random()
            if roll < 0.35 or not alive:
                cid = f"n-{step}-{len(batch)}"
                owners[cid] = rng.choice([None, "acme", "globex"])
            else:
                cid = rng.choice(sorted(alive))
            batch.append(_profile(rng, cid, owners[cid]))
        svc.upsert_many(list(enumerate(batch, 1)), "root", admin=True)
        alive |= {p["candidate_id"] for p in batch}
        for cid in rng.sample(sorted(alive), rng.randint(0, 4)):
            svc.delete(cid, "root", admin=True)
            alive.discard(cid)
            ops += 1
        ops += len(batch)
        if step in (13, 27):
            svc.fold()
    svc.fold()
    assert ops > 350
    for sid, tenant, query, filters, before in searches:
        after = _fresh(engine, tenant, query, filters)
        assert _replay(svc, sid, before) == after, f"feed of {query!r} {filters} != fresh search after the stream"
    assert any(len(svc.store.feed(sid, limit=100_000)) > 10 for sid, *_ in searches)   # the stream moved things
    # a refresh finds nothing to add: the write path already reported every change
    assert sum(svc.refresh().values()) == 0
