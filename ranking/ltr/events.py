"""Recruiter engagement events and the per-tenant store that holds them and the served feature log.

Every tenant has its own SQLite database (WAL mode) under ``<ltr_dir>/tenants/<tenant_id>/events.sqlite``:
its events, and the exact feature vectors the engine served to it (``feature_log``). A store object
is opened for ONE tenant and every statement it runs is scoped to that file, so one tenant's events
can never be read while training another's model.

Events are idempotent by ``event_id`` (a re-sent event is counted as a duplicate and ignored). A
malformed event is rejected with a reason naming the field; the good events of the same batch are kept.

At scale the same event shape is produced to a stream (Kafka/Kinesis topic keyed by tenant_id) and a
consumer calls :meth:`EventStore.add` per tenant partition in batches; the store's interface is the sink.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from records.errors import ValidationError
from records.ids import TENANT_ID as _TENANT

EVENT_TYPES = ("impression", "view", "shortlist", "message", "reply", "hire", "dismiss")
_ID = re.compile(r"^\S{1,128}$")
SCHEMA_VERSION = 2   # 2: feature_log.explored

_DDL = """
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY, type TEXT NOT NULL, tenant_id TEXT NOT NULL, recruiter_id TEXT NOT NULL,
    candidate_id TEXT NOT NULL, request_id TEXT, position INTEGER, ts TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_ts ON events(ts);
CREATE INDEX IF NOT EXISTS events_request ON events(request_id, candidate_id);
CREATE TABLE IF NOT EXISTS feature_log (
    request_id TEXT NOT NULL, candidate_id TEXT NOT NULL, tenant_id TEXT NOT NULL, position INTEGER NOT NULL,
    feature_set TEXT NOT NULL, features BLOB NOT NULL, model_version TEXT, query TEXT, served_at TEXT NOT NULL,
    explored INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (request_id, candidate_id));
CREATE INDEX IF NOT EXISTS feature_log_served ON feature_log(served_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Event:
    event_id: str
    type: str                      # one of EVENT_TYPES
    tenant_id: str
    recruiter_id: str
    candidate_id: str
    timestamp: dt.datetime         # timezone-aware, UTC
    request_id: str | None = None  # the served search (SearchResponse.request_id); required for impressions
    position: int | None = None    # 1-based page position; required for impressions


@dataclass(frozen=True)
class Rejected:
    index: int                     # 0-based position in the submitted batch / line number - 1 in a file
    event_id: str | None
    reason: str


@dataclass(frozen=True)
class AddReport:
    accepted: int
    duplicates: int
    rejected: tuple[Rejected, ...]


@dataclass(frozen=True)
class LoggedRow:
    """One served hit as it was logged: the exact features the model saw (or would have seen)."""
    request_id: str
    candidate_id: str
    position: int
    features: np.ndarray           # float32 (n_features,)
    served_at: str
    query: str | None = None       # the query text served (position propensities pair it with the candidate)
    explored: bool = False         # shown with random adjacent swaps (position is then the engine's rank)


def check_tenant(tenant_id) -> str:
    if not isinstance(tenant_id, str) or not _TENANT.fullmatch(tenant_id):
        raise ValidationError(f"tenant_id: must match {_TENANT.pattern}, got {tenant_id!r}")
    return tenant_id


def feature_set_id(names: tuple[str, ...]) -> str:
    """A short fingerprint of an ordered feature-name list (logged rows and models carry it)."""
    return hashlib.sha1("\n".join(names).encode()).hexdigest()[:12]


def parse_event(raw, *, tenant_id: str | None = None) -> Event:
    """Validate one event dict. ``tenant_id`` (from the API header) overrides and must match the body's."""
    if not isinstance(raw, dict):
        raise ValidationError(f"event must be a JSON object, got {type(raw).__name__}")
    known = {"event_id", "type", "tenant_id", "recruiter_id", "candidate_id", "timestamp", "request_id", "position"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValidationError(f"{unknown[0]}: unknown field; known: {sorted(known)}")
    body_tenant = raw.get("tenant_id")
    if tenant_id is not None and body_tenant not in (None, tenant_id):
        raise ValidationError(f"tenant_id: body says {body_tenant!r} but the caller's tenant is {tenant_id!r}")
    tenant = check_tenant(tenant_id if tenant_id is not None else body_tenant)
    for name in ("event_id", "recruiter_id", "candidate_id"):
        value = raw.get(name)
        if not isinstance(value, str) or not _ID.match(value):
            raise ValidationError(f"{name}: required, 1-128 characters without whitespace, got {value!r}")
    kind = raw.get("type")
    if kind not in EVENT_TYPES:
        raise ValidationError(f"type: must be one of {list(EVENT_TYPES)}, got {kind!r}")
    ts = _timestamp(raw.get("timestamp"))
    request_id, position = raw.get("request_id"), raw.get("position")
    if request_id is not None and (not isinstance(request_id, str) or not _ID.match(request_id)):
        raise ValidationError(f"request_id: 1-128 characters without whitespace, got {request_id!r}")
    if position is not None and (isinstance(position, bool) or not isinstance(position, int) or position < 1):
        raise ValidationError(f"position: must be an integer >= 1, got {position!r}")
    if kind == "impression" and (request_id is None or position is None):
        raise ValidationError("impression: needs request_id (the served search) and position (1-based page position)")
    return Event(raw["event_id"], kind, tenant, raw["recruiter_id"], raw["candidate_id"], ts, request_id, position)


def _timestamp(value) -> dt.datetime:
    if not isinstance(value, str):
        raise ValidationError(f"timestamp: required ISO 8601 string, got {value!r}")
    try:
        ts = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"timestamp: not ISO 8601: {value!r}") from None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.timezone.utc)
    return ts.astimezone(dt.timezone.utc)


def read_event_file(path: str | Path) -> Iterator[tuple[int, dict | None, str | None]]:
    """JSON Lines: yields (line_index, event dict or None, parse error or None); blank lines skipped."""
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if not line.strip():
                continue
            try:
                yield i, json.loads(line), None
            except json.JSONDecodeError as exc:
                yield i, None, f"line {i + 1}: not JSON ({exc.msg} at column {exc.colno})"


class EventStore:
    """Events and feature log of ONE tenant (SQLite, WAL). Thread-safe."""

    def __init__(self, ltr_dir: str | Path, tenant_id: str):
        self.tenant_id = check_tenant(tenant_id)
        self.path = tenant_dir(ltr_dir, tenant_id) / "events.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_DDL)
        if "explored" not in {r[1] for r in self._db.execute("PRAGMA table_info(feature_log)")}:   # a version-1 store
            self._db.execute("ALTER TABLE feature_log ADD COLUMN explored INTEGER NOT NULL DEFAULT 0")
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('tenant_id', ?), ('schema_version', ?)",
                         (tenant_id, str(SCHEMA_VERSION)))
        owner = self._db.execute("SELECT value FROM meta WHERE key='tenant_id'").fetchone()[0]
        if owner != tenant_id:
            raise ValidationError(f"{self.path} belongs to tenant {owner!r}, not {tenant_id!r}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- events ---------------------------------------------------------------------------------
    def add(self, raws: Iterable, *, tenant_id: str | None = None) -> AddReport:
        """Validate and store events; rejected ones are reported, the others kept. ``tenant_id``
        (the API caller) is enforced; file imports may omit it only if each event names this store's tenant."""
        good, rejected = [], []
        for i, raw in enumerate(raws):
            try:
                ev = parse_event(raw, tenant_id=tenant_id)
                if ev.tenant_id != self.tenant_id:
                    raise ValidationError(f"tenant_id: event is for {ev.tenant_id!r}, this store is {self.tenant_id!r}")
                good.append(ev)
            except ValidationError as exc:
                rejected.append(Rejected(i, raw.get("event_id") if isinstance(raw, dict) else None, str(exc)))
        now = _now()
        rows = [(e.event_id, e.type, e.tenant_id, e.recruiter_id, e.candidate_id, e.request_id, e.position,
                 e.timestamp.isoformat(), now) for e in good]
        with self._lock:
            before = self._count("events")
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR IGNORE INTO events VALUES (?,?,?,?,?,?,?,?,?)", rows)
            self._db.execute("COMMIT")
            added = self._count("events") - before
        return AddReport(added, len(good) - added, tuple(rejected))

    def events(self, *, since: dt.datetime | None = None, until: dt.datetime | None = None) -> list[Event]:
        sql, args = "SELECT event_id,type,tenant_id,recruiter_id,candidate_id,ts,request_id,position FROM events", []
        where = []
        if since is not None:
            where.append("ts >= ?"), args.append(since.astimezone(dt.timezone.utc).isoformat())
        if until is not None:
            where.append("ts < ?"), args.append(until.astimezone(dt.timezone.utc).isoformat())
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY ts, event_id", args).fetchall()
        return [Event(r[0], r[1], r[2], r[3], r[4], dt.datetime.fromisoformat(r[5]), r[6], r[7]) for r in rows]

    def count_events(self, *, since: dt.datetime | None = None) -> int:
        with self._lock:
            if since is None:
                return self._count("events")
            return self._db.execute("SELECT COUNT(*) FROM events WHERE ts >= ?",
                                    (since.astimezone(dt.timezone.utc).isoformat(),)).fetchone()[0]

    # -- feature log ----------------------------------------------------------------------------
    def log_features(self, request_id: str, candidate_ids: list[str], features: np.ndarray, *, feature_set: str,
                     model_version: str | None = None, query: str | None = None, explored: bool = False) -> None:
        """Record the served page: row i of ``features`` (float32, (n, F)) is the hit at position i + 1 of the
        engine's order (``explored``: the page was shown with random adjacent swaps of that order)."""
        features = np.ascontiguousarray(features, dtype=np.float32)
        now = _now()
        rows = [(request_id, cid, self.tenant_id, pos, feature_set, features[pos - 1].tobytes(), model_version, query, now,
                 int(explored)) for pos, cid in enumerate(candidate_ids, start=1)]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR IGNORE INTO feature_log (request_id, candidate_id, tenant_id, position, feature_set, "
                                 "features, model_version, query, served_at, explored) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
            self._db.execute("COMMIT")

    def logged(self, *, feature_set: str, since: str | None = None) -> list[LoggedRow]:
        """Logged rows of one feature set (rows logged under another feature list are not mixed in)."""
        sql = "SELECT request_id,candidate_id,position,features,served_at,query,explored FROM feature_log WHERE feature_set=?"
        args: list = [feature_set]
        if since:
            sql += " AND served_at >= ?"
            args.append(since)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY served_at, request_id, position", args).fetchall()
        return [LoggedRow(r[0], r[1], r[2], np.frombuffer(r[3], dtype=np.float32), r[4], r[5], bool(r[6])) for r in rows]

    def logged_requests(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(DISTINCT request_id) FROM feature_log").fetchone()[0]

    def _count(self, table: str) -> int:
        return self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def tenant_dir(ltr_dir: str | Path, tenant_id: str) -> Path:
    return Path(ltr_dir) / "tenants" / check_tenant(tenant_id)


def tenants(ltr_dir: str | Path) -> list[str]:
    root = Path(ltr_dir) / "tenants"
    return sorted(p.name for p in root.iterdir() if p.is_dir() and _TENANT.fullmatch(p.name)) if root.exists() else []


class EventStores:
    """Opened stores, one per tenant, shared by the API and the search engine's feature logger."""

    def __init__(self, ltr_dir: str | Path):
        self.ltr_dir = Path(ltr_dir)
        self._lock = threading.Lock()
        self._open: dict[str, EventStore] = {}

    def get(self, tenant_id: str) -> EventStore:
        with self._lock:
            store = self._open.get(tenant_id)
            if store is None:
                store = self._open[tenant_id] = EventStore(self.ltr_dir, tenant_id)
            return store

    def close(self) -> None:
        with self._lock:
            for store in self._open.values():
                store.close()
            self._open.clear()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
