"""Reverse search: which standing searches does a batch of written profiles match?

Membership (the definition every feed, refresh and test uses): candidate C is a member of standing search S
when C is alive and visible to S's tenant (a network profile, or S's tenant's own), passes S's filters as of
the evaluation day, and matches S's query read as a **Boolean** query (``syntax=boolean``: bare words are
ANDed; qualifications are ANDed to it). An empty query means "every profile that passes the filters". This
is exactly the set a lexical search of the published index returns with ``k`` = everything
(``ranking.standing.feed.match_set``), so a refresh and the write path agree.

The write path never runs a search per saved search over the index. For a batch of written profiles it
(1) builds a tantivy index of just that batch in memory, with the engine's schema and analysers, and a
``ProfileStore`` of the batch for the filters (same code as the published index, so same answers);
(2) picks the candidate searches of each profile from an inverted index over the searches' *anchors*: a
set of (field, token) pairs at least one of which every match must contain (an AND contributes the
anchors of one child, an OR the union of its children's; a search without anchors, e.g. ``NOT x`` or
filters only, is tested against every profile); (3) adds the searches the profile is a member of now
(it may leave them); (4) runs each candidate search's precompiled query once over the batch index.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from indexer.analysis import NAMES, STEMMED, analyze, analyzer
from indexer.derive import derive
from indexer.documents import FIELD_TO_SCOPE, SCOPES, TEXT_FIELDS
from indexer.lexical import build_schema, compile_query, document_fields
from query.lang import ast as qa
from query.lang.filters import Filters
from query.lang.syntax import parse_query
from ranking.standing.evaluate import Doc, compile_tree, document, matches, passes
from records.errors import QuerySyntaxError
from records.schema import INDEXED_SCHEMA, PROFILE_SCHEMA

Anchor = tuple[str, str]          # (lexical field, analysed token)


@dataclass(frozen=True)
class CompiledSearch:
    search_id: str
    tenant_id: str
    node: qa.Node | None          # the Boolean query with its qualifications ANDed (None: filters only)
    filters: Filters
    query: object                 # the tantivy Query of ``node`` (all documents when node is None)
    anchors: frozenset[Anchor] | None   # None: no anchor (tested against every profile of its tenant's reach)
    tree: tuple = ()              # ranking.standing.evaluate's form of ``node``
    needs_index: bool = False     # a sloppy phrase: evaluated on a tantivy index of the batch instead
    positive: tuple = ()          # the compiled positive leaves (score and matched fields)
    required: tuple = ()          # groups of (field, token): a match holds at least one of each (a quick no)


@dataclass(frozen=True)
class Match:
    search_id: str
    candidate_id: str
    matched: bool
    score: float                  # share of the query's positive leaves the profile matches (0 when unmatched)
    matched_fields: tuple[str, ...]


def parse_standing(query: str, qualifications: tuple[str, ...] = ()) -> qa.Node | None:
    """The Boolean AST of a standing query; a syntax error names the column (of ``query`` or of
    ``qualifications[i]``)."""
    node, _ = parse_query(query, "boolean")
    parts = [node] if node is not None else []
    for i, text in enumerate(qualifications):
        try:
            q, _ = parse_query(text, "boolean")
        except QuerySyntaxError as exc:
            err = QuerySyntaxError(f"qualifications[{i}]: {exc.reason}", query=text, column=exc.column,
                                   expected=exc.expected)
            err.field = f"qualifications.{i}"
            raise err from exc
        if q is not None:
            parts.append(q)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else qa.And(tuple(parts))


def anchors_of(node: qa.Node | None, df=None) -> frozenset[Anchor] | None:
    """(field, token) pairs one of which every document matching ``node`` contains; None: no such set.
    ``df(field, token)``: the published index's document frequency, to anchor on the rarest tokens (without
    it, the longest token of a leaf and the AND child with the fewest anchors)."""
    cost = df or (lambda field, tok: 1_000_000 // (1 + len(tok)))
    found = _anchors(node, cost)
    return found[0] if found is not None else None


def _anchors(node, cost):
    """(anchors, estimated documents) or None."""
    if node is None or isinstance(node, qa.Not):
        return None
    if isinstance(node, (qa.Term, qa.Phrase, qa.Prefix)):
        out, total = set(), 0
        for field, boost in SCOPES[node.field]:
            tokens = analyze(TEXT_FIELDS[field], node.text) if boost > 0 else []
            if not tokens:
                continue
            if isinstance(node, qa.Prefix) and len(tokens) == 1:
                return None                       # a bare prefix matches unknown tokens
            keyed = tokens[:-1] if isinstance(node, qa.Prefix) else tokens
            tok = min(keyed, key=lambda t: cost(field, t))   # every token of a phrase is required: take the rarest
            out.add((field, tok))
            total += cost(field, tok)
        return (frozenset(out), total) if out else None
    if isinstance(node, qa.Or):
        out, total = set(), 0
        for child in node.children:
            a = _anchors(child, cost)
            if a is None:
                return None
            out |= a[0]
            total += a[1]
        return frozenset(out), total
    if isinstance(node, qa.And):
        options = [a for a in (_anchors(c, cost) for c in node.children if not isinstance(c, qa.Not)) if a is not None]
        return min(options, key=lambda a: a[1]) if options else None
    raise TypeError(f"unknown query node {type(node).__name__}")


def required_groups(node) -> list[frozenset[Anchor]]:
    """Necessary conditions of a match: each group holds (field, token) pairs one of which the document has.
    An AND needs each positive child's; a leaf needs, for each token position, that token in one of its
    fields (when every field has a token there); an OR needs one of its anchors."""
    if node is None or isinstance(node, qa.Not):
        return []
    if isinstance(node, qa.And):
        return [g for c in node.children for g in required_groups(c)]
    if isinstance(node, qa.Or):
        a = anchors_of(node)
        return [a] if a is not None else []
    per_field = []
    for field, boost in SCOPES[node.field]:
        tokens = analyze(TEXT_FIELDS[field], node.text) if boost > 0 else []
        if tokens:
            per_field.append((field, tokens[:-1] if isinstance(node, qa.Prefix) else tokens))
    if not per_field:
        return []
    width = min(len(t) for _, t in per_field)
    return [frozenset((f, t[j]) for f, t in per_field) for j in range(width)]


class Matcher:
    """Compiled standing searches and their anchor index. Not thread-safe: the caller serialises writes."""

    def __init__(self, df=None):
        """``df(field, token)``: document frequency in the published index (anchors on rare tokens)."""
        self.df = df
        self.schema = build_schema()
        self.searches: dict[str, CompiledSearch] = {}
        self._by_anchor: dict[Anchor, set[str]] = defaultdict(set)
        self._unanchored: set[str] = set()

    def compile(self, search_id: str, tenant_id: str, query: str, filters: dict | None,
                qualifications: tuple[str, ...] = ()) -> CompiledSearch:
        """Parse and compile (raises QuerySyntaxError / FilterError naming the column or filter)."""
        import tantivy

        node = parse_standing(query, qualifications)
        flt = Filters.from_dict(filters, tenant_id=tenant_id)
        tq = compile_query(node, self.schema) if node is not None else tantivy.Query.all_query()
        tree, needs_index = compile_tree(node)
        positive = tuple(t for t in (compile_tree(leaf)[0] for leaf, neg in qa.iter_leaves(node) if not neg)
                         if t[0] == "leaf") if node is not None else ()
        return CompiledSearch(search_id, tenant_id, node, flt, tq, anchors_of(node, self.df), tree, needs_index, positive,
                              tuple(required_groups(node)))

    def add(self, search: CompiledSearch) -> None:
        self.remove(search.search_id)
        self.searches[search.search_id] = search
        if search.anchors is None:
            self._unanchored.add(search.search_id)
        else:
            for a in search.anchors:
                self._by_anchor[a].add(search.search_id)

    def remove(self, search_id: str) -> None:
        old = self.searches.pop(search_id, None)
        if old is None:
            return
        self._unanchored.discard(search_id)
        for a in old.anchors or ():
            self._by_anchor[a].discard(search_id)

    def candidates(self, profile: dict, doc: Doc | None = None) -> set[str]:
        """Searches ``profile`` could match: those with an anchor in it, and the unanchored ones."""
        doc = doc or document(profile)
        out = set(self._unanchored)
        by_anchor = self._by_anchor
        for field, tokens in doc.tokens.items():
            for tok in tokens:
                hit = by_anchor.get((field, tok))
                if hit:
                    out |= hit
        owner = profile.get("owner_tenant")
        if owner is not None:       # a private profile is visible to its tenant's searches only
            out = {s for s in out if self.searches[s].tenant_id == owner}
        return out

    def match(self, profiles: list[dict], members: dict[str, set[str]], *, today: dt.date, company_ids=None,
              docs: list[Doc] | None = None) -> list[Match]:
        """Evaluate each derived profile (INDEXED_SCHEMA dicts, ``ord`` = position in ``profiles``) against
        its candidate searches and the searches it is a member of (``members``: candidate_id -> ids).
        Returns every match, and a non-match only for a search the profile is a member of (a non-match of a
        non-member changes nothing, so it is not materialised).
        ``company_ids``: the published store's ``resolve_companies`` (company filters given by name)."""
        out: list[Match] = []
        sloppy: dict[str, list[int]] = defaultdict(list)
        searches = self.searches
        for i, p in enumerate(profiles):
            doc = docs[i] if docs is not None else document(p)
            cid = p["candidate_id"]
            was = members.get(cid, set()) & searches.keys()
            pairs = doc.pairs
            for sid in self.candidates(p, doc) | was:
                s = searches[sid]
                if s.needs_index:
                    sloppy[sid].append(i)
                elif not any(g.isdisjoint(pairs) for g in s.required) \
                        and passes(s.filters, p, today=today, company_ids=company_ids) and matches(s.tree, doc):
                    out.append(self._hit(s, cid, doc))
                elif sid in was:
                    out.append(Match(sid, cid, False, 0.0, ()))
        if sloppy:
            out += self._match_on_index(profiles, sloppy, today=today, company_ids=company_ids)
        return out

    @staticmethod
    def _hit(s: CompiledSearch, cid: str, doc: Doc) -> Match:
        found, fields = 0, {}
        for leaf in s.positive:
            hit = [f for f, *_ in leaf[1] if matches(("leaf", tuple(x for x in leaf[1] if x[0] == f)), doc)]
            found += bool(hit)
            fields.update((FIELD_TO_SCOPE.get(f, f), None) for f in hit)
        return Match(s.search_id, cid, True, found / len(s.positive) if s.positive else 1.0, tuple(fields))

    def _match_on_index(self, profiles, todo: dict[str, list[int]], *, today, company_ids) -> list[Match]:
        """Searches with sloppy phrases: their tantivy query over an in-memory index of the batch."""
        searcher, ord_of = _batch_index(profiles, self.schema)
        out, n = [], len(profiles)
        for sid, idx in todo.items():
            s = self.searches[sid]
            hit = {ord_of(addr) for _, addr in searcher.search(s.query, n).hits}
            for i in idx:
                p = profiles[i]
                if i in hit and passes(s.filters, p, today=today, company_ids=company_ids):
                    out.append(self._hit(s, p["candidate_id"], document(p)))
                else:
                    out.append(Match(sid, p["candidate_id"], False, 0.0, ()))
        return out


def derive_rows(records: list[dict], *, as_of: dt.date) -> list[dict]:
    """Validated profile records -> INDEXED_SCHEMA dicts (derived fields, ``ord`` = position)."""
    if not records:
        return []
    table = derive(pa.Table.from_pylist([_dated(r) for r in records], schema=PROFILE_SCHEMA), as_of=as_of)
    table = table.add_column(0, "ord", pa.array(np.arange(len(records), dtype=np.int64)))
    table = table.append_column("content_hash", pa.nulls(len(records), pa.string())) \
        if "content_hash" in INDEXED_SCHEMA.names else table
    return table.select(INDEXED_SCHEMA.names).cast(INDEXED_SCHEMA).to_pylist()


def _dated(record: dict) -> dict:
    """A log record (dates as ISO text) back in PROFILE_SCHEMA value types."""
    from indexer.validate import coerce_row

    return coerce_row(record) if isinstance(record.get("last_active"), str) or any(
        isinstance(p.get("start"), str) for p in record.get("positions") or []) else record


def _batch_index(profiles: list[dict], schema):
    """An in-memory tantivy index of ``profiles`` and a doc address -> ord lookup."""
    import tantivy

    index = tantivy.Index(schema)
    for name in (STEMMED, NAMES):
        index.register_tokenizer(name, analyzer(name))
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    for p in profiles:
        writer.add_document(tantivy.Document(**document_fields(p)))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()

    def ord_of(addr) -> int:
        return int(searcher.doc(addr)["ord"][0])
    return searcher, ord_of


__all__ = ["CompiledSearch", "Match", "Matcher", "anchors_of", "derive_rows", "parse_standing"]

