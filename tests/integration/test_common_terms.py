"""The common-terms cut-off on the embedded index (indexer.common_terms), on the 12-profile corpus with
thresholds scaled down (``min_docs=0``, ``max_df=0.25``: a word in more than 3 profiles is common)."""
import numpy as np
import pytest

from api.settings import Settings
from indexer.build import current_version
from indexer.common_terms import CommonTermsConfig, leaf_doc_freq, split_common
from indexer.lexical import TantivyLexicalIndex
from query.lang import ast as qa
from query.lang.filters import Filters
from query.lang.syntax import parse_query
from records.errors import ValidationError

SMALL = CommonTermsConfig(enabled=True, max_df=0.25, min_docs=0)


@pytest.fixture(scope="module")
def lexical(small_index):
    return TantivyLexicalIndex(current_version(small_index) / "lexical", common_terms=SMALL)


def _search(index, text, *, k, top_k=True, syntax="keywords", config=SMALL, mask=None):
    node, used = parse_query(text, syntax)
    index.common_terms = config
    mask = np.ones(index.num_docs(), bool) if mask is None else mask
    try:
        return index.search(node, k=k, filters=Filters(), mask=mask, keywords=used != "boolean", top_k=top_k)
    finally:
        index.common_terms = SMALL


def _holding(index, word: str) -> set[int]:
    res = _search(index, f"skill:{word} OR summary:{word} OR title:{word} OR headline:{word}", k=100,
                  syntax="boolean", config=CommonTermsConfig(enabled=False))
    return {h.ord for h in res.hits}


def test_common_words_score_but_do_not_make_candidates(lexical):
    searcher = lexical.index.searcher()
    leaves = parse_query("data kafka", "keywords")[0]
    rare, common = split_common([leaf for leaf, _ in qa.iter_leaves(leaves)], searcher, searcher.num_docs, SMALL)
    assert [x.text for x in rare] == ["kafka"] and [x.text for x in common] == ["data"]
    assert leaf_doc_freq(common[0], searcher) > 3 >= leaf_doc_freq(rare[0], searcher)
    full = _search(lexical, "data kafka", k=12, config=CommonTermsConfig(enabled=False))
    kafka = _holding(lexical, "kafka")
    assert 0 < len(kafka) < len(full.hits)           # the full query also ranks profiles holding only "data"
    cut = _search(lexical, "data kafka", k=len(kafka))
    assert {h.ord for h in cut.hits} == kafka and cut.total == -1        # not counted: unknown
    scores = {h.ord: h.score for h in full.hits}
    for h in cut.hits:                                # a candidate's score is the full query's
        assert h.score == pytest.approx(scores[h.ord], rel=1e-6)


def test_too_few_rare_matches_runs_the_full_query(lexical):
    full = _search(lexical, "data kafka", k=10, config=CommonTermsConfig(enabled=False))
    assert _search(lexical, "data kafka", k=10) == full          # k above the rare matches: the full query
    assert full.total == -1                                      # a ranked search is not counted ...
    match_set = _search(lexical, "data kafka", k=10, top_k=False)
    assert match_set.total > 0 and match_set.hits == full.hits   # ... a match set is, with the same top hits


@pytest.mark.parametrize("kwargs", [
    dict(top_k=False),                                                # a match set (pool, facets, paging)
    dict(syntax="boolean", text="data OR kafka"),                     # Boolean semantics stay whole
    dict(config=CommonTermsConfig(enabled=False)),                    # the setting off
    dict(config=CommonTermsConfig(enabled=True, max_df=0.25, min_docs=13)),         # an index below min_docs
    dict(text="kafka scala"),                                         # no common word
])
def test_the_cut_off_leaves_other_searches_alone(lexical, kwargs):
    text = kwargs.pop("text", "data kafka")
    got = _search(lexical, text, k=1, **kwargs)
    want = _search(lexical, text, k=1, **{**kwargs, "config": CommonTermsConfig(enabled=False)})
    assert got == want
    ranked = kwargs.get("top_k", True) and kwargs.get("syntax", "keywords") == "keywords"
    assert (got.total == -1) == ranked       # only a ranked keyword search goes uncounted (top k, block-max WAND)


def test_a_narrow_mask_is_not_cut(lexical):
    """Re-ranking a given list (a mask of few documents) scores every listed profile on every word."""
    mask = np.zeros(lexical.num_docs(), bool)
    mask[:6] = True
    want = _search(lexical, "data kafka", k=1, mask=mask, config=CommonTermsConfig(enabled=False))
    assert _search(lexical, "data kafka", k=1, mask=mask) == want


def test_config_is_checked_and_settings_build_it(monkeypatch):
    with pytest.raises(ValidationError, match="max_df must be in"):
        CommonTermsConfig(max_df=0)
    with pytest.raises(ValidationError, match="min_docs must be >= 0"):
        CommonTermsConfig(min_docs=-1)
    assert Settings().common_terms_config() == CommonTermsConfig() and not CommonTermsConfig().enabled   # off by default
    monkeypatch.setenv("TALENTSEARCH_LEXICAL_COMMON_TERMS", "true")
    assert Settings().common_terms_config() == CommonTermsConfig(enabled=True)
    assert Settings(lexical_common_terms_max_df=0.1).common_terms_config().max_df == 0.1
