"""Per-profile term statistics, computed once at ingest so ranking features never re-analyse a profile.

For every profile of a version, ``termstats.arrow`` (Arrow IPC, memory-mapped when read) holds:

* ``keys`` / ``tf``: one stable 64-bit key per distinct token of each ranking field group
  (``LEX_GROUPS``: title, occupation, skill, headline, summary, company) with its count, plus the
  profile's casefolded normalised skills (``SKILL_GROUP``) and its current-title tokens
  (``TITLE_GROUP``) with count 1; a key is ``term_key(group, token)``;
* ``length``: tokens per LEX_GROUP (BM25 length normalisation);
* ``first_start`` (days since epoch of the earliest dated position, INT32_MIN when none) and
  ``moves`` (company changes between consecutive dated positions): the career-mobility inputs.

Rows are in ord order, like ``profiles.parquet``; an upsert filters the removed ords and appends the
fresh rows, exactly as the store does. ``TermStats.gather(ords)`` returns the pool's entries as flat
numpy arrays (no Python per candidate). An index written before this file existed has none; the
ranking features then analyse the profiles themselves (``profile_stats``, the same function).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm.auto import tqdm

from indexer.analysis import analyze
from indexer.documents import TEXT_FIELDS, lexical_fields

FILE = "termstats.arrow"
LEX_GROUPS: dict[str, tuple[str, ...]] = {
    "title": ("title_current", "title_past"), "occupation": ("occupation",), "skill": ("skill",),
    "headline": ("headline",), "summary": ("summary",), "company": ("company_current", "company_past"),
}
SKILL_GROUP = len(LEX_GROUPS)
TITLE_GROUP = SKILL_GROUP + 1
_GROUPS = TITLE_GROUP + 1
NO_START = np.iinfo(np.int32).min
_EPOCH = dt.date(1970, 1, 1)
SCHEMA = pa.schema([("ord", pa.int64()), ("keys", pa.list_(pa.int64())), ("tf", pa.list_(pa.int32())),
                    ("length", pa.list_(pa.int32())), ("first_start", pa.int32()), ("moves", pa.int32())])
_KEYS: dict[tuple[int, str], int] = {}
BATCH = 5_000                  # profiles analysed at a time


def term_key(group: int, term: str) -> int:
    """Stable signed 64-bit key of one (group, token): the first 8 bytes of its BLAKE2b digest."""
    key = _KEYS.get((group, term))
    if key is None:
        key = int.from_bytes(hashlib.blake2b(f"{group}\x1f{term}".encode(), digest_size=8).digest(), "little", signed=True)
        if len(_KEYS) > 2_000_000:
            _KEYS.clear()
        _KEYS[(group, term)] = key
    return key


@dataclass(frozen=True)
class ProfileStats:
    keys: np.ndarray        # int64
    tf: np.ndarray          # float64, aligned with keys
    length: np.ndarray      # float64 (len(LEX_GROUPS),)
    first_start: int        # days since epoch, NO_START when no dated position
    moves: int


def profile_stats(p: dict) -> ProfileStats:
    """The term statistics of one indexed profile (a ``ProfileStore.records`` dict)."""
    keys, tfs, length, first, moves = _entries(p)
    return ProfileStats(np.array(keys, dtype=np.int64), np.array(tfs, dtype=np.float64),
                        np.array(length, dtype=np.float64), first, moves)


def _entries(p: dict) -> tuple[list[int], list[int], list[int], int, int]:
    """(keys, counts, tokens per LEX_GROUP, first start, moves) of one profile, as plain lists."""
    values = lexical_fields(p)
    keys, tfs, length = [], [], []
    for gi, fields in enumerate(LEX_GROUPS.values()):
        tokens = [t for f in fields for v in values.get(f, []) if v for t in analyze(TEXT_FIELDS[f], v)]
        for t, c in Counter(tokens).items():
            keys.append(term_key(gi, t))
            tfs.append(c)
        length.append(len(tokens))
    for s in dict.fromkeys(s.casefold() for s in (p.get("skills_normalized") or ())):
        keys.append(term_key(SKILL_GROUP, s))
        tfs.append(1)
    for t in dict.fromkeys(analyze(TEXT_FIELDS["title_current"], p.get("current_title") or "")):
        keys.append(term_key(TITLE_GROUP, t))
        tfs.append(1)
    first, moves = career_moves(p.get("positions") or ())
    return keys, tfs, length, first, moves


def career_moves(positions) -> tuple[int, int]:
    """(days since epoch of the earliest dated position or NO_START, company changes between
    consecutive dated positions) — what ``graph.features.moves_per_year`` needs."""
    dated = sorted((p["start"], p.get("company_id") or (p.get("company_name") or "").casefold())
                   for p in positions if p.get("start"))
    if not dated:
        return NO_START, 0
    moves = sum(1 for (_, a), (_, b) in zip(dated, dated[1:]) if a and b and a != b)
    return (dated[0][0] - _EPOCH).days, moves


def stats_batch(records: list[dict]) -> pa.RecordBatch:
    """Term statistics of indexed-profile rows (dicts with their ``ord``), as one SCHEMA record batch, equal
    to ``profile_stats`` of each row. Python only collects each profile's tokens (group by group, into one
    flat list); counting, keying and ordering run in numpy over the whole batch."""
    tokens: list[str] = []
    runs: list[int] = []              # tokens of each (profile, group): _GROUPS per profile, in order
    ords, firsts, moves = [], [], []
    for p in records:
        _collect(p, tokens, runs)
        first, move = career_moves(p.get("positions") or ())
        ords.append(p["ord"])
        firsts.append(first)
        moves.append(move)
    n = len(records)
    runs_np = np.asarray(runs, np.int64).reshape(n, _GROUPS)
    keys, tf, offsets = _count(tokens, runs_np)
    at = pa.array(offsets.astype(np.int32))
    groups = pa.array(np.arange(0, n * len(LEX_GROUPS) + 1, len(LEX_GROUPS), dtype=np.int32))
    return pa.RecordBatch.from_arrays(
        [pa.array(ords, pa.int64()), pa.ListArray.from_arrays(at, pa.array(keys)),
         pa.ListArray.from_arrays(at, pa.array(tf)),
         pa.ListArray.from_arrays(groups, pa.array(runs_np[:, :len(LEX_GROUPS)].ravel().astype(np.int32))),
         pa.array(firsts, pa.int32()), pa.array(moves, pa.int32())], schema=SCHEMA)


def _collect(p: dict, tokens: list[str], runs: list[int]) -> None:
    """Append one profile's tokens, group by group as ``_entries`` sees them, and each group's count."""
    values = lexical_fields(p)
    for fields in LEX_GROUPS.values():
        before = len(tokens)
        for f in fields:
            for v in values.get(f, ()):
                if v:
                    tokens += analyze(TEXT_FIELDS[f], v)
        runs.append(len(tokens) - before)
    before = len(tokens)
    tokens += dict.fromkeys(s.casefold() for s in (p.get("skills_normalized") or ()))
    runs.append(len(tokens) - before)
    before = len(tokens)
    tokens += dict.fromkeys(analyze(TEXT_FIELDS["title_current"], p.get("current_title") or ""))
    runs.append(len(tokens) - before)


def _count(tokens: list[str], runs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(keys, counts, offsets per profile) of the distinct (profile, group, token) in first-seen order,
    which is the order of ``_entries`` (groups in order, a Counter's tokens in first-occurrence order)."""
    n = len(runs)
    if not tokens:
        return np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(n + 1, np.int64)
    encoded = pa.array(tokens, pa.string()).dictionary_encode()
    words = encoded.dictionary.to_pylist()
    size = len(words)
    segment = np.repeat(np.arange(n * _GROUPS, dtype=np.int64), runs.ravel())     # profile * _GROUPS + group
    pair, first, counts = np.unique(segment * size + encoded.indices.to_numpy(), return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    pair, counts = pair[order], counts[order]
    segment, word = pair // size, pair % size
    term, where = np.unique((segment % _GROUPS) * size + word, return_inverse=True)
    known = np.fromiter((term_key(int(t // size), words[int(t % size)]) for t in term), np.int64, count=len(term))
    offsets = np.searchsorted(segment // _GROUPS, np.arange(n + 1), side="left")
    return known[where.ravel()], counts.astype(np.int32), offsets


def build_table(profiles: pa.Table, *, progress: bool = False) -> pa.Table:
    """Term statistics of ``profiles`` (indexed-profile rows, any order), as a SCHEMA table."""
    with tqdm(total=profiles.num_rows, desc="term stats", unit="doc", disable=not progress) as bar:
        batches = []
        for batch in profiles.to_batches(BATCH):
            batches.append(stats_batch(batch.to_pylist()))
            bar.update(batch.num_rows)
    return pa.Table.from_batches(batches, schema=SCHEMA)


class StatsWriter:
    """Writes a version's ``termstats.arrow`` batch by batch, in ord order (memory: one batch, not the
    corpus): the previous version's rows that survive, then the fresh rows' statistics."""

    def __init__(self, directory: str | Path):
        self._sink = pa.OSFile(str(Path(directory) / FILE), "wb")
        self._writer = pa.ipc.new_file(self._sink, SCHEMA)
        self.rows = 0
        self._last_ord = -1

    def write_previous(self, stats: "TermStats", removed_ords) -> None:
        """``stats``' rows less ``removed_ords`` (written straight from its mapped file)."""
        gone = pa.array(sorted(removed_ords), pa.int64()) if len(removed_ords) else None
        for batch in stats.table.to_batches(BATCH * 4):     # filtered batch by batch: no copy of the whole file
            self._write(batch if gone is None else batch.filter(pc.invert(pc.is_in(batch.column(0), value_set=gone))))

    def add(self, records: list[dict]) -> None:
        """Analyse and write the fresh rows ``records`` (indexed-profile dicts, ords above every written one)."""
        if records:
            self._write(stats_batch(records))

    def add_table(self, profiles: pa.Table, *, progress: bool = False) -> None:
        with tqdm(total=profiles.num_rows, desc="term stats", unit="doc", disable=not progress) as bar:
            for batch in profiles.to_batches(BATCH):
                self.add(batch.to_pylist())
                bar.update(batch.num_rows)

    def _write(self, batch: pa.RecordBatch) -> None:
        if not batch.num_rows:
            return
        ords = batch.column(0).to_numpy()
        if ords[0] <= self._last_ord or (len(ords) > 1 and not bool((ords[1:] > ords[:-1]).all())):
            raise ValueError("term statistics must be written in ascending ord order")
        self._writer.write_batch(batch.cast(SCHEMA) if batch.schema != SCHEMA else batch)
        self._last_ord = int(ords[-1])
        self.rows += batch.num_rows

    def close(self) -> None:
        self._writer.close()
        self._sink.close()

    def __enter__(self) -> "StatsWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class TermStats:
    """The term statistics of one index version, aligned with its store's rows."""

    def __init__(self, table: pa.Table):
        # the key and count lists stay in their chunks (a mapped file is not copied into the heap: a file
        # written batch by batch has many); only the small per-row columns are concatenated
        if len({tuple(len(c) for c in column.chunks) for column in table.columns}) > 1:
            table = table.combine_chunks()          # the columns are read chunk by chunk together
        self.table = table
        keys, tf = table.column("keys").chunks, table.column("tf").chunks
        self._keys = [c.flatten().to_numpy() for c in keys]
        self._tf = [c.flatten().to_numpy() for c in tf]
        sizes = [len(k) for k in self._keys]
        self._value_starts = np.concatenate(([0], np.cumsum(sizes, dtype=np.int64)))
        parts = [c.offsets.to_numpy().astype(np.int64)[:-1] - c.offsets[0].as_py() + base
                 for c, base in zip(keys, self._value_starts[:-1])]
        self._offsets = np.concatenate([*parts, [self._value_starts[-1]]]).astype(np.int64)
        # per-row columns stay in their (mapped) chunks too: row r is row r - _row_starts[c] of chunk c
        self._row_starts = np.concatenate(([0], np.cumsum([len(c) for c in keys], dtype=np.int64)))
        self._length = [c.flatten().to_numpy().reshape(-1, len(LEX_GROUPS)) for c in table.column("length").chunks]
        self._first = [c.to_numpy() for c in table.column("first_start").chunks]
        self._moves = [c.to_numpy() for c in table.column("moves").chunks]

    @property
    def ords(self) -> np.ndarray:
        """Each row's ord (int64; a copy, made when asked)."""
        return _flat(self.table.column("ord"), np.int64)

    def __len__(self) -> int:
        return self.table.num_rows

    @classmethod
    def load(cls, directory: str | Path) -> "TermStats | None":
        path = Path(directory) / FILE
        if not path.exists():
            return None
        with pa.memory_map(str(path)) as source:
            return cls(pa.ipc.open_file(source).read_all())

    def save(self, directory: str | Path) -> None:
        with pa.OSFile(str(Path(directory) / FILE), "wb") as sink, pa.ipc.new_file(sink, SCHEMA) as writer:
            writer.write_table(self.table)

    def merged(self, fresh: pa.Table, removed_ords) -> "TermStats":
        """This version's rows minus ``removed_ords``, then ``fresh`` (a SCHEMA table): the next version."""
        old = self.table
        if len(removed_ords):
            old = old.filter(pc.invert(pc.is_in(old.column("ord"), value_set=pa.array(sorted(removed_ords), pa.int64()))))
        table = pa.concat_tables([old, fresh.cast(SCHEMA)])
        ords = table.column("ord").to_numpy()
        if len(ords) > 1 and not bool((ords[1:] > ords[:-1]).all()):
            table = table.sort_by("ord")        # fresh ords follow the old ones: sorting (a take of every row) is rare
        return TermStats(table)

    def aligned_with(self, store_ords: np.ndarray) -> bool:
        ords = self.ords
        return len(store_ords) == len(ords) and bool(np.array_equal(store_ords, ords))

    def gather(self, rows: np.ndarray) -> "PoolStats":
        """The entries of the store ``rows`` (same row numbers as the store), flattened in row order."""
        starts, ends = self._offsets[rows], self._offsets[rows + 1]
        sizes = ends - starts
        total = int(sizes.sum())
        idx = np.repeat(starts - np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes) + np.arange(total)
        keys, tf = np.empty(total, np.int64), np.empty(total, np.float64)
        chunk = np.searchsorted(self._value_starts, idx, side="right") - 1
        for c in np.unique(chunk):
            hit = chunk == c
            at = idx[hit] - self._value_starts[c]
            keys[hit], tf[hit] = self._keys[c][at], self._tf[c][at]
        length = np.empty((len(rows), len(LEX_GROUPS)), np.float64)
        first, moves = np.empty(len(rows), np.int32), np.empty(len(rows), np.int32)
        chunk = np.searchsorted(self._row_starts, rows, side="right") - 1
        for c in np.unique(chunk):
            hit = chunk == c
            at = rows[hit] - self._row_starts[c]
            length[hit], first[hit], moves[hit] = self._length[c][at], self._first[c][at], self._moves[c][at]
        return PoolStats(np.repeat(np.arange(len(rows)), sizes), keys, tf, length, first, moves)


def _flat(column: pa.ChunkedArray, dtype) -> np.ndarray:
    return np.concatenate([c.to_numpy() for c in column.chunks]).astype(dtype, copy=False) if column.num_chunks \
        else np.zeros(0, dtype)


@dataclass(frozen=True)
class PoolStats:
    """Term statistics of a pool of candidates, flattened: entry ``i`` belongs to candidate ``owner[i]``."""
    owner: np.ndarray         # int64, non-decreasing
    keys: np.ndarray          # int64
    tf: np.ndarray            # float64
    length: np.ndarray        # float64 (n, len(LEX_GROUPS))
    first_start: np.ndarray   # int32 (n,)
    moves: np.ndarray         # int32 (n,)

    @classmethod
    def of(cls, stats: list[ProfileStats]) -> "PoolStats":
        sizes = np.fromiter((len(s.keys) for s in stats), dtype=np.int64, count=len(stats))
        cat = (lambda xs, dtype: np.concatenate(xs) if xs else np.zeros(0, dtype))   # noqa: E731
        return cls(np.repeat(np.arange(len(stats)), sizes), cat([s.keys for s in stats], np.int64),
                   cat([s.tf for s in stats], np.float64),
                   np.stack([s.length for s in stats]) if stats else np.zeros((0, len(LEX_GROUPS))),
                   np.array([s.first_start for s in stats], dtype=np.int32), np.array([s.moves for s in stats], dtype=np.int32))
