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
(2) reduces each saved query to its normal form (``ranking.standing.anchors``: groups of features a match
needs one of each, features it must not have, and whether those decide the query) and finds the candidate
searches of each profile in a two-level index keyed by a feature of the query's two rarest groups, so a
profile reaches only the searches whose two rarest conditions it meets; (3) adds the searches the profile is
a member of now (it may leave them); (4) decides each candidate by set tests when the normal form is exact
(most saved queries: ANDs, ORs and NOTs of words and two-word phrases), then the filters, and only for the
rest evaluates the query tree in Python (``ranking.standing.evaluate``) or, for sloppy phrases, on an
in-memory tantivy index of the batch.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from indexer.analysis import NAMES, STEMMED, analyzer
from indexer.derive import derive
from indexer.documents import FIELD_TO_SCOPE
from indexer.lexical import build_schema, compile_query, document_fields
from query.lang import ast as qa
from query.lang.filters import Filters
from query.lang.syntax import parse_query
from ranking.standing.anchors import (
    AnchorIndex,
    NormalForm,
    depth,
    length_cost,
    normal_form,
)
from ranking.standing.evaluate import Doc, compile_tree, document, matches, passes
from ranking.standing.quickfilter import QuickFilter, facts
from records.errors import QuerySyntaxError
from records.schema import INDEXED_SCHEMA, PROFILE_SCHEMA


@dataclass(frozen=True)
class CompiledSearch:
    search_id: str
    tenant_id: str
    node: qa.Node | None          # the Boolean query with its qualifications ANDed (None: filters only)
    filters: Filters
    query: object                 # the tantivy Query of ``node`` (all documents when node is None)
    nf: NormalForm                # groups / forbidden features / exact (ranking.standing.anchors)
    tree: tuple = ()              # ranking.standing.evaluate's form of ``node``
    needs_index: bool = False     # a sloppy phrase: evaluated on a tantivy index of the batch instead
    positive: tuple = ()          # per positive leaf, its fields as (scope, feature or None, one-field leaf tree): score, fields
    rest: tuple = ()              # the groups the anchor index does not check (anchors.depth)
    plain: bool = True            # no filter but tenant visibility (which the candidate lookup applies)
    quick: QuickFilter | None = None   # the filters in their quick form (None: ``passes`` decides them)


class Match(NamedTuple):
    """One membership decision (a NamedTuple: ~75 are made per upsert at 10,000 searches, see ``store.Change``)."""
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


class Matcher:
    """Compiled standing searches and their anchor index. Not thread-safe: the caller serialises writes."""

    def __init__(self, df=None):
        """``df(field, token)``: document frequency in the published index (anchors on rare features)."""
        self.df = df
        self.schema = build_schema()
        self.searches: dict[str, CompiledSearch] = {}
        self._index = AnchorIndex()

    def _cost(self, feature) -> int:
        if self.df is None:
            return length_cost(feature)
        if len(feature) == 2:
            return self.df(*feature)
        return min(self.df(feature[0], feature[1]), self.df(feature[0], feature[2]))   # a pair: at most its rarer token's

    def compile(self, search_id: str, tenant_id: str, query: str, filters: dict | None,
                qualifications: tuple[str, ...] = ()) -> CompiledSearch:
        """Parse and compile (raises QuerySyntaxError / FilterError naming the column or filter)."""
        import tantivy

        node = parse_standing(query, qualifications)
        flt = Filters.from_dict(filters, tenant_id=tenant_id)
        tq = compile_query(node, self.schema) if node is not None else tantivy.Query.all_query()
        tree, needs_index = compile_tree(node)
        positive = tuple(tuple((FIELD_TO_SCOPE.get(e[0], e[0]), _feature(e), ("leaf", (e,))) for e in t[1])
                         for t in (compile_tree(leaf)[0] for leaf, neg in qa.iter_leaves(node) if not neg)
                         if t[0] == "leaf") if node is not None else ()
        nf = normal_form(tree, self._cost)
        return CompiledSearch(search_id, tenant_id, node, flt, tq, nf, tree, needs_index, positive,
                              nf.groups[depth(nf):], flt.is_empty, QuickFilter.of(flt))

    def add(self, search: CompiledSearch) -> None:
        self.remove(search.search_id)
        self.searches[search.search_id] = search
        self._index.add(search.search_id, search.nf)

    def remove(self, search_id: str) -> None:
        if self.searches.pop(search_id, None) is not None:
            self._index.remove(search_id)

    def candidates(self, profile: dict, doc: Doc | None = None) -> set[str]:
        """Searches ``profile`` could match: those whose two rarest groups its features meet, and those
        without groups; a private profile only its own tenant's."""
        doc = doc or document(profile)
        out = self._index.lookup(doc.features)
        owner = profile.get("owner_tenant")
        if owner is not None:       # a private profile is visible to its tenant's searches only
            out = {s for s in out if self.searches[s].tenant_id == owner}
        return out

    def match(self, profiles: list[dict], members: dict[str, set[str]], *, today: dt.date, company_ids=None,
              docs: list[Doc] | None = None) -> list[Match]:
        """The membership changes of derived profiles (INDEXED_SCHEMA dicts, ``ord`` = position in ``profiles``)
        against ``members`` (candidate_id -> ids of the searches it is a member of): a match of a search the
        profile is not a member of (with score and matched fields), a non-match of one it is a member of.
        A match of a member and a non-match of a non-member change nothing and are not materialised.
        ``company_ids``: the published store's ``resolve_companies`` (company filters given by name)."""
        out: list[Match] = []
        sloppy: dict[str, list[int]] = defaultdict(list)
        searches = self.searches
        for i, p in enumerate(profiles):
            doc = docs[i] if docs is not None else document(p)
            cid = p["candidate_id"]
            was = members.get(cid, set()) & searches.keys()
            cands = self.candidates(p, doc)
            for sid in was - cands:           # the two rarest conditions fail: it no longer matches
                out.append(Match(sid, cid, False, 0.0, ()))
            feats, fx = doc.features, facts(p)
            for sid in cands:
                s = searches[sid]
                nf = s.nf
                if (s.rest and any(g.isdisjoint(feats) for g in s.rest)) \
                        or (nf.forbidden and not nf.forbidden.isdisjoint(feats)) \
                        or (not s.plain and not (s.quick(fx) if s.quick is not None
                                                 else passes(s.filters, p, today=today, company_ids=company_ids))):
                    ok = False
                elif s.needs_index:
                    sloppy[sid].append(i)
                    continue
                else:
                    ok = nf.exact or matches(s.tree, doc)
                if ok and sid not in was:
                    out.append(self._hit(s, cid, doc))
                elif not ok and sid in was:
                    out.append(Match(sid, cid, False, 0.0, ()))
        if sloppy:
            out += self._match_on_index(profiles, sloppy, members, today=today, company_ids=company_ids)
        return out

    @staticmethod
    def _hit(s: CompiledSearch, cid: str, doc: Doc) -> Match:
        found, fields, feats = 0, {}, doc.features
        for leaf in s.positive:
            hit = False
            for scope, feature, tree in leaf:
                if (feature in feats) if feature is not None else matches(tree, doc):
                    hit = True
                    fields[scope] = None
            found += hit
        return Match(s.search_id, cid, True, found / len(s.positive) if s.positive else 1.0, tuple(fields))

    def _match_on_index(self, profiles, todo: dict[str, list[int]], members, *, today, company_ids) -> list[Match]:
        """Searches with sloppy phrases: their tantivy query over an in-memory index of the batch."""
        searcher, ord_of = _batch_index(profiles, self.schema)
        out, n = [], len(profiles)
        for sid, idx in todo.items():
            s = self.searches[sid]
            hit = {ord_of(addr) for _, addr in searcher.search(s.query, n).hits}
            for i in idx:
                p = profiles[i]
                was = sid in members.get(p["candidate_id"], ())
                if i in hit and passes(s.filters, p, today=today, company_ids=company_ids):
                    if not was:
                        out.append(self._hit(s, p["candidate_id"], document(p)))
                elif was:
                    out.append(Match(sid, p["candidate_id"], False, 0.0, ()))
        return out


def _feature(entry) -> tuple | None:
    """The feature that decides one field of a leaf (a token, an exact two-token phrase); None: evaluate it."""
    field, want, node, simple = entry
    if simple:
        return (field, want[0])
    if len(want) == 2 and not isinstance(node, qa.Prefix) and not getattr(node, "slop", 0):
        return (field, want[0], want[1])
    return None


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


__all__ = ["CompiledSearch", "Match", "Matcher", "derive_rows", "parse_standing"]

