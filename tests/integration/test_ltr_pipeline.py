"""The featurize + re-rank stage in the real pipeline, the events API and the LTR commands."""
import datetime as dt
import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from api.settings import Settings
from indexer.reader import IndexReader
from query.lang.filters import Filters
from query.lang.keywords import keywords_to_ast
from ranking.ltr.events import EventStores, feature_set_id
from ranking.ltr.features import FEATURE_NAMES, FeatureSet, build_context, pool_from_runs
from ranking.ltr.train import LtrConfig, train_scope
from ranking.ltr.serve import LtrModel, LtrStage
from ranking.search.pipeline import SearchEngine, SearchRequest
from ranking.ltr.registry import GLOBAL, ModelRegistry
from records.hits import Hit
from tests.conftest import AS_OF

YEARS = FEATURE_NAMES.index("pair_years_experience")
QUERIES = ["data engineer", "engineer", "python", "spark", "data", "developer", "software engineer", "data scientist"]


@pytest.fixture
def ltr_engine(small_index, encoder, tmp_path):
    stage = LtrStage(ModelRegistry(tmp_path), EventStores(tmp_path), FeatureSet())
    yield SearchEngine(IndexReader(small_index), encoder, today=lambda: AS_OF, ltr=stage), tmp_path
    stage.stores.close()


def search(engine, query, tenant="acme-talent", **kw):
    return engine.search(SearchRequest(query=query, filters=Filters(tenant_id=tenant), **kw))


def test_no_model_keeps_hybrid_order_and_logs_the_served_vectors(ltr_engine, small_engine):
    engine, ltr_dir = ltr_engine
    res = search(engine, "data engineer spark", debug=True)
    plain = search(small_engine, "data engineer spark")
    assert [h.candidate_id for h in res.hits] == [h.candidate_id for h in plain.hits]
    assert res.model_version is None and res.explanations is None and len(res.request_id) == 32
    rows = engine.ltr.stores.get("acme-talent").logged(feature_set=feature_set_id(FEATURE_NAMES))
    assert [(r.request_id, r.candidate_id, r.position) for r in rows] == \
        [(res.request_id, h.candidate_id, h.rank) for h in res.hits]
    # the logged vector is exactly what the one FeatureSet computes for the served pool
    runs = {n: [Hit(o, s) for o, s in hs] for n, hs in res.debug["runs"].items()}
    ctx = build_context(keywords_to_ast("data engineer spark"), Filters(tenant_id="acme-talent"), boolean=False, today=AS_OF)
    X = FeatureSet().compute(engine.reader.snapshot(), ctx, pool_from_runs([(h.ord, h.score) for h in res.hits], runs))
    assert np.array_equal(np.stack([r.features for r in rows]), X)
    assert not np.isnan(X).any() and X[:, FEATURE_NAMES.index("fused_rank")].tolist() == list(range(1, len(rows) + 1))
    # searches without a tenant are not logged anywhere
    search(engine, "data engineer", tenant=None)
    assert not (ltr_dir / "tenants" / "__network__").exists()


def _engage(engine, rounds=4):
    """Recruiters of acme-talent shortlist the most experienced hit of each served page."""
    events = []
    t0 = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    n = 0
    for r in range(rounds):
        for q in QUERIES:
            res = search(engine, q)
            if len(res.hits) < 2:
                continue
            for h in res.hits:
                n += 1
                events.append({"event_id": f"e{n}", "type": "impression", "recruiter_id": "r1", "candidate_id": h.candidate_id,
                               "request_id": res.request_id, "position": h.rank, "timestamp": (t0 + dt.timedelta(seconds=n)).isoformat()})
            best = max(res.hits, key=lambda h: h.profile["years_experience"])
            n += 1
            events.append({"event_id": f"e{n}", "type": "shortlist", "recruiter_id": "r1", "candidate_id": best.candidate_id,
                           "request_id": res.request_id, "timestamp": (t0 + dt.timedelta(seconds=n)).isoformat()})
    return events


def test_trained_model_reranks_and_explains(ltr_engine, small_engine):
    engine, ltr_dir = ltr_engine
    report = engine.ltr.stores.get("acme-talent").add(_engage(engine), tenant_id="acme-talent")
    assert report.accepted > 0 and not report.rejected
    tr = train_scope(ltr_dir, "acme-talent", LtrConfig(num_boost_round=30, min_data_in_leaf=3, min_requests=5, holdout_fraction=0.2))
    assert tr.promoted
    res = search(engine, "engineer", debug=True)
    assert res.model_version == f"acme-talent/{tr.version}" and "rerank" in res.timings_ms
    model = LtrModel(ModelRegistry(ltr_dir).current("acme-talent"))
    rows = {r.candidate_id: r.features for r in engine.ltr.stores.get("acme-talent").logged(feature_set=feature_set_id(FEATURE_NAMES))
            if r.request_id == res.request_id}
    scores = model.predict(np.stack([rows[h.candidate_id] for h in res.hits]))
    assert np.all(np.diff(scores) <= 1e-9)                                   # served in model order
    assert [h.score for h in res.hits] == pytest.approx(scores.tolist())
    for h in res.hits:
        names = [name for name, _ in res.explanations[h.candidate_id]]
        assert len(names) == 3 and set(names) <= set(FEATURE_NAMES)
    quiet = search(engine, "engineer", explain=False)                    # same order, no SHAP computed
    assert quiet.explanations is None and [h.candidate_id for h in quiet.hits] == [h.candidate_id for h in res.hits]
    # the most experienced engineer now leads; another tenant (no model, no global) keeps the hybrid order
    assert res.hits[0].profile["years_experience"] == max(h.profile["years_experience"] for h in res.hits)
    other = search(engine, "engineer", tenant="globex-hr")
    assert other.model_version is None
    off = search(engine, "engineer", rerank=False)
    plain = search(small_engine, "engineer")
    assert off.model_version is None and [h.candidate_id for h in off.hits] == [h.candidate_id for h in plain.hits]


def test_the_cli_ranks_with_the_tenants_model(ltr_engine, small_index, capsys):
    """Issue 17: `talentsearch search --tenant T` built the engine without the LTR stage."""
    engine, ltr_dir = ltr_engine
    engine.ltr.stores.get("acme-talent").add(_engage(engine), tenant_id="acme-talent")
    tr = train_scope(ltr_dir, "acme-talent", LtrConfig(num_boost_round=30, min_data_in_leaf=3, min_requests=5, holdout_fraction=0.2))
    assert tr.promoted
    common = ["--index-dir", str(small_index), "--ltr-dir", str(ltr_dir), "--json"]
    assert main(["search", "engineer", "--tenant", "acme-talent", *common]) == 0
    assert json.loads(capsys.readouterr().out)["model_version"] == f"acme-talent/{tr.version}"
    assert main(["search", "engineer", "--tenant", "globex-hr", *common]) == 0
    assert json.loads(capsys.readouterr().out)["model_version"] is None
    # a global model trained from acme's shared events; acme rolls back its own: the global one serves, and says so
    glob = train_scope(ltr_dir, GLOBAL, LtrConfig(num_boost_round=30, min_data_in_leaf=3, min_requests=5, holdout_fraction=0.2),
                       from_tenants=("acme-talent",))
    assert glob.promoted
    assert main(["train", "--tenant", "acme-talent", "--rollback", "--ltr-dir", str(ltr_dir)]) == 0
    assert f"now serving the global model {glob.version}" in capsys.readouterr().out
    assert main(["search", "engineer", "--tenant", "acme-talent", *common]) == 0
    assert json.loads(capsys.readouterr().out)["model_version"] == f"{GLOBAL}/{glob.version}"


def test_events_api(small_index, ltr_engine):
    engine, ltr_dir = ltr_engine
    with TestClient(create_app(Settings(index_dir=small_index, ltr_dir=ltr_dir), engine=engine)) as client:
        body = client.post("/v1/search", json={"query": "data engineer"}, headers={"X-Tenant-Id": "acme-talent"}).json()
        assert len(body["request_id"]) == 32 and body["model_version"] is None
        first = body["hits"][0]["candidate_id"]
        good = {"event_id": "ev-1", "type": "impression", "recruiter_id": "r1", "candidate_id": first,
                "request_id": body["request_id"], "position": 1, "timestamp": "2026-11-01T10:00:00Z"}
        bad = {**good, "event_id": "ev-2", "type": "like"}
        r = client.post("/v1/events", json=[good, bad], headers={"X-Tenant-Id": "acme-talent"})
        assert r.status_code == 200
        assert r.json()["accepted"] == 1 and r.json()["rejected"][0]["event_id"] == "ev-2"
        assert "type" in r.json()["rejected"][0]["reason"]
        again = client.post("/v1/events", json=good, headers={"X-Tenant-Id": "acme-talent"}).json()
        assert (again["accepted"], again["duplicates"]) == (0, 1)
        missing = client.post("/v1/events", json=good)
        assert missing.status_code == 422 and "X-Tenant-Id" in missing.json()["detail"]
        wrong = client.post("/v1/events", json=good, headers={"X-Tenant-Id": "../../etc"})
        assert wrong.status_code == 422
        spoof = client.post("/v1/events", json={**good, "event_id": "ev-3", "tenant_id": "acme-talent"},
                            headers={"X-Tenant-Id": "globex-hr"}).json()
        assert spoof["accepted"] == 0 and "tenant_id" in spoof["rejected"][0]["reason"]
    assert [e.event_id for e in engine.ltr.stores.get("acme-talent").events()] == ["ev-1"]
    assert engine.ltr.stores.get("globex-hr").count_events() == 0


def test_cli_events_import_train_and_models(tmp_path, capsys):
    lines = [{"event_id": f"e{i}", "type": "impression", "tenant_id": "acme-talent", "recruiter_id": "r", "candidate_id": f"c{i}",
              "request_id": "q1", "position": i + 1, "timestamp": "2026-11-01T10:00:00Z"} for i in range(3)]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join([json.dumps(x) for x in lines] + ["{not json", json.dumps({**lines[0], "event_id": "x", "type": "?"}),
                                                                 json.dumps(lines[0])]) + "\n")
    assert main(["events", "import", str(path), "--ltr-dir", str(tmp_path / "ltr"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["accepted"], out["duplicates"], out["rejected"]) == (3, 1, 2)
    assert [e["line"] for e in out["errors"]] == [4, 5] and "not JSON" in out["errors"][0]["reason"]
    assert main(["train", "--tenant", "acme-talent", "--ltr-dir", str(tmp_path / "ltr")]) == 2
    assert "usable requests" in capsys.readouterr().err
    assert main(["train", "--tenant", "acme-talent", "--rollback", "--ltr-dir", str(tmp_path / "ltr")]) == 2
    assert "no promoted model" in capsys.readouterr().err


def test_exploration_swaps_adjacent_hits_logs_the_engines_rank_and_keeps_pages_whole(small_index, encoder, tmp_path, small_engine):
    from ranking.ltr.serve import LtrSettings
    from ranking.search.paging import search_page

    stage = LtrStage(ModelRegistry(tmp_path), EventStores(tmp_path), FeatureSet(), LtrSettings(explore=1.0, explore_depth=6))
    engine = SearchEngine(IndexReader(small_index), encoder, today=lambda: AS_OF, ltr=stage)
    try:
        swapped = 0
        for q in QUERIES:
            plain = [h.candidate_id for h in search(small_engine, q, k=8).hits]
            res = search(engine, q, k=8)
            shown = [h.candidate_id for h in res.hits]
            assert res.explored and sorted(shown) == sorted(plain) and [h.rank for h in res.hits] == list(range(1, len(shown) + 1))
            assert shown[6:] == plain[6:]                                     # only the first explore_depth move
            for i, c in enumerate(shown):                                     # ... and each by at most one place
                assert abs(plain.index(c) - i) <= 1
            swapped += sum(a != b for a, b in zip(shown, plain))
            logged = [r for r in stage.stores.get("acme-talent").logged(feature_set=feature_set_id(FEATURE_NAMES))
                      if r.request_id == res.request_id]
            assert [r.candidate_id for r in logged] == plain and all(r.explored for r in logged)   # the engine's order
        assert swapped > 0
        assert not search(engine, "data engineer", k=8, explore=False).explored
        # a cursor's pages neither overlap nor skip: swaps stay inside the first page, later pages are not explored
        req = SearchRequest(query="engineer", filters=Filters(tenant_id="acme-talent"), k=4)
        first, cursor = search_page(engine, req)
        second, _ = search_page(engine, req, cursor)
        plain = [h.candidate_id for h in search(small_engine, "engineer", k=8).hits]
        assert first.explored and not second.explored
        assert sorted(h.candidate_id for h in first.hits) == sorted(plain[:4]) and [h.candidate_id for h in second.hits] == plain[4:8]
    finally:
        stage.stores.close()
    off = LtrStage(ModelRegistry(tmp_path), EventStores(tmp_path), FeatureSet())        # the default: no exploration
    assert off.explore_order("acme-talent", "r1", 10) is None
    with pytest.raises(ValueError, match="explore"):
        LtrSettings(explore=1.5)


def test_promoted_models_are_loaded_before_the_first_search(ltr_engine, small_index, encoder):
    """Issue 17: the first tenant search after start or after a promotion paid for loading the model."""
    import time

    engine, ltr_dir = ltr_engine
    engine.ltr.stores.get("acme-talent").add(_engage(engine), tenant_id="acme-talent")
    tr = train_scope(ltr_dir, "acme-talent", LtrConfig(num_boost_round=30, min_data_in_leaf=3, min_requests=5, holdout_fraction=0.2))
    assert tr.promoted
    stage = LtrStage(ModelRegistry(ltr_dir), None, FeatureSet())
    fresh = SearchEngine(IndexReader(small_index), encoder, today=lambda: AS_OF, ltr=stage)
    fresh.warm()                                               # what the server's start-up does
    assert set(stage._models) == {f"acme-talent/{tr.version}"}
    # another process promotes a new version: the watcher loads it and drops the old one, no search needed
    registry = ModelRegistry(ltr_dir)
    current = registry.current("acme-talent")
    new = registry.add("acme-talent", (current.path / "model.txt").read_text(), dict(current.manifest))
    stop = stage.watch(interval_s=0.05)
    try:
        registry.promote("acme-talent", new.version, reason="test")
        deadline = time.monotonic() + 30
        while set(stage._models) != {f"acme-talent/{new.version}"}:
            assert time.monotonic() < deadline, stage._models
            time.sleep(0.05)
    finally:
        stop.set()
    assert search(fresh, "engineer").model_version == f"acme-talent/{new.version}"


def test_a_search_with_qualifications_logs_eval_features_in_the_order_shown(ltr_engine):
    from query.qualifications import parse_qualifications

    engine, _ = ltr_engine
    quals = parse_qualifications([{"kind": "location", "text": "Berlin", "radius_km": 30}])
    res = search(engine, "data engineer", k=5, qualifications=quals)
    rows = engine.ltr.stores.get("acme-talent").logged(feature_set=feature_set_id(FEATURE_NAMES))
    assert [r.candidate_id for r in rows] == [h.candidate_id for h in res.hits]     # permuted with the evaluation stage
    X = np.stack([r.features for r in rows])
    must = X[:, FEATURE_NAMES.index("eval_must_met")]
    assert X[:, FEATURE_NAMES.index("eval_attached")].tolist() == [1.0] * len(rows)
    assert must.tolist() == sorted(must.tolist(), reverse=True)                       # must-haves met first
    assert [res.evaluations[h.candidate_id].all_musts for h in res.hits] == [m == 1.0 for m in must]


def test_a_lexical_only_engine_warms_up(small_index):
    """build_engine(dense=False) has no query encoder: warm() loads the rest and does not fail on it."""
    engine = SearchEngine(IndexReader(small_index), None, today=lambda: AS_OF)
    engine.warm()
    assert engine.search(SearchRequest(query="python", mode="lexical", k=3)).hits
