"""Tenant-scoped priors: past queries that led to engagement, in a small SQLite file.

Stored at ``<index_dir>/querygen/history.sqlite3`` (one row per tenant, occupation and query;
engagement accumulates). A tenant only ever reads its own rows. Queries are stored as canonical
text and re-parsed and re-guarded when read, so a stored row can never inject a bad query.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path

from query.llm.base import QueryStrategy

SCHEMA = """CREATE TABLE IF NOT EXISTS priors (
  tenant_id TEXT NOT NULL, occupation_code TEXT NOT NULL, query TEXT NOT NULL, filters TEXT NOT NULL,
  syntax TEXT NOT NULL, skills TEXT NOT NULL, engagement REAL NOT NULL, uses INTEGER NOT NULL, updated TEXT NOT NULL,
  PRIMARY KEY (tenant_id, occupation_code, query, filters))"""


class HistoryStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(SCHEMA)

    @classmethod
    def for_index(cls, index_dir: str | Path) -> "HistoryStore":
        return cls(Path(index_dir) / "querygen" / "history.sqlite3")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def record(self, tenant_id: str, occupation_code: str | None, strategy: QueryStrategy, engagement: float,
               skills: tuple[str, ...] = ()) -> None:
        """Add ``engagement`` (e.g. positive responses / contacted, or a 0..1 rating) to this query's tally."""
        if not tenant_id:
            raise ValueError("history is tenant-scoped: tenant_id is required")
        if not 0.0 <= engagement <= 1.0:
            raise ValueError(f"engagement must be in [0, 1], got {engagement}")
        row = (tenant_id, occupation_code or "", strategy.query, json.dumps(strategy.filters, sort_keys=True),
               strategy.syntax, json.dumps(list(skills)), engagement, 1, dt.datetime.now(dt.timezone.utc).isoformat())
        with self._lock, self._connect() as db:
            db.execute("""INSERT INTO priors VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET
                          engagement = (engagement * uses + excluded.engagement) / (uses + 1), uses = uses + 1,
                          updated = excluded.updated""", row)

    def priors(self, tenant_id: str | None, occupation_code: str | None, skills: tuple[str, ...] = (),
               k: int = 2) -> list[QueryStrategy]:
        """This tenant's engaged queries for the occupation, best first (engagement x skill overlap)."""
        if not tenant_id or not occupation_code:
            return []
        with self._lock, self._connect() as db:
            rows = db.execute("SELECT query, filters, syntax, skills, engagement, uses, updated FROM priors "
                              "WHERE tenant_id = ? AND occupation_code = ? AND engagement > 0",
                              (tenant_id, occupation_code)).fetchall()
        wanted = set(skills)
        scored = []
        for query, filters, syntax, sk, engagement, uses, updated in rows:
            overlap = len(wanted & set(json.loads(sk))) / len(wanted) if wanted else 0.0
            scored.append(((engagement * (1 + overlap), uses), query, json.loads(filters), syntax, engagement, uses, updated))
        scored.sort(key=lambda r: r[0], reverse=True)
        return [QueryStrategy("history", q, f, f"Tenant prior: engagement {e:.2f} over {u} use(s), last {d[:10]}.", s)
                for _, q, f, s, e, u, d in scored[:k]]


__all__ = ["HistoryStore"]
