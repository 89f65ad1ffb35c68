"""Audit attributes never reach the index, the features or a response; the per-tenant re-ranking stage."""
import hashlib
import json
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from indexer.build import IndexConfig, current_version, ingest
from indexer.reader import IndexReader
from query.lang.filters import Filters
from query.lang.keywords import keywords_to_ast
from ranking.fairness.attributes import ATTRIBUTES, AttributeStore, FairnessSettings, read_audit_file
from ranking.fairness.stage import FairnessStage
from ranking.ltr.events import EventStores, feature_set_id
from ranking.ltr.features import FEATURE_NAMES, FeatureSet, build_context, pool_from_runs
from ranking.ltr.registry import ModelRegistry
from ranking.ltr.serve import LtrStage
from ranking.search.pipeline import SearchEngine, SearchRequest
from records.hits import Hit
from tests.conftest import AS_OF
from tests.unit.test_ingest_robustness import HashEncoder

VALUES = {v for values in ATTRIBUTES.values() for v in values}


def _digests(index_dir):
    """Content digests of every file of the live index version (tantivy segment names are random: by suffix)."""
    root = current_version(index_dir)
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.name.startswith(".") and p.name not in ("manifest.json", "meta.json"):
            key = p.suffix if p.parent.name == "lexical" else str(p.relative_to(root))
            out.append((key, hashlib.sha256(p.read_bytes()).hexdigest()))
    return sorted(out)


@pytest.mark.parametrize("proxy", [False, True], ids=["plain", "plant-proxy"])
def test_audit_attributes_never_reach_the_index_or_the_features(tmp_path, proxy):
    from benchmarks.synth import generate

    gen = generate(tmp_path / "gen", profiles=40, seed=5, queries=2, progress=False, plant_proxy=proxy)
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(gen.profiles_path, bare / "profiles.parquet")            # the same profiles, no audit.parquet
    shuffled = tmp_path / "shuffled"
    shutil.copytree(gen.out_dir, shuffled)                                # other attribute values
    t = pq.read_table(gen.audit_path)
    pq.write_table(t.set_column(1, "sex", t.column("sex").take(np.random.default_rng(1).permutation(t.num_rows))),
                   shuffled / "audit.parquet")
    config = IndexConfig(as_of=AS_OF)
    for name, src in (("with", gen.out_dir), ("without", bare), ("shuffled", shuffled)):
        ingest([src], tmp_path / name, config, progress=False, encoder=HashEncoder())
    assert _digests(tmp_path / "with") == _digests(tmp_path / "without") == _digests(tmp_path / "shuffled")
    schema = pq.read_schema(current_version(tmp_path / "with") / "profiles.parquet")
    assert not set(schema.names) & set(ATTRIBUTES)
    # the one FeatureSet reads the index only: the same vectors whichever audit file sat beside the profiles
    ctx = build_context(keywords_to_ast("engineer"), Filters(), boolean=False, today=AS_OF)
    pool = pool_from_runs([(o, 1.0 / (o + 1)) for o in range(40)], {"lexical": [Hit(o, 1.0) for o in range(40)]})
    X = [FeatureSet().compute(IndexReader(tmp_path / n).snapshot(), ctx, pool) for n in ("with", "shuffled")]
    assert X[0].shape == (40, len(FEATURE_NAMES)) and np.array_equal(X[0], X[1], equal_nan=True)
    assert not [f for f in FEATURE_NAMES if any(a in f for a in ("sex", "age", "ethnic"))]


def test_the_planted_proxy_is_engine_visible_while_sex_is_not(tmp_path):
    """--plant-proxy: career breaks (no current position) drawn mostly for women reach the features as
    pair_tenure_months == 0; sex itself does not (the test above, on the same kind of corpus)."""
    from benchmarks.simulator.recruiters import Truth
    from benchmarks.synth import generate

    gens = {p: generate(tmp_path / f"gen-{p}", profiles=400, seed=5, queries=2, progress=False, plant_proxy=p)
            for p in (False, True)}
    sex = dict(zip(*pq.read_table(gens[True].audit_path, columns=["candidate_id", "sex"]).to_pydict().values()))
    assert pq.read_table(gens[False].audit_path).equals(pq.read_table(gens[True].audit_path))   # same people
    ctx = build_context(keywords_to_ast("engineer"), Filters(), boolean=False, today=AS_OF)
    tenure = FEATURE_NAMES.index("pair_tenure_months")
    share = {}
    for proxy, gen in gens.items():
        ingest([gen.profiles_path], tmp_path / f"index-{proxy}", IndexConfig(as_of=AS_OF), progress=False, encoder=HashEncoder())
        snap = IndexReader(tmp_path / f"index-{proxy}").snapshot()
        ids = snap.store.table.column("candidate_id").to_pylist()
        ords = [snap.store.ord_of(c) for c in ids]
        pool = pool_from_runs([(o, 1.0) for o in ords], {"lexical": [Hit(o, 1.0) for o in ords]})
        X = FeatureSet().compute(snap, ctx, pool)
        off = {c for c, x in zip(ids, X[:, tenure]) if x == 0}
        assert off == set(Truth(gen.out_dir).trait("no_current_job"))        # what recruiters see, the model sees
        if proxy:
            from benchmarks.simulator.config import SimConfig
            from benchmarks.simulator.loop import bias_factors, view_bias_factors

            sim = SimConfig(index_dir="", corpus_dir=str(gen.out_dir), bias=("profile", "no_current_job"), bias_factor=0.1)
            assert bias_factors(Truth(gen.out_dir), sim, ids) == [0.1 if c in off else 1.0 for c in ids]
            assert view_bias_factors(Truth(gen.out_dir), sim, ids) == bias_factors(Truth(gen.out_dir), sim, ids)
        share[proxy] = {g: sum(c in off for c, s in sex.items() if s == g) / sum(s == g for s in sex.values())
                        for g in ("female", "male")}
    assert abs(share[False]["female"] - share[False]["male"]) < 0.08          # without the plant: no proxy
    assert share[True]["female"] > 2.5 * share[True]["male"] and share[True]["female"] > 0.25
    years = {p: pq.read_table(current_version(tmp_path / f"index-{p}") / "profiles.parquet",
                              columns=["candidate_id", "years_experience"]).to_pydict() for p in (False, True)}
    assert years[False] == years[True]                   # the break moves the career, experience is the same


@pytest.fixture
def fair_setup(small_index, small_engine, tmp_path):
    """acme-talent supplied attributes for the small corpus: the hybrid top 5 for 'engineer' male, the rest female."""
    ranked = [h.candidate_id for h in small_engine.search(SearchRequest(query="engineer", k=12,
                                                                         filters=Filters(tenant_id="acme-talent"))).hits]
    lines = ["candidate_id,sex,age_band,ethnicity"] + [f"{c},{'male' if i < 5 else 'female'},25_34,asian"
                                                        for i, c in enumerate(ranked)]
    (tmp_path / "audit.csv").write_text("\n".join(lines) + "\n")
    store = AttributeStore(tmp_path / "fairness")
    store.put("acme-talent", read_audit_file(tmp_path / "audit.csv"))
    return store, ranked


def _ids(res):
    return [h.candidate_id for h in res.hits]


def test_the_stage_reranks_only_a_tenant_that_turned_it_on(fair_setup, small_index, encoder, small_engine, tmp_path):
    store, ranked = fair_setup
    ltr = LtrStage(ModelRegistry(tmp_path / "ltr"), EventStores(tmp_path / "ltr"), FeatureSet())
    engine = SearchEngine(IndexReader(small_index), encoder, today=lambda: AS_OF, ltr=ltr, fairness=FairnessStage(store))

    def search(tenant, **kw):
        return engine.search(SearchRequest(query="engineer", k=8, filters=Filters(tenant_id=tenant), debug=True, **kw))

    plain = search("acme-talent")
    assert plain.fairness is None and _ids(plain) == ranked[:8]             # supplied, not turned on: off
    store.set_settings("acme-talent", FairnessSettings(enabled=True, attribute="sex", top_n=10))
    fair = search("acme-talent")
    assert fair.fairness == "detgreedy:sex@10" and _ids(fair) != _ids(plain)
    groups = store.groups("acme-talent", "sex")
    top = [groups[c] for c in _ids(fair)]
    pool = [groups[c] for c in ranked[:10]]
    for n in range(1, 9):                                                  # every prefix holds its floor share
        assert top[:n].count("female") >= int(n * pool.count("female") / 10)
    other = search("globex-hr")                                            # another tenant: its own visibility, no re-ranking
    assert other.fairness is None and _ids(other)[:7] == _ids(plain)[:7] and _ids(other)[7] == "pv-002"
    assert _ids(search("acme-talent", fairness=False)) == _ids(plain)
    # the served-feature log follows the re-ranked order: each served hit's vector is its own
    rows = {r.candidate_id: r for r in ltr.stores.get("acme-talent").logged(feature_set=feature_set_id(FEATURE_NAMES))
            if r.request_id == fair.request_id}
    ctx = build_context(keywords_to_ast("engineer"), Filters(tenant_id="acme-talent"), boolean=False, today=AS_OF)
    runs = {n: [Hit(o, s) for o, s in hs] for n, hs in plain.debug["runs"].items()}
    fused = [(h.ord, h.score) for h in engine.search(SearchRequest(query="engineer", k=10, filters=Filters(tenant_id="acme-talent"),
                                                                   fairness=False)).hits]
    X = FeatureSet().compute(engine.reader.snapshot(), ctx, pool_from_runs(fused, runs))
    at = {engine.reader.snapshot().store.candidate_ids([o])[0]: i for i, (o, _) in enumerate(fused)}
    for h in fair.hits:
        assert rows[h.candidate_id].position == h.rank
        assert np.array_equal(rows[h.candidate_id].features, X[at[h.candidate_id]], equal_nan=True)
    store.set_settings("acme-talent", FairnessSettings(enabled=True, attribute="sex", algorithm="detconstsort", top_n=10))
    assert search("acme-talent").fairness == "detconstsort:sex@10"
    ltr.stores.close()


def _keys_and_strings(obj, out):
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.add(str(k))
            _keys_and_strings(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _keys_and_strings(v, out)
    elif isinstance(obj, str):
        out.add(obj)
    return out


def test_no_response_carries_an_attribute(fair_setup, small_index, tmp_path):
    store, ranked = fair_setup
    store.set_settings("acme-talent", FairnessSettings(enabled=True, attribute="sex", top_n=10))
    settings = Settings(index_dir=small_index, ltr_dir=tmp_path / "ltr", jobs_dir=tmp_path / "jobs", fairness_dir=store.root)
    with TestClient(create_app(settings)) as client:
        headers = {"X-Tenant-Id": "acme-talent"}
        responses = [client.post("/v1/search", json={"query": "engineer", "k": 10}, headers=headers),
                     client.post("/v1/search", json={"query": "data engineer", "k": 10, "debug": True}, headers=headers),
                     client.post("/v1/rerank", json={"query": "engineer", "candidate_ids": ranked}, headers=headers),
                     client.get(f"/v1/candidates/{ranked[0]}", headers=headers)]
        assert responses[0].json()["fairness"] == "detgreedy:sex@10"
        for r in responses:
            assert r.status_code == 200, r.text
            seen = _keys_and_strings(r.json(), set())
            assert not seen & set(ATTRIBUTES), r.json()
            assert not seen & (VALUES - {"other"}), r.json()
            assert not any(v in json.dumps(r.json()) for v in ("\"female\"", "not_disclosed", "\"25_34\""))


def test_a_request_picks_its_fairness_rerank_and_bad_values_name_the_field(fair_setup, small_index, tmp_path):
    from ranking.fairness.fair import mtable

    store, _ = fair_setup
    settings = Settings(index_dir=small_index, ltr_dir=tmp_path / "ltr", jobs_dir=tmp_path / "jobs", fairness_dir=store.root)
    with TestClient(create_app(settings)) as client:
        def search(fairness=None, tenant="acme-talent"):
            body = {"query": "engineer", "k": 10, **({"fairness": fairness} if fairness is not None else {})}
            return client.post("/v1/search", json=body, headers={"X-Tenant-Id": tenant})

        plain = search().json()
        assert plain["fairness"] is None                                   # the tenant's default: off
        ids = lambda r: [h["candidate_id"] for h in r["hits"]]             # noqa: E731
        greedy = search({"rerank": "detgreedy", "top_n": 10}).json()
        assert greedy["fairness"] == "detgreedy:sex@10" and ids(greedy) != ids(plain)
        fair = search({"rerank": "fair", "protected": "female", "top_n": 10, "min_proportion": 0.5}).json()
        assert fair["fairness"] == "fair:sex@10" and "female" not in json.dumps(fair)
        groups = store.groups("acme-talent", "sex")
        women = [sum(groups[c] == "female" for c in ids(fair)[: n + 1]) for n in range(10)]
        assert all(w >= m for w, m in zip(women, mtable(10, 0.5, 0.1))) and women != [0] * 10
        store.set_settings("acme-talent", FairnessSettings(enabled=True, top_n=10))
        assert search().json()["fairness"] == "detgreedy:sex@10"          # the tenant's setting...
        off = search({"rerank": "off"}).json()                              # ...switched off for one request
        assert off["fairness"] is None and ids(off) == ids(plain)
        page = client.post("/v1/search", json={"query": "engineer", "k": 4, "fairness": {"rerank": "off"}},
                           headers={"X-Tenant-Id": "acme-talent"}).json()
        nxt = client.post("/v1/search", json={"query": "engineer", "k": 4, "fairness": {"rerank": "off"},
                                              "cursor": page["next_cursor"]}, headers={"X-Tenant-Id": "acme-talent"})
        assert nxt.status_code == 200 and ids(page) + ids(nxt.json()) == ids(plain)[:8]
        for body, field in (({"rerank": "magic"}, "fairness.rerank"), ({"rerank": "fair"}, "fairness.protected"),
                            ({"rerank": "fair", "protected": "robot"}, "fairness.protected"),
                            ({"top_n": 0}, "fairness.top_n"), ({"alpha": 2}, "fairness.alpha"),
                            ({"colour": "red"}, "fairness.colour")):
            r = search(body)
            assert r.status_code == 422 and r.json()["field"] == field, (body, r.text)
        r = search({"rerank": "detgreedy"}, tenant="globex-hr")            # supplied no attributes: not another's
        assert r.status_code == 422 and r.json()["field"] == "fairness.attribute" and "globex-hr" in r.json()["detail"]
