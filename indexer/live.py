"""Live candidate writes: a durable write-ahead log per index, folded into the next published version.

A write is acknowledged only after its row is committed to ``<index_dir>/live/log.sqlite`` (SQLite in WAL
mode with ``synchronous=FULL``: the commit is fsync'd), so it survives a SIGKILL of the process. The log is
folded into the index by ``fold``: the last operation per ``candidate_id`` becomes an upsert or a delete of
one ``ingest`` call, which publishes the next atomic version as ``talentsearch index`` does. Folded rows are
then dropped from the log (``compact``) up to what every consumer (the standing-search matcher) has seen.

Records in the log are already validated (``indexer.validate.coerce_row`` shape; dates as ISO text).
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from indexer.build import IndexConfig, IngestReport, ingest

LOG_FILE = "log.sqlite"


@dataclass(frozen=True)
class LiveOp:
    seq: int
    candidate_id: str
    op: str                       # "upsert" | "delete"
    owner_tenant: str | None      # the profile's owner after the op (None: network profile)
    record: dict | None           # the validated profile for an upsert
    at: float                     # unix seconds, when it was acknowledged


@dataclass(frozen=True)
class FoldReport:
    folded_through: int           # last log seq now in the published index (0: nothing folded yet)
    upserts: int
    deletes: int
    version: str | None           # the version published (None: nothing pending)
    seconds: float


class LiveLog:
    """The write-ahead log of one index directory. Thread-safe; one writer connection per process."""

    def __init__(self, index_dir: str | Path):
        self.index_dir = Path(index_dir)
        self.dir = self.index_dir / "live"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._fold_lock = threading.Lock()
        self._db = sqlite3.connect(str(self.dir / LOG_FILE), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE IF NOT EXISTS ops (seq INTEGER PRIMARY KEY AUTOINCREMENT, candidate_id TEXT NOT NULL,"
                         " op TEXT NOT NULL, owner_tenant TEXT, record TEXT, at REAL NOT NULL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
        # candidate_id -> its last unfolded op: ownership checks and reads see writes before they are folded
        self._pending: dict[str, LiveOp] = {op.candidate_id: op for op in self.ops(after=self.folded_through())}

    # ---- writing --------------------------------------------------------------------------------
    def append(self, ops: list[tuple[str, str, str | None, dict | None]]) -> list[LiveOp]:
        """Append ``(candidate_id, op, owner_tenant, record)`` rows in one fsync'd transaction; return them
        with their sequence numbers. When this returns, the writes survive a crash."""
        now = time.time()
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                out = []
                for cid, op, owner, record in ops:
                    cur.execute("INSERT INTO ops (candidate_id, op, owner_tenant, record, at) VALUES (?, ?, ?, ?, ?)",
                                (cid, op, owner, json.dumps(record, default=str) if record is not None else None, now))
                    out.append(LiveOp(cur.lastrowid, cid, op, owner, record, now))
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            for op in out:
                self._pending[op.candidate_id] = op
            return out

    # ---- reading --------------------------------------------------------------------------------
    def ops(self, *, after: int = 0, through: int | None = None) -> list[LiveOp]:
        """Log rows with ``after < seq <= through``, in order."""
        with self._lock:
            rows = self._db.execute("SELECT seq, candidate_id, op, owner_tenant, record, at FROM ops WHERE seq > ? AND seq <= ?"
                                    " ORDER BY seq", (after, through if through is not None else 2 ** 62)).fetchall()
        return [LiveOp(s, c, o, t, json.loads(r) if r else None, a) for s, c, o, t, r, a in rows]

    def pending(self, candidate_id: str) -> LiveOp | None:
        """The last unfolded op of ``candidate_id`` (None: the published index is current for it)."""
        with self._lock:
            return self._pending.get(candidate_id)

    def pending_ops(self) -> list[LiveOp]:
        """The last unfolded op of every candidate written since the last fold, in log order."""
        with self._lock:
            return sorted(self._pending.values(), key=lambda op: op.seq)

    def pending_count(self) -> int:
        with self._lock:
            return len(self._pending)

    def last_seq(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'ops'").fetchone()
        return int(row[0]) if row else 0

    def folded_through(self) -> int:
        return self._meta("folded_through")

    def _meta(self, key: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def _set_meta(self, key: str, value: int) -> None:
        with self._lock:
            self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                             (key, int(value)))

    # ---- folding --------------------------------------------------------------------------------
    def fold(self, config: IndexConfig | None = None, *, encoder=None, keep_after: int | None = None) -> FoldReport:
        """Publish every unfolded write as the next index version (one ``ingest``); return what was folded.
        ``keep_after``: log rows after this seq are kept even once folded (a consumer has not seen them)."""
        config = config or IndexConfig()
        with self._fold_lock:
            t0 = time.perf_counter()
            start = self.folded_through()
            through = self.last_seq()
            last: dict[str, LiveOp] = {}
            for op in self.ops(after=start, through=through):
                last[op.candidate_id] = op
            if not last:
                return FoldReport(start, 0, 0, None, time.perf_counter() - t0)
            upserts = [op.record for op in last.values() if op.op == "upsert"]
            deletes = [op.candidate_id for op in last.values() if op.op == "delete"]
            batch = self.dir / f".fold-{os.getpid()}-{through}.jsonl"
            try:
                paths = []
                if upserts:
                    batch.write_text("".join(json.dumps(r, default=str) + "\n" for r in upserts), encoding="utf-8")
                    paths = [batch]
                report: IngestReport = ingest(paths, self.index_dir, config, delete_ids=deletes, progress=False,
                                              encoder=encoder)
            finally:
                batch.unlink(missing_ok=True)
            with self._lock:
                self._set_meta("folded_through", through)
                for cid, op in last.items():
                    if self._pending.get(cid) is op or (cid in self._pending and self._pending[cid].seq <= through):
                        del self._pending[cid]
            self.compact(min(through, keep_after) if keep_after is not None else through)
            return FoldReport(through, len(upserts), len(deletes), report.version, time.perf_counter() - t0)

    def compact(self, through: int) -> None:
        """Drop folded log rows up to ``through`` (never past what is folded)."""
        with self._lock:
            self._db.execute("DELETE FROM ops WHERE seq <= ?", (min(through, self.folded_through()),))

    def close(self) -> None:
        with self._lock:
            self._db.close()


__all__ = ["FoldReport", "LiveLog", "LiveOp"]
