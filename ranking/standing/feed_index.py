"""Which feed entries belong to which standing search: an in-memory index over the append-only feed table.

The feed table is keyed by its sequence number only, so a batch's entries are appended at the end of the
table (sequential pages, little WAL) instead of being inserted into a (search_id, seq) index at ~one random
page per entry, which was most of the cost of a write that moves many memberships (issue 20: ~6.5 kB of WAL
per entry at 10,000 standing searches). Reads by search go through this index instead: search_id -> its seqs,
ascending, 8 bytes each. It is built from the table on first read (one sequential scan of (seq, search_id)) and
caught up from the table's tail (``seq > through``, a range of the table's key) before each read, so the
entries of this process's writes and of another process's (the CLI) are seen alike. Seqs are assigned in
commit order under SQLite's write lock, so "everything after ``through``" never misses a committed row.
"""
from __future__ import annotations

import bisect
import sqlite3
from array import array


class FeedIndex:
    """search_id -> ascending feed seqs. Not thread-safe: the store calls it under its lock."""

    def __init__(self):
        self._seqs: dict[str, array] = {}
        self.through = 0          # every committed row with seq <= through is indexed

    def catch_up(self, cur: sqlite3.Cursor) -> None:
        """Index the rows committed after ``through`` (all of them the first time)."""
        rows = cur.execute("SELECT seq, search_id FROM feed WHERE seq > ? ORDER BY seq", (self.through,)).fetchall()
        self.add(rows)

    def add(self, rows: list[tuple[int, str]]) -> None:
        """``(seq, search_id)`` of committed rows, ascending, all after ``through``."""
        seqs = self._seqs
        for seq, sid in rows:
            s = seqs.get(sid)
            if s is None:
                s = seqs[sid] = array("q")
            s.append(seq)
        if rows:
            self.through = rows[-1][0]

    def after(self, search_id: str, after: int, limit: int) -> list[int]:
        """The first ``limit`` seqs of ``search_id`` greater than ``after``."""
        s = self._seqs.get(search_id)
        if s is None:
            return []
        i = bisect.bisect_right(s, after)
        return s[i:i + limit].tolist()

    def of(self, search_id: str) -> list[int]:
        s = self._seqs.get(search_id)
        return s.tolist() if s is not None else []

    def drop(self, search_id: str) -> None:
        self._seqs.pop(search_id, None)


__all__ = ["FeedIndex"]
