"""Graph features, expansion and pool insights on the hand-made graph of test_graph."""
import datetime as dt

import numpy as np
import pytest

from graph.expansion import Expander, Expansion
from graph.features import GRAPH_FEATURES, GraphFeaturizer, GraphTarget, blend, moves_per_year
from graph.insights import TalentInsights
from records.errors import QueryError
from records.taxonomy import Taxonomy
from tests.unit.test_graph import graph  # noqa: F401  (the module-scoped hand-made graph)

D = dt.date


def _record(company=None, occupation=None, skills=(), tenure=None, otw=False, positions=()):
    return {"current_company_id": company, "current_company_name": company, "occupation_code": occupation,
            "skills_normalized": list(skills), "tenure_months": tenure, "open_to_work": otw, "positions": list(positions)}


@pytest.fixture(scope="module")
def featurizer(graph):  # noqa: F811
    return GraphFeaturizer(graph)


def test_features_shape_order_and_no_nan(featurizer):
    profiles = [_record("acme", "15-2051.00", ["Python"], 30.0), _record(), _record("nowhere", "99-9999.99", ["Nope"])]
    f = featurizer.features(profiles, GraphTarget(occupation="15-2041.00", company="Globex", skills=("Apache Spark",)))
    assert f.shape == (3, len(GRAPH_FEATURES)) and f.dtype == np.float32 and not np.isnan(f).any()
    assert f[1, :5].tolist() == [0.0] * 5 and f[2, :5].tolist() == [0.0] * 5     # unknown -> 0
    assert featurizer.features([], GraphTarget()).shape == (0, len(GRAPH_FEATURES))


def test_flow_to_target_counts_moves_into_the_target(featurizer):
    f = featurizer.features([_record("acme"), _record("initech"), _record("globex")], GraphTarget(company="Globex"))
    flow = f[:, GRAPH_FEATURES.index("graph_flow_to_target")]
    assert flow[0] == pytest.approx(1.0) and flow[1] == 0.0 and flow[2] == 1.0   # acme is the top source; already there
    assert featurizer.features([_record("acme")], GraphTarget())[0, 0] == 0.0   # no target


def test_transition_uses_learned_moves_and_onet_smoothing(featurizer):
    col = GRAPH_FEATURES.index("graph_transition_to_target")
    f = featurizer.features([_record(occupation="15-2051.00"), _record(occupation="15-2041.00"),
                             _record(occupation="29-1141.00")], GraphTarget(occupation="15-2041.00"))
    learned = f[0, col]
    assert 0.0 < learned < 1.0 and f[1, col] == 1.0
    assert learned > f[2, col]   # 2 of 2 Data Scientist moves went to Statisticians; nurses are unrelated


def test_skill_proximity_and_company_signals(featurizer):
    skill = GRAPH_FEATURES.index("graph_skill_proximity")
    f = featurizer.features([_record(skills=["Apache Spark"]), _record(skills=["Python"]), _record(skills=["Epic"])],
                            GraphTarget(skills=("Apache Spark",)))
    assert f[0, skill] == 1.0 and 0.0 < f[1, skill] < 1.0 and f[2, skill] == 0.0
    g = featurizer.features([_record("cutco"), _record("growco")], GraphTarget())
    assert g[0, GRAPH_FEATURES.index("graph_company_layoff")] == pytest.approx(1.0)
    assert g[1, GRAPH_FEATURES.index("graph_company_growth")] > 0.5


def test_propensity_feature_and_moves_per_year():
    positions = [{"company_id": "a", "start": D(2020, 1, 1)}, {"company_id": "b", "start": D(2022, 1, 1)},
                 {"company_id": "b", "start": D(2023, 1, 1)}]
    assert moves_per_year(positions, D(2024, 1, 1)) == pytest.approx(1 / 4.0, rel=1e-3)
    assert moves_per_year([], D(2024, 1, 1)) == 0.0


def test_load_returns_none_without_a_graph(tmp_path):
    assert GraphFeaturizer.load(tmp_path) is None


def test_blend_adds_weighted_features_to_minmax_scores():
    head = [(10, 0.03), (11, 0.02), (12, 0.01)]
    feats = np.zeros((3, len(GRAPH_FEATURES)), dtype=np.float32)
    feats[2, 1] = 1.0
    out = blend(head, feats, {"graph_transition_to_target": 1.5})
    assert [o for o, _ in out] == [12, 10, 11] and out[0][1] == pytest.approx(1.5)
    assert [o for o, _ in blend(head, feats, {})] == [10, 11, 12]


# -- expansion ------------------------------------------------------------------------------------
def test_related_titles_without_a_graph_come_from_onet():
    ex = Expander(Taxonomy.load())
    out = ex.related_titles("data scientist", k=15)
    assert 0 < len(out) <= 15 and all(isinstance(e, Expansion) and 0 < e.weight <= 1 and e.reason for e in out)
    assert out[0].value == "Data Scientists" and out[0].source == "onet-alternate"
    assert any(e.value == "Statisticians" and e.source == "onet-related" for e in out)
    assert len({e.value.casefold() for e in out}) == len(out)
    assert [e.weight for e in out] == sorted((e.weight for e in out), reverse=True)
    assert ex.related_titles("15-2051.00", k=3)[0].value == "Data Scientists"
    assert ex.related_titles("qwxz zzkq") == [] and ex.related_titles("data scientist", k=0) == []


def test_related_titles_add_learned_transitions(graph):  # noqa: F811
    out = Expander(Taxonomy.load(), graph).related_titles("15-2051.00", k=50)
    learned = [e for e in out if e.source == "learned-transitions"]
    assert not learned   # 2 moves are below MIN_TRANSITIONS: noise is not offered
    from graph import expansion
    old = expansion.MIN_TRANSITIONS
    expansion.MIN_TRANSITIONS = 1
    try:
        out = Expander(Taxonomy.load(), graph).related_titles("15-2051.00", k=50)
    finally:
        expansion.MIN_TRANSITIONS = old
    stat = [e for e in out if e.value == "Statisticians"][0]
    assert stat.weight >= 0.8   # the better of O*NET related (0.8) and learned (0.7) wins


def test_related_skills_from_graph_and_taxonomy(graph):  # noqa: F811
    with_graph = Expander(Taxonomy.load(), graph).related_skills("spark", k=5)
    assert with_graph[0].source == "skill-cooccurrence" and {e.value for e in with_graph} >= {"Python"}
    assert all(e.value != "Apache Spark" for e in with_graph)
    bare = Expander(Taxonomy.load()).related_skills("python", k=5)
    assert len(bare) == 5 and all(e.source == "taxonomy" and e.kind == "skill" for e in bare)
    assert Expander(Taxonomy.load()).related_skills("") == []


# -- insights -------------------------------------------------------------------------------------
def test_insights_counts_for_a_pool(graph):  # noqa: F811
    ti = TalentInsights(graph)
    rows = np.array([0, 1, 2, 3])   # p1..p4
    out = ti.insights(rows, vs_company="Acme")
    assert out["supply"]["candidates"] == 4 and out["supply"]["open_to_work"] == 1
    assert out["supply"]["without_current_employer"] == 1
    assert out["top_companies"][0] == {"company_id": "globex", "company": "Globex", "count": 2}
    assert out["top_locations"][0]["city"] == "Berlin" and out["top_locations"][0]["count"] == 3
    assert out["top_skills"][0] == {"skill": "Python", "count": 3}
    assert out["top_schools"] == [{"school": "TU Berlin", "count": 2}]
    assert {d["company"]: d["count"] for d in out["came_from"]} == {"Acme": 2, "Initech": 1}
    vs = out["vs_company"]
    assert vs["moves_out"] == 1 and vs["loses_to"][0]["company"] == "Globex"   # 24-month window: only the 2025 move
    assert vs["pool_loses_to"] == [{"company_id": "globex", "company": "Globex", "count": 2}]
    assert vs["pool_wins_from"] == [{"company_id": "initech", "company": "Initech", "count": 1}]
    assert out["goes_to"][0]["company"] == "Globex"


def test_insights_flags_and_bad_parameters(graph):  # noqa: F811
    ti = TalentInsights(graph)
    people = graph.table("people").column("candidate_id").to_pylist()
    out = ti.insights(np.array([people.index("l15"), people.index("h0")]))
    assert [d["company"] for d in out["layoffs"]] == ["Cutco"] and out["layoffs"][0]["layoff_month"] == "2025-09"
    assert [d["company"] for d in out["fast_growing"]] == ["Growco"]
    with pytest.raises(QueryError, match="vs_company"):
        ti.insights(np.array([0]), vs_company="No Such Co")
    with pytest.raises(QueryError, match="top"):
        ti.insights(np.array([0]), top=0)
    with pytest.raises(QueryError, match="window_months"):
        ti.insights(np.array([0]), window_months=99)
    assert ti.insights(np.array([], dtype=np.int64))["supply"]["candidates"] == 0


def test_insights_text_says_who_moved_which_way_and_empty_charts_say_so(graph):  # noqa: F811
    """Issue 17: 'loses to: Hooli 3 (net +5)' was ambiguous; an empty pool drew blank axes."""
    from api.cli_graph import _text
    from graph.chart import flows_png

    ti = TalentInsights(graph)
    out = ti.insights(np.array([0, 1, 2, 3]), vs_company="Acme")
    out["pool"], out["timings_ms"] = {"matched": 4, "truncated": False}, {"total": 1.0}
    text = _text(out)
    line = next(x for x in text.splitlines() if x.startswith("Acme loses people to"))
    d = out["vs_company"]["loses_to"][0]
    assert f"{d['company']}: {d['moves']} left Acme for them, {d['moves_other_way']} came the other way" in line
    assert f"(net {d['net']:+d} for Acme)" in line
    empty = ti.insights(np.array([], dtype=np.int64))
    png = flows_png(empty)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_flagged_employers_are_ordered_by_their_signal(graph):  # noqa: F811
    """The strongest growth first, not the employer with most pool members (the list read as unsorted)."""
    ti = TalentInsights(graph)
    n = len(ti.names)
    ti.m = {**ti.m, "growing": np.zeros(n, dtype=bool), "rel_growth_24": np.zeros(n)}
    ti.m["growing"][[0, 1, 2]] = True
    ti.m["rel_growth_24"][[0, 1, 2]] = [0.1, 0.9, 0.5]
    pool = np.zeros(n, dtype=np.int64)
    pool[[0, 1, 2]] = [5, 1, 3]                 # most pool members: 0, 2, 1
    out = ti._flagged(pool, "growing", "rel_growth_24", top=10)
    assert [d["rel_growth_24"] for d in out] == [0.9, 0.5, 0.1] and [d["pool_count"] for d in out] == [1, 3, 5]
