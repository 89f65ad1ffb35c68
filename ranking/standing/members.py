"""Who is a member of which standing search: one row per candidate, its search ids packed in one text.

``memberships (candidate_id PRIMARY KEY, search_ids)``, the ids space-separated (a search id is ``ss-`` and
hex, never a space). A write reads and rewrites the rows of the candidates it wrote: at 10,000 standing searches
an upsert moves ~75 memberships, which are then one row rewritten instead of ~75 rows inserted or deleted in a
(candidate_id, search_id) table (measured: ~0.35 s of CPU per 2,000 upserts, and fewer WAL pages). A search's
members are a scan of the table (saving, changing, refreshing or deleting a search: each also runs a search
over the index). Every function runs on the caller's cursor, inside the caller's transaction.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable

SCHEMA = """
CREATE TABLE IF NOT EXISTS memberships (candidate_id TEXT PRIMARY KEY, search_ids TEXT NOT NULL) WITHOUT ROWID;
"""
_CHUNK = 500


def migrate(cur: sqlite3.Cursor) -> None:
    """Create the table; a store made before it (``members (candidate_id, search_id)`` rows, with a
    ``members_search`` index) has its rows packed into it, in one transaction."""
    cur.executescript(SCHEMA)
    old = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'members'"
    if not cur.execute(old).fetchone():
        return
    cur.execute("BEGIN IMMEDIATE")
    try:
        if cur.execute(old).fetchone():      # again under the write lock: another process may have converted it
            cur.execute("INSERT OR REPLACE INTO memberships SELECT candidate_id, group_concat(search_id, ' ')"
                        " FROM members GROUP BY candidate_id")
            cur.execute("DROP TABLE members")
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise


def of_candidates(cur: sqlite3.Cursor, candidate_ids: list[str]) -> dict[str, set[str]]:
    """candidate_id -> ids of the searches it is a member of (candidates of none are left out)."""
    out: dict[str, set[str]] = {}
    for i in range(0, len(candidate_ids), _CHUNK):
        chunk = candidate_ids[i:i + _CHUNK]
        q = f"SELECT candidate_id, search_ids FROM memberships WHERE candidate_id IN ({','.join('?' * len(chunk))})"
        for cid, sids in cur.execute(q, chunk):
            out[cid] = set(sids.split(" "))
    return out


def of_searches(cur: sqlite3.Cursor, search_ids: list[str]) -> dict[str, set[str]]:
    """search_id -> its members (empty sets included): one scan of the table."""
    out: dict[str, set[str]] = {sid: set() for sid in search_ids}
    if len(search_ids) == 1:        # one search: let SQLite skip the rows without it
        [sid] = search_ids
        rows = cur.execute("SELECT candidate_id, search_ids FROM memberships WHERE instr(' ' || search_ids || ' ', ?) > 0",
                           (f" {sid} ",))
    else:
        rows = cur.execute("SELECT candidate_id, search_ids FROM memberships")
    for cid, sids in rows:
        for sid in sids.split(" "):
            members = out.get(sid)
            if members is not None:
                members.add(cid)
    return out


def apply(cur: sqlite3.Cursor, changes: Iterable[tuple[str, str, bool]]) -> None:
    """``(candidate_id, search_id, entered)`` changes, in order: each candidate's row is read, changed, rewritten."""
    by_candidate: dict[str, list[tuple[str, bool]]] = {}
    for cid, sid, entered in changes:
        by_candidate.setdefault(cid, []).append((sid, entered))
    if not by_candidate:
        return
    current = of_candidates(cur, list(by_candidate))
    put, gone = [], []
    for cid, todo in by_candidate.items():
        sids = current.get(cid, set())
        for sid, entered in todo:
            if entered:
                sids.add(sid)
            else:
                sids.discard(sid)
        if sids:
            put.append((cid, " ".join(sorted(sids))))
        else:
            gone.append((cid,))
    cur.executemany("INSERT OR REPLACE INTO memberships VALUES (?, ?)", put)
    cur.executemany("DELETE FROM memberships WHERE candidate_id = ?", gone)


def drop_search(cur: sqlite3.Cursor, search_id: str) -> None:
    """Remove a search from every candidate's row."""
    members = of_searches(cur, [search_id])[search_id]
    apply(cur, ((cid, search_id, False) for cid in sorted(members)))


__all__ = ["apply", "drop_search", "migrate", "of_candidates", "of_searches"]
