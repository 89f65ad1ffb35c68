"""Embedded lexical retrieval on tantivy: schema, document writing, Boolean AST -> tantivy query.

BM25 here is tantivy's (k1=1.2, b=0.75). Filters are compiled to constant-score clauses so they
narrow without changing scores; the exact filter mask from ``ProfileStore.mask`` is then applied
to the hits, which makes lexical, dense and fused results obey identical filter semantics (the
geo clause is a bounding box; the mask applies the exact great-circle distance).
"""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np

from indexer.analysis import NAMES, STEMMED, analyze, analyzer, normalize_symbols
from indexer.backend import Page, after, decode_cursor, encode_cursor, facet_counts
from indexer.common_terms import CommonTermsConfig, split_common
from indexer.documents import SCOPES, TEXT_FIELDS, lexical_fields
from indexer.highlight import matched_tokens_many
from query.lang import ast as qa
from query.lang.filters import Filters
from records.errors import BackendUnavailableError, NotFoundError, QueryError
from records.geo import bounding_box
from records.hits import Hit, RetrieverResult
from records.schema import SENIORITY_LEVELS

KEYWORD_STOPWORDS = frozenset(
    "a an and are as at be by for from has have i in into is it of on or our that the their this to we with "
    "who whose you your looking seeking need needed want wanted candidate candidates someone experience experienced".split()
)
DISMAX_TIE = 0.3
NETWORK = "__network__"


def _tantivy():
    import tantivy
    return tantivy


def build_schema():
    t = _tantivy()
    sb = t.SchemaBuilder()
    sb.add_integer_field("ord", stored=True, indexed=True, fast=True)
    sb.add_text_field("candidate_id", stored=True, tokenizer_name="raw")
    for name, analyzer_name in TEXT_FIELDS.items():
        sb.add_text_field(name, stored=False, tokenizer_name=analyzer_name)
    for name in ("lat", "lon", "years"):
        sb.add_float_field(name, indexed=True, fast=True)
    for name in ("level", "open_to_work", "last_active"):
        sb.add_integer_field(name, indexed=True, fast=True)
    for name in ("tenant", "current_company", "past_company"):
        sb.add_text_field(name, tokenizer_name="raw")
    return sb.build()


NARROW_MASK = 4096      # masks allowing at most this many documents become an ord term-set clause


COUNT_RANKED = False      # benchmarks flip it to measure counting ranked keyword searches (the old behaviour)


class TantivyLexicalIndex:
    """A tantivy index in ``directory``; ``search`` takes a parsed query AST."""

    name = "tantivy"

    def __init__(self, directory: str | Path, *, create: bool = False,
                 common_terms: CommonTermsConfig = CommonTermsConfig()):
        t = _tantivy()
        self.directory = Path(directory)
        self.common_terms = common_terms
        try:
            if create:
                self.directory.mkdir(parents=True, exist_ok=True)
                self.index = t.Index(build_schema(), path=str(self.directory))
            else:
                self.index = t.Index.open(str(self.directory))
        except (OSError, ValueError) as exc:
            raise BackendUnavailableError(f"lexical index at {self.directory} cannot be opened: {exc}") from exc
        for name in (STEMMED, NAMES):
            self.index.register_tokenizer(name, analyzer(name))
        self.schema = self.index.schema
        self._writer = None

    # ---- writing ---------------------------------------------------------------------------
    def writer(self):
        if self._writer is None:
            self._writer = self.index.writer(heap_size=256_000_000, num_threads=1)
        return self._writer

    def add(self, profiles: list[dict]) -> None:
        t, w = _tantivy(), self.writer()
        for p in profiles:
            w.add_document(t.Document(**document_fields(p)))

    def delete(self, candidate_ids) -> None:
        w = self.writer()
        for cid in candidate_ids:
            w.delete_documents_by_term("candidate_id", cid)

    def commit(self) -> None:
        if self._writer is not None:
            self._writer.commit()
            self._writer.wait_merging_threads()
            self._writer = None
        self.index.reload()

    # ---- searching -------------------------------------------------------------------------
    def search(self, query: qa.Node | None, *, k: int, filters: Filters, mask: np.ndarray,
               filter_clauses: list | None = None, keywords: bool = False,
               field_boosts: dict[str, float] | None = None,
               expansions: list[tuple[str, str, float]] = (), top_k: bool = False) -> RetrieverResult:
        """Top ``k`` hits that match ``query`` and pass ``mask`` (bool over ord space).

        ``keywords=True`` treats the query as a bag of words (any may match, BM25 ranks);
        otherwise the Boolean structure is a hard constraint. ``query=None`` is filter-only,
        ordered by most recently active. ``field_boosts`` overrides the boosts of unscoped terms
        per lexical field (0 drops a field), e.g. ``{"headline": 1.0, "summary": 1.0}`` for documents.
        ``expansions`` are ``(field, text, boost)`` phrases (e.g. the normalised occupation): for
        keyword queries they are one more optional clause (recall and score); for Boolean queries
        they only add score, so the match set stays the query's. ``top_k=True`` (a ranked keyword
        search, not a match set) lets the common-terms cut-off apply (``indexer.common_terms``).
        """
        searcher = self.index.searcher()
        allowed = int(np.count_nonzero(mask))
        narrow = 0 < allowed <= NARROW_MASK and allowed < len(mask)    # a given short list (re-ranking): never cut
        if keywords and top_k and query is not None and not narrow and self.common_terms.applies(searcher.num_docs):
            rare, common = split_common(keyword_leaves(query)[0], searcher, searcher.num_docs, self.common_terms,
                                        field_boosts)
            if rare:
                tq = self._query(query, mask, filter_clauses, keywords, field_boosts, expansions, (rare, common))
                hits, _ = self._collect(searcher, tq, k, mask, None, count=COUNT_RANKED)
                if len(hits) >= k:
                    return RetrieverResult(hits, -1)    # the full match set was not counted
        tq = self._query(query, mask, filter_clauses, keywords, field_boosts, expansions, None)
        # a ranked keyword search is not a match set: not counting it lets tantivy skip blocks that cannot reach the
        # top k (block-max WAND); counting scores every document that has any query word
        ranked_only = bool(keywords and top_k and query is not None) and not COUNT_RANKED
        hits, total = self._collect(searcher, tq, k, mask, None if query is not None else "last_active",
                                    count=not ranked_only)
        return RetrieverResult(hits, total)

    def _query(self, query, mask, filter_clauses, keywords, field_boosts, expansions, split):
        t = _tantivy()
        main = compile_query(query, self.schema, keywords=keywords, boosts=field_boosts, split=split) \
            if query is not None else None
        extra = [q for q in (_expansion(self.schema, *e) for e in expansions) if q is not None]
        if main is not None and extra and keywords:
            main = t.Query.boolean_query([(t.Occur.Should, main)] + [(t.Occur.Should, q) for q in extra])
            extra = []
        clauses = [(t.Occur.Must, main)] if main is not None else [(t.Occur.Must, t.Query.all_query())]
        clauses += [(t.Occur.Should, q) for q in extra]
        clauses += [(t.Occur.Must, t.Query.const_score_query(c, 0.0)) for c in (filter_clauses or [])]
        allowed = int(np.count_nonzero(mask)) if len(mask) else 0
        if 0 < allowed <= NARROW_MASK:   # a short candidate list (re-ranking): only look at those documents
            ords_ok = np.flatnonzero(mask).tolist()
            clauses.append((t.Occur.Must, t.Query.const_score_query(t.Query.term_set_query(self.schema, "ord", ords_ok), 0.0)))
        return t.Query.boolean_query(clauses)

    @staticmethod
    def _collect(searcher, tq, k: int, mask: np.ndarray, order: str | None, *,
                 count: bool = True) -> tuple[list[Hit], int]:
        """The best ``k`` hits of ``tq`` that pass ``mask`` and the match count (-1 when the mask removed some, or
        when ``count`` is False: then only the top hits are scored)."""
        limit = max(k, 1) + 16
        while True:
            result = searcher.search(tq, limit, count=count, order_by_field=order)
            addrs = [addr for _, addr in result.hits]
            ords = np.asarray(searcher.fast_field_values("ord", addrs), dtype=np.int64) if addrs else np.zeros(0, np.int64)
            keep = (ords < len(mask)) & mask[np.minimum(ords, len(mask) - 1)] if len(mask) else np.zeros(len(ords), bool)
            exhausted = len(addrs) >= result.count if count else len(addrs) < limit
            if keep.sum() >= k or exhausted:
                break
            limit = min(result.count, limit * 4) if count else limit * 4   # the exact mask removed some: ask for more
        scores = [0.0 if order else float(s) for s, _ in result.hits]
        hits = [Hit(int(o), s) for o, s, ok in zip(ords.tolist(), scores, keep.tolist()) if ok][:k]
        return hits, (result.count if count and keep.all() else -1)   # exact only when the mask removed nothing

    # ---- the LexicalIndex protocol (indexer.backend) ---------------------------------------
    def _compiled(self, lq):
        clauses = compile_filters(lq.filters, self.schema, company_ids=lq.company_ids, today=lq.today)
        return dict(filters=lq.filters, filter_clauses=clauses, keywords=lq.keywords,
                    field_boosts=lq.boosts, expansions=list(lq.expansions))

    def retrieve(self, lq, *, k: int, mask: np.ndarray) -> RetrieverResult:
        return self.search(lq.node, k=k, mask=mask, top_k=lq.top_k, **self._compiled(lq))

    def _all_hits(self, lq, mask: np.ndarray) -> list[Hit]:
        """Every hit of ``lq`` that passes ``mask`` (score 0 for filter-only queries)."""
        n = max(int(mask.sum()), 1)
        return self.search(lq.node, k=n, mask=mask, **self._compiled(lq)).hits

    def facets(self, lq, *, mask: np.ndarray, names, size: int, store) -> dict:
        ords = np.fromiter((h.ord for h in self._all_hits(lq, mask)), dtype=np.int64)
        return facet_counts(store, ords, names, size)

    def page(self, lq, *, size: int, mask: np.ndarray, cursor: str | None = None):
        """Scan order: (score desc, ord asc), filter-only (ord asc). Re-ranks the prefix on each
        page (cost grows with depth; fine embedded, where a scan of 100k ords takes milliseconds)."""
        state = decode_cursor(cursor, backend=self.name) if cursor else {"b": self.name, "v": str(self.directory), "after": None}
        if state.get("v") != str(self.directory):
            raise QueryError("cursor: the index changed since the scan started; start a new scan")
        scored = lq.node is not None
        hits = self._all_hits(lq, mask)
        hits.sort(key=lambda h: (-h.score, h.ord) if scored else h.ord)
        rest = [h for h in hits if after((h.score, h.ord), state["after"], scored=scored)]
        page = rest[:size]
        nxt = None
        if len(rest) > size:
            nxt = encode_cursor({**state, "after": [page[-1].score, page[-1].ord]})
        return Page(page, nxt, len(hits))

    def highlight(self, lq, records: list[dict]) -> list[dict[str, list[str]]]:
        """Per record, the analysed tokens each field matched (tantivy stores no text: the
        records' own field values are analysed, exactly as they were indexed)."""
        return matched_tokens_many(lq.node, records)

    def _doc_address(self, ord_: int):
        t = _tantivy()
        searcher = self.index.searcher()
        result = searcher.search(t.Query.term_query(self.schema, "ord", int(ord_)), 1)
        if not result.hits:
            raise NotFoundError(f"ord {ord_} is not in the lexical index")
        return searcher, result.hits[0][1]

    def explain(self, lq, ord_: int) -> dict:
        import json

        t = _tantivy()
        main = compile_query(lq.node, self.schema, keywords=lq.keywords, boosts=lq.boosts) if lq.node is not None else t.Query.all_query()
        searcher, addr = self._doc_address(ord_)
        try:
            return json.loads(main.explain(searcher, addr).to_json())
        except ValueError:   # tantivy: "document does not match"
            return {"value": 0.0, "description": "no match", "details": []}

    def num_docs(self) -> int:
        return self.index.searcher().num_docs

    def copy_to(self, directory: Path) -> None:
        """Copy this index's files (segments are immutable: hard links where possible)."""
        directory.mkdir(parents=True, exist_ok=True)
        for f in self.directory.iterdir():
            target = directory / f.name
            if f.suffix in (".json", ".lock") or f.name.startswith("."):
                shutil.copy2(f, target)
            else:
                try:
                    target.hardlink_to(f)
                except OSError:
                    shutil.copy2(f, target)


def document_fields(p: dict) -> dict:
    """tantivy document fields (name -> list of values) for one indexed profile."""
    doc: dict = {"ord": [int(p["ord"])], "candidate_id": [p["candidate_id"]]}
    for name, values in lexical_fields(p).items():
        doc[name] = [normalize_symbols(v) for v in values if v]
    loc = p.get("location") or {}
    if loc.get("lat") is not None:
        doc["lat"], doc["lon"] = [float(loc["lat"])], [float(loc["lon"])]
    doc["years"] = [float(p.get("years_experience") or 0.0)]
    doc["level"] = [int(p.get("seniority_level", -1))]
    doc["open_to_work"] = [int(bool(p.get("open_to_work")))]
    if p.get("last_active") is not None:
        doc["last_active"] = [(p["last_active"] - dt.date(1970, 1, 1)).days]
    doc["tenant"] = [p.get("owner_tenant") or NETWORK]
    if p.get("current_company_id"):
        doc["current_company"] = [p["current_company_id"]]
    doc["past_company"] = list(p.get("past_company_ids") or [])
    return {k: v for k, v in doc.items() if v}


# ---- query compilation -------------------------------------------------------------------------
def check_boosts(boosts: dict[str, float] | None) -> None:
    """Field boosts name lexical fields (both backends compile with them)."""
    unknown = set(boosts or ()) - set(TEXT_FIELDS)
    if unknown:
        raise ValueError(f"unknown lexical field(s) {sorted(unknown)}; known: {sorted(TEXT_FIELDS)}")


def keyword_leaves(node: qa.Node) -> tuple[list, list]:
    """A keyword query's optional leaves (stopwords dropped) and its excluded ones, for both backends."""
    leaves = [leaf for leaf, negated in qa.iter_leaves(node) if not negated
              and not (isinstance(leaf, qa.Term) and leaf.text.casefold() in KEYWORD_STOPWORDS)]
    return leaves, [leaf for leaf, negated in qa.iter_leaves(node) if negated]


def compile_query(node: qa.Node, schema, *, keywords: bool = False, boosts: dict[str, float] | None = None,
                  split: tuple[list, list] | None = None):
    """Boolean AST -> tantivy Query. In keywords mode every positive leaf is optional (OR).

    ``boosts`` replaces the default per-field boosts of unscoped leaves (``SCOPES[None]``). ``split``
    (keywords only): (rare, common) leaves from ``indexer.common_terms.split_common``; a document must
    then hold a rare one, and common ones only add their score.
    """
    t = _tantivy()
    check_boosts(boosts)
    if keywords:
        leaves, negatives = keyword_leaves(node)
        must_not = [(t.Occur.MustNot, q) for q in (_leaf(leaf, schema, boosts) for leaf in negatives) if q is not None]
        if split and split[0]:
            rare = [(t.Occur.Should, q) for q in (_leaf(leaf, schema, boosts) for leaf in split[0]) if q is not None]
            common = [(t.Occur.Should, q) for q in (_leaf(leaf, schema, boosts) for leaf in split[1]) if q is not None]
            if rare:
                return t.Query.boolean_query([(t.Occur.Must, t.Query.boolean_query(rare))] + common + must_not)
        should = [(t.Occur.Should, q) for q in (_leaf(leaf, schema, boosts) for leaf in leaves) if q is not None]
        if not should:
            return t.Query.boolean_query([(t.Occur.Must, t.Query.all_query())] + must_not) if must_not else t.Query.empty_query()
        return t.Query.boolean_query(should + must_not)
    q = _compile(node, schema, boosts)
    return q if q is not None else t.Query.empty_query()


def _compile(node, schema, boosts=None):
    t = _tantivy()
    if isinstance(node, (qa.Term, qa.Phrase, qa.Prefix)):
        return _leaf(node, schema, boosts)
    if isinstance(node, qa.Not):
        inner = _compile(node.child, schema, boosts)
        return t.Query.boolean_query([(t.Occur.Must, t.Query.all_query())] + ([(t.Occur.MustNot, inner)] if inner else []))
    if isinstance(node, qa.And):
        clauses = []
        for child in node.children:
            if isinstance(child, qa.Not):
                inner = _compile(child.child, schema, boosts)
                if inner is not None:
                    clauses.append((t.Occur.MustNot, inner))
            else:
                q = _compile(child, schema, boosts)
                if q is not None:
                    clauses.append((t.Occur.Must, q))
        if not any(occ == t.Occur.Must for occ, _ in clauses):
            clauses.append((t.Occur.Must, t.Query.all_query()))
        return t.Query.boolean_query(clauses)
    if isinstance(node, qa.Or):
        parts = [q for q in (_compile(c, schema, boosts) for c in node.children) if q is not None]
        return t.Query.boolean_query([(t.Occur.Should, q) for q in parts]) if parts else None
    raise TypeError(f"unknown query node {type(node).__name__}")


def _leaf(node, schema, boosts=None):
    """One term/phrase/prefix over its scope's fields; several fields combine with dis_max."""
    t = _tantivy()
    per_field = []
    pairs = SCOPES[node.field]
    if node.field is None and boosts:
        pairs = [(field, boosts.get(field, boost)) for field, boost in pairs]
    for field, boost in pairs:
        if boost <= 0:
            continue
        q = _field_query(node, field, schema)
        if q is not None:
            per_field.append(t.Query.boost_query(q, boost) if boost != 1.0 else q)
    if not per_field:
        return None
    return per_field[0] if len(per_field) == 1 else t.Query.disjunction_max_query(per_field, DISMAX_TIE)


def _field_query(node, field: str, schema):
    t = _tantivy()
    tokens = analyze(TEXT_FIELDS[field], node.text)
    if not tokens:
        return None
    if isinstance(node, qa.Prefix):
        import re
        head = [t.Query.term_query(schema, field, tok) for tok in tokens[:-1]]
        if head:   # "machine learn*": treat as a phrase whose last word is a prefix
            return t.Query.phrase_prefix_query(schema, field, tokens)
        return t.Query.regex_query(schema, field, re.escape(tokens[-1]) + ".*")
    if len(tokens) == 1:
        return t.Query.term_query(schema, field, tokens[0])
    slop = node.slop if isinstance(node, qa.Phrase) else 0
    return t.Query.phrase_query(schema, field, tokens, slop)


def _expansion(schema, field: str, text: str, boost: float):
    t = _tantivy()
    tokens = analyze(TEXT_FIELDS[field], text)
    if not tokens or boost <= 0:
        return None
    q = t.Query.term_query(schema, field, tokens[0]) if len(tokens) == 1 else t.Query.phrase_query(schema, field, tokens, 0)
    return t.Query.boost_query(q, boost)


def compile_filters(filters: Filters, schema, *, company_ids, today: dt.date) -> list:
    """Filters -> tantivy clauses that narrow the candidates (the exact check is the mask)."""
    t = _tantivy()
    out = []
    tenants = [NETWORK] + ([filters.tenant_id] if filters.tenant_id else [])
    out.append(t.Query.term_set_query(schema, "tenant", tenants))
    if filters.near is not None:
        g = filters.near
        lat0, lat1, lon0, lon1 = bounding_box(g.lat, g.lon, g.radius_km)
        out.append(t.Query.range_query(schema, "lat", t.FieldType.Float, max(lat0, -90.0), min(lat1, 90.0)))
        if lon0 >= -180 and lon1 <= 180:
            out.append(t.Query.range_query(schema, "lon", t.FieldType.Float, lon0, lon1))
    if filters.min_years is not None or filters.max_years is not None:
        out.append(t.Query.range_query(schema, "years", t.FieldType.Float, filters.min_years, filters.max_years))
    if filters.seniority:
        levels = [SENIORITY_LEVELS.index(s) for s in filters.seniority]
        out.append(t.Query.boolean_query([(t.Occur.Should, t.Query.term_query(schema, "level", lv)) for lv in levels]))
    if filters.current_company:
        ids = company_ids(filters.current_company)
        out.append(t.Query.term_set_query(schema, "current_company", ids) if ids else t.Query.empty_query())
    if filters.not_current_company:
        ids = company_ids(filters.not_current_company)
        if ids:
            out.append(t.Query.boolean_query([(t.Occur.Must, t.Query.all_query()),
                                              (t.Occur.MustNot, t.Query.term_set_query(schema, "current_company", ids))]))
    if filters.past_company:
        ids = company_ids(filters.past_company)
        out.append(t.Query.term_set_query(schema, "past_company", ids) if ids else t.Query.empty_query())
    if filters.open_to_work is not None:
        out.append(t.Query.term_query(schema, "open_to_work", int(filters.open_to_work)))
    if filters.active_within_days is not None:
        since = (today - dt.date(1970, 1, 1)).days - filters.active_within_days
        out.append(t.Query.range_query(schema, "last_active", t.FieldType.Integer, since, None))
    return out
