"""The FeatureSet on the hand-made corpus: names, exact pair features, BM25 oracle, no NaN."""
import math

import numpy as np
import pytest

from indexer.analysis import analyze
from indexer.documents import TEXT_FIELDS, lexical_fields
from indexer.reader import IndexReader
from query.lang.filters import Filters
from query.lang.keywords import keywords_to_ast
from query.lang.parser import parse
from ranking.ltr.features import FEATURE_NAMES, FeatureSet, Pool, build_context
from tests.conftest import AS_OF

F = {name: i for i, name in enumerate(FEATURE_NAMES)}


def test_names_are_unique_and_prefixed_by_family():
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert all(n.split("_")[0] in {"lex", "dense", "fused", "graph", "pair", "eval"} for n in FEATURE_NAMES)
    assert {"dense_cos", "fused_rank", "graph_company_growth", "pair_skill_cover", "lex_bm25_title"} <= set(FEATURE_NAMES)


@pytest.fixture(scope="module")
def snap(small_index):
    return IndexReader(small_index).snapshot()


def pool(snap, ids, dense=None):
    ords = np.array([snap.store.ord_of(c) for c in ids], dtype=np.int64)
    n = len(ords)
    return Pool(ords, np.linspace(1, 0.5, n), np.zeros(n), np.array(dense if dense is not None else [np.nan] * n))


def test_pair_features_are_exact(snap):
    filters = Filters.from_dict({"near": "Berlin", "radius_km": 500, "min_years": 3, "seniority": ["senior"]})
    ctx = build_context(keywords_to_ast("spark data engineer"), filters, boolean=False, today=AS_OF)
    ids = ["de-001", "rn-001"]
    X = FeatureSet().compute(snap, ctx, pool(snap, ids, dense=[0.8, np.nan]))
    recs = {r["candidate_id"]: r for r in snap.store.records([snap.store.ord_of(c) for c in ids])}
    de, rn = X[0], X[1]
    assert de[F["pair_distance_km"]] == pytest.approx(0.0, abs=1.0)          # de-001 lives in Berlin
    assert de[F["pair_skill_cover"]] == 1.0 and rn[F["pair_skill_cover"]] == 0.0
    assert de[F["lex_bm25_skill"]] > 0 and rn[F["lex_bm25_skill"]] == 0
    assert de[F["pair_years_experience"]] == pytest.approx(recs["de-001"]["years_experience"], rel=1e-5)
    assert de[F["pair_seniority_fit"]] == 1.0                                 # senior asked, senior found
    assert de[F["pair_experience_fit"]] == 1.0                                # >= 3 years
    assert rn[F["dense_cos"]] == pytest.approx(0.8)                           # absent -> lowest returned (a bound)
    assert list(X[:, F["fused_rank"]]) == [1.0, 2.0]
    expected_days = (AS_OF - recs["de-001"]["last_active"]).days
    assert de[F["pair_recency_days"]] == min(expected_days, 3650)
    assert not np.isnan(X).any() and X.dtype == np.float32


def test_a_sentence_query_names_its_occupation_and_title(snap):
    """Natural-language queries: occupation and title matches come from the title inside the sentence, not
    from all its words (which matched nothing, leaving pair_occupation_match at 0 for every candidate)."""
    ctx = build_context(keywords_to_ast("Looking for a data engineer in Berlin with Spark, 5+ years"), Filters(),
                        boolean=False, today=AS_OF)
    assert ctx.occupations[:1] == ("15-1243.00",) and len(ctx.title_tokens) == 2 and "data" in ctx.title_tokens
    X = FeatureSet().compute(snap, ctx, pool(snap, ["de-001", "rn-001"]))
    assert X[0, F["pair_occupation_match"]] == 1.0 and X[1, F["pair_occupation_match"]] == 0.0
    assert X[0, F["pair_title_match"]] == 1.0 and X[1, F["pair_title_match"]] == 0.0


def test_no_targets_give_sentinels(snap):
    ctx = build_context(keywords_to_ast("nurse"), Filters(), boolean=False, today=AS_OF)
    X = FeatureSet().compute(snap, ctx, pool(snap, ["rn-001", "de-001"]))
    assert (X[:, F["pair_distance_km"]] == -1).all() and (X[:, F["pair_experience_fit"]] == -1).all()
    assert (X[:, F["pair_seniority_fit"]] == -1).all()


def test_bm25_matches_a_reference_computation(snap):
    """lex_bm25_skill for one term equals idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avgdl))."""
    fs = FeatureSet()
    ctx = build_context(parse("skill:kafka"), Filters(), boolean=True, today=AS_OF)
    X = fs.compute(snap, ctx, pool(snap, ["de-001"]))
    searcher = snap.lexical.index.searcher()
    n, df = searcher.num_docs, searcher.doc_freq("skill", "kafka")
    def skill_tokens(profile):
        return [t for v in lexical_fields(profile).get("skill", []) if v for t in analyze(TEXT_FIELDS["skill"], v)]

    everyone = snap.store.records(np.flatnonzero(snap.store.columns.alive).tolist())   # < 400: avgdl's sample is all
    tokens = skill_tokens(snap.store.records([snap.store.ord_of("de-001")])[0])
    tf, length = tokens.count("kafka"), len(tokens)
    avgdl = sum(len(skill_tokens(p)) for p in everyone) / len(everyone)
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    expected = idf * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * length / avgdl))
    assert tf >= 1 and X[0, F["lex_bm25_skill"]] == pytest.approx(expected, rel=1e-5)


def test_empty_pool(snap):
    ctx = build_context(None, Filters(), boolean=False, today=AS_OF)
    assert FeatureSet().compute(snap, ctx, Pool(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0))).shape == (0, len(FEATURE_NAMES))


def test_eval_features_come_from_the_requests_qualifications(snap):
    import dataclasses

    from query.qualifications import parse_qualifications

    ctx = build_context(keywords_to_ast("spark data engineer"), Filters(), boolean=False, today=AS_OF)
    ids = ["de-001", "rn-001"]
    plain = FeatureSet().compute(snap, ctx, pool(snap, ids))
    assert not plain[:, [F["eval_attached"], F["eval_must_met"], F["eval_score"]]].any()     # no qualifications: 0
    quals = parse_qualifications([{"kind": "skill", "text": "Apache Spark"}, {"kind": "location", "text": "Berlin"},
                                  {"kind": "years", "min_years": 50, "must": False}])
    X = FeatureSet().compute(snap, dataclasses.replace(ctx, qualifications=quals), pool(snap, ids))
    de, rn = X[0], X[1]
    assert de[F["eval_attached"]] == rn[F["eval_attached"]] == 1.0
    assert de[F["eval_must_met"]] == 1.0 and de[F["eval_score"]] == pytest.approx(2 / 3)
    assert rn[F["eval_must_met"]] < 1.0 and rn[F["eval_score"]] < de[F["eval_score"]]
    assert np.array_equal(np.delete(X, [F["eval_attached"], F["eval_must_met"], F["eval_score"]], axis=1),
                          np.delete(plain, [F["eval_attached"], F["eval_must_met"], F["eval_score"]], axis=1))
