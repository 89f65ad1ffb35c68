"""The full match set of one standing search, and the membership changes that reach it.

``match_set`` is the "fresh search" of the membership definition (``ranking.standing.matcher``): every
published profile the search's Boolean query and filters select (a lexical search with ``k`` = all of them,
ranked by BM25), with the writes not folded yet applied on top (their profiles evaluated by the matcher).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from indexer.backend import LexicalQuery
from indexer.highlight import matched_fields_many
from indexer.live import LiveLog
from indexer.reader import IndexReader
from ranking.standing.evaluate import document
from ranking.standing.matcher import CompiledSearch, Matcher, derive_rows
from ranking.standing.store import Change
from records.errors import BackendUnavailableError


def published_matches(snap, search: CompiledSearch, *, today: dt.date) -> list[tuple[str, float]]:
    """(candidate_id, BM25 score) of every profile of ``snap`` in the search's match set, best first."""
    mask = snap.store.mask(search.filters, today=today)
    n = int(mask.sum())
    if not n:
        return []
    lq = LexicalQuery(search.node, search.filters, today=today, company_ids=snap.store.resolve_companies)
    hits = snap.lexical.retrieve(lq, k=n, mask=mask).hits
    if not hits:
        return []
    rows = snap.store.columns.row[np.fromiter((h.ord for h in hits), dtype=np.int64, count=len(hits))]
    ids = snap.store.table.column("candidate_id").take(pa.array(rows)).to_pylist()
    return list(zip(ids, (float(h.score) for h in hits)))


def match_set(reader: IndexReader, search: CompiledSearch, *, today: dt.date, pending: Pending | None = None,
              explain: bool = True) -> dict[str, dict]:
    """candidate_id -> why (rank, score, matched_fields) for every member the search should have now: the
    published matches, with the unfolded writes (``pending``) on top. ``explain=False``: no matched_fields
    for published members (each costs a hydration)."""
    out: dict[str, dict] = {}
    try:
        snap = reader.snapshot()
    except BackendUnavailableError:
        snap = None
    touched = pending.touched if pending is not None else frozenset()
    if snap is not None:
        ranked = [(cid, score) for cid, score in published_matches(snap, search, today=today) if cid not in touched]
        for rank, (cid, score) in enumerate(ranked, 1):
            out[cid] = {"rank": rank, "score": round(score, 4)}
    if pending is not None and pending.rows:
        m = Matcher()
        m.add(search)
        for r in m.match(pending.rows, {}, today=today, company_ids=snap.store.resolve_companies if snap is not None else None,
                         docs=pending.docs):
            if r.matched:
                out[r.candidate_id] = {"rank": None, "score": round(r.score, 4), "matched_fields": list(r.matched_fields)}
    if snap is not None and explain:
        _add_fields(snap, search, out)
    return out


class Pending:
    """The unfolded writes of a log, derived once per log state (every baseline reuses them)."""

    def __init__(self, log: LiveLog, *, as_of: dt.date):
        ops = log.pending_ops()
        self.key = (log.last_seq(), log.folded_through(), len(ops))
        self.touched = frozenset(op.candidate_id for op in ops)
        self.rows = derive_rows([op.record for op in ops if op.op == "upsert"], as_of=as_of)
        self.docs = [document(r) for r in self.rows]


def _add_fields(snap, search: CompiledSearch, out: dict[str, dict], limit: int = 1000) -> None:
    """matched_fields of the best-ranked published members (at most ``limit``: hydrating is the cost)."""
    todo = [cid for cid, why in out.items() if "matched_fields" not in why and (why["rank"] or 0) <= limit]
    ords = [snap.store.ord_of(c) for c in todo]
    for cid, fields in zip(todo, matched_fields_many(search.node, snap.store.records(ords))):
        out[cid]["matched_fields"] = list(fields)


def baseline_changes(search_id: str, found: dict[str, dict], members: set[str], *, source: str) -> list[Change]:
    """entered: found but not a member; left: a member no longer found. Ordered: entered by rank, then left."""
    entered = sorted((c for c in found if c not in members), key=lambda c: (found[c]["rank"] is None, found[c]["rank"] or 0, c))
    left = sorted(members - found.keys())
    return ([Change(search_id, c, "entered", {"source": source, **found[c]}) for c in entered]
            + [Change(search_id, c, "left", {"source": source, "reason": "no longer matches"}) for c in left])


__all__ = ["Pending", "baseline_changes", "match_set", "published_matches"]
