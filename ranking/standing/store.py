"""Durable state of standing searches: the searches, their members, the feed, webhook deliveries.

One SQLite file (``<standing_dir>/standing.sqlite``, WAL mode, ``synchronous=FULL``). The feed's sequence
numbers are the table's AUTOINCREMENT keys: strictly increasing, never reused, so a cursor (the last seq a
reader saw) survives restarts. A membership change and its feed entry are written in one transaction,
which is what makes each entry appear exactly once.

Both tables that every write changes have one key each, in the order writes arrive: memberships by
candidate (``ranking.standing.members``: one row per candidate), ``feed`` by seq, so a batch's entries are
appended. A write that moves 75 memberships therefore rewrites one row and appends 75, instead of touching
~150 random pages of (search_id, ...) indexes (issue 20, at 10,000 searches: README). Reads
by search use ``FeedIndex`` (in memory) for the feed and a scan of the memberships for a search's members
(``members`` / ``members_many``: saving, changing, refreshing or deleting a search, which cost a search
over the index anyway).
"""
from __future__ import annotations

import functools
import json
import secrets
import sqlite3
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

from ranking.standing import members as membership
from ranking.standing.feed_index import FeedIndex
from records.errors import NotFoundError

DB_FILE = "standing.sqlite"
CACHE_KIB = 128 * 1024     # SQLite page cache of the store
_SCHEMA = """
CREATE TABLE IF NOT EXISTS searches (search_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, body TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS searches_tenant ON searches (tenant_id);
CREATE TABLE IF NOT EXISTS feed (seq INTEGER PRIMARY KEY AUTOINCREMENT, search_id TEXT NOT NULL,
    candidate_id TEXT NOT NULL, event TEXT NOT NULL, why TEXT NOT NULL, at REAL NOT NULL);
DROP INDEX IF EXISTS feed_search;
CREATE TABLE IF NOT EXISTS deliveries (delivery_id INTEGER PRIMARY KEY AUTOINCREMENT, search_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, attempt INTEGER NOT NULL,
    status TEXT NOT NULL, http_status INTEGER, error TEXT, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_search ON deliveries (search_id, delivery_id);
CREATE TABLE IF NOT EXISTS delivered (search_id TEXT PRIMARY KEY, through INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (tenant_id TEXT PRIMARY KEY, secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class SavedSearch:
    search_id: str
    tenant_id: str
    name: str
    query: str
    filters: dict
    qualifications: tuple[str, ...] = ()
    owner: str | None = None
    callback_url: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["qualifications"] = list(self.qualifications)
        return d


@dataclass(frozen=True)
class FeedEntry:
    seq: int
    search_id: str
    candidate_id: str
    event: str              # "entered" | "left"
    why: dict               # source (write|refresh|created), matched_fields, score, rank (refresh only), write_seq
    at: float


class Change(NamedTuple):
    """A membership change and its feed entry's ``why``: a dict, or its JSON text (the write path encodes its
    one shape with ``write_why``). A NamedTuple rather than a frozen dataclass: at 10,000 standing searches a
    write makes ~75 of them per upsert, and a frozen dataclass costs ~8x more to build (measured)."""
    search_id: str
    candidate_id: str
    event: str
    why: dict | str


@functools.lru_cache(maxsize=4096)
def _fields_json(fields: tuple[str, ...]) -> str:
    return json.dumps(list(fields))


def write_why(write_seq: int, matched_fields: tuple[str, ...], score: float) -> str:
    """``json.dumps({"source": "write", "write_seq": write_seq, "matched_fields": [...], "score": score,
    "rank": None})``, the same text, built ~5x faster (the per-entry cost of a write path that makes
    ~75 entries per upsert). ``score`` is finite (a share), and a float's JSON is its repr."""
    return (f'{{"source": "write", "write_seq": {int(write_seq)}, "matched_fields": {_fields_json(matched_fields)}, '
            f'"score": {float(score)!r}, "rank": null}}')


class StandingStore:
    """Thread-safe; every method is one transaction."""

    def __init__(self, directory: str | Path):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.dir / DB_FILE), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(f"PRAGMA cache_size={-CACHE_KIB}")
        self._db.executescript(_SCHEMA)     # also drops the feed's (search_id, seq) index of stores made before
        membership.migrate(self._db.cursor())
        self._feed = FeedIndex()

    def _tx(self):
        return _Tx(self._db, self._lock)

    # ---- searches ---------------------------------------------------------------------------------
    def create(self, tenant_id: str, body: dict) -> SavedSearch:
        now = time.time()
        s = SavedSearch(search_id="ss-" + uuid.uuid4().hex[:16], tenant_id=tenant_id, created_at=now, updated_at=now,
                        **_fields(body))
        with self._tx() as cur:
            cur.execute("INSERT INTO searches VALUES (?, ?, ?, ?, ?)", (s.search_id, tenant_id, _body(s), now, now))
            _bump(cur)
        return s

    def update(self, search: SavedSearch, changes: dict) -> SavedSearch:
        merged = {**_fields(search.to_dict()), **changes}
        s = SavedSearch(search_id=search.search_id, tenant_id=search.tenant_id, created_at=search.created_at,
                        updated_at=time.time(), **_fields(merged))
        with self._tx() as cur:
            cur.execute("UPDATE searches SET body = ?, updated_at = ? WHERE search_id = ?", (_body(s), s.updated_at, s.search_id))
            _bump(cur)
        return s

    def delete(self, search_id: str) -> None:
        """The search, its memberships (a scan), feed entries, deliveries."""
        with self._tx() as cur:
            self._feed.catch_up(cur)
            seqs = self._feed.of(search_id)
            for i in range(0, len(seqs), 500):
                chunk = seqs[i:i + 500]
                cur.execute(f"DELETE FROM feed WHERE seq IN ({','.join('?' * len(chunk))})", chunk)
            membership.drop_search(cur, search_id)
            for table in ("searches", "deliveries", "delivered"):
                cur.execute(f"DELETE FROM {table} WHERE search_id = ?", (search_id,))
            _bump(cur)
        self._feed.drop(search_id)

    def get(self, search_id: str, tenant_id: str | None) -> SavedSearch:
        """The search; another tenant's (or an unknown id) is NotFoundError."""
        with self._lock:
            row = self._db.execute("SELECT search_id, tenant_id, body, created_at, updated_at FROM searches WHERE search_id = ?",
                                   (search_id,)).fetchone()
        if row is None or (tenant_id is not None and row[1] != tenant_id):
            raise NotFoundError(f"standing search {search_id!r} not found")
        return _search(row)

    def list(self, tenant_id: str | None = None) -> list[SavedSearch]:
        sql = "SELECT search_id, tenant_id, body, created_at, updated_at FROM searches"
        with self._lock:
            rows = (self._db.execute(sql + " WHERE tenant_id = ? ORDER BY created_at", (tenant_id,)) if tenant_id is not None
                    else self._db.execute(sql + " ORDER BY created_at")).fetchall()
        return [_search(r) for r in rows]

    def revision(self) -> int:
        """Bumped by every create/update/delete (a server reloads its matcher when another process changed it)."""
        return self.meta("searches_rev")

    # ---- members and the feed ---------------------------------------------------------------------
    def members_of(self, candidate_ids: list[str]) -> dict[str, set[str]]:
        """candidate_id -> ids of the searches it is a member of."""
        with self._lock:
            return membership.of_candidates(self._db.cursor(), candidate_ids)

    def members(self, search_id: str) -> set[str]:
        """A search's members (a scan: memberships are keyed by candidate)."""
        return self.members_many([search_id])[search_id]

    def members_many(self, search_ids: list[str]) -> dict[str, set[str]]:
        """search_id -> its members (empty sets included), in one scan."""
        with self._lock:
            return membership.of_searches(self._db.cursor(), search_ids)

    def apply(self, changes: list[Change], *, meta: dict[str, int] | None = None, record: bool = True) -> list[int]:
        """Membership changes and their feed entries (``record=False``: members only, no entries), in one
        transaction with the ``meta`` values. Returns the new feed seqs."""
        now, seqs = time.time(), []
        with self._tx() as cur:
            membership.apply(cur, ((c.candidate_id, c.search_id, c.event == "entered") for c in changes))
            if record and changes:
                first = cur.execute("SELECT COALESCE(MAX(seq), 0) FROM feed").fetchone()[0]
                base = max(first, cur.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'feed'").fetchone()[0])
                rows = [(base + i, c.search_id, c.candidate_id, c.event, c.why if isinstance(c.why, str) else json.dumps(c.why), now)
                        for i, c in enumerate(changes, 1)]
                cur.executemany("INSERT INTO feed (seq, search_id, candidate_id, event, why, at) VALUES (?, ?, ?, ?, ?, ?)", rows)
                seqs = [r[0] for r in rows]
            for key, value in (meta or {}).items():
                _set_meta(cur, key, value)
        return seqs

    def feed(self, search_id: str, *, after: int = 0, limit: int = 100) -> list[FeedEntry]:
        with self._lock:
            cur = self._db.cursor()
            self._feed.catch_up(cur)
            seqs, rows = self._feed.after(search_id, after, limit), []
            for i in range(0, len(seqs), 500):
                chunk = seqs[i:i + 500]
                rows += cur.execute("SELECT seq, search_id, candidate_id, event, why, at FROM feed WHERE seq IN"
                                    f" ({','.join('?' * len(chunk))}) ORDER BY seq", chunk).fetchall()
        return [FeedEntry(s, sid, c, e, json.loads(w), a) for s, sid, c, e, w, a in rows]

    # ---- webhooks ---------------------------------------------------------------------------------
    def secret(self, tenant_id: str) -> str:
        """The tenant's webhook signing secret, made on first use."""
        with self._tx() as cur:
            row = cur.execute("SELECT secret FROM secrets WHERE tenant_id = ?", (tenant_id,)).fetchone()
            if row:
                return row[0]
            value = secrets.token_hex(32)
            cur.execute("INSERT INTO secrets VALUES (?, ?)", (tenant_id, value))
            return value

    def delivered_through(self, search_id: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT through FROM delivered WHERE search_id = ?", (search_id,)).fetchone()
        return int(row[0]) if row else 0

    def log_delivery(self, search_id: str, key: str, first: int, last: int, attempt: int, status: str,
                     http_status: int | None, error: str | None) -> None:
        with self._tx() as cur:
            cur.execute("INSERT INTO deliveries (search_id, idempotency_key, first_seq, last_seq, attempt, status, http_status,"
                        " error, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (search_id, key, first, last, attempt, status, http_status, error, time.time()))
            if status == "delivered":
                cur.execute("INSERT INTO delivered VALUES (?, ?) ON CONFLICT(search_id) DO UPDATE SET through = excluded.through",
                            (search_id, last))

    def deliveries(self, search_id: str, *, limit: int = 100) -> list[dict]:
        with self._lock:
            rows = self._db.execute("SELECT delivery_id, idempotency_key, first_seq, last_seq, attempt, status, http_status,"
                                    " error, at FROM deliveries WHERE search_id = ? ORDER BY delivery_id DESC LIMIT ?",
                                    (search_id, limit)).fetchall()
        keys = ("delivery_id", "idempotency_key", "first_seq", "last_seq", "attempt", "status", "http_status", "error", "at")
        return [dict(zip(keys, r)) for r in rows]

    # ---- meta -------------------------------------------------------------------------------------
    def meta(self, key: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _Tx:
    def __init__(self, db, lock):
        self.db, self.lock = db, lock

    def __enter__(self):
        self.lock.acquire()
        self.cur = self.db.cursor()
        self.cur.execute("BEGIN IMMEDIATE")
        return self.cur

    def __exit__(self, exc_type, *_):
        try:
            self.cur.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.lock.release()
        return False


def _set_meta(cur, key: str, value: int) -> None:
    cur.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, int(value)))


def _bump(cur) -> None:
    cur.execute("INSERT INTO meta VALUES ('searches_rev', 1) ON CONFLICT(key) DO UPDATE SET value = value + 1")


_FIELDS = ("name", "query", "filters", "qualifications", "owner", "callback_url")


def _fields(body: dict) -> dict:
    out = {k: body.get(k) for k in _FIELDS}
    out["filters"] = dict(out["filters"] or {})
    out["qualifications"] = tuple(out["qualifications"] or ())
    out["query"] = out["query"] or ""
    out["name"] = out["name"] or ""
    return out


def _body(s: SavedSearch) -> str:
    return json.dumps({k: v for k, v in s.to_dict().items() if k in _FIELDS})


def _search(row) -> SavedSearch:
    sid, tenant, body, created, updated = row
    return SavedSearch(search_id=sid, tenant_id=tenant, created_at=created, updated_at=updated, **_fields(json.loads(body)))


__all__ = ["Change", "FeedEntry", "SavedSearch", "StandingStore", "write_why"]
