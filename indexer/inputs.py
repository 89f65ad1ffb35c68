"""The inputs of one ingest: profile files and directories, each file read whole or reported whole.

``read_inputs(paths)`` takes each directory as the profile files directly inside it, in name order
(Parquet files with a ``candidate_id`` column, JSON-lines files of profile objects); every other
entry is listed as skipped with the reason, so that the generator's companies, truth, queries,
qrels and manifest next to its profiles are not read as profiles. Hidden files are ignored.

A file's rows are kept only when the whole file could be read: a missing, empty, truncated or
corrupt file is reported as a whole (path and reason) and the other files go on. When a
candidate_id occurs more than once the last copy wins (inputs in the order given, rows in file
order), as an upsert would; the earlier copies are counted and listed with the copy that won.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from indexer.validate import (
    ARROW_ERRORS,
    JSONL_SUFFIXES,
    PARQUET_SUFFIXES,
    Reject,
    UnreadableFileError,
    count_rows,
    latest_date,
    read_batches,
)
from records.schema import PROFILE_SCHEMA

PROFILE_KIND = PROFILE_SCHEMA.metadata[b"talentsearch.schema"].decode()
# a JSON record with none of these keys is some other data (a judged query, a manifest), not a profile
_PROFILE_KEYS = frozenset(PROFILE_SCHEMA.names)
WANTED = ("Parquet files (.parquet, .pq) with a candidate_id column or JSON-lines files "
          "(.jsonl, .ndjson, .json) of profile objects")


@dataclass(frozen=True)
class FileNote:
    path: str
    reason: str


@dataclass(frozen=True)
class Inputs:
    table: pa.Table                   # the valid rows, PROFILE_SCHEMA, one per candidate_id (its last copy)
    hashes: pa.Array                  # the content hash of each row of ``table`` (``validate.content_hash``)
    rejects: tuple[Reject, ...]       # invalid rows
    duplicates: tuple[Reject, ...]    # earlier copies of a candidate_id, replaced by a later one
    files: tuple[str, ...]            # files read to the end, in reading order
    unreadable: tuple[FileNote, ...]  # inputs not read at all: none of their rows is in ``table``
    skipped: tuple[FileNote, ...]     # directory entries that are not profile files

    def reject_lines(self) -> list[Reject]:
        """Everything not indexed, for the rejects file: invalid rows, unreadable inputs (row None),
        then the superseded copies."""
        whole = [Reject(n.path, None, None, n.reason) for n in self.unreadable]
        return [*self.rejects, *whole, *self.duplicates]


def read_inputs(paths: Iterable[str | Path], *, batch_rows: int = 20_000, latest: dt.date | None = None,
                progress: Callable[[Path, int | None], contextlib.AbstractContextManager] | None = None) -> Inputs:
    """Read and validate every profile file in ``paths`` (files or directories).

    ``progress(path, total_rows_or_None)`` returns a context manager with ``update(n)`` (a tqdm bar)."""
    files, unreadable, skipped = expand(paths)
    latest = latest or latest_date()
    tables, hashes, where, rejects, read = [], [], [], [], []
    for path in files:
        with (progress(path, count_rows(path)) if progress else contextlib.nullcontext()) as bar:
            try:
                batches = []
                for batch in read_batches(path, batch_rows=batch_rows, latest=latest):
                    batches.append(batch)
                    if bar is not None:
                        bar.update(batch.table.num_rows + len(batch.rejects))
            except UnreadableFileError as exc:
                unreadable.append(FileNote(exc.path, exc.reason))
                continue
        for batch in batches:
            tables.append(batch.table)
            hashes.extend(batch.hashes)
            where.append(np.stack([np.full(len(batch.rows), len(read), np.int64), np.asarray(batch.rows, np.int64)]))
            rejects.extend(batch.rejects)
        read.append(str(path))
    table = pa.concat_tables(tables) if tables else PROFILE_SCHEMA.empty_table()
    origin = np.concatenate(where, axis=1) if where else np.zeros((2, 0), np.int64)
    table, keep, duplicates = _last_copies(table, origin, read)
    digests = pa.array(hashes, pa.string())
    return Inputs(table, digests if keep is None else digests.take(keep), tuple(rejects), tuple(duplicates),
                  tuple(read), tuple(unreadable), tuple(skipped))


def expand(paths: Iterable[str | Path]) -> tuple[list[Path], list[FileNote], list[FileNote]]:
    """(files to read, directories without profile files, directory entries skipped). A file named
    twice (say, directly and through its directory) is read once, where it first appears."""
    files, unreadable, skipped = [], [], []
    for path in map(Path, paths):
        if not path.is_dir():
            files.append(path)            # a missing or unsupported file is reported when it is read
            continue
        try:
            entries = sorted(p for p in path.iterdir() if not p.name.startswith("."))
        except OSError as exc:
            unreadable.append(FileNote(str(path), f"cannot be listed: {exc.strerror or exc}"))
            continue
        notes = [(p, _not_profiles(p)) for p in entries]
        found = [p for p, why in notes if why is None]
        skipped += [FileNote(str(p), why) for p, why in notes if why is not None]
        files += found
        if not found:
            seen = ", ".join(p.name for p in entries[:10]) + (", ..." if len(entries) > 10 else "")
            unreadable.append(FileNote(str(path), f"no profile files: it wants {WANTED}; "
                                                  + (f"found {seen}" if entries else "it is empty")))
    return _first_of_each(files), unreadable, skipped


def _first_of_each(files: list[Path]) -> list[Path]:
    seen: set[Path] = set()
    out = []
    for path in files:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            out.append(path)
    return out


def _not_profiles(path: Path) -> str | None:
    """Why a directory entry is not a profile file, or None. A file that cannot be inspected counts
    as a profile file, so that reading it reports why it is unreadable instead of hiding it."""
    suffix = path.suffix.lower()
    if path.is_dir():
        return "a directory (directories are not searched recursively)"
    if suffix in PARQUET_SUFFIXES:
        try:
            schema = pq.read_schema(path)
        except ARROW_ERRORS:
            return None
        kind = (schema.metadata or {}).get(b"talentsearch.schema", b"").decode(errors="replace")
        if kind and kind != PROFILE_KIND:
            return f"a {kind} table, not {PROFILE_KIND}"
        return None if "candidate_id" in schema.names else "no candidate_id column"
    if suffix in JSONL_SUFFIXES:
        return _not_profile_lines(path, suffix)
    return f"not a profile file type ({', '.join(PARQUET_SUFFIXES + JSONL_SUFFIXES)})"


def _not_profile_lines(path: Path, suffix: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            first = next((line for line in fh if line.strip()), None)
    except OSError:
        return None
    if first is None:
        return None
    try:
        record = json.loads(first.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        # a .jsonl file with a bad first line is read (that line is rejected); a .json file whose first
        # line is not a record is one JSON document, such as the generator's manifest.json
        return "not JSON lines: its first line is not a JSON object" if suffix == ".json" else None
    if not isinstance(record, dict):
        return f"not profiles: its first record is a JSON {type(record).__name__}, not an object"
    if not _PROFILE_KEYS & record.keys():
        keys = ", ".join(list(record)[:6])
        return f"not profiles: its first record has no candidate_id or other profile field (it has {keys})"
    return None


def _last_copies(table: pa.Table, origin: np.ndarray,
                 files: list[str]) -> tuple[pa.Table, pa.Array | None, list[Reject]]:
    """Keep the last row of each candidate_id; the earlier ones become rejects naming the winner.
    ``origin`` is (2, rows): the index in ``files`` and the row number of each row of ``table``.
    Returns (the rows kept, their row numbers in ``table`` or None for all, the rejects)."""
    ids = table.column("candidate_id").to_pylist()
    last = {cid: i for i, cid in enumerate(ids)}
    if len(last) == len(ids):
        return table, None, []

    def at(i: int) -> str:
        source = files[origin[0, i]]
        return f"{source} {'line' if Path(source).suffix.lower() in JSONL_SUFFIXES else 'row'} {origin[1, i]}"

    duplicates = [Reject(files[origin[0, i]], int(origin[1, i]), cid,
                         f"duplicate candidate_id: the later copy ({at(last[cid])}) is indexed")
                  for i, cid in enumerate(ids) if last[cid] != i]
    keep = pa.array(sorted(last.values()), pa.int64())
    return table.take(keep), keep, duplicates
