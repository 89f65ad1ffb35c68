"""Training from per-tenant stores: opposite tenants, isolation, promotion gate, rollback, global fallback."""
import datetime as dt
import json

import numpy as np
import pytest

from ranking.ltr.events import EventStore, feature_set_id
from ranking.ltr.features import EVAL_FEATURES, FEATURE_NAMES
from ranking.ltr.labels import build_training_set
from ranking.ltr.train import LtrConfig, ndcg_at, retrain_job, train_scope
from ranking.ltr.serve import LtrModel
from ranking.ltr.registry import GLOBAL, ModelRegistry
from records.errors import NotFoundError, ValidationError

YEARS = FEATURE_NAMES.index("pair_years_experience")


def served(rng, n):
    """Random served feature rows; the eval_* columns are 0, as for searches without qualifications."""
    base = rng.random((n, len(FEATURE_NAMES) - len(EVAL_FEATURES))).astype(np.float32)
    return np.hstack([base, np.zeros((n, len(EVAL_FEATURES)), np.float32)])
CONFIG = LtrConfig(num_boost_round=20, min_data_in_leaf=5, min_requests=10, threads=1)


def simulate(ltr_dir, tenant, *, likes_senior: bool, requests=40, page=10, seed=0, day=1):
    """Served pages with random features; the tenant's recruiters click the most (or least) experienced."""
    rng = np.random.default_rng(seed)
    store = EventStore(ltr_dir, tenant)
    events, t0 = [], dt.datetime(2026, 11, day, tzinfo=dt.timezone.utc)
    for r in range(requests):
        request = f"{tenant}-req{r}-{seed}"
        cands = [f"{tenant}-c{r}-{i}" for i in range(page)]
        X = served(rng, page)
        X[:, YEARS] = rng.uniform(0, 30, page)
        store.log_features(request, cands, X, feature_set=feature_set_id(FEATURE_NAMES))
        best = np.argsort(-X[:, YEARS] if likes_senior else X[:, YEARS])[:2]
        for pos, c in enumerate(cands, start=1):
            events.append({"event_id": f"{request}-i{pos}", "type": "impression", "recruiter_id": "r", "candidate_id": c,
                           "request_id": request, "position": pos, "timestamp": (t0 + dt.timedelta(minutes=r)).isoformat()})
        for j, i in enumerate(best):
            events.append({"event_id": f"{request}-v{j}", "type": "shortlist" if j == 0 else "view", "recruiter_id": "r",
                           "candidate_id": cands[i], "request_id": request,
                           "timestamp": (t0 + dt.timedelta(minutes=r, seconds=5)).isoformat()})
    report = store.add(events, tenant_id=tenant)
    assert not report.rejected
    store.close()


@pytest.fixture
def two_tenants(tmp_path):
    simulate(tmp_path, "acme", likes_senior=True, seed=1)
    simulate(tmp_path, "globex", likes_senior=False, seed=2)
    return tmp_path


def test_opposite_tenants_get_models_that_rank_opposite_ways(two_tenants):
    a = train_scope(two_tenants, "acme", CONFIG)
    b = train_scope(two_tenants, "globex", CONFIG)
    assert a.promoted and b.promoted
    reg = ModelRegistry(two_tenants)
    probe = np.full((30, len(FEATURE_NAMES)), 0.5, dtype=np.float32)
    probe[:, YEARS] = np.linspace(0, 30, 30)
    sa, sb = LtrModel(reg.current("acme")).predict(probe), LtrModel(reg.current("globex")).predict(probe)
    assert np.corrcoef(sa, probe[:, YEARS])[0, 1] > 0.8
    assert np.corrcoef(sb, probe[:, YEARS])[0, 1] < -0.8
    assert a.metrics["holdout_ndcg@10"] > a.metrics["holdout_ndcg@10_fused_order"]


def test_no_event_of_one_tenant_reaches_the_others_training_data(two_tenants):
    for me, other in (("acme", "globex"), ("globex", "acme")):
        store = EventStore(two_tenants, me)
        ts = build_training_set(store, FEATURE_NAMES)
        events = store.events()
        store.close()
        assert ts.requests > 0 and len(events) > 0
        assert all(e.tenant_id == me for e in events)
        assert all(r.startswith(f"{me}-") for r in ts.request_ids)
        assert all(c.startswith(f"{me}-") for c in ts.candidate_ids)
        assert not any(other in str(x) for x in (*ts.request_ids, *ts.candidate_ids))
    report = train_scope(two_tenants, "acme", CONFIG)
    manifest = ModelRegistry(two_tenants).get("acme", report.version).manifest
    assert manifest["trained_on_tenants"] == ["acme"]
    assert manifest["events"] == 40 * 12   # acme's own: 10 impressions + 2 actions per request


def test_manifest_gate_rollback_and_model_text(two_tenants):
    reg = ModelRegistry(two_tenants)
    first = train_scope(two_tenants, "acme", CONFIG)
    mv = reg.get("acme", first.version)
    assert mv.manifest["feature_names"] == list(FEATURE_NAMES)
    assert mv.manifest["training_window"]["from"].startswith("2026-11-01")
    assert "holdout_ndcg@10" in mv.manifest["metrics"] and mv.manifest["promoted"]
    assert (mv.path / "model.txt").read_text().startswith("tree")          # LightGBM text, not a pickle
    second = train_scope(two_tenants, "acme", CONFIG)                      # same data: not worse -> promoted
    assert second.promoted and reg.current("acme").version == second.version
    assert "current_holdout_ndcg@10" in second.metrics
    assert reg.rollback("acme").version == first.version
    assert reg.current("acme").version == first.version
    assert reg.rollback("acme") is None and reg.current("acme") is None   # back to hybrid order
    with pytest.raises(NotFoundError):
        reg.rollback("acme")
    actions = [h["action"] for h in reg.history("acme")]
    assert actions == ["promote", "promote", "rollback", "rollback"]


def test_gate_refuses_a_worse_model(tmp_path):
    simulate(tmp_path, "acme", likes_senior=True, seed=1)
    good = train_scope(tmp_path, "acme", CONFIG)
    simulate(tmp_path, "acme", likes_senior=False, seed=3, requests=120, day=5)   # taste flips, new data dominates
    reg = ModelRegistry(tmp_path)
    weak = train_scope(tmp_path, "acme", LtrConfig(num_boost_round=1, num_leaves=2, min_data_in_leaf=5, min_requests=10, threads=1,
                                                    select=False))
    current = reg.current("acme")
    if weak.metrics["holdout_ndcg@10"] < weak.metrics["current_holdout_ndcg@10"]:
        assert not weak.promoted and current.version == good.version
    else:
        assert weak.promoted and current.version == weak.version
    assert reg.get("acme", weak.version).manifest["promoted"] == weak.promoted


def test_global_model_is_the_cold_start_fallback_and_needs_opt_in(two_tenants):
    reg = ModelRegistry(two_tenants)
    assert reg.resolve("newcomer") is None
    with pytest.raises(ValidationError, match="from-tenants"):
        train_scope(two_tenants, GLOBAL, CONFIG)
    g = train_scope(two_tenants, GLOBAL, CONFIG, from_tenants=("acme",))
    assert reg.resolve("newcomer").version == g.version and reg.resolve("newcomer").scope == GLOBAL
    assert reg.get(GLOBAL, g.version).manifest["trained_on_tenants"] == ["acme"]
    own = train_scope(two_tenants, "globex", CONFIG)
    assert reg.resolve("globex").scope == "globex" and reg.resolve("globex").version == own.version


def test_too_little_data_is_refused_with_a_reason(tmp_path):
    simulate(tmp_path, "acme", likes_senior=True, requests=3)
    with pytest.raises(ValidationError, match="usable requests"):
        train_scope(tmp_path, "acme", CONFIG)


def test_retrain_job_trains_only_tenants_with_new_events(two_tenants):
    first = retrain_job(two_tenants, min_new_events=10, config=CONFIG)
    assert sorted(r.scope for r in first) == ["acme", "globex"]
    again = retrain_job(two_tenants, min_new_events=10, config=CONFIG)
    assert all(isinstance(r, str) and "skipped" in r for r in again)
    simulate(two_tenants, "acme", likes_senior=True, seed=9, day=9)
    third = retrain_job(two_tenants, min_new_events=10, config=CONFIG)
    assert [getattr(r, "scope", None) for r in third] == ["acme", None]


def test_explanations_name_features_and_ndcg_arithmetic(two_tenants):
    train_scope(two_tenants, "acme", CONFIG)
    model = LtrModel(ModelRegistry(two_tenants).current("acme"))
    X = served(np.random.default_rng(0), 4)
    X[:, YEARS] = [0, 10, 20, 30]
    ex = model.explain(X, top=3)
    assert len(ex) == 4 and all(len(e) == 3 for e in ex)
    assert ex[3][0][0] == "pair_years_experience" and ex[3][0][1] > 0
    # sum of contributions + bias = prediction (SHAP additivity)
    contrib = model.booster.predict(X, pred_contrib=True)
    assert np.allclose(contrib.sum(axis=1), model.predict(X), atol=1e-6)
    # nDCG: perfect order 1.0; reversed order of gains (3, 0) -> 1 / (3 / 1) ... exact arithmetic
    assert ndcg_at(np.array([2.0, 1.0]), np.array([2, 0]), np.array([2])) == 1.0
    assert ndcg_at(np.array([1.0, 2.0]), np.array([2, 0]), np.array([2])) == pytest.approx(1 / np.log2(3))
    assert json.loads(json.dumps(ex))   # explanations are plain JSON


def test_selected_params_land_in_the_manifest(tmp_path):
    simulate(tmp_path, "acme", likes_senior=True, requests=300, seed=4)
    config = LtrConfig(select=True, num_boost_round=40, early_stopping_rounds=10, grid_num_leaves=(3, 7), grid_min_data_in_leaf=(5, 20),
                       min_select_requests=20, min_requests=10, threads=1)
    report = train_scope(tmp_path, "acme", config)
    manifest = ModelRegistry(tmp_path).get("acme", report.version).manifest
    chosen = manifest["metrics"]["selection"]["chosen"]
    assert len(manifest["metrics"]["selection"]["grid"]) == 4
    assert chosen["num_leaves"] in (3, 7) and chosen["min_data_in_leaf"] in (5, 20)
    for name in ("num_leaves", "min_data_in_leaf", "num_boost_round"):
        assert manifest["params"][name] == chosen[name] == manifest["metrics"]["params"][name]
    assert manifest["params"]["debias"] == "position"
    model = LtrModel(ModelRegistry(tmp_path).current("acme"))
    assert model.booster.current_iteration() == chosen["num_boost_round"]


def test_first_model_must_not_fall_below_the_hybrid_order(tmp_path):
    """With no model the tenant is served the hybrid order, so a first model that ranks the holdout worse than
    the fused order is kept but not promoted (searches stay on the hybrid order)."""
    fused = FEATURE_NAMES.index("fused_rank")
    store = EventStore(tmp_path, "acme")
    rng = np.random.default_rng(5)
    events, t0 = [], dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    for r in range(60):
        request, cands = f"acme-req{r}", [f"acme-c{r}-{i}" for i in range(10)]
        X = served(rng, 10)
        X[:, fused] = rng.permutation(10) + 1                  # recruiters engage exactly with the fused order's top
        store.log_features(request, cands, X, feature_set=feature_set_id(FEATURE_NAMES))
        for pos, c in enumerate(cands, start=1):
            events.append({"event_id": f"{request}-i{pos}", "type": "impression", "recruiter_id": "r", "candidate_id": c,
                           "request_id": request, "position": pos, "timestamp": (t0 + dt.timedelta(minutes=r)).isoformat()})
        for j, i in enumerate(np.argsort(X[:, fused])[:2]):
            events.append({"event_id": f"{request}-v{j}", "type": "hire" if j == 0 else "reply", "recruiter_id": "r",
                           "candidate_id": cands[i], "request_id": request,
                           "timestamp": (t0 + dt.timedelta(minutes=r, seconds=5)).isoformat()})
    assert not store.add(events, tenant_id="acme").rejected
    store.close()
    flat = LtrConfig(num_boost_round=1, num_leaves=2, min_data_in_leaf=10_000, min_requests=10, threads=1)   # no split
    report = train_scope(tmp_path, "acme", flat)
    assert report.metrics["holdout_ndcg@10_fused_order"] == 1.0 > report.metrics["holdout_ndcg@10"]
    assert not report.promoted and "hybrid order" in report.reason
    assert ModelRegistry(tmp_path).current("acme") is None
    good = train_scope(tmp_path, "acme", CONFIG)                # a model that learns the order is promoted
    assert good.promoted and ModelRegistry(tmp_path).current("acme").version == good.version


def test_first_tenant_model_is_gated_against_the_global_fallback_that_serves_it(two_tenants):
    """A tenant without its own model is served the global model (cold start), so its first model must not
    rank the tenant's holdout below the global one."""
    glob = train_scope(two_tenants, GLOBAL, CONFIG, from_tenants=("acme", "globex"))
    assert glob.promoted
    first = train_scope(two_tenants, "acme", CONFIG)
    assert "global fallback" in first.reason and "current_holdout_ndcg@10" in first.metrics
    assert first.promoted == (first.metrics["holdout_ndcg@10"] >= first.metrics["current_holdout_ndcg@10"])


def test_registry_parses_a_manifest_once_and_notices_a_changed_one(tmp_path):
    reg = ModelRegistry(tmp_path)
    mv = reg.add("acme", "tree\n", {"feature_names": list(FEATURE_NAMES)})
    reg.promote("acme", mv.version, reason="test")
    assert reg.resolve("acme") is reg.resolve("acme")                    # served from the cache: no re-parse
    manifest = mv.path / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "note": "edited by hand"}))
    assert reg.resolve("acme").manifest["note"] == "edited by hand"     # a changed file is read again
    manifest.write_text("{not json")
    with pytest.raises(ValidationError, match="unreadable manifest"):
        reg.resolve("acme")
    manifest.write_text(json.dumps({"kind": "pickle"}))
    with pytest.raises(ValidationError, match="kind"):
        reg.get("acme", mv.version)


def simulate_repeated(ltr_dir, tenant, *, requests=240, queries=12, page=10, seed=0, day=1):
    """Recruiters re-run the same few queries: each query's candidates come back at shuffled positions, and
    engagement follows a position-based click model (examination 0.8 ** position x relevance)."""
    rng = np.random.default_rng(seed)
    store = EventStore(ltr_dir, tenant)
    base = {q: served(rng, page) for q in range(queries)}
    events, t0 = [], dt.datetime(2026, 11, day, tzinfo=dt.timezone.utc)
    for r in range(requests):
        q = r % queries
        order = rng.permutation(page)
        request, X = f"{tenant}-rep{r}-{seed}", base[q][order]
        cands = [f"{tenant}-q{q}-c{i}" for i in order]
        store.log_features(request, cands, X, feature_set=feature_set_id(FEATURE_NAMES), query=f"query {q}")
        for pos, c in enumerate(cands, start=1):
            events.append({"event_id": f"{request}-i{pos}", "type": "impression", "recruiter_id": "r", "candidate_id": c,
                           "request_id": request, "position": pos, "timestamp": (t0 + dt.timedelta(minutes=r)).isoformat()})
            if rng.random() < 0.8 ** (pos - 1) * X[pos - 1, YEARS]:
                events.append({"event_id": f"{request}-v{pos}", "type": "shortlist", "recruiter_id": "r", "candidate_id": c,
                               "request_id": request, "timestamp": (t0 + dt.timedelta(minutes=r, seconds=pos)).isoformat()})
    assert not store.add(events, tenant_id=tenant).rejected
    store.close()


def test_debiased_training_gates_on_propensity_weighted_holdout(tmp_path):
    simulate_repeated(tmp_path, "acme")
    report = train_scope(tmp_path, "acme", CONFIG)                     # debias="position", gate="auto"
    props = report.metrics["propensities"]
    assert report.metrics["gate_metric"] == "ips_ndcg@10" and props["informative_pairs"] == 120
    theta = np.array(props["theta"])
    assert theta[0] == 1.0 and theta[0] > theta[4] > theta[9]           # examination falls with position
    assert np.abs(theta - 0.8 ** np.arange(10)).max() < 0.2
    assert report.promoted and "IPS-nDCG@10" in report.reason
    assert report.reason.startswith(f"holdout IPS-nDCG@10 {report.metrics['holdout_ips_ndcg@10']:.4f}")
    second = train_scope(tmp_path, "acme", CONFIG)
    assert second.promoted == (second.metrics["holdout_ips_ndcg@10"] >= second.metrics["current_holdout_ips_ndcg@10"])
    assert "current_holdout_ndcg@10" in second.metrics                 # the raw score stays on record
    manifest = ModelRegistry(tmp_path).get("acme", second.version).manifest
    assert manifest["metrics"]["propensities"]["method"] == "pbm-ratios"
    plain = train_scope(tmp_path, "acme", LtrConfig(debias="none", num_boost_round=20, min_data_in_leaf=5, min_requests=10))
    assert plain.metrics["gate_metric"] == "ndcg@10" and "propensities" not in plain.metrics
    assert plain.reason.startswith("holdout nDCG@10")


def test_gate_falls_back_to_raw_labels_without_repeated_showings(two_tenants):
    report = train_scope(two_tenants, "acme", CONFIG)                   # every candidate shown once
    assert report.metrics["gate_metric"] == "ndcg@10"
    assert "skipped" in report.metrics["propensities"] and "raw labels" in report.metrics["propensities"]["skipped"]
    with pytest.raises(ValueError, match="gate"):
        LtrConfig(gate="maybe")


def test_explored_pages_give_the_gate_propensities_when_no_query_repeats(tmp_path):
    """Every request has its own query and candidates; the engine explored each page (adjacent swaps), logged
    its own order, and the impressions carry the positions shown."""
    rng = np.random.default_rng(4)
    store = EventStore(tmp_path, "acme")
    events, t0, page = [], dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc), 10
    for r in range(600):
        request = f"acme-x{r}"
        X = served(rng, page)
        X[:, YEARS] = np.sort(rng.random(page))[::-1]                    # the engine ranks the best first
        cands = [f"acme-x{r}-c{i}" for i in range(page)]
        store.log_features(request, cands, X, feature_set=feature_set_id(FEATURE_NAMES), query=f"unique query {r}",
                           explored=True)
        shown = list(range(page))
        for i in range(int(rng.integers(0, 2)), page - 1, 2):
            if rng.random() < 0.5:
                shown[i], shown[i + 1] = shown[i + 1], shown[i]
        for pos, i in enumerate(shown, start=1):
            events.append({"event_id": f"{request}-i{pos}", "type": "impression", "recruiter_id": "r", "candidate_id": cands[i],
                           "request_id": request, "position": pos, "timestamp": (t0 + dt.timedelta(minutes=r)).isoformat()})
            if rng.random() < 0.8 ** (pos - 1) * X[i, YEARS]:
                events.append({"event_id": f"{request}-v{pos}", "type": "view", "recruiter_id": "r", "candidate_id": cands[i],
                               "request_id": request, "timestamp": (t0 + dt.timedelta(minutes=r, seconds=pos)).isoformat()})
    assert not store.add(events, tenant_id="acme").rejected
    ts = build_training_set(store, FEATURE_NAMES)
    store.close()
    assert ts.explored.all() and (ts.served_rank != ts.position).any()
    report = train_scope(tmp_path, "acme", CONFIG)
    props = report.metrics["propensities"]
    assert report.metrics["gate_metric"] == "ips_ndcg@10" and props["informative_pairs"] == page   # one group per rank
    assert np.abs(np.array(props["theta"]) - 0.8 ** np.arange(page)).max() < 0.15


def test_cli_train_takes_the_gate(tmp_path, capsys):
    from api.cli import main

    simulate_repeated(tmp_path, "acme")
    assert main(["train", "--tenant", "acme", "--rounds", "20", "--gate", "raw", "--ltr-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "promoted (holdout nDCG@10" in out and '"gate_metric": "ndcg@10"' in out
    assert main(["train", "--tenant", "acme", "--rounds", "20", "--ltr-dir", str(tmp_path)]) == 0   # auto: debiased -> IPS
    assert '"gate_metric": "ips_ndcg@10"' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["train", "--tenant", "acme", "--gate", "lenient", "--ltr-dir", str(tmp_path)])
