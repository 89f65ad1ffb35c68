"""Common-terms cut-off for keyword queries on the embedded tantivy index (lexical p95 at scale).

A keyword query is a BM25 ``should`` over its words, so every document holding any of them is a
candidate: in 100k generated profiles ``engineer`` or ``senior`` alone match tens of thousands, and
scoring them all is most of a slow query's time. With the cut-off (Lucene's CommonTermsQuery idea):
words whose document frequency exceeds ``max_df`` of the index (in any field the word is searched
in) still add their BM25 score, but only documents holding at least one rarer word are candidates::

    must(should(rare words...)) + should(common words...) + must_not(excluded words)

A candidate's score is exactly what the full query gives it (the same clauses, summed); what changes
is that a document matching only common words is not ranked. Second phase: when fewer than ``k``
documents (after filters) hold a rare word, the full query runs instead. It applies only

* to keyword queries ranked top-k (``LexicalQuery.top_k``): never to Boolean queries, whose match
  set is a contract, nor to counts, facets, deep paging or insights pools (their match sets stay whole);
* when the index holds at least ``min_docs`` documents (below that, every query is fast anyway);
* when the query has both rare and common words (all common or all rare: the full query).

A cut-off search reports its total as unknown (-1). Off by default; on with ``TALENTSEARCH_LEXICAL_COMMON_TERMS=true``
(measured at 100k generated profiles: quality unchanged, no latency gain on 2 cores; see the README).
"""
from __future__ import annotations

from dataclasses import dataclass

from indexer.analysis import analyze
from indexer.documents import SCOPES, TEXT_FIELDS
from query.lang import ast as qa
from records.errors import ValidationError


@dataclass(frozen=True)
class CommonTermsConfig:
    enabled: bool = False       # off by default: no latency gain measured at 100k (README)
    max_df: float = 0.05        # a word in more than this share of documents (in some field) is common
    min_docs: int = 50_000      # smaller indexes never cut

    def __post_init__(self) -> None:
        if not 0.0 < self.max_df <= 1.0:
            raise ValidationError(f"common terms: max_df must be in (0, 1], not {self.max_df}")
        if self.min_docs < 0:
            raise ValidationError(f"common terms: min_docs must be >= 0, not {self.min_docs}")

    def applies(self, num_docs: int) -> bool:
        return self.enabled and num_docs >= self.min_docs


def leaf_doc_freq(leaf, searcher, boosts: dict[str, float] | None = None) -> int | None:
    """The largest document frequency of ``leaf`` in any field it is searched in (for a phrase, its
    rarest word's: a phrase is no more frequent than that); None for a prefix (its expansion is
    unknown here, so it always drives candidate generation)."""
    if isinstance(leaf, qa.Prefix):
        return None
    pairs = SCOPES[leaf.field]
    if leaf.field is None and boosts:
        pairs = [(field, boosts.get(field, boost)) for field, boost in pairs]
    best = 0
    for field, boost in pairs:
        if boost <= 0:
            continue
        tokens = analyze(TEXT_FIELDS[field], leaf.text)
        if tokens:
            best = max(best, min(searcher.doc_freq(field, tok) for tok in tokens))
    return best


def split_common(leaves: list, searcher, num_docs: int, config: CommonTermsConfig,
                 boosts: dict[str, float] | None = None) -> tuple[list, list]:
    """(rare leaves, common leaves) of a keyword query; ([], []) when the cut-off does not apply."""
    if not config.applies(num_docs) or len(leaves) < 2:
        return [], []
    limit = config.max_df * num_docs
    rare, common = [], []
    for leaf in leaves:
        df = leaf_doc_freq(leaf, searcher, boosts)
        (common if df is not None and df > limit else rare).append(leaf)
    if not rare or not common:
        return [], []
    return rare, common
